"""Exceptions that mean "the user asked for something that cannot work", not "kgen has a bug"."""


class UserError(Exception):
    """Bad input from the user: a value, a file, a flag combination, a missing run.

    The message names the bad value and the fix. The `kgen` command prints it
    as one line (`kgen: error: ...`) and exits with status 2; every other
    exception is a bug and keeps its traceback.

    Example:
        >>> raise UserError("--epochs must be >= 1. Received: 0")
        Traceback (most recent call last):
        ...
        kgen.errors.UserError: --epochs must be >= 1. Received: 0
    """
