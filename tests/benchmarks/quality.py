"""Sample quality under one training budget: kgen's DCGAN, WGAN-GP and VAE vs the plain-Keras DCGAN.

Side by side in one run, on the embedded digits and on the shared MNIST
sample (`../shared/data/mnist7k.npz`), all at the same image size:

- budget: the same number of generator (VAE: optimizer) steps for every
  model, with 64 real images per discriminator step (WGAN-GP: 5 critic steps
  of 64 per generator step, as in its paper), seeds fixed;
- networks: the DCGAN generator/discriminator (64 base filters) for the
  three GANs (WGAN-GP's critic with layer norm), Kingma & Welling's MLP VAE;
- metrics, with the shipped digit classifier as feature extractor: FID, KID,
  precision/recall (k=3), Inception-style score and class
  coverage, on `--n-samples` generated vs up to 2,000 real images; a "real
  (other half)" row gives the floor each metric reaches on real data.

Usage:
    python tests/benchmarks/quality.py                      # both data sets
    python tests/benchmarks/quality.py --steps 200 --data digits --out /tmp/q.json
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

MNIST = REPO.parent / "shared" / "data" / "mnist7k.npz"
MODELS = ("baseline_dcgan", "dcgan", "wgan_gp", "vae")


def load_real(name, image_size):
    from kgen import data

    source = str(MNIST) if name == "mnist7k" else name
    return data.load_arrays(source, image_size=image_size, scale="tanh", labels=False).x


def build(model_name, shape, latent_dim, seed):
    import keras

    from kgen import zoo

    keras.utils.set_random_seed(seed)
    if model_name == "baseline_dcgan":
        from baselines import build_baseline_dcgan

        return build_baseline_dcgan(shape, latent_dim=latent_dim, base_filters=64)
    if model_name == "vae":
        return zoo.build("vae", shape, latent_dim=latent_dim if latent_dim <= 50 else 50, seed=seed)
    kwargs = {"base_filters": 64} if model_name == "dcgan" else {}
    return zoo.build(model_name, shape, latent_dim=latent_dim, seed=seed, **kwargs)


def generate(model, model_name, n, latent_dim, seed):
    """Samples in [-1, 1] (the VAE's [0, 1] means are rescaled)."""
    import numpy as np

    if model_name == "baseline_dcgan":
        z = np.random.default_rng(seed).normal(size=(n, latent_dim)).astype("float32")
        return np.concatenate([np.asarray(model.generator(z[i:i + 500], training=False))
                               for i in range(0, n, 500)])
    out = np.concatenate([np.asarray(model.generate(min(500, n - i))) for i in range(0, n, 500)])
    return out * 2.0 - 1.0 if model_name == "vae" else out


def train(model, model_name, x, steps, batch_size, seed):
    import tensorflow as tf

    per_step = batch_size * (getattr(model, "d_steps", 1) if model_name == "wgan_gp" else 1)
    if model_name == "vae":
        x = (x + 1.0) / 2.0  # the VAE's sigmoid scale
    ds = (tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed).repeat()
          .batch(per_step, drop_remainder=True).prefetch(2))
    start = time.time()
    history = model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return time.time() - start, {k: float(v[-1]) for k, v in history.history.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="digits,mnist7k")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--steps", type=int, default=600, help="generator steps per model")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--mixed-precision", choices=("bf16", "fp16"), default=None,
                        help="build kgen's models under mixed_bfloat16 / mixed_float16 (the baseline stays "
                             "float32; default: float32)")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from kgen import metrics, zoo

    models = args.models.split(",")
    missing = [m for m in models if m != "baseline_dcgan" and m not in zoo.names()]
    if missing:
        print(f"not registered in kgen.zoo (skipped): {missing}")
        models = [m for m in models if m not in missing]
    options = {"kid": {"num_subsets": 50, "subset_size": 500}}
    rows = []
    for data_name in args.data.split(","):
        if data_name == "mnist7k" and not MNIST.is_file():
            print(f"{MNIST} not found: skipping mnist7k")
            continue
        x = load_real(data_name, args.image_size)
        rng = np.random.default_rng(args.seed)
        order = rng.permutation(len(x))
        ref, other = x[order[: min(2000, len(x) // 2)]], x[order[len(x) // 2:]]
        evaluator = metrics.Evaluator(ref, extractor="digits", metric_options=options)
        shape = tuple(x.shape[1:])
        real_row = {"data": data_name, "model": "real (other half)", "seconds": 0.0,
                    **evaluator.evaluate(samples=other[: args.n_samples])}
        rows.append(real_row)
        print(_fmt(real_row), flush=True)
        for model_name in models:
            policy = ({"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}[args.mixed_precision]
                      if args.mixed_precision and model_name != "baseline_dcgan" else "float32")
            keras.config.set_dtype_policy(policy)
            try:
                model = build(model_name, shape, args.latent_dim, args.seed)
            finally:
                keras.config.set_dtype_policy("float32")
            seconds, logs = train(model, model_name, x, args.steps, args.batch_size, args.seed)
            fake = generate(model, model_name, args.n_samples, args.latent_dim, args.seed)
            row = {"data": data_name, "model": model_name, "seconds": seconds,
                   **evaluator.evaluate(samples=fake), "final_logs": logs}
            rows.append(row)
            print(_fmt(row), flush=True)
    budget = (f"{args.steps} generator steps, batch {args.batch_size} real images per "
              f"discriminator step (WGAN-GP: 5 critic steps per generator step), "
              f"{args.image_size}x{args.image_size} images, latent {args.latent_dim} "
              f"(VAE: {min(args.latent_dim, 50)}), seed {args.seed}; metrics on {args.n_samples} "
              f"samples, digit-classifier features")
    print("\nBudget: " + budget)
    print(table(rows))
    if args.out:
        Path(args.out).write_text(json.dumps({"budget": budget, "rows": rows}, indent=1))
    return 0


def _fmt(row):
    return (f"{row['data']:8s} {row['model']:18s} FID {row['fid']:8.2f}  KID "
            f"{row['kid']:9.4g}  P {row['precision']:.3f}  R {row['recall']:.3f}  "
            f"IS {row['inception_score']:.2f}  cov {row['class_coverage']:.1f}  {row['seconds']:.0f}s")


def table(rows):
    """The results as one markdown table."""
    lines = ["| data | model | FID | KID | precision | recall | IS | class coverage | train s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['data']} | {r['model']} | {r['fid']:.2f} | {r['kid']:.4g} | "
                     f"{r['precision']:.3f} | {r['recall']:.3f} | {r['inception_score']:.2f} | "
                     f"{r['class_coverage']:.1f} | {r['seconds']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
