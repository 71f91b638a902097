"""Every autoencoder/VAE zoo builder under MirroredStrategy on 2 logical CPUs.

One subprocess (logical devices are fixed when TF starts). For each builder
(tiny=True, plus the VQ-VAE with EMA codebook updates): two SGD steps on 2
replicas must move the weights, keep the losses finite, and land on the
weights that two steps on ONE device reach from the same initial weights on
the same global batches. That equality holds for every model here because
(a) per-example losses are local-batch means turned into global-batch means
by `kgen.distribute.scale_loss`; (b) every noise (dynamic binarization,
posterior samples, Gumbel noise, denoising corruption) is drawn for the
global batch from the model's seed generator and sliced per replica, so
replicas see exactly the noise one device sees; (c) batch statistics that
enter nonlinearly (the sparse AE's mean activation in its KL penalty, the
VQ-VAE's EMA counts and sums) are all-reduced over replicas
(`kgen.models.replica_ops`). Only float summation order differs.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, time
    import numpy as np, tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kgen import distribute, zoo

    CASES = ["autoencoder", "conv_autoencoder", "sparse_autoencoder", "denoising_autoencoder",
             "contractive_autoencoder", "stacked_autoencoder", "sequence_autoencoder", "vae",
             "conv_vae", "beta_vae", "cvae", "iwae", "gumbel_vae", "vqvae", "vqvae_ema"]
    SHAPES = {"images": (8, 8, 1), "sequences": (6, 3)}
    rng = np.random.default_rng(0)
    images = rng.random((16, 8, 8, 1)).astype("float32")  # [0, 1]: binarized where a model does
    seqs = rng.uniform(-1, 1, (16, 6, 3)).astype("float32")
    seqs[::2, 4:] = 0.0  # variable lengths: padded (masked) tail steps
    labels = (np.arange(16) % 3).astype("int32")
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
    default = distribute.get_strategy("default")

    def build(case):
        name, extra = ("vqvae", {"ema": True}) if case == "vqvae_ema" else (case, {})
        builder = zoo.get(name)
        if builder.labels:
            extra["num_classes"] = 3
        keras.utils.set_random_seed(0)
        model = zoo.build(name, SHAPES[builder.data], tiny=True, seed=3, **extra)
        model.compile(optimizer=keras.optimizers.SGD(0.05))
        data = seqs if builder.data == "sequences" else images
        ds = tf.data.Dataset.from_tensor_slices((data, labels) if builder.labels else data)
        return model, ds.batch(8)  # 2 steps of global batch 8 (4 per replica)

    out = {}
    for case in CASES:
        t0 = time.time()
        model, ds = build(case)
        init = model.get_weights()
        model.fit(ds, epochs=1, verbose=0, shuffle=False)
        single = [v.numpy() for v in model.trainable_variables + model.non_trainable_variables]
        with mirrored.scope():
            model, ds = build(case)
        model.set_weights(init)
        start = [v.numpy() for v in model.trainable_variables]
        hist = model.fit(ds, epochs=1, verbose=0, shuffle=False)
        after = [v.numpy() for v in model.trainable_variables + model.non_trainable_variables]
        moved = max(float(np.abs(a - v.numpy()).max()) for a, v in zip(start, model.trainable_variables))
        out[case] = {
            "err": max(float(np.abs(a - b).max()) for a, b in zip(single, after)),
            "moved": moved,
            "finite": bool(all(np.all(np.isfinite(v)) for v in hist.history.values())),
            "metrics": sorted(hist.history),
            "s": round(time.time() - t0, 1),
        }
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def results():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                          timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert lines, proc.stderr[-4000:]
    return json.loads(lines[-1][len("RESULT"):])


@pytest.mark.slow
def test_every_ae_vae_builder_fits_under_mirrored_and_matches_one_device(results):
    from kgen import zoo

    # Every AE/VAE builder is covered (a new one must be added to CASES).
    family = {n for n in zoo.names() if zoo.get(n).fn.__module__.split(".")[-1] in
              ("autoencoder", "sparse", "denoising", "contractive", "stacked", "sequence", "vae",
               "iwae", "gumbel", "vqvae")}
    assert family and family <= set(results), sorted(family - set(results))
    for case, r in results.items():
        assert r["finite"], (case, r)
        assert "loss" in r["metrics"], (case, r)
        assert r["moved"] > 1e-4, f"{case}: the steps did not move the weights ({r})"
        # Same initial weights, same global batches, same noise, SGD: the
        # 2-replica steps equal the one-device steps up to float summation order.
        assert r["err"] < 1e-5, f"{case}: 2 replicas differ from one device by {r['err']:.2e}"
