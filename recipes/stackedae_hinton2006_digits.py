"""Stacked autoencoder in the style of Hinton & Salakhutdinov (2006): greedy pretraining, then fine-tuning.

https://www.science.org/doi/10.1126/science.1127647

Setup, as kgen builds it:
- encoder 256-128-64-8 on 16x16 digits (the paper: 784-1000-500-250-30 on
  MNIST), sigmoid hidden units, linear code; mirrored decoder, sigmoid
  output, cross-entropy;
- pretraining: each layer trained as a shallow autoencoder on the codes of
  the (frozen) layers below (autoencoders instead of the paper's RBMs, as
  in Bengio et al., 2007); then end-to-end fine-tuning with Adam;
- outputs: reconstructions after pretraining and after fine-tuning.

Usage:
    python recipes/stackedae_hinton2006_digits.py --pretrain-epochs 10 --epochs 50
    python recipes/stackedae_hinton2006_digits.py --smoke
"""

import sys

import _ae_recipe as common


OPTIONS = {"--pretrain-epochs": 10, "--layer-sizes": "128,64,8"}


def main(argv=None):
    args, ds, arrays = common.setup(__doc__, argv, "runs/stackedae_hinton2006", epochs=50, batch_size=64, extra=OPTIONS)
    import kgen

    sizes = (16, 4) if args.smoke else tuple(int(s) for s in args.layer_sizes.split(","))
    model = kgen.zoo.build("stacked_autoencoder", arrays.x.shape[1:], layer_sizes=sizes,
                           learning_rate=3e-3, seed=args.seed)
    pre = model.pretrain(ds.take(2) if args.smoke else ds,
                         epochs_per_layer=1 if args.smoke else args.pretrain_epochs, learning_rate=3e-3)
    print("pretraining loss per level (first -> last epoch): "
          + ", ".join(f"{h[0]:.3f}->{h[-1]:.3f}" for h in pre))
    before = model.evaluate(ds.take(2), verbose=0, return_dict=True)["reconstruction_loss"]
    common.train_and_write(model, ds, arrays, args, f"reconstruction cross-entropy: {before:.2f} after pretraining, "
                           "{reconstruction_loss:.2f} after fine-tuning", grid=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
