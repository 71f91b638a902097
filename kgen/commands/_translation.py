"""`kgen train` for image-to-image models (data kinds "paired", "unpaired", "super_resolution").

The hooks `kgen/commands/train.py` calls for these kinds: loading image
pairs (`kgen.data.paired`), the builder's extra arguments (target channels,
the run's length for CycleGAN's learning-rate decay), the pair pipeline
(augmentation as in the papers) and the input | output | target grids.
"""

#: The data kinds of image-to-image models and their embedded (offline) defaults.
DEFAULT_DATA = {"paired": "edges2digits", "unpaired": "digits2inverted", "super_resolution": "sr:x4"}
KIND_SOURCES = {"paired": "edges2digits, colorize, pairs:FILE.npz or pairs:DIR_A,DIR_B",
                "unpaired": "digits2inverted, mnist2digits or unpaired:SOURCE_A,SOURCE_B",
                "super_resolution": "sr:x4, sr:x4:photos or sr:xN:SOURCE"}
#: Augmentation per source: digits are not mirrored; photos are.
_FLIP_SOURCES = ("colorize", "photos")
GRID_EXAMPLES = 8


def is_translation(builder):
    return builder.data in DEFAULT_DATA


def load_data(args, data_cls):
    """The flags' paired source as the train command's `Data` (x: inputs / high-res images)."""
    from kgen.commands._args import source_options
    from kgen.data import paired

    size = args.image_size
    pairs = paired.load_pairs(args.data, image_size=size, channels=args.channels, seed=args.seed,
                              **_pair_options(source_options(args, args.data)))
    info = {**pairs.info, "pairs": pairs}
    info["value_range"] = tuple(pairs.info["value_range"])
    return data_cls(x=pairs.a, info=info)


def _pair_options(options):
    # The generic npz flags name both arrays of a paired .npz.
    out = dict(options)
    if "label_key" in out:
        out["target_key"] = out.pop("label_key")
    out.pop("value_range", None)
    return out


def builder_kwargs(args, builder, data, params):
    """Extra builder arguments: target channels (colorize: 1 -> 3), the run's steps (CycleGAN's decay)."""
    kwargs = {}
    target = data.info.get("target_shape")
    if target and "target_channels" in params:
        kwargs["target_channels"] = int(target[-1])
    if "total_steps" in params:
        n = len(data.info["pairs"])
        steps = args.steps_per_epoch or max(n // max(args.batch_size, 1), 1)
        kwargs["total_steps"] = int(args.epochs) * steps
    if "scale" in params and data.info.get("scale"):
        kwargs["scale"] = int(data.info["scale"])
    return kwargs


def augment_for(args):
    spec = str(args.data)
    if any(name in spec for name in _FLIP_SOURCES):
        return "jitter_flip"
    return "jitter"


def make_dataset(args, batch, repeat, data):
    from kgen.data import paired

    pairs = data.info["pairs"]
    return paired.pair_dataset(pairs, batch_size=batch, seed=args.seed, augment=augment_for(args), repeat=repeat)


def callbacks(args, run_dir, data):
    """The input | output | target grid of fixed examples (the first 8 pairs), every `--sample-every` epochs."""
    from pathlib import Path

    import numpy as np

    from kgen.models.translation.grids import TranslationGrid
    from kgen.models.translation.srgan import downsample

    if not args.sample_every:
        return []
    pairs = data.info["pairs"]
    inputs, targets = pairs.a[:GRID_EXAMPLES], None if pairs.b is None else pairs.b[:GRID_EXAMPLES]
    if pairs.info.get("kind") == "super_resolution":
        inputs, targets = np.asarray(downsample(pairs.a[:GRID_EXAMPLES], int(pairs.info["scale"]))), inputs
    return [TranslationGrid(Path(run_dir) / "samples", inputs, targets, every=args.sample_every,
                            value_range=data.info["value_range"])]


def calibration_inputs(config, n):
    """Real inputs of each translate endpoint, by input name, for int8 calibration and parity (`kgen export`)."""
    import numpy as np

    from kgen.data import paired
    from kgen.models.translation.srgan import downsample

    flags = config.get("flags") or {}
    shape = config.get("input_shape") or [None]
    pairs = paired.load_pairs(config["data"], image_size=shape[0], channels=flags.get("channels"),
                              seed=config.get("seed", 0))
    n = max(int(n), 100)
    if pairs.info.get("kind") == "super_resolution":
        return {"images": np.asarray(downsample(pairs.a[:n], int(pairs.info["scale"])))}
    out = {"images": pairs.a[:n]}
    if pairs.info.get("kind") == "unpaired":
        out["images_b"] = pairs.b[:n]
    return out
