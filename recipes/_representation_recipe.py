"""Shared plumbing of the representation-learning recipes: arguments, digits splits, training, probe, PNG outputs.

Each recipe file states its paper's setup; this module holds no model choices.
"""

import os
from pathlib import Path

import _recipe

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist7k.npz"


def parse(doc, argv, data="digits", image_size=16, epochs=30, batch_size=64, extra=None):
    """Common recipe arguments (plus `extra(parser)` for recipe-specific ones)."""
    p = _recipe.parser(doc, None, data, "digits, photos, a .npz file, an image folder", image_size, None, epochs,
                       batch_size)
    if extra:
        extra(p)
    args = p.parse_args(argv)
    if args.data == "mnist":
        args.data = str(MNIST)
    return args


def arrays(args, scale="tanh", labels=True, source=None, image_size=None):
    """The data as arrays (smoke runs: the embedded digits at 16x16)."""
    import kgen

    source = source or ("digits" if args.smoke and args.data != "photos" else args.data)
    size = image_size or (16 if args.smoke else args.image_size)
    return kgen.data.load_arrays(source, image_size=size, scale=scale, labels=True if labels else None,
                                 seed=args.seed)


def split(x, y, test=500, seed=0):
    """A fixed shuffled train/test split `(x_train, y_train, x_test, y_test)`."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], (y[order] if y is not None else None)
    test = min(test, len(x) // 4)
    return x[:-test], (y[:-test] if y is not None else None), x[-test:], (y[-test:] if y is not None else None)


def dataset(x, y=None, batch_size=64, seed=0):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x)
    return ds.shuffle(len(x), seed=seed).batch(batch_size, drop_remainder=True).prefetch(2)


def train(model, ds, args, run_dir):
    """`kgen.train` with the standard run callbacks (no sample grid); returns the History."""
    import kgen

    callbacks = kgen.runs.callbacks_for(run_dir, samples=0, tensorboard=not args.smoke)
    return kgen.train(model, ds, epochs=1 if args.smoke else args.epochs, callbacks=callbacks,
                      steps_per_epoch=2 if args.smoke else None, verbose=0 if args.smoke else 2)


def probe(model, xtr, ytr, xte, yte):
    """Linear-probe accuracy (logistic regression on frozen `model.features`)."""
    from kgen.probes import linear_probe

    return linear_probe(model.extract_features(xtr), ytr, model.extract_features(xte), yte)


def outputs(model, x, run_dir, value_range=(-1.0, 1.0), name="pretext"):
    """Write inputs beside what the pretext task makes of them (`model.reconstruct`) and save the model."""
    import numpy as np

    from kgen import runs
    from kgen.images import save_grid

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    x = np.asarray(x[:8], np.float32)
    rec = np.asarray(model.reconstruct(x))
    path = save_grid(np.concatenate([x, rec]), run_dir / f"{name}.png", value_range, ncols=8, scale=4)
    runs.save_model(model, run_dir)
    print(f"{name}: {path}")
    return path


def run_pretext(args, builder, run_dir, train_line, image_name, describe=None, **build_kwargs):
    """A pretext-task recipe's run: seed, load and split the data, build `builder` (tiny under
    --smoke), train, print `train_line(history)` and the linear-probe accuracy, write the `image_name`
    grid and the model. `describe(model)`, if given, is printed after the build. Returns 0."""
    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    data = arrays(args)
    xtr, ytr, xte, yte = split(data.x, data.y, seed=args.seed)
    model = kgen.zoo.build(builder, xtr.shape[1:], tiny=args.smoke, seed=args.seed, **build_kwargs)
    if describe is not None:
        print(describe(model))
    hist = train(model, dataset(xtr, batch_size=16 if args.smoke else args.batch_size), args, run_dir)
    print(train_line(hist.history))
    print(f"linear probe accuracy: {probe(model, xtr, ytr, xte, yte):.3f}")
    outputs(model, xte, run_dir, name=image_name)
    return 0
