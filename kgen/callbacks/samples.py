"""Callbacks that show what a generative model produces as it trains."""

import json
import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from kgen.errors import CorruptFileError
from kgen.files import read_json, write_json
from kgen.images import make_grid, save_grid


class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid of samples from fixed prior draws every epoch.

    The inputs are drawn once from the model's own prior
    (`model.prior.numpy_sample`: InfoGAN codes, Gumbel one-hots, VQ
    indices, ...), so grids of successive epochs show the same points of
    latent space; label parts are replaced by `0, 1, ..., K-1, 0, ...` so
    each class shows in order. A model without a prior (a deterministic
    autoencoder) shows reconstructions of `data` instead (inputs and
    reconstructions in alternate rows). Optionally logs the grid to
    TensorBoard as an image.

    Args:
        directory: where `epoch_XXXX.png` files go.
        n: number of samples (a square number gives a square grid).
        seed: seed of the fixed latents.
        every: write every `every` epochs.
        value_range: value range of the model's outputs.
        tensorboard_dir: if set, also write the grid as a TensorBoard image.
        scale: integer PNG upscaling for small images.
        data: a fixed batch of inputs, for models without a prior.

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("runs/x/samples")])
    """

    def __init__(self, directory, n=64, seed=0, every=1, value_range=(-1.0, 1.0),
                 tensorboard_dir=None, scale=2, data=None):
        super().__init__()
        self.directory = str(directory)
        self.n = int(n)
        self.seed = seed
        self.every = max(int(every), 1)
        self.value_range = tuple(value_range)
        self.tensorboard_dir = tensorboard_dir
        self.scale = scale
        self.data = None if data is None else np.asarray(data, np.float32)[: self.n]
        self.inputs = None
        self._writer = None
        self.last_path = None

    def fixed_inputs(self):
        """The prior draws every grid decodes (drawn once, from the model's prior)."""
        if self.inputs is None:
            self.inputs = self.model.prior.numpy_sample(self.n, np.random.default_rng(self.seed))
            if "labels" in self.inputs:
                k = self.model.prior["labels"].num_classes
                self.inputs["labels"] = (np.arange(self.n) % k).astype("int32")
        return self.inputs

    def images(self):
        """The grid's images: decoded prior draws, or reconstructions for a model without a prior."""
        if self.model.prior:
            return np.asarray(self.model.generate(self.fixed_inputs()))
        if self.data is None or not hasattr(self.model, "reconstruct"):
            return None
        rec = np.asarray(self.model.reconstruct(self.data))
        return np.stack([self.data, rec], axis=1).reshape((-1, *self.data.shape[1:]))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        images = self.images()
        if images is None:
            return
        self.last_path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png")
        save_grid(images, self.last_path, self.value_range, scale=self.scale)
        if self.tensorboard_dir:
            self._log_tensorboard(images, epoch)

    def _log_tensorboard(self, images, epoch):
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.tensorboard_dir, "samples"))
        grid = make_grid(images, self.value_range)[None]
        with self._writer.as_default():
            tf.summary.image("samples", grid, step=epoch + 1)
        self._writer.flush()


class JsonHistory(keras.callbacks.Callback):
    """Keep each epoch's logs in a JSON file that always matches the checkpointed state.

    The file is rewritten atomically every epoch, one entry per epoch (a
    retrained epoch replaces its entry, never duplicates it). Its content is
    also part of `kgen.train`'s checkpoints (`checkpoint_state`), so after a
    crash the file is put back in step with the weights it resumes from. A
    damaged file is reported (naming it) and rebuilt, never a crash.

    Args:
        path: the JSON file (e.g. `RUN_DIR/history.json`).

    Example:
        >>> kgen.train(gan, data, epochs=5, callbacks=[JsonHistory("runs/x/history.json")])
    """

    def __init__(self, path):
        super().__init__()
        self.path = str(path)
        self.history = None
        self._state = None

    def _read(self):
        try:
            history = read_json(self.path, default={})
        except CorruptFileError as err:
            warnings.warn(f"{err}; starting a new history.", stacklevel=3)
            return {}
        return history if isinstance(history, dict) else {}

    def checkpoint_state(self):
        """The history as a JSON string variable (see `kgen.checkpoints`)."""
        import tensorflow as tf

        if self._state is None:
            with tf.init_scope():
                self._state = tf.Variable(json.dumps(self.history or {}), trainable=False,
                                          dtype=tf.string, name="json_history")
        return {"history": self._state}

    def on_checkpoint_restored(self):
        self.history = json.loads(self._state.numpy().decode("utf-8"))
        self._write()

    def on_epoch_end(self, epoch, logs=None):
        if self.history is None:
            self.history = self._read()
        # Entries of this epoch and later come from a run that did not reach here.
        epochs = self.history.get("epoch", [])
        keep = sum(1 for e in epochs if e < epoch + 1)
        history = {k: list(v[:keep]) for k, v in self.history.items() if isinstance(v, list)}
        history.setdefault("epoch", []).append(epoch + 1)
        for key, value in (logs or {}).items():
            column = history.setdefault(key, [])
            column.extend([float("nan")] * (keep - len(column)))
            column.append(float(value))
        self.history = history
        if self._state is not None:
            self._state.assign(json.dumps(history))
        self._write()

    def _write(self):
        write_json(self.path, self.history)
