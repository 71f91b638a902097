"""Train-step throughput of kgen's DCGAN (float32 and mixed bfloat16) against the keras.io-style float32 baseline.

All run the same DCGAN networks, batch and Adam(2e-4, 0.5) on the same
data, side by side in one process with ONE TensorFlow thread (on this
machine multi-threaded figures plateau at the CPU quota, whatever the model):
repeated rounds of N timed steps each, interleaved (baseline, kgen, kgen
bf16, baseline, ...) so machine noise hits all; the figures are the median
images/second and the ratios to the baseline. Peak memory (max RSS) is per
process, so each implementation also runs alone in a subprocess for it.

`mixed_bfloat16` computes convolutions and matmuls in bfloat16 (AVX512-BF16
on CPUs that have it, tensor cores on GPUs) with float32 weights, losses
and gradient penalty, and no loss scaling.

Usage:
    python tests/benchmarks/train_throughput.py [--image-size 32] [--batch 64] [--steps 20] [--rounds 7]
        [--threads 1] [--jit] [--variants baseline kgen kgen_bf16]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

VARIANTS = {"baseline": ("keras.io baseline", "float32"), "kgen": ("kgen", "float32"),
            "kgen_bf16": ("kgen", "mixed_bfloat16"), "kgen_fp16": ("kgen", "mixed_float16")}


def _threads(n):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(n)
    tf.config.threading.set_inter_op_parallelism_threads(n)


def _model(variant, size, jit):
    import keras

    from baselines import build_baseline_dcgan

    import kgen

    impl, policy = VARIANTS[variant]
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        if impl == "kgen":
            model = kgen.zoo.build("dcgan", (size, size, 1), jit_compile=jit, seed=0)
        else:
            model = build_baseline_dcgan((size, size, 1))
            model.jit_compile = jit
    finally:
        keras.config.set_dtype_policy("float32")
    return model


def _data(size, batch):
    import kgen

    return kgen.data.load("digits", image_size=size, batch_size=batch, repeat=True, seed=0)


def _time(model, data, steps):
    start = time.perf_counter()
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return time.perf_counter() - start


def _alone(variant, args):
    _threads(args.threads)
    model = _model(variant, args.image_size, args.jit)
    data = _data(args.image_size, args.batch)
    _time(model, data, 2)
    _time(model, data, args.steps)
    print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--jit", action="store_true")
    p.add_argument("--variants", nargs="+", default=["baseline", "kgen", "kgen_bf16"], choices=list(VARIANTS))
    p.add_argument("--alone", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.alone:
        return _alone(args.alone, args)
    _threads(args.threads)

    import numpy as np
    import tensorflow as tf

    models = {v: _model(v, args.image_size, args.jit) for v in args.variants}
    data = _data(args.image_size, args.batch)
    for model in models.values():
        _time(model, data, 2)  # trace and warm up
    rates = {v: [] for v in models}
    cpu0 = time.process_time()
    for _ in range(args.rounds):
        for v, model in models.items():
            rates[v].append(args.steps * args.batch / _time(model, data, args.steps))
    cpu = time.process_time() - cpu0
    med = {v: float(np.median(r)) for v, r in rates.items()}
    rss = {}
    for v in models:
        out = subprocess.run([sys.executable, __file__, "--alone", v, "--image-size", str(args.image_size),
                              "--batch", str(args.batch), "--steps", str(args.steps), "--threads",
                              str(args.threads)] + (["--jit"] if args.jit else []), capture_output=True, text=True)
        rss[v] = json.loads(out.stdout.strip().splitlines()[-1])["max_rss_mb"] if out.returncode == 0 else float("nan")
    print(f"DCGAN train step, {args.image_size}x{args.image_size}x1 digits, batch {args.batch}, {args.rounds} "
          f"interleaved rounds x {args.steps} steps, {args.threads} TF thread(s), jit={args.jit}, "
          f"TF {tf.__version__}, {os.cpu_count()} CPU cores, {cpu:.0f} s CPU")
    print(f"{'implementation':20s} {'policy':15s} {'images/s (median)':>18s} {'min':>8s} {'max':>8s} "
          f"{'vs baseline':>12s} {'peak RSS MB':>12s}")
    base = med.get("baseline")
    for v in models:
        impl, policy = VARIANTS[v]
        ratio = f"{med[v] / base:.3f}x" if base else "-"
        print(f"{impl:20s} {policy:15s} {med[v]:18.1f} {min(rates[v]):8.1f} {max(rates[v]):8.1f} "
              f"{ratio:>12s} {rss[v]:12.0f}")


if __name__ == "__main__":
    main()
