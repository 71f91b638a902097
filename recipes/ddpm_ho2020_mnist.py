"""DDPM (Ho et al., 2020) on MNIST: the epsilon-prediction U-Net, the simple loss, EMA; DDPM and DDIM samples.

https://arxiv.org/abs/2006.11239

Setup, as kgen builds it (`kgen.zoo.build("ddpm", ...)`):
- T = 1000, linear betas 1e-4 .. 0.02; epsilon prediction; L_simple;
- U-Net: sinusoidal time embedding, two GroupNorm/swish residual blocks per
  level, levels 32-16-8-4 at 64-128-128-128 channels, self-attention at 8x8
  (the paper's CIFAR-10 net is 128 base channels, dropout 0.1, 35.7M parameters);
- Adam 2e-4, batch 128, EMA of the weights (decay 0.9999 with the warm-up
  min(decay, (1 + n) / (10 + n)), so early samples are not from the initial weights);
- samples: DDPM ancestral with 1000 steps (predicted x_0 clipped to [-1, 1]),
  DDIM with 50 steps (eta 0), a denoising strip x_T -> x_0, and the variational
  bound in bits/dim on the 1,000 held-out images (the VAE likelihood split).

Usage:
    python recipes/ddpm_ho2020_mnist.py                       # ../shared/data/mnist7k.npz at 32x32
    python recipes/ddpm_ho2020_mnist.py --image-size 16 --base-filters 32 --epochs 30
    python recipes/ddpm_ho2020_mnist.py --smoke
"""

import sys

import _diffusion_recipe as common


def _extra(p):
    p.add_argument("--base-filters", type=int, default=64)
    p.add_argument("--bpd-examples", type=int, default=200, help="held-out images for the bound")
    p.add_argument("--bpd-timesteps", type=int, default=50,
                   help="stratified timesteps per image for the bound (0: all T terms)")


def main(argv=None):
    args = common.parse(__doc__, argv, extra=_extra)
    import keras
    import numpy as np

    import kgen

    keras.utils.set_random_seed(args.seed)
    ds, _, test_x = common.load(args)
    kwargs = {"num_timesteps": 20} if args.smoke else {"base_filters": args.base_filters}
    model = kgen.zoo.build("ddpm", test_x.shape[1:], tiny=args.smoke, seed=args.seed, **kwargs)
    run_dir = args.run_dir or "runs/ddpm_ho2020"
    hist = common.train(model, ds, args, run_dir)
    print(f"final loss: {hist.history['loss'][-1]:.4f}")
    T = model.num_timesteps
    n = 16 if args.smoke else 64
    common.write_grid(np.asarray(model.generate(n, sampler="ddpm", steps=T, seed=0)), f"{run_dir}/samples_ddpm{T}.png")
    common.write_grid(np.asarray(model.generate(n, sampler="ddim", steps=min(50, T))), f"{run_dir}/samples_ddim50.png")
    common.write_strip(model, f"{run_dir}/strip_ddpm.png", sampler="ddpm", steps=T)
    m = 4 if args.smoke else args.bpd_examples
    bound = model.bits_per_dim(common.quantized(test_x[:m]), timesteps=min(args.bpd_timesteps, T) or None,
                               seed=args.seed)
    print(f"bits/dim (variational bound, {m} held-out images, {bound['timesteps']} timesteps): "
          f"{bound['bits_per_dim']:.3f} +- {bound['stderr']:.3f}")
    kgen.runs.save_model(model, run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
