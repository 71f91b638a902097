"""One training entry point for every strategy: `model.fit` where it works, a strategy loop where it does not."""

import keras
import numpy as np
import tensorflow as tf

from kgen import distribute


def train(model, data, epochs=1, callbacks=None, steps_per_epoch=None, initial_epoch=0,
          verbose="auto", validation_data=None, force_loop=False):
    """Train a kgen model under whatever strategy it was built in.

    Uses `model.fit`, except under `MultiWorkerMirroredStrategy`, where
    Keras 3's `fit` fails (keras-team/keras#20585: "Attempt to convert a value
    (PerReplica ...) to a Tensor"). There a `tf.function` loop runs the
    model's own `train_step` through `strategy.run` over
    `strategy.experimental_distribute_dataset`, with the same callbacks
    (progress bar, History, BackupAndRestore, kgen's sample grids), so
    callers never notice which ran.

    Args:
        model: a compiled kgen model, created under the strategy's `scope()`.
        data: a `tf.data.Dataset` of batches (global batch size).
        epochs: index of the last epoch (as in `fit`).
        callbacks: Keras callbacks.
        steps_per_epoch: batches per epoch (default: until the data ends).
        initial_epoch: epoch to start from (BackupAndRestore overrides it).
        verbose: as in `fit`.
        validation_data: passed to `fit` (ignored by the loop).
            The data is shuffled by its pipeline (`kgen.data`), not by `fit`.
        force_loop: use the strategy loop even where `fit` works (tests).

    Returns:
        The `keras.callbacks.History`.

    Example:
        >>> strategy = kgen.distribute.get_strategy("auto")
        >>> with strategy.scope():
        ...     gan = kgen.zoo.build("dcgan", (16, 16, 1))
        >>> kgen.train(gan, kgen.data.load("digits"), epochs=5)
    """
    strategy = model.distribute_strategy
    if not (force_loop or distribute.uses_multi_worker(strategy)):
        return model.fit(data, epochs=epochs, callbacks=callbacks, steps_per_epoch=steps_per_epoch,
                         initial_epoch=initial_epoch, verbose=verbose, shuffle=False,
                         validation_data=validation_data)
    return _strategy_loop(model, data, epochs, callbacks, steps_per_epoch, initial_epoch, verbose)


def _make_step(model, strategy):
    step_fn = model.train_step
    if getattr(model, "jit_compile", False):
        step_fn = tf.function(step_fn, jit_compile=True, reduce_retracing=True)

    @tf.function
    def step(batch):
        outputs = strategy.run(step_fn, args=(batch,))
        return {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                for k, v in outputs.items()}

    return step


def _strategy_loop(model, data, epochs, callbacks, steps_per_epoch, initial_epoch, verbose):
    strategy = model.distribute_strategy
    if verbose == "auto":
        verbose = 1
    if not isinstance(data, tf.data.Dataset):
        raise TypeError(
            f"the strategy loop takes a tf.data.Dataset. Received: {type(data).__name__}; "
            "wrap arrays with kgen.data.to_dataset(x, y, batch_size=...)."
        )
    dist_data = strategy.experimental_distribute_dataset(data)
    cb = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                      verbose=verbose, epochs=epochs, steps=steps_per_epoch,
                                      model=model)
    step = _make_step(model, strategy)
    model.stop_training = False
    model._initial_epoch = None  # noqa: SLF001 - the slot BackupAndRestore writes, as in fit
    cb.on_train_begin()
    start = model._initial_epoch if model._initial_epoch is not None else initial_epoch  # noqa: SLF001
    logs = {}
    for epoch in range(start, epochs):
        model.reset_metrics()
        cb.on_epoch_begin(epoch)
        for i, batch in enumerate(dist_data):
            if steps_per_epoch is not None and i >= steps_per_epoch:
                break
            cb.on_train_batch_begin(i)
            logs = {k: float(np.asarray(v)) for k, v in step(batch).items()}
            cb.on_train_batch_end(i, logs)
            if model.stop_training:
                break
        cb.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    cb.on_train_end(dict(logs))
    return model.history
