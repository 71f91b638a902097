"""Colorization (Zhang et al., 2016) on patches of scikit-learn's sample photos: ab colours from luminance.

https://arxiv.org/abs/1603.08511

Setup, as kgen builds it:
- 4,000 random 16x16 RGB patches of the two bundled photos (`--data photos`,
  or any colour image folder), 3,500 for training;
- Lab colour space; the trunk (3x3 convs 32-64-64 at full resolution) sees L,
  a 1x1 head gives logits over the paper's 313 in-gamut ab bins of side 10
  (`kgen.models.representation.zhang_gamut_bins`), soft-encoded targets on the
  5 nearest bins (sigma 5);
- class rebalancing weights from the training patches' smoothed colour
  distribution, mixed half with uniform (lambda 0.5);
- colours read back as the annealed mean (T = 0.38); Adam 1e-3, batch 64.

Usage:
    python recipes/colorization_zhang2016_photos.py
    python recipes/colorization_zhang2016_photos.py --smoke
"""

import sys

import _representation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, data="photos", epochs=20)
    import keras
    import numpy as np

    import kgen

    keras.utils.set_random_seed(args.seed)
    data = common.arrays(args, labels=False, source=args.data, image_size=8 if args.smoke else None)
    xtr, _, xte, _ = common.split(data.x, None, seed=args.seed)
    model = kgen.zoo.build("colorization", xtr.shape[1:], tiny=args.smoke, seed=args.seed)
    weights = model.fit_class_weights(xtr)
    print(f"rebalancing weights: min {weights.min():.2f}, max {weights.max():.2f}")
    run_dir = args.run_dir or "runs/colorization_zhang2016"
    hist = common.train(model, common.dataset(xtr, batch_size=16 if args.smoke else args.batch_size), args, run_dir)
    print(f"nearest-bin accuracy (train): {hist.history['accuracy'][-1]:.3f}")
    ab_err = np.abs(np.asarray(model.lab(model.colorize(xte[:256]))) - np.asarray(model.lab(xte[:256])))[..., 1:]
    print(f"mean ab error (test): {ab_err.mean():.2f}")
    common.outputs(model, xte, run_dir, name="colorized")
    return 0


if __name__ == "__main__":
    sys.exit(main())
