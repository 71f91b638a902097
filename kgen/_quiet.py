"""Capture what native (C++) code prints straight to the process's stdout/stderr.

TensorFlow's start-up banner, the TFLite converter's debug lines and
LiteRT's delegate notice are written to file descriptors 1 and 2 by C++,
past Python's `sys.stdout`/`sys.stderr` and past `TF_CPP_MIN_LOG_LEVEL`.
"""

import contextlib
import os
import re
import sys
import tempfile

# TensorFlow's native start-up lines (absl, oneDNN, CUDA probing), which
# TF_CPP_MIN_LOG_LEVEL does not silence because they precede absl's set-up.
_BANNER = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"Could not find cuda drivers|cpu_feature_guard|This TensorFlow binary is optimized|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|TF-TRT Warning|computation placer already registered|"
    r"To enable the following instructions|failed call to cuInit")


def import_tensorflow_quietly():
    """Import TensorFlow with its native start-up banner dropped (other stderr lines are kept).

    `import kgen` does this first, unless `KGEN_DEBUG=1`.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        with native_output(fds=(2,)) as lines:
            import tensorflow  # noqa: F401
    finally:
        reemit([line for line in lines if not _BANNER.search(line)])


@contextlib.contextmanager
def native_output(enabled=True, fds=(1, 2)):
    """Redirect file descriptors `fds` into a buffer for the block.

    Args:
        enabled: False runs the block untouched (e.g. `--verbose 2`).
        fds: the descriptors to capture.

    Yields:
        A list that holds the captured lines once the block has ended
        (also when it raised), for the caller to drop, filter or re-emit.

    Example:
        >>> with native_output() as lines:
        ...     converter.convert()
        >>> lines
        ['fully_quantize: 0, inference_type: 6, ...']
    """
    lines = []
    if not enabled:
        yield lines
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = {}
    with tempfile.TemporaryFile() as buffer:
        try:
            for fd in fds:
                try:
                    saved[fd] = os.dup(fd)
                except OSError:  # a closed descriptor has nothing to capture
                    continue
                os.dup2(buffer.fileno(), fd)
            yield lines
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            buffer.seek(0)
            lines.extend(line for line in buffer.read().decode(errors="replace").splitlines()
                         if line.strip())


def reemit(lines, stream=None):
    """Write captured lines to `stream` (default: stderr)."""
    if lines:
        stream = stream or sys.stderr
        stream.write("\n".join(lines) + "\n")
        stream.flush()
