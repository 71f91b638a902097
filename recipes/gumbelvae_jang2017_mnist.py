"""Categorical VAE with Gumbel-softmax (Jang, Gu & Poole, 2017) on MNIST.

https://arxiv.org/abs/1611.01144

Setup, as kgen builds it:
- 30 categorical latent variables with 10 classes each; encoder 784-512-256
  (ReLU) -> 300 logits; decoder 300-256-512-784 -> Bernoulli logits;
- training samples RelaxedOneHotCategorical(tau, logits), tau annealed as
  max(0.5, exp(-3e-5 * step)); KL of the categorical posterior from the
  uniform prior; Adam 1e-3, batch 100;
- samples decode exact one-hot latents drawn from the uniform prior.

Usage:
    python recipes/gumbelvae_jang2017_mnist.py
    python recipes/gumbelvae_jang2017_mnist.py --smoke
"""

import sys

import _ae_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, data="mnist", image_size=0, epochs=50)
    import keras

    import kgen
    from kgen.images import save_grid

    keras.utils.set_random_seed(args.seed)
    ds, arrays = common.load(args)
    model = kgen.zoo.build("gumbel_vae", arrays.x.shape[1:], tiny=args.smoke, seed=args.seed)
    run_dir = args.run_dir or "runs/gumbelvae_jang2017"
    hist = common.train(model, ds, args, run_dir, samples=0)  # SampleGrid draws Gaussian latents
    print(f"final -ELBO {hist.history['loss'][-1]:.2f} nats, temperature "
          f"{hist.history['temperature'][-1]:.3f}")
    common.outputs(model, arrays, run_dir, latent_tools=False)
    print(f"samples: {save_grid(model.generate(64).numpy(), f'{run_dir}/samples.png', (0.0, 1.0), scale=2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
