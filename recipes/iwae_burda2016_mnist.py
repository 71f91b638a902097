"""IWAE (Burda, Grosse & Salakhutdinov, 2016) on MNIST, with the k=5000 test log-likelihood.

https://arxiv.org/abs/1509.00519

Setup, as kgen builds it (one stochastic layer):
- encoder 784-200-200-100 (tanh) -> 50-d diagonal Gaussian; decoder
  50-200-200-784 (tanh) -> Bernoulli logits; dynamic binarization;
- training objective: the k-sample importance-weighted bound (k=50 here,
  `--k`); Adam 1e-3 (the paper anneals the rate over 3,280 passes);
- evaluation: -log p(x) estimated with 5,000 importance samples on the
  last 1,000 images, held out from training.

Usage:
    python recipes/iwae_burda2016_mnist.py --k 50 --epochs 100
    python recipes/iwae_burda2016_mnist.py --smoke
"""

import sys

import _ae_recipe as common


def _extra(p):
    p.add_argument("--k", type=int, default=50, help="importance samples in training")
    p.add_argument("--k-eval", type=int, default=5000)


def main(argv=None):
    args, _, arrays = common.setup(__doc__, argv, "runs/iwae_burda2016",
                                    data="mnist", image_size=0, epochs=100, extra=_extra)
    import numpy as np
    import tensorflow as tf

    import kgen

    n_test = 16 if args.smoke else 1000
    train_x, test_x = arrays.x[:-n_test], arrays.x[-n_test:]
    test_x = (np.random.default_rng(0).random(test_x.shape) < test_x).astype("float32")
    batch = 16 if args.smoke else args.batch_size
    ds = tf.data.Dataset.from_tensor_slices(train_x).shuffle(len(train_x), seed=args.seed)
    ds = ds.batch(batch, drop_remainder=True)
    model = kgen.zoo.build("iwae", train_x.shape[1:], tiny=args.smoke,
                           num_samples=2 if args.smoke else args.k, seed=args.seed)
    common.train(model, ds, args)
    k_eval = 10 if args.smoke else args.k_eval
    nll = -model.log_likelihood(test_x, k=k_eval).mean()
    print(f"test NLL (k={k_eval}): {nll:.2f} nats on {len(test_x)} held-out images")
    common.outputs(model, arrays, args.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
