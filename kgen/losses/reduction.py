"""TF-GAN's loss reductions and weighting (`tf.compat.v1.losses`), for kgen's losses.

TF-GAN's losses take `reduction=` (a `tf.compat.v1.losses.Reduction`, i.e.
a string) and default to `SUM_BY_NONZERO_WEIGHTS`: the weighted sum divided
by the number of elements whose weight is non-zero, so weights `[1, 1, 0, 0]`
average over the first two elements only, and unit weights give the plain
mean. `get_reduction` also accepts Keras' spellings.
"""

import tensorflow as tf
from keras import ops

NONE = "none"
SUM = "weighted_sum"
MEAN = "weighted_mean"
SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

#: `tf.compat.v1.GraphKeys.LOSSES`, TF-GAN's default `loss_collection`.
LOSSES = "losses"


class Reduction:
    """The names of `tf.compat.v1.losses.Reduction`, as kgen accepts them.

    Example:
        >>> kgen.losses.wasserstein_generator_loss(d_fake, reduction=kgen.losses.Reduction.NONE)
    """

    NONE = NONE
    SUM = SUM
    MEAN = MEAN
    SUM_OVER_BATCH_SIZE = SUM_OVER_BATCH_SIZE
    SUM_BY_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS
    SUM_OVER_NONZERO_WEIGHTS = SUM_OVER_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (NONE, SUM, MEAN, SUM_OVER_BATCH_SIZE, SUM_BY_NONZERO_WEIGHTS)


# Keras 3 / tf.keras.losses.Reduction spellings, mapped to what they compute.
_ALIASES = {
    None: NONE,
    "sum": SUM,
    "sum_over_batch_size": SUM_OVER_BATCH_SIZE,
    "auto": SUM_OVER_BATCH_SIZE,
    "mean": SUM_OVER_BATCH_SIZE,
    "mean_with_sample_weight": MEAN,
}


def get_reduction(reduction):
    """Canonical TF-GAN reduction name for `reduction`.

    Args:
        reduction: a `tf.compat.v1.losses.Reduction` value ("none",
            "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size",
            "weighted_sum_by_nonzero_weights"), or Keras' "sum",
            "sum_over_batch_size", "auto", "mean" (= sum over batch size),
            "mean_with_sample_weight" (= weighted mean) or None (= none).

    Returns:
        One of `Reduction.all()`.

    Example:
        >>> get_reduction("sum")
        'weighted_sum'
    """
    name = getattr(reduction, "value", reduction)
    if name in Reduction.all():
        return name
    if name in _ALIASES:
        return _ALIASES[name]
    raise ValueError(
        f"unknown reduction {reduction!r}. Expected one of {list(Reduction.all())} "
        f"(tf.compat.v1.losses.Reduction) or {[k for k in _ALIASES if k]} (Keras)."
    )


def _is_python_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _broadcast_weights(weights, values):
    weights = ops.cast(ops.convert_to_tensor(weights), values.dtype)
    # kgen convenience beyond TF-GAN: per-example weights of shape (N,)
    # broadcast over the trailing (e.g. PatchGAN patch) axes.
    while 0 < len(weights.shape) < len(values.shape):
        weights = ops.expand_dims(weights, -1)
    return weights


def compute_weighted_loss(losses, weights=1.0, reduction=SUM_BY_NONZERO_WEIGHTS):
    """`tf.compat.v1.losses.compute_weighted_loss`: weight, then reduce.

    Args:
        losses: float tensor of per-element losses.
        weights: scalar, or a tensor broadcastable to `losses` (a `(N,)`
            tensor also broadcasts over trailing axes).
        reduction: see `get_reduction`.

    Returns:
        The weighted losses (reduction "none", broadcast shape) or a scalar.

    Example:
        >>> float(compute_weighted_loss([1.0, 3.0, 5.0, 7.0], [1.0, 1.0, 0.0, 0.0]))
        2.0
    """
    reduction = get_reduction(reduction)
    losses = ops.convert_to_tensor(losses)
    if not losses.dtype.is_floating:
        losses = ops.cast(losses, "float32")
    if _is_python_number(weights):
        if weights == 1 and reduction in (SUM_BY_NONZERO_WEIGHTS, SUM_OVER_BATCH_SIZE, MEAN):
            # The common case as a single op: bit-identical to a plain mean.
            return ops.mean(losses)
        weighted = losses * float(weights)
        if reduction == NONE:
            return weighted
        total = ops.sum(weighted)
        if reduction == SUM:
            return total
        count = ops.cast(ops.size(losses), losses.dtype)
        if reduction == MEAN:
            return ops.divide_no_nan(total, count * float(weights))
        if reduction == SUM_BY_NONZERO_WEIGHTS and weights == 0:
            return total * 0.0
        return total / count
    weights = _broadcast_weights(weights, losses)
    weighted = losses * weights
    if reduction == NONE:
        return weighted
    total = ops.sum(weighted)
    if reduction == SUM:
        return total
    ones = ops.ones_like(weighted)
    if reduction == MEAN:
        return ops.divide_no_nan(total, ops.sum(ones * weights))
    if reduction == SUM_OVER_BATCH_SIZE:
        return ops.divide_no_nan(total, ops.cast(ops.size(losses), losses.dtype))
    present = ops.sum(ones * ops.cast(ops.not_equal(weights, 0), losses.dtype))
    return ops.divide_no_nan(total, present)


def as_float(x, what="discriminator outputs"):
    """`x` as a float32 tensor of rank >= 1 (losses stay float32 under mixed precision)."""
    x = ops.convert_to_tensor(x)
    if len(x.shape) < 1:
        raise ValueError(f"expected {what} of rank >= 1 (N, ...). Received: shape={tuple(x.shape)}")
    # log-sigmoid of float16 logits underflows.
    return ops.cast(x, "float32")


def sigmoid_xent(logits, targets):
    """Stable sigmoid cross-entropy: max(x,0) - x*t + log(1 + exp(-|x|))."""
    return ops.relu(logits) - logits * targets + ops.softplus(-ops.abs(logits))


def smoothed_target(target, label_smoothing):
    """`tf.compat.v1.losses.sigmoid_cross_entropy` smoothing: `t*(1 - ls) + ls/2`."""
    if _is_python_number(label_smoothing) and label_smoothing == 0:
        return target
    return target * (1.0 - label_smoothing) + 0.5 * label_smoothing


def softmax_xent(one_hot_labels, logits, label_smoothing=0.0):
    """Per-position softmax cross-entropy over the last axis, with TF's label smoothing."""
    logits = as_float(logits, "classification logits")
    labels = ops.cast(ops.convert_to_tensor(one_hot_labels), "float32")
    if not (_is_python_number(label_smoothing) and label_smoothing == 0):
        labels = labels * (1.0 - label_smoothing) + label_smoothing / logits.shape[-1]
    return -ops.sum(labels * ops.log_softmax(logits, axis=-1), axis=-1)


def summaries_active():
    """Whether `tf.summary` scalars would be written: a default writer and a step are set (a Python bool)."""
    from tensorflow.python.ops import summary_ops_v2  # has_default_writer has no public alias

    return summary_ops_v2.has_default_writer() and tf.summary.experimental.get_step() is not None


def summarize(add_summaries, scope, **scalars):
    """Write `tf.summary` scalars (TF-GAN's `add_summaries`) when a default writer and step are set."""
    if not add_summaries or not summaries_active():
        return
    for name, value in scalars.items():
        tf.summary.scalar(f"{scope}/{name}" if scope else name, value)


def weighted_generator_loss(term, weights, reduction, add_summaries, scope, name):
    """`compute_weighted_loss(term)`, written as TF-GAN's `generator_<name>_loss` summary."""
    loss = compute_weighted_loss(term, weights, reduction)
    summarize(add_summaries, scope, **{f"generator_{name}_loss": loss})
    return loss


def weighted_discriminator_loss(real_term, generated_term, real_weights, generated_weights, reduction,
                                add_summaries, scope, name, combine=None):
    """Weight and reduce both terms, then `combine(on_real, on_generated)` (`None`: their sum).

    Writes TF-GAN's summaries `discriminator_gen_<name>_loss`,
    `discriminator_real_<name>_loss` and `discriminator_<name>_loss`.
    """
    loss_on_real = compute_weighted_loss(real_term, real_weights, reduction)
    loss_on_generated = compute_weighted_loss(generated_term, generated_weights, reduction)
    loss = loss_on_real + loss_on_generated if combine is None else combine(loss_on_real, loss_on_generated)
    summarize(add_summaries, scope, **{f"discriminator_gen_{name}_loss": loss_on_generated,
                                       f"discriminator_real_{name}_loss": loss_on_real,
                                       f"discriminator_{name}_loss": loss})
    return loss
