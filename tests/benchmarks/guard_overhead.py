"""Cost of kgen.train's run safety: the non-finite guard and checkpoints, against plain fit.

Four settings train the same DCGAN on the same data, in interleaved rounds
whose order rotates (so machine noise and position hit all of them): plain
`model.fit` (the baseline), `kgen.train(guard=False)`, the default guard
(each step's losses read on the host plus one fused finiteness/norm
reduction of the weights), and the guard plus a checkpoint every 10 steps.
The figure is the median steps/second and the ratio to the baseline. One TF
thread (see the brief).

Usage:
    python tests/benchmarks/guard_overhead.py [--image-size 16] [--batch 64] [--steps 20] [--rounds 5]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    import kgen
    from kgen.checkpoints import TrainingCheckpoint

    data = kgen.data.load("digits", image_size=args.image_size, batch_size=args.batch, seed=0)
    settings = {"model.fit (baseline)": {"fit": True, "guard": False},
                "kgen.train, guard off": {"guard": False}, "kgen.train, guard (default)": {"guard": True},
                "guard + checkpoint every 10": {"guard": True, "every": 10}}
    models, guards, rates = {}, {}, {name: [] for name in settings}
    for name, opts in settings.items():
        keras.utils.set_random_seed(0)
        models[name] = kgen.zoo.build("dcgan", (args.image_size, args.image_size, 1), seed=0)
        # One guard per model across rounds: its fused check is traced once, as in one long run.
        guards[name] = kgen.training.NonFiniteGuard() if opts["guard"] else False
    with tempfile.TemporaryDirectory() as tmp:
        names = list(settings)
        for r in range(args.rounds + 1):  # round 0 warms up (tracing)
            for i, name in enumerate(names[r % len(names):] + names[:r % len(names)]):
                opts = settings[name]
                callbacks = []
                if opts.get("every"):
                    callbacks = [TrainingCheckpoint(os.path.join(tmp, f"{i}-{r}"), every_steps=opts["every"])]
                start = time.perf_counter()
                if opts.get("fit"):
                    models[name].fit(data, epochs=1, steps_per_epoch=args.steps, verbose=0)
                else:
                    kgen.train(models[name], data, epochs=1, steps_per_epoch=args.steps, verbose=0,
                               guard=guards[name], callbacks=callbacks)
                if r:
                    rates[name].append(args.steps / (time.perf_counter() - start))
    base = statistics.median(rates["model.fit (baseline)"])
    print(f"DCGAN {args.image_size}px, batch {args.batch}, {args.steps} steps x {args.rounds} rounds, 1 thread")
    for name, values in rates.items():
        med = statistics.median(values)
        print(f"  {name:30s} {med:7.1f} steps/s   x{med / base:.3f} of baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
