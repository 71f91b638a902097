"""One training entry point for every strategy: `model.fit` where it works, a strategy loop where it does not.

`train` also makes a run survive what happens to long runs:

- **exact resume**: with a `kgen.checkpoints.TrainingCheckpoint` among the
  callbacks (`kgen.runs.callbacks_for` adds one) it restores the newest
  intact checkpoint (weights, every optimizer, the models' random state,
  metric accumulators, callbacks' state, data position) and rebuilds the
  data from that epoch and step, so the run ends as an uninterrupted one
  would (to 1e-6);
- **a non-finite guard** (on by default): a NaN/inf loss or weight, or a
  NaN/inf value in a batch, stops training at that step with a message and
  no checkpoint of the bad state;
- **SIGINT / SIGTERM**: a checkpoint at the next step boundary, then
  `kgen.errors.TrainingInterrupted` (exit codes 130 / 143 in the CLI).
"""

import signal
import sys
import threading

import keras
import numpy as np
import tensorflow as tf

from kgen import distribute
from kgen.checkpoints import TrainingCheckpoint
from kgen.data.pipeline import epoch_source
from kgen.errors import NonFiniteError, TrainingInterrupted

_BAD_BATCH = "kgen-non-finite-batch"


def train(model, data, epochs=1, callbacks=None, steps_per_epoch=None, initial_epoch=0,
          verbose="auto", validation_data=None, force_loop=False, checkpoint_dir=None,
          checkpoint_every=None, guard=True, handle_signals=True):
    """Train a kgen model under whatever strategy it was built in, resumably.

    Uses `model.fit`, except under `MultiWorkerMirroredStrategy`, where
    Keras 3's `fit` fails (keras-team/keras#20585: "Attempt to convert a value
    (PerReplica ...) to a Tensor"). There a `tf.function` loop runs the
    model's own `train_step` through `strategy.run` over
    `strategy.experimental_distribute_dataset`, with the same callbacks, so
    callers never notice which ran.

    Resume is exact when the data comes from `kgen.data` (`load`,
    `to_dataset` or an `EpochBatches`): epoch `e` is ordered by `(seed, e)`
    and the steps already done are skipped. Another `tf.data.Dataset` resumes
    at the right epoch and step, in whatever order it yields then.

    Args:
        model: a compiled kgen model, created under the strategy's `scope()`.
        data: a `tf.data.Dataset` of batches (global batch size) or a
            `kgen.data.EpochBatches`.
        epochs: index of the last epoch (as in `fit`).
        callbacks: Keras callbacks; a `TrainingCheckpoint` among them makes
            the run resumable.
        steps_per_epoch: batches per epoch (default: one pass over the data).
        initial_epoch: epoch to start from when there is no checkpoint.
        verbose: as in `fit`.
        validation_data: passed to `fit` (ignored by the loop).
        force_loop: use the strategy loop even where `fit` works (tests).
        checkpoint_dir: shorthand for a `TrainingCheckpoint(checkpoint_dir)`.
        checkpoint_every: also checkpoint every this many steps.
        guard: True (default) for a `NonFiniteGuard()`, a `NonFiniteGuard`
            with bounds, or False to train on through NaN/inf.
        handle_signals: on SIGINT/SIGTERM checkpoint at the next step and
            raise `TrainingInterrupted` (main thread only).

    Returns:
        The `keras.callbacks.History` of the epochs trained by this call.

    Raises:
        NonFiniteError: a loss, weight or batch was NaN/inf (or past a bound).
        TrainingInterrupted: SIGINT/SIGTERM arrived; a checkpoint was written.
        kgen.errors.StorageError: a checkpoint could not be written.

    Example:
        >>> strategy = kgen.distribute.get_strategy("auto")
        >>> with strategy.scope():
        ...     gan = kgen.zoo.build("dcgan", (16, 16, 1))
        >>> kgen.train(gan, kgen.data.load("digits"), epochs=5,
        ...            callbacks=kgen.runs.callbacks_for("runs/dcgan"), checkpoint_every=100)
    """
    strategy = model.distribute_strategy
    use_loop = force_loop or distribute.uses_multi_worker(strategy)
    callbacks = list(callbacks or [])
    ckpt = _find_checkpoint(callbacks, checkpoint_dir, checkpoint_every)
    guard_cb = _make_guard(guard)
    source = epoch_source(data)
    if use_loop and source is None and not isinstance(data, tf.data.Dataset):
        raise TypeError(
            f"the strategy loop takes a tf.data.Dataset. Received: {type(data).__name__}; "
            "wrap arrays with kgen.data.to_dataset(x, y, batch_size=...)."
        )
    if guard_cb is not None and source is None and not isinstance(data, tf.data.Dataset):
        _check_arrays(data)
    steps = _steps(data, source, steps_per_epoch)

    start_epoch, start_step, global_step = int(initial_epoch), 0, 0
    if ckpt is not None:
        ckpt.bind(model, source, guard_cb)
        restored = ckpt.restore()
        if restored is not None:
            start_epoch, start_step, global_step = restored.epoch, restored.step, restored.global_step
            if source is not None and source.seed_was_drawn:
                source.seed = restored.shuffle_seed[0]
        if steps is not None and start_step >= steps:
            start_epoch, start_step = start_epoch + 1, 0
        ckpt.start(start_epoch, start_step, global_step)

    ordered = [cb for cb in callbacks if cb is not ckpt]
    if guard_cb is not None:
        guard_cb.checkpoint = ckpt
        ordered.append(guard_cb)
    if ckpt is not None:
        ordered.append(ckpt)
        ckpt.set_peers(ordered)
    signals = _Signals(handle_signals)
    ordered.append(_StopOnSignal(signals, ckpt))
    if verbose == "auto":
        verbose = 1
    cbl = _RunCallbacks(ordered, add_history=True, add_progbar=verbose != 0, verbose=verbose,
                        epochs=epochs, steps=steps, model=model)
    if start_epoch >= epochs:
        return model.history
    segments = [(start_epoch, epochs, 0)]
    if start_step:
        segments = [(start_epoch, start_epoch + 1, start_step), (start_epoch + 1, epochs, 0)]

    model.stop_training = False
    with signals:
        cbl.begin()
        for first, last, skip in segments:
            if first >= last or model.stop_training:
                continue
            segment = _segment_data(data, source, first, last, skip, steps, guard_cb is not None)
            segment_steps = None if steps is None else steps - skip
            for cb in (ckpt, guard_cb):
                if cb is not None:
                    cb.begin_segment(first, skip)
            cbl.set_params({"verbose": verbose, "epochs": epochs, "steps": segment_steps})
            try:
                if use_loop:
                    _strategy_loop(model, segment, first, last, segment_steps, cbl)
                else:
                    model._initial_epoch = None  # noqa: SLF001 - a stale BackupAndRestore value
                    model.fit(segment, epochs=last, callbacks=cbl, steps_per_epoch=segment_steps,
                              initial_epoch=first, verbose=verbose, shuffle=False,
                              validation_data=validation_data)
            except tf.errors.InvalidArgumentError as err:
                if _BAD_BATCH not in str(err):
                    raise
                raise guard_cb.bad_batch_error() from None
        cbl.end()
    return model.history


def _find_checkpoint(callbacks, checkpoint_dir, checkpoint_every):
    found = [cb for cb in callbacks if isinstance(cb, TrainingCheckpoint)]
    if len(found) > 1:
        raise ValueError(f"expected at most one TrainingCheckpoint callback. Received: {len(found)}")
    ckpt = found[0] if found else None
    if checkpoint_dir is not None:
        if ckpt is not None and str(ckpt.directory) != str(checkpoint_dir):
            raise ValueError(f"checkpoint_dir={str(checkpoint_dir)!r} conflicts with the "
                             f"TrainingCheckpoint callback writing to {str(ckpt.directory)!r}")
        ckpt = ckpt or TrainingCheckpoint(checkpoint_dir)
        if not found:
            callbacks.append(ckpt)
    if checkpoint_every is not None:
        if ckpt is None:
            raise ValueError("checkpoint_every needs somewhere to write: pass checkpoint_dir=... or "
                             "callbacks=kgen.runs.callbacks_for(run_dir).")
        if int(checkpoint_every) < 1:
            raise ValueError(f"expected checkpoint_every >= 1. Received: checkpoint_every={checkpoint_every}")
        ckpt.every_steps = int(checkpoint_every)
    return ckpt


def _make_guard(guard):
    if guard is True:
        return NonFiniteGuard()
    if guard in (False, None):
        return None
    if isinstance(guard, NonFiniteGuard):
        return guard
    raise TypeError(f"guard must be True, False or a NonFiniteGuard. Received: {guard!r}")


def _steps(data, source, steps_per_epoch):
    if steps_per_epoch is not None:
        return int(steps_per_epoch)
    if source is not None:
        return source.steps_per_epoch
    if isinstance(data, tf.data.Dataset):
        n = int(data.cardinality())
        return n if n >= 0 else None
    return None


def _segment_data(data, source, first, last, skip, steps, check):
    if source is not None:
        # Validated when it was built (kgen.data rejects NaN/inf).
        return source.stream(first, skip=skip, steps=steps, end_epoch=last)
    if not isinstance(data, tf.data.Dataset):
        return data
    if check:
        data = data.map(_assert_finite_batch)
    return data.skip(skip) if skip else data


def _assert_finite_batch(*batch):
    flat = tf.nest.flatten(batch)
    checks = [tf.debugging.assert_all_finite(t, _BAD_BATCH) for t in flat if t.dtype.is_floating]
    with tf.control_dependencies(checks):
        out = tf.nest.map_structure(tf.identity, batch)
    return out[0] if len(out) == 1 else out


def _check_arrays(data):
    arrays = data if isinstance(data, (tuple, list)) else [data]
    for i, x in enumerate(arrays):
        x = np.asarray(x)
        if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
            where = tuple(int(v) for v in np.argwhere(~np.isfinite(x))[0])
            raise NonFiniteError(f"the training data (array {i}) holds {int((~np.isfinite(x)).sum())} "
                                 f"NaN/inf value(s), the first at index {where}; clean the data "
                                 "(e.g. np.nan_to_num) or load it with kgen.data.load, which checks it.")


class _RunCallbacks(keras.callbacks.CallbackList):
    """One CallbackList across the `fit` calls of a resumed run: begin and end fire once."""

    _live = False

    def begin(self):
        self._live = True
        self.on_train_begin()
        self._live = False
        self._last_logs = None

    def end(self):
        self._live = True
        self.on_train_end(self._last_logs)
        self._live = False

    def on_train_begin(self, logs=None):
        if self._live:
            super().on_train_begin(logs)

    def on_train_end(self, logs=None):
        if self._live:
            super().on_train_end(logs)
        else:
            self._last_logs = logs


def _make_step(model, strategy):
    model.build_optimizers()
    step_fn = model.train_step
    if getattr(model, "jit_compile", False):
        step_fn = tf.function(step_fn, jit_compile=True, reduce_retracing=True)

    @tf.function
    def step(batch):
        outputs = strategy.run(step_fn, args=(batch,))
        return {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                for k, v in outputs.items()}

    return step


def _strategy_loop(model, data, first, last, steps, cbl):
    strategy = model.distribute_strategy
    dist_data = strategy.experimental_distribute_dataset(data)
    step = _make_step(model, strategy)
    model.stop_training = False
    logs = {}
    iterator = None
    for epoch in range(first, last):
        model.reset_metrics()
        cbl.on_epoch_begin(epoch)
        fresh = iterator is None or steps is None
        if fresh:
            iterator = iter(dist_data)  # as in fit: one pass per epoch unless steps are given
        i = 0
        while steps is None or i < steps:
            try:
                batch = next(iterator)
            except StopIteration:
                if i == 0 and not fresh:  # the last epoch used up the pass: start the next one
                    iterator, fresh = iter(dist_data), True
                    continue
                iterator = None
                break
            fresh = False
            cbl.on_train_batch_begin(i)
            logs = {k: float(np.asarray(v)) for k, v in step(batch).items()}
            cbl.on_train_batch_end(i, logs)
            i += 1
            if model.stop_training:
                break
        cbl.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    cbl.on_train_end(dict(logs))


class NonFiniteGuard(keras.callbacks.Callback):
    """Stop training at the first NaN/inf loss or weight (or one past a bound).

    `kgen.train` adds one by default and places it before the checkpoint, so
    a bad state is never saved: the last good checkpoint stays.

    Args:
        max_loss: also stop when a logged loss's magnitude exceeds this.
        max_weight_norm: also stop when the global norm of the weights
            exceeds this (divergence, e.g. too high a learning rate).
        check_weights: check the weights every step (one fused reduction);
            else only before each checkpoint.

    Example:
        >>> kgen.train(gan, data, guard=NonFiniteGuard(max_weight_norm=1e4))
    """

    def __init__(self, max_loss=None, max_weight_norm=None, check_weights=True):
        super().__init__()
        self.max_loss = None if max_loss is None else float(max_loss)
        self.max_weight_norm = None if max_weight_norm is None else float(max_weight_norm)
        self.check_every_step = bool(check_weights)
        self.checkpoint = None
        self._epoch = 0
        self._offset = 0
        self._done = 0
        self._stats = None

    def begin_segment(self, epoch, step):
        self._epoch, self._offset, self._done = int(epoch), int(step), int(step)

    def on_epoch_begin(self, epoch, logs=None):
        if epoch != self._epoch:
            self._offset = self._done = 0
        self._epoch = int(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._offset = self._done = 0
        self._epoch = int(epoch) + 1

    def on_train_batch_end(self, batch, logs=None):
        self._done = self._offset + int(batch) + 1
        for name, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if not np.isfinite(value):
                raise NonFiniteError(self._message(f"{name} is {value}"), self._epoch + 1, self._done)
            if self.max_loss is not None and "loss" in name and abs(value) > self.max_loss:
                raise NonFiniteError(self._message(f"|{name}| = {abs(value):.4g} exceeds max_loss="
                                                   f"{self.max_loss:g}", bound="max_loss"),
                                     self._epoch + 1, self._done)
        if self.check_every_step:
            self.check_weights(self._epoch, self._done)

    def _weight_stats(self):
        if self._stats is None:
            variables = [v for v in self.model.weights if "float" in str(v.dtype)]

            @tf.function
            def stats():
                finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in variables])
                norm = tf.linalg.global_norm([tf.cast(v, tf.float32) for v in variables])
                return finite, norm

            self._stats = (variables, stats)
        return self._stats

    def check_weights(self, epoch, step, before=None):
        """Raise `NonFiniteError` if a weight is NaN/inf or the norm is past `max_weight_norm`."""
        variables, stats = self._weight_stats()
        finite, norm = (np.asarray(t) for t in stats())
        when = f" (before {before})" if before else ""
        if not finite:
            bad = [v.path for v in variables if not np.isfinite(np.asarray(v)).all()]
            raise NonFiniteError(self._message(
                f"{len(bad)} of {len(variables)} weight arrays hold NaN/inf{when}, e.g. {bad[0]}",
                epoch, step), epoch + 1, step)
        if self.max_weight_norm is not None and norm > self.max_weight_norm:
            raise NonFiniteError(self._message(
                f"the weights' global norm {float(norm):.4g} exceeds max_weight_norm="
                f"{self.max_weight_norm:g}{when}", epoch, step, bound="max_weight_norm"), epoch + 1, step)

    def bad_batch_error(self):
        """The error for a NaN/inf value found in the batch after the last completed step."""
        step = self._done + 1
        return NonFiniteError(
            f"batch {step} of epoch {self._epoch + 1} holds NaN or inf values; training stopped "
            f"before using it{self._kept()}. Clean the data (e.g. np.nan_to_num, or drop those "
            "examples); kgen.data.load checks what it loads.", self._epoch + 1, step)

    def _kept(self):
        last = getattr(self.checkpoint, "last_path", None)
        return f"; the last good checkpoint {last!r} is kept" if last else ""

    def _message(self, what, epoch=None, step=None, bound=None):
        epoch = self._epoch if epoch is None else epoch
        step = self._done if step is None else step
        off = (f"raise the bound (NonFiniteGuard({bound}=...))" if bound else
               "turn this check off (guard=False; kgen train --no-nan-guard)")
        return (f"training stopped at epoch {epoch + 1}, step {step}: {what}{self._kept()} and "
                "nothing after it was saved. Lower the learning rate (e.g. 10x), check the data "
                f"for NaN/inf values, or {off}.")


class _Signals:
    """SIGINT/SIGTERM set a flag for the next step boundary; a second one stops at once."""

    def __init__(self, enabled):
        self.enabled = bool(enabled) and threading.current_thread() is threading.main_thread()
        self.received = None
        self._previous = {}

    def __enter__(self):
        if self.enabled:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def _handle(self, signum, frame):
        if self.received is not None:
            self.__exit__()
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.raise_signal(signum)
            return
        self.received = signum
        print(f"\nkgen: {signal.Signals(signum).name} received; saving a checkpoint after this step "
              "(send it again to stop at once).", file=sys.stderr, flush=True)


class _StopOnSignal(keras.callbacks.Callback):
    def __init__(self, signals, ckpt):
        super().__init__()
        self.signals = signals
        self.ckpt = ckpt

    def on_train_batch_begin(self, batch, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()

    def _stop(self):
        if self.signals.received is None:
            return
        path = self.ckpt.save() if self.ckpt is not None else None
        name = signal.Signals(self.signals.received).name
        if path:
            where = self.ckpt.position.get()
            what = (f"stopped by {name} at epoch {where['epoch'] + 1}, after step {where['step']}; "
                    f"checkpoint {path}. Run the same training again to resume from there")
        else:
            what = f"stopped by {name}; no checkpoint was configured, so this progress is lost"
        raise TrainingInterrupted(what, self.signals.received, path)
