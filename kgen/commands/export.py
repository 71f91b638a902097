"""`kgen export`: a trained run -> SavedModel + LiteRT variants + metadata/report, with a fidelity gate."""

from kgen.commands import _text_sample

HELP = "export a trained run as SavedModel + quantized LiteRT files, checked against a fidelity gate"


def add_arguments(p):
    p.add_argument("run_dir", help="run directory written by `kgen train` (model.keras, config.json)")
    p.add_argument("--quantize", default="float32,dynamic,float16,int8",
                   help="comma-separated variants: float32, dynamic, float16, int8, int8_io")
    p.add_argument("--out", default=None, help="bundle folder (default RUN_DIR/export)")
    p.add_argument("--floor", default=None, metavar="VARIANT=DB,...",
                   help="override fidelity floors in dB, e.g. int8=30 (defaults: float32 60, "
                        "float16 40, dynamic 25, int8 20, int8_io 20 dB PSNR for images; "
                        "60, 35, 15, 12, 12 dB SNR for codes)")
    p.add_argument("--no-gate", action="store_true",
                   help="write the bundle and report but exit 0 even below a floor")
    p.add_argument("--calibration-samples", type=int, default=200,
                   help="representative samples for int8 calibration (>= 100)")
    p.add_argument("--parity-samples", type=int, default=64,
                   help="inputs on which each variant is compared with the SavedModel")
    p.add_argument("--latency-runs", type=int, default=50,
                   help="runs of the batch-1 latency median (0 to skip)")
    p.add_argument("--no-real-data", action="store_true",
                   help="calibrate encoders on the model's own samples instead of the run's data")
    p.add_argument("--features", default=None, metavar="EXTRACTOR",
                   help="feature extractor (e.g. digits) for FID/KID between float and quantized "
                        "samples (reported; gated with --max-fid)")
    p.add_argument("--max-fid", type=float, default=None, help="FID ceiling of every variant")
    p.add_argument("--seed", type=int, default=0, help="seed of calibration and parity inputs")


def _load(run_dir):
    import json
    from pathlib import Path

    try:
        from kgen import runs
    except ImportError:  # pragma: no cover - before kgen.runs existed
        runs = None
    if runs is not None and hasattr(runs, "load_run"):
        return runs.load_run(run_dir, compile=False)
    import keras

    import kgen.models  # noqa: F401 - registers kgen classes

    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    return keras.saving.load_model(str(run_dir / "model.keras"), compile=False), config


def _real_images(model, config, n):
    """The run's own data, for models with image inputs (encoders); None if unavailable."""
    if not any(s.role == "image" for ep in model.export_endpoints() for s in ep.inputs):
        return None
    if not config.get("data") or not config.get("input_shape"):
        return None
    from kgen import data as kdata

    arrays = kdata.load_arrays(config["data"], image_size=config["input_shape"][0],
                               scale=config.get("scale", "tanh"))
    return arrays.x[:max(n, 100)]


def run(args):
    import sys
    from pathlib import Path

    from kgen import export

    model, config = _load(args.run_dir)
    out = Path(args.out) if args.out else Path(args.run_dir) / "export"
    images = None if args.no_real_data else _real_images(model, config, args.calibration_samples)
    try:
        if _text_sample.samples_text(model):
            report = _text_sample.export_bundle(model, config, args, out)
        else:
            report = export.export_model(
                model, out, quantize=args.quantize, calibration_samples=args.calibration_samples,
                calibration_data=images, parity_samples=args.parity_samples, floors=args.floor,
                gate=not args.no_gate, latency_runs=args.latency_runs,
                class_names=config.get("class_names"), feature_extractor=args.features,
                max_fid=args.max_fid, seed=args.seed,
            )
    except export.FidelityError as error:
        print(f"kgen export: FAILED - {error}", file=sys.stderr)
        _print_table(error.report)
        return 1
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
