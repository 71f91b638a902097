"""Applying gradients: the last stage of every kgen update, safe for several updates in one step."""

import tensorflow as tf


def apply_gradients(optimizer, grads, variables):
    """Apply `grads` to `variables` with `optimizer` (gradients of None are skipped).

    Args:
        optimizer: a Keras optimizer (possibly a `LossScaleOptimizer`).
        grads: gradients of the replica's scaled loss, one per variable.
        variables: the variables they belong to.
    """
    pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if not pairs:
        raise ValueError("no gradient reached any of the variables being trained; check that the loss "
                         "depends on them. Variables: " + ", ".join(v.name for v in variables[:5]))
    optimizer.apply_gradients(pairs)
    return tf.no_op()
