"""Fixtures for the kgen.data tests: tiny image folders and npz files in tmp_path."""

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pytest puts tests/data (not the repo root) on sys.path, so make `kgen`
# importable whether or not the project is pip-installed.
REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def save_png(path: Path, array: np.ndarray, mode=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode).save(path)
    return path


def random_image(rng, size=8, channels=3) -> np.ndarray:
    shape = (size, size) if channels == 1 else (size, size, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def jpeg_bytes(rng, size=16) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(random_image(rng, size, 3)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def img():
    """Image-writing helpers (a fixture, so tests never import conftest by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(save_png=save_png, random_image=random_image, jpeg_bytes=jpeg_bytes)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def class_folder(tmp_path, rng):
    """root/{cat,dog}/... : 3 cats (one nested deeper), 2 dogs, all 8x8 RGB."""
    root = tmp_path / "pets"
    for i in range(2):
        save_png(root / "cat" / f"c{i}.png", random_image(rng))
    save_png(root / "cat" / "nested" / "deep" / "c2.png", random_image(rng))
    for i in range(2):
        save_png(root / "dog" / f"d{i}.png", random_image(rng))
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    save_png(root / ".hidden" / "ignored.png", random_image(rng))
    return root


@pytest.fixture
def corrupt_folder(tmp_path, rng):
    """4 good PNGs, one random-bytes .png and one truncated .jpg."""
    root = tmp_path / "corrupt"
    for i in range(4):
        save_png(root / f"ok{i}.png", random_image(rng))
    (root / "garbage.png").write_bytes(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    full = jpeg_bytes(rng)
    (root / "truncated.jpg").write_bytes(full[: len(full) // 2])
    return root
