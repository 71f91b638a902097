"""DDIM (Song et al., 2021) on MNIST: one trained DDPM sampled in 10 to 1000 steps, eta 0 to 1, and inverted.

https://arxiv.org/abs/2010.02502

DDIM needs no new training: it samples the DDPM of `ddpm_ho2020_mnist.py`
(same network, schedule and objective) on a respaced subset of the timesteps,
x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma z with
sigma = eta * sqrt((1 - ab_prev) / (1 - ab)) * sqrt(1 - ab / ab_prev). At
eta = 0 the map x_T -> x_0 is deterministic: the same latents give the same
digits at every step count, latents interpolate (spherically), and DDIM
inversion maps an image back to its latent. The predicted x_0 is not
clipped (clipping breaks that map).

Writes: samples at 10, 20, 50 and 100 steps from the same latents (eta 0),
the same at 10, 20 and 50 quadratically spaced steps (the paper's CIFAR10 choice),
samples at eta 0, 0.5 and 1 (50 steps), an interpolation between two latents,
and held-out digits beside their inversion-and-resampling.

Usage:
    python recipes/ddim_song2021_mnist.py                          # trains the DDPM first
    python recipes/ddim_song2021_mnist.py --from-run runs/ddpm_ho2020
    python recipes/ddim_song2021_mnist.py --smoke
"""

import sys

import _diffusion_recipe as common


def _extra(p):
    p.add_argument("--from-run", default=None, help="a run directory holding a trained DDPM (model.keras)")


def _slerp(a, b, w):
    import numpy as np

    cos = np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))
    theta = np.arccos(np.clip(cos, -1, 1))
    return (np.sin((1 - w) * theta) * a + np.sin(w * theta) * b) / np.sin(theta)


def main(argv=None):
    args = common.parse(__doc__, argv, extra=_extra)
    import keras
    import numpy as np

    import kgen

    keras.utils.set_random_seed(args.seed)
    ds, _, test_x = common.load(args)
    run_dir = args.run_dir or "runs/ddim_song2021"
    if args.from_run:
        model, _ = kgen.runs.load_run(args.from_run, compile=False)
    else:
        kwargs = {"num_timesteps": 20} if args.smoke else {}
        model = kgen.zoo.build("ddpm", test_x.shape[1:], tiny=args.smoke, seed=args.seed, **kwargs)
        common.train(model, ds, args, run_dir)
        kgen.runs.save_model(model, run_dir)
    T = model.num_timesteps
    n = 8 if args.smoke else 16
    x_T = model.prior["x_t"].numpy_sample(n, np.random.default_rng(args.seed))
    rows = [np.asarray(model.generate(x_T, sampler="ddim", steps=min(s, T))) for s in (10, 20, 50, 100)]
    common.write_grid(np.concatenate(rows), f"{run_dir}/ddim_steps_10_20_50_100.png", ncols=n)
    # Song et al. use quadratic timesteps for CIFAR10 (section D.2), uniform ones elsewhere.
    rows = [np.asarray(model.generate(x_T, sampler="ddim", steps=min(s, T), spacing="quadratic"))
            for s in (10, 20, 50)]
    common.write_grid(np.concatenate(rows), f"{run_dir}/ddim_quadratic_10_20_50.png", ncols=n)
    rows = [np.asarray(model.generate(x_T, sampler="ddim", steps=min(50, T), eta=e, seed=0)) for e in (0, 0.5, 1)]
    common.write_grid(np.concatenate(rows), f"{run_dir}/ddim_eta_0_05_1.png", ncols=n)
    path = np.stack([_slerp(x_T[0], x_T[1], w) for w in np.linspace(0, 1, 8)]).astype("float32")
    common.write_grid(np.asarray(model.generate(path, sampler="ddim", steps=min(50, T))),
                      f"{run_dir}/interpolation.png", ncols=8)
    x = test_x[:n]
    z = np.asarray(model.encode(x, steps=min(100, T)))
    back = np.asarray(model.generate(z, sampler="ddim", steps=min(100, T)))
    common.write_grid(np.concatenate([x, back]), f"{run_dir}/inversion.png", ncols=n)
    print(f"DDIM inversion ({min(100, T)} steps): mean |x - DDIM(invert(x))| = {np.abs(back - x).mean():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
