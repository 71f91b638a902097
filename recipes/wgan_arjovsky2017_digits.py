"""WGAN with weight clipping (Arjovsky, Chintala & Bottou, 2017) on the embedded digits (or a .npz).

https://arxiv.org/abs/1701.07875

The paper's hyperparameters (Algorithm 1), as kgen builds them (`kgen.zoo.build("wgan")`):
- RMSProp with learning rate alpha = 5e-5 for critic and generator;
- clipping parameter c = 0.01 (every critic weight clipped to [-c, c]
  after every critic update);
- n_critic = 5 critic iterations per generator iteration (each batch holds
  5 critic batches of m = 64);
- Wasserstein losses; DCGAN generator and critic (the paper's DCGAN
  experiments keep batch norm in the critic).

Usage:
    python recipes/wgan_arjovsky2017_digits.py [--epochs 100] [--image-size 32]
    python recipes/wgan_arjovsky2017_digits.py --smoke
"""

import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/wgan_arjovsky2017", epochs=100, batch_size=64)
    import kgen

    ds, shape = R.images(args, d_steps=5)
    gan = kgen.zoo.build("wgan", shape, tiny=args.smoke, d_steps=5, clip_value=0.01, learning_rate=5e-5,
                         seed=args.seed)
    R.train(gan, ds, args)
    print(f"samples: {R.last_grid(args.run_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
