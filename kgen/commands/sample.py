"""`kgen sample`: write a PNG grid of samples from a trained run (or text, for a language model)."""

from kgen.commands import _text_sample

HELP = "write a PNG grid of samples from a trained run (text for a language model)"


def add_arguments(p):
    p.add_argument("run_dir", help="run directory written by `kgen train`")
    p.add_argument("--n", type=int, default=64, help="number of samples")
    p.add_argument("--seed", type=int, default=0, help="seed of the latents")
    p.add_argument("--labels", default=None,
                   help="comma-separated class ids for a conditional model (cycled over the grid)")
    p.add_argument("--out", default=None, help="PNG path (default RUN_DIR/samples/sample.png)")
    _text_sample.add_arguments(p)


def run(args):
    from pathlib import Path

    import numpy as np

    from kgen import runs
    from kgen.images import save_grid

    model, config = runs.load_run(args.run_dir, compile=False)
    if _text_sample.samples_text(model):
        return _text_sample.run(model, args)
    # The model's own prior (InfoGAN codes, Gumbel one-hots, VQ indices, ...).
    inputs = model.prior.numpy_sample(args.n, np.random.default_rng(args.seed))
    if "labels" in inputs:
        ids = [int(v) for v in args.labels.split(",")] if args.labels else list(range(model.num_classes))
        inputs["labels"] = np.resize(np.asarray(ids, "int32"), args.n)
    images = np.asarray(model.generate(inputs))
    out = Path(args.out) if args.out else Path(args.run_dir) / "samples" / "sample.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    save_grid(images, out, tuple(config.get("value_range") or (-1.0, 1.0)), scale=2)
    print(f"kgen: wrote {args.n} samples to {out}")
    return 0
