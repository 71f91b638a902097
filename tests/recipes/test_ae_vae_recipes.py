"""The autoencoder/VAE recipes run end to end in --smoke mode (in-process: one TensorFlow import)."""

import pytest

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


@pytest.mark.parametrize("script", sorted(CASES))
def test_recipe_smoke(script, tmp_path, capsys, recipe_smoke):
    recipe_smoke(script, tmp_path / "run", CASES[script])
    out = capsys.readouterr().out
    assert "reconstructions:" in out
