"""Callbacks that show what a generative model produces as it trains."""

import os

import keras
import numpy as np
import tensorflow as tf

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
        os.makedirs(self.directory, exist_ok=True)
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
    """Append each epoch's logs to a JSON file (survives interruption and resume)."""

    def __init__(self, path):
        super().__init__()
        self.path = str(path)

    def on_epoch_end(self, epoch, logs=None):
        import json

        history = {}
        if os.path.exists(self.path):
            with open(self.path) as f:
                history = json.load(f)
        history.setdefault("epoch", []).append(epoch + 1)
        for key, value in (logs or {}).items():
            history.setdefault(key, []).append(float(value))
        with open(self.path, "w") as f:
            json.dump(history, f, indent=1)
