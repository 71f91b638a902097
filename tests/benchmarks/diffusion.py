"""Diffusion sample quality: DDPM-1000, DDIM-50/20/10 beside kgen's DCGAN and WGAN-GP at equal CPU time.

Side by side in one process, on the embedded digits and on mnist7k, at one
image size: the DDPM trains `--steps` optimizer steps (batch `--batch-size`);
the process CPU time it took (tracing included; `time.process_time`, which a
shared machine's other load does not inflate, unlike the wall clock) is the
budget each GAN then trains for (in chunks of 25 steps until its CPU time
reaches the DDPM's). Metrics with the shipped digit classifier's features
(`kgen.metrics.Evaluator`, as `quality.py`): FID, KID, precision, recall, on
`--n-samples` samples against up to 2,000 real images; the sampling CPU time
per image of each sampler. On mnist7k, the variational bound in bits/dim on
the 1,000 held-out images of the VAE likelihood split (images 6000..6999,
quantized to 8 bits after resizing), printed beside Sohl-Dickstein et al.
2015, Table 2 (MNIST: 317 bits, a Parzen-window log-likelihood estimate, a
different estimator: not comparable as a number).

`--edge MODEL.keras` (a DDPM saved by `--save-model`): the edge figures. The
denoiser is exported (`kgen.models.diffusion.export_diffusion`: SavedModel
and float32 / float16 / int8 LiteRT, int8 calibrated on real images noised
at uniform timesteps); the whole numpy DDIM loop of `export/kgen_litert.py`
runs around the SavedModel and around each variant from the same x_T, and
the table gives each variant's PSNR of the FINAL images against the
SavedModel sampler at 10 / 20 / 50 steps, the latency of one batch-1
denoiser call and of one image (the measured batch-1 loop) at 10 / 20 / 50
steps, 1 LiteRT thread.

Usage (the README's table: v-prediction and the cosine schedule; epsilon's DDIM diverges at 8x8):
    python tests/benchmarks/diffusion.py --data digits,mnist7k --image-size 8 --steps 2000 --base-filters 16 \
        --attention 4 --lr 1e-3 --n-samples 250 --prediction v --schedule cosine --save-model /tmp/ddpm8.keras
    python tests/benchmarks/diffusion.py --edge /tmp/ddpm8.keras --data digits --image-size 8
    python tests/benchmarks/diffusion.py --quick                              # minutes: plumbing only
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

import quality  # noqa: E402

# (row label, sampler, steps, timestep spacing, clip x0); the quadratic rows are Song et al.'s CIFAR10
# spacing; the "c" rows clip the predicted x_0 to [-1, 1] and recompute eps from it (`samplers.ddim`).
SAMPLERS = (("DDPM-1000", "ddpm", 1000, "uniform", None), ("DDIM-50", "ddim", 50, "uniform", None),
            ("DDIM-20", "ddim", 20, "uniform", None), ("DDIM-10", "ddim", 10, "uniform", None),
            ("DDIM-50q", "ddim", 50, "quadratic", None), ("DDIM-20q", "ddim", 20, "quadratic", None),
            ("DDIM-10q", "ddim", 10, "quadratic", None), ("DDIM-50c", "ddim", 50, "uniform", True),
            ("DDIM-10c", "ddim", 10, "uniform", True))


def evaluate_draws(evaluator, draw, draws):
    """Metrics of `draws` independent sample sets (`draw(j)` gives set j): means, and FID's spread.

    One set of ~1,000 samples gives an FID that moves by tens of percent between
    x_T draws of the same model (measured: 2.3 to 5.4 for one mnist7k DDPM's
    DDIM-50), so each row averages several.
    """
    import numpy as np

    results = [evaluator.evaluate(samples=draw(j)) for j in range(draws)]
    out = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
    fids = [r["fid"] for r in results]
    out["fid_sd"] = float(np.std(fids, ddof=1)) if draws > 1 else float("nan")
    out["fids"] = fids
    out["draws"] = draws
    return out


def train_for(model, x, cpu_seconds, batch_size, seed, chunk=25):
    """Fit in chunks of `chunk` steps until the process CPU time reaches `cpu_seconds`.

    Returns:
        (CPU seconds, wall seconds, steps).
    """
    import tensorflow as tf

    per_step = batch_size * getattr(model, "d_steps", 1)
    ds = (tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed).repeat()
          .batch(per_step, drop_remainder=True).prefetch(2))
    cpu, wall, steps = time.process_time(), time.time(), 0
    while time.process_time() - cpu < cpu_seconds:
        model.fit(ds, steps_per_epoch=chunk, epochs=1, verbose=0)
        steps += chunk
    return time.process_time() - cpu, time.time() - wall, steps


def timed(fn):
    """`(fn(), CPU seconds, wall seconds)`."""
    cpu, wall = time.process_time(), time.time()
    out = fn()
    return out, time.process_time() - cpu, time.time() - wall


def table(rows):
    """The sample-quality rows as one markdown table (train CPU seconds, sampling CPU ms per image)."""
    lines = ["| data | model | FID (mean +- sd over draws) | draws | KID | precision | recall | train steps | "
             "train CPU s | sample ms/image |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['data']} | {r['model']} | {r['fid']:.2f} +- {r['fid_sd']:.2f} | {r['draws']} | "
                     f"{r['kid']:.4g} | {r['precision']:.3f} | "
                     f"{r['recall']:.3f} | {r['train_steps']} | {r['seconds']:.0f} | "
                     f"{r['sample_cpu_s_per_image'] * 1000:.2f} |")
    return "\n".join(lines)


def edge(args):
    """The edge figures of a saved DDPM: final-image PSNR per LiteRT variant and step count, latencies."""
    import tempfile

    import keras
    import numpy as np

    from kgen.export import bundle as bundle_lib
    from kgen.export.runtime import LiteRTModel, median_latency_ms
    from kgen.models.diffusion.export import ddim_sample, export_diffusion

    model = keras.saving.load_model(args.edge)
    steps = (10, 20, 50)
    images = quality.load_real(args.data.split(",")[0], args.image_size)
    name = "eps" if model.prediction == "epsilon" else "v"
    rows = []
    with tempfile.TemporaryDirectory() as out:
        report = export_diffusion(model, out, quantize=("float32", "float16", "int8"), steps=steps, eta=0.0,
                                  n=args.edge_n, seed=args.seed, images=images, gate=False, latency_runs=50)
        x1 = model.prior["x_t"].numpy_sample(1, np.random.default_rng(args.seed))
        for variant, fig in report["sampling"]["variants"].items():
            runner = LiteRTModel(Path(out) / bundle_lib.tflite_filename("denoise", variant), num_threads=1)
            call = lambda x, t: runner(x_t=x, t=t)[name]  # noqa: E731
            t_last = np.full((1,), model.num_timesteps - 1, np.int32)
            row = {"variant": variant,
                   "size_kb": report["endpoints"]["denoise"]["variants"][variant]["size_bytes"] / 1024,
                   "denoiser_snr_db": fig["denoiser_snr_db"],
                   "final_psnr_db": fig["final_psnr_db"],
                   "ms_per_call": median_latency_ms(lambda: call(x1, t_last), runs=50),
                   "ms_per_image": {str(k): median_latency_ms(
                       lambda k=k: ddim_sample(call, x1, model.schedule.alpha_bar, k), runs=5, warmup=1)
                       for k in steps}}
            rows.append(row)
    print(f"\nEdge: {args.edge}, {model.image_shape}, {model.ema_network.count_params()} parameters, DDIM eta 0, "
          f"{args.edge_n} images from one x_T, final images vs the SavedModel sampler; LiteRT 1 thread, batch 1")
    head = (f"{'variant':8s} {'KB':>7s} {'eps SNR':>8s} " + " ".join(f"{'PSNR@' + str(k):>8s}" for k in steps)
            + f" {'ms/call':>8s} " + " ".join(f"{'ms/img@' + str(k):>9s}" for k in steps))
    print(head)
    for r in rows:
        print(f"{r['variant']:8s} {r['size_kb']:7.0f} {r['denoiser_snr_db']:8.1f} "
              + " ".join(f"{r['final_psnr_db'][str(k)]:8.1f}" for k in steps)
              + f" {r['ms_per_call']:8.2f} " + " ".join(f"{r['ms_per_image'][str(k)]:9.1f}" for k in steps))
    if args.out:
        Path(args.out).write_text(json.dumps({"model": args.edge, "rows": rows}, indent=1, default=float))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="digits,mnist7k")
    p.add_argument("--steps", type=int, default=2000, help="DDPM optimizer steps (sets the CPU budget)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--base-filters", type=int, default=32)
    p.add_argument("--n-samples", type=int, default=500, help="samples per draw")
    p.add_argument("--draws", type=int, default=5, help="independent sample sets per DDIM / GAN row")
    p.add_argument("--ddpm-draws", type=int, default=2, help="independent sample sets per DDPM-1000 row (slow)")
    p.add_argument("--bpd-examples", type=int, default=1000)
    p.add_argument("--bpd-timesteps", type=int, default=20, help="stratified timesteps per image for the bound")
    p.add_argument("--attention", default=None,
                   help="comma-separated U-Net attention resolutions (default: the builder's (8,))")
    p.add_argument("--lr", type=float, default=2e-4, help="the DDPM's Adam learning rate")
    p.add_argument("--prediction", default="epsilon", choices=("epsilon", "v"), help="the DDPM's target")
    p.add_argument("--schedule", default="linear", choices=("linear", "cosine"), help="the DDPM's beta schedule")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the plumbing in minutes")
    p.add_argument("--save-model", default=None, help="save the (last) DDPM here (.keras) for --edge")
    p.add_argument("--edge", default=None, metavar="MODEL.keras", help="edge figures of a saved DDPM instead")
    p.add_argument("--edge-n", type=int, default=16, help="--edge: images per final-image PSNR")
    p.add_argument("--gans", default="dcgan,wgan_gp", help="GANs beside the DDPM ('' for none)")
    p.add_argument("--samplers", default=",".join(label for label, *_ in SAMPLERS),
                   help="sampler rows, among " + ",".join(label for label, *_ in SAMPLERS))
    p.add_argument("--gan-cpu-seconds", type=float, default=None,
                   help="skip the DDPM: train the GANs for this CPU budget (an earlier DDPM run's)")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    if args.edge:
        return edge(args)
    if args.quick:
        args.steps, args.n_samples, args.bpd_examples, args.bpd_timesteps = 20, 50, 20, 4
    attention = None if args.attention is None else tuple(int(v) for v in args.attention.split(",") if v)

    import keras
    import numpy as np

    from kgen import metrics, zoo

    options = {"kid": {"num_subsets": 20, "subset_size": min(500, args.n_samples)}}
    rows = []
    for data_name in args.data.split(","):
        x = quality.load_real(data_name, args.image_size)
        order = np.random.default_rng(args.seed).permutation(len(x))
        ref = x[order[: min(2000, len(x) // 2)]]
        train_x = x[:6000] if data_name == "mnist7k" else x
        evaluator = metrics.Evaluator(ref, extractor="digits", metric_options=options)
        shape = tuple(x.shape[1:])
        keras.utils.set_random_seed(args.seed)
        if args.gan_cpu_seconds:  # GANs only, for a budget measured by an earlier DDPM run
            budget = args.gan_cpu_seconds
        else:
            ddpm = zoo.build("ddpm", shape, seed=args.seed, base_filters=args.base_filters, learning_rate=args.lr,
                             attention_resolutions=attention, prediction=args.prediction, schedule=args.schedule)
            (_, logs), budget, wall = timed(lambda: quality.train(ddpm, "ddpm", train_x, args.steps, args.batch_size,
                                                                   args.seed))
            print(f"{data_name} ddpm: {args.steps} steps in {budget:.0f} s CPU ({wall:.0f} s wall), "
                  f"{ddpm.network.count_params()} parameters, final loss {logs.get('loss', float('nan')):.4f}",
                  flush=True)
            if args.save_model:
                ddpm.save(args.save_model)
            for label, sampler, steps, spacing, clip in [row for row in SAMPLERS
                                                         if row[0] in args.samplers.split(",")]:
                draws = args.ddpm_draws if sampler == "ddpm" else args.draws
                cpu_used = []

                def draw(j):
                    # x_T of draw j is the same for every sampler row (its own numpy seed).
                    x_T = np.random.default_rng([args.seed, j]).standard_normal(
                        (args.n_samples, *shape)).astype("float32")
                    fake, cpu, _ = timed(lambda: np.concatenate([
                        np.asarray(ddpm.generate(x_T[i:i + 250], sampler=sampler, steps=steps, spacing=spacing,
                                                 clip=clip, seed=args.seed + 1000 * j + i))
                        for i in range(0, args.n_samples, 250)]))
                    cpu_used.append(cpu)
                    return np.clip(fake, -1, 1)

                metrics_ = evaluate_draws(evaluator, draw, draws)
                per_image = float(np.mean(cpu_used)) / args.n_samples
                row = {"data": data_name, "model": f"ddpm {label}", "seconds": budget, "wall_seconds": wall,
                       "train_steps": args.steps, "sample_cpu_s_per_image": per_image, "spacing": spacing,
                       **metrics_}
                rows.append(row)
                print(quality._fmt(row), f"+- {row['fid_sd']:.2f} ({draws} draws: "
                      f"{', '.join(f'{v:.2f}' for v in row['fids'])}), {per_image * 1000:.1f} ms CPU/image", flush=True)
            if data_name == "mnist7k":
                test = np.round((x[6000:6000 + args.bpd_examples] + 1) * 127.5) / 127.5 - 1
                bound = ddpm.bits_per_dim(test, timesteps=args.bpd_timesteps, seed=args.seed)
                print(f"mnist7k bits/dim (bound, {len(test)} held-out images, {args.bpd_timesteps} stratified "
                      f"timesteps each): {bound['bits_per_dim']:.3f} +- {bound['stderr']:.3f}; Sohl-Dickstein et al. "
                      "2015 Table 2: 317 bits (Parzen log-likelihood, another estimator)")
                rows.append({"data": data_name, "model": "ddpm bits/dim", "bits_per_dim": bound["bits_per_dim"],
                             "stderr": bound["stderr"]})
        for name in [g for g in args.gans.split(",") if g]:
            model = quality.build(name, shape, 100, args.seed)
            seconds, wall, steps = train_for(model, train_x, budget, args.batch_size, args.seed)
            cpu_used = []

            def draw(j):
                fake, cpu, _ = timed(lambda: quality.generate(model, name, args.n_samples, 100, args.seed + j))
                cpu_used.append(cpu)
                return fake

            metrics_ = evaluate_draws(evaluator, draw, args.draws)
            per_image = float(np.mean(cpu_used)) / args.n_samples
            row = {"data": data_name, "model": name, "seconds": seconds, "wall_seconds": wall, "train_steps": steps,
                   "sample_cpu_s_per_image": per_image, **metrics_}
            rows.append(row)
            print(quality._fmt(row), f"+- {row['fid_sd']:.2f} ({args.draws} draws: "
                  f"{', '.join(f'{v:.2f}' for v in row['fids'])}), {steps} steps, {per_image * 1000:.2f} ms CPU/image",
                  flush=True)
    budget_text = (f"DDPM ({args.prediction}-prediction, {args.schedule} schedule) {args.steps} steps of batch "
                   f"{args.batch_size}, lr {args.lr:g}, base filters "
                   f"{args.base_filters}, attention {attention or 'default'}, {args.image_size}x{args.image_size}; "
                   "each GAN trained for the DDPM's process CPU time (1 TF thread); "
                   f"{args.n_samples} samples per draw, {args.draws} draws per row ({args.ddpm_draws} for DDPM-1000), "
                   "digit-classifier features")
    print("\nBudget: " + budget_text)
    print(table([r for r in rows if "fid" in r]))
    if args.out:
        Path(args.out).write_text(json.dumps({"budget": budget_text, "rows": rows}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
