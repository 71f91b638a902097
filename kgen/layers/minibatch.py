"""Layers that let the discriminator look at the whole minibatch, against mode collapse.

Minibatch discrimination (Salimans et al., 2016, https://arxiv.org/abs/1606.03498)
and minibatch standard deviation (Karras et al., 2018, https://arxiv.org/abs/1710.10196).
Under a distribution strategy both see the replica's local batch.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kgen")
class MinibatchDiscrimination(keras.layers.Layer):
    """Append, per example, its closeness to the other examples of the batch.

    Features `f (N, A)` are projected by a learned tensor `T (A, B*C)` to
    `M (N, B, C)`; for each of the `B` kernels
    `o_b(x_i) = sum_{j != i} exp(-||M_ib - M_jb||_1)`, and the layer outputs
    `concat(f, o)` of width `A + B`. A collapsed generator makes `o` large
    for every fake, which the discriminator can detect.

    Args:
        num_kernels: B, the number of closeness features (100 in the paper).
        kernel_dim: C, the dimension of each projection (5 in the paper).
        reduction: "sum" over the other examples (the paper) or "mean"
            (divides by N - 1: features stay in [0, 1] whatever the batch
            size, which keeps large batches from saturating the logit).

    Example:
        >>> h = MinibatchDiscrimination(num_kernels=8, kernel_dim=4)(h)  # (N, A) -> (N, A + 8)
    """

    def __init__(self, num_kernels=100, kernel_dim=5, reduction="sum", **kwargs):
        super().__init__(**kwargs)
        if reduction not in ("sum", "mean"):
            raise ValueError(f"expected reduction in ('sum', 'mean'). Received: reduction={reduction!r}")
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)
        self.reduction = reduction

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                "expected features of rank 2 (N, features); flatten first. "
                f"Received: shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(int(input_shape[-1]), self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(0.0, 0.05), name="kernel")
        self.built = True

    def call(self, inputs):
        m = ops.reshape(ops.matmul(inputs, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        l1 = ops.sum(ops.abs(m[:, None] - m[None, :]), axis=-1)  # (N, N, B)
        # exp(0) = 1 on the diagonal: subtract it to exclude j == i.
        closeness = ops.sum(ops.exp(-l1), axis=1) - 1.0
        if self.reduction == "mean":
            n = ops.cast(ops.shape(m)[0], closeness.dtype)
            closeness = closeness / ops.maximum(n - 1.0, 1.0)
        return ops.concatenate([inputs, ops.cast(closeness, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim, "reduction": self.reduction}


@keras.saving.register_keras_serializable(package="kgen")
class MinibatchStdDev(keras.layers.Layer):
    """Append the batch's average feature standard deviation as one extra feature/channel.

    The batch is split into groups of `group_size` (example `i` in group
    `i mod (N / group_size)`, as in ProGAN); the std over each group, averaged
    over all features, is appended to each member (a constant channel for
    images `(N, H, W, C) -> (N, H, W, C+1)`, one feature for `(N, F)`).

    Args:
        group_size: examples per group; the batch size must be a multiple
            of it (None: the whole batch is one group).
        epsilon: added to the variance before the square root.

    Example:
        >>> h = MinibatchStdDev(group_size=4)(h)
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size) if group_size else None
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        n = ops.shape(x)[0]
        group = self.group_size or n
        if isinstance(group, int) and isinstance(n, int):
            if n % min(group, n):
                raise ValueError(
                    f"MinibatchStdDev(group_size={group}) needs a batch size that is a multiple "
                    f"of it. Received: batch size {n}"
                )
            group = min(group, n)
        rest = tuple(x.shape[1:])
        grouped = ops.reshape(x, (group, -1) + rest)  # (G, M, ...)
        var = ops.mean(ops.square(grouped - ops.mean(grouped, axis=0, keepdims=True)), axis=0)
        std = ops.sqrt(var + self.epsilon)  # (M, ...)
        stat = ops.mean(ops.reshape(std, (ops.shape(std)[0], -1)), axis=1)  # (M,)
        stat = ops.tile(stat, (group,))  # row i -> group i mod M
        stat = ops.reshape(stat, (-1,) + (1,) * len(rest))
        stat = ops.broadcast_to(stat, ops.shape(x)[:-1] + (1,)) if len(rest) > 1 else stat
        return ops.concatenate([inputs, ops.cast(stat, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
