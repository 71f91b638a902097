"""`kgen sample`: write a PNG grid of samples from a trained run (or text, for a language model)."""

import json
from pathlib import Path

from kgen.commands._args import non_negative_int, positive_int, run_dir_of
from kgen.commands._progress import Progress
from kgen.errors import UserError

from kgen.commands import _text_sample

HELP = "write a PNG grid of samples from a trained run (text for a language model)"

_BATCH = 256


def add_arguments(p):
    p.add_argument("run_dir", help="run directory written by `kgen train`")
    p.add_argument("--n", type=positive_int, default=64, help="number of samples")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the latents")
    p.add_argument("--labels", default=None, metavar="IDS",
                   help="conditional models: comma-separated class ids, cycled over the grid "
                        "(default: 0, 1, ..., K-1)")
    p.add_argument("--out", default=None, metavar="FILE.png",
                   help="PNG path (default: RUN_DIR/samples/sample.png)")
    p.add_argument("--verbose", type=int, choices=(0, 1), default=1, help="0: no progress bar")
    p.add_argument("--sampler", choices=("ddpm", "ddim"), default=None,
                   help="diffusion models: the sampler (default: the model's, DDIM)")
    p.add_argument("--steps", type=positive_int, default=None,
                   help="diffusion models: sampling steps, respaced over the T training steps (default: 50)")
    p.add_argument("--eta", type=float, default=None, help="diffusion models: DDIM eta in [0, 1], 0 deterministic (default: the model's, 0)")
    p.add_argument("--spacing", choices=("uniform", "quadratic"), default=None,
                   help="diffusion models: timesteps of a respaced sampler, quadratic = denser at low noise "
                        "(default: the model's, uniform)")
    p.add_argument("--guidance", type=float, default=None,
                   help="class-conditional diffusion models: classifier-free guidance weight w (default: the model's)")
    _text_sample.add_arguments(p)


def _label_ids(text, num_classes, run_dir):
    if text is None:
        return None
    if not num_classes:
        raise UserError(f"--labels: the model in '{run_dir}' is unconditional and takes no labels; "
                        "drop --labels.")
    try:
        ids = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"--labels expects comma-separated class ids such as 0,3,7. Received: "
                        f"{text!r}") from None
    bad = [i for i in ids if not 0 <= i < num_classes]
    if bad or not ids:
        raise UserError(f"--labels: class ids must lie in 0..{num_classes - 1}. Received: {text!r}")
    return ids


def run(args):
    import numpy as np

    from kgen import runs
    from kgen.images import save_grid

    run_dir = run_dir_of(args.run_dir)
    config_path = run_dir / runs.CONFIG
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    if config.get("data_kind") == "text" or config.get("model") == "char_rnn":
        model, config = runs.load_run(run_dir, compile=False)
        if _text_sample.samples_text(model):
            return _text_sample.run(model, args)
    if config.get("data_kind", "images") != "images":
        raise UserError(f"kgen sample writes image grids; '{run_dir}' holds a model of "
                        f"{config['data_kind']} ({config.get('model')}).")
    out = Path(args.out) if args.out else run_dir / "samples" / "sample.png"
    if out.suffix.lower() != ".png":
        raise UserError(f"--out must name a .png file. Received: '{out}'")
    ids = _label_ids(args.labels, config.get("num_classes"), run_dir)
    model, config = runs.load_run(run_dir, compile=False)
    num_classes = getattr(model, "num_classes", None)
    if ids is None and num_classes:
        ids = list(range(num_classes))
    # The model's own prior (InfoGAN codes, Gumbel one-hots, VQ indices, ...).
    inputs = model.prior.numpy_sample(args.n, np.random.default_rng(args.seed))
    if num_classes:
        inputs["labels"] = np.resize(np.asarray(ids, "int32"), args.n)
    options = _diffusion_options(args, model, run_dir)
    bar = Progress("kgen sample", args.verbose)
    parts = []
    for start in range(0, args.n, _BATCH):
        bar(start, args.n, "generating")
        stop = min(start + _BATCH, args.n)
        parts.append(np.asarray(model.generate({k: v[start:stop] for k, v in inputs.items()}, **options)))
    bar(args.n, args.n, "generating")
    bar.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    save_grid(np.concatenate(parts), out, tuple(config.get("value_range") or (-1.0, 1.0)), scale=2)
    print(f"kgen: wrote {args.n} samples to {out}")
    return 0


def _diffusion_options(args, model, run_dir):
    """--sampler/--steps/--eta/--guidance/--spacing as generate() arguments; refused for models without a sampler."""
    given = {k: getattr(args, k, None) for k in ("sampler", "steps", "eta", "guidance", "spacing")}
    given = {k: v for k, v in given.items() if v is not None}
    if given and not hasattr(model, "sampling_schedule"):
        flags = ", ".join(f"--{k}" for k in given)
        raise UserError(f"{flags}: the model in '{run_dir}' ({type(model).__name__}) is not a diffusion model "
                        "and has no sampler to choose; drop these flags.")
    if "steps" in given and given["steps"] > model.num_timesteps:
        raise UserError(f"--steps {given['steps']}: the model was trained with T={model.num_timesteps} "
                        f"timesteps; use --steps 1..{model.num_timesteps}.")
    if "eta" in given and not 0.0 <= given["eta"] <= 1.0:
        raise UserError(f"--eta {given['eta']}: DDIM's eta lies in [0, 1].")
    if "guidance" in given and not getattr(model, "num_classes", None):
        raise UserError(f"--guidance: the model in '{run_dir}' is unconditional; drop --guidance.")
    return given
