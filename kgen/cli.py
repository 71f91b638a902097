"""The `kgen` command line: one sub-command per module in `kgen/commands/`.

A module there defines `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`; adding a command is adding a file.

Error surface: a user error (a bad flag value, bad data, a missing or
unfinished run, an unknown name; any `kgen.errors.UserError`) prints one line
`kgen: error: ...` naming the value and the flag that fixes it, and exits
with status 2. `--debug` (or `KGEN_DEBUG=1`) shows its traceback instead.
Any other exception is a bug and keeps its traceback.
"""

import argparse
import importlib
import os
import pkgutil
import re
import sys

from kgen.errors import UserError


class UsageError(UserError):
    """A command line that argparse rejects (unknown flag, bad value, missing argument)."""


class _Formatter(argparse.HelpFormatter):
    """Help with each option's default appended, unless the help text states it already."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "%(default)" in text or "default:" in text or action.default is argparse.SUPPRESS:
            return text
        if not action.option_strings or action.nargs == 0 or action.default is None:
            return text
        if isinstance(action, argparse.BooleanOptionalAction):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse with errors raised as `UsageError` (one line) instead of usage + exit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        # "--epoch 3" must not silently mean --epochs 3 (nor "--lab" --labels).
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _commands():
    import kgen.commands as package

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            found[info.name] = f"kgen.commands.{info.name}"
    return found


def build_parser():
    """The argument parser with every discovered sub-command."""
    parser = _Parser(prog="kgen", description="Train, sample, evaluate and export kgen generative models.")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of user errors too (also: KGEN_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in sorted(_commands().items()):
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the traceback of user errors too (also: KGEN_DEBUG=1)")
        cmd.set_defaults(_run=module.run)
    return parser


# Python keyword arguments named in kgen's error messages, as the flags that set them.
_FLAG_WORDING = [(re.compile(pattern), flag) for pattern, flag in (
    (r"\bon_error='?skip'?", "--on-error skip"),
    (r"\bon_error='?raise'?", "--on-error fail"),
    (r"\bchannels=(\d)", r"--channels \1"),
    (r"\bvalue_range=\(low, high\)", "--value-range LOW,HIGH"),
    (r"\bimage_key='<[a-z]+>'", "--image-key KEY"),
    (r"\blabel_key='<[a-z]+>'", "--label-key KEY"),
    (r"\blabels=False", "--no-labels"),
    (r"\bimage_size=<power of two>", "--image-size N"),
    (r"\bimage_size=None", "no --image-size"),
    (r"\bdata_dir='<that directory>'", "--data-dir DIR"),
    (r"\bdownload=False", "--no-download"),
    (r"\blower batch_size\b", "lower --batch-size"),
    (r"\blength=(\d+)", r"--seq-length \1"),
    (r"\blower length\b", "lower --seq-length"),
    (r"\bdrop length=", "drop --seq-length"),
    (r"\bvalidation_split=([\d.]+)", r"--validation-split \1"),
    (r"\bweights='/path/to/weights.h5'", "--inception-weights FILE"),
    (r"\bextractor='digits'", "--extractor digits"),
    (r"\bfloors=\{'int8': dB\}", "--floor int8=DB"),
)]


def cli_wording(message):
    """One line, with the Python options that kgen's messages suggest named as CLI flags.

    Example:
        >>> cli_wording("... or pass on_error='skip' to skip them.")
        '... or pass --on-error skip to skip them.'
    """
    text = "; ".join(line.strip() for line in str(message).splitlines() if line.strip())
    for pattern, flag in _FLAG_WORDING:
        text = pattern.sub(flag, text)
    return text


def _with_config(parser, argv, args):
    """Re-parse with the --config file's settings as flags before the command line's own."""
    from kgen.commands._config import read_settings, settings_to_argv

    command = parser._subparsers._group_actions[0].choices[args.command]  # noqa: SLF001
    tokens = settings_to_argv(command, read_settings(args.config), args.config)
    at = argv.index(args.command) + 1
    return parser.parse_args(argv[:at] + tokens + argv[at:])


def main(argv=None):
    """Entry point of the `kgen` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("KGEN_DEBUG", "") not in ("", "0") or "--debug" in argv
    # Level 3 also hides grappler's harmless "remapper failed" ERROR lines;
    # Python exceptions still carry every real failure.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if debug else "3")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "config", None):
            args = _with_config(parser, argv, args)
        if not getattr(args, "_run", None):
            parser.print_help()
            return 2
        return int(args._run(args) or 0)
    except UserError as err:
        if debug:
            raise
        print(f"kgen: error: {cli_wording(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # kgen.train checkpoints and says how to resume before this reaches here.
        print("kgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
