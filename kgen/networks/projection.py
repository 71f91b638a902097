"""Projection discriminator for images (Miyato & Koyama, 2018), optionally spectrally normalized.

https://arxiv.org/abs/1802.05637
"""

import math

import keras
from keras import layers

from kgen.layers.projection import ClassProjection
from kgen.layers.spectral import SpectralNormalization


def build_projection_discriminator(image_shape, num_classes, base_filters=64, spectral_norm=True,
                                   name="discriminator"):
    """Build a conv discriminator `[images, labels] -> logit` with a class-projection term.

    `logit = w . phi(x) + <embed(y), phi(x)>` where `phi` is a strided-conv
    trunk (LeakyReLU 0.2, no batch norm) with global sum pooling.

    Args:
        image_shape: `(H, W, C)`, H a power of two >= 4.
        num_classes: number of classes.
        base_filters: filters of the first block (doubled per block).
        spectral_norm: wrap every conv/dense in `SpectralNormalization`
            (as in the paper).
        name: model name.

    Returns:
        A functional `keras.Model` with inputs `images`, `labels` and output `(None, 1)`.

    Example:
        >>> d = build_projection_discriminator((16, 16, 1), num_classes=10)
    """
    size = int(image_shape[0])
    if len(image_shape) != 3 or size < 4 or size & (size - 1):
        raise ValueError(f"expected image_shape (H, W, C) with H a power of two >= 4. "
                         f"Received: {tuple(image_shape)}")
    wrap = (lambda layer: SpectralNormalization(layer, name=f"sn_{layer.name}")) if spectral_norm else (lambda layer: layer)
    images = keras.Input(tuple(image_shape), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    h = images
    for i in range(int(math.log2(size)) - 2):
        h = wrap(layers.Conv2D(base_filters * 2**i, 4, strides=2, padding="same", name=f"block{i}_conv"))(h)
        h = layers.LeakyReLU(0.2, name=f"block{i}_lrelu")(h)
    features = layers.GlobalAveragePooling2D(name="pool")(h)
    logit = wrap(layers.Dense(1, dtype="float32", name="logit"))(features)
    proj = ClassProjection(num_classes, dtype="float32", name="projection")([features, labels])
    out = layers.Add(dtype="float32", name="logit_plus_projection")([logit, proj])
    return keras.Model([images, labels], out, name=name)
