"""The projection discriminator's class term (Miyato & Koyama, 2018).

https://arxiv.org/abs/1802.05637
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kgen")
class ClassProjection(keras.layers.Layer):
    """`<embed(y), phi(x)>`: the label-dependent logit term of a projection discriminator.

    The discriminator's logit is `psi(phi(x)) + <embed(y), phi(x)>`, which
    conditions on the label through an inner product instead of
    concatenating it to the input.

    Args:
        num_classes: number of classes.

    Example:
        >>> logit = Add()([Dense(1)(features), ClassProjection(10)([features, labels])])
    """

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def build(self, input_shape):
        features_shape = input_shape[0]
        self.embeddings = self.add_weight(
            shape=(self.num_classes, int(features_shape[-1])), name="embeddings",
            initializer=keras.initializers.RandomNormal(0.0, 0.05))
        self.built = True

    def call(self, inputs):
        features, labels = inputs
        embedded = ops.take(self.embeddings, ops.cast(labels, "int32"), axis=0)
        return ops.sum(ops.cast(embedded, features.dtype) * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
