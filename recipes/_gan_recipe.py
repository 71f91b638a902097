"""Shared plumbing of the GAN recipes: arguments, data, training, PNG outputs.

Each recipe file states its paper's hyperparameters and builds its model
through `kgen.zoo`; this module holds no model choices.
"""

from pathlib import Path

import _recipe


def setup(doc, argv, run_dir, data="digits", image_size=16, epochs=30, batch_size=64, extra=None):
    """Parse the common arguments and the recipe's `extra` ones (see `_recipe.seeded_args`), seed Keras."""
    p = _recipe.parser(doc, run_dir, data, "digits, a .npz file, ring8, grid25 (as the recipe allows)", image_size,
                       None, epochs, batch_size, "per critic/discriminator step")
    p.add_argument("--steps-per-epoch", type=int, default=None)
    return _recipe.seeded_args(p, argv, extra)


def images(args, labels=False, d_steps=1):
    """A dataset of images in [-1, 1] (batches of `d_steps * batch_size`) and its image shape."""
    import kgen

    size = 8 if args.smoke else args.image_size
    batch = (8 if args.smoke else args.batch_size) * d_steps
    ds = kgen.data.load(args.data, image_size=size, scale="tanh", batch_size=batch, labels=labels,
                        seed=args.seed, shuffle=True, drop_remainder=True)
    spec = ds.element_spec[0] if labels else ds.element_spec
    return ds, tuple(spec.shape[1:])


def points(args, d_steps=1):
    """A repeating dataset of 2-D mixture points and the `Mixture`."""
    import kgen

    mixture = getattr(kgen.data, args.data)()
    pts, _ = mixture.sample(2_000 if args.smoke else 200_000, seed=args.seed)
    batch = (64 if args.smoke else args.batch_size) * d_steps
    import tensorflow as tf

    ds = (tf.data.Dataset.from_tensor_slices(pts).shuffle(min(len(pts), 20_000), seed=args.seed)
          .batch(batch, drop_remainder=True).repeat())
    return ds, mixture


def train(model, ds, args, samples=64, callbacks=(), steps_per_epoch=None):
    """`kgen.train` into `--run-dir` with the standard run callbacks (image grids when `samples`)."""
    import kgen

    cbs = kgen.runs.callbacks_for(args.run_dir, samples=(16 if args.smoke else samples) if samples else 0,
                                  tensorboard=not args.smoke)
    steps = 2 if args.smoke else (args.steps_per_epoch or steps_per_epoch)
    hist = kgen.train(model, ds, epochs=1 if args.smoke else args.epochs, callbacks=cbs + list(callbacks),
                      steps_per_epoch=steps, verbose=0 if args.smoke else 2)
    kgen.runs.save_model(model, args.run_dir)
    return hist


def scatter(samples, mixture, path):
    """Write a PNG scatter plot of generated points over the mixture's centres."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    samples = np.asarray(samples)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5, label="generated")
    ax.scatter(mixture.centers[:, 0], mixture.centers[:, 1], s=20, c="red", marker="x", label="modes")
    lim = float(np.abs(mixture.centers).max()) * 1.5
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=6)
    from kgen.files import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return str(path)


def report_points(model, mixture, run_dir):
    """Scatter PNG + PacGAN/VEEGAN mode coverage of 2,500 samples; returns the PNG path."""
    import keras

    from kgen.metrics.mode_coverage import mode_coverage

    samples = keras.ops.convert_to_numpy(model.generate(2500))
    cov = mode_coverage(samples, mixture)
    print(f"mode coverage ({mixture.name}): {cov.modes_captured}/{cov.num_modes} modes, "
          f"{100 * cov.high_quality_fraction:.1f} % high quality, reverse KL {cov.reverse_kl:.3f}")
    path = scatter(samples, mixture, Path(run_dir) / "samples" / "points.png")
    print(f"samples: {path}")
    return path


def last_grid(run_dir):
    grids = sorted((Path(run_dir) / "samples").glob("epoch_*.png"))
    return str(grids[-1]) if grids else None
