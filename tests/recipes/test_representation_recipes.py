"""The representation-learning recipes run end to end in --smoke mode (in-process: one TensorFlow import)."""

import pytest
from PIL import Image

CASES = {
    "rotnet_gidaris2018_digits.py": (["upright"], "linear probe accuracy:"),
    "context_doersch2015_digits.py": (["placed_patches"], "linear probe accuracy:"),
    "jigsaw_noroozi2016_digits.py": (["solved_puzzles"], "linear probe accuracy:"),
    "inpainting_pathak2016_mnist.py": (["inpainted"], "linear probe accuracy:"),
    "colorization_zhang2016_photos.py": (["colorized"], "mean ab error (test):"),
    "m2vae_kingma2014_digits.py": (["reconstructions"], "M2 test error:"),
    "dann_ganin2016_digits.py": (["target_predictions"], "gain:"),
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_recipe_smoke(script, tmp_path, capsys, recipe_smoke):
    images, line = CASES[script]
    recipe_smoke(script, tmp_path / "run", images)
    assert line in capsys.readouterr().out


def test_dann_recipe_draws_the_two_moons_decision_boundary(tmp_path, capsys, recipe_loader):
    run_dir = tmp_path / "moons"
    assert recipe_loader("dann_ganin2016_digits.py").main(["--smoke", "--moons", "--run-dir", str(run_dir)]) == 0
    for name in ("boundary_source_only", "boundary_dann"):
        assert Image.open(run_dir / f"{name}.png").size[0] > 100
    assert "gain:" in capsys.readouterr().out
