"""A one-line progress bar on stderr for the CLI's long steps (eval, export, sampling)."""

import sys
import time


class Progress:
    """`progress(done, total, label)` drawing `kgen eval [#####.....] 3/7 label 12.3 s`.

    On a terminal the line is redrawn in place; otherwise (logs, CI) each
    new label is printed on its own line. `verbose=0` prints nothing.

    Args:
        title: the command, printed first (e.g. "kgen eval").
        verbose: 0 silent, otherwise drawn.
        stream: where to draw (default: stderr).
        width: characters of the bar.

    Example:
        >>> bar = Progress("kgen export")
        >>> for i in range(3):
        ...     bar(i, 3, f"variant {i}")
        >>> bar.close()
    """

    def __init__(self, title, verbose=1, stream=None, width=20):
        self.title = title
        self.verbose = verbose
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.time()
        self._label = None
        self._drawn = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done, total, label=""):
        if not self.verbose:
            return
        total = max(int(total), 1)
        done = min(max(int(done), 0), total)
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.title} [{bar}] {done}/{total} {label} {time.time() - self.start:.1f} s"
        if self._tty:
            self.stream.write("\r" + line.ljust(100)[:max(len(line), 100)])
            self._drawn = True
        elif label != self._label or done == total:
            self.stream.write(line + "\n")
        self._label = label
        self.stream.flush()

    def close(self):
        """End the bar's line (on a terminal)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
