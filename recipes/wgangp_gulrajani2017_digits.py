"""WGAN-GP (Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, 2017) on the embedded digits (or a .npz).

https://arxiv.org/abs/1704.00028

The paper's hyperparameters (Algorithm 1), as kgen builds them (`kgen.zoo.build("wgan_gp")`):
- gradient penalty coefficient lambda = 10, at points interpolated with
  epsilon ~ U[0, 1] between real and generated samples;
- n_critic = 5; Adam(alpha = 1e-4, beta_1 = 0, beta_2 = 0.9);
- no batch norm in the critic (layer norm instead, as the paper recommends);
- batch size m = 64 per critic step.

Usage:
    python recipes/wgangp_gulrajani2017_digits.py [--epochs 100]
    python recipes/wgangp_gulrajani2017_digits.py --smoke
"""

import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/wgangp_gulrajani2017", epochs=100, batch_size=64)
    import kgen

    ds, shape = R.images(args, d_steps=5)
    gan = kgen.zoo.build("wgan_gp", shape, tiny=args.smoke, d_steps=5, gradient_penalty_weight=10.0,
                         learning_rate=1e-4, beta_1=0.0, beta_2=0.9, seed=args.seed)
    R.train(gan, ds, args)
    print(f"samples: {R.last_grid(args.run_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
