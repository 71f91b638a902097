"""Diffusion sample quality: DDPM-1000, DDIM-50/20/10 beside kgen's DCGAN and WGAN-GP at equal CPU time.

Side by side in one process, on the embedded digits and on mnist7k, at one
image size: the DDPM trains `--steps` optimizer steps (batch `--batch-size`);
its wall time is the budget each GAN then trains for (in chunks of 25 steps
until its time reaches the DDPM's). Metrics with the shipped digit
classifier's features (`kgen.metrics.Evaluator`, as `quality.py`): FID, KID,
precision, recall, on `--n-samples` samples against up to 2,000 real images;
the sampling time per image of each sampler. On mnist7k, the variational
bound in bits/dim on the 1,000 held-out images of the VAE likelihood split
(images 6000..6999, quantized to 8 bits after resizing), printed beside
Sohl-Dickstein et al. 2015, Table 2 (MNIST: 317 bits, a Parzen-window
log-likelihood estimate, a different estimator: not comparable as a number).

Usage:
    python tests/benchmarks/diffusion.py --steps 2000 --image-size 16        # budget stated in the output
    python tests/benchmarks/diffusion.py --quick                              # minutes: plumbing only
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

import quality  # noqa: E402

SAMPLERS = (("DDPM-1000", "ddpm", 1000), ("DDIM-50", "ddim", 50), ("DDIM-20", "ddim", 20), ("DDIM-10", "ddim", 10))


def train_for(model, x, seconds, batch_size, seed, chunk=25):
    """Fit in chunks of `chunk` steps until the wall time reaches `seconds`; returns (seconds, steps)."""
    import tensorflow as tf

    per_step = batch_size * getattr(model, "d_steps", 1)
    ds = (tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed).repeat()
          .batch(per_step, drop_remainder=True).prefetch(2))
    start, steps = time.time(), 0
    while time.time() - start < seconds:
        model.fit(ds, steps_per_epoch=chunk, epochs=1, verbose=0)
        steps += chunk
    return time.time() - start, steps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="digits,mnist7k")
    p.add_argument("--steps", type=int, default=2000, help="DDPM optimizer steps (sets the CPU budget)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--base-filters", type=int, default=32)
    p.add_argument("--n-samples", type=int, default=500)
    p.add_argument("--bpd-examples", type=int, default=1000)
    p.add_argument("--bpd-timesteps", type=int, default=20, help="stratified timesteps per image for the bound")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the plumbing in minutes")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.n_samples, args.bpd_examples, args.bpd_timesteps = 20, 50, 20, 4

    import keras
    import numpy as np

    from kgen import metrics, zoo

    options = {"kid": {"num_subsets": 20, "subset_size": min(500, args.n_samples)}}
    rows = []
    for data_name in args.data.split(","):
        x = quality.load_real(data_name, args.image_size)
        order = np.random.default_rng(args.seed).permutation(len(x))
        ref = x[order[: min(2000, len(x) // 2)]]
        train_x = x[:6000] if data_name == "mnist7k" else x
        evaluator = metrics.Evaluator(ref, extractor="digits", metric_options=options)
        shape = tuple(x.shape[1:])
        keras.utils.set_random_seed(args.seed)
        ddpm = zoo.build("ddpm", shape, seed=args.seed, base_filters=args.base_filters)
        budget, logs = quality.train(ddpm, "ddpm", train_x, args.steps, args.batch_size, args.seed)
        for label, sampler, steps in SAMPLERS:
            start = time.time()
            fake = np.concatenate([np.asarray(ddpm.generate(min(250, args.n_samples - i), sampler=sampler,
                                                            steps=steps, seed=args.seed + i))
                                   for i in range(0, args.n_samples, 250)])
            per_image = (time.time() - start) / args.n_samples
            row = {"data": data_name, "model": f"ddpm {label}", "seconds": budget, "train_steps": args.steps,
                   "sample_s_per_image": per_image, **evaluator.evaluate(samples=np.clip(fake, -1, 1))}
            rows.append(row)
            print(quality._fmt(row), f"{per_image * 1000:.1f} ms/image", flush=True)
        if data_name == "mnist7k":
            test = np.round((x[6000:6000 + args.bpd_examples] + 1) * 127.5) / 127.5 - 1
            bound = ddpm.bits_per_dim(test, timesteps=args.bpd_timesteps, seed=args.seed)
            print(f"mnist7k bits/dim (bound, {len(test)} held-out images, {args.bpd_timesteps} stratified "
                  f"timesteps each): {bound['bits_per_dim']:.3f} +- {bound['stderr']:.3f}; Sohl-Dickstein et al. "
                  "2015 Table 2: 317 bits (Parzen log-likelihood, another estimator)")
            rows.append({"data": data_name, "model": "ddpm bits/dim", "bits_per_dim": bound["bits_per_dim"],
                         "stderr": bound["stderr"]})
        for name in ("dcgan", "wgan_gp"):
            model = quality.build(name, shape, 100, args.seed)
            seconds, steps = train_for(model, train_x, budget, args.batch_size, args.seed)
            start = time.time()
            fake = quality.generate(model, name, args.n_samples, 100, args.seed)
            row = {"data": data_name, "model": name, "seconds": seconds, "train_steps": steps,
                   "sample_s_per_image": (time.time() - start) / args.n_samples, **evaluator.evaluate(samples=fake)}
            rows.append(row)
            print(quality._fmt(row), flush=True)
    budget_text = (f"DDPM {args.steps} steps of batch {args.batch_size}, base filters {args.base_filters}, "
                   f"{args.image_size}x{args.image_size}; each GAN trained for the DDPM's wall time; "
                   f"{args.n_samples} samples per row, digit-classifier features")
    print("\nBudget: " + budget_text)
    print(quality.table([r for r in rows if "fid" in r]))
    if args.out:
        Path(args.out).write_text(json.dumps({"budget": budget_text, "rows": rows}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
