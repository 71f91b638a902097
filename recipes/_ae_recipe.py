"""Shared plumbing of the autoencoder/VAE recipes: arguments, data, training, PNG outputs.

Each recipe file states its paper's setup and calls `run(...)`; this module
holds no model choices.
"""

from pathlib import Path

import _recipe

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist7k.npz"


def setup(doc, argv, run_dir, data="digits", image_size=16, epochs=30, batch_size=100, extra=None, labels=False):
    """Parse the common and the recipe's `extra` arguments (see `_recipe.seeded_args`), seed Keras, load.

    Returns `(args, dataset, arrays)`.
    """
    p = _recipe.parser(doc, run_dir, data, "digits, mnist, a .npz file (e.g. ../shared/data/mnist7k.npz)",
                       image_size, "power-of-two resize; 0 keeps the native size (28 for MNIST)", epochs,
                       batch_size)
    args = _recipe.seeded_args(p, argv, extra)
    if args.data == "mnist":
        args.data = str(MNIST)
    ds, arrays = load(args, labels=labels)
    return args, ds, arrays


def load(args, labels=False):
    """(dataset, arrays) in [0, 1]; smoke runs use 8x8 digits."""
    import kgen

    source = "digits" if args.smoke else args.data
    size = 8 if args.smoke else (args.image_size or None)
    arrays = kgen.data.load_arrays(source, image_size=size, scale="sigmoid",
                                   labels=True if labels else None, seed=args.seed)
    batch = 16 if args.smoke else args.batch_size
    ds = kgen.data.load(source, image_size=size, scale="sigmoid", batch_size=batch, labels=labels,
                        seed=args.seed, shuffle=True, drop_remainder=True)
    return ds, arrays


def train(model, ds, args, samples=64, report=None):
    """`kgen.train` into `--run-dir` with the standard run callbacks; returns the History.

    `report`: printed after training, filled with each metric's last-epoch
    value (e.g. `"final -ELBO {loss:.2f} nats"`).
    """
    import kgen

    callbacks = kgen.runs.callbacks_for(args.run_dir, samples=(16 if args.smoke else samples) if samples else 0,
                                        value_range=(0.0, 1.0), tensorboard=not args.smoke)
    hist = kgen.train(model, ds, epochs=1 if args.smoke else args.epochs, callbacks=callbacks,
                      steps_per_epoch=2 if args.smoke else None, verbose=0 if args.smoke else 2)
    if report:
        print(report.format(**{name: values[-1] for name, values in hist.history.items()}))
    return hist


def train_and_write(model, ds, arrays, args, report, grid=64, **outputs_options):
    """`train` (sample grids of `grid` images; `report` printed), then `outputs`; returns the History."""
    hist = train(model, ds, args, samples=grid, report=report)
    outputs(model, arrays, args.run_dir, **outputs_options)
    return hist


def outputs(model, arrays, run_dir, latent_tools=True, traverse_dims=None, samples=0):
    """Write reconstructions, interpolation, traversal (and a 2-D manifold) PNGs; save the model.

    `samples`: also a grid of that many generated images (`samples.png`).
    """
    import numpy as np

    from kgen.images import save_grid
    from kgen import latent as lt
    from kgen import runs

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    x = np.asarray(arrays.x[:8], np.float32)
    written = {}
    rec = np.asarray(model.reconstruct(x))
    written["reconstructions"] = save_grid(np.concatenate([x, rec]), run_dir / "reconstructions.png",
                                           (0.0, 1.0), ncols=8, scale=4)
    if latent_tools:
        written["interpolation"] = run_dir / "interpolation.png"
        lt.interpolate_inputs(model, x[0], x[1], steps=8, path=written["interpolation"])
        dims = traverse_dims if traverse_dims is not None else list(range(min(model.latent_dim, 8)))
        written["traversal"] = run_dir / "traversal.png"
        lt.traverse(model, x[0], dim=dims, path=written["traversal"])
        if model.latent_dim == 2:
            written["manifold"] = run_dir / "manifold.png"
            lt.manifold_grid(model, n=15, path=written["manifold"])
    if samples:
        written["samples"] = save_grid(np.asarray(model.generate(samples)), run_dir / "samples.png", (0.0, 1.0),
                                       scale=2)
    runs.save_model(model, run_dir)
    for name, path in written.items():
        print(f"{name}: {path}")
    return written
