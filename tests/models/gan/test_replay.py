"""Experience replay held by the model: pool contents, every discriminator step goes through it, saved state."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import zoo
from kgen.models.gan import GAN, ExperienceReplay
from kgen.networks import build_mlp_discriminator, build_mlp_generator


def _data(n=8, batches=1):
    x = np.random.default_rng(0).normal(size=(n * batches, 2)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(n)


def test_replay_pool_mixes_half_from_past_fakes():
    replay = ExperienceReplay(pool_size=4, replay_fraction=0.5, seed=0)
    replay.build_pool((2,))
    first = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    out, _ = replay.mix(first)
    np.testing.assert_array_equal(out.numpy(), first.numpy())  # empty pool: nothing to replay
    second = tf.constant(-np.ones((4, 2), np.float32))
    out, _ = replay.mix(second)
    out = out.numpy()
    np.testing.assert_array_equal(out[:2], -1.0)  # kept half
    assert all(any(np.array_equal(row, f) for f in first.numpy()) for row in out[2:])  # replayed half
    np.testing.assert_array_equal(replay.pool.numpy(), -1.0)  # ring buffer now holds the second batch
    assert int(replay.count.numpy()) == 8


def test_every_discriminator_step_goes_through_the_models_pool():
    keras.utils.set_random_seed(0)
    gan = GAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3,
              replay=ExperienceReplay(pool_size=16), seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    gan.fit(_data(8, 3), epochs=1, verbose=0)
    assert int(gan.replay.count.numpy()) == 24
    rebuilt = GAN.from_config(gan.get_config())
    assert rebuilt.replay.pool_size == 16 and rebuilt.replay.pool.shape == (16, 2)


def test_infogan_discriminator_replays_and_q_keeps_current_fakes():
    base = zoo.build("infogan", (2,), tiny=True, seed=0)
    replay = keras.saving.serialize_keras_object(ExperienceReplay(pool_size=16))
    gan = type(base).from_config({**base.get_config(), "replay": replay})  # tricks are set at construction
    gan.compile()
    hist = gan.fit(_data(8, 3), epochs=1, verbose=0).history
    assert int(gan.replay.count.numpy()) == 24  # every discriminator step went through the pool
    assert all(np.isfinite(v[-1]) for v in hist.values())


def test_replay_refuses_an_image_conditioned_discriminator():
    from kgen.models.gan import Reconstruction

    src = keras.Input((4, 4, 1))
    g = keras.Model(src, keras.layers.Conv2D(1, 3, padding="same", activation="tanh")(src))
    x, c = keras.Input((4, 4, 1)), keras.Input((4, 4, 1))
    h = keras.layers.Concatenate()([x, c])
    d = keras.Model([x, c], keras.layers.Dense(1)(keras.layers.Flatten()(h)))
    with pytest.raises(ValueError, match="wrong input images"):
        GAN(g, d, condition="image", penalties=[Reconstruction()], replay=ExperienceReplay(8))
