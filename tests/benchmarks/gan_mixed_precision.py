"""Step time of WGAN-GP and DCGAN in float32 vs mixed_float16 (run it on a GPU).

Each GAN optimizer is wrapped in its own LossScaleOptimizer under
mixed_float16 (`GAN.compile`); the gradient penalty is computed in float32.
On a CPU mixed precision is slower (no float16 units): the figures only
mean something on a GPU with tensor cores.

    python tests/benchmarks/gan_mixed_precision.py [--image-size 64] [--steps 50]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kgen  # noqa: E402


def step_time(name, policy, size, batch, steps):
    keras.config.set_dtype_policy(policy)
    try:
        gan = kgen.zoo.build(name, (size, size, 1), seed=0)
        x = np.random.default_rng(0).uniform(-1, 1, (batch * gan.d_steps, size, size, 1)).astype("float32")
        ds = tf.data.Dataset.from_tensors(x).repeat()
        gan.fit(ds, steps_per_epoch=5, epochs=1, verbose=0)
        t0 = time.perf_counter()
        hist = gan.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0).history
        ms = (time.perf_counter() - t0) / steps * 1e3
        finite = all(np.isfinite(v[-1]) for v in hist.values())
    finally:
        keras.config.set_dtype_policy("float32")
    return ms, finite


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=50)
    args = p.parse_args()
    device = "GPU" if tf.config.list_logical_devices("GPU") else "CPU (figures not meaningful)"
    print(f"device: {device}; {args.image_size}x{args.image_size}, batch {args.batch_size} per critic step")
    print("| model | float32 ms/step | mixed_float16 ms/step | speed-up | losses finite (mixed) |")
    print("|---|---|---|---|---|")
    for name in ("dcgan", "wgan_gp"):
        f32, _ = step_time(name, "float32", args.image_size, args.batch_size, args.steps)
        f16, finite = step_time(name, "mixed_float16", args.image_size, args.batch_size, args.steps)
        print(f"| {name} | {f32:.1f} | {f16:.1f} | {f32 / f16:.2f}x | {finite} |")


if __name__ == "__main__":
    main()
