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
    label_noise=0.0,
    seed=None,
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
        label_noise: probability of flipping each target before smoothing
            (see `noisy_minimax_discriminator_loss`; 0 = none).
        seed: int or `keras.random.SeedGenerator` of the flips.

    Returns:
        Scalar loss.

    Example:
        >>> float(minimax_discriminator_loss([[0.0]], [[0.0]]))  # 2*log(2)
        1.386...
    """
    if label_noise:
        return noisy_minimax_discriminator_loss(
            discriminator_real_outputs, discriminator_gen_outputs, label_smoothing, label_noise,
            real_weights, generated_weights, seed)
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


def _flip(targets, label_noise, seed):
    """Flip binary targets with probability `label_noise` (noisy labels)."""
    import keras

    if not label_noise:
        return targets
    flip = ops.cast(keras.random.uniform(ops.shape(targets), seed=seed) < label_noise, targets.dtype)
    return targets * (1.0 - flip) + (1.0 - targets) * flip


@register_loss("noisy_minimax_discriminator", "minimax_discriminator_with_label_noise")
def noisy_minimax_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    label_smoothing=0.0,
    label_noise=0.05,
    real_weights=1.0,
    generated_weights=1.0,
    seed=None,
):
    """Minimax discriminator loss with one-sided smoothing and random label flips.

    Each target (real 1, fake 0) is flipped with probability `label_noise`
    (the "noisy labels" trick of the GAN-hacks lectures); then one-sided label
    smoothing moves the real targets only: a flipped fake keeps target 1, a
    real target becomes `1 - label_smoothing`, a fake target is never raised
    above 0 by smoothing. https://arxiv.org/abs/1606.03498

    Args:
        discriminator_real_outputs: logits on real data, rank >= 1.
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: one-sided smoothing of the real targets.
        label_noise: probability of flipping each target, in [0, 0.5).
        real_weights: scalar or per-example weights of the real term.
        generated_weights: scalar or per-example weights of the fake term.
        seed: int or `keras.random.SeedGenerator` of the flips.

    Returns:
        Scalar loss.

    Example:
        >>> noisy_minimax_discriminator_loss(real_logits, fake_logits, label_noise=0.05, seed=gen)
    """
    if not 0.0 <= float(label_noise) < 0.5:
        raise ValueError(f"expected 0 <= label_noise < 0.5. Received: label_noise={label_noise}")
    real = _as_float(discriminator_real_outputs)
    fake = _as_float(discriminator_gen_outputs)
    real_t = _flip(ops.ones_like(real), label_noise, seed) * (1.0 - label_smoothing)
    fake_t = _flip(ops.zeros_like(fake), label_noise, seed)
    return (_weighted_mean(_sigmoid_xent(real, real_t), real_weights)
            + _weighted_mean(_sigmoid_xent(fake, fake_t), generated_weights))


# -- Wasserstein, hinge, least squares ------------------------------------------


@register_loss("wasserstein_generator", "wasserstein_generator_loss")
def wasserstein_generator_loss(discriminator_gen_outputs, weights=1.0):
    """Wasserstein generator loss `-E[D(G(z))]` (Arjovsky et al., 2017).

    https://arxiv.org/abs/1701.07875

    Args:
        discriminator_gen_outputs: critic outputs on generated data, rank >= 1.
        weights: scalar or per-example weights.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_generator_loss([[1.0], [3.0]]))
        -2.0
    """
    return -_weighted_mean(_as_float(discriminator_gen_outputs), weights)


@register_loss("wasserstein_discriminator", "wasserstein_discriminator_loss")
def wasserstein_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                                   real_weights=1.0, generated_weights=1.0):
    """Wasserstein critic loss `E[D(G(z))] - E[D(x)]` (Arjovsky et al., 2017).

    Its negative estimates the Wasserstein-1 distance when the critic is
    1-Lipschitz (weight clipping or a gradient penalty).
    https://arxiv.org/abs/1701.07875

    Args:
        discriminator_real_outputs: critic outputs on real data, rank >= 1.
        discriminator_gen_outputs: critic outputs on generated data, rank >= 1.
        real_weights: scalar or per-example weights of the real term.
        generated_weights: scalar or per-example weights of the fake term.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_discriminator_loss([[2.0]], [[0.5]]))
        -1.5
    """
    real = _as_float(discriminator_real_outputs)
    fake = _as_float(discriminator_gen_outputs)
    return _weighted_mean(fake, generated_weights) - _weighted_mean(real, real_weights)


@register_loss("hinge_generator", "wasserstein_hinge_generator_loss")
def wasserstein_hinge_generator_loss(discriminator_gen_outputs, weights=1.0):
    """Hinge-GAN generator loss `-E[D(G(z))]` (Lim & Ye, 2017; Miyato et al., 2018).

    https://arxiv.org/abs/1705.02894

    Args:
        discriminator_gen_outputs: discriminator outputs on fakes, rank >= 1.
        weights: scalar or per-example weights.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_hinge_generator_loss([[0.5]]))
        -0.5
    """
    return wasserstein_generator_loss(discriminator_gen_outputs, weights)


@register_loss("hinge_discriminator", "wasserstein_hinge_discriminator_loss")
def wasserstein_hinge_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                                         real_weights=1.0, generated_weights=1.0):
    """Hinge discriminator loss `E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`.

    https://arxiv.org/abs/1705.02894

    Args:
        discriminator_real_outputs: outputs on real data, rank >= 1.
        discriminator_gen_outputs: outputs on generated data, rank >= 1.
        real_weights: scalar or per-example weights of the real term.
        generated_weights: scalar or per-example weights of the fake term.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_hinge_discriminator_loss([[0.5]], [[-2.0]]))  # 0.5 + 0
        0.5
    """
    real = _as_float(discriminator_real_outputs)
    fake = _as_float(discriminator_gen_outputs)
    return (_weighted_mean(ops.relu(1.0 - real), real_weights)
            + _weighted_mean(ops.relu(1.0 + fake), generated_weights))


@register_loss("least_squares_generator", "lsgan_generator", "least_squares_generator_loss")
def least_squares_generator_loss(discriminator_gen_outputs, real_label=1.0, weights=1.0):
    """Least-squares generator loss `0.5 * E[(D(G(z)) - real_label)^2]` (Mao et al., 2017).

    https://arxiv.org/abs/1611.04076

    Args:
        discriminator_gen_outputs: discriminator outputs on fakes, rank >= 1.
        real_label: target the generator pushes its outputs to.
        weights: scalar or per-example weights.

    Returns:
        Scalar loss.

    Example:
        >>> float(least_squares_generator_loss([[0.0]]))
        0.5
    """
    fake = _as_float(discriminator_gen_outputs)
    return 0.5 * _weighted_mean(ops.square(fake - real_label), weights)


@register_loss("least_squares_discriminator", "lsgan_discriminator",
               "least_squares_discriminator_loss")
def least_squares_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs,
                                     real_label=1.0, fake_label=0.0, real_weights=1.0,
                                     generated_weights=1.0):
    """Least-squares discriminator loss (Mao et al., 2017).

    `0.5 * E[(D(x) - real_label)^2] + 0.5 * E[(D(G(z)) - fake_label)^2]`.
    https://arxiv.org/abs/1611.04076

    Args:
        discriminator_real_outputs: outputs on real data, rank >= 1.
        discriminator_gen_outputs: outputs on generated data, rank >= 1.
        real_label: target of real data.
        fake_label: target of generated data.
        real_weights: scalar or per-example weights of the real term.
        generated_weights: scalar or per-example weights of the fake term.

    Returns:
        Scalar loss.

    Example:
        >>> float(least_squares_discriminator_loss([[1.0]], [[1.0]]))  # 0 + 0.5
        0.5
    """
    real = _as_float(discriminator_real_outputs)
    fake = _as_float(discriminator_gen_outputs)
    return (0.5 * _weighted_mean(ops.square(real - real_label), real_weights)
            + 0.5 * _weighted_mean(ops.square(fake - fake_label), generated_weights))
