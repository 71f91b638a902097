"""The train/test steps of models with one optimizer and one objective (autoencoders, VAEs, ...).

What to compute stays in each model (`compute_losses`); how a step runs
(`GenerativeModel.apply_update`: replica share of the global-batch mean,
loss scaling, apply; then metrics by name) is written here once.
"""

import keras


class SingleObjectiveSteps:
    """Mixin for a `GenerativeModel` with one optimizer (`self.optimizer`) and one loss dict.

    The model provides:
        `batch_inputs(data)`: the positional inputs of `compute_losses`
            (default: `(x,)` of the batch).
        `compute_losses(*inputs, training)`: a dict of named local-batch
            terms; `"loss"` is minimized, the others are metric values.
        `after_update(terms)`: state updates after the optimizer step (e.g.
            EMA codebooks); nothing by default.

    Example:
        >>> class MyVAE(SingleObjectiveSteps, GenerativeModel):
        ...     def metric_names(self):
        ...         return ["loss", "kl_loss"]
        ...     def compute_losses(self, x, training=True):
        ...         return {"loss": rec + kl, "kl_loss": kl}
    """

    def batch_inputs(self, data):
        x, _ = self.unpack_batch(data)
        return (x,)

    def after_update(self, terms):
        pass

    def train_step(self, data):
        inputs = self.batch_inputs(data)
        terms = self.apply_update(self.optimizer, lambda: self.compute_losses(*inputs, training=True),
                                  self.trainable_variables)
        self.after_update(terms)
        return self.update_metrics(terms)

    def test_step(self, data):
        return self.update_metrics(self.compute_losses(*self.batch_inputs(data), training=False))


class EncoderDecoderConfig:
    """Mixin: config round-trip of a model built from `encoder` and `decoder` Keras networks.

    `get_config` of the model adds `**self.networks_config()`; `from_config`
    deserializes both networks and calls the constructor with the rest.
    """

    def networks_config(self):
        return {"encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder)}

    @classmethod
    def from_config(cls, config):
        return from_config_with_networks(cls, config, ("encoder", "decoder"))


def from_config_with_networks(cls, config, networks):
    """`cls(**config)` with the serialized Keras networks under the keys `networks` deserialized.

    The `from_config` of every model whose config holds its networks.

    Example:
        >>> @classmethod
        ... def from_config(cls, config):
        ...     return from_config_with_networks(cls, config, ("generator", "discriminator"))
    """
    config = dict(config)
    for key in networks:
        config[key] = keras.saving.deserialize_keras_object(config[key])
    return cls(**config)
