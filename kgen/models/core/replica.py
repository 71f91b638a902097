"""Cross-replica reductions for losses and statistics that are not per-example means.

A per-example mean needs only `kgen.distribute.scale_loss`: N replicas' shares
sum to the global-batch gradient. A nonlinear function of a batch statistic
(a sparsity KL of the mean activation, EMA codebook counts) does not: it must
see the statistic of the GLOBAL batch, so every replica all-reduces it first.
Outside a strategy (or with one replica) these are the identity.
"""

import tensorflow as tf


def _context():
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return None
    return ctx


def cross_replica_mean(value):
    """Mean of `value` over replicas (differentiable: the gradient is all-reduced too).

    With equal local batches, the replica mean of local batch means is the
    global batch mean.

    Example:
        >>> rho_hat = cross_replica_mean(tf.reduce_mean(code, axis=0))
    """
    ctx = _context()
    return value if ctx is None else ctx.all_reduce(tf.distribute.ReduceOp.MEAN, value)


def cross_replica_sum(value):
    """Sum of `value` over replicas (e.g. per-code assignment counts of the global batch)."""
    ctx = _context()
    return value if ctx is None else ctx.all_reduce(tf.distribute.ReduceOp.SUM, value)
