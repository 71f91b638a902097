"""Shared plumbing of the diffusion recipes: arguments, data, training, sample grids and strips.

Each recipe states its paper's setup; this module holds no model choices.
"""

import os
from pathlib import Path

import _recipe

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist7k.npz"


def parse(doc, argv, epochs=20, batch_size=128, image_size=32, extra=None):
    """Common recipe arguments (plus `extra(parser)`)."""
    p = _recipe.parser(doc, None, "mnist", "mnist (../shared/data/mnist7k.npz), digits, or a .npz file", image_size,
                       "power-of-two resize (the U-Net needs one)", epochs, batch_size,
                       smoke_help="tiny model on 8x8 digits, T=20, 2 steps (seconds)")
    if extra:
        extra(p)
    args = p.parse_args(argv)
    if args.data == "mnist":
        args.data = str(MNIST)
    return args


def load(args):
    """(dataset of the training split, training images, held-out images) in [-1, 1].

    mnist7k is split as the VAE likelihood benchmark splits it: the first
    6,000 images train, the next 1,000 are held out. Other sources hold out
    their last seventh.
    """
    import kgen

    source = "digits" if args.smoke else args.data
    size = 8 if args.smoke else args.image_size
    x = kgen.data.load_arrays(source, image_size=size, scale="tanh").x
    if Path(source).name == "mnist7k.npz":
        train_x, test_x = x[:6000], x[6000:7000]
    else:
        held = max(1, len(x) // 7)
        train_x, test_x = x[:-held], x[-held:]
    batch = 16 if args.smoke else args.batch_size
    ds = kgen.data.to_dataset(train_x, batch_size=batch, shuffle=True, seed=args.seed, drop_remainder=True)
    return ds, train_x, test_x


def train(model, ds, args, run_dir):
    """`kgen.train` with the standard run callbacks (sample grids from the model's default sampler)."""
    import kgen

    callbacks = kgen.runs.callbacks_for(run_dir, samples=16 if args.smoke else 64, tensorboard=not args.smoke)
    return kgen.train(model, ds, epochs=1 if args.smoke else args.epochs, callbacks=callbacks,
                      steps_per_epoch=2 if args.smoke else None, verbose=0 if args.smoke else 2)


def quantized(x):
    """Images on the 8-bit grid in [-1, 1] (what the bound in bits/dim is defined on)."""
    import numpy as np

    return np.round((np.asarray(x, np.float64) + 1) * 127.5) / 127.5 - 1


def write_grid(images, path, ncols=8):
    from kgen.images import save_grid

    save_grid(images, path, (-1.0, 1.0), ncols=ncols, scale=max(1, 64 // images.shape[1]))
    print(f"{Path(path).stem}: {path}")
    return path


def write_strip(model, path, sampler="ddim", steps=None, n=8, frames=10, seed=0):
    """The denoising strip: one row per sample, x_T (left) to x_0 (right)."""
    import numpy as np

    strip = model.denoising_strip(n=n, seed=seed, sampler=sampler, steps=steps, frames=frames)
    tiles = np.transpose(strip, (1, 0, 2, 3, 4)).reshape((-1, *strip.shape[2:]))
    return write_grid(np.clip(tiles, -1, 1), path, ncols=strip.shape[0])
