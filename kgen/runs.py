"""Run directories: one folder per training run, with everything it produced, and one owner.

Layout::

    RUN_DIR/config.json      what was trained, on what, how
    RUN_DIR/model.keras      the whole model (keras.saving.load_model)
    RUN_DIR/history.json     per-epoch logs (always in step with the checkpoint)
    RUN_DIR/checkpoints/     numbered, verified checkpoints (exact resume)
    RUN_DIR/samples/         epoch_XXXX.png grids from fixed latents
    RUN_DIR/logs/            TensorBoard scalars and images
    RUN_DIR/export/          exported SavedModel / TFLite bundle
    RUN_DIR/.lock            flock held by the process training into it (PID, host)

`open_run` takes the lock, compares the stored config with the new one and
says what to do: train from scratch, resume (and from where), or nothing.
Every file here is written atomically (`kgen.files`).
"""

import datetime
import errno as errno_codes
import json
import os
import socket
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from kgen import files
from kgen import models  # noqa: F401 - registers kgen classes for deserialization
from kgen.callbacks import JsonHistory, SampleGrid, TrainingSummaries
from kgen.checkpoints import CheckpointWarning, TrainingCheckpoint
from kgen.errors import CorruptFileError, RunDirError

CONFIG = "config.json"
MODEL = "model.keras"
HISTORY = "history.json"
CHECKPOINTS = "checkpoints"
LOCK = ".lock"

#: Config entries that describe how a run ran or what it produced, not what it is.
NOT_COMPARED = frozenset({"train_seconds", "final_logs", "strategy", "replicas", "jit_compile",
                          "class_names", "value_range", "epochs"})
#: Flags of `kgen train` that change how an invocation runs, not which run it is.
PER_INVOCATION_FLAGS = frozenset({"verbose", "export", "quantize", "checkpoint_every", "no_nan_guard", "strategy",
                                  "device", "jit", "sample_every", "resume", "overwrite"})
#: What `--overwrite` deletes (only what kgen writes; other files stay).
PRODUCTS = (CONFIG, MODEL, HISTORY, CHECKPOINTS, "samples", "logs", "export", "report.json",
            "report.html")


def callbacks_for(run_dir, samples=64, sample_every=1, value_range=(-1.0, 1.0), tensorboard=True,
                  backup=True, checkpoint_every=None):
    """The standard callbacks of a run: samples, TensorBoard, JSON history, resumable checkpoints.

    Args:
        run_dir: the run directory.
        samples: samples per grid (0 for none).
        sample_every: epochs between grids.
        value_range: the model's output range.
        tensorboard: write TensorBoard scalars and sample images.
        backup: a `kgen.checkpoints.TrainingCheckpoint` into
            `RUN_DIR/checkpoints`: `kgen.train` resumes an interrupted run
            exactly where it stopped.
        checkpoint_every: also checkpoint every this many steps.

    Returns:
        A list of callbacks (`kgen.train` runs the checkpoint last, after
        the others updated their state).

    Example:
        >>> kgen.train(gan, data, epochs=10, callbacks=callbacks_for("runs/dcgan"))
    """
    run_dir = Path(run_dir)
    cbs = []
    if tensorboard:
        # kgen's writer: scalars and sample images on one step axis, every optimizer's rate.
        cbs.append(TrainingSummaries(str(run_dir / "logs")))
    if samples:
        cbs.append(SampleGrid(run_dir / "samples", n=samples, every=sample_every,
                              value_range=value_range,
                              tensorboard_dir=str(run_dir / "logs") if tensorboard else None))
    cbs.append(JsonHistory(run_dir / HISTORY))
    if backup:
        cbs.append(TrainingCheckpoint(run_dir / CHECKPOINTS, every_steps=checkpoint_every))
    return cbs


def read_config(run_dir):
    """The stored `config.json` ({} when absent); a damaged one raises `CorruptFileError`."""
    return files.read_json(Path(run_dir) / CONFIG, default={},
                           fix="restore it, pass --resume to rewrite it from this command's options, "
                               "or --overwrite to start over")


def write_config(run_dir, config):
    """Write `config.json` atomically (merged over an existing one)."""
    run_dir = Path(run_dir)
    path = run_dir / CONFIG
    try:
        old = read_config(run_dir)
    except CorruptFileError:
        old = {}
    old.update(config)
    return files.write_json(path, old)


def save_model(model, run_dir):
    """Save `RUN_DIR/model.keras` atomically (a crash leaves the previous one). Returns the path."""
    path = Path(run_dir) / MODEL
    with files.atomic_path(path) as tmp:
        model.save(str(tmp))
    return path


def load_run(run_dir, compile=True):
    """Load a finished run's model and config.

    Args:
        run_dir: a directory written by `kgen train`.
        compile: restore the compiled state.

    Returns:
        `(model, config)`.

    Raises:
        FileNotFoundError: no such run, or it did not finish.
        CorruptFileError: `config.json` is damaged.

    Example:
        >>> gan, config = load_run("runs/dcgan-digits")
        >>> images = gan.generate(16)
    """
    import keras

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory not found: {str(run_dir)!r}. Train one with `kgen train --run-dir DIR`.")
    model_path = run_dir / MODEL
    if not model_path.exists():
        raise FileNotFoundError(
            f"{str(model_path)!r} is missing: the run did not finish. Re-run `kgen train --run-dir "
            f"{run_dir}` (it resumes from {run_dir / CHECKPOINTS})."
        )
    model = keras.saving.load_model(str(model_path), compile=compile)
    return model, read_config(run_dir)


def read_history(run_dir):
    """`history.json` as a dict ({} when absent); a damaged one warns, naming it, and gives {}."""
    try:
        history = files.read_json(Path(run_dir) / HISTORY, default={})
    except CorruptFileError as err:
        warnings.warn(f"{err}; showing no training curves.", stacklevel=2)
        return {}
    return history if isinstance(history, dict) else {}


def default_run_dir(model_name, data_name):
    """`runs/<model>-<data>` with characters unsafe in paths replaced."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{model_name}-{os.path.basename(str(data_name))}")
    return Path("runs") / safe


# -- one owner per run directory ------------------------------------------------------


class RunLock:
    """An exclusive `flock` on `RUN_DIR/.lock`, recording the owner's PID and host.

    The operating system drops a flock when its process dies (even on
    `kill -9`), so a lock can only be held by a live process; a lock file
    naming a dead process is taken over with a note.

    Args:
        run_dir: the run directory.

    Example:
        >>> with RunLock("runs/x") as lock:
        ...     print(lock.notes)
    """

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK
        self.notes = []
        self._fd = None

    def owner(self):
        """What the lock file says about its holder ({} if nothing)."""
        try:
            text = self.path.read_text()
        except OSError:
            return {}
        try:
            info = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            return {}
        return info if isinstance(info, dict) else {}

    def check_free(self):
        """Raise `RunDirError` naming the holder if a live process holds the lock; creates nothing."""
        try:
            import fcntl
        except ImportError:
            return
        try:
            fd = os.open(self.path, os.O_RDWR)
        except OSError:
            return  # no lock file (or an unreadable one: acquire() will say)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirError(self._busy_message(self.owner())) from None
        except OSError:
            return
        finally:
            os.close(fd)

    def acquire(self):
        """Take the lock or raise `RunDirError` naming the process that holds it. Returns self."""
        try:
            import fcntl
        except ImportError:  # no flock on this platform: a live PID in the file is the lock
            fcntl = None
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise files.storage_error(err, self.path, "create") from err
        try:
            if fcntl is None:
                raise OSError(errno_codes.ENOSYS, "flock unavailable")
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunDirError(self._busy_message(self.owner())) from None
        except OSError as err:
            if err.errno not in (errno_codes.ENOLCK, errno_codes.EOPNOTSUPP, errno_codes.ENOSYS):
                os.close(fd)
                raise files.storage_error(err, self.path, "lock") from err
            self._check_pid_only(fd)  # a file system without flock: trust a live PID
        previous = self.owner()
        here = socket.gethostname()
        if previous.get("pid") and previous.get("pid") != os.getpid():
            host = previous.get("host", "?")
            state = "no longer running" if host == here else f"on {host}, lock released"
            self.notes.append(f"took over the stale lock of process {previous['pid']} ({state}) in "
                              f"{str(self.path)!r}")
        info = {"pid": os.getpid(), "host": here,
                "started": datetime.datetime.now().isoformat(timespec="seconds"),
                "command": " ".join(sys.argv)}
        # The lock lives on this inode: rewrite it in place, not by rename.
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def _check_pid_only(self, fd):
        info = self.owner()
        pid = info.get("pid")
        if pid and pid != os.getpid() and info.get("host") == socket.gethostname() and files.pid_alive(pid):
            os.close(fd)
            raise RunDirError(self._busy_message(info))

    def _busy_message(self, info):
        who = f"process {info['pid']} on {info.get('host', '?')}" if info.get("pid") else "another process"
        since = f", started {info['started']}" if info.get("started") else ""
        command = f" ({info['command']})" if info.get("command") else ""
        return (f"run directory {str(self.run_dir)!r} is in use by {who}{since}{command}; wait for "
                "it to finish or stop it, or train into another --run-dir.")

    def release(self):
        """Clear the owner record and drop the lock."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except (ImportError, OSError):
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self if self._fd is not None else self.acquire()

    def __exit__(self, *exc):
        self.release()


@dataclass
class Run:
    """An opened run directory: its lock and what to do in it.

    Attributes:
        run_dir: the directory.
        action: "train" (from scratch), "resume" or "done" (nothing to do).
        message: one line for the user ("resuming from epoch 4 of 6 (checkpoint ...)").
        epochs_done: epochs completed by the stored run.
        checkpoint: the checkpoint to resume from, or None.
        notes: remarks (stale lock taken over, damaged files skipped).
        lock: the held `RunLock` (release with `close()`).
    """

    run_dir: Path
    action: str
    message: str
    epochs_done: int = 0
    checkpoint: str = None
    notes: list = field(default_factory=list)
    lock: RunLock = None

    def close(self):
        if self.lock is not None:
            self.lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def config_differences(stored, config):
    """`[(key, stored value, new value)]` for the options that make `config` another run."""
    diffs = []
    for key in sorted(set(stored) | set(config)):
        if key in NOT_COMPARED or key not in config:
            continue
        old, new = stored.get(key), config.get(key)
        if key == "flags" and isinstance(old, dict) and isinstance(new, dict):
            # The command's flags, but those that only say how this invocation runs.
            # (flags that are also config entries are compared there, once).
            diffs += [(f"--{k.replace('_', '-')}", old.get(k), new.get(k)) for k in sorted(set(old) | set(new))
                      if k not in NOT_COMPARED and k not in PER_INVOCATION_FLAGS and k not in config
                      and old.get(k) != new.get(k)]
            continue
        if json.loads(json.dumps(old, default=str)) != json.loads(json.dumps(new, default=str)):
            diffs.append((key, old, new))
    return diffs


def open_run(run_dir, config, resume=False, overwrite=False, lock=None):
    """Take a run directory for training and decide what to do in it.

    The same config resumes from the newest intact checkpoint; a finished
    run has nothing to do; a different config is refused, naming what
    differs. `resume=True` continues a run to a different (e.g. larger)
    number of epochs; `overwrite=True` deletes what kgen wrote there first.

    Args:
        run_dir: the run directory (created if needed).
        config: this command's config; must hold "epochs".
        resume: allow a different `epochs` than stored.
        overwrite: start over (deletes checkpoints, samples, history, model).
        lock: an already acquired `RunLock` for `run_dir`.

    Returns:
        A `Run` holding the lock; the new config is written unless the
        action is "done".

    Raises:
        RunDirError: locked by a live process, or it holds a different run.
        kgen.errors.StorageError: the directory cannot be written.

    Example:
        >>> with open_run("runs/x", {"model": "dcgan", "seed": 0, "epochs": 5}) as run:
        ...     print(run.message)
        resuming from epoch 3 of 5 (checkpoint runs/x/checkpoints/ckpt-56)
    """
    run_dir = Path(run_dir)
    lock = lock or RunLock(run_dir).acquire()
    try:
        run = _plan(run_dir, dict(config), resume, overwrite)
    except BaseException:
        lock.release()
        raise
    run.lock = lock
    run.notes = lock.notes + run.notes
    return run


def _plan(run_dir, config, resume, overwrite):
    files.remove_stale_temporaries(run_dir)
    if overwrite:
        for name in PRODUCTS:
            files.remove_path(run_dir / name)
    epochs = int(config["epochs"])
    try:
        stored = read_config(run_dir)
    except CorruptFileError as err:
        if not resume:
            raise RunDirError(str(err)) from None
        stored = {}
    diffs = config_differences(stored, config) if stored else []
    if diffs:
        listed = "; ".join(f"{k}: {_show(old)} -> {_show(new)}" for k, old, new in diffs)
        raise RunDirError(
            f"run directory {str(run_dir)!r} holds a different run ({listed}). Train into another "
            "--run-dir, or pass --overwrite to delete it and start over (--resume only continues "
            "the same run, to more or fewer epochs).")
    stored_epochs = stored.get("epochs")
    notes = []
    progress = _progress(run_dir, notes)
    if stored_epochs is not None and int(stored_epochs) != epochs and not resume and progress:
        raise RunDirError(
            f"run directory {str(run_dir)!r} holds a run of {stored_epochs} epochs ({progress['epoch']} "
            f"done); this command asks for {epochs}. Pass --resume to continue it to {epochs} "
            "epochs, --overwrite to start over, or train into another --run-dir.")
    done = progress["epoch"] if progress else 0
    finished = (run_dir / MODEL).exists()
    if progress and progress["step"] == 0 and done >= epochs and finished:
        return Run(run_dir, "done", f"already trained {done} epoch{'s' * (done != 1)}; nothing to do "
                   f"({run_dir / MODEL}). Pass --resume --epochs N to train further, or --overwrite.",
                   epochs_done=done, checkpoint=progress["path"], notes=notes)
    files.write_json(run_dir / CONFIG, {**stored, **config})
    if not progress:
        return Run(run_dir, "train", f"training from scratch into {run_dir}", notes=notes)
    if done >= epochs:
        message = f"all {epochs} epochs are trained (checkpoint {progress['path']}); saving the model"
    else:
        step = f" at step {progress['step'] + 1}" if progress["step"] else ""
        message = f"resuming from epoch {done + 1} of {epochs}{step} (checkpoint {progress['path']})"
    return Run(run_dir, "resume", message, epochs_done=done, checkpoint=progress["path"], notes=notes)


def _show(value):
    return json.dumps(value, default=str)


def _progress(run_dir, notes):
    """Position of the newest intact checkpoint: {"epoch", "step", "path"} or None."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CheckpointWarning)
        prefix, manifest = TrainingCheckpoint(run_dir / CHECKPOINTS).latest()
    notes.extend(str(w.message) for w in caught if issubclass(w.category, CheckpointWarning))
    if prefix is None:
        return None
    return {"epoch": int(manifest["epoch"]), "step": int(manifest["step"]), "path": str(prefix)}
