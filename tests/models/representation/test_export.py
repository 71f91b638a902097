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


def test_m1_m2_exports_generate_features_and_classify_with_edge_parity(tmp_path):
    """M1 + M2's endpoints go through M1's frozen encoder (features, classify) and decoder (generate)."""
    shape = (8, 8, 1)
    vae = zoo.build("vae", shape, tiny=True, seed=0, latent_dim=3)
    rng = np.random.default_rng(1)
    x = (rng.uniform(0, 1, (64, *shape)) > 0.5).astype("float32")
    vae.fit(x, epochs=1, batch_size=16, verbose=0)
    model = zoo.build("m2_vae", shape, num_classes=3, tiny=True, seed=0, m1=vae)
    assert model.m1_decoder is not None
    export.export_model(model, tmp_path / "bundle", quantize=("float32",), calibration_data=x, grids=False,
                        gate=False)
    bundle = _runner().Bundle(tmp_path / "bundle", "float32")
    assert {"generate", "features", "classify"} <= set(bundle.metadata["signatures"])
    np.testing.assert_allclose(bundle.encode(x[:8], "features")["features"], np.asarray(model.features(x[:8])),
                               atol=1e-4)
    probs = bundle.encode(x[:8], "classify")["probabilities"]
    np.testing.assert_allclose(probs, model.classify(x[:8]).numpy(), atol=1e-5)
    # generate: M2's decoded mean for (z, y), then M1's decoder; the runner feeds the same z and y.
    z = rng.normal(size=(4, model.latent_dim)).astype("float32")
    y = np.array([0, 1, 2, 0], "int32")
    spec = {s["role"]: s["name"] for s in bundle.signature("generate")["inputs"]}
    got = bundle.run("generate", **{spec["latent"]: z, spec["label"]: y.astype(
        next(s["dtype"] for s in bundle.signature("generate")["inputs"] if s["role"] == "label"))})
    np.testing.assert_allclose(next(iter(got.values())), model.decode_latent(z, y).numpy(), atol=1e-4)
