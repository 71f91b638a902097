"""Train-step throughput of kgen's DCGAN against the keras.io-style baseline.

Both run the same DCGAN networks, batch and Adam(2e-4, 0.5) on the same
data, side by side in one process: repeated rounds of N timed steps each,
interleaved (kgen, baseline, kgen, ...) so machine noise hits both; the
figure is the median images/second and the kgen/baseline ratio. Peak memory
(max RSS) is per process, so each implementation is also run alone in a
subprocess for it.

Usage:
    python tests/benchmarks/train_throughput.py [--image-size 32] [--batch 64] [--steps 20] [--rounds 5] [--jit]
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


def _models(size, batch, jit):
    import keras

    from baselines import build_baseline_dcgan

    import kgen

    keras.utils.set_random_seed(0)
    ours = kgen.zoo.build("dcgan", (size, size, 1), jit_compile=jit, seed=0)
    base = build_baseline_dcgan((size, size, 1))
    if jit:
        base.jit_compile = True
    return {"kgen": ours, "keras.io baseline": base}


def _data(size, batch):
    import kgen

    return kgen.data.load("digits", image_size=size, batch_size=batch, repeat=True, seed=0)


def _time(model, data, steps):
    model.fit(data, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)  # trace + warm up
    start = time.perf_counter()
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return time.perf_counter() - start


def _alone(which, args):
    models = _models(args.image_size, args.batch, args.jit)
    model = models[which]
    _time(model, _data(args.image_size, args.batch), args.steps)
    print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--jit", action="store_true")
    p.add_argument("--alone", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.alone:
        return _alone(args.alone, args)

    import numpy as np
    import tensorflow as tf

    models = _models(args.image_size, args.batch, args.jit)
    data = _data(args.image_size, args.batch)
    rates = {k: [] for k in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            rates[name].append(args.steps * args.batch / _time(model, data, args.steps))
    med = {k: float(np.median(v)) for k, v in rates.items()}
    rss = {}
    for name in models:
        out = subprocess.run([sys.executable, __file__, "--alone", name, "--image-size",
                              str(args.image_size), "--batch", str(args.batch), "--steps", str(args.steps)]
                             + (["--jit"] if args.jit else []), capture_output=True, text=True)
        rss[name] = json.loads(out.stdout.strip().splitlines()[-1])["max_rss_mb"] if out.returncode == 0 else float("nan")
    print(f"DCGAN train step, {args.image_size}x{args.image_size}x1 digits, batch {args.batch}, "
          f"{args.rounds} rounds x {args.steps} steps, jit={args.jit}, TF {tf.__version__}, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'implementation':20s} {'images/s (median)':>18s} {'min':>8s} {'max':>8s} {'peak RSS MB':>12s}")
    for name in models:
        print(f"{name:20s} {med[name]:18.1f} {min(rates[name]):8.1f} {max(rates[name]):8.1f} {rss[name]:12.0f}")
    ratio = med["kgen"] / med["keras.io baseline"]
    print(f"ratio kgen / baseline: {ratio:.3f} (throughput), "
          f"{rss['kgen'] / rss['keras.io baseline']:.3f} (peak RSS)")


if __name__ == "__main__":
    main()
