"""GAN (Goodfellow et al., 2014) with MLPs on the 8-Gaussian ring (or the 25-grid).

https://arxiv.org/abs/1406.2661

The paper's setup, as kgen builds it (`kgen.zoo.build("gan_mlp")`):
- multilayer perceptrons for G and D (the paper: ReLU/sigmoid G, maxout D
  with dropout; here two ReLU/LeakyReLU hidden layers of 128 units);
- k = 1 discriminator step per generator step (the paper's choice);
- minimax discriminator loss, and the generator trained to maximize
  log D(G(z)) (the paper's Sec. 3 remark: the non-saturating loss);
- optimizer: the paper used SGD with momentum; kgen uses Adam(1e-4,
  beta_1=0.5) (2-D mixtures are the VEEGAN/PacGAN protocol, not the paper's).
Reports PacGAN's mode coverage (2,500 samples, 3 std) and writes a scatter PNG.

Usage:
    python recipes/gan_goodfellow2014_ring8.py [--data grid25] [--epochs 20]
    python recipes/gan_goodfellow2014_ring8.py --smoke
"""

import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/gan_goodfellow2014", data="ring8", epochs=20, batch_size=256,
                   extra={"--learning-rate": 1e-4})
    import kgen

    ds, mixture = R.points(args)
    gan = kgen.zoo.build("gan_mlp", (2,), tiny=args.smoke, learning_rate=args.learning_rate, seed=args.seed)
    R.train(gan, ds, args, samples=0, steps_per_epoch=500)
    R.report_points(gan, mixture, args.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
