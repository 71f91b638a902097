"""Plumbing of every recipe family: the common command-line arguments and the seeded start.

`_ae_recipe` and `_gan_recipe` add their family's data loading, training
and outputs; this module holds no model choices.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parser(doc, run_dir, data, data_help, image_size, image_size_help, epochs, batch_size, batch_size_help=None,
           smoke_help="tiny model, 1 epoch of 2 steps (seconds)"):
    """The arguments every recipe takes (`run_dir` is the recipe's default `--run-dir`)."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--data", default=data, help=data_help)
    p.add_argument("--image-size", type=int, default=image_size, help=image_size_help)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size, help=batch_size_help)
    p.add_argument("--run-dir", default=run_dir)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help=smoke_help)
    return p


def add_options(p, options):
    """Add the recipe's own arguments, `{flag: default}`; the default sets the kind.

    `False` makes a switch, a list the choices (its first item the default),
    any other value an argument of that value's type.
    """
    for flag, default in options.items():
        if default is False:
            p.add_argument(flag, action="store_true")
        elif isinstance(default, list):
            p.add_argument(flag, default=default[0], choices=default)
        else:
            p.add_argument(flag, type=type(default), default=default)


def seeded_args(p, argv, extra=None):
    """Parse `argv` and seed Keras with `--seed`.

    `extra`: the recipe's own arguments, as `add_options`' dict or a
    function `extra(parser)` (for arguments with help texts).
    """
    if isinstance(extra, dict):
        add_options(p, extra)
    elif extra:
        extra(p)
    args = p.parse_args(argv)
    import keras

    keras.utils.set_random_seed(args.seed)
    return args
