"""Evaluate a run directory and write `report.json` and a self-contained `report.html`."""

import json
import math
import time
from pathlib import Path

import numpy as np

from kgen import data as kdata
from kgen import files, runs, zoo
from kgen import metrics as kmetrics
from kgen.features import get_extractor
from kgen.report import figures, html, metrics_info, translation


def _value_range(config):
    if config.get("value_range"):
        return tuple(float(v) for v in config["value_range"])
    return (0.0, 1.0) if config.get("scale") == "sigmoid" else (-1.0, 1.0)


def _data_kind(model, config):
    try:
        return zoo.get(config["model"]).data
    except (KeyError, ValueError):
        shape = getattr(getattr(model, "generator", None), "output_shape", None)
        return "points" if shape is not None and len(shape) == 2 else "images"


def _np(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def _call_with_labels(fn, x, labels, num_classes):
    if num_classes:
        return fn(x, labels=labels)
    return fn(x)


def _interpolation(model, rows=6, steps=10, seed=0):
    z = np.asarray(model.sample_latent(2 * rows), np.float32)
    a, b = z[:rows], z[rows:]
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    path = (a[:, None] * (1 - t) + b[:, None] * t).reshape(rows * steps, -1)
    labels = None
    if getattr(model, "num_classes", None):
        labels = np.repeat(np.arange(rows) % model.num_classes, steps).astype(np.int32)
    return _np(model.generate(path, labels=labels))


#: Splits of the Inception score (its mean and std), as in Salimans et al. (2016).
IS_SPLITS = 10


def build_report(run_dir, out_dir=None, n_samples=1000, extractor="digits", max_real=2000,
                 tsne=True, iwae_samples=64, n_likelihood=200, seed=0, extractor_options=None,
                 data_options=None, labels=None, progress=None):
    """Evaluate a finished run and write `report.json` and `report.html`.

    The page holds the run's settings, the metric table (each metric with
    its better direction and meaning, and whether its features are
    comparable to Inception's), generated samples beside real ones, the loss
    curves, a latent interpolation strip, for autoencoders reconstructions
    and PCA / t-SNE projections of the codes coloured by label, for
    image-to-image models input | output | target grids with L1 / PSNR /
    SSIM and the digit classifier's score (`kgen.report.translation`), and the
    export figures of `RUN_DIR/export/report.json` when the run was
    exported; every image is inline (`data:image/png;base64`).

    Args:
        run_dir: a directory written by `kgen train`.
        out_dir: where to write (default: `run_dir`).
        n_samples: generated samples scored.
        extractor: feature extractor for image metrics ("digits",
            "inception", a Keras model, or None for raw pixels).
        max_real: real samples used at most.
        tsne: add the t-SNE projection (slower) for autoencoders.
        iwae_samples: importance samples of the IWAE log-likelihood (models
            with `log_likelihood`); 0 to skip.
        n_likelihood: real examples of the log-likelihood estimate.
        seed: seed of data subsampling and binarization.
        extractor_options: keyword arguments of the named extractor (e.g.
            `{"weights": path}` for "inception").
        data_options: `kgen.data` source options of the run's data
            (`image_key`, `value_range`, ...).
        labels: use the data's labels (None: when it has valid ones).
        progress: `progress(done, total, stage)` at each stage (a progress bar).

    Returns:
        The report dict (also written as `report.json`).

    Example:
        >>> build_report("runs/dcgan-digits")["metrics"]["fid"]
    """
    import keras

    start = time.time()
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir
    stage = _Stages(progress)
    stage("loading the run")
    keras.utils.set_random_seed(seed)
    model, config = runs.load_run(run_dir, compile=False)
    data_options = dict(data_options or {})
    history = runs.read_history(run_dir)
    kind = _data_kind(model, config)
    value_range = _value_range(config)
    num_classes = getattr(model, "num_classes", None)
    rng = np.random.default_rng(seed)
    results, sections, notes = {}, [], []

    is_ae = callable(getattr(model, "reconstruct", None)) and callable(getattr(model, "encode", None))
    boltzmann = _is_boltzmann(model)
    is_diffusion = _is_diffusion(model)
    # An RBM's log_likelihood(x, log_z) is not the IWAE call: its likelihood is exact or by AIS below.
    has_ll = bool(iwae_samples) and callable(getattr(model, "log_likelihood", None)) and not boltzmann
    stage.total = 4 if kind == "points" else (
        4 + bool(getattr(model, "latent_dim", None)) + is_ae + has_ll + boltzmann + is_diffusion)
    stage("loading the data")
    if kind == "points":
        arrays = kdata.load_arrays(config["data"], num_samples=max(n_samples, 2500), seed=seed,
                                   **data_options)
        stage("sample metrics (FID, KID, precision/recall, mode coverage)")
        fake = np.concatenate([_np(b) for b in kmetrics.iterate_generated(model, max(n_samples, 2500))])
        ev = kmetrics.Evaluator(arrays.x[:max_real], extractor=None, metrics=("fid", "kid", "precision_recall"))
        results.update(ev.evaluate(samples=fake[:n_samples]))
        mixture = arrays.info.get("mixture")
        if mixture is not None:
            cov = kmetrics.ModeCoverageMetric(mixture)
            cov.update_state(fake=fake[:2500])
            results.update(cov.result())
            notes.append("Mode coverage on 2,500 samples: a mode is captured by one sample within "
                         "3 std of its centre (PacGAN/VEEGAN).")
        sections.append(("Samples", [("real vs generated points",
                                      figures.points_png(arrays.x[:2500], fake[:2500],
                                                         getattr(mixture, "centers", None)))]))
    elif translation.is_translation(kind, model):
        stage.total = 4
        stage("translations and their metrics")
        results.update(translation.translation_report(model, config, kind, value_range, max_real, seed,
                                                      sections, notes))
    elif _is_representation(model):
        stage.total = 5
        results.update(_representation_report(model, config, labels, data_options, value_range, tsne, seed,
                                               sections, notes, stage))
    else:
        shape = config.get("input_shape") or list(model.generate(1).shape[1:])
        arrays = _load_images(config, int(shape[0]), labels, data_options)
        order = rng.permutation(len(arrays.x))[:max_real]
        real_x = arrays.x[order]
        real_y = arrays.y[order] if arrays.y is not None else None
        samples = _np(model.generate(64))
        sections.append(("Samples", [
            ("64 generated samples", figures.grid_png(samples, value_range)),
            (f"64 real images ({config.get('data')})", figures.grid_png(real_x[:64], value_range))]))
        name = extractor if isinstance(extractor, str) or extractor is None else getattr(
            extractor, "name", "custom")
        ext = extractor
        if isinstance(extractor, str):
            ext = get_extractor(extractor, **(extractor_options or {}))
        stage(f"sample metrics (FID, KID, precision/recall, IS) on {name or 'raw pixels'} features")
        ev = kmetrics.Evaluator(real_x, extractor=ext, value_range=value_range,
                                metric_options={"inception_score": {"num_splits": IS_SPLITS}})
        results.update(ev.evaluate(model=model, n_samples=n_samples))
        notes.append(f"Sample metrics: {n_samples} generated vs {len(real_x)} real samples, "
                     f"features: {name or 'raw pixels'}.")
        if boltzmann:
            stage("Gibbs chains, filters and log-likelihood")
            results.update(_boltzmann_report(model, real_x, value_range, n_likelihood, rng, seed, sections,
                                             notes))
        if is_diffusion:
            stage("samplers and denoising strip")
            sections.extend(_diffusion_sections(model, value_range, seed, notes))
        if getattr(model, "latent_dim", None):
            stage("latent interpolation")
            sections.append(("Latent interpolation", [(
                "latent interpolation: each row a linear path between two prior samples",
                figures.grid_png(_interpolation(model), value_range, ncols=10))]))
        if is_ae:
            stage("reconstructions and codes")
            n = min(len(real_x), 1000)
            xb, yb = real_x[:n], (real_y[:n] if real_y is not None else None)
            if num_classes and yb is None:
                raise ValueError("a conditional autoencoder needs labelled data for its report.")
            recon = np.concatenate([_np(_call_with_labels(model.reconstruct, xb[i:i + 256],
                                                          None if yb is None else yb[i:i + 256],
                                                          num_classes))
                                    for i in range(0, n, 256)])
            rec = kmetrics.ReconstructionError(value_range=value_range)
            rec.update_state(real=xb, fake=recon)
            results.update(rec.result())
            pairs = np.stack([xb[:32], recon[:32]], axis=1).reshape(64, *xb.shape[1:])
            sections.append(("Reconstructions", [("pairs: input, reconstruction",
                                                  figures.grid_png(pairs, value_range, ncols=8))]))
            codes = np.concatenate([_np(_call_with_labels(model.encode, xb[i:i + 256],
                                                          None if yb is None else yb[i:i + 256],
                                                          num_classes))
                                    for i in range(0, n, 256)])
            projections = [("PCA of codes, coloured by label",
                            figures.projection_png(codes, yb, "pca", seed))]
            if tsne:
                projections.append(("t-SNE of codes, coloured by label",
                                     figures.projection_png(codes[:800], None if yb is None else yb[:800],
                                                            "tsne", seed)))
            sections.append(("Codes", projections))
        if has_ll:
            stage(f"IWAE log-likelihood (k={iwae_samples})")
            x_ll = real_x[:n_likelihood]
            if getattr(model, "likelihood", None) == "bernoulli":
                # Bernoulli likelihoods are defined on binary pixels: a fixed binarization.
                x_ll = (rng.uniform(size=x_ll.shape) < x_ll).astype(np.float32)
            ll = kmetrics.LogLikelihood(model, num_samples=iwae_samples)
            if num_classes:
                y_ll = real_y[:n_likelihood]
                ll.model = _LabelledLikelihood(model, y_ll)
            ll.update_state(real=x_ll)
            results[f"iwae_log_likelihood_k{iwae_samples}"] = ll.result()["log_likelihood"]
    stage("figures and pages")
    curves = figures.loss_curves_png(history)
    if curves:
        sections.insert(1, ("Training curves", [("per-epoch logs (history.json)", curves)]))
    export = _export_summary(run_dir)
    report = {
        "run_dir": str(run_dir),
        "model": config.get("model"),
        "data": config.get("data"),
        "kind": kind,
        "n_samples": n_samples,
        "extractor": None if kind == "points" else (
            extractor if isinstance(extractor, str) or extractor is None
            else getattr(extractor, "name", "custom")),
        "is_splits": IS_SPLITS,
        "metrics": {k: (float(v) if math.isfinite(float(v)) else str(v)) for k, v in results.items()},
        "figures": [caption for _, figs in sections for caption, _ in figs],
        "config": config,
        "final_logs": {k: v[-1] for k, v in history.items() if isinstance(v, list) and v},
        "export": export,
        "seconds": round(time.time() - start, 1),
    }
    report["metric_notes"] = {k: metrics_info.describe_metric(k, report) for k in report["metrics"]}
    # No FID/KID/IS in a representation learner's or a translator's report.
    if not _is_representation(model) and not translation.is_translation(kind, model):
        notes.insert(0, metrics_info.comparability_note(report))
    files.write_json(out_dir / "report.json", report)
    title = f"kgen report: {config.get('model', 'model')} on {config.get('data', '?')}"
    files.write_text(out_dir / "report.html",
                     html.render(title, config, results, sections, notes, report["metric_notes"], export))
    stage.done()
    return report


class _Stages:
    """Numbered stages reported to a `progress(done, total, label)` callable."""

    def __init__(self, progress):
        self.progress = progress
        self.total = 2
        self.count = 0

    def __call__(self, label):
        if self.progress:
            self.progress(self.count, max(self.total, self.count + 1), label)
        self.count += 1

    def done(self):
        if self.progress:
            self.progress(self.total, self.total, "done")


#: Steps at which the report shows the Gibbs chains of RBMs and DBNs (one chain per row).
CHAIN_STEPS = (1, 10, 100, 1000)


def _is_boltzmann(model):
    """An RBM or DBN (kgen.models.boltzmann): Gibbs chains and filters to show."""
    return callable(getattr(model, "chain_snapshots", None)) and callable(getattr(model, "filter_images", None))


def _boltzmann_report(model, real_x, value_range, n_likelihood, rng, seed, sections, notes):
    """Gibbs chains (rows = chains, columns = steps), first-layer filters, and an RBM's log-likelihood."""
    chains = np.asarray(model.chain_snapshots(8, CHAIN_STEPS, seed=seed))
    filters = np.asarray(model.filter_images(64))
    sections.append(("Gibbs chains and filters", [
        (f"Gibbs chains: one row per chain from a Bernoulli(0.5) start, columns E[v | h] after "
         f"{', '.join(str(s) for s in CHAIN_STEPS)} steps",
         figures.grid_png(chains.reshape(-1, *chains.shape[2:]), value_range, ncols=len(CHAIN_STEPS))),
        (f"filters: first-layer weights of {len(filters)} hidden units, each scaled to its own range",
         figures.grid_png(filters, (0.0, 1.0), ncols=8))]))
    if not callable(getattr(model, "report_log_likelihood", None)):
        return {}
    x = real_x[:n_likelihood]
    if getattr(model, "visible", None) == "bernoulli":
        # Binary units: the log-likelihood of a fixed binarization (as for Bernoulli VAEs).
        x = (rng.uniform(size=x.shape) < x).astype(np.float32)
    out = model.report_log_likelihood(x, seed=seed)
    if "log_likelihood_ais" in out:
        notes.append("RBM log-likelihood by AIS with 1,000 temperatures and 16 runs (a quick estimate that "
                     "tends to overestimate; tests/benchmarks/rbm_likelihood.py uses 10,000 and brackets it).")
    return out


def _is_diffusion(model):
    """A denoising diffusion model (kgen.models.diffusion): samplers chosen at sampling time."""
    return callable(getattr(model, "denoising_strip", None)) and callable(getattr(model, "sample", None))


def _diffusion_sections(model, value_range, seed, notes, n=32, frames=10):
    """A diffusion run's figures: DDPM and DDIM samples from one x_T, and a denoising strip x_T -> x_0.

    Both samplers run at the model's `sampling_steps` (DDPM respaced when
    fewer than T) from the same x_T and labels, so the grids differ only by
    the sampler; the strip shows `frames` evenly spaced states of one run of
    the model's default sampler, x_T in the first column, x_0 in the last.
    """
    steps = model.sampling_steps
    x_T = model.prior["x_t"].numpy_sample(n, np.random.default_rng(seed))
    labels = (np.arange(n) % model.num_classes).astype(np.int32) if model.num_classes else None
    ddpm = _np(model.sample(x_T, labels, sampler="ddpm", steps=steps, seed=seed))
    ddim = _np(model.sample(x_T, labels, sampler="ddim", steps=steps, eta=model.eta, seed=seed))
    spaced = "" if steps == model.num_timesteps else f" respaced from T={model.num_timesteps}"
    samplers_figs = [
        (f"DDPM sampler, {steps} steps{spaced}: {n} samples from the same x_T as DDIM",
         figures.grid_png(np.clip(ddpm, *value_range), value_range, ncols=8)),
        (f"DDIM sampler, {steps} steps, eta {model.eta:g}: {n} samples from the same x_T as DDPM",
         figures.grid_png(np.clip(ddim, *value_range), value_range, ncols=8))]
    strip = np.asarray(model.denoising_strip(n=8, seed=seed, sampler=model.sampler, steps=steps, frames=frames))
    shown = strip.shape[0]
    # (frames, n, ...) -> one row per image, x_T on the left.
    rows = np.swapaxes(strip, 0, 1).reshape(-1, *strip.shape[2:])
    strip_fig = (f"denoising strip: each row one {model.sampler.upper()} run ({steps} steps), "
                 f"{shown} evenly spaced states from x_T (left) to x_0 (right)",
                 figures.grid_png(np.clip(rows, *value_range), value_range, ncols=shown))
    guided = f", guidance w={model.guidance:g}" if model.num_classes else ""
    notes.append(f"Diffusion: sample metrics use the model's default sampler ({model.sampler.upper()}, "
                 f"{steps} steps{', eta %g' % model.eta if model.sampler == 'ddim' else ''}{guided}); "
                 "the sampler figures share one x_T.")
    return [("Samplers", samplers_figs), ("Denoising strip", [strip_fig])]


def _is_representation(model):
    """A representation learner without a prior (kgen.models.representation): features, no samples."""
    return callable(getattr(model, "extract_features", None)) and not model.prior


def _representation_report(model, config, labels, data_options, value_range, tsne, seed, sections, notes,
                           stage):
    """What a representation learner's report shows: its pretext output, a linear-probe table, t-SNE."""
    from kgen.probes import linear_probe

    shape = config.get("input_shape") or list(model.image_shape)
    arrays = _load_images(config, int(shape[0]), labels, data_options)
    order = np.random.default_rng(seed).permutation(len(arrays.x))[:2000]
    x = arrays.x[order]
    y = arrays.y[order] if arrays.y is not None else None
    if y is not None and len(x) and y.min() < 0:  # masked labels are no ground truth
        y = None
    stage("pretext outputs")
    shown = x[:32]
    pairs = np.stack([shown, _np(model.reconstruct(shown))], axis=1).reshape(-1, *shown.shape[1:])
    sections.append(("Pretext task", [("pairs: input, what the pretext task makes of it (reconstruct)",
                                        figures.grid_png(pairs, value_range, ncols=8))]))
    stage("features and linear probe")
    feats = model.extract_features(x)
    results = {}
    if y is not None and len(np.unique(y)) > 1:
        cut = int(0.75 * len(x))
        results["linear_probe_accuracy"] = linear_probe(feats[:cut], y[:cut], feats[cut:], y[cut:])
        flat = x.reshape(len(x), -1)
        results["pixel_probe_accuracy"] = linear_probe(flat[:cut], y[:cut], flat[cut:], y[cut:])
        notes.append(f"Linear probe: logistic regression on frozen {feats.shape[1]}-d features (and on raw "
                     f"pixels), trained on {cut} of {len(x)} images of {config.get('data')}, tested on the rest.")
    else:
        notes.append("No labels in the data: the linear probe needs labelled images (pass --labels).")
    projections = [("PCA of features, coloured by label", figures.projection_png(feats, y, "pca", seed))]
    if tsne:
        projections.append(("t-SNE of features, coloured by label",
                            figures.projection_png(feats[:800], None if y is None else y[:800], "tsne", seed)))
    sections.append(("Features", projections))
    return results


def _load_images(config, size, labels, data_options):
    """The run's images (labels when asked, or when valid with `labels=None`)."""
    kwargs = dict(image_size=size, scale=config.get("scale", "tanh"), **data_options)
    if labels is None:
        try:
            return kdata.load_arrays(config["data"], labels=None, **kwargs)
        except kdata.DataError:
            # Invalid labels do not stop an unconditional model's report.
            return kdata.load_arrays(config["data"], labels=False, **kwargs)
    return kdata.load_arrays(config["data"], labels=labels, **kwargs)


def _export_summary(run_dir):
    """Rows of `RUN_DIR/export/report.json` (one per endpoint and variant), or None."""
    path = Path(run_dir) / "export" / "report.json"
    if not path.is_file():
        return None
    try:
        exported = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    rows = []
    for endpoint, entry in (exported.get("endpoints") or {}).items():
        for variant, v in (entry.get("variants") or {}).items():
            latency = v.get("latency_ms") or {}
            rows.append({
                "endpoint": endpoint, "variant": variant,
                "size_kb": round(v["size_bytes"] / 1024, 1) if v.get("size_bytes") else None,
                "psnr_db": v.get("psnr_db"), "snr_db": v.get("snr_db"),
                "max_abs_error": v.get("max_abs_error"), "floor_db": v.get("floor_db"),
                "latency_ms_1_thread": latency.get("threads_1"),
                "passed": v.get("passed"), "error": v.get("error"),
            })
    return {"bundle": str(path.parent), "passed": exported.get("passed"), "rows": rows}


class _LabelledLikelihood:
    """Adapts a conditional model's `log_likelihood(x, k, labels=)` to the metric's call."""

    def __init__(self, model, labels):
        self.model, self.labels, self.offset = model, np.asarray(labels), 0

    def log_likelihood(self, x, k):
        labels = self.labels[self.offset:self.offset + len(x)]
        self.offset += len(x)
        return self.model.log_likelihood(x, k, labels=labels)
