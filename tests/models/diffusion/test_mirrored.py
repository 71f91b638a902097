"""DDPM under MirroredStrategy on 2 logical CPUs: two steps on 2 replicas equal two steps on one device.

One subprocess (logical devices are fixed when TF starts). The equality holds
because the timesteps, the noise and the label drops are drawn for the global
batch from the model's seed generator and sliced per replica, GroupNorm has
no batch statistics, the loss is the replica's share of the global-batch mean,
and the EMA of the (mirrored, identical) weights is assigned per device from
cross-replica context. Every weight is compared, the EMA weights included.
"""

import json
import os
import subprocess
import sys
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
    images = rng.uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    labels = (np.arange(16) % 3).astype("int32")
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])

    def build(name, extra):
        keras.utils.set_random_seed(0)
        model = zoo.build(name, (8, 8, 1), tiny=True, seed=3, num_timesteps=50, **extra)
        model.compile(optimizer=keras.optimizers.SGD(0.05))
        ds = tf.data.Dataset.from_tensor_slices((images, labels) if "num_classes" in extra else images)
        return model, ds.batch(8)  # 2 steps of global batch 8 (4 per replica)

    out = {}
    for name, extra in (("ddpm", {"prediction": "v"}), ("cddpm", {"num_classes": 3, "p_uncond": 0.5})):
        model, ds = build(name, extra)
        init = model.get_weights()
        model.fit(ds, epochs=1, verbose=0, shuffle=False)
        single = [v.numpy() for v in model.weights]
        ema_moved = max(float(np.abs(a - b).max()) for a, b in
                        zip(init, [v.numpy() for v in model.weights]))
        with mirrored.scope():
            model, ds = build(name, extra)
        model.set_weights(init)
        hist = model.fit(ds, epochs=1, verbose=0, shuffle=False)
        after = [v.numpy() for v in model.weights]
        out[name] = {
            "err": max(float(np.abs(a - b).max()) for a, b in zip(single, after)),
            "moved": ema_moved,
            "n_weights": len(after),
            "finite": bool(np.all(np.isfinite(hist.history["loss"]))),
        }
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.slow
def test_ddpm_steps_on_two_replicas_equal_one_device():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=1200)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert lines, proc.stderr[-4000:]
    results = json.loads(lines[-1][len("RESULT"):])
    for name, r in results.items():
        assert r["finite"] and r["moved"] > 1e-4, (name, r)
        assert r["err"] < 1e-5, f"{name}: 2 replicas differ from one device by {r['err']:.2e} ({r})"
