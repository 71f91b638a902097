"""MLP generators and discriminators for low-dimensional data (the 2-D mixtures of PacGAN/VEEGAN).

Goodfellow et al. (2014) used MLPs; the mode-collapse benchmarks of
Metz et al. (2017), VEEGAN and PacGAN use small ReLU MLPs on 2-D points.
"""

import keras
from keras import layers

from kgen.layers.conditioning import OneHot
from kgen.layers.minibatch import MinibatchDiscrimination, MinibatchStdDev
from kgen.layers.noise import InstanceNoise
from kgen.layers.projection import ClassProjection
from kgen.layers.spectral import SpectralNormalization
from kgen.layers.virtual_batch_norm import VirtualBatchNormalization

_NORMS = ("batch", "layer", "virtual_batch", None)


def _norm(kind, name, reference_size, dtype=None):
    if kind == "batch":
        return layers.BatchNormalization(dtype=dtype, name=name)
    if kind == "layer":
        return layers.LayerNormalization(dtype=dtype, name=name)
    if kind == "virtual_batch":
        if not reference_size:
            raise ValueError("norm='virtual_batch' needs reference_size (rows of the reference batch).")
        return VirtualBatchNormalization(reference_size, dtype=dtype, name=name)
    if kind is None or kind == "none":
        return None
    raise ValueError(f"expected norm in {_NORMS}. Received: norm={kind!r}")


def build_mlp_generator(latent_dim, output_dim=2, hidden=(128, 128), activation="relu", norm=None,
                        num_classes=None, output_activation=None, reference_size=None,
                        name="generator"):
    """Build an MLP generator `latent -> R^output_dim`.

    Args:
        latent_dim: latent size.
        output_dim: sample size (2 for the mixtures).
        hidden: widths of the hidden layers.
        activation: hidden activation.
        norm: None, "batch", "layer" or "virtual_batch" after each hidden layer.
        num_classes: if set, takes `[latent, labels]` and concatenates a one-hot label.
        output_activation: e.g. "tanh" for data in [-1, 1]; None (linear) for points.
        reference_size: rows of the reference batch for "virtual_batch".
        name: model name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> g = build_mlp_generator(64, 2, hidden=(128, 128))
    """
    latent = keras.Input((latent_dim,), name="latent")
    h = latent
    inputs = latent
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [latent, labels]
        h = layers.Concatenate(name="latent_and_label")([latent, OneHot(num_classes, name="onehot")(labels)])
    for i, width in enumerate(hidden):
        # An unbounded (linear) output such as a 2-D point is only as precise as the features it
        # sums: bfloat16's 8-bit mantissa put grid25 samples outside 3 std of their modes
        # (mode_coverage.py --quick, WGAN-GP: HQ 28.5 % against 88.3 % in float32), so the last
        # hidden layer of such a generator computes in float32 under a mixed policy (HQ 90.0 %).
        last_exact = output_activation is None and i == len(hidden) - 1
        dtype = "float32" if last_exact else None
        h = layers.Dense(width, dtype=dtype, name=f"dense{i}")(h)
        n = _norm(norm, f"norm{i}", reference_size, dtype)
        h = n(h) if n is not None else h
        h = layers.Activation(activation, dtype=dtype, name=f"act{i}")(h)
    out = layers.Dense(output_dim, activation=output_activation, dtype="float32", name="output")(h)
    return keras.Model(inputs, out, name=name)


def build_mlp_discriminator(input_dim=2, hidden=(128, 128), activation="leaky_relu", norm=None,
                            num_classes=None, conditioning="concat", spectral_norm=False,
                            minibatch_discrimination=None, minibatch_stddev=False,
                            instance_noise=0.0, dropout=0.0, reference_size=None,
                            num_outputs=1, return_features=False, name="discriminator"):
    """Build an MLP discriminator / critic `R^input_dim -> logits`.

    For a WGAN-GP critic keep `norm=None` or "layer" (batch norm makes each
    output depend on the batch, which the per-example gradient penalty
    assumes it does not).

    Args:
        input_dim: sample size.
        hidden: widths of the hidden layers.
        activation: hidden activation.
        norm: None, "batch", "layer" or "virtual_batch" after each hidden
            layer but the first.
        num_classes: conditional discriminator taking `[x, labels]`.
        conditioning: "concat" (one-hot label concatenated to the input,
            Mirza & Osindero) or "projection" (Miyato & Koyama).
        spectral_norm: wrap every Dense in `SpectralNormalization`.
        minibatch_discrimination: `(num_kernels, kernel_dim)` or
            `(num_kernels, kernel_dim, reduction)` to append minibatch
            features before the logit, or None.
        minibatch_stddev: append the minibatch-stddev feature before the logit.
        instance_noise: stddev of an `InstanceNoise` input layer (0: none).
        dropout: dropout after each hidden layer.
        reference_size: rows of the reference batch for "virtual_batch".
        num_outputs: logits per example.
        return_features: also output the last hidden features
            (`[logits, features]`, for feature matching / InfoGAN's Q head).
        name: model name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> d = build_mlp_discriminator(2, hidden=(128, 128), minibatch_discrimination=(8, 4))
    """
    if conditioning not in ("concat", "projection"):
        raise ValueError(f"expected conditioning in ('concat', 'projection'). Received: {conditioning!r}")

    def dense(units, name, **kw):
        layer = layers.Dense(units, name=name, **kw)
        return SpectralNormalization(layer, name=f"sn_{name}") if spectral_norm else layer

    x = keras.Input((input_dim,), name="samples")
    inputs = x
    h = x
    if instance_noise:
        h = InstanceNoise(instance_noise, name="instance_noise")(h)
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [x, labels]
        if conditioning == "concat":
            h = layers.Concatenate(name="x_and_label")([h, OneHot(num_classes, name="onehot")(labels)])
    for i, width in enumerate(hidden):
        h = dense(width, f"dense{i}")(h)
        if i > 0:
            n = _norm(norm, f"norm{i}", reference_size)
            h = n(h) if n is not None else h
        h = layers.Activation(activation, name=f"act{i}")(h)
        if dropout:
            h = layers.Dropout(dropout, name=f"dropout{i}")(h)
    features = h
    if minibatch_discrimination:
        h = MinibatchDiscrimination(*minibatch_discrimination, name="minibatch_discrimination")(h)
    if minibatch_stddev:
        h = MinibatchStdDev(group_size=None, name="minibatch_stddev")(h)
    logits = dense(num_outputs, "logits", dtype="float32")(h)
    if num_classes and conditioning == "projection":
        proj = ClassProjection(num_classes, dtype="float32", name="projection")([h, labels])
        logits = layers.Add(dtype="float32", name="logits_plus_projection")([logits, proj])
    outputs = [logits, features] if return_features else logits
    return keras.Model(inputs, outputs, name=name)
