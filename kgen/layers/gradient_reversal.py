"""Gradient reversal (Ganin & Lempitsky, 2015): identity forward, -lambda times the gradient backward.

https://arxiv.org/abs/1409.7495
"""

import math

import keras
from keras import ops


def reverse_gradient(x, lambda_=1.0):
    """Identity in the forward pass; multiplies the upstream gradient by `-lambda_` in the backward pass.

    Written as `-lambda * x + stop_gradient((1 + lambda) * x)`: the value is
    `x`, and only the first term carries a gradient (`-lambda`). No custom
    gradient registration, so it runs under every strategy, XLA and
    mixed precision, and exports (as the identity) to LiteRT.

    Args:
        x: a tensor of any shape.
        lambda_: the reversal weight (a float or scalar tensor; not differentiated).

    Returns:
        A tensor equal to `x`.

    Example:
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = reverse_gradient(x, 0.5)
        >>> tape.gradient(y, x)   # -0.5 everywhere
    """
    lam = ops.stop_gradient(ops.cast(lambda_, x.dtype))
    return -lam * x + ops.stop_gradient((1.0 + lam) * x)


def dann_lambda(progress, gamma=10.0):
    """Ganin et al.'s adaptation weight schedule `2 / (1 + exp(-gamma * p)) - 1`.

    Rises from 0 at `p = 0` to nearly 1 at `p = 1`, so the noisy domain
    classifier does not disturb the features early in training.
    https://arxiv.org/abs/1505.07818 (section 5.2.2)

    Args:
        progress: training progress `p` in [0, 1] (float or tensor).
        gamma: steepness (10 in the paper).

    Returns:
        `lambda_p` (same type as `progress`).

    Example:
        >>> round(dann_lambda(0.5), 4)
        0.9866
    """
    if isinstance(progress, (int, float)):
        return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0
    p = ops.cast(progress, "float32")
    return 2.0 / (1.0 + ops.exp(-gamma * p)) - 1.0


@keras.saving.register_keras_serializable(package="kgen")
class GradientReversal(keras.layers.Layer):
    """Layer form of `reverse_gradient`: identity forward, `-lambda_` times the gradient backward.

    Args:
        lambda_: default reversal weight; `call(x, lambda_=...)` overrides it
            per call (DANN passes the scheduled `lambda_p` each step).

    Example:
        >>> head = keras.Sequential([GradientReversal(1.0), keras.layers.Dense(1)])
    """

    def __init__(self, lambda_=1.0, **kwargs):
        super().__init__(**kwargs)
        self.lambda_ = float(lambda_)

    def call(self, x, lambda_=None):
        return reverse_gradient(x, self.lambda_ if lambda_ is None else lambda_)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "lambda_": self.lambda_}
