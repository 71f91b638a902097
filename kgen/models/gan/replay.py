"""Experience replay: the discriminator trains on a mix of current and past fakes.

Shrivastava et al. (2017) keep a history of refined images and give the
discriminator half of its fake batch from it, so it keeps rejecting old
modes the generator could otherwise cycle back to; CycleGAN keeps a
50-image history the same way (Zhu et al., 2017, Sec. 4).
https://arxiv.org/abs/1612.07828
"""

import keras
import tensorflow as tf

from kgen import distribute

_REPLICA_LOCAL = {"synchronization": "on_read", "aggregation": "only_first_replica"}


@keras.saving.register_keras_serializable(package="kgen")
class ExperienceReplay(keras.layers.Layer):
    """A pool of past fakes the GAN mixes into its discriminator's fake batches.

    Given to the model (`GAN(..., replay=ExperienceReplay(1000))`), it is part
    of it: the pool is a variable of the model (checkpointed, resumed), and
    the engine calls `mix` in every discriminator update. The first `n - k`
    fakes of a batch are kept and the last `k = round(replay_fraction * n)`
    replaced by uniformly drawn pool entries (once the pool holds anything);
    then the current batch is written into the pool as a ring buffer.

    Under a multi-replica strategy every replica keeps its own pool of its
    own fakes (sync-on-read variables: nothing crosses devices, so replay
    adds no collective to the step), and draws with its own stateless seed.

    Args:
        pool_size: number of stored fakes (per replica).
        replay_fraction: fraction of each fake batch taken from the pool.
        seed: seed of the draws.

    Example:
        >>> gan = GAN(g, d, latent_dim=64, replay=ExperienceReplay(pool_size=2048))
    """

    def __init__(self, pool_size=1000, replay_fraction=0.5, seed=None, name="experience_replay", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= float(replay_fraction) <= 1.0:
            raise ValueError(f"expected 0 <= replay_fraction <= 1. Received: {replay_fraction}")
        if int(pool_size) < 1:
            raise ValueError(f"expected pool_size >= 1. Received: {pool_size}")
        self.pool_size = int(pool_size)
        self.replay_fraction = float(replay_fraction)
        self.seed = seed
        self.pool = None
        self.built = True

    def attach(self, model):
        """Create the pool for the model's fakes (and their labels, for a label-conditioned GAN)."""
        if getattr(model, "condition", None) == "image":
            raise ValueError("experience replay cannot serve an image-conditioned discriminator: past fakes "
                             "would be paired with the wrong input images. Use replay with an "
                             "unconditional or label-conditioned discriminator (CycleGAN's are unconditional).")
        self.build_pool(tuple(model.generator.output_shape[1:]),
                        conditional=getattr(model, "condition", None) == "labels")

    def build_pool(self, sample_shape, conditional=False):
        """Create the pool variables for fakes of `sample_shape`."""
        self.pool = keras.Variable(tf.zeros((self.pool_size, *sample_shape)), trainable=False,
                                   name="pool", **_REPLICA_LOCAL)
        self.pool_labels = (keras.Variable(tf.zeros((self.pool_size,), tf.int32), dtype="int32",
                                           trainable=False, name="pool_labels", **_REPLICA_LOCAL)
                            if conditional else None)
        self.count = keras.Variable(0, dtype="int64", trainable=False, name="count", **_REPLICA_LOCAL)

    def mix(self, fake, labels=None):
        """Return `(fakes, labels)` with the last `k` replaced by pooled ones; store the batch.

        Args:
            fake: the current fakes `(n, ...)`.
            labels: their labels `(n,)` for a label-conditioned GAN, else None.
        """
        if self.pool is None:
            raise ValueError("ExperienceReplay has no pool: give it to a GAN (replay=...) or call build_pool().")
        fake = tf.stop_gradient(fake)
        n = tf.shape(fake)[0]
        k = tf.cast(tf.round(self.replay_fraction * tf.cast(n, tf.float32)), tf.int32)
        count = tf.convert_to_tensor(self.count)
        filled = tf.cast(tf.minimum(count, self.pool_size), tf.int32)
        seed = 0 if self.seed is None else int(self.seed)
        draw_seed = tf.stack([tf.cast(seed, tf.int64) * 1_000_003
                              + tf.cast(distribute.replica_id(), tf.int64), count])
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

    def get_config(self):
        return {"name": self.name, "pool_size": self.pool_size, "replay_fraction": self.replay_fraction,
                "seed": self.seed}
