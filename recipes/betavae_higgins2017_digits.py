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


def _extra(p):
    p.add_argument("--beta", type=float, default=4.0)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--latent-dim", type=int, default=10)
    p.add_argument("--upsample", default="transpose", choices=["transpose", "resize"])


def main(argv=None):
    args = common.parse(__doc__, argv, epochs=100, batch_size=64, extra=_extra)
    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    ds, arrays = common.load(args)
    model = kgen.zoo.build("beta_vae", arrays.x.shape[1:], tiny=args.smoke, beta=args.beta,
                           kl_warmup_steps=args.warmup, upsample=args.upsample,
                           latent_dim=2 if args.smoke else args.latent_dim, seed=args.seed)
    run_dir = args.run_dir or "runs/betavae_higgins2017"
    hist = common.train(model, ds, args, run_dir)
    print(f"final reconstruction {hist.history['reconstruction_loss'][-1]:.2f}, "
          f"KL {hist.history['kl_loss'][-1]:.2f} nats")
    common.outputs(model, arrays, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
