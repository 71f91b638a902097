"""Verified, numbered checkpoints of everything a run needs to continue exactly.

`TrainingCheckpoint` is a Keras callback that `kgen.train` drives. Each
checkpoint is one `tf.train.Checkpoint` written by a
`tf.train.CheckpointManager` (numbered `ckpt-<global step>`, the newest
`keep` kept) and holds:

- the model's object graph (layers, every optimizer it holds, replay pools
  and averages that are model variables) and, explicitly, `model.variables`,
  which includes every `keras.random.SeedGenerator` state the object graph
  misses, and the metric accumulators (exact epoch logs after a mid-epoch
  resume);
- the data position: epoch, step within it, global step and the epoch's
  shuffle seed (see `kgen.data.EpochBatches`);
- the state of every callback that offers one (below).

After TensorFlow has written a checkpoint, a manifest `ckpt-N.manifest.json`
with each file's size and SHA-256 is written atomically; a checkpoint
without a manifest, or whose files do not match it, is damaged: it is moved
to `checkpoints/damaged/` with a warning naming it, and the one before is
used. A checkpoint is never written while a weight is NaN/inf, and a full or
read-only disk raises `kgen.errors.StorageError` leaving the previous
checkpoints intact.

Callback state protocol
-----------------------
A callback whose state must survive a resume defines::

    def checkpoint_state(self):
        # called after on_train_begin; returns a dict of tf.Variables /
        # trackables (e.g. an EMA network's weights) that the callback keeps
        # current while it trains
        return {"weights": list_of_variables, "step": step_variable}

    def on_checkpoint_restored(self):  # optional
        # called after those variables were loaded from a checkpoint
        ...

Keys are stable names; the state is stored under the callback's class name
and its index among callbacks of that class.

Example:
    >>> ckpt = TrainingCheckpoint("runs/x/checkpoints", every_steps=500)
    >>> kgen.train(gan, data, epochs=20, callbacks=[ckpt])   # resumes if it can
"""

import datetime
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from kgen import files
from kgen.errors import CorruptFileError, RunDirError, StorageError

MANIFEST = ".manifest.json"
_NUMBER = re.compile(r"^ckpt-(\d+)\.index$")


class CheckpointWarning(UserWarning):
    """A checkpoint was damaged and skipped (the message names it)."""


class DataPosition(tf.Module):
    """Where training stands: epoch (0-based), steps done in it, global step, shuffle seed."""

    def __init__(self):
        super().__init__(name="data_position")
        with tf.init_scope():
            self.epoch = tf.Variable(tf.constant(0, tf.int64), trainable=False, name="epoch")
            self.step = tf.Variable(tf.constant(0, tf.int64), trainable=False, name="step")
            self.global_step = tf.Variable(tf.constant(0, tf.int64), trainable=False, name="global_step")
            self.shuffle_seed = tf.Variable(tf.constant([-1, -1], tf.int64), trainable=False,
                                            name="shuffle_seed")

    def set(self, epoch, step, global_step, shuffle_seed=(-1, -1)):
        self.epoch.assign(int(epoch))
        self.step.assign(int(step))
        self.global_step.assign(int(global_step))
        self.shuffle_seed.assign(np.asarray(shuffle_seed, np.int64))

    def get(self):
        return {"epoch": int(self.epoch.numpy()), "step": int(self.step.numpy()),
                "global_step": int(self.global_step.numpy()),
                "shuffle_seed": [int(v) for v in self.shuffle_seed.numpy()]}


def model_optimizers(model):
    """Every optimizer a model holds as an attribute (GANs hold several)."""
    found = []
    candidates = [getattr(model, "optimizer", None)] + list(vars(model).values())
    for value in candidates:
        if isinstance(value, keras.optimizers.Optimizer) and all(value is not f for f in found):
            found.append(value)
    return found


def worker_role(strategy):
    """`(is_chief, name)` of this process: under multi-worker training only the chief writes.

    Every worker must take part in a save (it reads distributed variables),
    so the others write to a private folder that is deleted afterwards, as
    TensorFlow's multi-worker guide prescribes.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not strategy.extended._in_multi_worker_mode():  # noqa: SLF001
        return True, "chief"
    task_type, task_id = resolver.task_type, resolver.task_id
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    chief = task_type == "chief" or (not has_chief and task_type in (None, "worker") and not task_id)
    return chief, f"{task_type}-{task_id}"


def _checkpoint_files(prefix):
    prefix = Path(prefix)
    return sorted(p for p in prefix.parent.glob(prefix.name + ".*")
                  if not p.name.endswith(MANIFEST) and files.TMP_MARK not in p.name)


def _tensorflow_io(err):
    return isinstance(err, (tf.errors.ResourceExhaustedError, tf.errors.UnknownError,
                            tf.errors.PermissionDeniedError, tf.errors.FailedPreconditionError,
                            tf.errors.InternalError, OSError))


class Restored:
    """What a restore found: the checkpoint path and the position it holds."""

    def __init__(self, path, position, manifest):
        self.path = str(path)
        self.epoch = position["epoch"]
        self.step = position["step"]
        self.global_step = position["global_step"]
        self.shuffle_seed = tuple(position["shuffle_seed"])
        self.manifest = manifest

    def __repr__(self):
        return f"Restored({self.path!r}, epoch={self.epoch}, step={self.step})"


class TrainingCheckpoint(keras.callbacks.Callback):
    """Checkpoint the whole training state at epoch ends (and every N steps); resume from it.

    `kgen.train` binds it to the model and data, restores the newest intact
    checkpoint before training and rebuilds the data from that position.
    Used with a bare `model.fit` it still saves, but only `kgen.train`
    resumes.

    Args:
        directory: the checkpoint folder (e.g. `RUN_DIR/checkpoints`).
        every_steps: also checkpoint every this many steps (long epochs).
        keep: checkpoints kept (the older ones are deleted after a newer
            one is complete and verified).

    Example:
        >>> ckpt = TrainingCheckpoint("runs/x/checkpoints", every_steps=200)
        >>> kgen.train(gan, data, epochs=10, callbacks=[ckpt])
        >>> ckpt.last_path
        'runs/x/checkpoints/ckpt-2800'
    """

    def __init__(self, directory, every_steps=None, keep=3):
        super().__init__()
        if every_steps is not None and int(every_steps) < 1:
            raise ValueError(f"expected every_steps >= 1 or None. Received: every_steps={every_steps}")
        if int(keep) < 1:
            raise ValueError(f"expected keep >= 1. Received: keep={keep}")
        self.directory = Path(directory)
        self.every_steps = None if every_steps is None else int(every_steps)
        self.keep = int(keep)
        self.position = DataPosition()
        self.restored = None
        self.last_path = None
        self.guard = None
        self.source = None
        self._root = None
        self._manager = None
        self._callbacks_node = tf.Module(name="callbacks")
        self._state_callbacks = []
        self._metric_values = None
        self._epoch = 0
        self._offset = 0
        self._in_epoch = 0
        self._global = 0
        self._saved_global = None
        self._pending = False
        self._peers = []
        self._saved_epoch = None
        self._chief, self._role = True, "chief"

    # -- binding --------------------------------------------------------------
    def bind(self, model, source=None, guard=None):
        """Attach the model (and data source, guard) whose state is checkpointed."""
        self.set_model(model)
        self.source = source
        self.guard = guard
        self._chief, self._role = worker_role(model.distribute_strategy)
        opts = model_optimizers(model)
        for opt in opts:
            if not opt.built and opt is getattr(model, "optimizer", None):
                # Keras builds it on the first step; slots must exist to be restored.
                opt.build(model.trainable_variables)
        self._root = tf.train.Checkpoint(
            model=model, variables=list(model.variables), optimizers=opts,
            metrics=list(getattr(model, "metrics_variables", [])), position=self.position,
            callbacks=self._callbacks_node)
        return self

    def _make_manager(self):
        if self._manager is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise files.storage_error(err, self.directory, "create") from err
            state = self.directory / "checkpoint"
            try:
                self._manager = tf.train.CheckpointManager(self._root, str(self.directory),
                                                           max_to_keep=self.keep)
            except Exception as err:  # noqa: BLE001 - a garbled state file is rebuilt, not fatal
                warnings.warn(f"{str(state)!r} is unreadable ({type(err).__name__}); removed it: the "
                              "manifests say which checkpoints exist, and TensorFlow writes a new "
                              "one at the next save.", CheckpointWarning, stacklevel=2)
                state.unlink(missing_ok=True)
                self._manager = tf.train.CheckpointManager(self._root, str(self.directory),
                                                           max_to_keep=self.keep)
        return self._manager

    # -- finding and verifying --------------------------------------------------
    def candidates(self):
        """Checkpoint prefixes in the directory, newest (highest step) first."""
        if not self.directory.is_dir():
            return []
        numbered = []
        for p in self.directory.iterdir():
            match = _NUMBER.match(p.name)
            if match:
                numbered.append((int(match.group(1)), self.directory / f"ckpt-{match.group(1)}"))
        return [prefix for _, prefix in sorted(numbered, reverse=True)]

    @staticmethod
    def verify(prefix):
        """Check a checkpoint's files against its manifest.

        Returns:
            The manifest dict.

        Raises:
            CorruptFileError: naming the missing, truncated or altered file.
        """
        prefix = Path(prefix)
        manifest_path = Path(f"{prefix}{MANIFEST}")
        if not manifest_path.exists():
            raise CorruptFileError(f"{str(prefix)!r} has no manifest ({manifest_path.name}): it was "
                                   "not completely written")
        manifest = files.read_json(manifest_path)
        for name, meta in manifest.get("files", {}).items():
            path = prefix.parent / name
            if not path.exists():
                raise CorruptFileError(f"{str(path)!r} is missing")
            size = path.stat().st_size
            if size != meta["bytes"]:
                raise CorruptFileError(f"{str(path)!r} has {size} bytes, {meta['bytes']} written")
            if files.sha256(path) != meta["sha256"]:
                raise CorruptFileError(f"{str(path)!r} does not match its checksum")
        if not manifest.get("files"):
            raise CorruptFileError(f"{str(manifest_path)!r} lists no files")
        return manifest

    def latest(self):
        """The newest intact checkpoint as `(prefix, manifest)`, moving damaged ones aside."""
        if self._chief:
            self._remove_partial_saves()
        for prefix in self.candidates():
            try:
                return prefix, self.verify(prefix)
            except CorruptFileError as err:
                if self._chief:  # the other workers only skip it: one process moves files
                    self._quarantine(prefix, str(err))
        return None, None

    def _quarantine(self, prefix, reason):
        damaged = self.directory / "damaged"
        moved = []
        try:
            damaged.mkdir(exist_ok=True)
            for path in _checkpoint_files(prefix) + [Path(f"{prefix}{MANIFEST}")]:
                if path.exists():
                    shutil.move(str(path), str(damaged / path.name))
                    moved.append(path.name)
        except OSError as err:
            raise files.storage_error(err, damaged, "write") from err
        warnings.warn(f"checkpoint {str(prefix)!r} is damaged ({reason}); skipped it (moved to "
                      f"{str(damaged)!r}) and resuming from the one before, if any.",
                      CheckpointWarning, stacklevel=3)

    def _remove_partial_saves(self):
        # A save killed midway leaves TensorFlow's "<prefix>_temp" folder.
        if self.directory.is_dir():
            for p in self.directory.glob("ckpt-*_temp*"):
                files.remove_path(p)
            files.remove_stale_temporaries(self.directory)

    # -- restoring --------------------------------------------------------------
    def restore(self):
        """Load the newest intact checkpoint into the model, optimizers, seeds and position.

        Returns:
            A `Restored`, or None when there is no usable checkpoint.

        Raises:
            RunDirError: the checkpoint belongs to a different model.
        """
        if self._root is None:
            raise RuntimeError("call bind(model) before restore()")
        prefix, manifest = self.latest()
        if prefix is None:
            return None
        try:
            status = self._root.restore(str(prefix))
            status.expect_partial()  # callbacks' state is restored in on_train_begin
            self._check_matched(status, prefix)
        except (tf.errors.DataLossError, tf.errors.OutOfRangeError) as err:
            self._quarantine(prefix, f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
            return self.restore()
        except (ValueError, AssertionError, tf.errors.InvalidArgumentError,
                tf.errors.NotFoundError) as err:
            raise RunDirError(
                f"checkpoint {str(prefix)!r} does not fit this model ({str(err).splitlines()[0][:300]}); "
                "it was written by another configuration: use another run directory, or "
                "--overwrite to start over.") from err
        position = self.position.get()
        self._metric_values = [v.numpy() for v in getattr(self.model, "metrics_variables", [])]
        self.restored = Restored(prefix, position, manifest)
        self.last_path = str(prefix)
        self._saved_global = position["global_step"]
        self._saved_epoch = position["epoch"]
        return self.restored

    def _check_matched(self, status, prefix):
        status.assert_existing_objects_matched()
        reader = tf.train.load_checkpoint(str(prefix))
        keys = reader.get_variable_to_shape_map()
        if not any(k.startswith("variables/") for k in keys):
            raise ValueError("it holds no model variables")

    # -- the callback -------------------------------------------------------------
    def start(self, epoch, step, global_step):
        """Set where this training run begins (called by `kgen.train`)."""
        self._epoch, self._offset, self._in_epoch = int(epoch), int(step), int(step)
        self._global = int(global_step)

    def begin_segment(self, epoch, step):
        """A new `fit` call begins at `(epoch, step)` (after a partial first epoch)."""
        self._epoch, self._offset, self._in_epoch = int(epoch), int(step), int(step)

    def set_peers(self, callbacks):
        """The other callbacks of the run, whose `checkpoint_state()` is included."""
        self._peers = list(callbacks)

    def on_train_begin(self, logs=None):
        self._state_callbacks = []
        counts = {}
        for cb in self._peers:
            get_state = getattr(cb, "checkpoint_state", None)
            if cb is self or get_state is None:
                continue
            name = type(cb).__name__
            key = f"{name}_{counts.get(name, 0)}"
            counts[name] = counts.get(name, 0) + 1
            setattr(self._callbacks_node, key, get_state())
            self._state_callbacks.append((key, cb))
        if self.restored is not None and self._state_callbacks:
            status = tf.train.Checkpoint(callbacks=self._callbacks_node).restore(self.restored.path)
            status.expect_partial()
            reader = tf.train.load_checkpoint(self.restored.path)
            present = {k.split("/")[1] for k in reader.get_variable_to_shape_map() if k.startswith("callbacks/")}
            for key, cb in self._state_callbacks:
                if key not in present:
                    warnings.warn(f"checkpoint {self.restored.path!r} holds no state for callback {key}; "
                                  "it starts afresh.", CheckpointWarning, stacklevel=2)
                elif hasattr(cb, "on_checkpoint_restored"):
                    cb.on_checkpoint_restored()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = int(epoch)
        if self._in_epoch and self._metric_values is not None:
            # fit reset the epoch's running means; a mid-epoch resume carries them on.
            for var, value in zip(self.model.metrics_variables, self._metric_values):
                var.assign(value)
        self._metric_values = None

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending:
            self._pending = False
            self.save()

    def on_train_batch_end(self, batch, logs=None):
        done = self._offset + int(batch) + 1
        self._global += done - self._in_epoch
        self._in_epoch = done
        if self.every_steps and self._global % self.every_steps == 0:
            # Saved at the next batch's start, so an epoch end saves it instead.
            self._pending = True

    def on_epoch_end(self, epoch, logs=None):
        self._pending = False
        self._epoch, self._offset, self._in_epoch = int(epoch) + 1, 0, 0
        self.save()

    # -- saving -------------------------------------------------------------------
    @property
    def global_step(self):
        return self._global

    def save(self):
        """Write a checkpoint of the current state now; returns its path."""
        if self._saved_global == self._global and self.last_path and not self._changed_since_save():
            return self.last_path
        if self.guard is not None:
            self.guard.check_weights(self._epoch, self._in_epoch, before="writing a checkpoint")
        seed = self.source.shuffle_seed(self._epoch) if self.source is not None else (-1, -1)
        self.position.set(self._epoch, self._in_epoch, self._global, seed)
        if not self._chief:
            return self._save_as_worker()
        manager = self._make_manager()
        self._remove_partial_saves()
        needed = self._estimate_bytes()
        files.check_space(self.directory, needed, f"checkpoint ckpt-{self._global}")
        try:
            path = manager.save(checkpoint_number=self._global)
        except Exception as err:
            prefix = self.directory / f"ckpt-{self._global}"
            for p in self.directory.glob(f"ckpt-{self._global}[._]*"):
                files.remove_path(p)
            if _tensorflow_io(err) or files.is_storage_failure(err):
                raise files.storage_error(err, prefix, needed=needed) from err
            raise
        self._write_manifest(path)
        self._prune()
        self.last_path = path
        self._saved_global = self._global
        self._saved_epoch = self._epoch
        return path

    def _save_as_worker(self):
        scratch = self.directory / f".{self._role}-{os.getpid()}{files.TMP_MARK}"
        try:
            tf.train.CheckpointManager(self._root, str(scratch), max_to_keep=1).save(
                checkpoint_number=self._global)
        finally:
            files.remove_path(scratch)
        self._saved_global, self._saved_epoch = self._global, self._epoch
        self.last_path = str(self.directory / f"ckpt-{self._global}")  # the chief's
        return self.last_path

    def _changed_since_save(self):
        return self._saved_epoch != self._epoch

    def _estimate_bytes(self):
        previous = self.last_path and _checkpoint_files(self.last_path)
        if previous:
            return int(sum(p.stat().st_size for p in previous) * 1.05) + 65536
        total = 0
        for v in list(self.model.variables) + [v for o in model_optimizers(self.model) for v in o.variables]:
            total += int(np.prod(v.shape)) * np.dtype(getattr(v.dtype, "name", v.dtype)).itemsize
        return int(total * 1.05) + 65536

    def _write_manifest(self, prefix):
        entries = {p.name: {"bytes": p.stat().st_size, "sha256": files.sha256(p)}
                   for p in _checkpoint_files(prefix)}
        manifest = {"checkpoint": Path(prefix).name, "files": entries, **self.position.get(),
                    "written": datetime.datetime.now().isoformat(timespec="seconds")}
        try:
            files.write_text(f"{prefix}{MANIFEST}", json.dumps(manifest, indent=1) + "\n")
        except StorageError:
            for p in _checkpoint_files(prefix):  # without its manifest it would be skipped anyway
                files.remove_path(p)
            raise

    def _prune(self):
        for prefix in self.candidates()[self.keep:]:
            for p in _checkpoint_files(prefix) + [Path(f"{prefix}{MANIFEST}")]:
                files.remove_path(p)
        for manifest in self.directory.glob(f"ckpt-*{MANIFEST}"):
            if not Path(str(manifest)[: -len(MANIFEST)] + ".index").exists():
                files.remove_path(manifest)


__all__ = ["CheckpointWarning", "DataPosition", "Restored", "TrainingCheckpoint", "model_optimizers"]
