"""VAE (Kingma & Welling, 2014) on MNIST: MLP encoder/decoder, Bernoulli likelihood.

https://arxiv.org/abs/1312.6114

Setup, as kgen builds it:
- encoder 784-200-200-2d (tanh) giving the mean and softplus scale (floor
  1e-4) of a diagonal-Gaussian posterior; decoder d-200-200-784 (tanh)
  giving Bernoulli logits; standard-normal prior; analytic KL;
- one reparameterized sample per example, dynamically binarized pixels;
- Adam 1e-3 (the paper used Adagrad), batch 100;
- latent_dim 20 by default; `--latent-dim 2` also writes the 2-D manifold.

Usage:
    python recipes/vae_kingma2014_mnist.py                 # ../shared/data/mnist7k.npz, 28x28
    python recipes/vae_kingma2014_mnist.py --data digits --image-size 16
    python recipes/vae_kingma2014_mnist.py --smoke
"""

import sys

import _ae_recipe as common


def main(argv=None):
    args, ds, arrays = common.setup(__doc__, argv, "runs/vae_kingma2014", data="mnist", image_size=0, epochs=50,
                                    extra={"--latent-dim": 20})
    import kgen

    model = kgen.zoo.build("vae", arrays.x.shape[1:], tiny=args.smoke,
                           latent_dim=2 if args.smoke else args.latent_dim, seed=args.seed)
    common.train_and_write(model, ds, arrays, args, "final -ELBO: {loss:.2f} nats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
