"""AC-GAN's auxiliary classification losses (Odena et al., 2017), TF-GAN's `acgan_*_loss`.

The discriminator has a second head of class logits; both players minimize
the softmax cross-entropy of the conditioning labels on the generated
samples, the discriminator on the real ones too.
https://arxiv.org/abs/1610.09585
"""

from kgen.losses.reduction import (
    LOSSES,
    SUM_BY_NONZERO_WEIGHTS,
    softmax_xent,
    weighted_discriminator_loss,
    weighted_generator_loss,
)
from kgen.losses.registry import register_loss


@register_loss("acgan_discriminator", "acgan_discriminator_loss")
def acgan_discriminator_loss(
    discriminator_real_classification_logits,
    discriminator_gen_classification_logits,
    one_hot_labels,
    label_smoothing=0.0,
    real_weights=1.0,
    generated_weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """AC-GAN classification loss of the discriminator (Odena et al., 2017).

    `E[-log q(y | x)] + E[-log q(y | G(z, y))]`, softmax cross-entropy over
    the last axis of the logits (any leading shape, e.g. `(N, K)` or
    `(N, H, W, K)`), the real term's labels smoothed TF's way
    (`y * (1 - ls) + ls / K`). Add it to the adversarial loss.
    https://arxiv.org/abs/1610.09585

    Args:
        discriminator_real_classification_logits: class logits on real data.
        discriminator_gen_classification_logits: class logits on generated data.
        one_hot_labels: one-hot labels of the batch (the generator's conditioning).
        label_smoothing: smoothing of the real term's labels.
        real_weights: scalar or per-example weights of the real term.
        generated_weights: scalar or per-example weights of the fake term.
        scope: name of the summaries.
        loss_collection: accepted for TF-GAN compatibility; ignored.
        reduction: see `kgen.losses.get_reduction`.
        add_summaries: write `tf.summary` scalars of both terms.

    Returns:
        Scalar loss (per-example losses with reduction "none").

    Example:
        >>> d_loss = gan_d_loss + acgan_discriminator_loss(real_class_logits, fake_class_logits,
        ...                                                tf.one_hot(labels, 10))
    """
    return weighted_discriminator_loss(
        softmax_xent(one_hot_labels, discriminator_real_classification_logits, label_smoothing),
        softmax_xent(one_hot_labels, discriminator_gen_classification_logits), real_weights, generated_weights,
        reduction, add_summaries, scope, "ac")


@register_loss("acgan_generator", "acgan_generator_loss")
def acgan_generator_loss(
    discriminator_gen_classification_logits,
    one_hot_labels,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """AC-GAN classification loss of the generator `E[-log q(y | G(z, y))]` (Odena et al., 2017).

    https://arxiv.org/abs/1610.09585

    Args:
        discriminator_gen_classification_logits: class logits on generated data.
        one_hot_labels: one-hot labels the samples were generated for.
        weights: scalar or per-example weights.
        scope, loss_collection, reduction, add_summaries: as in
            `acgan_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> g_loss = gan_g_loss + acgan_generator_loss(fake_class_logits, tf.one_hot(labels, 10))
    """
    return weighted_generator_loss(softmax_xent(one_hot_labels, discriminator_gen_classification_logits), weights,
                                   reduction, add_summaries, scope, "ac")
