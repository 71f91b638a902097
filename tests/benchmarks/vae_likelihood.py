"""Test log-likelihood of VAE and IWAE on MNIST (7k subset), beside Burda et al. (2016) Table 1.

Trains three one-stochastic-layer models (784-200-200-50 tanh MLPs,
Bernoulli likelihood, dynamic binarization) on the first 6,000 images of
`../shared/data/mnist7k.npz` and reports the test NLL in nats on the last
1,000 images (binarized once with a fixed seed), estimated with k=5000
importance samples. The paper trains on 60,000 images (10x more) for 3,280
passes with an annealed learning rate; our budget is much smaller (printed).

Usage:
    python tests/benchmarks/vae_likelihood.py            # full: ~17 min on 2 free CPU cores
                                                         # (35 min measured on a shared, load-8 machine)
    python tests/benchmarks/vae_likelihood.py --quick    # CI-sized check (~1 min)
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "mnist7k.npz"

# Burda, Grosse & Salakhutdinov (2016), Table 1, MNIST, one stochastic layer,
# test NLL estimated with k=5000.
PAPER = {"VAE (k=1)": 86.76, "IWAE (k=5)": 85.54, "IWAE (k=50)": 84.78}


def load(quick):
    images = np.load(DATA)["images"].astype("float32")[..., None] / 255.0
    train, test = images[:6000], images[6000:7000]
    # The test set is binarized once (fixed seed) so every model sees the same data.
    test = (np.random.default_rng(0).random(test.shape) < test).astype("float32")
    if quick:
        train, test = train[:1000], test[:100]
    return train, test


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny budget for CI-sized checks")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per model (default 50; 2 quick)")
    parser.add_argument("--k-eval", type=int, default=None, help="importance samples for the NLL (5000; 100 quick)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from kgen.models.iwae import build_iwae
    from kgen.models.vae import build_vae

    epochs = args.epochs or (2 if args.quick else 50)
    k_eval = args.k_eval or (100 if args.quick else 5000)
    train, test = load(args.quick)
    print(f"data: {len(train)} train images (dynamically binarized), {len(test)} test images; "
          f"the paper trains on 60,000 (10x more)")
    print(f"budget per model: {epochs} epochs x {len(train) // args.batch_size} steps of batch "
          f"{args.batch_size} (Adam 1e-3), no learning-rate schedule; paper: 3,280 epochs of "
          f"60,000 images, batch 20, annealed Adam")
    specs = [
        ("VAE (k=1)", lambda: build_vae((28, 28, 1), seed=0)),
        ("IWAE (k=5)", lambda: build_iwae((28, 28, 1), num_samples=5, seed=0)),
        ("IWAE (k=50)", lambda: build_iwae((28, 28, 1), num_samples=50, seed=0)),
    ]
    rows = []
    total_start = time.time()
    for name, build in specs:
        keras.utils.set_random_seed(0)
        model = build()
        ds = tf.data.Dataset.from_tensor_slices(train).shuffle(len(train), seed=0)
        ds = ds.batch(args.batch_size, drop_remainder=True).prefetch(2)
        t0 = time.time()
        hist = model.fit(ds, epochs=epochs, verbose=0)
        train_s = time.time() - t0
        t0 = time.time()
        ll = model.log_likelihood(test, k=k_eval, batch_size=100)
        elbo = float(np.mean(model.elbo(test)))
        eval_s = time.time() - t0
        row = {"model": name, "test_nll": float(-ll.mean()), "test_neg_elbo": -elbo,
               "final_train_loss": float(hist.history["loss"][-1]), "paper_nll": PAPER[name],
               "train_s": train_s, "eval_s": eval_s, "epochs": epochs, "k_eval": k_eval}
        rows.append(row)
        print(f"{name}: test NLL {row['test_nll']:.2f} nats (k={k_eval}), -ELBO {row['test_neg_elbo']:.2f}, "
              f"train loss {row['final_train_loss']:.2f}, train {train_s:.0f}s, eval {eval_s:.0f}s", flush=True)

    print()
    print(f"| model | test NLL, k={k_eval} (nats) | test -ELBO | paper NLL (60k train) | ratio ours/paper | train time |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['test_nll']:.2f} | {r['test_neg_elbo']:.2f} | {r['paper_nll']:.2f} | "
              f"{r['test_nll'] / r['paper_nll']:.3f} | {r['train_s']:.0f} s |")
    print(f"\ntotal wall time {time.time() - total_start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
