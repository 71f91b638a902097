"""GAN losses with TF-GAN's names, arguments, defaults and values (`tfgan.losses`).

Every function takes discriminator outputs of any rank >= 1 (a PatchGAN's
`(N, H, W, 1)` too) and reduces them as TF-GAN does: `reduction` defaults to
`SUM_BY_NONZERO_WEIGHTS` (the weighted sum over the number of non-zero
weights; the plain mean with unit weights), `reduction="none"` returns the
weighted per-element losses. Label smoothing is TF's: a smoothed target `t`
becomes `t * (1 - ls) + ls / 2`, so real targets go to `1 - ls/2`.
`scope` and `add_summaries` name and write `tf.summary` scalars (when a
default writer and step are set); `loss_collection` is accepted for
signature compatibility only (TF2 has no graph collections).

kgen's own conventions live under their own names: Salimans et al.'s
one-sided smoothing (real targets `1 - ls`, default 0) is
`one_sided_minimax_discriminator_loss` (`kgen.losses.one_sided`). Under a
distribution strategy the losses return the local mean; the model divides by
the number of replicas so gradients average over the global batch.
"""

from keras import ops

from kgen.losses.reduction import (
    LOSSES,
    SUM_BY_NONZERO_WEIGHTS,
    as_float,
    sigmoid_xent,
    smoothed_target,
    summarize,
    weighted_discriminator_loss,
    weighted_generator_loss,
)
from kgen.losses.registry import register_loss


# -- Goodfellow et al.'s losses ---------------------------------------------------------------


@register_loss("minimax_discriminator_loss", keras_name="tfgan_minimax_discriminator_loss")
def minimax_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    label_smoothing=0.25,
    real_weights=1.0,
    generated_weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Original GAN discriminator loss (Goodfellow et al., 2014), TF-GAN's version.

    `-w_r log sigmoid(D(x)) - w_g log(1 - sigmoid(D(G(z))))` on logits, real
    targets smoothed to `1 - label_smoothing / 2` (TF's sigmoid
    cross-entropy smoothing; TF-GAN's default 0.25 gives 0.875). For
    Salimans et al.'s one-sided smoothing to `1 - ls` with default 0 (what
    `kgen.models.GAN`'s `label_smoothing` means), use
    `one_sided_minimax_discriminator_loss`. https://arxiv.org/abs/1406.2661

    Args:
        discriminator_real_outputs: logits on real data, rank >= 1.
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: smoothing of the real targets (0 = none).
        real_weights: scalar or tensor weights of the real term.
        generated_weights: scalar or tensor weights of the fake term.
        scope: name of the summaries.
        loss_collection: accepted for TF-GAN compatibility; ignored.
        reduction: see `kgen.losses.get_reduction`.
        add_summaries: write `tf.summary` scalars of both terms.

    Returns:
        Scalar loss (or per-element losses with reduction "none").

    Example:
        >>> float(minimax_discriminator_loss([0.0], [0.0], label_smoothing=0.0))  # 2 log 2
        1.386...
    """
    return weighted_discriminator_loss(
        sigmoid_xent(as_float(discriminator_real_outputs), smoothed_target(1.0, label_smoothing)),
        sigmoid_xent(as_float(discriminator_gen_outputs), 0.0), real_weights, generated_weights, reduction,
        add_summaries, scope, "minimax")


@register_loss("minimax_generator", "minimax", "saturating", "minimax_generator_loss")
def minimax_generator_loss(
    discriminator_gen_outputs,
    label_smoothing=0.0,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Saturating generator loss, minus the discriminator loss (Goodfellow et al., 2014).

    TF-GAN's value: `-minimax_discriminator_loss(ones, D(G(z)))`, i.e.
    `log(1 - sigmoid(D(G(z))))` minus the constant real term of a
    discriminator output of 1 (`softplus(-1)` without smoothing). The
    constant has no gradient. Minimizing it gives vanishing gradients when D
    rejects the fakes confidently; prefer `modified_generator_loss`.
    https://arxiv.org/abs/1406.2661

    Args:
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: smoothing of the constant term's real target.
        weights: scalar or tensor weights (of both terms, as in TF-GAN).
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(minimax_generator_loss([0.0]))  # -(softplus(-1) + log 2)
        -1.006...
    """
    fake = as_float(discriminator_gen_outputs)
    loss = -minimax_discriminator_loss(ops.ones_like(fake), fake, label_smoothing, weights, weights,
                                       reduction=reduction)
    summarize(add_summaries, scope, generator_minimax_loss=loss)
    return loss


@register_loss("modified_discriminator_loss")
def modified_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    label_smoothing=0.25,
    real_weights=1.0,
    generated_weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """TF-GAN's name for the minimax discriminator loss paired with the modified generator loss.

    Identical to `minimax_discriminator_loss` (Goodfellow et al., 2014).
    https://arxiv.org/abs/1406.2661

    Args:
        discriminator_real_outputs, discriminator_gen_outputs, label_smoothing,
        real_weights, generated_weights, scope, loss_collection, reduction,
        add_summaries: as in `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> modified_discriminator_loss(d_real, d_fake)  # real targets 0.875
    """
    return minimax_discriminator_loss(
        discriminator_real_outputs, discriminator_gen_outputs, label_smoothing, real_weights,
        generated_weights, scope or "discriminator_modified_loss", loss_collection, reduction, add_summaries)


@register_loss("modified_generator", "non_saturating", "modified", "modified_generator_loss")
def modified_generator_loss(
    discriminator_gen_outputs,
    label_smoothing=0.0,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Non-saturating generator loss `-log sigmoid(D(G(z)))` (Goodfellow et al., 2014).

    Same fixed point as the minimax loss but strong gradients early in
    training. The target 1 is smoothed TF's way, to `1 - ls/2`.
    https://arxiv.org/abs/1406.2661

    Args:
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        label_smoothing: smoothing of the target 1 (0 = none).
        weights: scalar or tensor weights.
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(modified_generator_loss([0.0]))  # log(2)
        0.693...
    """
    term = sigmoid_xent(as_float(discriminator_gen_outputs), smoothed_target(1.0, label_smoothing))
    return weighted_generator_loss(term, weights, reduction, add_summaries, scope, "modified")


# -- Wasserstein, hinge, least squares ------------------------------------------


@register_loss("wasserstein_generator", "wasserstein_generator_loss")
def wasserstein_generator_loss(
    discriminator_gen_outputs,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Wasserstein generator loss `-E[D(G(z))]` (Arjovsky et al., 2017).

    https://arxiv.org/abs/1701.07875

    Args:
        discriminator_gen_outputs: critic outputs on generated data, rank >= 1.
        weights: scalar or tensor weights.
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_generator_loss([[1.0], [3.0]]))
        -2.0
    """
    return weighted_generator_loss(-as_float(discriminator_gen_outputs), weights, reduction, add_summaries, scope,
                                   "wass")


@register_loss("wasserstein_discriminator", "wasserstein_discriminator_loss")
def wasserstein_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    real_weights=1.0,
    generated_weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Wasserstein critic loss `E[D(G(z))] - E[D(x)]` (Arjovsky et al., 2017).

    Its negative estimates the Wasserstein-1 distance when the critic is
    1-Lipschitz (weight clipping or a gradient penalty).
    https://arxiv.org/abs/1701.07875

    Args:
        discriminator_real_outputs: critic outputs on real data, rank >= 1.
        discriminator_gen_outputs: critic outputs on generated data, rank >= 1.
        real_weights: scalar or tensor weights of the real term.
        generated_weights: scalar or tensor weights of the fake term.
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_discriminator_loss([[2.0]], [[0.5]]))
        -1.5
    """
    return weighted_discriminator_loss(
        as_float(discriminator_real_outputs), as_float(discriminator_gen_outputs), real_weights, generated_weights,
        reduction, add_summaries, scope, "wass", combine=lambda on_real, on_generated: on_generated - on_real)


@register_loss("hinge_generator", "wasserstein_hinge_generator_loss")
def wasserstein_hinge_generator_loss(
    discriminator_gen_outputs,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Hinge-GAN generator loss `-E[D(G(z))]` (Lim & Ye, 2017; Miyato et al., 2018).

    The same as `wasserstein_generator_loss`, as in TF-GAN.
    https://arxiv.org/abs/1705.02894

    Args:
        discriminator_gen_outputs, weights, scope, loss_collection, reduction,
        add_summaries: as in `wasserstein_generator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_hinge_generator_loss([[0.5]]))
        -0.5
    """
    return wasserstein_generator_loss(discriminator_gen_outputs, weights, scope, loss_collection,
                                      reduction, add_summaries)


@register_loss("hinge_discriminator", "wasserstein_hinge_discriminator_loss")
def wasserstein_hinge_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    real_weights=1.0,
    generated_weights=1.0,
    real_hinge=1.0,
    generated_hinge=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Hinge discriminator loss `E[relu(h_r - D(x))] + E[relu(h_g + D(G(z)))]` (Miyato et al., 2018).

    https://arxiv.org/abs/1802.05957

    Args:
        discriminator_real_outputs: outputs on real data, rank >= 1.
        discriminator_gen_outputs: outputs on generated data, rank >= 1.
        real_weights: scalar or tensor weights of the real term.
        generated_weights: scalar or tensor weights of the fake term.
        real_hinge: hinge `h_r` of the real outputs.
        generated_hinge: hinge `h_g` of the generated outputs.
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(wasserstein_hinge_discriminator_loss([[0.5]], [[-2.0]]))  # 0.5 + 0
        0.5
    """
    return weighted_discriminator_loss(
        ops.relu(real_hinge - as_float(discriminator_real_outputs)),
        ops.relu(generated_hinge + as_float(discriminator_gen_outputs)), real_weights, generated_weights, reduction,
        add_summaries, scope, "wass_hinge")


@register_loss("least_squares_generator", "lsgan_generator", "least_squares_generator_loss")
def least_squares_generator_loss(
    discriminator_gen_outputs,
    real_label=1,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Least-squares generator loss `E[(D(G(z)) - real_label)^2] / 2` (Mao et al., 2017).

    https://arxiv.org/abs/1611.04076

    Args:
        discriminator_gen_outputs: discriminator outputs on fakes, rank >= 1.
        real_label: target the generator pushes its outputs to.
        weights: scalar or tensor weights.
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(least_squares_generator_loss([[0.0]]))
        0.5
    """
    # Halving each squared error is exact: the same value as halving the reduced loss.
    return weighted_generator_loss(0.5 * ops.square(as_float(discriminator_gen_outputs) - real_label), weights,
                                   reduction, add_summaries, scope, "lsq")


@register_loss("least_squares_discriminator", "lsgan_discriminator",
               "least_squares_discriminator_loss")
def least_squares_discriminator_loss(
    discriminator_real_outputs,
    discriminator_gen_outputs,
    real_label=1,
    fake_label=0,
    real_weights=1.0,
    generated_weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """Least-squares discriminator loss (Mao et al., 2017).

    `E[(D(x) - real_label)^2] / 2 + E[(D(G(z)) - fake_label)^2] / 2`.
    https://arxiv.org/abs/1611.04076

    Args:
        discriminator_real_outputs: outputs on real data, rank >= 1.
        discriminator_gen_outputs: outputs on generated data, rank >= 1.
        real_label: target of real data.
        fake_label: target of generated data.
        real_weights: scalar or tensor weights of the real term.
        generated_weights: scalar or tensor weights of the fake term.
        scope, loss_collection, reduction, add_summaries: as in
            `minimax_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> float(least_squares_discriminator_loss([[1.0]], [[1.0]]))  # 0 + 0.5
        0.5
    """
    return weighted_discriminator_loss(
        0.5 * ops.square(as_float(discriminator_real_outputs) - real_label),
        0.5 * ops.square(as_float(discriminator_gen_outputs) - fake_label), real_weights, generated_weights,
        reduction, add_summaries, scope, "lsq")
