"""The diffusion recipes run end to end in --smoke mode (in-process)."""

import importlib.util
import sys
from pathlib import Path

import pytest
from PIL import Image

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
CASES = {
    "ddpm_ho2020_mnist.py": (["samples_ddpm20", "samples_ddim50", "strip_ddpm"], "bits/dim"),
    "ddim_song2021_mnist.py": (["ddim_steps_10_20_50_100", "ddim_eta_0_05_1", "interpolation", "inversion"],
                               "DDIM inversion"),
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


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(CASES))
def test_recipe_smoke(script, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert _load(script).main(["--smoke", "--run-dir", str(run_dir)]) == 0
    names, printed = CASES[script]
    for name in names:
        assert Image.open(run_dir / f"{name}.png").size[0] > 8, name
    assert (run_dir / "model.keras").exists()
    assert printed in capsys.readouterr().out
