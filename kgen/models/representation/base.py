"""The shared encoder interface of the representation-learning family, and the base of the pretext classifiers.

Every model of the family has an `encoder` (a Keras network `images ->
(N, d)` features, fully convolutional for the pretext models so it embeds
whole images after training on tiles or patches), `features(x)`, and a
`features` export endpoint. `reconstruct(x)` is what the family's sample
grids show beside `x`: the pretext task's answer made visible (the image
turned upright, the tiles put back in order, the centre inpainted, the
luminance colourized, ...).
"""

import keras
import numpy as np
from keras import ops

from kgen.models.core import Endpoint, GenerativeModel, SingleObjectiveSteps, TensorSpec


class EncoderFeatures:
    """Mixin: `features(x)`, `extract_features(x)` and the `features` endpoint from `self.encoder`.

    The model sets `self.encoder` and `self.image_shape` (the shape one
    example has, without the batch axis), and may override
    `feature_inputs(x)` (e.g. colorization feeds the luminance).
    """

    value_range = (-1.0, 1.0)

    def feature_inputs(self, x):
        """The encoder's input for data `x` (identity)."""
        return x

    def features(self, x, training=False):
        """The encoder's features of `x`: a float32 tensor `(N, d)`.

        Example:
            >>> z = rotnet.features(images)   # (N, d), for a linear probe
        """
        x = ops.convert_to_tensor(x, "float32")
        return ops.cast(self.encoder(self.feature_inputs(x), training=training), "float32")

    def extract_features(self, x, batch_size=256):
        """`features` of a numpy array, in batches: numpy `(N, d)`."""
        out = [np.asarray(self.features(np.asarray(x[i:i + batch_size], np.float32)))
               for i in range(0, len(x), batch_size)]
        return np.concatenate(out)

    def decode_latent(self, z, labels=None, training=False):
        raise ValueError(f"{type(self).__name__} learns a representation and has no prior to sample from; use "
                         "features(x) for embeddings, or reconstruct(x) for what its pretext task outputs.")

    @property
    def feature_dim(self):
        return int(self.encoder.output_shape[-1])

    def features_endpoint(self):
        """`Endpoint("features")`: images `(H, W, C)` -> features `(d,)`."""
        info = {"value_range": list(self.value_range)} if self.value_range else {}
        call = None
        if type(self).feature_inputs is not EncoderFeatures.feature_inputs:
            call = lambda network, images: network(self.feature_inputs(images), training=False)  # noqa: E731
        return Endpoint("features", self.encoder,
                        [TensorSpec("images", tuple(self.image_shape), "float32", "image", info)],
                        [TensorSpec("features", (self.feature_dim,), "float32", "code")], call=call)


def _image_shape(shape, name="image_shape"):
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3:
        raise ValueError(f"expected {name} (H, W, C). Received: {name}={shape}")
    return shape


class PretextClassifier(SingleObjectiveSteps, EncoderFeatures, GenerativeModel):
    """Base of the pretext tasks solved as classification: an encoder, a head, one cross-entropy.

    Subclasses implement `pretext_batch(x, training)` -> `(inputs, labels)`
    and `pretext_logits(inputs, training)`; the loss is the mean
    cross-entropy and `accuracy` is reported beside it.

    Args:
        encoder: Keras network `(N, h, w, C) -> (N, d)` (fully convolutional).
        head: Keras network from the encoder features (per the subclass) to logits.
        image_shape: `(H, W, C)` of the data.
        seed: seed of the model's noise.
    """

    def __init__(self, encoder, head, image_shape, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.encoder = encoder
        self.head = head
        self.image_shape = _image_shape(image_shape)
        self.built = True

    def metric_names(self):
        return ["loss", "accuracy"]

    def call(self, x, training=False):
        return self.features(x, training=training)

    def compute_losses(self, x, training=True):
        """`{"loss": cross-entropy of the pretext labels, "accuracy": ...}` (local means)."""
        inputs, labels = self.pretext_batch(x, training=training)
        logits = ops.cast(self.pretext_logits(inputs, training=training), "float32")
        ce = ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        acc = ops.mean(ops.cast(ops.equal(ops.cast(ops.argmax(logits, -1), "int32"),
                                          ops.cast(labels, "int32")), "float32"))
        return {"loss": ce, "accuracy": acc}

    def export_endpoints(self):
        return [self.features_endpoint()]

    def get_config(self):
        return {**super().get_config(),
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "head": keras.saving.serialize_keras_object(self.head),
                "image_shape": list(self.image_shape)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "head"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def compile_adam(model, learning_rate, **compile_kwargs):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model
