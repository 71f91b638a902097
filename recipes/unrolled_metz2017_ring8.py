"""Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein, 2017) on the 8-Gaussian ring (or the 25-grid).

https://arxiv.org/abs/1611.02163

The paper's 2-D mixture setup, as kgen builds it (`kgen.zoo.build("unrolled_gan")`):
- generator: MLP with two ReLU hidden layers of 128 units, latent size 256;
- discriminator: MLP with one ReLU hidden layer of 128 units (the paper also
  scales its input by 1/4 and initializes orthogonally; kgen keeps Keras' defaults);
- Adam(lr=1e-4, beta_1=0.5) for both networks, batch size 512;
- k = 5 unrolling steps (the paper compares 0, 1, 5, 10): the generator
  minimizes the paper's surrogate f_K, the GAN value function at the
  discriminator after k differentiable Adam updates that continue D's own
  optimizer state, back-propagating through them (second order); the
  discriminator itself is updated from the first step only. Variant details: `kgen.models.UnrolledGAN`.
Reports PacGAN's mode coverage and writes a scatter PNG.

Usage:
    python recipes/unrolled_metz2017_ring8.py [--data grid25] [--unroll-steps 10]
    python recipes/unrolled_metz2017_ring8.py --smoke
"""

import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/unrolled_metz2017", data="ring8", epochs=20, batch_size=512,
                   extra={"--unroll-steps": 5, "--learning-rate": 1e-4})
    import kgen

    ds, mixture = R.points(args)
    gan = kgen.zoo.build("unrolled_gan", (2,), tiny=args.smoke, unroll_steps=2 if args.smoke else args.unroll_steps,
                         learning_rate=args.learning_rate, seed=args.seed)
    R.train(gan, ds, args, samples=0, steps_per_epoch=500)
    R.report_points(gan, mixture, args.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
