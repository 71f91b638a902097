"""Conditional GAN (Mirza & Osindero, 2014) on the embedded digits with labels.

https://arxiv.org/abs/1411.1784

The paper's setup, as kgen builds it (`kgen.zoo.build("cgan")`):
- the class label y, one-hot, is concatenated to the generator's input
  (with z) and to the discriminator's input (as a label map beside the
  image channels), so both are conditioned on y;
- z of size 100 drawn from a prior; the paper's MNIST networks were MLPs
  (G: 200 + 1000 ReLU units, 1200 combined; D: maxout) trained with SGD
  with momentum (lr 0.1 decayed, momentum 0.5 -> 0.7); kgen uses DCGAN
  networks and Adam(2e-4, beta_1=0.5), which train reliably on 16x16 digits;
- `--conditioning projection` swaps the discriminator for Miyato &
  Koyama's (2018) projection discriminator (spectrally normalized).
The sample grid shows class k in column k (labels cycle over the grid).

Usage:
    python recipes/cgan_mirza2014_digits.py [--epochs 30] [--conditioning projection]
    python recipes/cgan_mirza2014_digits.py --smoke
"""

import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/cgan_mirza2014", epochs=30, batch_size=64,
                   extra={"--conditioning": ["concat", "projection"]})
    import kgen

    ds, shape = R.images(args, labels=True)
    gan = kgen.zoo.build("cgan", shape, num_classes=10, tiny=args.smoke, conditioning=args.conditioning,
                         learning_rate=2e-4, beta_1=0.5, seed=args.seed)
    R.train(gan, ds, args, samples=100)
    print(f"samples: {R.last_grid(args.run_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
