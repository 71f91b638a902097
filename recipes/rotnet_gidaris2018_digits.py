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
    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    data = common.arrays(args)
    xtr, ytr, xte, yte = common.split(data.x, data.y, seed=args.seed)
    model = kgen.zoo.build("rotnet", xtr.shape[1:], tiny=args.smoke, seed=args.seed)
    run_dir = args.run_dir or "runs/rotnet_gidaris2018"
    hist = common.train(model, common.dataset(xtr, batch_size=16 if args.smoke else args.batch_size), args, run_dir)
    print(f"rotation accuracy (train): {hist.history['accuracy'][-1]:.3f}")
    print(f"linear probe accuracy: {common.probe(model, xtr, ytr, xte, yte):.3f}")
    common.outputs(model, xte, run_dir, name="upright")
    return 0


if __name__ == "__main__":
    sys.exit(main())
