"""`kgen export`: a trained run -> SavedModel + LiteRT variants + metadata/report, with a fidelity gate."""

import argparse
import sys
from pathlib import Path

from kgen.commands._args import (data_options_from, non_negative_int, positive_float, positive_int,
                                 run_dir_of)
from kgen.commands._progress import Progress
from kgen.errors import UserError
from kgen.commands import _text_sample

HELP = "export a trained run as SavedModel + quantized LiteRT files, checked against a fidelity gate"


def _floors(text):
    """An argparse type: `VARIANT=DB,...` with numeric DB values."""
    floors = {}
    for item in filter(None, (part.strip() for part in str(text).split(","))):
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            floors[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected VARIANT=DB pairs such as int8=28,float16=45. Received: {item!r}") from None
    if not floors:
        raise argparse.ArgumentTypeError(f"expected VARIANT=DB pairs. Received: {text!r}")
    return floors


def add_arguments(p):
    p.add_argument("run_dir", help="run directory written by `kgen train` (model.keras, config.json)")
    p.add_argument("--quantize", default="float32,dynamic,float16,int8",
                   help="comma-separated variants: float32, dynamic, float16, int8, int8_io")
    p.add_argument("--out", default=None, metavar="DIR", help="bundle folder (default: RUN_DIR/export)")
    p.add_argument("--floor", type=_floors, default=None, metavar="VARIANT=DB,...",
                   help="override fidelity floors in dB, e.g. int8=30 (default: float32 60, "
                        "float16 40, dynamic 25, int8 20, int8_io 20 dB PSNR for images; "
                        "60, 35, 15, 12, 12 dB SNR for codes)")
    p.add_argument("--no-gate", action="store_true",
                   help="write the bundle and report but exit 0 even below a floor")
    p.add_argument("--calibration-samples", type=positive_int, default=200,
                   help="representative samples for int8 calibration (>= 100 for int8 variants)")
    p.add_argument("--parity-samples", type=positive_int, default=64,
                   help="inputs on which each variant is compared with the SavedModel")
    p.add_argument("--latency-runs", type=non_negative_int, default=50,
                   help="runs of the batch-1 latency median (0 to skip)")
    p.add_argument("--no-real-data", action="store_true",
                   help="calibrate encoders on the model's own samples instead of the run's data")
    p.add_argument("--features", default=None, metavar="EXTRACTOR",
                   help="feature extractor (e.g. digits) for FID/KID between float and quantized "
                        "samples, reported and gated with --max-fid (default: none)")
    p.add_argument("--max-fid", type=positive_float, default=None,
                   help="FID ceiling of every variant (needs --features; default: none)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of calibration and parity inputs")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 quiet, 1 progress bar, 2 also the TFLite converter's log")


def check_variants(quantize):
    """The variant names of a --quantize value; unknown ones are a `UserError`."""
    from kgen import export

    names = [q.strip() for q in str(quantize).split(",") if q.strip()]
    unknown = [q for q in names if q not in export.VARIANTS]
    if unknown or not names:
        raise UserError(f"--quantize: unknown TFLite variant(s) {unknown or [quantize]}; choose "
                        f"from {', '.join(export.VARIANTS)} (comma-separated).")
    return names


def _check(args):
    """Every flag against the registries, before anything is loaded or written."""
    from kgen import export, features

    names = check_variants(args.quantize)
    bad = sorted(set(args.floor or {}) - set(export.VARIANTS))
    if bad:
        raise UserError(f"--floor: unknown variant(s) {bad}; choose from {', '.join(export.VARIANTS)}.")
    needs = [q for q in names if export.tflite.get_variant(q).needs_representative]
    if needs and args.calibration_samples < 100:
        raise UserError(f"--calibration-samples {args.calibration_samples}: {', '.join(needs)} "
                        "calibration needs at least 100 samples.")
    if args.features is not None and args.features not in features.names():
        raise UserError(f"--features: unknown feature extractor {args.features!r}; choose from "
                        f"{', '.join(features.names())}.")
    if args.max_fid is not None and args.features is None:
        raise UserError("--max-fid needs --features EXTRACTOR (the features FID is computed on).")
    return names


def _real_images(model, config, n):
    """The run's own data, for models with image inputs (encoders); None if unavailable."""

    if not any(s.role == "image" for ep in model.export_endpoints() for s in ep.inputs):
        return None
    from kgen.commands import _translation

    if config.get("data_kind") in _translation.DEFAULT_DATA:
        return _translation.calibration_inputs(config, n)
    if not config.get("data") or not config.get("input_shape") or config.get("data_kind") == "sequences":
        return None
    from kgen import data as kdata

    arrays = kdata.load_arrays(config["data"], image_size=config["input_shape"][0],
                               scale=config.get("scale", "tanh"), labels=False,
                               **data_options_from(config.get("flags") or {}))
    return arrays.x[:max(n, 100)]


def _diffusion_images(config):
    """The run's training images in [-1, 1] (int8 calibration of a denoiser), or None."""
    if not config.get("data") or not config.get("input_shape"):
        return None
    from kgen import data as kdata

    try:
        return kdata.load_arrays(config["data"], image_size=config["input_shape"][0], scale="tanh",
                                 labels=False, **data_options_from(config.get("flags") or {})).x[:1000]
    except Exception:  # noqa: BLE001 - calibration falls back to the prior's draws
        return None


def run(args):
    from kgen import export, runs

    run_dir = run_dir_of(args.run_dir)
    variants = _check(args)
    model, config = runs.load_run(run_dir, compile=False)
    out = Path(args.out) if args.out else run_dir / "export"
    images = None if args.no_real_data else _real_images(model, config, args.calibration_samples)
    bar = Progress("kgen export", args.verbose)
    try:
        if _text_sample.samples_text(model):
            report = _text_sample.export_bundle(model, config, args, out)
        elif hasattr(model, "sampling_schedule"):  # diffusion: gated on the images after the DDIM loop
            from kgen.models.diffusion.export import export_diffusion

            report = export_diffusion(model, out, quantize=variants, images=_diffusion_images(config),
                                      gate=not args.no_gate, latency_runs=args.latency_runs, seed=args.seed,
                                      calibration_samples=args.calibration_samples)
        elif hasattr(model, "chain_states"):  # RBM: gated on the chain after k Gibbs steps
            from kgen.models.boltzmann.export import export_rbm

            report = export_rbm(model, out, quantize=variants, images=images, floors=args.floor,
                                gate=not args.no_gate, seed=args.seed, calibration_samples=args.calibration_samples,
                                parity_samples=args.parity_samples, latency_runs=args.latency_runs, progress=bar)
        else:
            report = export.export_model(
                model, out, quantize=variants, calibration_samples=args.calibration_samples,
                calibration_data=images, parity_samples=args.parity_samples, floors=args.floor,
                gate=not args.no_gate, latency_runs=args.latency_runs,
                class_names=config.get("class_names"), feature_extractor=args.features,
                max_fid=args.max_fid, seed=args.seed, verbose=args.verbose >= 2, progress=bar,
            )
    except export.FidelityError as error:
        bar.close()
        print(f"kgen export: FAILED - {error}", file=sys.stderr)
        _print_table(error.report)
        return 1
    bar.close()
    _print_table(report)
    print(f"kgen: bundle written to {out} (metadata.json, report.json, "
          f"{len(report['variants'])} variant(s) per endpoint)")
    return 0


def _print_table(report):
    if not report:
        return
    print(f"{'endpoint':10s} {'variant':9s} {'size KB':>8s} {'max|err|':>9s} {'dB':>7s} "
          f"{'floor':>6s} {'ms(1t)':>7s} {'ms(2t)':>7s}  status")
    for name, ep in report["endpoints"].items():
        for variant, v in ep["variants"].items():
            lat = v.get("latency_ms", {})
            db = v.get("fidelity_db")
            print(f"{name:10s} {variant:9s} {v.get('size_bytes', 0) / 1024:8.1f} "
                  f"{v.get('max_abs_error', float('nan')):9.2e} "
                  f"{db if db is not None else float('nan'):7.1f} {v.get('floor_db') or 0:6.1f} "
                  f"{lat.get('threads_1', float('nan')):7.3f} {lat.get('threads_2', float('nan')):7.3f}"
                  f"  {'ok' if v.get('passed') else v.get('error') or 'BELOW FLOOR'}")
    chain = report.get("chain")
    if chain:  # an RBM: the gate is the chain after k Gibbs steps from the SavedModel's start and noise
        print(f"gibbs_step looped from the same start and noise ({chain['n']} chains): "
              f"images dB / units agreeing after {', '.join(str(k) for k in chain['steps'])} steps")
        for variant, v in chain["variants"].items():
            figures = "  ".join(f"{v['images_db'][str(k)]:6.1f} / {v['unit_agreement'][str(k)]:.3f}"
                                for k in chain["steps"])
            print(f"  {variant:9s} {figures}  floor {v.get('floor_db') or 0:.1f}  "
                  f"{'ok' if v.get('passed') else 'BELOW FLOOR'}")
