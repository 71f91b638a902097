"""RotNet (Gidaris et al., 2018) on the embedded digits: predict which of 4 rotations an image was turned by.

https://arxiv.org/abs/1803.07728

Setup, as kgen builds it:
- every image of a batch in all four rotations (0/90/180/270 degrees; the
  paper's best setting), a 4-way cross-entropy;
- a fully convolutional encoder (3x3 convs 32-64-128, stride 1 then 2, global
  average pooling; the paper: Network-In-Network blocks) and an MLP head;
- Adam 1e-3, batch 64 (x4 rotations);
- evaluation: a linear probe (logistic regression) on the frozen features,
  trained on 1,297 digits and tested on 500 held out.

Usage:
    python recipes/rotnet_gidaris2018_digits.py
    python recipes/rotnet_gidaris2018_digits.py --smoke
"""

import sys

import _representation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, epochs=30)
    return common.run_pretext(args, "rotnet", args.run_dir or "runs/rotnet_gidaris2018",
                              lambda h: f"rotation accuracy (train): {h['accuracy'][-1]:.3f}", "upright")


if __name__ == "__main__":
    sys.exit(main())
