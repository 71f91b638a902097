"""Shared plumbing of the image-to-image recipes: arguments, pair data, training, grids and held-out figures.

Each recipe states its paper's hyperparameters and builds its model through
`kgen.zoo`; this module holds no model choices.
"""

import os
from pathlib import Path

import _recipe

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse(doc, argv, data, epochs, batch_size, run_dir, extra=None):
    p = _recipe.parser(doc, run_dir, data, "a kgen.data.paired source (see kgen/data/paired.py)", None, None, epochs,
                       batch_size)
    p.add_argument("--steps-per-epoch", type=int, default=None)
    if extra:
        extra(p)
    return p.parse_args(argv)


def pairs(args, augment="jitter"):
    """(train PairArrays, held-out PairArrays, training dataset): 10 % of the pairs held out."""
    from kgen.data import paired

    data = paired.load_pairs(args.data, image_size=args.image_size, seed=args.seed)
    train, test = data.split(0.1, seed=args.seed)
    batch = 4 if args.smoke else args.batch_size
    return train, test, paired.pair_dataset(train, batch_size=batch, seed=args.seed, augment=augment)


def train(model, ds, args, run_dir, grid_inputs, grid_targets, steps=None):
    """`kgen.train` with the run callbacks and an input | output | target grid; saves model.keras."""
    import kgen
    from kgen.models.translation.grids import TranslationGrid

    grid = TranslationGrid(Path(run_dir) / "samples", grid_inputs[:8],
                           None if grid_targets is None else grid_targets[:8])
    cbs = kgen.runs.callbacks_for(run_dir, samples=0, tensorboard=not args.smoke) + [grid]
    kgen.train(model, ds, epochs=1 if args.smoke else args.epochs, callbacks=cbs,
               steps_per_epoch=2 if args.smoke else (args.steps_per_epoch or steps), verbose=0 if args.smoke else 2)
    kgen.runs.save_model(model, run_dir)
    return grid.last_path
