"""Combining a main loss with an adversarial loss (TF-GAN's `combine_adversarial_loss`)."""

import keras
import tensorflow as tf

from kgen.losses.reduction import summaries_active, summarize


def numerically_stable_global_norm(tensor_list):
    """Global L2 norm of a list of tensors (Nones skipped) that does not overflow.

    Each tensor is divided by the largest absolute entry before squaring, and
    the norm multiplied back, so entries near 1e19 in float32 stay finite
    where `tf.linalg.global_norm` returns inf.

    Args:
        tensor_list: list of tensors or None.

    Returns:
        Scalar norm (0.0 if every entry is None).

    Example:
        >>> float(numerically_stable_global_norm([tf.ones([4]) * 1e19]))
        2e+19
    """
    tensors = [tf.convert_to_tensor(x) for x in tensor_list if x is not None]
    if not tensors:
        return 0.0
    scale = tf.reduce_max(tf.stack([tf.reduce_max(tf.abs(x)) for x in tensors]))
    return scale * tf.linalg.global_norm([tf.math.divide_no_nan(x, scale) for x in tensors])


def _gradient_norm(loss, variables, tape):
    if tape is not None:
        grads = tape.gradient(loss, variables)
    else:
        # tf.gradients needs the backing tf.Variable of a Keras variable.
        grads = tf.gradients(loss, [v.value if isinstance(v, keras.Variable) else v for v in variables])
    return numerically_stable_global_norm(grads)


def _static_value(x):
    return None if x is None else tf.get_static_value(tf.convert_to_tensor(x))


def combine_adversarial_loss(
    main_loss,
    adversarial_loss,
    weight_factor=None,
    gradient_ratio=None,
    gradient_ratio_epsilon=1e-6,
    variables=None,
    scalar_summaries=True,
    gradient_summaries=True,
    scope=None,
    *,
    tape=None,
):
    """Main loss plus a weighted adversarial loss, with a fixed weight or a fixed gradient ratio.

    With `weight_factor`: `main + weight_factor * adversarial`. With
    `gradient_ratio`: the adversarial weight is set each step to
    `(||grad main|| / (||grad adv|| + gradient_ratio_epsilon)) / gradient_ratio`
    (gradients over `variables`, norms by `numerically_stable_global_norm`),
    so the main loss's gradient is `gradient_ratio` times the adversarial
    one's, the balancing of Rippel & Bourdev (2017). The weight is a
    constant for the gradient (`stop_gradient`). A weight (or ratio) that is
    statically 0 returns the main loss alone. Losses of incompatible shapes
    are first averaged per example (their first dimensions must match).
    https://arxiv.org/abs/1705.05823

    TF-GAN computes the gradients with `tf.gradients`, so only in graph
    mode; kgen does too inside a `tf.function`, and eagerly with `tape`, a
    persistent `tf.GradientTape` that recorded both losses. Summaries are
    written when a default `tf.summary` writer and step are set; eagerly
    without `tape`, the gradient summaries are skipped instead of raising.

    Args:
        main_loss: float tensor (e.g. a reconstruction loss).
        adversarial_loss: float tensor (e.g. the generator's GAN loss).
        weight_factor: fixed adversarial weight (exactly one of this and
            `gradient_ratio`).
        gradient_ratio: target ratio of the gradient norms, main over adversarial.
        gradient_ratio_epsilon: added to the adversarial gradient norm.
        variables: variables of the gradients (TF-GAN's default, every
            trainable variable, has no TF2 equivalent: with `tape`, its
            watched variables; otherwise required).
        scalar_summaries: write the two losses' means.
        gradient_summaries: write the two gradient norms.
        scope: prefix of the summary names.
        tape: persistent `tf.GradientTape` for eager use (kgen's addition).

    Returns:
        The combined loss: a scalar for scalar losses, else per example.

    Example:
        >>> with tf.GradientTape(persistent=True) as tape:
        ...     l1, adv = reconstruction_loss(...), generator_gan_loss(...)
        ...     loss = combine_adversarial_loss(l1, adv, gradient_ratio=1.0, tape=tape,
        ...                                     variables=generator.trainable_variables)
    """
    if (weight_factor is None) == (gradient_ratio is None):
        raise ValueError(
            "expected exactly one of weight_factor and gradient_ratio. Received: "
            f"weight_factor={weight_factor}, gradient_ratio={gradient_ratio}"
        )
    main_loss = tf.convert_to_tensor(main_loss)
    adversarial_loss = tf.convert_to_tensor(adversarial_loss)
    if not main_loss.shape.is_compatible_with(adversarial_loss.shape):
        if main_loss.shape[0] != adversarial_loss.shape[0]:
            raise ValueError(
                "expected main_loss and adversarial_loss with the same first (batch) dimension. "
                f"Received: shapes {tuple(main_loss.shape)} and {tuple(adversarial_loss.shape)}"
            )
        main_loss = tf.reduce_mean(main_loss, axis=list(range(1, main_loss.shape.rank)))
        adversarial_loss = tf.reduce_mean(adversarial_loss, axis=list(range(1, adversarial_loss.shape.rank)))

    weight = weight_factor if weight_factor is not None else gradient_ratio
    if _static_value(weight) == 0:
        return main_loss
    recording = summaries_active()
    can_differentiate = tape is not None or not tf.executing_eagerly()
    need_norms = gradient_ratio is not None or (gradient_summaries and recording and can_differentiate)
    if need_norms:
        if not can_differentiate:
            raise RuntimeError(
                "gradient_ratio needs the losses' gradients: call combine_adversarial_loss inside a "
                "tf.function, or pass tape=<a persistent tf.GradientTape that recorded both losses>."
            )
        if variables is None:
            if tape is None:
                raise ValueError("gradient_ratio needs variables=<the variables both losses train>.")
            variables = tape.watched_variables()
        main_norm = _gradient_norm(main_loss, variables, tape)
        adv_norm = _gradient_norm(adversarial_loss, variables, tape)
        if gradient_summaries:
            summarize(True, scope, main_loss_gradients=main_norm, adversarial_loss_gradients=adv_norm)
    if scalar_summaries:
        summarize(True, scope, main_loss=tf.reduce_mean(main_loss),
                  adversarial_loss=tf.reduce_mean(adversarial_loss))
    if weight_factor is not None:
        coefficient = tf.cast(weight_factor, adversarial_loss.dtype)
    else:
        coefficient = tf.cast(main_norm / (adv_norm + gradient_ratio_epsilon) / gradient_ratio,
                              adversarial_loss.dtype)
        summarize(True, scope, adversarial_coefficient=coefficient)
    return main_loss + tf.stop_gradient(coefficient) * adversarial_loss
