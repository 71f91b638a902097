"""VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, 2017) on the digits.

https://arxiv.org/abs/1711.00937

Setup, as kgen builds it:
- conv encoder (two 4x4 stride-2 convs) -> a 4x4 map of 16-d vectors,
  each replaced by its nearest of K=64 codebook entries; gradients copied
  straight through to the encoder; conv decoder back to 16x16;
- loss: reconstruction MSE + codebook loss + 0.25 * commitment loss, or
  EMA codebook updates with `--ema` (decay 0.99); Adam 2e-4;
- outputs: reconstructions, and decodes of uniformly drawn code maps (the
  paper fits a PixelCNN prior over codes; kgen has none yet).

Usage:
    python recipes/vqvae_vandenoord2017_digits.py --ema
    python recipes/vqvae_vandenoord2017_digits.py --smoke
"""

import sys

import _ae_recipe as common


def _extra(p):
    p.add_argument("--ema", action="store_true")
    p.add_argument("--num-embeddings", type=int, default=64)


def main(argv=None):
    args = common.parse(__doc__, argv, epochs=100, batch_size=64, extra=_extra)
    import keras

    import kgen
    from kgen.images import save_grid

    keras.utils.set_random_seed(args.seed)
    ds, arrays = common.load(args)
    model = kgen.zoo.build("vqvae", arrays.x.shape[1:], tiny=args.smoke, ema=args.ema,
                           num_embeddings=None if args.smoke else args.num_embeddings, seed=args.seed)
    run_dir = args.run_dir or "runs/vqvae_vandenoord2017"
    hist = common.train(model, ds, args, run_dir, samples=0)
    print(f"final reconstruction MSE {hist.history['reconstruction_loss'][-1]:.4f}, "
          f"codebook perplexity {hist.history['perplexity'][-1]:.1f}")
    common.outputs(model, arrays, run_dir, latent_tools=False)
    print(f"samples: {save_grid(model.generate(64).numpy(), f'{run_dir}/samples.png', (0.0, 1.0), scale=2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
