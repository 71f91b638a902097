"""Encoder and decoder builders for autoencoders and VAEs (dense and convolutional).

Encoders map images (and optionally labels) to a flat vector of `output_units`
(a code, or the concatenated posterior parameters of a VAE); decoders map a
latent vector (and optionally labels) to an image-shaped tensor with
`output_channels` channels (pixels, or likelihood parameters per pixel).
"""

import math

import keras
from keras import layers

from kgen.layers import OneHot

_UPSAMPLE = ("transpose", "resize")


def _check_shape(shape, name="input_shape"):
    shape = tuple(int(v) for v in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"expected {name} of length 3 (H, W, C). Received: {name}={shape}")
    return shape


def _check_divisible(shape, n_down, name):
    factor = 2**n_down
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"{name}: {n_down} stride-2 blocks need H and W divisible by {factor}. "
            f"Received: shape={shape}; use fewer filters entries or resize the data "
            "(kgen.data.load(..., image_size=16))."
        )


def _image_input(input_shape, num_classes, spatial):
    images = keras.Input(input_shape, name="images")
    if not num_classes:
        return [images], images
    labels = keras.Input((), dtype="int32", name="labels")
    if spatial:
        label_map = OneHot(num_classes, spatial_size=input_shape[0], name="labels_map")(labels)
        if input_shape[0] != input_shape[1]:
            raise ValueError(f"conditional conv encoders need square images. Received: {input_shape}")
        h = layers.Concatenate(name="image_and_label")([images, label_map])
    else:
        flat = layers.Flatten(name="flatten")(images)
        h = layers.Concatenate(name="image_and_label")(
            [flat, OneHot(num_classes, name="labels_onehot")(labels)])
    return [images, labels], h


def _latent_input(latent_dim, num_classes):
    latent = keras.Input((int(latent_dim),), name="latent")
    if not num_classes:
        return [latent], latent
    labels = keras.Input((), dtype="int32", name="labels")
    h = layers.Concatenate(name="latent_and_label")(
        [latent, OneHot(num_classes, name="labels_onehot")(labels)])
    return [latent, labels], h


def _model(inputs, outputs, name):
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs, name=name)


def build_dense_encoder(input_shape, output_units, hidden_units=(200, 200), activation="relu",
                        output_activation=None, num_classes=None, name="encoder"):
    """Build a multilayer-perceptron encoder `images -> (N, output_units)`.

    Args:
        input_shape: shape without batch axis, e.g. `(28, 28, 1)` (or `(D,)`).
        output_units: size of the output (code size, or 2*latent for a VAE).
        hidden_units: widths of the hidden layers (Kingma & Welling: 200, 200 with tanh;
            Burda et al.: 200, 200 with tanh).
        activation: hidden activation.
        output_activation: activation of the output layer (None: linear).
        num_classes: if set, the encoder takes `[images, labels]` and
            concatenates a one-hot label to the flattened image.
        name: model name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> enc = build_dense_encoder((28, 28, 1), 2 * 50)
        >>> enc.output_shape
        (None, 100)
    """
    input_shape = tuple(int(v) for v in input_shape)
    inputs, h = _image_input(input_shape, num_classes, spatial=False)
    if not num_classes:
        h = layers.Flatten(name="flatten")(h)
    for i, units in enumerate(hidden_units):
        h = layers.Dense(units, activation=activation, name=f"dense{i}")(h)
    out = layers.Dense(int(output_units), activation=output_activation, dtype="float32",
                       name="code")(h)
    return _model(inputs, out, name)


def build_dense_decoder(latent_dim, output_shape, hidden_units=(200, 200), activation="relu",
                        output_channels=None, output_activation=None, num_classes=None,
                        name="decoder"):
    """Build a multilayer-perceptron decoder `latent -> (N, H, W, output_channels)`.

    Args:
        latent_dim: size of the latent/code vector.
        output_shape: image shape `(H, W, C)`.
        hidden_units: widths of the hidden layers (input to output order).
        activation: hidden activation.
        output_channels: channels of the output (default C; 2*C for
            per-pixel location and scale).
        output_activation: e.g. "sigmoid" for [0, 1] pixels, None for logits.
        num_classes: if set, takes `[latent, labels]`.
        name: model name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> dec = build_dense_decoder(50, (28, 28, 1))
        >>> dec.output_shape
        (None, 28, 28, 1)
    """
    output_shape = _check_shape(output_shape, "output_shape")
    channels = int(output_channels or output_shape[-1])
    inputs, h = _latent_input(latent_dim, num_classes)
    for i, units in enumerate(hidden_units):
        h = layers.Dense(units, activation=activation, name=f"dense{i}")(h)
    h = layers.Dense(output_shape[0] * output_shape[1] * channels, activation=output_activation,
                     dtype="float32", name="pixels")(h)
    out = layers.Reshape((output_shape[0], output_shape[1], channels), dtype="float32", name="image")(h)
    return _model(inputs, out, name)


def build_conv_encoder(input_shape, output_units, filters=(32, 64), activation="relu",
                       output_activation=None, num_classes=None, name="encoder"):
    """Build a strided-convolution encoder `images -> (N, output_units)`.

    Each entry of `filters` is a 4x4 stride-2 convolution (halving H and W);
    a dense layer maps the flattened features to the output.

    Args:
        input_shape: `(H, W, C)`; H and W divisible by `2**len(filters)`.
        output_units: output size.
        filters: filters of the stride-2 blocks.
        activation: hidden activation.
        output_activation: output activation (None: linear).
        num_classes: if set, takes `[images, labels]` (one-hot label maps as
            extra channels).
        name: model name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> build_conv_encoder((16, 16, 1), 8).output_shape
        (None, 8)
    """
    input_shape = _check_shape(input_shape)
    _check_divisible(input_shape, len(filters), "build_conv_encoder")
    inputs, h = _image_input(input_shape, num_classes, spatial=True)
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, 4, strides=2, padding="same", activation=activation,
                          name=f"conv{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    out = layers.Dense(int(output_units), activation=output_activation, dtype="float32",
                       name="code")(h)
    return _model(inputs, out, name)


def upsample_block(x, filters, mode, activation, name):
    """Double H and W: a 4x4 stride-2 transposed conv, or nearest resize then a 3x3 conv.

    Resize-then-conv avoids checkerboard artefacts and converts to
    full-integer TFLite where Conv2DTranspose often does not.
    """
    if mode == "transpose":
        return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", activation=activation,
                                      name=f"{name}_deconv")(x)
    if mode == "resize":
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up")(x)
        return layers.Conv2D(filters, 3, padding="same", activation=activation,
                             name=f"{name}_conv")(x)
    raise ValueError(f"expected upsample in {_UPSAMPLE}. Received: upsample={mode!r}")


def build_conv_decoder(latent_dim, output_shape, filters=(64, 32), activation="relu",
                       upsample="transpose", output_channels=None, output_activation=None,
                       num_classes=None, name="decoder"):
    """Build a convolutional decoder `latent -> (N, H, W, output_channels)`.

    A dense layer projects the latent to an `(H/2^n, W/2^n, filters[0])` map;
    each entry of `filters` doubles the resolution; a 3x3 conv gives the output.

    Args:
        latent_dim: latent size.
        output_shape: `(H, W, C)`; H and W divisible by `2**len(filters)`.
        filters: filters of the upsampling blocks (coarse to fine).
        activation: hidden activation.
        upsample: "transpose" (Conv2DTranspose) or "resize" (nearest
            upsampling then conv: needed for int8 TFLite export).
        output_channels: output channels (default C).
        output_activation: e.g. "sigmoid"; None for logits/parameters.
        num_classes: if set, takes `[latent, labels]`.
        name: model name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> build_conv_decoder(8, (16, 16, 1), upsample="resize").output_shape
        (None, 16, 16, 1)
    """
    output_shape = _check_shape(output_shape, "output_shape")
    if upsample not in _UPSAMPLE:
        raise ValueError(f"expected upsample in {_UPSAMPLE}. Received: upsample={upsample!r}")
    _check_divisible(output_shape, len(filters), "build_conv_decoder")
    channels = int(output_channels or output_shape[-1])
    inputs, h = _latent_input(latent_dim, num_classes)
    n = len(filters)
    top = (output_shape[0] // 2**n, output_shape[1] // 2**n, filters[0] if n else channels)
    h = layers.Dense(math.prod(top), activation=activation, name="project")(h)
    h = layers.Reshape(top, name="project_reshape")(h)
    for i, f in enumerate(filters):
        h = upsample_block(h, f, upsample, activation, f"block{i}")
    out = layers.Conv2D(channels, 3, padding="same", activation=output_activation,
                        dtype="float32", name="image")(h)
    return _model(inputs, out, name)


def build_conv_feature_encoder(input_shape, code_channels, filters=(32, 64), activation="relu",
                               name="encoder"):
    """Build a fully convolutional encoder `images -> (N, H/2^n, W/2^n, code_channels)` (VQ-VAE).

    Example:
        >>> build_conv_feature_encoder((16, 16, 1), 4).output_shape
        (None, 4, 4, 4)
    """
    input_shape = _check_shape(input_shape)
    _check_divisible(input_shape, len(filters), "build_conv_feature_encoder")
    images = keras.Input(input_shape, name="images")
    h = images
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, 4, strides=2, padding="same", activation=activation, name=f"conv{i}")(h)
    out = layers.Conv2D(code_channels, 1, dtype="float32", name="code")(h)
    return keras.Model(images, out, name=name)


def build_conv_feature_decoder(latent_shape, output_shape, filters=(64, 32), activation="relu",
                               upsample="transpose", output_activation=None, name="decoder"):
    """Build a decoder from a flattened feature map `(N, h*w*D) -> (N, H, W, C)` (VQ-VAE).

    The input is flat so that the decoder's latent is a plain vector (like
    every other kgen decoder); it is reshaped to `latent_shape` first.

    Example:
        >>> build_conv_feature_decoder((4, 4, 4), (16, 16, 1)).output_shape
        (None, 16, 16, 1)
    """
    latent_shape = tuple(int(v) for v in latent_shape)
    output_shape = _check_shape(output_shape, "output_shape")
    if latent_shape[0] * 2 ** len(filters) != output_shape[0]:
        raise ValueError(
            f"latent_shape {latent_shape} upsampled {len(filters)} times does not give "
            f"output_shape {output_shape}."
        )
    latent = keras.Input((math.prod(latent_shape),), name="latent")
    h = layers.Reshape(latent_shape, name="latent_map")(latent)
    for i, f in enumerate(filters):
        h = upsample_block(h, f, upsample, activation, f"block{i}")
    out = layers.Conv2D(output_shape[-1], 3, padding="same", activation=output_activation,
                        dtype="float32", name="image")(h)
    return keras.Model(latent, out, name=name)
