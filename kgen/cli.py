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
_FLAG_WORDING = [
    (re.compile(r"\bon_error='?skip'?"), "--on-error skip"),
    (re.compile(r"\bon_error='?raise'?"), "--on-error fail"),
    (re.compile(r"\bchannels=(\d)"), r"--channels \1"),
    (re.compile(r"\bvalue_range=\(low, high\)"), "--value-range LOW,HIGH"),
    (re.compile(r"\bimage_key='<[a-z]+>'"), "--image-key KEY"),
    (re.compile(r"\blabel_key='<[a-z]+>'"), "--label-key KEY"),
    (re.compile(r"\blabels=False"), "--no-labels"),
    (re.compile(r"\bimage_size=<power of two>"), "--image-size N"),
    (re.compile(r"\bimage_size=None"), "no --image-size"),
    (re.compile(r"\bdata_dir='<that directory>'"), "--data-dir DIR"),
    (re.compile(r"\bdownload=False"), "--no-download"),
    (re.compile(r"\blower batch_size\b"), "lower --batch-size"),
]


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


# TensorFlow's native start-up lines (absl, oneDNN, CUDA probing), which
# TF_CPP_MIN_LOG_LEVEL does not silence because they precede absl's set-up.
_BANNER = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"Could not find cuda drivers|cpu_feature_guard|This TensorFlow binary is optimized|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|TF-TRT Warning|computation placer already registered|"
    r"To enable the following instructions")


def import_tensorflow_quietly():
    """Import TensorFlow with its native start-up banner dropped (other stderr lines are kept)."""
    if "tensorflow" in sys.modules:
        return
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines()
            kept = [line for line in lines if line.strip() and not _BANNER.search(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


def main(argv=None):
    """Entry point of the `kgen` console script; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    debug = os.environ.get("KGEN_DEBUG", "") not in ("", "0")
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug or "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "_run", None):
            parser.print_help()
            return 2
        if not debug:
            import_tensorflow_quietly()
        return int(args._run(args) or 0)
    except UserError as err:
        if debug:
            raise
        print(f"kgen: error: {cli_wording(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
