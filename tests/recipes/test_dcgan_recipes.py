"""The DCGAN recipes run end to end in --smoke mode."""

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT.parent / "shared" / "data" / "mnist7k.npz"


def _smoke(script, tmp_path, *extra):
    run_dir = tmp_path / "run"
    out = subprocess.run([sys.executable, str(ROOT / "recipes" / script), "--smoke", "--run-dir",
                          str(run_dir), *extra], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    grid = run_dir / "samples" / "epoch_0001.png"
    assert Image.open(grid).size[0] > 8
    assert (run_dir / "model.keras").exists()


def test_dcgan_digits_recipe_smoke(tmp_path):
    _smoke("dcgan_radford2015_digits.py", tmp_path)


def test_dcgan_mnist_recipe_smoke(tmp_path):
    assert MNIST.exists(), f"{MNIST} is missing: CI places ../shared beside the repository"
    _smoke("dcgan_radford2015_mnist.py", tmp_path, "--npz", str(MNIST))
