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
    args = common.parse(__doc__, argv, data="mnist", image_size=0, epochs=50,
                        extra=lambda p: p.add_argument("--latent-dim", type=int, default=20))
    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    ds, arrays = common.load(args)
    model = kgen.zoo.build("vae", arrays.x.shape[1:], tiny=args.smoke,
                           latent_dim=2 if args.smoke else args.latent_dim, seed=args.seed)
    run_dir = args.run_dir or "runs/vae_kingma2014"
    hist = common.train(model, ds, args, run_dir)
    print(f"final -ELBO: {hist.history['loss'][-1]:.2f} nats")
    common.outputs(model, arrays, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
