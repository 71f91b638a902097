"""Networks of the representation-learning family: fully convolutional encoders and small heads.

Every pretext model's encoder is fully convolutional with global average
pooling (input `(None, None, C)`), so the encoder trained on tiles or patches
gives features of whole images too (Doersch et al. and Noroozi & Favaro
transfer the convolutional trunk the same way). No batch norm: one step on
N replicas then equals one step on one device.
"""

import keras
from keras import layers


def build_conv_trunk(channels, filters=(32, 64), activation="relu", strides=None, name="trunk"):
    """A fully convolutional trunk `(N, H, W, C) -> (N, H', W', filters[-1])`.

    Args:
        channels: input channels C.
        filters: one 3x3 convolution per entry.
        activation: hidden activation.
        strides: stride of each convolution (default: 1 for the first, then 2),
            "same" padding.
        name: model name.

    Returns:
        A functional `keras.Model` with input `(None, None, C)`.

    Example:
        >>> build_conv_trunk(1, (8, 16)).output_shape
        (None, None, None, 16)
    """
    filters = tuple(int(f) for f in filters)
    if not filters:
        raise ValueError("expected at least one filter count. Received: filters=()")
    strides = tuple(strides) if strides is not None else (1,) + (2,) * (len(filters) - 1)
    if len(strides) != len(filters):
        raise ValueError(f"expected one stride per filter count. Received: filters={filters}, strides={strides}")
    inputs = keras.Input((None, None, int(channels)), name="images")
    h = inputs
    for i, (f, s) in enumerate(zip(filters, strides)):
        h = layers.Conv2D(f, 3, strides=s, padding="same", activation=activation, name=f"conv{i}")(h)
    return keras.Model(inputs, h, name=name)


def build_conv_feature_encoder(channels, filters=(32, 64), feature_dim=None, activation="relu", name="encoder"):
    """A fully convolutional encoder with global average pooling `(N, H, W, C) -> (N, d)`.

    Args:
        channels: input channels C.
        filters: 3x3 convolutions (stride 1, then 2).
        feature_dim: if set, a dense layer (with `activation`) maps the
            pooled features to `feature_dim`; else d = `filters[-1]`.
        activation: hidden activation.
        name: model name.

    Returns:
        A functional `keras.Model` with input `(None, None, C)`, float32 output.

    Example:
        >>> build_conv_feature_encoder(1, (8, 16))(np.zeros((2, 12, 12, 1))).shape
        TensorShape([2, 16])
    """
    inputs = keras.Input((None, None, int(channels)), name="images")
    h = inputs
    for i, f in enumerate(filters):
        h = layers.Conv2D(int(f), 3, strides=1 if i == 0 else 2, padding="same", activation=activation,
                          name=f"conv{i}")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    if feature_dim:
        h = layers.Dense(int(feature_dim), activation=activation, name="features")(h)
    out = layers.Activation("linear", dtype="float32", name="float32_features")(h)
    return keras.Model(inputs, out, name=name)


def build_pooled_conv_encoder(input_shape, filters=(32, 48), kernel_size=5, activation="relu",
                              name="feature_extractor"):
    """Ganin et al.'s MNIST feature extractor: per entry a `kernel_size` conv and a 2x2 max-pool, then flatten.

    The paper's MNIST -> MNIST-M network (https://arxiv.org/abs/1505.07818,
    figure 4a: conv 5x5 32, max-pool 2x2, conv 5x5 48, max-pool 2x2); the
    label and domain classifiers read the flattened maps directly (no dense
    bottleneck in the extractor).

    Example:
        >>> build_pooled_conv_encoder((16, 16, 3)).output_shape
        (None, 768)
    """
    shape = tuple(int(s) for s in input_shape)
    filters = tuple(int(f) for f in filters)
    if len(shape) != 3 or not filters or min(shape[:2]) < 2 ** len(filters):
        raise ValueError(f"expected images (H, W, C) with H, W >= 2**len(filters) and at least one filter count. "
                         f"Received: input_shape={shape}, filters={filters}")
    inputs = keras.Input(shape, name="images")
    h = inputs
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, int(kernel_size), padding="same", activation=activation, name=f"conv{i}")(h)
        h = layers.MaxPooling2D(2, name=f"pool{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    out = layers.Activation("linear", dtype="float32", name="float32_features")(h)
    return keras.Model(inputs, out, name=name)


def build_dense_feature_encoder(input_dim, hidden=(64, 64), activation="relu", name="encoder"):
    """An MLP encoder for points `(N, D) -> (N, hidden[-1])` (the two-moons DANN)."""
    inputs = keras.Input((int(input_dim),), name="points")
    h = inputs
    for i, units in enumerate(hidden):
        h = layers.Dense(int(units), activation=activation, name=f"dense{i}")(h)
    out = layers.Activation("linear", dtype="float32", name="float32_features")(h)
    return keras.Model(inputs, out, name=name)


def build_head(input_dim, num_outputs, hidden=(), activation="relu", name="head"):
    """An MLP head `(N, input_dim) -> (N, num_outputs)` float32 logits.

    Example:
        >>> build_head(16, 4, (32,)).output_shape
        (None, 4)
    """
    inputs = keras.Input((int(input_dim),), name="features")
    h = inputs
    for i, units in enumerate(hidden):
        h = layers.Dense(int(units), activation=activation, name=f"dense{i}")(h)
    out = layers.Dense(int(num_outputs), dtype="float32", name="logits")(h)
    return keras.Model(inputs, out, name=name)


def build_pixel_head(channels, num_outputs, name="pixel_head"):
    """A 1x1 convolution `(N, H, W, channels) -> (N, H, W, num_outputs)` float32 logits (colorization)."""
    inputs = keras.Input((None, None, int(channels)), name="feature_map")
    out = layers.Conv2D(int(num_outputs), 1, dtype="float32", name="logits")(inputs)
    return keras.Model(inputs, out, name=name)
