"""Every encoder of the family exports a `features` endpoint that the no-TensorFlow edge runner reproduces."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kgen import export, zoo

ROOT = Path(__file__).resolve().parents[3]
CASES = {"rotnet": (16, 16, 1), "jigsaw": (16, 16, 1), "context_prediction": (16, 16, 1),
         "context_encoder": (16, 16, 1), "colorization": (16, 16, 3), "m2_vae": (16, 16, 1), "dann": (16, 16, 3)}


def _runner():
    spec = importlib.util.spec_from_file_location("kgen_litert", ROOT / "export" / "kgen_litert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(CASES))
def test_features_endpoint_exports_and_runs_on_the_edge_runner(name, tmp_path):
    shape = CASES[name]
    extra = {"num_classes": 3} if zoo.get(name).labels else {}
    model = zoo.build(name, shape, tiny=True, seed=0, **extra)
    rng = np.random.default_rng(0)
    low = 0.0 if name == "m2_vae" else -1.0
    x = rng.uniform(low, 1.0, (128, *shape)).astype("float32")
    export.export_model(model, tmp_path / "bundle", quantize=("float32", "int8"), endpoints=["features"],
                        calibration_data=x, grids=False, gate=False)
    runner = _runner()
    want = np.asarray(model.features(x[:8]))
    got = runner.Bundle(tmp_path / "bundle", "float32").encode(x[:8], "features")["features"]
    np.testing.assert_allclose(got, want, atol=1e-4)
    int8 = runner.Bundle(tmp_path / "bundle", "int8").encode(x[:8], "features")["features"]
    scale = np.abs(want).max() + 1e-6
    assert np.abs(int8 - want).max() < 0.25 * scale, (name, np.abs(int8 - want).max(), scale)
