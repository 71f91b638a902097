"""Spectral normalization (Miyato et al., 2018) as a Keras 3 wrapper that works inside `fit` and under `tf.distribute`.

https://arxiv.org/abs/1802.05957
"""

import keras
from keras import ops


def _l2_normalize(x, epsilon):
    return x / ops.sqrt(ops.sum(ops.square(x)) + epsilon)


@keras.saving.register_keras_serializable(package="kgen")
class SpectralNormalization(keras.layers.Wrapper):
    """Divide a layer's kernel by its largest singular value, estimated by power iteration.

    Unlike `keras.layers.SpectralNormalization`, which overwrites the wrapped
    layer's trainable kernel with `W / sigma` in place (so the optimizer then
    updates the normalized copy), this wrapper keeps `W` as the trainable
    parameter and runs the layer with `W / sigma` substituted through
    `Layer.stateless_call`: gradients flow through `sigma` as in the paper.
    The power-iteration vector `u` is a non-trainable variable updated only
    when `training=True`, created with `aggregation="mean"` so replicas can
    update it inside a `MirroredStrategy` step (every replica computes the
    same `u`, since it depends only on the weights).

    Args:
        layer: a built-or-unbuilt layer with a `kernel` (Dense, Conv*D) or
            `embeddings` (Embedding) weight, last axis = output units.
        power_iterations: power-iteration steps per call (1 in the paper).
        epsilon: stabilizer of the vector normalization.

    Example:
        >>> dense = SpectralNormalization(keras.layers.Dense(64))
        >>> conv = SpectralNormalization(keras.layers.Conv2D(64, 4, strides=2))
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        super().__init__(layer, **kwargs)
        if int(power_iterations) < 1:
            raise ValueError(f"expected power_iterations >= 1. Received: {power_iterations}")
        self.power_iterations = int(power_iterations)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = self._kernel()
        self.u = self.add_weight(
            shape=(1, int(kernel.shape[-1])),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            trainable=False,
            name="sn_u",
            aggregation="mean",
        )
        self.built = True

    def _kernel(self):
        for name in ("kernel", "embeddings"):
            var = getattr(self.layer, name, None)
            if isinstance(var, keras.Variable):
                return var
        raise ValueError(
            f"SpectralNormalization needs a layer with a `kernel` or `embeddings` weight. "
            f"Received: {type(self.layer).__name__}"
        )

    def normalized_kernel(self, training=False):
        """Return `W / sigma` (and update `u` when training)."""
        kernel = self._kernel()
        w = ops.cast(kernel.value, "float32")
        w_mat = ops.reshape(w, (-1, w.shape[-1]))
        u = ops.cast(self.u.value, "float32")
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w_mat)), self.epsilon)
            u = _l2_normalize(ops.matmul(v, w_mat), self.epsilon)
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, w_mat) * u)
        if training:
            self.u.assign(u)
        return w / sigma, sigma

    def call(self, inputs, training=False):
        kernel = self._kernel()
        w_sn, _ = self.normalized_kernel(training=bool(training))
        dtype = self.layer.compute_dtype
        # stateless_call runs `layer.call` (no autocast): cast here.
        trainable = [ops.cast(w_sn if v is kernel else v.value, dtype)
                     for v in self.layer.trainable_variables]
        non_trainable = [v.value for v in self.layer.non_trainable_variables]
        outputs, _ = self.layer.stateless_call(trainable, non_trainable, ops.cast(inputs, dtype))
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations,
                "epsilon": self.epsilon}
