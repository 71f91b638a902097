"""Sample grids of image-to-image models: input | output | target, one example per row."""

import os

import keras
import numpy as np

from kgen.images import save_grid


def _display(images, size, channels):
    """Images resized (nearest, integer factors) to `size` and given `channels` channels, for one grid."""
    x = np.asarray(images, np.float32)
    if x.shape[1] != size:
        factor = max(1, size // x.shape[1])
        x = x.repeat(factor, axis=1).repeat(factor, axis=2)
    if x.shape[-1] == 1 and channels == 3:
        x = np.repeat(x, 3, axis=-1)
    return x


def translation_grid(*columns):
    """Stack image batches as columns (input, output, target, ...) into one `(N * k, H, W, C)` array, row-major.

    Columns of other sizes (low-res inputs) are enlarged by pixel repetition;
    grey ones are repeated to 3 channels when any column has colour.
    """
    columns = [np.asarray(c, np.float32) for c in columns if c is not None]
    size = max(c.shape[1] for c in columns)
    channels = 3 if any(c.shape[-1] == 3 for c in columns) else 1
    columns = [_display(c, size, channels) for c in columns]
    n = min(len(c) for c in columns)
    return np.stack([c[:n] for c in columns], axis=1).reshape((-1, *columns[0].shape[1:]))


class TranslationGrid(keras.callbacks.Callback):
    """Write `RUN_DIR/samples/epoch_XXXX.png`: input | output | target for fixed held examples, every epoch.

    Args:
        directory: samples folder.
        inputs: fixed input images (paired/super-resolution inputs, or domain A).
        targets: their targets (or domain B images, for CycleGAN's second row pair), or None.
        every: epochs between grids.
        value_range: the images' range.
        direction_b: CycleGAN: also B -> A rows for these B images.
    """

    def __init__(self, directory, inputs, targets=None, every=1, value_range=(-1.0, 1.0), scale=2):
        super().__init__()
        self.directory = str(directory)
        self.inputs = np.asarray(inputs, np.float32)
        self.targets = None if targets is None else np.asarray(targets, np.float32)
        self.every = max(int(every), 1)
        self.value_range = tuple(value_range)
        self.scale = scale
        self.last_path = None

    def images(self):
        model = self.model
        if hasattr(model, "generator_ba") and self.targets is not None:
            # CycleGAN: a | G(a) | F(G(a)), then b | F(b) | G(F(b)).
            fb = np.asarray(model.translate(self.inputs, direction="a2b"))
            fa = np.asarray(model.translate(self.targets, direction="b2a"))
            top = translation_grid(self.inputs, fb, np.asarray(model.translate(fb, direction="b2a")))
            bottom = translation_grid(self.targets, fa, np.asarray(model.translate(fa, direction="a2b")))
            return np.concatenate([top, bottom])
        out = np.asarray(model.translate(self.inputs))
        return translation_grid(self.inputs, out, self.targets)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        self.last_path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png")
        save_grid(self.images(), self.last_path, self.value_range, ncols=3, scale=self.scale)
