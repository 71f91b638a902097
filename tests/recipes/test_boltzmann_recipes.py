"""The Boltzmann-machine recipes run end to end in --smoke mode (in-process)."""

import sys
from pathlib import Path

import pytest
from PIL import Image

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
CASES = {
    "rbm_hinton2002_mnist.py": (["filters", "chains", "reconstructions"], "test log-likelihood"),
    "rbm_tieleman2008_mnist.py": (["filters", "chains", "reconstructions"], "test log-likelihood"),
    "dbn_hinton2006_mnist.py": (["filters", "samples", "chains", "autoencoder/reconstructions"], "test lower bound"),
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_recipe_smoke(script, tmp_path, capsys, recipe_loader):
    run_dir = tmp_path / "run"
    sys.path.insert(0, str(RECIPES))  # the PCD recipe imports the CD one
    try:
        assert recipe_loader(script).main(["--smoke", "--run-dir", str(run_dir)]) == 0
    finally:
        sys.path.remove(str(RECIPES))
    pngs, line = CASES[script]
    for name in pngs:
        assert Image.open(run_dir / f"{name}.png").size[0] > 8, name
    assert (run_dir / "model.keras").exists() or (run_dir / "autoencoder" / "model.keras").exists()
    out = capsys.readouterr().out
    assert line in out
    value = float(out.split(line)[1].split()[0])
    assert -200 < value < 0, out  # nats on 8x8 binary digits
    if script.startswith("rbm_"):  # PCD's rate decays linearly to 0 over the run (Tieleman), CD's is constant
        final = float(out.split("after training ")[1].split()[0])
        assert final == (0.0 if "tieleman" in script else 0.05), out
