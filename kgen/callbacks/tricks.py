"""GAN training callbacks that update state outside the model (Salimans et al., 2016 and the lectures).

- `GeneratorEMA`: an exponential moving average of the generator's weights, for sampling.
- `InstanceNoiseSchedule`: anneal `kgen.layers.InstanceNoise` to zero.

Tricks that change what a step computes are objects the model holds, not
callbacks: experience replay (`kgen.models.gan.ExperienceReplay`) and
historical averaging (`kgen.models.gan.HistoricalAveraging`). No callback
here rewrites a model method.
"""

import keras
import numpy as np
import tensorflow as tf

from kgen.layers.noise import InstanceNoise

__all__ = ["GeneratorEMA", "InstanceNoiseSchedule"]


class GeneratorEMA(keras.callbacks.Callback):
    """Keep an exponential moving average of the generator's weights and sample from it.

    `ema = decay * ema + (1 - decay) * w` after every training call
    (every `steps_per_execution` batches); non-trainable weights (batch-norm
    statistics) are copied. Averaged generators give smoother samples
    (Yazici et al., 2019, https://arxiv.org/abs/1806.04498; Karras et al., 2018).

    Args:
        decay: EMA decay per update (0.999 is common).
        start_step: updates before this many batches just copy the weights.

    Attributes:
        ema_generator: a clone of `model.generator` holding the averaged weights
            (also set as `model.ema_generator`, untracked).

    Example:
        >>> ema = GeneratorEMA(0.999)
        >>> gan.fit(data, callbacks=[ema])
        >>> images = ema.generate(64)
    """

    def __init__(self, decay=0.999, start_step=0):
        super().__init__()
        if not 0.0 <= float(decay) < 1.0:
            raise ValueError(f"expected 0 <= decay < 1. Received: decay={decay}")
        self.decay = float(decay)
        self.start_step = int(start_step)
        self.ema_generator = None
        self._step = None

    def on_train_begin(self, logs=None):
        gen = self.model.generator
        if self._step is None:
            # A variable, so kgen.train's checkpoints resume the count exactly.
            self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="ema_step")
        if self.ema_generator is None:
            self.ema_generator = keras.models.clone_model(gen)
            self.ema_generator.set_weights(gen.get_weights())
        self.model.__dict__["ema_generator"] = self.ema_generator
        pairs = list(zip(self.ema_generator.trainable_variables, gen.trainable_variables))
        copies = list(zip(self.ema_generator.non_trainable_variables, gen.non_trainable_variables))

        @tf.function
        def update(decay):
            for e, w in pairs:
                e.assign(decay * e + (1.0 - decay) * tf.cast(w, e.dtype))
            for e, w in copies:
                e.assign(tf.cast(w, e.dtype))

        self._update = update

    def on_train_batch_end(self, batch, logs=None):
        self._step.assign_add(1)
        decay = 0.0 if int(self._step.numpy()) <= self.start_step else self.decay
        self._update(tf.constant(decay, tf.float32))

    def checkpoint_state(self):
        """The averaged weights and the update count (kgen.checkpoints' callback protocol)."""
        return {"weights": list(self.ema_generator.weights), "step": self._step}

    def generate(self, n_or_z, labels=None):
        """Run the averaged generator on prior draws (a number) or given latents (and labels).

        Example:
            >>> images = ema.generate(64)
        """
        if self.ema_generator is None:
            raise ValueError("GeneratorEMA has no averaged weights yet: train with it first.")
        inputs = self.model.prior_inputs(n_or_z, labels)
        return self.ema_generator(self.model.generator_inputs(inputs, inputs.get("labels")), training=False)


class InstanceNoiseSchedule(keras.callbacks.Callback):
    """Anneal every `kgen.layers.InstanceNoise` layer of the discriminator linearly to `final`.

    Args:
        decay_steps: batches over which the stddev goes from its initial value to `final`.
        final: final stddev (0: no noise).

    Example:
        >>> gan.fit(data, callbacks=[InstanceNoiseSchedule(decay_steps=5000)])
    """

    def __init__(self, decay_steps, final=0.0):
        super().__init__()
        self.decay_steps = max(int(decay_steps), 1)
        self.final = float(final)
        self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="noise_schedule_step")

    def on_train_begin(self, logs=None):
        self._layers = [layer for layer in self.model.discriminator._flatten_layers(include_self=False)  # noqa: SLF001
                        if isinstance(layer, InstanceNoise)]
        if not self._layers:
            raise ValueError("InstanceNoiseSchedule found no kgen.layers.InstanceNoise in the discriminator.")

    def on_train_batch_begin(self, batch, logs=None):
        frac = min(int(self._step.numpy()) / self.decay_steps, 1.0)
        for layer in self._layers:
            layer.stddev.assign(np.float32(layer.initial_stddev + (self.final - layer.initial_stddev) * frac))
        self._step.assign_add(1)

    def checkpoint_state(self):
        """The schedule's position (kgen.checkpoints' callback protocol)."""
        return {"step": self._step}
