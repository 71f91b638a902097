"""TensorBoard logging for kgen runs: epoch scalars and learning rates on the sample images' step axis."""

import os

import keras
import numpy as np


def optimizers_of(model):
    """Every optimizer a model trains with, by attribute name.

    Finds `optimizer` (one-optimizer models) and `*_optimizer` attributes
    (`d_optimizer`, `g_optimizer`, ...); a `LossScaleOptimizer` stands for
    itself (its learning rate is the inner optimizer's).

    Args:
        model: a compiled Keras model.

    Returns:
        `{attribute name: optimizer}` in attribute order.

    Example:
        >>> sorted(optimizers_of(kgen.zoo.build("dcgan", (16, 16, 1), tiny=True)))
        ['d_optimizer', 'g_optimizer']
    """
    found = {}
    for name, value in vars(model).items():
        named = name == "optimizer" or name.endswith("_optimizer")
        if named and isinstance(value, keras.optimizers.Optimizer):
            found[name] = value
    return found


def learning_rates(model):
    """The current learning rate of each optimizer of `model`: `{attribute name: float}`."""
    return {name: float(np.asarray(keras.ops.convert_to_numpy(opt.learning_rate)))
            for name, opt in optimizers_of(model).items()}


class TrainingSummaries(keras.callbacks.Callback):
    """Write each epoch's logs and every optimizer's learning rate as TensorBoard scalars.

    The step of epoch `e` (0-based) is `e + 1`, the number of epochs
    completed: the step `kgen.callbacks.SampleGrid` gives its images and the
    epoch `history.json` records, so scalars and sample images share one
    axis. Validation logs (`val_*`) go to the `validation` run under the
    same names as training logs (`epoch_loss`, ...), as in Keras.
    Learning rates are `learning_rate/<optimizer attribute>` (e.g.
    `learning_rate/d_optimizer` and `learning_rate/g_optimizer` for GANs),
    also for models whose `optimizer` slot Keras' own callback reads is empty.

    Args:
        log_dir: the TensorBoard directory (runs `train` and `validation` below it).

    Example:
        >>> gan.fit(data, epochs=3, callbacks=[TrainingSummaries("runs/x/logs")])
    """

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = str(log_dir)
        self._writers = {}

    def _writer(self, run):
        import tensorflow as tf

        if run not in self._writers:
            self._writers[run] = tf.summary.create_file_writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        step = epoch + 1
        scalars = {"train": {}, "validation": {}}
        for key, value in (logs or {}).items():
            if np.ndim(value) != 0:
                continue
            run, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            scalars[run][f"epoch_{name}"] = float(value)
        for name, rate in learning_rates(self.model).items():
            scalars["train"][f"learning_rate/{name}"] = rate
        for run, values in scalars.items():
            if not values:
                continue
            with self._writer(run).as_default():
                for name, value in values.items():
                    tf.summary.scalar(name, value, step=step)
            self._writers[run].flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
