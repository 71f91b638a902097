"""The GAN-family recipes run end to end in --smoke mode (in-process: one TensorFlow import for all)."""

import importlib
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
RECIPES = [
    "gan_goodfellow2014_ring8",
    "cgan_mirza2014_digits",
    "infogan_chen2016_digits",
    "wgan_arjovsky2017_digits",
    "wgangp_gulrajani2017_digits",
    "unrolled_metz2017_ring8",
    "unrolled_metz2017_grid25",
    "improved_salimans2016_digits",
]


@pytest.mark.parametrize("name", RECIPES)
def test_gan_recipe_smoke(name, tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "recipes"))
    try:
        module = importlib.import_module(name)
        run_dir = tmp_path / "run"
        assert module.main(["--smoke", "--run-dir", str(run_dir)]) == 0
    finally:
        sys.path.remove(str(ROOT / "recipes"))
    out = capsys.readouterr().out
    paths = [line.split("samples: ", 1)[1].strip() for line in out.splitlines() if line.startswith("samples: ")]
    assert paths and paths[-1] != "None", out
    png = Image.open(paths[-1])
    assert png.size[0] > 8 and png.size[1] > 8
    assert (run_dir / "model.keras").exists()
    assert module.__doc__ and "arxiv.org" in module.__doc__


def test_cgan_recipe_projection_option(tmp_path):
    sys.path.insert(0, str(ROOT / "recipes"))
    try:
        module = importlib.import_module("cgan_mirza2014_digits")
        assert module.main(["--smoke", "--run-dir", str(tmp_path / "run"), "--conditioning", "projection"]) == 0
    finally:
        sys.path.remove(str(ROOT / "recipes"))
