"""Layers that feed class labels into networks (Mirza & Osindero, 2014).

https://arxiv.org/abs/1411.1784
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kgen")
class OneHot(keras.layers.Layer):
    """One-hot encode integer labels, optionally tiled to a spatial map.

    Args:
        num_classes: number of classes.
        spatial_size: if set, the output is `(N, S, S, num_classes)` so it can
            be concatenated to image channels; else `(N, num_classes)`.

    Example:
        >>> OneHot(3)(np.array([0, 2])).shape
        TensorShape([2, 3])
    """

    def __init__(self, num_classes, spatial_size=None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.spatial_size = spatial_size

    def call(self, labels):
        onehot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes, dtype=self.compute_dtype)
        if self.spatial_size:
            s = self.spatial_size
            onehot = ops.tile(onehot[:, None, None, :], (1, s, s, 1))
        return onehot

    def compute_output_shape(self, input_shape):
        if self.spatial_size:
            return (input_shape[0], self.spatial_size, self.spatial_size, self.num_classes)
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "spatial_size": self.spatial_size}
