"""GPU training throughput of kgen's DCGAN and WGAN-GP at 64x64, batch 256: float32, mixed_float16, XLA, both.

One prepared script for a lent GPU (at most ~8 minutes): for each model and
mode it builds the model, traces and warms up, then times `--steps` train
steps and prints images/second (images = critic batch x critic steps, i.e.
real images read per second). Synthetic data on the device (the input
pipeline is not what is measured). CI never runs it.

Usage:
    python tests/benchmarks/gpu_throughput.py [--steps 50] [--batch 256] [--size 64] [--models dcgan wgan_gp]
        [--modes float32 mixed_float16 xla xla_mixed_float16] [--out results.json]
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = {"float32": ("float32", False), "mixed_float16": ("mixed_float16", False),
         "mixed_bfloat16": ("mixed_bfloat16", False), "xla": ("float32", True),
         "xla_mixed_float16": ("mixed_float16", True)}


def run_one(model_name, mode, args):
    import keras
    import tensorflow as tf

    import kgen

    policy, jit = MODES[mode]
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = kgen.zoo.build(model_name, (args.size, args.size, 3), seed=0, jit_compile=jit)
    finally:
        keras.config.set_dtype_policy("float32")
    d_steps = getattr(model, "d_steps", 1)
    batch = args.batch * d_steps
    x = tf.random.uniform((batch, args.size, args.size, 3), -1.0, 1.0)
    data = tf.data.Dataset.from_tensors(x).repeat()
    t0 = time.perf_counter()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0)  # trace, compile, warm up
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - t0
    return {"model": model_name, "mode": mode, "images_per_s": args.steps * batch / seconds,
            "generator_steps_per_s": args.steps / seconds, "warmup_s": warm, "critic_steps": d_steps}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--models", nargs="+", default=["dcgan", "wgan_gp"])
    p.add_argument("--modes", nargs="+", default=["float32", "mixed_float16", "xla", "xla_mixed_float16"],
                   choices=list(MODES))
    p.add_argument("--out", default=None)
    args = p.parse_args()

    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    print(f"TF {tf.__version__}, GPUs: {[g.name for g in gpus] or 'none'}")
    rows = []
    for model_name in args.models:
        for mode in args.modes:
            try:
                row = run_one(model_name, mode, args)
            except Exception as err:  # report the mode that fails, keep measuring the others
                row = {"model": model_name, "mode": mode, "error": f"{type(err).__name__}: {err}"[:300]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{'model':10s} {'mode':20s} {'images/s':>10s} {'vs float32':>11s}")
    for model_name in args.models:
        base = next((r["images_per_s"] for r in rows if r["model"] == model_name and r["mode"] == "float32"
                     and "images_per_s" in r), None)
        for r in rows:
            if r["model"] != model_name:
                continue
            if "images_per_s" not in r:
                print(f"{model_name:10s} {r['mode']:20s} {'failed':>10s}  {r['error']}")
                continue
            ratio = f"{r['images_per_s'] / base:.2f}x" if base else "-"
            print(f"{model_name:10s} {r['mode']:20s} {r['images_per_s']:10.0f} {ratio:>11s}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
