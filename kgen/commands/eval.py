"""`kgen eval RUN_DIR`: score a trained run and write report.json + a self-contained report.html."""

HELP = "evaluate a run (FID/KID/precision-recall/IS/...) and write report.json and report.html"


def add_arguments(p):
    p.add_argument("run_dir", help="a run directory written by `kgen train`")
    p.add_argument("--out", default=None, help="output folder (default: RUN_DIR)")
    p.add_argument("--n-samples", type=int, default=1000, help="generated samples to score")
    p.add_argument("--max-real", type=int, default=2000, help="real samples used at most")
    p.add_argument("--extractor", default="digits",
                   help="feature extractor for image metrics: digits (offline default) | "
                        "inception | none (raw pixels)")
    p.add_argument("--inception-weights", default=None,
                   help="InceptionV3 weights file for --extractor inception (default: Keras cache)")
    p.add_argument("--iwae-samples", type=int, default=64,
                   help="importance samples of the IWAE log-likelihood (0: skip)")
    p.add_argument("--no-tsne", action="store_true", help="skip the t-SNE projection of codes")
    p.add_argument("--seed", type=int, default=0)


def run(args):
    import json
    import sys

    from kgen.features import InceptionWeightsMissing
    from kgen.report import build_report

    extractor = None if args.extractor in ("none", "") else args.extractor
    options = {"weights": args.inception_weights} if args.inception_weights else None
    try:
        report = build_report(args.run_dir, out_dir=args.out, n_samples=args.n_samples,
                              extractor=extractor, max_real=args.max_real, tsne=not args.no_tsne,
                              iwae_samples=args.iwae_samples, seed=args.seed,
                              extractor_options=options)
    except InceptionWeightsMissing as err:
        print(f"kgen eval: {err}", file=sys.stderr)
        return 2
    out = args.out or args.run_dir
    print(json.dumps(report["metrics"], indent=1))
    print(f"kgen: wrote {out}/report.json and {out}/report.html ({report['seconds']} s)")
    return 0
