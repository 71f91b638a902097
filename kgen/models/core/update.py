"""Applying gradients: the last stage of every kgen update, ordered so that several updates share a step safely.

A GAN step runs several optimizer updates (five critic updates and a
generator update for WGAN-GP). Under `CollectiveAllReduce`
(MultiWorkerMirroredStrategy, and MirroredStrategy on CPUs) each update
all-reduces its gradients with collective ops that TensorFlow matches
across replicas and workers by instance keys assigned while tracing.
Measured here: such a step aborts with "Shape mismatch in the collective
instance" when two strategy objects live in one process (their instance
keys collide, tensorflow/tensorflow#62790), which `kgen.distribute.get_strategy`
avoids by reusing one strategy per process. Within a step nothing but data
flow orders two updates' collectives; so that every member launches them in
the same order, each update returns a token (its optimizer's step count,
read after the update) and the next update's gradients wait on it.
"""

import tensorflow as tf


def apply_gradients(optimizer, grads, variables, after=()):
    """Apply `grads` to `variables` with `optimizer`, after the updates whose tokens are `after`.

    Args:
        optimizer: a Keras optimizer (possibly a `LossScaleOptimizer`).
        grads: gradients of the replica's scaled loss, one per variable
            (None for a variable the loss does not reach).
        variables: the variables they belong to.
        after: tokens of earlier updates of the same step (graph mode only).

    Returns:
        This update's token: a tensor that exists once the update is applied.
    """
    pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if not pairs:
        raise ValueError("no gradient reached any of the variables being trained; check that the loss "
                         "depends on them. Variables: " + ", ".join(v.name for v in variables[:5]))
    if after and not tf.executing_eagerly():
        with tf.control_dependencies(list(after)):
            pairs = [(tf.identity(g), v) for g, v in pairs]
    optimizer.apply_gradients(pairs)
    # Read after the update (automatic control dependencies order it after
    # the optimizer's own increment of its step count).
    return tf.identity(optimizer.iterations)
