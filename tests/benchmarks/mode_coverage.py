"""Mode coverage of GANs on the 2-D mixtures (PacGAN / VEEGAN protocol), with published anchors.

For each mixture (ring8: 8 modes on the unit circle, std 0.01; grid25: 25
modes on {-4,-2,0,2,4}^2, std 0.05), model (vanilla GAN, unrolled GAN,
WGAN-GP, GAN + minibatch discrimination) and seed: train MLPs on points,
draw 2,500 samples and count captured modes (>= 1 sample within 3 std),
the high-quality (HQ) fraction and the reverse KL over modes
(`kgen.metrics.mode_coverage`), for the generator itself and for its
exponential moving average (`kgen.callbacks.GeneratorEMA`, decay 0.9 per
100-step execution, about 0.999 per step). Prints mean ± std over seeds
beside the published numbers, and the unrolled GAN's step time against k
(it should grow linearly). Runs are spread over `--jobs` single-threaded
processes (these MLP steps are overhead- or cache-bound: one thread each is
the fastest use of the cores); every finished run is appended to
`--results` (JSON lines), and `--table-only` prints the table from it, so an
interrupted run loses nothing and can be resumed (`--resume` skips runs
already there).

Settings (`SETTINGS` below, printed with the table), found by measuring
one seed at a time on 2 CPU cores:

- Discriminators: two hidden layers of 128 leaky-ReLU units. Latent 64.
- Generators: two hidden layers of 128 ReLU units, except the unrolled GAN's:
  four of 400 (PacGAN's 2-D generator width). The wider generator is what
  resolved the grid: with 2 x 128 every unrolled setting tried stayed at
  3-22 % HQ (and 17-22 of 25 modes); with 4 x 400, 12k steps reached 25/25
  modes and 89 % HQ (91 % for the EMA); batch or layer norm in the small
  generator did not help (3-7 %). On the ring the small generator also
  got there (92 % after 12k steps) but needed batches of 512 to, at twice
  the time per step.
- Adam with a cosine decay to 1 % of the start rate over each optimizer's
  own number of updates. The unrolled GAN's rates are per mixture. Ring
  (a slower discriminator): G 1e-3, D 3e-4 (3e-3 for both left
  the samples diffuse, 1 % HQ; Metz et al.'s D 1e-4 reached 94-98 % HQ on 4
  seeds but on seed 3 left D at chance with no sample on a mode). Grid:
  G and D 3e-3 (25/25 modes on every seed, HQ 85.0-94.8 %, mean 90.6 %;
  D 1e-3 also kept every mode but spread HQ over 83.3-93.7 %, mean 88.9 %;
  G 1e-3 / D 1e-4 left 4 % HQ after 8k steps). More steps do not help the
  unrolled GAN: seed 1 at 20k steps dropped to 16 modes and 66 % HQ.
- WGAN-GP: lambda = 0.1 (Gulrajani et al.'s toy-data code: "smaller lambda
  seems to help for toy tasks"; the library default stays 10), Adam betas
  (0.5, 0.9), n_critic = 2, start rate 1e-2 (1e-3 was 3 % HQ after 6k
  steps); 48k steps on the grid (32k left seed 1 at 87.1 % HQ, 48k 91.6 %).
- Unrolled: k = 5, the unroll continues D's own Adam and G minimizes the
  value function at the unrolled D (Metz et al.'s f_K). Its non-saturating
  form (`surrogate="unrolled_fakes"`) collapsed the grid to 1 mode (99.9 %
  HQ, grid seed 1): the saturating minimax term is what keeps the modes.
- Minibatch discrimination: 8 kernels of dimension 4 averaged over the
  batch (`reduction="mean"`). Vanilla GAN and minibatch discrimination are
  reference rows (no target) with the small networks of Metz et al.

    python tests/benchmarks/mode_coverage.py                 # full: 5 seeds, both mixtures
    python tests/benchmarks/mode_coverage.py --quick         # 1 seed, 1/4 of the steps
    python tests/benchmarks/mode_coverage.py --models wgan_gp --mixtures grid25 --seeds 2
    python tests/benchmarks/mode_coverage.py --table-only    # the table of the results file
"""

import argparse
import concurrent.futures as cf
import json
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
    ("grid25", "unrolled"): "23.6 / 16.0 % (VEEGAN T1)",
}

LATENT = 64
HIDDEN = (128, 128)
WIDE = (400, 400, 400, 400)
BATCH = 256
EMA_DECAY = 0.9  # per execution of STEPS_PER_EXECUTION steps
STEPS_PER_EXECUTION = 100

# Per model: generator steps, Adam start rates (g_lr, d_lr) and betas,
# critic steps per G step, batch, generator widths. A value given as a dict
# is per mixture.
SETTINGS = {
    "wgan_gp": dict(steps={"ring8": 16000, "grid25": 48000}, g_lr=1e-2, d_lr=1e-2, betas=(0.5, 0.9),
                    d_steps=2, gradient_penalty_weight=0.1),
    "unrolled": dict(steps=12000, g_lr={"ring8": 1e-3, "grid25": 3e-3}, d_lr={"ring8": 3e-4, "grid25": 3e-3},
                     betas=(0.5, 0.999), unroll_steps=5, g_hidden=WIDE),
    "gan": dict(steps=16000, g_lr=3e-3, d_lr=3e-3, betas=(0.5, 0.999)),
    "minibatch_disc": dict(steps=4000, g_lr=3e-3, d_lr=3e-3, betas=(0.5, 0.999)),
}


def resolve(settings, mix_name):
    """The settings of one mixture: per-mixture dict values replaced by the mixture's entry."""
    return {k: (v[mix_name] if isinstance(v, dict) else v) for k, v in settings.items()}


def make_model(kind, seed, settings):
    """Build and compile one model from resolved settings (`run_steps` = generator steps)."""
    import keras

    from kgen.models import GAN
    from kgen.models.gan import UnrolledGAN
    from kgen.models.gan import WGANGP
    from kgen.networks import build_mlp_discriminator, build_mlp_generator

    keras.utils.set_random_seed(seed)
    g = build_mlp_generator(LATENT, 2, tuple(settings.get("g_hidden", HIDDEN)))
    if kind == "gan":
        gan = GAN(g, build_mlp_discriminator(2, HIDDEN), LATENT, seed=seed)
    elif kind == "minibatch_disc":
        gan = GAN(g, build_mlp_discriminator(2, HIDDEN, minibatch_discrimination=(8, 4, "mean")), LATENT,
                  seed=seed)
    elif kind == "unrolled":
        gan = UnrolledGAN(g, build_mlp_discriminator(2, HIDDEN), LATENT,
                          unroll_steps=settings["unroll_steps"], surrogate=settings.get("surrogate", "value"),
                          seed=seed)
    elif kind == "wgan_gp":
        gan = WGANGP(g, build_mlp_discriminator(2, HIDDEN), LATENT, d_steps=settings["d_steps"],
                     gradient_penalty_weight=settings["gradient_penalty_weight"], seed=seed)
    else:
        raise ValueError(f"unknown model {kind!r}; expected one of {sorted(SETTINGS)}")

    def adam(lr, updates):
        schedule = keras.optimizers.schedules.CosineDecay(lr, updates, alpha=0.01)
        return keras.optimizers.Adam(schedule, beta_1=settings["betas"][0], beta_2=settings["betas"][1])

    steps = settings["run_steps"]
    gan.compile(d_optimizer=adam(settings["d_lr"], steps * gan.d_steps),
                g_optimizer=adam(settings["g_lr"], steps), steps_per_execution=STEPS_PER_EXECUTION)
    return gan


def dataset(mixture, seed, batch):
    import tensorflow as tf

    points, _ = mixture.sample(200_000, seed=1000 + seed)
    return (tf.data.Dataset.from_tensor_slices(points).shuffle(20_000, seed=seed)
            .batch(batch, drop_remainder=True).repeat().prefetch(4))


def run_one(kind, mix_name, seed, settings):
    """Train one model on one mixture; return a result dict. Runs in a worker process."""
    import keras

    import kgen
    from kgen.callbacks import GeneratorEMA
    from kgen.metrics.mode_coverage import mode_coverage

    mixture = getattr(kgen.data, mix_name)()
    settings = {**resolve(settings, mix_name)}
    settings["run_steps"] = settings["steps"]
    keras.config.set_dtype_policy(settings.get("policy", "float32"))
    gan = make_model(kind, seed, settings)
    keras.config.set_dtype_policy("float32")
    ema = GeneratorEMA(EMA_DECAY)
    t0 = time.perf_counter()
    gan.fit(dataset(mixture, seed, settings.get("batch", BATCH) * gan.d_steps), steps_per_epoch=settings["steps"],
            epochs=1, verbose=0, callbacks=[ema])
    seconds = time.perf_counter() - t0
    z = gan.sample_latent(2500)
    cov = mode_coverage(keras.ops.convert_to_numpy(gan.generate(z)), mixture)
    cov_ema = mode_coverage(keras.ops.convert_to_numpy(ema.generate(z)), mixture)
    return {"mixture": mix_name, "model": kind, "seed": seed, "steps": settings["steps"], "seconds": seconds,
            "policy": settings.get("policy", "float32"), "generator": cov.as_dict(), "ema": cov_ema.as_dict()}


def unroll_cost(ks=(0, 1, 5, 10), steps=100):
    import keras

    import kgen
    from kgen.models.gan import UnrolledGAN
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


def _summary(runs, which):
    modes = np.array([r[which]["modes"] for r in runs], float)
    hq = np.array([100 * r[which]["high_quality"] for r in runs])
    kl = np.array([r[which]["reverse_kl"] for r in runs], float)
    full = sum(r[which]["modes"] == r[which]["num_modes"] for r in runs)
    finite = kl[np.isfinite(kl)]
    kl_text = f"{finite.mean():.3f}" if len(finite) else "inf"
    if len(finite) < len(kl):
        kl_text += f" ({len(kl) - len(finite)} inf)"
    return (f"{modes.mean():.1f} ± {modes.std():.1f} | {full}/{len(runs)} | {hq.mean():.1f} ± {hq.std():.1f} "
            f"({hq.min():.1f}) | {kl_text}")


def print_table(results, mixtures, models):
    """Print the markdown table of the results (one row per mixture and model, generator and EMA)."""
    print("| mixture | model | steps | sampler | modes (mean ± std) | all modes, seeds | HQ % mean ± std (min) "
          "| reverse KL | published anchor |")
    print("|---|---|---:|---|---|---|---|---|---|")
    for mix_name in mixtures:
        for kind in models:
            runs = sorted((r for r in results if r["mixture"] == mix_name and r["model"] == kind),
                          key=lambda r: r["seed"])
            if not runs:
                continue
            anchor = ANCHORS.get((mix_name, kind), "")
            steps = runs[0]["steps"]
            print(f"| {mix_name} | {kind} | {steps} | G | {_summary(runs, 'generator')} | {anchor} |")
            print(f"| {mix_name} | {kind} | {steps} | EMA of G | {_summary(runs, 'ema')} | |")
    for (mix_name, kind), anchor in ANCHORS.items():
        if kind.startswith("pacgan") and mix_name in mixtures:
            print(f"| {mix_name} | {kind} (published only) | | | | | | | {anchor} |")


def _load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--mixtures", nargs="+", default=["ring8", "grid25"])
    p.add_argument("--models", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    p.add_argument("--steps", type=int, default=None, help="generator steps per run (default per model)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (1 thread each)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--results", default="runs/mode_coverage.jsonl", help="JSON lines file of finished runs")
    p.add_argument("--resume", action="store_true", help="skip runs already in --results")
    p.add_argument("--table-only", action="store_true", help="print the table of --results and exit")
    p.add_argument("--no-unroll-cost", action="store_true", help="skip the step-time-vs-k measurement")
    p.add_argument("--mixed-precision", choices=("bf16", "fp16"), default=None,
                   help="train in mixed_bfloat16 / mixed_float16 (default: float32)")
    args = p.parse_args(argv)
    if args.table_only:
        print_table(_load(args.results), args.mixtures, args.models)
        return
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
            s["steps"] = {m: resolve(s, m)["steps"] // 4 for m in args.mixtures}
        if args.mixed_precision:
            s["policy"] = {"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}[args.mixed_precision]
        settings[kind] = s
        print(f"{kind}: {s}")
    done = {(r["model"], r["mixture"], r["seed"]) for r in _load(args.results)} if args.resume else set()
    if not args.resume and os.path.exists(args.results):
        os.remove(args.results)
    os.makedirs(os.path.dirname(args.results) or ".", exist_ok=True)
    tasks = [(kind, mix_name, seed) for kind in args.models for mix_name in args.mixtures
             for seed in range(args.seeds) if (kind, mix_name, seed) not in done]
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        futures = [pool.submit(run_one, kind, mix_name, seed, settings[kind]) for kind, mix_name, seed in tasks]
        for fut in cf.as_completed(futures):
            r = fut.result()
            with open(args.results, "a") as f:
                f.write(json.dumps(r) + "\n")
            g, e = r["generator"], r["ema"]
            print(f"{r['mixture']:7s} {r['model']:15s} seed {r['seed']}: {g['modes']:2d}/{g['num_modes']} modes, "
                  f"HQ {100 * g['high_quality']:5.1f} %, rKL {g['reverse_kl']:.3f} | EMA {e['modes']:2d} modes, "
                  f"HQ {100 * e['high_quality']:5.1f} % | {r['steps']} steps in {r['seconds']:.0f} s", flush=True)
    print()
    print(f"Mode coverage over {args.seeds} seed(s), 2,500 samples, HQ = within 3 std "
          f"(this invocation {time.perf_counter() - start:.0f} s wall, {args.jobs} process(es))")
    print_table(_load(args.results), args.mixtures, args.models)
    if args.no_unroll_cost:
        return
    print()
    print("Unrolled GAN step time vs unroll steps k (ms/step, batch 256, 1 thread; linear in k expected):")
    for k, ms in unroll_cost():
        print(f"  k={k:2d}: {ms:6.2f} ms")


if __name__ == "__main__":
    main()
