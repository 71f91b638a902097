"""Callbacks that show what a generative model produces as it trains."""

import os

import keras
import numpy as np

from kgen.images import save_grid


class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid of samples from a fixed latent batch every epoch.

    The latents (and labels) are drawn once, so grids of successive epochs
    show the same points of latent space. Optionally logs the grid to
    TensorBoard as an image.

    Args:
        directory: where `epoch_XXXX.png` files go.
        n: number of samples (a square number gives a square grid).
        seed: seed of the fixed latents.
        every: write every `every` epochs.
        value_range: value range of the model's outputs.
        tensorboard_dir: if set, also write the grid as a TensorBoard image.
        scale: integer PNG upscaling for small images.

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("runs/x/samples")])
    """

    def __init__(self, directory, n=64, seed=0, every=1, value_range=(-1.0, 1.0),
                 tensorboard_dir=None, scale=2):
        super().__init__()
        self.directory = str(directory)
        self.n = int(n)
        self.seed = seed
        self.every = max(int(every), 1)
        self.value_range = tuple(value_range)
        self.tensorboard_dir = tensorboard_dir
        self.scale = scale
        self._z = None
        self._labels = None
        self._writer = None
        self.last_path = None

    def _fixed_inputs(self):
        if self._z is None:
            rng = np.random.default_rng(self.seed)
            self._z = rng.standard_normal((self.n, self.model.latent_dim)).astype("float32")
            if getattr(self.model, "num_classes", None):
                self._labels = (np.arange(self.n) % self.model.num_classes).astype("int32")
        return self._z, self._labels

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        z, labels = self._fixed_inputs()
        images = np.asarray(self.model.generate(z, labels=labels))
        os.makedirs(self.directory, exist_ok=True)
        self.last_path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png")
        save_grid(images, self.last_path, self.value_range, scale=self.scale)
        if self.tensorboard_dir:
            self._log_tensorboard(images, epoch)

    def _log_tensorboard(self, images, epoch):
        import tensorflow as tf

        from kgen.images import make_grid

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
