"""A process of the distribution tests (run as a script; not collected by pytest).

Usage:
    python _worker.py mirrored OUT.npz [d_steps]   # 2 logical CPUs vs one device
    python _worker.py multiworker OUT.npz          # one worker of a TF_CONFIG cluster
    python _worker.py multiworker_critics OUT.npz  # WGAN and WGAN-GP, 5 critic steps, one worker
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

MODE, OUT = sys.argv[1], sys.argv[2]
D_STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
if MODE == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from kgen import distribute, training  # noqa: E402
from kgen.models import GAN  # noqa: E402
from kgen.networks import build_dcgan_discriminator, build_dcgan_generator  # noqa: E402

SHAPE = (8, 8, 1)


def make(norm):
    keras.utils.set_random_seed(1)
    gen = build_dcgan_generator(8, SHAPE, base_filters=8, norm=norm)
    disc = build_dcgan_discriminator(SHAPE, base_filters=8, norm=norm)
    gan = GAN(gen, disc, latent_dim=8, seed=3, d_steps=D_STEPS)
    # Plain SGD: the weight change of one step is -lr * gradient.
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    return gan


def weights(gan):
    return {f"{i}": v.numpy() for i, v in enumerate(gan.generator.weights + gan.discriminator.weights)}


def data(n=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + SHAPE).astype("float32")


if MODE == "mirrored":
    x = data()
    results = {}
    for norm in ("layer", None):
        ds = tf.data.Dataset.from_tensor_slices(x).batch(16)
        single = make(norm)
        single.fit(ds, epochs=1, verbose=0, shuffle=False)
        strategy = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
        with strategy.scope():
            mirrored = make(norm)
        mirrored.fit(ds, epochs=1, verbose=0, shuffle=False)
        start = make(norm)
        for k, v in weights(single).items():
            results[f"{norm}/single/{k}"] = v
        for k, v in weights(mirrored).items():
            results[f"{norm}/mirrored/{k}"] = v
        for k, v in weights(start).items():
            results[f"{norm}/start/{k}"] = v
    np.savez(OUT, **results)
elif MODE == "multiworker":
    strategy = distribute.get_strategy("multiworker")
    with strategy.scope():
        gan = make("layer")
    # Same data on every worker; the strategy shards it.
    ds = tf.data.Dataset.from_tensor_slices(data(64)).batch(16, drop_remainder=True)
    history = training.train(gan, ds, epochs=2, steps_per_epoch=2, verbose=0)
    initial = {f"init_{k}": v for k, v in weights(make("layer")).items()}
    np.savez(OUT, d_iterations=gan.d_optimizer.iterations.numpy(),
             epochs=len(history.history["d_loss"]), **weights(gan), **initial)
elif MODE == "multiworker_critics":
    # Six optimizer updates per step (5 critic + 1 generator), each all-reducing
    # its gradients across the workers.
    from kgen import zoo  # noqa: E402

    strategy = distribute.get_strategy("multiworker")
    results = {}
    for name in ("wgan", "wgan_gp"):
        keras.utils.set_random_seed(1)
        with strategy.scope():
            gan = zoo.build(name, SHAPE, tiny=True, d_steps=5, seed=3)
        # Trainable weights: batch-norm statistics are per replica (as in Keras).
        trainable = lambda: {f"{i}": v.numpy() for i, v in enumerate(gan.trainable_variables)}  # noqa: E731
        init = trainable()
        ds = tf.data.Dataset.from_tensor_slices(data(160)).batch(40, drop_remainder=True)
        history = training.train(gan, ds, epochs=2, steps_per_epoch=2, verbose=0)
        results[f"{name}/d_iterations"] = gan.d_optimizer.iterations.numpy()
        results[f"{name}/g_iterations"] = gan.g_optimizer.iterations.numpy()
        results[f"{name}/finite"] = np.all([np.isfinite(v) for v in history.history["d_loss"]])
        for k, v in trainable().items():
            results[f"{name}/w/{k}"] = v
            results[f"{name}/init/{k}"] = init[k]
    np.savez(OUT, **results)
else:
    raise SystemExit(f"unknown mode {MODE!r}")
