"""Exceptions a user can act on: the CLI prints their message as one line and exits with 2.

`UserError` is the base the command line catches (`kgen: error: <message>`,
exit code 2); every message names the bad value or file and the fix.
`TrainingInterrupted` is different: training stopped on SIGINT/SIGTERM after
saving a checkpoint, and the CLI exits with `exit_code` (130 / 143).

Example:
    >>> from kgen.errors import UserError
    >>> try:
    ...     kgen.runs.open_run("runs/x", config)
    ... except UserError as err:
    ...     print(f"kgen: error: {err}")
"""


class UserError(Exception):
    """An error in what the user asked for or gave; the message says what to change.

    Example:
        >>> raise UserError("expected --epochs >= 1. Received: --epochs 0")
    """


class StorageError(UserError, OSError):
    """A file could not be written or read: disk full, read-only directory, I/O error.

    Raised with the path, the operating system's reason and, where known,
    the space needed and free. The previous version of the file is intact.

    Attributes:
        path: the file or directory.
        errno: the OS error number (e.g. 28 for a full disk), or None.
    """

    def __init__(self, message, path=None, errno=None):
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.errno = errno

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class CorruptFileError(UserError, ValueError):
    """A file kgen wrote earlier is empty, truncated or garbled; the message names it."""


class RunDirError(UserError):
    """A run directory cannot be used as asked (locked, or it holds another run)."""


class NonFiniteError(UserError, FloatingPointError):
    """Training produced a NaN/inf loss or weight, or a batch held one; training stopped there.

    Attributes:
        epoch: 1-based epoch of the bad step (None when unknown).
        step: 1-based step within the epoch.
    """

    def __init__(self, message, epoch=None, step=None):
        super().__init__(message)
        self.epoch, self.step = epoch, step


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on SIGINT or SIGTERM after checkpointing at a step boundary.

    A `KeyboardInterrupt`, so `except Exception` does not swallow it.

    Attributes:
        signal: the signal number.
        exit_code: 128 + signal (130 for SIGINT, 143 for SIGTERM).
        checkpoint: path of the checkpoint written, or None.
    """

    def __init__(self, message, signal, checkpoint=None):
        super().__init__(message)
        self.signal = int(signal)
        self.exit_code = 128 + self.signal
        self.checkpoint = checkpoint

    def __str__(self):
        return str(self.args[0])
