"""Mode coverage of GANs on the 2-D mixtures (PacGAN / VEEGAN protocol), with published anchors.

For each mixture (ring8, grid25), model (vanilla GAN, unrolled GAN,
WGAN-GP, GAN + minibatch discrimination) and seed: train MLPs on points,
draw 2,500 samples and count captured modes (>= 1 sample within 3 std),
the high-quality (HQ) fraction and the reverse KL over modes
(`kgen.metrics.mode_coverage`). Prints mean ± std over seeds beside the
published numbers, and the unrolled GAN's step time against k (it should
grow linearly). Runs are spread over `--jobs` single-threaded processes
(these MLP steps are overhead-bound: one thread each is the fastest use
of the cores).

Settings (printed with the table; `SETTINGS` below): MLPs with two
hidden layers of 128 units, latent 64, batch 256 per (critic) step,
Adam with a cosine learning-rate decay to 1 % of its start over each
optimizer's own number of updates. The learning rates are far above the
papers' 1e-4: the modes are 0.05 (grid) and 0.01 (ring) wide, so the
networks need large first/last-layer weights to resolve them, and Adam
moves a weight by about one learning rate per step; 1e-4 needs ~100k
steps (the published runs), 1e-2 with the decay gets there in ~15k.
WGAN-GP: lambda = 0.1 (Gulrajani et al.'s toy-data code: "smaller
lambda seems to help for toy tasks"; the library default stays 10),
Adam betas (0.5, 0.9), n_critic = 2 (with n_critic = 5 the same budget
reached 44 % HQ on the grid, 91 % with 2). Unrolled: k = 5, the unroll
continues D's own Adam and G minimizes the value function at the
unrolled D (Metz et al.'s f_K; with the non-saturating loss on fresh
fakes instead, the same budget collapsed to 10 of 25 grid modes).
Minibatch discrimination: 8 kernels of dimension 4 averaged over the
batch (`reduction="mean"`). Vanilla GAN and minibatch discrimination are
reference rows (no target); their budgets are smaller where noted.

    python tests/benchmarks/mode_coverage.py                 # full: 5 seeds, both mixtures
    python tests/benchmarks/mode_coverage.py --quick         # 1 seed, 1/4 of the steps
    python tests/benchmarks/mode_coverage.py --models wgan_gp --mixtures grid25 --seeds 2
"""

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

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

# Per model: generator steps (an int, or per mixture), Adam start rate and
# betas, critic steps per G step.
SETTINGS = {
    "wgan_gp": dict(steps={"ring8": 16000, "grid25": 32000}, lr=1e-2, betas=(0.5, 0.9), d_steps=2, gradient_penalty_weight=0.1),
    "unrolled": dict(steps=8000, lr=3e-3, betas=(0.5, 0.999), d_steps=1, unroll_steps=5),
    "gan": dict(steps=16000, lr=3e-3, betas=(0.5, 0.999), d_steps=1),
    "minibatch_disc": dict(steps=4000, lr=3e-3, betas=(0.5, 0.999), d_steps=1),
}


def make_model(kind, seed, settings):
    import keras

    from kgen.models import GAN
    from kgen.models.unrolled import UnrolledGAN
    from kgen.models.wgan import WGANGP
    from kgen.networks import build_mlp_discriminator, build_mlp_generator

    keras.utils.set_random_seed(seed)
    g = build_mlp_generator(LATENT, 2, HIDDEN)
    if kind == "gan":
        gan = GAN(g, build_mlp_discriminator(2, HIDDEN), LATENT, seed=seed)
    elif kind == "minibatch_disc":
        gan = GAN(g, build_mlp_discriminator(2, HIDDEN, minibatch_discrimination=(8, 4, "mean")), LATENT,
                  seed=seed)
    elif kind == "unrolled":
        gan = UnrolledGAN(g, build_mlp_discriminator(2, HIDDEN), LATENT,
                          unroll_steps=settings["unroll_steps"], seed=seed)
    elif kind == "wgan_gp":
        gan = WGANGP(g, build_mlp_discriminator(2, HIDDEN), LATENT, d_steps=settings["d_steps"],
                     gradient_penalty_weight=settings["gradient_penalty_weight"], seed=seed)
    else:
        raise ValueError(f"unknown model {kind!r}; expected one of {sorted(SETTINGS)}")

    def adam(updates):
        schedule = keras.optimizers.schedules.CosineDecay(settings["lr"], updates, alpha=0.01)
        return keras.optimizers.Adam(schedule, beta_1=settings["betas"][0], beta_2=settings["betas"][1])

    steps = settings["run_steps"]
    gan.compile(d_optimizer=adam(steps * gan.d_steps), g_optimizer=adam(steps), steps_per_execution=100)
    return gan


def dataset(mixture, seed, batch):
    import tensorflow as tf

    points, _ = mixture.sample(200_000, seed=1000 + seed)
    return (tf.data.Dataset.from_tensor_slices(points).shuffle(20_000, seed=seed)
            .batch(batch, drop_remainder=True).repeat().prefetch(4))


def steps_for(settings, mix_name):
    steps = settings["steps"]
    return steps[mix_name] if isinstance(steps, dict) else steps


def run_one(kind, mix_name, seed, settings):
    """Train one model on one mixture; return (coverage, seconds). Runs in a worker process."""
    import keras

    import kgen
    from kgen.metrics.mode_coverage import mode_coverage

    mixture = getattr(kgen.data, mix_name)()
    settings = {**settings, "run_steps": steps_for(settings, mix_name)}
    gan = make_model(kind, seed, settings)
    t0 = time.perf_counter()
    gan.fit(dataset(mixture, seed, BATCH * gan.d_steps), steps_per_epoch=settings["run_steps"], epochs=1,
            verbose=0)
    seconds = time.perf_counter() - t0
    samples = keras.ops.convert_to_numpy(gan.generate(2500))
    return mode_coverage(samples, mixture), seconds


def unroll_cost(ks=(0, 1, 5, 10), steps=100):
    import keras

    import kgen
    from kgen.models.unrolled import UnrolledGAN
    from kgen.networks import build_mlp_discriminator, build_mlp_generator

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
    p.add_argument("--models", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    p.add_argument("--steps", type=int, default=None, help="generator steps per run (default per model)")
    p.add_argument("--lr", type=float, default=None, help="Adam start rate for every model (default per model)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (1 thread each)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-unroll-cost", action="store_true", help="skip the step-time-vs-k measurement")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds = 1
    # One intra-op thread per process: set before any TensorFlow op runs
    # here, and inherited by the workers.
    os.environ["TF_NUM_INTRAOP_THREADS"] = "1"
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"

    settings = {}
    for kind in args.models:
        s = dict(SETTINGS[kind])
        if args.steps:
            s["steps"] = args.steps
        elif args.quick:
            s["steps"] = {m: steps_for(s, m) // 4 for m in args.mixtures}
        if args.lr:
            s["lr"] = args.lr
        settings[kind] = s
        print(f"{kind}: {s}")
    tasks = [(kind, mix_name, seed) for kind in args.models for mix_name in args.mixtures
             for seed in range(args.seeds)]
    results = {}
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        futures = {pool.submit(run_one, kind, mix_name, seed, settings[kind]): (kind, mix_name, seed)
                   for kind, mix_name, seed in tasks}
        for fut in cf.as_completed(futures):
            kind, mix_name, seed = futures[fut]
            cov, secs = fut.result()
            results.setdefault((mix_name, kind), {})[seed] = cov
            print(f"{mix_name:7s} {kind:15s} seed {seed}: {cov.modes_captured:2d}/{cov.num_modes} modes, "
                  f"HQ {100 * cov.high_quality_fraction:5.1f} %, rKL {cov.reverse_kl:.3f}, "
                  f"{steps_for(settings[kind], mix_name)} steps in {secs:.0f} s", flush=True)
    print()
    print(f"Mode coverage over {args.seeds} seed(s), 2,500 samples, HQ = within 3 std "
          f"(total {time.perf_counter() - start:.0f} s wall, {args.jobs} process(es))")
    print("| mixture | model | steps | modes (mean ± std) | all modes, seeds | high quality % (min) "
          "| reverse KL | published anchor |")
    print("|---|---|---|---|---|---|---|---|")
    for mix_name in args.mixtures:
        for kind in args.models:
            covs = [results[(mix_name, kind)][s] for s in sorted(results[(mix_name, kind)])]
            modes = np.array([c.modes_captured for c in covs], float)
            hq = np.array([100 * c.high_quality_fraction for c in covs])
            kl = np.array([c.reverse_kl for c in covs])
            finite = kl[np.isfinite(kl)]
            kl_text = f"{finite.mean():.3f}" if len(finite) else "inf"
            if len(finite) < len(kl):
                kl_text += f" ({len(kl) - len(finite)} seed(s) with no HQ sample: inf)"
            full = sum(c.modes_captured == c.num_modes for c in covs)
            anchor = ANCHORS.get((mix_name, kind), "")
            print(f"| {mix_name} | {kind} | {steps_for(settings[kind], mix_name)} | {modes.mean():.1f} ± {modes.std():.1f} "
                  f"/ {covs[0].num_modes} | {full}/{len(covs)} | {hq.mean():.1f} ± {hq.std():.1f} ({hq.min():.1f}) "
                  f"| {kl_text} | {anchor} |")
    for (mix_name, kind), anchor in ANCHORS.items():
        if kind.startswith("pacgan") and mix_name in args.mixtures:
            print(f"| {mix_name} | {kind} (published only) | | | | | | {anchor} |")
    if args.no_unroll_cost:
        return
    print()
    print("Unrolled GAN step time vs unroll steps k (ms/step, batch 256, 1 thread; linear in k expected):")
    for k, ms in unroll_cost():
        print(f"  k={k:2d}: {ms:6.2f} ms")


if __name__ == "__main__":
    main()
