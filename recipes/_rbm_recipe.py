"""Shared plumbing of the Boltzmann-machine recipes: binarized MNIST split, training, filters, chains, AIS.

The split: mnist7k's first 6,000 images train, the last 1,000 test (smoke:
8x8 digits, 200 / 56). Pixels are binarized at 0.5 (deterministic), as
log-likelihoods of binary RBMs need binary data.
"""

import _ae_recipe as common
import _recipe


def parse(doc, argv, data="digits", image_size=16, epochs=30, batch_size=100, extra=None):
    """Common recipe arguments (plus `extra(parser)`), Keras seeded with `--seed`."""
    p = _recipe.parser(doc, None, data, "digits, mnist, a .npz file (e.g. ../shared/data/mnist7k.npz)", image_size,
                       "power-of-two resize; 0 keeps the native size (28 for MNIST)", epochs, batch_size)
    args = _recipe.seeded_args(p, argv, extra)
    if args.data == "mnist":
        args.data = str(common.MNIST)
    return args


def load(args):
    """(train dataset of binary images, train array, test array)."""
    import numpy as np
    import tensorflow as tf

    import kgen

    source = "digits" if args.smoke else args.data
    size = 8 if args.smoke else (args.image_size or None)
    x = kgen.data.load_arrays(source, image_size=size, scale="sigmoid", seed=args.seed).x
    x = (np.asarray(x) > 0.5).astype("float32")
    n_test = 56 if args.smoke else 1000
    if args.smoke:
        x = x[:256]
    train, test = x[:-n_test], x[-n_test:]
    batch = 16 if args.smoke else args.batch_size
    ds = tf.data.Dataset.from_tensor_slices(train).shuffle(len(train), seed=args.seed).batch(batch, drop_remainder=True)
    return ds, train, test


def train(model, ds, args, run_dir):
    args.run_dir = run_dir
    return common.train(model, ds, args, samples=64)


def filters(rbm, path, n=64):
    """The first n hidden units' weights as images (each scaled to its own range)."""
    import numpy as np

    from kgen.images import save_grid

    w = rbm.W.numpy().T[:n]
    w = (w - w.min(1, keepdims=True)) / (np.ptp(w, 1, keepdims=True) + 1e-8)
    return save_grid(w.reshape(-1, *rbm.visible_shape), path, (0.0, 1.0), ncols=8, scale=3)


def chains(model, path, n=8, steps=(1, 10, 100, 1000), seed=0):
    """n Gibbs chains from Bernoulli(0.5) starts (an RBM, or a DBN's top RBM plus its down-pass), by step."""
    import numpy as np

    from kgen.images import save_grid

    rows = []
    for k in steps:
        inputs = _chain_inputs(model, n, k, seed)
        rows.append(np.asarray(model.decode_prior(inputs)))
    grid = np.stack(rows, 1).reshape(-1, *rows[0].shape[1:])  # chain-major: one row per chain
    return save_grid(grid, path, (0.0, 1.0), ncols=len(steps), scale=3)


def _chain_inputs(model, n, k, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    top = getattr(model, "rbms", [model])[-1]
    start = model.prior["visible"].numpy_sample(n, np.random.default_rng(seed))
    out = {"visible": start, "hidden_noise": rng.uniform(size=(n, k, top.num_hidden)).astype("float32"),
           "visible_noise": rng.uniform(size=(n, k, top.num_visible)).astype("float32")}
    if "down_noise" in model.prior:
        out["down_noise"] = model.prior["down_noise"].numpy_sample(n, rng)
    return out


def ais_test_log_likelihood(rbm, train, test, num_temperatures, num_runs, seed=0):
    """(mean test log p(x) by AIS, log Z estimate dict)."""
    from kgen.models.boltzmann.ais import ais_log_partition, base_rate_bias

    est = ais_log_partition(rbm, num_temperatures, num_runs, base_visible_bias=base_rate_bias(train), seed=seed)
    return rbm.log_likelihood(test, est["log_z"]), est


def outputs(model, arrays_x, run_dir):
    from types import SimpleNamespace

    return common.outputs(model, SimpleNamespace(x=arrays_x), run_dir, latent_tools=False)
