"""Every representation model under MirroredStrategy on 2 logical CPUs moves every weight as one device does.

One subprocess (logical devices are fixed when TF starts). For each zoo
builder (tiny): two SGD steps of global batch 8 on 2 replicas land on the
weights two steps on ONE device reach from the same initial weights. This
holds because the pretext draws (jigsaw permutations and tile offsets,
context-prediction positions and jitter, M2's posterior noise) are drawn for
the global batch and sliced per replica, and labelled-only means (M2's and
DANN's classification terms) divide by the GLOBAL number of labelled
examples: the labelled examples are split 3 / 1 between the replicas here, so
a per-replica mean would give other weights.
"""

import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np, tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kgen import distribute, zoo

    rng = np.random.default_rng(0)
    gray = rng.uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    colour = rng.uniform(-1, 1, (16, 16, 16, 3)).astype("float32")
    binary = (rng.uniform(0, 1, (16, 16, 16, 1)) > 0.5).astype("float32")
    # Labelled examples split 3 / 1 between the two replicas of each global batch of 8.
    masked = np.array([0, 1, 2, -1, -1, -1, -1, 1] * 2, "int32")
    CASES = {"rotnet": (gray, None), "jigsaw": (gray, None), "context_prediction": (gray, None),
             "colorization": (colour, None), "context_encoder": (gray, None), "m2_vae": (binary, masked),
             "dann": (gray, masked)}
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])

    def build(name):
        x, y = CASES[name]
        extra = {"num_classes": 3} if y is not None else {}
        keras.utils.set_random_seed(0)
        model = zoo.build(name, x.shape[1:], tiny=True, seed=3, **extra)
        if name == "context_encoder":
            model.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.001))
        else:
            model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9 if name == "dann" else 0.0))
        ds = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x)
        return model, ds.batch(8)

    out = {}
    for name in CASES:
        model, ds = build(name)
        init = model.get_weights()
        model.fit(ds, epochs=1, verbose=0, shuffle=False)
        single = [v.numpy() for v in model.trainable_variables]
        with mirrored.scope():
            model, ds = build(name)
        model.set_weights(init)
        start = [v.numpy() for v in model.trainable_variables]
        hist = model.fit(ds, epochs=1, verbose=0, shuffle=False)
        after = [v.numpy() for v in model.trainable_variables]
        out[name] = {
            "err": max(float(np.abs(a - b).max()) for a, b in zip(single, after)),
            "moved": min(float(np.abs(a - b).max()) for a, b in zip(start, after)),
            "finite": bool(all(np.all(np.isfinite(v)) for v in hist.history.values())),
        }
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def results(result_script):
    return result_script(SCRIPT, timeout=900, quiet_cpu=True, stderr_tail=4000)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rotnet", "jigsaw", "context_prediction", "colorization", "context_encoder",
                                  "m2_vae", "dann"])
def test_two_replicas_move_every_weight_as_one_device(results, name):
    r = results[name]
    assert r["finite"], r
    assert r["moved"] > 0, f"{name}: some trainable weight did not move on 2 replicas: {r}"
    assert r["err"] < 2e-5, f"{name}: 2 replicas differ from one device by {r['err']}"
