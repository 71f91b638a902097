"""Shared plumbing of the autoencoder/VAE recipes: arguments, data, training, PNG outputs.

Each recipe file states its paper's setup and calls `run(...)`; this module
holds no model choices.
"""

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist7k.npz"


def parse(doc, argv, data="digits", image_size=16, epochs=30, batch_size=100, extra=None):
    """Common recipe arguments (plus `extra(parser)` for recipe-specific ones)."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--data", default=data, help="digits, a .npz file (e.g. ../shared/data/mnist7k.npz)")
    p.add_argument("--image-size", type=int, default=image_size,
                   help="power-of-two resize; 0 keeps the native size (28 for MNIST)")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--run-dir", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="tiny model, 1 epoch of 2 steps (seconds)")
    if extra:
        extra(p)
    args = p.parse_args(argv)
    if args.data == "mnist":
        args.data = str(MNIST)
    return args


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


def train(model, ds, args, run_dir, samples=64):
    """`kgen.train` with the standard run callbacks; returns the History."""
    import kgen

    callbacks = kgen.runs.callbacks_for(run_dir, samples=(16 if args.smoke else samples) if samples else 0,
                                        value_range=(0.0, 1.0), tensorboard=not args.smoke)
    return kgen.train(model, ds, epochs=1 if args.smoke else args.epochs, callbacks=callbacks,
                      steps_per_epoch=2 if args.smoke else None, verbose=0 if args.smoke else 2)


def outputs(model, arrays, run_dir, latent_tools=True, traverse_dims=None):
    """Write reconstructions, interpolation, traversal (and a 2-D manifold) PNGs; save the model."""
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
    runs.save_model(model, run_dir)
    for name, path in written.items():
        print(f"{name}: {path}")
    return written
