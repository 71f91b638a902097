"""Denoising autoencoder (Vincent, Larochelle, Bengio & Manzagol, 2008) on MNIST.

https://www.cs.toronto.edu/~larocheh/publications/icml-2008-denoising-autoencoders.pdf

Setup, as kgen builds it:
- one hidden layer of sigmoid units (`--code-dim`, 500 here, as in the
  paper's first layer), sigmoid reconstruction, cross-entropy loss;
- corruption in training only: masking noise (each pixel zeroed with
  probability 0.25, `--rate`), or `--corruption gaussian|salt_and_pepper`;
- outputs: reconstructions of clean inputs, and a sampling chain that
  alternates corruption and denoising from uniform noise.

Usage:
    python recipes/dae_vincent2008_mnist.py --rate 0.25
    python recipes/dae_vincent2008_mnist.py --smoke
"""

import sys

import _ae_recipe as common


def _extra(p):
    p.add_argument("--corruption", default="masking", choices=["masking", "gaussian", "salt_and_pepper"])
    p.add_argument("--rate", type=float, default=0.25, help="masking/salt-and-pepper rate or Gaussian std")
    p.add_argument("--code-dim", type=int, default=500)


def main(argv=None):
    args, ds, arrays = common.setup(__doc__, argv, "runs/dae_vincent2008",
                                    data="mnist", image_size=0, epochs=30, extra=_extra)
    import numpy as np

    import kgen
    from kgen.images import save_grid

    kw = {"stddev": args.rate} if args.corruption == "gaussian" else {"rate": args.rate}
    model = kgen.zoo.build("denoising_autoencoder", arrays.x.shape[1:], tiny=args.smoke,
                           code_dim=None if args.smoke else args.code_dim, hidden_units=(),
                           corruption=args.corruption, corruption_kwargs=kw, seed=args.seed)
    common.train_and_write(model, ds, arrays, args, "final reconstruction cross-entropy {loss:.2f}", grid=0,
                           latent_tools=False)
    chain = model.sample_chain(8, steps=3 if args.smoke else 20)
    picks = chain[np.linspace(0, len(chain) - 1, 8).astype(int)]  # (8 steps, 8 chains, ...)
    path = save_grid(picks.transpose(1, 0, 2, 3, 4).reshape(-1, *chain.shape[2:]),
                     f"{args.run_dir}/sample_chain.png", (0.0, 1.0), ncols=8, scale=3)
    print(f"sample_chain: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
