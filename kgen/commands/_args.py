"""Argument types and flag groups shared by the commands; every check runs before any work.

A type here raises `argparse.ArgumentTypeError`, which argparse turns into
"argument --epochs: ..." and `kgen.cli` prints as one line with exit status 2.
"""

import argparse
import json
import math
from pathlib import Path

from kgen.errors import UserError

#: Largest class count inferred from label values without --num-classes: a
#: stray label of 1e6 would otherwise make a million-way embedding.
MAX_INFERRED_CLASSES = 1000


def _number(text, kind):
    try:
        value = kind(text)
    except (TypeError, ValueError):
        name = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {name}. Received: {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number. Received: {text!r}")
    return value


def _split_setting(text):
    key, sep, raw = str(text).partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY a hyperparameter name, such as "
                                         f"loss=hybrid. Received: {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number for {key}. Received: {text!r}")
    return key, value


def model_setting(text):
    """An argparse type for `--set KEY=VALUE`: checked, kept as text (config.json replays it)."""
    key, _ = _split_setting(text)
    return f"{key}={str(text).partition('=')[2]}"


def model_settings(items):
    """`{key: value}` of `--set` items; VALUE read as JSON (a number, true/false, a list), else a string.

    Example:
        >>> model_settings(["loss=hybrid", "hybrid_weight=1e-3"])
        {'loss': 'hybrid', 'hybrid_weight': 0.001}
    """
    return dict(_split_setting(item) for item in items or ())


def int_at_least(low):
    """An argparse type: an integer >= `low`."""

    def parse(text):
        value = _number(text, int)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}. Received: {value}")
        return value

    parse.__name__ = f"integer>={low}"
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def positive_float(text):
    """An argparse type: a finite number > 0."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0. Received: {value:g}")
    return value


def float_in(low, high, closed_low=True, example=None):
    """An argparse type: a number in [low, high) (or (low, high) with `closed_low=False`)."""
    interval = f"{'[' if closed_low else '('}{low:g}, {high:g})"
    hint = f", e.g. {example}" if example else ""

    def parse(text):
        value = _number(text, float)
        if not (low <= value if closed_low else low < value) or not value < high:
            raise argparse.ArgumentTypeError(f"must lie in {interval}{hint}. Received: {value:g}")
        return value

    parse.__name__ = f"number in {interval}"
    return parse


#: Adam's betas, an EMA decay, a held-out fraction.
beta = float_in(0.0, 1.0)
decay = float_in(0.0, 1.0, closed_low=False, example="0.999")
fraction = float_in(0.0, 1.0, example="0.1")


def power_of_two(text):
    """An argparse type: an image size, a power of two in [4, 4096]."""
    value = _number(text, int)
    if not (4 <= value <= 4096 and value & (value - 1) == 0):
        raise argparse.ArgumentTypeError(
            f"must be a power of two between 4 and 4096 (8, 16, 32, ...). Received: {value}")
    return value


def value_range(text):
    """An argparse type: `LOW,HIGH` with HIGH > LOW."""
    parts = str(text).split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH (e.g. 0,255). Received: {text!r}")
    low, high = (_number(p.strip(), float) for p in parts)
    if not high > low:
        raise argparse.ArgumentTypeError(f"HIGH must exceed LOW. Received: {text!r}")
    return (low, high)


def run_dir_of(path, need_model=True):
    """Check that `path` is a finished run directory; a `UserError` names what is missing.

    Args:
        path: the RUN_DIR argument.
        need_model: require `model.keras` (written when training finishes).

    Returns:
        `Path(path)`.
    """
    run = Path(path)
    if not run.is_dir():
        hint = " (it is a file)" if run.exists() else ""
        raise UserError(f"run directory not found: '{run}'{hint}; pass a directory written by "
                        f"`kgen train --run-dir DIR`.")
    if need_model and not (run / "model.keras").is_file():
        raise UserError(f"'{run}' holds no model.keras: its training did not finish. Re-run the same "
                        f"`kgen train --run-dir {run}` to resume it from {run / 'checkpoints'}.")
    return run


# ----------------------------------------------------------------------------- data flags

#: CLI flag -> (`kgen.data` option name, how it is passed). Only given flags are
#: passed, and only to sources that accept them.
SOURCE_OPTION_FLAGS = {
    "image_key": "--image-key",
    "label_key": "--label-key",
    "value_range": "--value-range",
    "data_dir": "--data-dir",
    "download": "--no-download",
}


def add_data_arguments(p, default=None, labels_help=None):
    """The flags that choose and fix a data source (train and eval share them)."""
    g = p.add_argument_group("data")
    g.add_argument("--data", default=default,
                   help="images: digits | tfds:NAME[:SPLIT] | FILE.npz | IMAGE_FOLDER; points: ring8 "
                        "| grid25; sequences: sines | text:FILE | FILE.npz (default: digits, ring8 "
                        "or sines, as the model's data kind)")
    g.add_argument("--image-size", type=power_of_two, default=None, metavar="N",
                   help="resize images to NxN, a power of two (default: 16 for digits, else the "
                        "native size)")
    g.add_argument("--channels", type=int, choices=(1, 3, 4), default=None,
                   help="convert images to 1 (gray), 3 (RGB) or 4 (RGBA) channels "
                        "(default: keep them; mixed counts are an error)")
    g.add_argument("--value-range", type=value_range, default=None, metavar="LOW,HIGH",
                   help=".npz images: the range their values use (default: 0,255 for integers, "
                        "0,1 for floats)")
    g.add_argument("--image-key", default=None, metavar="KEY",
                   help=".npz / tfds: the array or feature holding the images (default: images, x "
                        "or x_train; tfds: image)")
    g.add_argument("--label-key", default=None, metavar="KEY",
                   help=".npz / tfds: the labels' array or feature (default: labels, y or y_train; "
                        "tfds: label)")
    g.add_argument("--on-error", choices=("fail", "skip"), default=None,
                   help="image folders: stop at unreadable files, or skip (and count) them "
                        "(default: fail)")
    g.add_argument("--labels", action=argparse.BooleanOptionalAction, default=None,
                   help=labels_help or "use the source's labels (--no-labels ignores them)")
    g.add_argument("--data-dir", default=None, metavar="DIR",
                   help="tfds: a prepared tensorflow-datasets directory (default: ~/tensorflow_datasets)")
    g.add_argument("--no-download", dest="download", action="store_false", default=None,
                   help="tfds: never try to download (use --data-dir as it is)")
    g.add_argument("--seq-length", type=int_at_least(2), default=None, metavar="T",
                   help="text:FILE: characters per window (default: 100; character models: 64, "
                        "plus the next character); sines: steps (default: 32); .npz sequences keep "
                        "their length")
    g.add_argument("--validation-split", type=fraction, default=None, metavar="F",
                   help="sequence data: the last fraction F held out for validation (default: 0.1)")
    return g


def source_options(args, source):
    """The `kgen.data` keyword options the given flags ask for; a flag the source ignores is an error."""
    from kgen import data as kdata

    src, _ = kdata.resolve_source(source)
    options = {}
    for name, flag in SOURCE_OPTION_FLAGS.items():
        value = getattr(args, name, None)
        if value is None:
            continue
        if name not in src.options:
            takes = ", ".join(SOURCE_OPTION_FLAGS[o] for o in src.options if o in SOURCE_OPTION_FLAGS)
            raise UserError(f"{flag} does not apply to --data {source} (source '{src.name}' takes "
                            f"{takes or 'none of the source flags'}).")
        options[name] = value
    return options


def on_error(args):
    """The `kgen.data` name of --on-error."""
    return "skip" if args.on_error == "skip" else "raise"


#: Data flags that only images use, and those only sequences use.
IMAGE_FLAGS = {"image_size": "--image-size", "channels": "--channels", "value_range": "--value-range",
               "image_key": "--image-key", "on_error": "--on-error"}
SEQUENCE_FLAGS = {"seq_length": "--seq-length", "validation_split": "--validation-split"}


def reject_flags(args, flags, why):
    """A `UserError` for the first flag of `flags` ({dest: flag}) that was given."""
    for dest, flag in flags.items():
        if getattr(args, dest, None) is not None:
            raise UserError(f"{flag} does not apply here: {why}.")


def data_options_from(flags):
    """`kgen.data` source options recorded in a run's `config.json` flags."""
    return {name: (tuple(flags[name]) if name == "value_range" else flags[name])
            for name in SOURCE_OPTION_FLAGS if flags.get(name) is not None}
