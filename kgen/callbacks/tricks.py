"""GAN training tricks as Keras callbacks usable with any kgen GAN (Salimans et al., 2016 and the lectures).

- `GeneratorEMA`: an exponential moving average of the generator's weights, for sampling.
- `ExperienceReplay`: half of each discriminator fake batch drawn from a pool of past fakes.
- `HistoricalAveraging`: penalty `||theta - mean of past thetas||^2` on D (and G).
- `InstanceNoiseSchedule`: anneal `kgen.layers.InstanceNoise` to zero.

The replay and historical-averaging callbacks act through the GAN's hooks
(`discriminator_fakes`, `compute_*_loss`) for the duration of `fit`, and
rebuild the train function so the change is traced; they are not saved with
the model (they only affect training).
"""

import keras
import numpy as np
import tensorflow as tf

from kgen import distribute
from kgen.losses.penalties import historical_averaging_penalty

__all__ = ["GeneratorEMA", "ExperienceReplay", "FakeReplayPool", "HistoricalAveraging",
           "InstanceNoiseSchedule"]


def _retrace(model):
    # A new hook must be traced into the step: drop the cached function.
    model.make_train_function(force=True)


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
        >>> images = ema.generate(gan.sample_latent(64))
    """

    def __init__(self, decay=0.999, start_step=0):
        super().__init__()
        if not 0.0 <= float(decay) < 1.0:
            raise ValueError(f"expected 0 <= decay < 1. Received: decay={decay}")
        self.decay = float(decay)
        self.start_step = int(start_step)
        self.ema_generator = None
        self._step = 0

    def on_train_begin(self, logs=None):
        gen = self.model.generator
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
        self._step += 1
        decay = 0.0 if self._step <= self.start_step else self.decay
        self._update(tf.constant(decay, tf.float32))

    def generate(self, z, labels=None):
        """Run the averaged generator on latents `z` (and labels for conditional GANs)."""
        if self.ema_generator is None:
            raise ValueError("GeneratorEMA has no averaged weights yet: train with it first.")
        inputs = [z, labels] if labels is not None else z
        return self.ema_generator(inputs, training=False)


class FakeReplayPool:
    """A pool of past fakes; `pool(fake, labels)` swaps part of a batch for pooled ones.

    The first `n - k` fakes of the batch are kept and the last
    `k = round(replay_fraction * n)` replaced by uniformly drawn pool entries
    (once the pool holds anything); then the current batch is written into
    the pool as a ring buffer. Shrivastava et al. (2017) use half the batch.

    Under a multi-replica strategy every replica keeps its own pool of its
    own fakes (sync-on-read variables: nothing crosses devices, so replay
    adds no collective to the step), and draws with its own stateless seed.

    Args:
        sample_shape: shape of one fake (without batch axis).
        pool_size: number of stored fakes (per replica).
        replay_fraction: fraction of each batch taken from the pool.
        conditional: also pool the fakes' labels.
        seed: seed of the draws.
        strategy: the `tf.distribute` strategy the pool is used under
            (default: the current one).

    Example:
        >>> pool = FakeReplayPool((2,), pool_size=512)
        >>> mixed_fakes, _ = pool(fakes)
    """

    def __init__(self, sample_shape, pool_size=1000, replay_fraction=0.5, conditional=False, seed=None,
                 strategy=None):
        if not 0.0 <= float(replay_fraction) <= 1.0:
            raise ValueError(f"expected 0 <= replay_fraction <= 1. Received: {replay_fraction}")
        if int(pool_size) < 1:
            raise ValueError(f"expected pool_size >= 1. Received: {pool_size}")
        self.pool_size = int(pool_size)
        self.replay_fraction = float(replay_fraction)
        self.seed = 0 if seed is None else int(seed)
        strategy = strategy or tf.distribute.get_strategy()

        def local(initial, name):
            return tf.Variable(initial, trainable=False, name=name,
                               synchronization=tf.VariableSynchronization.ON_READ,
                               aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

        with strategy.scope():
            self.pool = local(tf.zeros((self.pool_size, *sample_shape)), "replay_pool")
            self.pool_labels = (local(tf.zeros((self.pool_size,), tf.int32), "replay_labels")
                                if conditional else None)
            self.count = local(tf.constant(0, tf.int64), "replay_count")

    def __call__(self, fake, labels=None):
        fake = tf.stop_gradient(fake)
        n = tf.shape(fake)[0]
        k = tf.cast(tf.round(self.replay_fraction * tf.cast(n, tf.float32)), tf.int32)
        count = tf.convert_to_tensor(self.count)
        filled = tf.cast(tf.minimum(count, self.pool_size), tf.int32)
        draw_seed = tf.stack([tf.cast(self.seed, tf.int64) * 1_000_003 + tf.cast(distribute.replica_id(), tf.int64),
                              count])
        idx = tf.random.stateless_uniform((k,), draw_seed, 0, tf.maximum(filled, 1), dtype=tf.int32)
        use_pool = filled > 0
        pool = tf.convert_to_tensor(self.pool)
        replayed = tf.where(use_pool, tf.gather(pool, idx), tf.cast(fake[n - k:], pool.dtype))
        mixed = tf.concat([fake[:n - k], tf.cast(replayed, fake.dtype)], axis=0)
        slots = tf.cast((count + tf.range(tf.cast(n, tf.int64))) % self.pool_size, tf.int32)[:, None]
        # Only the last pool_size fakes of an oversized batch are kept.
        self.pool.assign(tf.tensor_scatter_nd_update(pool, slots[-self.pool_size:],
                                                     tf.cast(fake[-self.pool_size:], pool.dtype)))
        out_labels = labels
        if labels is not None and self.pool_labels is not None:
            pooled_labels = tf.convert_to_tensor(self.pool_labels)
            pooled = tf.where(use_pool, tf.gather(pooled_labels, idx), tf.cast(labels[n - k:], tf.int32))
            out_labels = tf.concat([labels[:n - k], tf.cast(pooled, labels.dtype)], axis=0)
            self.pool_labels.assign(tf.tensor_scatter_nd_update(
                pooled_labels, slots[-self.pool_size:], tf.cast(labels[-self.pool_size:], tf.int32)))
        self.count.assign_add(tf.cast(n, tf.int64))
        return mixed, out_labels


class ExperienceReplay(keras.callbacks.Callback):
    """Train the discriminator on a mix of current and past fakes (experience replay).

    Installs a `FakeReplayPool` in the GAN's `discriminator_fakes` hook for
    the duration of `fit`: `replay_fraction` (half, by default) of every
    discriminator fake batch comes from the pool, so the discriminator keeps
    rejecting old modes the generator could otherwise cycle back to.
    Under a multi-replica strategy each replica replays its own past fakes.

    Args:
        pool_size: number of past fakes kept.
        replay_fraction: fraction of the fake batch taken from the pool.
        seed: seed of the draws.

    Example:
        >>> gan.fit(data, callbacks=[ExperienceReplay(pool_size=2048)])
    """

    def __init__(self, pool_size=1000, replay_fraction=0.5, seed=None):
        super().__init__()
        self.pool_size = pool_size
        self.replay_fraction = replay_fraction
        self.seed = seed
        self.pool = None

    def on_train_begin(self, logs=None):
        if self.pool is None:
            shape = tuple(self.model.generator.output_shape[1:])
            self.pool = FakeReplayPool(shape, self.pool_size, self.replay_fraction,
                                       conditional=bool(self.model.num_classes), seed=self.seed,
                                       strategy=self.model.distribute_strategy)
        self.model.__dict__["fake_replay"] = self.pool
        _retrace(self.model)

    def on_train_end(self, logs=None):
        self.model.__dict__.pop("fake_replay", None)
        _retrace(self.model)


class HistoricalAveraging(keras.callbacks.Callback):
    """Add `weight * ||theta - mean of past thetas||^2` to the discriminator (and generator) loss.

    Salimans et al. (2016), Sec. 3.3. The running mean
    `avg_t = avg_{t-1} + (theta_t - avg_{t-1}) / t` is updated after every
    training call and treated as a constant in the penalty.

    Args:
        weight: penalty weight.
        networks: which networks to penalize: "discriminator" and/or "generator".

    Example:
        >>> gan.fit(data, callbacks=[HistoricalAveraging(weight=1e-3)])
    """

    def __init__(self, weight=1e-3, networks=("discriminator", "generator")):
        super().__init__()
        unknown = set(networks) - {"discriminator", "generator"}
        if unknown:
            raise ValueError(f"expected networks among ('discriminator', 'generator'). Received: {sorted(unknown)}")
        self.weight = float(weight)
        self.networks = tuple(networks)
        self.averages = {}

    def on_train_begin(self, logs=None):
        model = self.model
        hooks = {"discriminator": "compute_discriminator_loss", "generator": "compute_generator_loss"}
        self._pairs = []
        for net_name in self.networks:
            variables = getattr(model, net_name).trainable_variables
            if net_name not in self.averages:
                self.averages[net_name] = [tf.Variable(tf.convert_to_tensor(v), trainable=False) for v in variables]
            avgs = self.averages[net_name]
            self._pairs += list(zip(avgs, variables))
            original = getattr(type(model), hooks[net_name]).__get__(model)

            def hooked(*args, _original=original, _variables=variables, _avgs=avgs, **kwargs):
                return _original(*args, **kwargs) + historical_averaging_penalty(_variables, _avgs, self.weight)

            model.__dict__[hooks[net_name]] = hooked
        self._count = tf.Variable(1.0, trainable=False)
        pairs, count = self._pairs, self._count

        @tf.function
        def update():
            count.assign_add(1.0)
            for avg, var in pairs:
                avg.assign_add((tf.cast(var, avg.dtype) - avg) / count)

        self._update = update
        _retrace(model)

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    def on_train_end(self, logs=None):
        for hook in ("compute_discriminator_loss", "compute_generator_loss"):
            self.model.__dict__.pop(hook, None)
        _retrace(self.model)


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
        self._step = 0

    def on_train_begin(self, logs=None):
        from kgen.layers.noise import InstanceNoise

        self._layers = [layer for layer in self.model.discriminator._flatten_layers(include_self=False)  # noqa: SLF001
                        if isinstance(layer, InstanceNoise)]
        if not self._layers:
            raise ValueError("InstanceNoiseSchedule found no kgen.layers.InstanceNoise in the discriminator.")

    def on_train_batch_begin(self, batch, logs=None):
        frac = min(self._step / self.decay_steps, 1.0)
        for layer in self._layers:
            layer.stddev.assign(np.float32(layer.initial_stddev + (self.final - layer.initial_stddev) * frac))
        self._step += 1
