"""`kgen sample` for language models: continue a prompt with the model's own text sampler.

`kgen sample RUN --prompt "ROMEO:" --length 500 --temperature 0.8 --seed 0`
prints the text and writes it to `--out` (default `RUN/samples/sample.txt`).
Kept apart from the image path of `kgen sample`, which calls in here when the
run's model samples text (`kgen.models.CharRNN`).
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
