"""`export_model`: SavedModel + TFLite variants + metadata.json + report.json in one folder."""

import json
from pathlib import Path

import numpy as np

from kgen import files
from kgen.export import fidelity, inputs as inputs_lib, runtime, tflite
from kgen.export.savedmodel import call_endpoint, export_savedmodel, float32_endpoints
from kgen.features import get_extractor
from kgen.images import save_grid
from kgen.metrics.functional import (
    frechet_classifier_distance_from_activations,
    kernel_classifier_distance_and_std_from_activations,
)

DEFAULT_VARIANTS = ("float32", "dynamic", "float16", "int8")
ALL_VARIANTS = ("float32", "dynamic", "float16", "int8", "int8_io")
SAVED_MODEL_ATOL = 1e-5
FORMAT_VERSION = 1


class FidelityError(AssertionError):
    """An export failed its fidelity gate; `.report` holds the figures."""

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


def tflite_filename(endpoint, variant):
    """File name of an endpoint's variant inside a bundle."""
    return f"{endpoint}_{variant}.tflite"


def export_model(
    model,
    out_dir,
    quantize=DEFAULT_VARIANTS,
    *,
    endpoints=None,
    calibration_samples=200,
    calibration_data=None,
    parity_samples=32,
    floors=None,
    gate=True,
    grids=True,
    latency_runs=0,
    class_names=None,
    feature_extractor=None,
    distribution_samples=500,
    max_fid=None,
    seed=0,
    verbose=False,
    progress=None,
):
    """Export a model's inference endpoints as an edge bundle and verify every variant.

    Writes into `out_dir`: `saved_model/` (one signature per endpoint),
    `<endpoint>_<variant>.tflite`, `metadata.json`, `report.json` and, with
    `grids`, `samples/<endpoint>_<variant>.png`.

    Args:
        model: a `GenerativeModel` (anything with `export_endpoints()`).
        out_dir: bundle folder (created; existing bundle files are replaced).
        quantize: TFLite variants, names from `kgen.export.VARIANTS`.
        endpoints: names of the endpoints to export (default: all).
        calibration_samples: representative samples for int8 calibration
            (>= 100), drawn from the latent prior / uniform labels.
        calibration_data: real inputs for `image`-role inputs (encoders,
            image-to-image): an array `(N, H, W, C)` or a dict input name ->
            array. Without it, encoders calibrate on the model's own decoded
            samples (or uniform noise if it has no decoder).
        parity_samples: batch on which every variant is compared with the
            SavedModel (and the SavedModel with Keras).
        floors: fidelity floors in dB overriding `DEFAULT_FLOORS_DB` (PSNR,
            images) and `DEFAULT_SNR_FLOORS_DB` (SNR, codes)
            ({"int8": 28} or "int8=28").
        gate: raise `FidelityError` (after writing the bundle) when the
            SavedModel differs from Keras by more than 1e-5, a variant fails
            to convert or run, or falls below its floor.
        grids: write a sample grid PNG per image-output endpoint and variant.
        latency_runs: if > 0, batch-1 median latency over this many runs,
            LiteRT with 1 and 2 threads and the TF SavedModel.
        class_names: names of the classes of a conditional model.
        feature_extractor: a `kgen.features` extractor (name such as
            "digits", or instance): adds FID and KID between SavedModel and
            variant samples of image outputs, on `distribution_samples` inputs.
        distribution_samples: samples per FID/KID estimate.
        max_fid: FID ceiling (a number, or {variant: number}) the gate also
            enforces; None only reports FID/KID.
        seed: seed of the calibration and parity inputs.
        verbose: show the TFLite converter's native debug lines.
        progress: `progress(done, total, label)`, called before the SavedModel
            and before each endpoint's variant (for a progress bar).

    Returns:
        The report dict (also written to report.json).

    Example:
        >>> report = export_model(gan, "bundle", quantize=("float32", "int8"))
        >>> report["endpoints"]["generate"]["variants"]["int8"]["psnr_db"]
        34.1
    """
    import tensorflow as tf

    quantize = _check_variants(quantize)
    if int(calibration_samples) < 100 and any(tflite.get_variant(v).needs_representative
                                               for v in quantize):
        raise ValueError(
            f"expected calibration_samples >= 100 for int8 calibration. "
            f"Received: calibration_samples={calibration_samples}"
        )
    floors = fidelity.resolve_floors(floors)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    all_endpoints = list(model.export_endpoints())
    if endpoints is not None:
        unknown = set(endpoints) - {ep.name for ep in all_endpoints}
        if unknown:
            raise ValueError(f"unknown endpoints {sorted(unknown)}; the model has "
                             f"{[ep.name for ep in all_endpoints]}")
        all_endpoints = [ep for ep in all_endpoints if ep.name in endpoints]
    # Generators/decoders first: their samples calibrate encoders. The
    # reference is the float32 network the SavedModel holds (a mixed-precision
    # model is exported in float32).
    ordered = sorted(float32_endpoints(all_endpoints), key=lambda ep: any(s.role == "image" for s in ep.inputs))

    total = 1 + len(ordered) * len(quantize)
    progress = progress or (lambda done, total, label: None)
    progress(0, total, "SavedModel")
    sm_dir = out / "saved_model"
    with files.atomic_path(sm_dir) as tmp:  # replaced whole: a crash keeps the previous export
        export_savedmodel(ordered, tmp)
    loaded = tf.saved_model.load(str(sm_dir))

    num_classes = getattr(model, "num_classes", None)
    if class_names is None and num_classes:
        class_names = [str(i) for i in range(num_classes)]
    report = {
        "model": type(model).__name__,
        "bundle": str(out),
        "variants": list(quantize),
        "floors_db": {kind: {v: table.get(v) for v in quantize} for kind, table in floors.items()},
        "psnr_definition": "10*log10(255^2/MSE) on pixel = (x - low) * 255 / (high - low), "
                           "no rounding, clipped to [0, 255]",
        "calibration": {"samples": int(calibration_samples), "sources": {}},
        "parity_samples": int(parity_samples),
        "endpoints": {},
        "failures": [],
    }
    metadata = {
        "format": "kgen-bundle",
        "format_version": FORMAT_VERSION,
        "model": {"class": type(model).__name__, "name": getattr(model, "name", None),
                  "latent_dim": getattr(model, "latent_dim", None), "num_classes": num_classes},
        "class_names": list(class_names) if class_names else None,
        "saved_model": "saved_model",
        "batch_axis": "the leading -1 in every shape is the batch: any size works",
        "variants": {v: tflite.get_variant(v).description for v in quantize},
        "calibration": report["calibration"],
        "signatures": {},
    }
    rng_parity = np.random.default_rng(seed)
    rng_cal = np.random.default_rng(seed + 1)
    sample_pool = {}  # image shape -> generated images, to calibrate encoders
    distribution = None
    if feature_extractor is not None:
        distribution = {"extractor": get_extractor(feature_extractor),
                        "n": int(distribution_samples), "max_fid": max_fid,
                        "rng": np.random.default_rng(seed + 2)}
        report["distribution_samples"] = int(distribution_samples)

    for ep in ordered:
        image_inputs, source = _image_inputs(ep, calibration_data, sample_pool)
        cal = _merge(inputs_lib.sample_inputs(ep.inputs, int(calibration_samples), rng_cal,
                                              images=image_inputs), calibration_data, ep)
        parity = _merge(inputs_lib.sample_inputs(ep.inputs, int(parity_samples), rng_parity,
                                                 images=image_inputs), calibration_data, ep)
        stand_ins = sorted({inputs_lib.spec_distribution(s).get("type") for s in ep.inputs
                            if s.role in ("latent", "code")
                            and inputs_lib.is_stand_in(inputs_lib.spec_distribution(s))})
        if stand_ins:
            source += f"; latents of type {', '.join(map(str, stand_ins))} (no sampler) drawn from N(0, 1)"
        report["calibration"]["sources"][ep.name] = source
        signature = loaded.signatures[ep.name]
        keras_out = {k: np.asarray(v) for k, v in
                     call_endpoint(ep, ep.network, [parity[s.name] for s in ep.inputs]).items()}
        sm_out = {k: v.numpy() for k, v in signature(**parity).items()}
        sm_error = max(fidelity.max_abs_error(keras_out[k], sm_out[k]) for k in keras_out)
        ep_report = {"saved_model": {"max_abs_error_vs_keras": sm_error}, "variants": {}}
        if sm_error > SAVED_MODEL_ATOL:
            report["failures"].append(
                f"{ep.name}: SavedModel differs from the Keras model by {sm_error:.3g} "
                f"(> {SAVED_MODEL_ATOL}); is the network deterministic in inference mode?")
        for spec in ep.outputs:
            if spec.role == "image" and spec.shape:
                sample_pool.setdefault(tuple(spec.shape), []).append(
                    signature(**cal)[spec.name].numpy())
        if latency_runs:
            one = {k: v[:1] for k, v in parity.items()}
            ep_report["saved_model"]["latency_ms"] = {"tf": runtime.median_latency_ms(
                lambda: signature(**one), latency_runs)}
        if grids:
            _write_grids(out, ep, "saved_model", sm_out)
        ep_meta = _signature_metadata(ep)
        dist = None
        if distribution is not None and any(s.role == "image" for s in ep.outputs):
            inputs = _merge(inputs_lib.sample_inputs(ep.inputs, distribution["n"], distribution["rng"],
                                                     images=image_inputs), calibration_data, ep)
            dist = {**distribution, "inputs": inputs,
                    "reference": {k: v.numpy() for k, v in signature(**inputs).items()}}
        for variant in quantize:
            progress(1 + ordered.index(ep) * len(quantize) + quantize.index(variant), total,
                     f"{ep.name} {variant}")
            ep_report["variants"][variant], ep_meta["files"][variant] = _export_variant(
                out, sm_dir, ep, variant, cal, parity, sm_out, floors, grids, latency_runs, report,
                verbose)
            if dist is not None and "error" not in ep_report["variants"][variant]:
                _distribution_figures(out, ep, variant, dist, ep_report["variants"][variant], report)
        report["endpoints"][ep.name] = ep_report
        metadata["signatures"][ep.name] = ep_meta

    progress(total, total, "done")
    report["passed"] = not report["failures"]
    _write_json(out / "metadata.json", metadata)
    _write_json(out / "report.json", report)
    if gate and report["failures"]:
        raise FidelityError(
            "export fidelity gate failed:\n  " + "\n  ".join(report["failures"]) +
            f"\nFigures: {out / 'report.json'}. Lower a floor with floors={{'int8': dB}} "
            "(kgen export --floor int8=DB) or export another variant.", report)
    return report


def _check_variants(quantize):
    if isinstance(quantize, str):
        quantize = [q.strip() for q in quantize.split(",") if q.strip()]
    quantize = list(dict.fromkeys(quantize))
    if not quantize:
        raise ValueError("expected at least one TFLite variant in quantize")
    for name in quantize:
        tflite.get_variant(name)
    return quantize


def _image_inputs(ep, calibration_data, sample_pool):
    image_specs = [s for s in ep.inputs if s.role == "image"]
    if not image_specs:
        return None, "prior"
    if calibration_data is not None and not isinstance(calibration_data, dict):
        return np.asarray(calibration_data, np.float32), "calibration_data"
    if isinstance(calibration_data, dict):
        # Named real inputs (a translator's images, CycleGAN's images_b): `_merge` feeds them as given,
        # so the report says so rather than describing the noise they replace.
        named = [s.name for s in image_specs if s.name in calibration_data]
        if named:
            rows = ", ".join(f"calibration_data[{n!r}] ({len(calibration_data[n])} rows)" for n in named)
            return np.asarray(calibration_data[named[0]], np.float32), f"real inputs: {rows}"
    pool = sample_pool.get(tuple(image_specs[0].shape))
    if pool:
        return np.concatenate(pool), "model samples (decoded from the prior)"
    return None, "uniform noise in the input value range (no real inputs given)"


def _merge(batch, calibration_data, ep):
    # A dict of arrays overrides named inputs (any role).
    if isinstance(calibration_data, dict):
        n = len(next(iter(batch.values())))
        for spec in ep.inputs:
            if spec.name in calibration_data:
                values = np.asarray(calibration_data[spec.name])
                batch[spec.name] = np.resize(values, (n, *values.shape[1:])).astype(spec.dtype)
    return batch


def _value_range(spec):
    value_range = (spec.info or {}).get("value_range")
    return tuple(value_range) if value_range is not None else None


def _signature_metadata(ep):
    def describe(spec):
        entry = {"name": spec.name, "shape": [-1, *(int(s) for s in spec.shape)],
                 "dtype": spec.dtype, "role": spec.role}
        info = dict(spec.info or {})
        if spec.role in ("latent", "code", "label"):
            # The model's prior part (kgen.priors metadata); none for a code without a prior.
            entry["distribution"] = info.pop("distribution", {"type": "none"})
        if spec.role == "label":
            entry["num_classes"] = int(info.pop("num_classes"))
        value_range = info.pop("value_range", None)
        if value_range is not None:
            low, high = (float(v) for v in value_range)
            entry["value_range"] = [low, high]
            if spec.role == "image":
                entry["layout"] = "NHWC"
                entry["to_pixels"] = {
                    "offset": -low, "scale": 255.0 / (high - low),
                    "formula": f"pixel = (x + {-low:g}) * {255.0 / (high - low):g}",
                }
        entry.update({k: v for k, v in info.items() if _jsonable(v)})
        return entry

    return {"inputs": [describe(s) for s in ep.inputs],
            "outputs": [describe(s) for s in ep.outputs], "files": {}}


def _jsonable(value):
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def _quantization(details):
    table = {}
    for name, detail in details.items():
        scale, zero_point = detail["quantization"]
        table[name] = {
            "dtype": np.dtype(detail["dtype"]).name,
            "quantization": ({"scale": float(scale), "zero_point": int(zero_point)}
                             if scale else None),
        }
    return table


def _export_variant(out, sm_dir, ep, variant, cal, parity, sm_out, floors, grids, latency_runs,
                    report, verbose=False):
    path = out / tflite_filename(ep.name, variant)
    entry = {"file": path.name}
    meta = {"file": path.name}
    try:
        data = tflite.convert(sm_dir, ep.name, variant, cal, verbose=verbose)
    except Exception as error:  # noqa: BLE001 - the report carries the converter's message
        entry.update(error=f"conversion failed: {_first_lines(error)}", passed=False)
        report["failures"].append(
            f"{ep.name}/{variant}: conversion failed ({_first_lines(error, 1)}). Networks with "
            "Conv2DTranspose often fail full-integer conversion: build them with upsample='resize'.")
        return entry, meta
    files.write_bytes(path, data)
    entry["size_bytes"] = meta["size_bytes"] = len(data)
    try:
        runner = runtime.LiteRTModel(path)
        outputs = runner(**parity)
    except Exception as error:  # noqa: BLE001
        entry.update(error=f"LiteRT run failed: {_first_lines(error)}", passed=False)
        report["failures"].append(f"{ep.name}/{variant}: runs in the converter but not in the "
                                  f"LiteRT interpreter ({_first_lines(error, 1)})")
        return entry, meta
    meta["inputs"] = _quantization(runner.input_details)
    meta["outputs"] = _quantization(runner.output_details)
    figures, margins = {}, {}
    for spec in ep.outputs:
        value_range = _value_range(spec)
        figures[spec.name] = fidelity.compare(sm_out[spec.name], outputs[spec.name], value_range)
        floor = floors["image" if value_range is not None else "other"].get(variant)
        figures[spec.name]["floor_db"] = floor
        margins[spec.name] = figures[spec.name]["fidelity_db"] - (floor or -fidelity.DB_CAP)
    worst = figures[min(margins, key=margins.get)]
    entry.update(
        max_abs_error=max(f["max_abs_error"] for f in figures.values()),
        psnr_db=worst["psnr_db"], snr_db=worst["snr_db"], fidelity_db=worst["fidelity_db"],
        floor_db=worst["floor_db"], outputs=figures,
        passed=worst["floor_db"] is None or worst["fidelity_db"] >= worst["floor_db"],
    )
    if not entry["passed"]:
        kind = "PSNR" if worst["psnr_db"] is not None else "SNR"
        report["failures"].append(
            f"{ep.name}/{variant}: {kind} {worst['fidelity_db']:.1f} dB against the SavedModel is "
            f"below the floor of {worst['floor_db']:g} dB")
    if latency_runs:
        one = {k: v[:1] for k, v in parity.items()}
        entry["latency_ms"] = {
            f"threads_{t}": runtime.litert_latency_ms(path, one, num_threads=t, runs=latency_runs)
            for t in (1, 2)
        }
    if grids:
        grid = _write_grids(out, ep, variant, outputs)
        if grid:
            entry["grid"] = grid
    return entry, meta


def _distribution_figures(out, ep, variant, dist, entry, report):
    """FID/KID between SavedModel and variant samples of the first image output."""
    spec = next(s for s in ep.outputs if s.role == "image")
    value_range = _value_range(spec) or (-1.0, 1.0)
    samples = runtime.LiteRTModel(out / tflite_filename(ep.name, variant))(**dist["inputs"])
    extractor = dist["extractor"]
    ref = extractor.features(dist["reference"][spec.name], value_range=value_range)
    test = extractor.features(samples[spec.name], value_range=value_range)
    entry["fid_vs_float"] = float(frechet_classifier_distance_from_activations(ref, test))
    entry["kid_vs_float"] = kernel_classifier_distance_and_std_from_activations(ref, test)[0]
    ceiling = dist["max_fid"]
    if isinstance(ceiling, dict):
        ceiling = ceiling.get(variant)
    if ceiling is not None:
        entry["max_fid"] = float(ceiling)
        if entry["fid_vs_float"] > ceiling:
            entry["passed"] = False
            report["failures"].append(
                f"{ep.name}/{variant}: FID {entry['fid_vs_float']:.3g} against the SavedModel's "
                f"samples is above the ceiling of {ceiling:g}")


def _write_grids(out, ep, variant, outputs):
    for spec in ep.outputs:
        if spec.role == "image" and len(spec.shape) == 3 and spec.shape[-1] in (1, 3, 4):
            (out / "samples").mkdir(exist_ok=True)
            rel = f"samples/{ep.name}_{variant}.png"
            images = outputs[spec.name][:64]
            save_grid(images, out / rel, value_range=_value_range(spec) or (-1.0, 1.0),
                      scale=max(1, 64 // int(spec.shape[0])))
            return rel
    return None


def _first_lines(error, n=3):
    lines = [line for line in str(error).splitlines() if line.strip()]
    return " | ".join(lines[-n:])[:500] if lines else type(error).__name__


def _write_json(path, data):
    files.write_json(path, data, indent=2, allow_nan=False, default=None)


def load_metadata(bundle):
    """Read a bundle's metadata.json."""
    return json.loads((Path(bundle) / "metadata.json").read_text())


def check_parity(model, directory, variants=("float32",), n=4, seed=0, floors=None):
    """Export `model` to `directory` and raise unless every variant matches.

    For the contract tests: the SavedModel must reproduce the Keras model to
    1e-5 and every variant must convert, run in LiteRT and pass its floor.

    Args:
        model: a `GenerativeModel`.
        directory: bundle folder to write.
        variants: TFLite variants to check.
        n: parity batch size.
        seed: input seed.
        floors: floor overrides in dB.

    Returns:
        The report dict.

    Raises:
        FidelityError: with the figures, when a check fails.

    Example:
        >>> check_parity(kgen.zoo.build("dcgan", (16, 16, 1), tiny=True), tmp_path)
    """
    needs_cal = any(tflite.get_variant(v).needs_representative for v in _check_variants(variants))
    return export_model(model, directory, quantize=variants, parity_samples=n,
                        calibration_samples=100 if needs_cal else n, floors=floors,
                        grids=False, latency_runs=0, seed=seed, gate=True)
