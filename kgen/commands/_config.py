"""`--config FILE`: flag settings from a TOML or JSON file, turned back into command-line flags.

Keys are the flags' names (`batch_size` or `batch-size`); a run's
`config.json` replays that run through its `"flags"` record. The settings
become flags placed before the command line's own, so those win, and every
value goes through the same checks as a typed flag.
"""

import argparse
import json
from pathlib import Path

from kgen.errors import UserError

#: Flags a config file cannot set.
_NOT_SETTABLE = {"config", "help", "debug", "list_models"}


def read_settings(path):
    """The `{name: value}` settings of a TOML or JSON file (a run's config.json: its flags)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--config file not found: '{path}'.")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".toml":
        settings = _toml(text, path)
    else:
        try:
            settings = json.loads(text)
        except json.JSONDecodeError as err:
            if path.suffix.lower() == ".json":
                raise UserError(f"--config '{path}' is not valid JSON ({err}).") from None
            settings = _toml(text, path)
    if not isinstance(settings, dict):
        raise UserError(f"--config '{path}' must hold a table of settings. Received: "
                        f"{type(settings).__name__}")
    if isinstance(settings.get("flags"), dict):  # a run's config.json
        settings = settings["flags"]
    return settings


def _toml(text, path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"--config '{path}' is neither valid TOML nor JSON ({err}).") from None


def settings_to_argv(parser, settings, path="--config"):
    """Turn `{flag name: value}` into command-line tokens for `parser`.

    Args:
        parser: the sub-command's parser.
        settings: from :func:`read_settings`.
        path: the file, for messages.

    Returns:
        A list of tokens such as `["--batch-size", "32", "--no-labels"]`.
    """
    actions = {a.dest: a for a in parser._actions if a.option_strings}  # noqa: SLF001
    tokens = []
    for key, value in settings.items():
        dest = str(key).replace("-", "_")
        action = actions.get(dest)
        if action is None or dest in _NOT_SETTABLE:
            known = ", ".join(sorted(d for d in actions if d not in _NOT_SETTABLE))
            raise UserError(f"unknown setting {key!r} in --config '{path}'; settings are the flags' "
                            f"names: {known}.")
        if value is None:
            continue
        flag = action.option_strings[-1]
        if isinstance(action, argparse.BooleanOptionalAction):
            _need_bool(key, value, path)
            tokens.append(action.option_strings[0] if value else action.option_strings[1])
        elif action.nargs == 0:  # store_true / store_false
            _need_bool(key, value, path)
            if bool(value) == bool(action.const):
                tokens.append(flag)
        elif isinstance(value, bool):
            raise UserError(f"setting {key!r} in --config '{path}' takes a value, not "
                            f"{str(value).lower()}.")
        elif isinstance(action, argparse._AppendAction):  # noqa: SLF001 - repeated flags: one each
            for item in value if isinstance(value, (list, tuple)) else [value]:
                tokens.append(f"{flag}={item}")
        else:
            text = ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
            tokens.append(f"{flag}={text}")
    return tokens


def _need_bool(key, value, path):
    if not isinstance(value, bool):
        raise UserError(f"setting {key!r} in --config '{path}' must be true or false. "
                        f"Received: {value!r}")
