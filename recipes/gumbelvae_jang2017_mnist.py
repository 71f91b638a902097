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
    args, ds, arrays = common.setup(__doc__, argv, "runs/gumbelvae_jang2017", data="mnist", image_size=0, epochs=50)
    import kgen

    model = kgen.zoo.build("gumbel_vae", arrays.x.shape[1:], tiny=args.smoke, seed=args.seed)
    # grid=0: SampleGrid draws Gaussian latents; samples.png decodes one-hot draws of the prior.
    common.train_and_write(model, ds, arrays, args, "final -ELBO {loss:.2f} nats, temperature {temperature:.3f}",
                           grid=0, latent_tools=False, samples=64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
