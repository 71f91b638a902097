"""Context prediction (Doersch et al., 2015) on the embedded digits: the relative position of two patches.

https://arxiv.org/abs/1505.05192

Setup, as kgen builds it:
- digits resized to 32x32; a 3x3 grid of 8x8 patches with 3-pixel gaps and up
  to 1 pixel of jitter per patch (the paper: 96-pixel patches, 48-pixel gaps,
  7 pixels of jitter), so no edge continues across a patch border;
- a centre patch and one of its 8 neighbours per image, a siamese fully
  convolutional encoder (shared weights), an MLP head over both features,
  8-way cross-entropy; Adam 1e-3, batch 64;
- the paper's colour dropping against chromatic aberration is moot on
  grayscale digits and not implemented;
- evaluation: a linear probe on the encoder's features of whole images.

Usage:
    python recipes/context_doersch2015_digits.py
    python recipes/context_doersch2015_digits.py --smoke
"""

import sys

import _representation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, image_size=32, epochs=30)
    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    data = common.arrays(args)
    xtr, ytr, xte, yte = common.split(data.x, data.y, seed=args.seed)
    model = kgen.zoo.build("context_prediction", xtr.shape[1:], tiny=args.smoke, seed=args.seed)
    print(f"patches {model.patch_size}px, gap {model.gap}px, jitter {model.jitter}px")
    run_dir = args.run_dir or "runs/context_doersch2015"
    hist = common.train(model, common.dataset(xtr, batch_size=16 if args.smoke else args.batch_size), args, run_dir)
    print(f"position accuracy (train): {hist.history['accuracy'][-1]:.3f}")
    print(f"linear probe accuracy: {common.probe(model, xtr, ytr, xte, yte):.3f}")
    common.outputs(model, xte, run_dir, name="placed_patches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
