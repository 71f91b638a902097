"""The autoencoder/VAE recipes run end to end in --smoke mode (in-process: one TensorFlow import)."""

import importlib.util
import sys
from pathlib import Path

import pytest
from PIL import Image

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
CASES = {
    "vae_kingma2014_mnist.py": ["reconstructions", "interpolation", "traversal", "manifold"],
    "iwae_burda2016_mnist.py": ["reconstructions", "interpolation"],
    "betavae_higgins2017_digits.py": ["reconstructions", "traversal"],
    "gumbelvae_jang2017_mnist.py": ["reconstructions", "samples"],
    "vqvae_vandenoord2017_digits.py": ["reconstructions", "samples"],
    "dae_vincent2008_mnist.py": ["reconstructions", "sample_chain"],
    "sparseae_ng2011_digits.py": ["reconstructions", "features"],
    "stackedae_hinton2006_digits.py": ["reconstructions", "interpolation"],
}


def _load(script):
    sys.path.insert(0, str(RECIPES))
    try:
        spec = importlib.util.spec_from_file_location(script[:-3], RECIPES / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(RECIPES))


@pytest.mark.parametrize("script", sorted(CASES))
def test_recipe_smoke(script, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert _load(script).main(["--smoke", "--run-dir", str(run_dir)]) == 0
    for name in CASES[script]:
        assert Image.open(run_dir / f"{name}.png").size[0] > 8, name
    assert (run_dir / "model.keras").exists()
    out = capsys.readouterr().out
    assert "reconstructions:" in out
