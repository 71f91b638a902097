"""Losses of the representation-learning family: masked-label classification and rebalanced colour classes.

Labels follow kgen's masked-label convention (`kgen.data.representation.UNLABELLED`,
-1 = no label): a labelled term averages over the labelled examples of the
GLOBAL batch, so under a strategy each replica divides its local sum by the
replica mean of the labelled counts (`kgen.distribute.scale_loss` then
divides by the number of replicas).
"""

import tensorflow as tf
from keras import ops

from kgen.models.core.replica import cross_replica_mean

UNLABELLED = -1


def labelled_mask(labels):
    """1.0 where a label is given (>= 0), 0.0 where it is masked (-1); float32, shape of `labels`."""
    return ops.cast(ops.greater_equal(ops.cast(labels, "int32"), 0), "float32")


def masked_mean(values, mask):
    """Mean of `values` over the entries where `mask` is 1, over the global batch; 0 when none.

    Args:
        values: per-example values `(N, ...)` (summed over the non-batch axes).
        mask: `(N,)` 0/1 weights.

    Returns:
        A float32 scalar: this replica's sum divided by the replica-mean count,
        so that replica shares (after `scale_loss`) add up to the global mean.

    Example:
        >>> masked_mean([1., 2., 3.], [1., 0., 1.])   # 2.0
    """
    values = ops.cast(values, "float32")
    if len(values.shape) > 1:
        values = ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)
    mask = ops.cast(mask, "float32")
    count = cross_replica_mean(ops.sum(mask))
    return ops.sum(values * mask) / ops.maximum(count, 1e-8) * ops.cast(count > 0, "float32")


def masked_sparse_categorical_crossentropy(labels, logits):
    """Cross-entropy of the labelled examples (labels >= 0); masked (-1) ones are ignored.

    The classification term of semi-supervised and domain-adversarial
    training (Kingma et al. 2014, https://arxiv.org/abs/1406.5298; Ganin et
    al. 2016, https://arxiv.org/abs/1505.07818).

    Args:
        labels: int class ids `(N,)`, -1 for unlabelled examples.
        logits: `(N, K)` (any leading rank >= 1 on the batch axis).

    Returns:
        A float32 scalar: the mean over labelled examples (0 when none).

    Example:
        >>> masked_sparse_categorical_crossentropy([0, -1], [[2., 0.], [0., 9.]])
    """
    labels = ops.cast(labels, "int32")
    logits = ops.cast(logits, "float32")
    mask = labelled_mask(labels)
    safe = ops.maximum(labels, 0)
    ce = ops.sparse_categorical_crossentropy(safe, logits, from_logits=True)
    return masked_mean(ce, mask)


def masked_accuracy(labels, logits):
    """Accuracy over the labelled examples (a metric value; local batch)."""
    labels = ops.cast(labels, "int32")
    mask = labelled_mask(labels)
    hit = ops.cast(ops.equal(ops.cast(ops.argmax(logits, axis=-1), "int32"), labels), "float32")
    return ops.sum(hit * mask) / ops.maximum(ops.sum(mask), 1.0)


def rebalanced_soft_crossentropy(targets, logits, pixel_weights):
    """Zhang et al.'s multinomial colour loss: `-sum_h,w v(Z_hw) sum_q Z_hwq log softmax(logits)_hwq`.

    Averaged over pixels and examples. https://arxiv.org/abs/1603.08511 (eq. 2)

    Args:
        targets: soft-encoded colour classes `(N, H, W, Q)` (rows sum to 1).
        logits: `(N, H, W, Q)`.
        pixel_weights: the rebalancing weight of each pixel's nearest class `(N, H, W)`.

    Returns:
        A float32 scalar.

    Example:
        >>> rebalanced_soft_crossentropy(z, logits, tf.ones(z.shape[:-1]))
    """
    logp = tf.nn.log_softmax(ops.cast(logits, "float32"), axis=-1)
    per_pixel = -ops.sum(ops.cast(targets, "float32") * logp, axis=-1) * ops.cast(pixel_weights, "float32")
    return ops.mean(per_pixel)
