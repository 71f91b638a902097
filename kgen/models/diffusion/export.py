"""Edge export of a diffusion model: the `denoise` bundle, gated on the FINAL images after the sampling loop.

`kgen.export.export_model` writes the bundle (SavedModel + LiteRT variants of
the denoiser `(x_t, t[, labels]) -> eps`, metadata.json with the schedule).
Per-call errors compound over the steps of a sampler, so `export_diffusion`
also runs the whole DDIM loop (numpy, as `export/kgen_litert.py` does) around
the SavedModel and around each LiteRT variant from the same x_T, and records
each variant's PSNR of the final images against the SavedModel sampler, per
step count, plus the latency per denoiser call and per image (1 thread).
int8 calibration uses real images noised at uniform timesteps when given.
"""

import json
import time
from pathlib import Path

import numpy as np

from kgen.export import bundle as bundle_lib
from kgen.export import fidelity
from kgen.export.runtime import LiteRTModel

#: PSNR floors (dB) of the final images after the DDIM loop, against the SavedModel sampler.
DEFAULT_FINAL_FLOORS_DB = {"float32": 40.0, "float16": 30.0, "dynamic": 15.0, "int8": 12.0, "int8_io": 12.0}


def ddim_sample(denoise, x_T, alpha_bar, steps, eta=0.0, rng=None, prediction="epsilon", spacing="uniform"):
    """The numpy DDIM loop of `export/kgen_litert.py` (kept identical; a test checks they agree)."""
    from kgen.models.diffusion.schedules import spaced_timesteps

    full = np.asarray(alpha_bar, np.float64)
    timesteps = spaced_timesteps(len(full), steps, spacing)
    ab = full[timesteps]
    ab_prev = np.concatenate([[1.0], ab[:-1]])
    x = np.asarray(x_T, np.float32)
    for i in range(len(timesteps) - 1, -1, -1):
        out = np.asarray(denoise(x, np.full((len(x),), timesteps[i], np.int32)), np.float32)
        a, s = np.float32(np.sqrt(ab[i])), np.float32(np.sqrt(1 - ab[i]))
        if prediction == "epsilon":
            eps = out
            x0 = (x - s * eps) / a
        else:
            x0, eps = a * x - s * out, s * x + a * out
        sigma = float(eta) * np.sqrt((1 - ab_prev[i]) / (1 - ab[i])) * np.sqrt(1 - ab[i] / ab_prev[i])
        x = np.float32(np.sqrt(ab_prev[i])) * x0 + np.float32(np.sqrt(max(1 - ab_prev[i] - sigma ** 2, 0.0))) * eps
        if float(eta) > 0:
            x = x + np.float32(sigma) * rng.standard_normal(x.shape).astype(np.float32)
    return x.astype(np.float32)


def calibration_inputs(model, images, n=200, seed=0):
    """Real denoiser inputs: images noised to x_t at uniform timesteps t (and uniform labels)."""
    rng = np.random.default_rng(seed)
    images = np.asarray(images, np.float32)
    x0 = images[rng.integers(0, len(images), n)]
    t = rng.integers(0, model.num_timesteps, n)
    ab = model.schedule.alpha_bar[t].reshape(-1, *([1] * (x0.ndim - 1)))
    x_t = np.sqrt(ab) * x0 + np.sqrt(1 - ab) * rng.standard_normal(x0.shape)
    out = {"x_t": x_t.astype(np.float32), "t": t.astype(np.int32)}
    if model.num_classes:
        out["labels"] = rng.integers(0, model.num_classes, n).astype(np.int32)
    return out


def export_diffusion(model, out_dir, quantize=("float32", "float16", "int8"), steps=(10, 20, 50), eta=0.0,
                     n=8, seed=0, images=None, floors=None, gate=True, latency_runs=0, calibration_samples=200):
    """Export the denoiser and measure every variant on the final images of the DDIM loop.

    Args:
        model: a `DDPM`.
        out_dir: bundle folder.
        quantize: LiteRT variants.
        steps: DDIM step counts to measure.
        eta: DDIM eta of the measurement (noise drawn identically for every variant).
        n: images per measurement (one batch).
        seed: seed of x_T, the loop noise and the calibration draws.
        images: real images in [-1, 1] for int8 calibration (None: the prior's draws).
        floors: final-image PSNR floors overriding `DEFAULT_FINAL_FLOORS_DB`.
        gate: raise `kgen.export.FidelityError` when a variant is below its floor.
        latency_runs: if > 0, median latency of one batch-1 denoiser call (1 thread), and per image
            at each step count (calls x steps).

    Returns:
        The report dict (report.json gains a "sampling" entry).
    """
    cal = calibration_inputs(model, images, calibration_samples, seed) if images is not None else None
    report = bundle_lib.export_model(model, out_dir, quantize=quantize, calibration_data=cal, gate=False,
                                     grids=False, calibration_samples=calibration_samples, seed=seed)
    out = Path(out_dir)
    import tensorflow as tf

    signature = tf.saved_model.load(str(out / "saved_model")).signatures["denoise"]
    rng = np.random.default_rng(seed)
    x_T = model.prior["x_t"].numpy_sample(n, rng)
    labels = (np.arange(n) % model.num_classes).astype(np.int32) if model.num_classes else None
    out_name = "eps" if model.prediction == "epsilon" else "v"

    def feed(x, t):
        d = {"x_t": x, "t": t}
        if labels is not None:
            d["labels"] = labels
        return d

    def run_all(denoise):
        return {k: ddim_sample(denoise, x_T, model.schedule.alpha_bar, k, eta, np.random.default_rng(seed + 1),
                               model.prediction, model.spacing) for k in steps}

    reference = run_all(lambda x, t: signature(**{k: tf.constant(v) for k, v in feed(x, t).items()})[out_name].numpy())
    floors = {**DEFAULT_FINAL_FLOORS_DB, **(floors or {})}
    sampling = {"steps": list(steps), "eta": float(eta), "n": int(n), "variants": {}}
    failures = []
    for variant in report["variants"]:
        entry = report["endpoints"]["denoise"]["variants"].get(variant, {})
        if "error" in entry:
            failures.append(f"denoise/{variant}: {entry['error']}")
            continue
        runner = LiteRTModel(out / bundle_lib.tflite_filename("denoise", variant), num_threads=1)
        got = run_all(lambda x, t: runner(**feed(x, t))[out_name])
        figures = {"final_psnr_db": {str(k): float(fidelity.psnr(reference[k], got[k], (-1.0, 1.0)))
                                     for k in steps},
                   "denoiser_snr_db": entry.get("snr_db"), "floor_db": floors.get(variant)}
        if latency_runs:
            one = {k: v[:1] for k, v in feed(x_T, np.full((n,), model.num_timesteps - 1, np.int32)).items()}
            start = time.perf_counter()
            for _ in range(int(latency_runs)):
                runner(**one)
            call_ms = (time.perf_counter() - start) * 1000 / int(latency_runs)
            calls = 2 if (model.num_classes and model.guidance) else 1
            figures["latency_ms_per_call_1t"] = call_ms
            figures["latency_ms_per_image_1t"] = {str(k): call_ms * k * calls for k in steps}
        worst = min(figures["final_psnr_db"].values())
        figures["passed"] = figures["floor_db"] is None or worst >= figures["floor_db"]
        if not figures["passed"]:
            failures.append(f"denoise/{variant}: final-image PSNR {worst:.1f} dB after DDIM is below "
                            f"the floor of {figures['floor_db']:g} dB")
        sampling["variants"][variant] = figures
    report["sampling"] = sampling
    # The per-call figures (eps SNR against its floor) stay in the report; the gate is the final images.
    report["denoiser_failures"] = report.get("failures", [])
    report["failures"] = failures
    report["passed"] = not report["failures"]
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float))
    if gate and failures:
        raise bundle_lib.FidelityError("diffusion export gate failed:\n  " + "\n  ".join(failures), report)
    return report
