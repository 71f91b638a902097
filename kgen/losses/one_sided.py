"""kgen's minimax discriminator losses with Salimans et al.'s one-sided label smoothing.

These differ from TF-GAN's `minimax_discriminator_loss` on purpose: real
targets become `1 - label_smoothing` (not TF's `1 - label_smoothing / 2`),
the default is no smoothing (not 0.25), and the fake targets are never
raised. `kgen.models.GAN`'s `label_smoothing` option and its default
discriminator loss ("minimax_discriminator") use this convention.
https://arxiv.org/abs/1606.03498
"""

import keras
from keras import ops

from kgen.losses.reduction import SUM_BY_NONZERO_WEIGHTS, as_float, compute_weighted_loss, sigmoid_xent
from kgen.losses.registry import register_loss


# Configs saved before the TF-GAN parity work name this loss
# "kgen>minimax_discriminator_loss"; they must keep loading as the one-sided
# loss with no default smoothing (the TF-GAN function now serializes as
# "kgen>tfgan_minimax_discriminator_loss").
@register_loss("minimax_discriminator", "one_sided_minimax_discriminator",
               "one_sided_minimax_discriminator_loss", legacy_keras_names=("minimax_discriminator_loss",))
def one_sided_minimax_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    label_smoothing=0.0,
    real_weights=1.0,
    generated_weights=1.0,
    label_noise=0.0,
    seed=None,
    *,
    reduction=SUM_BY_NONZERO_WEIGHTS,
):
    """Minimax discriminator loss (Goodfellow et al., 2014) with one-sided label smoothing.

    `-log sigmoid(D(x))` against real targets `1 - label_smoothing` plus
    `-log(1 - sigmoid(D(G(z))))`. Smoothing only the real side follows
    Salimans et al. (2016): smoothing fake targets would reward the
    generator for staying where it is. Differs from TF-GAN's
    `minimax_discriminator_loss`, whose smoothing moves real targets to
    `1 - ls/2` and defaults to 0.25. https://arxiv.org/abs/1606.03498

    Args:
        discriminator_real_outputs: logits on real data, rank >= 1.
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: amount subtracted from the real target (0 = none).
        real_weights: scalar or tensor weights of the real term.
        generated_weights: scalar or tensor weights of the fake term.
        label_noise: probability of flipping each target before smoothing
            (see `noisy_minimax_discriminator_loss`; 0 = none).
        seed: int or `keras.random.SeedGenerator` of the flips.
        reduction: see `kgen.losses.get_reduction`.

    Returns:
        Scalar loss.

    Example:
        >>> float(one_sided_minimax_discriminator_loss([[0.0]], [[0.0]]))  # 2*log(2)
        1.386...
    """
    if label_noise:
        return noisy_minimax_discriminator_loss(
            discriminator_real_outputs, discriminator_gen_outputs, label_smoothing, label_noise,
            real_weights, generated_weights, seed, reduction=reduction)
    real = as_float(discriminator_real_outputs)
    fake = as_float(discriminator_gen_outputs)
    return (compute_weighted_loss(sigmoid_xent(real, 1.0 - label_smoothing), real_weights, reduction)
            + compute_weighted_loss(sigmoid_xent(fake, 0.0), generated_weights, reduction))


def _flip(targets, label_noise, seed):
    """Flip binary targets with probability `label_noise` (noisy labels)."""
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
    *,
    reduction=SUM_BY_NONZERO_WEIGHTS,
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
        real_weights: scalar or tensor weights of the real term.
        generated_weights: scalar or tensor weights of the fake term.
        seed: int or `keras.random.SeedGenerator` of the flips.
        reduction: see `kgen.losses.get_reduction`.

    Returns:
        Scalar loss.

    Example:
        >>> noisy_minimax_discriminator_loss(real_logits, fake_logits, label_noise=0.05, seed=gen)
    """
    if not 0.0 <= float(label_noise) < 0.5:
        raise ValueError(f"expected 0 <= label_noise < 0.5. Received: label_noise={label_noise}")
    real = as_float(discriminator_real_outputs)
    fake = as_float(discriminator_gen_outputs)
    real_t = _flip(ops.ones_like(real), label_noise, seed) * (1.0 - label_smoothing)
    fake_t = _flip(ops.zeros_like(fake), label_noise, seed)
    return (compute_weighted_loss(sigmoid_xent(real, real_t), real_weights, reduction)
            + compute_weighted_loss(sigmoid_xent(fake, fake_t), generated_weights, reduction))
