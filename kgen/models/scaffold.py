"""Scaffolding shared by kgen's encoder/decoder models (autoencoders, VAEs, Gumbel VAE, VQ-VAE).

What to compute stays in each model (`compute_losses`); how a step runs
(gradient of the replica's share of the global-batch mean, loss scaling,
metric updates) and the (de)serialization of the two networks live here once.
"""

import keras
import tensorflow as tf

from kgen import distribute


class SingleLossSteps:
    """Mixin: `train_step`/`test_step` for a model with one optimizer and one scalar loss.

    The model provides:
        `batch_inputs(data)`: the positional inputs of `step_losses` (default:
            `(images,)` of the batch).
        `step_losses(*inputs, training)`: `(loss, extra, aux)`: the local-batch
            mean loss, metric values by metric name (metrics without a value
            are left alone), and anything `after_train_step` needs (default:
            `compute_losses(*inputs, training=...)` returning `(loss, extra)`).
        `after_train_step(aux)`: an update after the optimizer step (e.g.
            EMA codebooks); nothing by default.
    The first entry of `metrics` tracks the loss.

    Example:
        >>> class MyVAE(SingleLossSteps, GenerativeModel):
        ...     def compute_losses(self, x, training=True):
        ...         return loss, {"kl_loss": kl}
    """

    def batch_inputs(self, data):
        x, _ = self._unpack(data)
        return (x,)

    def step_losses(self, *inputs, training=True):
        loss, extra = self.compute_losses(*inputs, training=training)
        return loss, extra, None

    def after_train_step(self, aux):
        pass

    def train_step(self, data):
        inputs = self.batch_inputs(data)
        with tf.GradientTape() as tape:
            loss, extra, aux = self.step_losses(*inputs, training=True)
            # This replica's share of the global-batch mean (then loss-scaled
            # for mixed precision): the optimizer sums replicas' gradients.
            scaled = self.optimizer.scale_loss(distribute.scale_loss(loss))
        variables = self.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(grads, variables))
        self.after_train_step(aux)
        return self.update_step_metrics(loss, extra)

    def test_step(self, data):
        loss, extra, _ = self.step_losses(*self.batch_inputs(data), training=False)
        return self.update_step_metrics(loss, extra)

    def update_step_metrics(self, loss, extra):
        metrics = self.metrics
        metrics[0].update_state(loss)
        for m in metrics[1:]:
            if m.name in extra:
                m.update_state(extra[m.name])
        return {m.name: m.result() for m in metrics}


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
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
