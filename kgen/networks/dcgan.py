"""DCGAN generator and discriminator builders (Radford et al., 2015).

https://arxiv.org/abs/1511.06434
"""

import math

import keras
from keras import layers

from kgen.layers import OneHot, SpectralNormalization


def _check_image_shape(image_shape):
    if len(image_shape) != 3:
        raise ValueError(
            "expected image_shape of length 3 (H, W, C). "
            f"Received: image_shape={tuple(image_shape)}"
        )
    height, width, channels = (int(v) for v in image_shape)
    if height != width or height < 4 or height & (height - 1):
        raise ValueError(
            "expected a square power-of-two image size >= 4 (4, 8, 16, 32, ...). "
            f"Received: image_shape={tuple(image_shape)}; resize the data with "
            "kgen.data.load(..., image_size=32)."
        )
    if channels < 1:
        raise ValueError(f"expected at least one channel. Received: channels={channels}")
    return height, channels


def _norm(kind, synchronized, name):
    if kind == "batch":
        # Synchronized statistics make a step on N replicas equal to one step on
        # one device with the same global batch. Off by default: replicas
        # then launch more collectives whose order tf.distribute does not
        # fix when real and fake batches go through D separately.
        return layers.BatchNormalization(synchronized=synchronized, name=name)
    if kind == "layer":
        return layers.LayerNormalization(name=name)
    if kind is None or kind == "none":
        return None
    raise ValueError(f"expected norm in ('batch', 'layer', None). Received: norm={kind!r}")


def _upsample(x, filters, mode, name):
    if mode == "transpose":
        return layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, name=f"{name}_deconv"
        )(x)
    if mode == "resize":
        # Resize-then-conv avoids checkerboard artefacts and converts to
        # full-integer TFLite where Conv2DTranspose often does not.
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up")(x)
        return layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    raise ValueError(
        f"expected upsample in ('transpose', 'resize'). Received: upsample={mode!r}"
    )


def build_dcgan_generator(
    latent_dim,
    image_shape=(32, 32, 1),
    base_filters=64,
    norm="batch",
    upsample="transpose",
    num_classes=None,
    synchronized_bn=False,
    name="generator",
):
    """Build a DCGAN generator mapping a latent vector to an image in [-1, 1].

    Projects the latent to a 4x4 feature map, then doubles the resolution with
    strided (transposed or resize) convolutions, batch norm and ReLU, halving
    the filters each time, and ends with a tanh convolution.

    Args:
        latent_dim: size of the latent vector.
        image_shape: `(H, W, C)` output shape; H == W, a power of two >= 4.
        base_filters: filters of the last hidden block; the 4x4 block has
            `base_filters * 2**(n_blocks-1)`.
        norm: "batch" (paper), "layer" or None.
        upsample: "transpose" (paper) or "resize" (resize-then-conv, better
            for int8 export).
        num_classes: if set, the generator takes `[latent, labels]` and
            concatenates a one-hot label to the latent (Mirza & Osindero).
        synchronized_bn: synchronize batch-norm statistics across replicas
            (off by default; per-replica statistics as in Keras).
        name: model name.

    Returns:
        A functional `keras.Model` with input `latent` (and `labels`).

    Example:
        >>> g = build_dcgan_generator(100, (32, 32, 1))
        >>> g.output_shape
        (None, 32, 32, 1)
    """
    size, channels = _check_image_shape(image_shape)
    n_up = int(math.log2(size)) - 2
    latent = keras.Input((latent_dim,), name="latent")
    inputs = [latent]
    h = latent
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        onehot = OneHot(num_classes, name="labels_onehot")(labels)
        h = layers.Concatenate(name="latent_and_label")([latent, onehot])
    top = base_filters * 2 ** max(n_up - 1, 0)
    h = layers.Dense(4 * 4 * top, use_bias=norm is None, name="project")(h)
    h = layers.Reshape((4, 4, top), name="project_reshape")(h)
    n = _norm(norm, synchronized_bn, "project_norm")
    h = n(h) if n is not None else h
    h = layers.ReLU(name="project_relu")(h)
    for i in range(n_up - 1):
        filters = max(base_filters * 2 ** (n_up - 2 - i), 8)
        h = _upsample(h, filters, upsample, f"block{i}")
        n = _norm(norm, synchronized_bn, f"block{i}_norm")
        h = n(h) if n is not None else h
        h = layers.ReLU(name=f"block{i}_relu")(h)
    if n_up >= 1:
        h = _upsample(h, channels, upsample, "to_image")
    else:
        h = layers.Conv2D(channels, 3, padding="same", name="to_image_conv")(h)
    # tanh in float32 so mixed precision keeps the output range exact.
    image = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(inputs if num_classes else latent, image, name=name)


def build_dcgan_discriminator(
    image_shape=(32, 32, 1),
    base_filters=64,
    norm="batch",
    num_classes=None,
    synchronized_bn=False,
    dropout=0.0,
    spectral_norm=False,
    name="discriminator",
):
    """Build a DCGAN discriminator returning one logit per image.

    Strided 4x4 convolutions with LeakyReLU(0.2), no normalization on the
    first block (as in the paper), doubling filters down to 4x4, then a dense
    logit.

    Args:
        image_shape: `(H, W, C)` input shape; H == W, a power of two >= 4.
        base_filters: filters of the first block.
        norm: "batch" (paper), "layer" (use for WGAN-GP: no batch norm in the
            critic) or None.
        num_classes: if set, takes `[images, labels]` and concatenates a
            one-hot label map to the image channels.
        synchronized_bn: synchronize batch-norm statistics across replicas
            (off by default; per-replica statistics as in Keras).
        dropout: dropout rate after each block.
        spectral_norm: wrap every convolution and the logit layer in
            `kgen.layers.SpectralNormalization` (SNGAN, Miyato et al., 2018;
            use with norm=None).
        name: model name.

    Returns:
        A functional `keras.Model` with output shape `(None, 1)` (logits).

    Example:
        >>> d = build_dcgan_discriminator((32, 32, 1))
        >>> d.output_shape
        (None, 1)
    """
    size, channels = _check_image_shape(image_shape)
    images = keras.Input((size, size, channels), name="images")
    inputs = [images]
    h = images
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        label_map = OneHot(num_classes, spatial_size=size, name="labels_map")(labels)
        h = layers.Concatenate(name="image_and_label")([images, label_map])
    n_down = int(math.log2(size)) - 2
    def sn(layer):
        return SpectralNormalization(layer, name=f"{layer.name}_sn") if spectral_norm else layer

    for i in range(n_down):
        h = sn(layers.Conv2D(
            base_filters * 2**i, 4, strides=2, padding="same", use_bias=(i == 0 or norm is None),
            name=f"block{i}_conv",
        ))(h)
        if i > 0:
            n = _norm(norm, synchronized_bn, f"block{i}_norm")
            h = n(h) if n is not None else h
        h = layers.LeakyReLU(0.2, name=f"block{i}_lrelu")(h)
        if dropout:
            h = layers.Dropout(dropout, name=f"block{i}_dropout")(h)
    h = layers.Flatten(name="flatten")(h)
    logits = sn(layers.Dense(1, dtype="float32", name="logits"))(h)
    return keras.Model(inputs if num_classes else images, logits, name=name)
