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
    return common.run_pretext(args, "context_prediction", args.run_dir or "runs/context_doersch2015",
                              lambda h: f"position accuracy (train): {h['accuracy'][-1]:.3f}", "placed_patches",
                              describe=lambda m: f"patches {m.patch_size}px, gap {m.gap}px, jitter {m.jitter}px")


if __name__ == "__main__":
    sys.exit(main())
