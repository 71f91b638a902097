"""Contract every registered model keeps: fit a step, weights change, config round-trip, export parity.

Models join by registering a builder in `kgen.zoo`; this file lists none.
"""

import keras
import numpy as np
import pytest

from kgen import zoo

# A small example of each kind of data a builder can declare.
EXAMPLE_SHAPES = {"images": (16, 16, 1), "points": (2,), "sequences": (12, 3)}
NUM_CLASSES = 3


def _example(builder, n=16, seed=0):
    rng = np.random.default_rng(seed)
    shape = EXAMPLE_SHAPES[builder.data]
    if builder.scale == "sigmoid":
        x = (rng.uniform(0, 1, (n,) + shape) > 0.5).astype("float32")
    else:
        x = rng.uniform(-1, 1, (n,) + shape).astype("float32")
    y = (np.arange(n) % NUM_CLASSES).astype("int32") if builder.labels else None
    return x, y


def _build(name):
    builder = zoo.get(name)
    keras.utils.set_random_seed(0)
    kwargs = {"tiny": True, "seed": 1}
    if builder.labels:
        kwargs["num_classes"] = NUM_CLASSES
    return builder, zoo.build(name, EXAMPLE_SHAPES[builder.data], **kwargs)


def _fit(model, x, y):
    import tensorflow as tf

    # Models with several critic steps per train_step split the batch.
    batch = 8 * getattr(model, "d_steps", 1)
    if len(x) < 2 * batch:
        reps = -(-2 * batch // len(x))
        x = np.concatenate([x] * reps)
        y = np.concatenate([y] * reps) if y is not None else None
    ds = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x).batch(batch, drop_remainder=True)
    return model.fit(ds, epochs=1, verbose=0, shuffle=False)


MODELS = zoo.names()


def test_the_zoo_has_models():
    assert "dcgan" in MODELS


@pytest.mark.parametrize("name", MODELS)
def test_fit_one_epoch_changes_weights(name):
    builder, model = _build(name)
    x, y = _example(builder)
    before = [v.numpy().copy() for v in model.trainable_variables]
    assert before, f"{name} has no trainable variables"
    history = _fit(model, x, y)
    assert history.history, f"{name} reported no metrics"
    for key, values in history.history.items():
        assert np.all(np.isfinite(values)), f"{name}: {key}={values}"
    changed = [np.abs(a - b.numpy()).max() > 0 for a, b in zip(before, model.trainable_variables)]
    assert any(changed), f"{name}: no trainable weight changed"


@pytest.mark.parametrize("name", MODELS)
def test_config_round_trip_through_save_and_load(name, tmp_path):
    builder, model = _build(name)
    x, y = _example(builder)
    _fit(model, x, y)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config().keys() == model.get_config().keys()
    if hasattr(model, "latent_dim") and hasattr(model, "decode_latent"):
        z = np.random.default_rng(2).standard_normal((4, model.latent_dim)).astype("float32")
        labels = np.arange(4, dtype="int32") % NUM_CLASSES if getattr(model, "num_classes", None) else None
        np.testing.assert_allclose(np.asarray(loaded.decode_latent(z, labels)),
                                   np.asarray(model.decode_latent(z, labels)), atol=1e-5)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", MODELS)
def test_export_parity(name, tmp_path):
    from kgen import export

    builder, model = _build(name)
    x, y = _example(builder)
    _fit(model, x, y)
    report = export.check_parity(model, tmp_path / "bundle", variants=("float32",), n=4)
    endpoints = report["endpoints"]
    assert endpoints, f"{name} exported no endpoint"
    for ep_name, ep in endpoints.items():
        variant = ep["variants"]["float32"]
        assert variant["max_abs_error"] < 1e-4, (name, ep_name, variant)
