"""The diffusion recipes run end to end in --smoke mode (in-process)."""

import pytest

CASES = {
    "ddpm_ho2020_mnist.py": (["samples_ddpm20", "samples_ddim50", "strip_ddpm"], "bits/dim"),
    "ddim_song2021_mnist.py": (["ddim_steps_10_20_50_100", "ddim_quadratic_10_20_50", "ddim_eta_0_05_1",
                                "interpolation", "inversion"], "DDIM inversion"),
}


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(CASES))
def test_recipe_smoke(script, tmp_path, capsys, recipe_smoke):
    names, printed = CASES[script]
    recipe_smoke(script, tmp_path / "run", names)
    assert printed in capsys.readouterr().out
