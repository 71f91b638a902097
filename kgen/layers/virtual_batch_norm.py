"""Virtual batch normalization (Salimans et al., 2016): normalize with a fixed reference batch.

https://arxiv.org/abs/1606.03498
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kgen")
class VirtualBatchNormalization(keras.layers.Layer):
    """Batch norm whose statistics come from a fixed reference batch plus the example itself.

    Convention: the first `reference_size` rows of the input are the
    reference batch (use `WithReferenceBatch` to prepend them). The reference
    rows are normalized with the reference statistics; every other example
    `x_i` with the statistics of `reference ∪ {x_i}`, i.e.
    `mean_i = (R * mean_ref + m_i) / (R + 1)` (likewise for the second
    moment), so an example's output never depends on the other examples of
    its minibatch. Statistics are over all axes but the last (channels).

    Args:
        reference_size: R, rows of the reference batch at the front of the input.
        epsilon: variance stabilizer.
        center: learn an offset beta.
        scale: learn a scale gamma.

    Example:
        >>> h = VirtualBatchNormalization(reference_size=64)(h)
    """

    def __init__(self, reference_size, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        if int(reference_size) < 1:
            raise ValueError(f"expected reference_size >= 1. Received: {reference_size}")
        self.reference_size = int(reference_size)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta") if self.center else None
        self.built = True

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        r = self.reference_size
        ref, rest = x[:r], x[r:]
        axes = tuple(range(len(x.shape) - 1))
        ref_mean = ops.mean(ref, axis=axes)
        ref_sq = ops.mean(ops.square(ref), axis=axes)
        own_axes = tuple(range(1, len(x.shape) - 1))
        own_mean = ops.mean(rest, axis=own_axes, keepdims=True) if own_axes else rest
        own_sq = ops.mean(ops.square(rest), axis=own_axes, keepdims=True) if own_axes else ops.square(rest)
        mean = (r * ref_mean + own_mean) / (r + 1.0)
        var = ops.relu((r * ref_sq + own_sq) / (r + 1.0) - ops.square(mean))
        rest_out = (rest - mean) / ops.sqrt(var + self.epsilon)
        ref_out = (ref - ref_mean) / ops.sqrt(ops.relu(ref_sq - ops.square(ref_mean)) + self.epsilon)
        out = ops.concatenate([ref_out, rest_out], axis=0)
        if self.gamma is not None:
            out = out * ops.cast(self.gamma, "float32")
        if self.beta is not None:
            out = out + ops.cast(self.beta, "float32")
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


@keras.saving.register_keras_serializable(package="kgen")
class WithReferenceBatch(keras.Model):
    """Run a network on `[reference; inputs]` and return the outputs of `inputs` only.

    Pairs with `VirtualBatchNormalization(reference_size=len(reference))`
    layers inside `network`. The reference batch (fixed latents for a
    generator, a fixed real batch for a discriminator) is stored as a
    non-trainable weight, so it is saved with the model.

    Args:
        network: a single-input functional model containing VBN layers.
        reference: array `(R, ...)` of reference inputs.

    Example:
        >>> g = WithReferenceBatch(build_mlp_generator(..., norm="virtual_batch", reference_size=64),
        ...                        np.random.normal(size=(64, latent_dim)))
    """

    def __init__(self, network, reference, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        reference = keras.ops.convert_to_numpy(reference).astype("float32")
        self.reference_size = int(reference.shape[0])
        self.reference = self.add_weight(shape=reference.shape, trainable=False, name="reference",
                                         initializer=keras.initializers.Constant(reference))
        self.built = True

    def call(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)):
            raise ValueError("WithReferenceBatch takes a single-input network (no labels).")
        ref = ops.cast(self.reference.value, inputs.dtype)
        out = self.network(ops.concatenate([ref, inputs], axis=0), training=training)
        return out[self.reference_size:]

    @property
    def output_shape(self):
        return self.network.output_shape

    @property
    def input_shape(self):
        return self.network.input_shape

    def compute_output_shape(self, input_shape):
        return self.network.compute_output_shape(input_shape)

    def get_config(self):
        return {"name": self.name, "network": keras.saving.serialize_keras_object(self.network),
                "reference": keras.ops.convert_to_numpy(self.reference).tolist()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)
