"""`kgen eval RUN_DIR`: score a trained run and write report.json + a self-contained report.html."""

import argparse
import json
from pathlib import Path

from kgen.commands._args import data_options_from, int_at_least, non_negative_int, run_dir_of
from kgen.commands._progress import Progress
from kgen.errors import UserError

HELP = ("evaluate a run (FID/KID/precision-recall/IS/...; translators: L1/PSNR/SSIM and input | output | "
        "target grids) and write report.json and report.html")


def add_arguments(p):
    p.add_argument("run_dir", help="a run directory written by `kgen train`")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default: RUN_DIR)")
    p.add_argument("--n-samples", type=int_at_least(2), default=1000, help="generated samples to score")
    p.add_argument("--max-real", type=int_at_least(2), default=2000, help="real samples used at most")
    p.add_argument("--extractor", default="digits",
                   help="feature extractor of the image metrics: digits (offline), inception, or "
                        "none (raw pixels)")
    p.add_argument("--inception-weights", default=None, metavar="FILE",
                   help="InceptionV3 weights file for --extractor inception (default: the Keras cache)")
    p.add_argument("--iwae-samples", type=non_negative_int, default=64,
                   help="importance samples of the IWAE log-likelihood (0: skip)")
    p.add_argument("--labels", action=argparse.BooleanOptionalAction, default=None,
                   help="colour codes and score class coverage with the data's labels "
                        "(default: when the data has valid labels)")
    p.add_argument("--no-tsne", action="store_true", help="skip the t-SNE projection of codes")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of subsampling and noise")
    p.add_argument("--verbose", type=int, choices=(0, 1), default=1, help="0: no progress bar")


def _check_extractor(args):
    from kgen import features

    name = None if args.extractor in ("none", "") else args.extractor
    if name is not None and name not in features.names():
        raise UserError(f"--extractor: unknown feature extractor {name!r}; choose from "
                        f"{', '.join(features.names())} or none.")
    if args.inception_weights is not None:
        if name != "inception":
            raise UserError("--inception-weights applies to --extractor inception only.")
        if not Path(args.inception_weights).is_file():
            raise UserError(f"--inception-weights file not found: '{args.inception_weights}'.")
        return name, {"weights": args.inception_weights}
    return name, None


def _resolve_extractor(name, options):
    """The extractor itself for inception (its weights may be missing: a user error), else the name."""
    from kgen import features

    if name != "inception":
        return name
    try:
        return features.get_extractor(name, **(options or {}))
    except features.InceptionWeightsMissing as err:
        raise UserError(str(err)) from None


def run(args):
    from kgen import runs
    from kgen.report import build_report

    run_dir = run_dir_of(args.run_dir)
    extractor = _resolve_extractor(*_check_extractor(args))
    config_path = run_dir / runs.CONFIG
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    if config.get("data_kind", "images") == "sequences":
        raise UserError(f"kgen eval scores images and 2-D points; '{run_dir}' holds a sequence model "
                        f"({config.get('model')}): its history.json has the validation loss.")
    bar = Progress("kgen eval", args.verbose)
    report = build_report(run_dir, out_dir=args.out, n_samples=args.n_samples, extractor=extractor,
                          max_real=args.max_real, tsne=not args.no_tsne,
                          iwae_samples=args.iwae_samples, seed=args.seed,
                          data_options=data_options_from(config.get("flags") or {}),
                          labels=args.labels, progress=bar)
    bar.close()
    out = args.out or run_dir
    if args.json:
        print(json.dumps(report["metrics"], indent=1))
    else:
        from kgen.report import describe_metric

        for name, value in report["metrics"].items():
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
            print(f"  {name:28s} {text:>12s}  {describe_metric(name, report)}")
    print(f"kgen: wrote {out}/report.json and {out}/report.html ({report['seconds']} s)")
    return 0
