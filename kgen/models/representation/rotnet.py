"""Rotation prediction (Gidaris et al., 2018): every image in all four rotations, a 4-way classifier.

https://arxiv.org/abs/1803.07728
"""

import keras
import tensorflow as tf
from keras import ops

from kgen.models.representation.base import PretextClassifier, compile_adam
from kgen.networks.representation import build_conv_feature_encoder, build_head
from kgen.zoo import register_builder

NUM_ROTATIONS = 4


def rotate(x, k):
    """Rotate images `(N, H, W, C)` by `k * 90` degrees counter-clockwise (`np.rot90` on axes 1, 2)."""
    return tf.image.rot90(x, k % NUM_ROTATIONS)


def rotation_batch(x):
    """All four rotations of every image: `(4N, H, W, C)` and labels `(4N,)`.

    Gidaris et al. feed the 4 rotated copies of each image in the same batch
    (their "all rotations" setting, better than one random rotation per image).
    Row `k * N + i` is image `i` rotated by `k * 90` degrees; its label is `k`.

    Args:
        x: square images `(N, H, H, C)`.

    Returns:
        `(rotated, labels)`, labels int32.

    Example:
        >>> xr, k = rotation_batch(images)   # 4x the batch
    """
    if x.shape[1] is not None and x.shape[2] is not None and x.shape[1] != x.shape[2]:
        raise ValueError(f"rotation prediction needs square images (a rotated batch keeps its shape). "
                         f"Received: shape={tuple(x.shape)}; resize with --image-size.")
    n = ops.shape(x)[0]
    rotated = ops.concatenate([rotate(x, k) for k in range(NUM_ROTATIONS)], axis=0)
    labels = ops.repeat(ops.arange(NUM_ROTATIONS, dtype="int32"), n)
    return rotated, labels


@keras.saving.register_keras_serializable(package="kgen")
class RotNet(PretextClassifier):
    """Self-supervised rotation prediction: which of 0/90/180/270 degrees was an image turned by?

    Each step sees every image of the batch in all four rotations (so the
    effective batch is 4x the data batch) and minimizes the 4-way
    cross-entropy of `head(encoder(rotated))`.

    Args:
        encoder: Keras network `images -> (N, d)`.
        head: Keras network `(N, d) -> (N, 4)` logits.
        image_shape: `(H, H, C)` of the data (square).
        seed: seed of the model's noise.

    Example:
        >>> rotnet = kgen.zoo.build("rotnet", (16, 16, 1))
        >>> rotnet.fit(kgen.data.load("digits", labels=False), epochs=5)
        >>> features = rotnet.features(images)
    """

    def __init__(self, encoder, head, image_shape, seed=None, **kwargs):
        super().__init__(encoder, head, image_shape, seed=seed, **kwargs)
        if self.image_shape[0] != self.image_shape[1]:
            raise ValueError(f"rotation prediction needs square images. Received: image_shape={self.image_shape}")
        if int(head.output_shape[-1]) != NUM_ROTATIONS:
            raise ValueError(f"the head must output {NUM_ROTATIONS} logits. Received: {head.output_shape[-1]}")

    def pretext_batch(self, x, training=True):
        return rotation_batch(x)

    def pretext_logits(self, inputs, training=True):
        return self.head(self.encoder(inputs, training=training), training=training)

    def predict_rotation(self, x, training=False):
        """The predicted rotation class `k` (rotated by `k * 90` degrees) of each image `(N,)`."""
        x = ops.convert_to_tensor(x, "float32")
        return ops.cast(ops.argmax(self.pretext_logits(x, training=training), -1), "int32")

    def reconstruct(self, x, training=False):
        """Each image turned upright: rotated back by its predicted rotation."""
        x = ops.convert_to_tensor(x, "float32")
        k = self.predict_rotation(x, training=training)
        back = ops.stack([rotate(x, -j) for j in range(NUM_ROTATIONS)], axis=1)  # (N, 4, H, W, C)
        pick = ops.reshape(ops.one_hot(k, NUM_ROTATIONS), (-1, NUM_ROTATIONS, 1, 1, 1))
        return ops.sum(back * pick, axis=1)


@register_builder("rotnet", scale="tanh", paper="Gidaris et al. 2018, https://arxiv.org/abs/1803.07728")
def build_rotnet(input_shape, num_classes=None, tiny=False, seed=None, filters=None, learning_rate=1e-3,
                 **compile_kwargs):
    """Rotation prediction (RotNet): a conv encoder and a 4-way rotation classifier.

    Returns:
        A compiled `RotNet`.
    """
    shape = tuple(input_shape)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64, 128)))
    encoder = build_conv_feature_encoder(shape[-1], filters)
    head = build_head(filters[-1], NUM_ROTATIONS, () if tiny else (128,))
    return compile_adam(RotNet(encoder, head, shape, seed=seed), learning_rate, **compile_kwargs)
