"""GAN losses with TF-GAN's names and argument names.

All functions take discriminator *logits* of any rank >= 1 (a PatchGAN's
`(N, H, W, 1)` outputs too), average over every element and return a scalar.
Under a distribution strategy they return the local mean; the model divides
by the number of replicas so gradients average over the global batch.
"""

from keras import ops

from kgen.losses.registry import register_loss


def _as_float(x):
    x = ops.convert_to_tensor(x)
    if len(x.shape) < 1:
        raise ValueError(
            "expected discriminator outputs of rank >= 1 (N, ...). "
            f"Received: shape={tuple(x.shape)}"
        )
    # Losses in float32 even under mixed precision: log-sigmoid of float16
    # logits underflows.
    return ops.cast(x, "float32")


def _sigmoid_xent(logits, target):
    """Stable sigmoid cross-entropy: max(x,0) - x*t + log(1 + exp(-|x|))."""
    return ops.relu(logits) - logits * target + ops.softplus(-ops.abs(logits))


def _weighted_mean(values, weights):
    if weights is None or (isinstance(weights, (int, float)) and weights == 1.0):
        return ops.mean(values)
    weights = ops.cast(ops.convert_to_tensor(weights), values.dtype)
    # A per-example weight of shape (N,) broadcasts over patch axes.
    while len(weights.shape) and len(weights.shape) < len(values.shape):
        weights = ops.expand_dims(weights, -1)
    return ops.mean(values * weights)


@register_loss("minimax_discriminator", "minimax_discriminator_loss")
def minimax_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    label_smoothing=0.0,
    real_weights=1.0,
    generated_weights=1.0,
):
    """Original GAN discriminator loss (Goodfellow et al., 2014), with one-sided label smoothing.

    `-log D(x) - log(1 - D(G(z)))`, as binary cross-entropy on logits. Label
    smoothing moves only the *real* targets to `1 - label_smoothing`
    (Salimans et al., 2016: smoothing fake targets would reward the generator
    for staying where it is). https://arxiv.org/abs/1406.2661

    Args:
        discriminator_real_outputs: logits on real data, rank >= 1.
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: amount subtracted from the real target (0 = none;
            TF-GAN's default is 0.25, kgen's is 0 and the trainers expose it).
        real_weights: scalar or per-example weights of the real term.
        generated_weights: scalar or per-example weights of the fake term.

    Returns:
        Scalar loss.

    Example:
        >>> float(minimax_discriminator_loss([[0.0]], [[0.0]]))  # 2*log(2)
        1.386...
    """
    real = _as_float(discriminator_real_outputs)
    fake = _as_float(discriminator_gen_outputs)
    real_loss = _sigmoid_xent(real, 1.0 - label_smoothing)
    fake_loss = _sigmoid_xent(fake, 0.0)
    return _weighted_mean(real_loss, real_weights) + _weighted_mean(fake_loss, generated_weights)


@register_loss("minimax_generator", "minimax", "saturating", "minimax_generator_loss")
def minimax_generator_loss(discriminator_gen_outputs, label_smoothing=0.0, weights=1.0):
    """Saturating generator loss `log(1 - D(G(z)))` (Goodfellow et al., 2014).

    Minimizing it gives vanishing gradients when D rejects the fakes
    confidently; prefer `modified_generator_loss`.
    https://arxiv.org/abs/1406.2661

    Args:
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: kept for TF-GAN compatibility; must be 0 (fake
            labels are never smoothed).
        weights: scalar or per-example weights.

    Returns:
        Scalar loss (negative: minus the discriminator's fake loss).

    Example:
        >>> float(minimax_generator_loss([[0.0]]))  # -log(2)
        -0.693...
    """
    if label_smoothing:
        raise ValueError(
            "fake labels are never smoothed (one-sided label smoothing). "
            f"Received: label_smoothing={label_smoothing}; smooth real labels in the "
            "discriminator loss instead."
        )
    fake = _as_float(discriminator_gen_outputs)
    return -_weighted_mean(_sigmoid_xent(fake, 0.0), weights)


@register_loss("modified_generator", "non_saturating", "modified", "modified_generator_loss")
def modified_generator_loss(discriminator_gen_outputs, label_smoothing=0.0, weights=1.0):
    """Non-saturating generator loss `-log D(G(z))` (Goodfellow et al., 2014).

    Same fixed point as the minimax loss but strong gradients early in
    training. https://arxiv.org/abs/1406.2661

    Args:
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: amount subtracted from the target 1 (TF-GAN
            compatibility; 0 by default).
        weights: scalar or per-example weights.

    Returns:
        Scalar loss.

    Example:
        >>> float(modified_generator_loss([[0.0]]))  # log(2)
        0.693...
    """
    fake = _as_float(discriminator_gen_outputs)
    return _weighted_mean(_sigmoid_xent(fake, 1.0 - label_smoothing), weights)
