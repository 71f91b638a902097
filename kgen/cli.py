"""The `kgen` command line: one sub-command per module in `kgen/commands/`.

A module there defines `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`; adding a command is adding a file.
"""

import argparse
import importlib
import os
import pkgutil
import sys


def _commands():
    import kgen.commands as package

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            found[info.name] = f"kgen.commands.{info.name}"
    return found


def build_parser():
    """The argument parser with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="kgen", description="Train, sample, evaluate and export kgen generative models."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in sorted(_commands().items()):
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    """Entry point of the `kgen` console script."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    from kgen.errors import UserError

    try:
        return int(args._run(args) or 0)
    except UserError as err:
        print(f"kgen: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
