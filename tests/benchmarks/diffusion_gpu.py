"""GPU throughput of kgen's DDPM at 32x32, batch 256: training images/s (float32, mixed precision, XLA) and
sampling images/s at 50 DDIM steps.

One prepared script for a lent GPU (at most ~8 minutes with the defaults): for
each mode it builds the 32x32 U-Net (base 64, levels 32-16-8-4, attention at
8x8), traces and warms up, times `--steps` train steps on synthetic device
data, then times DDIM-50 sampling of one batch (after a warm-up batch). CI
never runs it.

Usage:
    python tests/benchmarks/diffusion_gpu.py [--steps 30] [--batch 256] [--size 32]
        [--modes float32 mixed_float16 mixed_bfloat16 xla] [--out results.json]
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = {"float32": ("float32", False), "mixed_float16": ("mixed_float16", False),
         "mixed_bfloat16": ("mixed_bfloat16", False), "xla": ("float32", True),
         "xla_mixed_float16": ("mixed_float16", True)}


def run_one(mode, args):
    import keras
    import numpy as np
    import tensorflow as tf

    import kgen

    policy, jit = MODES[mode]
    keras.config.set_dtype_policy(policy)
    try:
        model = kgen.zoo.build("ddpm", (args.size, args.size, 1), seed=0, jit_compile=jit)
    finally:
        keras.config.set_dtype_policy("float32")
    x = tf.random.uniform((args.batch, args.size, args.size, 1), -1, 1)
    ds = tf.data.Dataset.from_tensors(x).repeat()
    model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0)  # trace + warm up
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
    train_ips = args.steps * args.batch / (time.perf_counter() - start)
    x_T = np.random.default_rng(0).standard_normal((args.batch, args.size, args.size, 1)).astype("float32")
    np.asarray(model.generate(x_T, sampler="ddim", steps=50))  # trace + warm up
    start = time.perf_counter()
    np.asarray(model.generate(x_T, sampler="ddim", steps=50))
    sample_ips = args.batch / (time.perf_counter() - start)
    return {"mode": mode, "train_images_per_s": train_ips, "ddim50_images_per_s": sample_ips}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--modes", nargs="+", default=["float32", "mixed_float16", "xla"])
    p.add_argument("--out", default=None)
    args = p.parse_args()
    import tensorflow as tf

    print("GPUs:", tf.config.list_physical_devices("GPU"))
    rows = []
    for mode in args.modes:
        row = run_one(mode, args)
        rows.append(row)
        print(f"{mode:18s} train {row['train_images_per_s']:9.1f} images/s   DDIM-50 sampling "
              f"{row['ddim50_images_per_s']:8.1f} images/s", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
