"""Shared helpers for the recipe smoke tests: load a recipe script in-process and check its outputs."""

import importlib.util
import sys
from pathlib import Path

import pytest
from PIL import Image

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def load_recipe(script):
    """Import recipes/<script> as a module (with recipes/ on sys.path, for recipes/_recipe.py)."""
    sys.path.insert(0, str(RECIPES))
    try:
        spec = importlib.util.spec_from_file_location(script[:-3], RECIPES / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(RECIPES))


def run_smoke(script, run_dir, images=(), *extra):
    """Run a recipe's main in --smoke mode into run_dir; check it returns 0, writes each image
    (wider than 8 px) and model.keras."""
    assert load_recipe(script).main(["--smoke", *extra, "--run-dir", str(run_dir)]) == 0
    for name in images:
        assert Image.open(run_dir / f"{name}.png").size[0] > 8, name
    assert (run_dir / "model.keras").exists()


@pytest.fixture
def recipe_loader():
    """The recipe loader, for tests (the suite imports test files with --import-mode=importlib)."""
    return load_recipe


@pytest.fixture
def recipe_smoke():
    """run_smoke(script, run_dir, images=(), *extra) as a fixture."""
    return run_smoke
