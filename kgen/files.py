"""Crash-consistent file writing: every file kgen writes appears whole or not at all.

A writer gets a temporary name in the target's directory, writes there, and
the result is flushed to disk (`fsync`) and renamed over the target with
`os.replace`, which is atomic on POSIX and Windows. A crash, `kill -9`, full
disk or I/O error therefore leaves the previous version of the file intact
and at most a hidden `.NAME.PID-XXXX.tmp...` file, which
`remove_stale_temporaries` deletes once its process is gone.

Operating-system errors become `kgen.errors.StorageError` naming the path,
the reason and, for a full disk, the space needed and free.

Example:
    >>> from kgen import files
    >>> files.write_json("runs/x/config.json", {"seed": 0})
    >>> with files.atomic_path("runs/x/model.keras") as tmp:
    ...     model.save(tmp)
"""

import contextlib
import errno as errno_codes
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from kgen.errors import CorruptFileError, StorageError

TMP_MARK = ".tmp"


def _temporary_name(path):
    path = Path(path)
    # Keep the suffix last: Keras insists on ".keras", np.savez appends ".npz" otherwise.
    token = f"{os.getpid()}-{secrets.token_hex(3)}"
    return path.with_name(f".{path.stem}.{token}{TMP_MARK}{path.suffix}")


def _human(n):
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def free_bytes(directory):
    """Free bytes on the file system holding `directory` (or its nearest existing parent)."""
    directory = Path(directory)
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def storage_error(err, path, action="write", needed=None):
    """Turn an `OSError` (or a TensorFlow I/O error) into a `StorageError` naming `path`.

    Args:
        err: the exception caught.
        path: the file or directory being written or read.
        action: "write", "read", "create" or "remove" (for the message).
        needed: bytes the write needed, when known.

    Returns:
        A `StorageError` to raise (`raise storage_error(err, path) from err`).
    """
    code = getattr(err, "errno", None)
    text = str(err)
    if code is None:  # TensorFlow's OpError carries the reason only in its text
        for candidate, marker in ((errno_codes.ENOSPC, "No space left"),
                                  (errno_codes.EROFS, "Read-only file system"),
                                  (errno_codes.EACCES, "Permission denied"),
                                  (errno_codes.EDQUOT, "quota exceeded")):
            if marker.lower() in text.lower():
                code = candidate
                break
    where = str(path)
    if code in (errno_codes.ENOSPC, errno_codes.EDQUOT):
        free = free_bytes(Path(path).parent)
        need = f"{_human(needed)} needed, " if needed else ""
        have = f"{_human(free)} free" if free is not None else "free space unknown"
        message = (f"no space left to {action} {where!r} ({need}{have}); free some space or "
                   "point the run at another disk (--run-dir). The previous version is intact.")
    elif code == errno_codes.EROFS:
        message = (f"cannot {action} {where!r}: the file system is read-only; use a writable "
                   "directory (--run-dir).")
    elif code in (errno_codes.EACCES, errno_codes.EPERM):
        message = (f"permission denied to {action} {where!r}; fix the permissions or use "
                   "another directory (--run-dir).")
    else:
        reason = getattr(err, "strerror", None) or (text.splitlines()[-1] if text else type(err).__name__)
        message = f"I/O error while trying to {action} {where!r}: {reason}"
    return StorageError(message, path=where, errno=code)


def _fsync(path):
    path = Path(path)
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                _fsync_file(child)
        _fsync_dir(path)
    else:
        _fsync_file(path)


def _fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path):
    # Makes a rename durable; not possible (nor needed) on every platform.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_path(path):
    """Delete a file or a folder tree, best effort (cleanup must not hide the real error)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _replace(tmp, path):
    """Put `tmp` in place of `path`; directories go through a brief `.old` name."""
    if Path(tmp).is_dir() and Path(path).exists():
        old = Path(path).with_name(f".{Path(path).name}.{os.getpid()}-{secrets.token_hex(3)}{TMP_MARK}.old")
        os.replace(path, old)
        os.replace(tmp, path)
        remove_path(old)
    else:
        os.replace(tmp, path)
    _fsync_dir(Path(path).parent)


@contextlib.contextmanager
def atomic_path(path, needed=None):
    """Yield a temporary path to write `path` through; on success it replaces `path` atomically.

    Any writer works (PIL, `model.save`, `np.savez`, a SavedModel
    directory). If the block raises, the temporary is removed and `path`
    is untouched.

    Args:
        path: the final file or directory.
        needed: bytes the write is expected to need (for a full-disk message).

    Yields:
        A `pathlib.Path` in the same directory, ending with `path`'s suffix.

    Raises:
        StorageError: the directory cannot be written (full, read-only, I/O error).

    Example:
        >>> with atomic_path("runs/x/model.keras") as tmp:
        ...     model.save(tmp)
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise storage_error(err, path.parent, "create") from err
    tmp = _temporary_name(path)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"the writer of {str(path)!r} wrote nothing to {str(tmp)!r}")
        _fsync(tmp)
        _replace(tmp, path)
    except OSError as err:
        remove_path(tmp)
        raise storage_error(err, path, needed=needed) from err
    except BaseException as err:
        remove_path(tmp)
        if is_storage_failure(err):
            raise storage_error(err, path, needed=needed) from err
        raise


def is_storage_failure(err):
    """Whether an exception is a disk error (TensorFlow and h5py wrap them in their own types)."""
    text = str(err).lower()
    return any(m in text for m in ("no space left", "read-only file system", "permission denied",
                                   "disk quota", "input/output error"))


def write_bytes(path, data):
    """Write `data` to `path` atomically. Returns the path."""
    with atomic_path(path, needed=len(data)) as tmp, open(tmp, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path, text):
    """Write `text` (UTF-8) to `path` atomically. Returns the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path, obj, indent=1, **kwargs):
    """Write `obj` as JSON to `path` atomically. Returns the path.

    Example:
        >>> write_json("runs/x/history.json", {"epoch": [1, 2]})
    """
    kwargs.setdefault("default", str)
    return write_text(path, json.dumps(obj, indent=indent, **kwargs) + "\n")


_MISSING = object()


def read_json(path, default=_MISSING, fix=None):
    """Read a JSON file kgen wrote, with a message naming the file when it is damaged.

    Args:
        path: the file.
        default: returned when the file does not exist (else FileNotFoundError).
        fix: what the user can do, appended to the message (e.g. "delete it").

    Returns:
        The parsed value.

    Raises:
        CorruptFileError: the file is empty, truncated or not JSON.
        StorageError: it cannot be read.

    Example:
        >>> history = read_json("runs/x/history.json", default={})
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if default is _MISSING:
            raise
        return default
    except UnicodeDecodeError as err:
        raise CorruptFileError(_corrupt_message(path, f"not UTF-8 text ({err.reason})", fix)) from err
    except OSError as err:
        raise storage_error(err, path, "read") from err
    if not text.strip():
        raise CorruptFileError(_corrupt_message(path, "empty", fix))
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CorruptFileError(_corrupt_message(
            path, f"not valid JSON ({err.msg} at line {err.lineno} column {err.colno})", fix)) from err


def _corrupt_message(path, what, fix):
    hint = f"; {fix}" if fix else "; it was probably cut short by a crash: delete or restore it"
    return f"{str(path)!r} is {what}{hint}"


def sha256(path, chunk=1 << 20):
    """Hex SHA-256 of a file (for checkpoint manifests)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def check_space(directory, needed, what):
    """Raise a `StorageError` before writing `needed` bytes into a directory that lacks them.

    Args:
        directory: where the write goes.
        needed: bytes needed.
        what: what is about to be written (for the message).
    """
    free = free_bytes(directory)
    if free is not None and needed and free < needed:
        raise StorageError(
            f"not enough space to write {what} into {str(directory)!r}: {_human(needed)} needed, "
            f"{_human(free)} free; free some space or point the run at another disk (--run-dir). "
            "The previous checkpoint is intact.", path=directory, errno=errno_codes.ENOSPC)


def remove_stale_temporaries(directory):
    """Delete temporaries left in `directory` by writers whose process is gone.

    Returns:
        The paths removed.
    """
    removed = []
    directory = Path(directory)
    if not directory.is_dir():
        return removed
    for child in directory.glob(f".*{TMP_MARK}*"):
        pid = _owner_pid(child.name)
        if pid is not None and pid != os.getpid() and not pid_alive(pid):
            remove_path(child)
            removed.append(child)
    return removed


def _owner_pid(name):
    # ".STEM.PID-HEX.tmpSUFFIX"
    for part in name.split("."):
        head, sep, tail = part.partition("-")
        if sep and head.isdigit() and len(tail) == 6:
            return int(head)
    return None


def pid_alive(pid):
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, ValueError):
        return False
    return True
