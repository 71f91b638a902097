"""The image-to-image recipes run end to end in --smoke mode (in-process)."""

import importlib
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ["pix2pix_isola2017_edges2digits", "cyclegan_zhu2017_digits2inverted", "srgan_ledig2017_digits"]


@pytest.mark.parametrize("name", RECIPES)
def test_translation_recipe_smoke(name, tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "recipes"))
    try:
        module = importlib.import_module(name)
        assert module.main(["--smoke", "--run-dir", str(tmp_path / "run")]) == 0
    finally:
        sys.path.remove(str(ROOT / "recipes"))
    out = capsys.readouterr().out
    paths = [line.split("samples: ", 1)[1].strip() for line in out.splitlines() if line.startswith("samples: ")]
    assert paths and paths[-1] != "None", out
    assert Image.open(paths[-1]).size[0] > 16
    assert "PSNR" in out or "cycle L1" in out
    assert list((tmp_path / "run").rglob("model.keras"))
    assert module.__doc__ and "arxiv.org" in module.__doc__
