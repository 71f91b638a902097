"""Mode coverage of GANs on the 2-D mixtures (PacGAN / VEEGAN protocol), with published anchors.

For each mixture (ring8, grid25), model (vanilla GAN, unrolled GAN,
WGAN-GP, GAN + minibatch discrimination) and seed: train MLPs on points,
draw 2,500 samples and count captured modes (>= 1 sample within 3 std),
the high-quality fraction and the reverse KL over modes
(`kgen.metrics.mode_coverage`). Prints mean ± std over seeds beside the
published numbers, and the unrolled GAN's step time against k (it should
grow linearly). Runs on 2 CPU cores; see --help for sizes.

Settings (all models): MLPs with two hidden layers of 128 units, latent
64, batch 256 per (critic) step, Adam with a cosine learning-rate decay
from --lr (1e-3) to 1e-5 over each optimizer's own number of updates.
GAN / minibatch discrimination / unrolled: beta_1 = 0.5; minibatch
discrimination: 8 kernels of dimension 4 averaged over the batch
(`reduction="mean"`: summed features of a 256 batch saturate the logit);
unrolled: k = 5, Adam-rule unroll. WGAN-GP: n_critic = 5, Adam
betas (0.5, 0.9) and lambda = 0.1, the settings of Gulrajani et al.'s
toy-data code ("smaller lambda seems to help for toy tasks"); the library
default stays lambda = 10. Step budgets (--steps overrides) are chosen to
fit the whole run in ~30 minutes on 2 shared cores, far below the tens of
thousands of steps the published numbers use.

    python tests/benchmarks/mode_coverage.py            # full: 5 seeds, both mixtures
    python tests/benchmarks/mode_coverage.py --quick    # 1 seed, fewer steps
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kgen  # noqa: E402
from kgen.metrics.mode_coverage import mode_coverage  # noqa: E402
from kgen.models import GAN  # noqa: E402
from kgen.models.unrolled import UnrolledGAN  # noqa: E402
from kgen.models.wgan import WGANGP  # noqa: E402
from kgen.networks import build_mlp_discriminator, build_mlp_generator  # noqa: E402

# (modes, high-quality %) published; None where the paper has no entry.
ANCHORS = {
    ("grid25", "gan"): "17.3 / 94.8 % (PacGAN T1)",
    ("grid25", "pacgan4"): "24.8 / 93.6 % (PacGAN T1)",
    ("ring8", "gan"): "6.3 (PacGAN)",
    ("ring8", "pacgan2"): "7.9 (PacGAN)",
}

LATENT = 64
HIDDEN = (128, 128)
BATCH = 256


def make_model(kind, seed, lr, steps):
    keras.utils.set_random_seed(seed)
    g = build_mlp_generator(LATENT, 2, HIDDEN)
    betas = (0.5, 0.999)
    if kind == "gan":
        gan = GAN(g, build_mlp_discriminator(2, HIDDEN), LATENT, seed=seed)
    elif kind == "minibatch_disc":
        gan = GAN(g, build_mlp_discriminator(2, HIDDEN, minibatch_discrimination=(8, 4, "mean")), LATENT,
                  seed=seed)
    elif kind == "unrolled":
        gan = UnrolledGAN(g, build_mlp_discriminator(2, HIDDEN), LATENT, unroll_steps=5, seed=seed)
    elif kind == "wgan_gp":
        gan = WGANGP(g, build_mlp_discriminator(2, HIDDEN), LATENT, d_steps=5, gradient_penalty_weight=0.1,
                     seed=seed)
        betas = (0.5, 0.9)
    else:
        raise ValueError(kind)

    def adam(updates):
        schedule = keras.optimizers.schedules.CosineDecay(lr, updates, alpha=0.01)
        return keras.optimizers.Adam(schedule, beta_1=betas[0], beta_2=betas[1])

    gan.compile(d_optimizer=adam(steps * gan.d_steps), g_optimizer=adam(steps), steps_per_execution=100)
    return gan


def dataset(mixture, seed, batch):
    points, _ = mixture.sample(200_000, seed=1000 + seed)
    return (tf.data.Dataset.from_tensor_slices(points).shuffle(20_000, seed=seed)
            .batch(batch, drop_remainder=True).repeat().prefetch(4))


def run_one(kind, mixture, seed, steps, lr):
    gan = make_model(kind, seed, lr, steps)
    batch = BATCH * (gan.d_steps)
    t0 = time.perf_counter()
    gan.fit(dataset(mixture, seed, batch), steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - t0
    samples = keras.ops.convert_to_numpy(gan.generate(2500))
    return mode_coverage(samples, mixture), seconds


def unroll_cost(ks=(0, 1, 5, 10), steps=100):
    mix = kgen.data.ring8()
    rows = []
    for k in ks:
        keras.utils.set_random_seed(0)
        gan = UnrolledGAN(build_mlp_generator(LATENT, 2, HIDDEN), build_mlp_discriminator(2, HIDDEN),
                          LATENT, unroll_steps=k, seed=0)
        gan.compile(steps_per_execution=steps)
        data = dataset(mix, 0, BATCH)
        gan.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)  # trace
        t0 = time.perf_counter()
        gan.fit(data, steps_per_epoch=2 * steps, epochs=1, verbose=0)
        rows.append((k, (time.perf_counter() - t0) / (2 * steps) * 1e3))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--mixtures", nargs="+", default=["ring8", "grid25"])
    p.add_argument("--models", nargs="+", default=["gan", "unrolled", "wgan_gp", "minibatch_disc"])
    p.add_argument("--steps", type=int, default=None, help="generator steps per run (default per model)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-unroll-cost", action="store_true", help="skip the step-time-vs-k measurement")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds = 1
    default_steps = {"gan": 4000, "minibatch_disc": 1000, "unrolled": 1500, "wgan_gp": 1500}
    results = {}
    start = time.perf_counter()
    for mix_name in args.mixtures:
        mixture = getattr(kgen.data, mix_name)()
        for kind in args.models:
            steps = args.steps or default_steps[kind] // (3 if args.quick else 1)
            for seed in range(args.seeds):
                cov, secs = run_one(kind, mixture, seed, steps, args.lr)
                results.setdefault((mix_name, kind), []).append(cov)
                print(f"{mix_name:7s} {kind:15s} seed {seed}: {cov.modes_captured:2d}/{cov.num_modes} modes, "
                      f"HQ {100 * cov.high_quality_fraction:5.1f} %, rKL {cov.reverse_kl:.3f}, "
                      f"{steps} steps in {secs:.0f} s", flush=True)
    print()
    print(f"Mode coverage over {args.seeds} seed(s), 2,500 samples, HQ = within 3 std "
          f"(total {time.perf_counter() - start:.0f} s)")
    print("| mixture | model | modes (mean ± std) | high quality % | reverse KL | published anchor |")
    print("|---|---|---|---|---|---|")
    for (mix_name, kind), covs in results.items():
        modes = np.array([c.modes_captured for c in covs], float)
        hq = np.array([100 * c.high_quality_fraction for c in covs])
        kl = np.array([c.reverse_kl for c in covs])
        finite = kl[np.isfinite(kl)]
        kl_text = f"{finite.mean():.3f}" if len(finite) else "inf"
        if len(finite) < len(kl):
            kl_text += f" ({len(kl) - len(finite)} seed(s) with no HQ sample: inf)"
        anchor = ANCHORS.get((mix_name, kind), "")
        print(f"| {mix_name} | {kind} | {modes.mean():.1f} ± {modes.std():.1f} / {covs[0].num_modes} | "
              f"{hq.mean():.1f} ± {hq.std():.1f} | {kl_text} | {anchor} |")
    for (mix_name, kind), anchor in ANCHORS.items():
        if kind.startswith("pacgan") and mix_name in args.mixtures:
            print(f"| {mix_name} | {kind} (published only) | | | | {anchor} |")
    if args.no_unroll_cost:
        return
    print()
    print("Unrolled GAN step time vs unroll steps k (ms/step, batch 256; linear in k expected):")
    for k, ms in unroll_cost():
        print(f"  k={k:2d}: {ms:6.2f} ms")


if __name__ == "__main__":
    main()
