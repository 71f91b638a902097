"""The contract every registered model keeps, checked for each `kgen.zoo` builder.

- one fit epoch changes weights and reports finite metrics, by name;
- `get_config` round-trips, also with non-default hyperparameters, compared by value;
- saved, then loaded in a fresh process after `import kgen` alone, it gives the same outputs;
- the bundle export reproduces it (parity), and so does `model.export(path)` (Keras' own entry
  point, one model per family and data kind: every model inherits the same method);
- samples come from the model's own prior: the sample grid, `generate` and the edge runner draw from it.

Models join by registering a builder in `kgen.zoo`; this file lists none. A
new kind of data (`Builder.data`) adds one entry to `EXAMPLES`.
"""

import copy
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import zoo
from kgen.callbacks import SampleGrid
from kgen.export import bundle as bundle_lib
from kgen.export import inputs as inputs_lib
from kgen.export.savedmodel import call_endpoint, float32_endpoints

ROOT = Path(__file__).resolve().parents[1]
NUM_CLASSES = 3


def _images(rng, n, shape, scale):
    if scale == "sigmoid":
        return (rng.uniform(0, 1, (n, *shape)) > 0.5).astype("float32")
    return rng.uniform(-1, 1, (n, *shape)).astype("float32")


# data kind -> (input_shape, fn(rng, n, builder) -> (x, y or None)).
EXAMPLES = {
    "images": ((16, 16, 1), lambda rng, n, b: (_images(rng, n, (16, 16, 1), b.scale), None)),
    "points": ((2,), lambda rng, n, b: (rng.uniform(-1, 1, (n, 2)).astype("float32"), None)),
    "sequences": ((12, 3), lambda rng, n, b: (rng.uniform(-1, 1, (n, 12, 3)).astype("float32"), None)),
    # Windows of character ids (T + 1 = 13); ids below 16 fit any model's vocabulary.
    "text": ((13,), lambda rng, n, b: (rng.integers(0, 16, (n, 13)).astype("int32"), None)),
    # RGB images (colorization reads their luminance and predicts their colours).
    "color_images": ((16, 16, 3), lambda rng, n, b: (_images(rng, n, (16, 16, 3), b.scale), None)),
    # Image-to-image: (input images, target images); super-resolution: (4x4 low-res, 16x16 high-res).
    "paired": ((16, 16, 1), lambda rng, n, b: (_images(rng, n, (16, 16, 1), b.scale), _images(rng, n, (16, 16, 1), b.scale))),
    "unpaired": ((16, 16, 1), lambda rng, n, b: (_images(rng, n, (16, 16, 1), b.scale), _images(rng, n, (16, 16, 1), b.scale))),
    "super_resolution": ((16, 16, 1), lambda rng, n, b: (_images(rng, n, (4, 4, 1), b.scale), _images(rng, n, (16, 16, 1), b.scale))),
}


def _example(builder, n=16, seed=0):
    rng = np.random.default_rng(seed)
    x, y = EXAMPLES[builder.data][1](rng, n, builder)
    if builder.labels:
        y = (np.arange(n) % NUM_CLASSES).astype("int32")
    return x, y


def _fresh(name):
    builder = zoo.get(name)
    keras.utils.set_random_seed(0)
    kwargs = {"tiny": True, "seed": 1}
    if builder.labels:
        kwargs["num_classes"] = NUM_CLASSES
    return builder, zoo.build(name, EXAMPLES[builder.data][0], **kwargs)


def _fit(model, x, y):
    # Models with several critic steps per train_step split the batch.
    batch = 8 * getattr(model, "d_steps", 1)
    reps = max(1, math.ceil(2 * batch / len(x)))
    x = np.concatenate([x] * reps)
    y = np.concatenate([y] * reps) if y is not None else None
    ds = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x).batch(batch, drop_remainder=True)
    return model.fit(ds, epochs=1, verbose=0, shuffle=False)


MODELS = zoo.names()
_TRAINED = {}


def _trained(name):
    """Each model built and fitted once per session: (builder, model, x, y, history, weights before)."""
    if name not in _TRAINED:
        builder, model = _fresh(name)
        x, y = _example(builder)
        before = [v.numpy().copy() for v in model.trainable_variables]
        history = _fit(model, x, y)
        _TRAINED[name] = (builder, model, x, y, history.history, before)
    return _TRAINED[name]


def _endpoint_inputs(model, endpoint, x, y, n=4, seed=5):
    batch = inputs_lib.sample_inputs(endpoint.inputs, n, np.random.default_rng(seed), images=x)
    for spec in endpoint.inputs:
        if spec.role == "label" and y is not None:
            batch[spec.name] = y[:n].astype(spec.dtype)
    return batch


def _endpoint_outputs(model, x, y):
    out = {}
    for ep in model.export_endpoints():
        feed = _endpoint_inputs(model, ep, x, y)
        result = call_endpoint(ep, ep.network, [feed[s.name] for s in ep.inputs])
        out.update({f"{ep.name}/{k}": np.asarray(v) for k, v in result.items()})
        out.update({f"{ep.name}/in/{k}": v for k, v in feed.items()})
    return out


def test_the_zoo_has_models():
    assert {"dcgan", "wgan_gp", "vae", "autoencoder"} <= set(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_fit_one_epoch_changes_weights_and_reports_metrics_by_name(name):
    _, model, _, _, history, before = _trained(name)
    assert before, f"{name} has no trainable variables"
    assert set(history) == set(model.metric_names()), (name, sorted(history), model.metric_names())
    for key, values in history.items():
        assert np.all(np.isfinite(values)), f"{name}: {key}={values}"
    changed = [np.abs(a - b.numpy()).max() > 0 for a, b in zip(before, model.trainable_variables)]
    assert any(changed), f"{name}: no trainable weight changed"


def _perturbed(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return value + 1
    return value * 0.5 if value else 0.25


def _strip_names(config):
    """Configs compared by value: auto-generated layer names (`dense_12`) are not hyperparameters."""
    text = json.dumps(config, sort_keys=True, default=str)
    return json.loads(text)


@pytest.mark.parametrize("name", MODELS)
def test_config_round_trips_by_value_with_non_default_hyperparameters(name):
    _, model, _, _, _, _ = _trained(name)
    cls = type(model)
    config = model.get_config()
    # Keras' deserialization consumes nested configs: give each call a copy.
    rebuilt = cls.from_config(copy.deepcopy(config))
    assert _strip_names(rebuilt.get_config()) == _strip_names(config)
    changed = []
    for key, value in config.items():
        new = _perturbed(value)
        if new is None or key in ("seed",):
            continue
        try:
            other = cls.from_config(copy.deepcopy({**config, key: new}))
        except (ValueError, TypeError):
            continue  # not a valid value for this model (e.g. a size the networks fix)
        assert other.get_config()[key] == new, (
            f"{name}: {key}={new!r} given to from_config came back as {other.get_config()[key]!r}")
        changed.append(key)
    numeric = [k for k, v in config.items() if _perturbed(v) is not None and k != "seed"]
    if numeric:
        assert changed, f"{name}: no numeric hyperparameter of {numeric} could be changed and round-tripped"


@pytest.fixture(scope="module")
def fresh_process_outputs(tmp_path_factory, request):
    """Save every selected model, then load each in ONE fresh process that imports only kgen."""
    root = tmp_path_factory.mktemp("contract")
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_loads_in_a_fresh_process_after_import_kgen_with_the_same_outputs"]
    jobs = {}
    for name in selected:
        _, model, x, y, _, _ = _trained(name)
        path = root / f"{name}.keras"
        model.save(path)
        expected = _endpoint_outputs(model, x, y)
        feeds = {k: v for k, v in expected.items() if "/in/" in k}
        np.savez(root / f"{name}_in.npz", **feeds)
        jobs[name] = (path, expected)
    script = f"""
import sys, numpy as np, keras
import kgen
from kgen.export.savedmodel import call_endpoint
root = {str(root)!r}
for name in {list(selected)!r}:
    model = keras.saving.load_model(f"{{root}}/{{name}}.keras")
    feeds = dict(np.load(f"{{root}}/{{name}}_in.npz"))
    out = {{}}
    for ep in model.export_endpoints():
        args = [feeds[f"{{ep.name}}/in/{{s.name}}"] for s in ep.inputs]
        out.update({{f"{{ep.name}}/{{k}}": np.asarray(v) for k, v in call_endpoint(ep, ep.network, args).items()}})
    out["_compiled"] = np.asarray(bool(getattr(model, "compiled", False)))
    np.savez(f"{{root}}/{{name}}_out.npz", **out)
    print(name, type(model).__name__, flush=True)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    return root, jobs, run


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_loads_in_a_fresh_process_after_import_kgen_with_the_same_outputs(name, fresh_process_outputs):
    root, jobs, run = fresh_process_outputs
    out_file = root / f"{name}_out.npz"
    assert out_file.exists(), f"{name} did not load in a fresh process:\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
    loaded = dict(np.load(out_file))
    assert bool(loaded.pop("_compiled")), f"{name} loaded uncompiled (its compile state did not round-trip)"
    _, expected = jobs[name]
    outputs = {k: v for k, v in expected.items() if "/in/" not in k}
    assert outputs and set(loaded) == set(outputs)
    for key, value in outputs.items():
        np.testing.assert_allclose(loaded[key], value, atol=1e-5, err_msg=f"{name}: {key}")


def _family(name):
    builder = zoo.get(name)
    return builder.fn.__module__.split(".")[2], builder.data  # kgen.models.<family>.<file>


# Keras' `model.export` is `GenerativeModel.export` for every model (asserted below): it writes the
# same endpoints as the bundle, so one model per family and data kind exercises it (a second
# SavedModel for each of the ~40 models cost ~2 CI minutes).
KERAS_EXPORTED = {_family(name): name for name in reversed(MODELS)}


@pytest.mark.parametrize("name", MODELS)
def test_export_parity_and_keras_export(name, tmp_path):
    from kgen import export
    from kgen.models.core.base import GenerativeModel

    _, model, x, y, _, _ = _trained(name)
    report = export.check_parity(model, tmp_path / "bundle", variants=("float32",), n=4)
    endpoints = report["endpoints"]
    assert set(endpoints) == {ep.name for ep in model.export_endpoints()}
    for ep_name, ep in endpoints.items():
        variant = ep["variants"]["float32"]
        assert variant["max_abs_error"] < 1e-4, (name, ep_name, variant)
    assert type(model).export is GenerativeModel.export, f"{name} overrides export: test its own"
    if KERAS_EXPORTED[_family(name)] != name:
        return
    # Keras' own entry point exports the same endpoints.
    model.export(str(tmp_path / "keras_export"))
    loaded = tf.saved_model.load(str(tmp_path / "keras_export"))
    assert set(loaded.signatures) >= set(endpoints)
    first = model.export_endpoints()[0]
    feed = _endpoint_inputs(model, first, x, y)
    got = loaded.signatures[first.name](**{k: tf.constant(v) for k, v in feed.items()
                                           if k in {s.name for s in first.inputs}})
    want = call_endpoint(first, first.network, [feed[s.name] for s in first.inputs])
    for key, value in want.items():
        np.testing.assert_allclose(got[key].numpy(), np.asarray(value), atol=1e-5)
    assert "serve" in loaded.signatures or "serving_default" in loaded.signatures


def _load_edge_runner():
    spec = importlib.util.spec_from_file_location("kgen_litert", ROOT / "export" / "kgen_litert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", MODELS)
def test_samples_come_from_the_model_prior(name, tmp_path):
    _, model, x, y, _, _ = _trained(name)
    grid = SampleGrid(tmp_path, n=8, seed=3, data=x)
    grid.set_model(model)
    if not model.prior and not hasattr(model, "reconstruct"):
        # No prior and nothing to reconstruct (a language model): its samples are drawn through its
        # own SeedGenerator, the same for a seed, other ones for another seed.
        first, again, other = model.generate(3, seed=3), model.generate(3, seed=3), model.generate(3, seed=4)
        assert len(first) == 3 and first == again and first != other
        return
    if not model.prior:
        # No prior (a deterministic autoencoder): grids show reconstructions of the data.
        images = grid.images()
        assert images is not None and len(images) == 16
        np.testing.assert_allclose(images[1::2], np.asarray(model.reconstruct(x[:8])), atol=1e-6)
        with pytest.raises(ValueError):
            model.generate(4)
        return
    expected = model.prior.numpy_sample(8, np.random.default_rng(3))
    inputs = grid.fixed_inputs()
    assert set(inputs) == set(model.prior.names())
    for key, value in inputs.items():
        if key == "labels":
            np.testing.assert_array_equal(value, np.arange(8) % model.num_classes)
        else:
            np.testing.assert_array_equal(value, expected[key])
    np.testing.assert_allclose(grid.images(), np.asarray(model.generate(inputs)), atol=1e-6)
    # In the graph: `generate(n)` draws from the same prior (values in its support).
    drawn = model.sample_prior(64)
    for key, part in model.prior.parts.items():
        value = np.asarray(drawn[key])
        assert value.shape == (64, *part.event_shape) and value.dtype == np.dtype(part.dtype)
        _assert_in_support(part, value)
    # The edge runner draws the same values from the export metadata for the same seed.
    runner = _load_edge_runner()
    first = model.export_endpoints()[0]
    specs = bundle_lib._signature_metadata(first)["inputs"]  # noqa: SLF001 - what metadata.json holds
    edge = runner.draw_inputs([s for s in specs if s["role"] in ("latent", "label")], 8,
                              np.random.default_rng(3))
    for key, value in expected.items():
        np.testing.assert_array_equal(edge[key], value.astype(edge[key].dtype))


def _assert_in_support(part, value):
    kind = part.metadata()["type"]
    if kind == "categorical":
        assert value.min() >= 0 and value.max() < part.num_classes
    elif kind == "one_hot_categorical":
        np.testing.assert_array_equal(value.reshape(len(value), part.num_variables, -1).sum(-1), 1)
    elif kind == "concat":
        start = 0
        for sub, size in zip(part.parts, part.sizes):
            _assert_in_support(sub, value[:, start:start + size])
            start += size
    elif kind == "uniform":
        assert value.min() >= part.low and value.max() <= part.high
    elif kind == "bernoulli":
        assert set(np.unique(value)) <= {0.0, 1.0}
    else:
        assert np.isfinite(value).all()


@pytest.mark.parametrize("name", MODELS)
def test_trains_under_mixed_bfloat16_with_float32_losses_samples_and_export(name, tmp_path):
    """bfloat16 compute, float32 weights, losses and samples, no loss scaling; exports in float32."""
    builder = zoo.get(name)
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        _, model = _fresh(name)
    finally:
        keras.config.set_dtype_policy("float32")
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    for opt in [getattr(model, a, None) for a in ("optimizer", "d_optimizer", "g_optimizer")]:
        assert not isinstance(opt, keras.optimizers.LossScaleOptimizer), f"{name}: bfloat16 needs no loss scaling"
    x, y = _example(builder)
    batch = 8 * getattr(model, "d_steps", 1)
    x = np.concatenate([x] * math.ceil(batch / len(x)))[:batch]
    y = None if y is None else np.concatenate([y] * math.ceil(batch / len(y)))[:batch]
    # The step run eagerly: the same ops and dtypes as the compiled step that the fit test above traces
    # for every model in float32 (tracing it again in bfloat16 cost ~1 CI minute).
    before = [v.numpy().copy() for v in model.trainable_variables]
    logs = model.train_step((tf.constant(x), tf.constant(y)) if y is not None else tf.constant(x))
    assert logs and all(np.all(np.isfinite(np.asarray(v))) for v in logs.values()), (name, logs)
    assert all(np.asarray(v).dtype == np.float32 for v in logs.values()), (name, logs)
    assert any(np.abs(a - v.numpy()).max() > 0 for a, v in zip(before, model.trainable_variables)), name
    if model.prior:
        assert np.asarray(model.generate(3)).dtype == np.float32
    # What the export writes: every endpoint's network cloned to float32 (writing the SavedModel
    # itself is the export test's, above; here it would double the contract's cost).
    for exported in float32_endpoints(model.export_endpoints()):
        assert all(w.dtype == "float32" for w in exported.network.weights), (name, exported.name)
        mixed = [layer.name for layer in exported.network._flatten_layers()  # noqa: SLF001
                 if getattr(getattr(layer, "dtype_policy", None), "compute_dtype", "float32") != "float32"]
        assert not mixed, (name, exported.name, mixed[:5])
        feed = _endpoint_inputs(model, exported, x, y)
        got = call_endpoint(exported, exported.network, [feed[s.name] for s in exported.inputs])
        assert all(np.asarray(v).dtype == np.float32 for v in got.values()
                   if np.issubdtype(np.asarray(v).dtype, np.floating)), (name, exported.name)
