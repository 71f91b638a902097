"""`kgen sample` / `kgen export` for language models: the model's own text sampler and text export.

`kgen sample RUN --prompt "ROMEO:" --length 500 --temperature 0.8 --seed 0`
prints the text and writes it to `--out` (default `RUN/samples/sample.txt`).
`kgen export RUN` writes the `step` bundle, calibrated on real states of the
run's validation text and checked on greedy text
(`kgen.models.language.export.export_char_rnn`). Kept apart from the image
paths of both commands, which call in here when the run's model samples text
(`kgen.models.CharRNN`).
"""

from kgen.errors import UserError


def add_arguments(p):
    """The flags of text sampling (ignored by image models)."""
    p.add_argument("--prompt", default=None, help="language models: the text to continue "
                                                  "(default: a newline)")
    p.add_argument("--length", type=int, default=500, help="language models: characters to generate")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="language models: softmax temperature, 0 decodes greedily")
    p.add_argument("--top-k", type=int, default=0, help="language models: keep the k likeliest characters "
                                                        "(0: all)")
    p.add_argument("--top-p", type=float, default=1.0, help="language models: nucleus sampling mass (1: off)")


def samples_text(model):
    """Whether `model` is a language model whose samples are text."""
    return callable(getattr(model, "sample", None)) and hasattr(model, "vocabulary")


def run(model, args):
    """Sample text from `model` as the flags say; returns the exit status."""
    from pathlib import Path

    if args.length < 0:
        raise UserError(f"--length must be >= 0. Received: {args.length}")
    try:
        text = model.sample(args.prompt, args.length, args.temperature, args.top_k, args.top_p, seed=args.seed)
    except ValueError as err:
        raise UserError(f"kgen sample: {err}") from None
    out = Path(args.out) if args.out else Path(args.run_dir) / "samples" / "sample.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"kgen: wrote {len(text)} characters to {out}")
    return 0


def export_bundle(model, config, args, out):
    """`kgen export` of a language model: the validation text of the run's `data` checks every variant."""
    from kgen.models.language import load_text_stream
    from kgen.models.language.export import export_char_rnn

    if not config.get("data"):
        raise UserError(f"kgen export: '{args.run_dir}/config.json' names no data; a language model is "
                        "calibrated and checked on its validation text.")
    stream = load_text_stream(config["data"])
    report = export_char_rnn(model, out, stream.validation if stream.validation is not None else stream.train,
                             quantize=args.quantize, calibration_samples=args.calibration_samples,
                             parity_samples=args.parity_samples, floors=args.floor, gate=not args.no_gate,
                             latency_runs=args.latency_runs, seed=args.seed)
    text = report["text"]
    for variant in report["variants"]:
        if variant in text:
            print(f"  {variant:8s} greedy agreement {text[variant]['agreement']:.4f}, greedy text identical for "
                  f"{text[variant]['greedy_common_prefix']} of {text['greedy_length']} characters")
    return report
