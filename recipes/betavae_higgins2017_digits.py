"""beta-VAE (Higgins et al., 2017) on the digits: disentangling pressure through beta > 1.

https://openreview.net/forum?id=Sy2fzU9gl

Setup, as kgen builds it:
- conv encoder (4x4 stride-2 convs 32, 64) -> 10-d Gaussian posterior; conv
  decoder (transposed convs, or `--upsample resize` for int8 export) ->
  Bernoulli logits;
- loss: reconstruction + beta * KL with beta=4 (`--beta`), linearly warmed
  up from 0 over the first 1,000 steps (`--warmup`); Adam 1e-3;
- outputs: a traversal of every latent dimension (rows) from -3 to 3.

Usage:
    python recipes/betavae_higgins2017_digits.py --beta 4
    python recipes/betavae_higgins2017_digits.py --smoke
"""

import sys

import _ae_recipe as common


OPTIONS = {"--beta": 4.0, "--warmup": 1000, "--latent-dim": 10, "--upsample": ["transpose", "resize"]}


def main(argv=None):
    args, ds, arrays = common.setup(__doc__, argv, "runs/betavae_higgins2017", epochs=100, batch_size=64, extra=OPTIONS)
    import kgen

    model = kgen.zoo.build("beta_vae", arrays.x.shape[1:], tiny=args.smoke, beta=args.beta,
                           kl_warmup_steps=args.warmup, upsample=args.upsample,
                           latent_dim=2 if args.smoke else args.latent_dim, seed=args.seed)
    common.train_and_write(model, ds, arrays, args,
                           "final reconstruction {reconstruction_loss:.2f}, KL {kl_loss:.2f} nats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
