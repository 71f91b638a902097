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


OPTIONS = {"--ema": False, "--num-embeddings": 64}


def main(argv=None):
    args, ds, arrays = common.setup(__doc__, argv, "runs/vqvae_vandenoord2017", epochs=100, batch_size=64,
                                    extra=OPTIONS)
    import kgen

    model = kgen.zoo.build("vqvae", arrays.x.shape[1:], tiny=args.smoke, ema=args.ema,
                           num_embeddings=None if args.smoke else args.num_embeddings, seed=args.seed)
    common.train_and_write(model, ds, arrays, args,
                           "final reconstruction MSE {reconstruction_loss:.4f}, codebook perplexity {perplexity:.1f}",
                           grid=0, latent_tools=False, samples=64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
