"""GAN trick callbacks: EMA closed form, replay pool contents, historical-averaging penalty, instance-noise schedule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.callbacks.tricks import (ExperienceReplay, FakeReplayPool, GeneratorEMA, HistoricalAveraging,
                                   InstanceNoiseSchedule)
from kgen.models import GAN
from kgen.networks import build_mlp_discriminator, build_mlp_generator


def _gan(**disc_kwargs):
    keras.utils.set_random_seed(0)
    gan = GAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,), **disc_kwargs), 3, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    return gan


def _data(n=8, batches=1):
    x = np.random.default_rng(0).normal(size=(n * batches, 2)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(n)


def test_generator_ema_closed_form():
    gan = _gan()
    w0 = [v.numpy().copy() for v in gan.generator.trainable_variables]
    ema = GeneratorEMA(decay=0.75)
    gan.fit(_data(), epochs=1, verbose=0, callbacks=[ema])  # one batch
    w1 = [v.numpy() for v in gan.generator.trainable_variables]
    for e, a, b in zip(ema.ema_generator.trainable_variables, w0, w1):
        np.testing.assert_allclose(e.numpy(), 0.75 * a + 0.25 * b, rtol=1e-5, atol=1e-7)
    z = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    assert ema.generate(z).shape == (4, 2)
    assert gan.ema_generator is ema.ema_generator
    assert not np.allclose(np.asarray(ema.generate(z)), np.asarray(gan.generate(z)))


def test_replay_pool_mixes_half_from_past_fakes():
    pool = FakeReplayPool((2,), pool_size=4, replay_fraction=0.5, seed=0)
    first = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    out, _ = pool(first)
    np.testing.assert_array_equal(out.numpy(), first.numpy())  # empty pool: nothing to replay
    second = tf.constant(-np.ones((4, 2), np.float32))
    out, _ = pool(second)
    out = out.numpy()
    np.testing.assert_array_equal(out[:2], -1.0)  # kept half
    assert all(any(np.array_equal(row, f) for f in first.numpy()) for row in out[2:])  # replayed half
    np.testing.assert_array_equal(pool.pool.numpy(), -1.0)  # ring buffer now holds the second batch
    assert int(pool.count.numpy()) == 8


def test_experience_replay_callback_installs_and_removes_the_hook():
    gan = _gan()
    cb = ExperienceReplay(pool_size=16)
    gan.fit(_data(8, 3), epochs=1, verbose=0, callbacks=[cb])
    assert int(cb.pool.count.numpy()) == 24
    assert "fake_replay" not in gan.__dict__
    fake = tf.ones((2, 2))
    assert gan.discriminator_fakes(fake)[0] is fake


def test_historical_averaging_adds_closed_form_penalty_and_tracks_mean():
    gan = _gan()
    cb = HistoricalAveraging(weight=0.5, networks=("discriminator",))
    cb.set_model(gan)
    cb.on_train_begin()
    real = np.zeros((4, 2), np.float32)
    ro = fo = np.zeros((4, 1), np.float32)
    base = float(type(gan).compute_discriminator_loss(gan, real, real, ro, fo))
    n_params = sum(int(np.prod(v.shape)) for v in gan.discriminator.trainable_variables)
    for v in gan.discriminator.trainable_variables:
        v.assign_add(tf.ones_like(v))
    hooked = float(gan.compute_discriminator_loss(real, real, ro, fo))
    assert hooked - base == pytest.approx(0.5 * n_params, rel=1e-5)
    cb.on_train_batch_end(0)  # mean of {theta_0, theta_0 + 1}
    avg, var = cb.averages["discriminator"][0], gan.discriminator.trainable_variables[0]
    np.testing.assert_allclose(avg.numpy(), var.numpy() - 0.5, rtol=1e-6)
    cb.on_train_end()
    assert "compute_discriminator_loss" not in gan.__dict__
    gan.fit(_data(), epochs=1, verbose=0, callbacks=[HistoricalAveraging(1e-3)])  # runs inside fit


def test_instance_noise_schedule_anneals_linearly():
    gan = _gan(instance_noise=0.4)
    layer = gan.discriminator.get_layer("instance_noise")
    cb = InstanceNoiseSchedule(decay_steps=4)
    gan.fit(_data(2, 3), epochs=1, verbose=0, callbacks=[cb])  # batches 0, 1, 2
    assert float(layer.stddev.numpy()) == pytest.approx(0.4 * (1 - 2 / 4))
    gan.fit(_data(2, 3), epochs=1, verbose=0, callbacks=[cb])
    assert float(layer.stddev.numpy()) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="InstanceNoise"):
        _gan().fit(_data(), epochs=1, verbose=0, callbacks=[InstanceNoiseSchedule(4)])


def test_historical_averaging_reaches_the_feature_matching_generator():
    from kgen.models.improved import FeatureMatchingGAN

    keras.utils.set_random_seed(0)
    gan = FeatureMatchingGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,), return_features=True),
                             3, seed=0)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    cb = HistoricalAveraging(weight=1e6, networks=("generator",))
    cb.set_model(gan)
    cb.on_train_begin()
    for v in gan.generator.trainable_variables:
        v.assign_add(tf.ones_like(v))  # 1 away from the average everywhere
    n_params = sum(int(np.prod(v.shape)) for v in gan.generator.trainable_variables)
    real = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    loss = float(gan.feature_matching_step(real))
    # The penalty (1e6 per parameter) dwarfs the feature-matching term (~1e2 here).
    assert loss == pytest.approx(1e6 * n_params, rel=1e-4)
    cb.on_train_end()
    assert float(gan.feature_matching_step(real)) < 1e-3 * 1e6 * n_params


@pytest.mark.parametrize("surrogate", ["value", "unrolled_fakes", "generator_loss"])
def test_historical_averaging_reaches_the_unrolled_generator(surrogate):
    from kgen.models.unrolled import UnrolledGAN

    keras.utils.set_random_seed(0)
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_steps=2,
                      surrogate=surrogate, seed=0)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    cb = HistoricalAveraging(weight=1e6, networks=("generator",))
    cb.set_model(gan)
    cb.on_train_begin()
    for v in gan.generator.trainable_variables:
        v.assign_add(tf.ones_like(v))
    n_params = sum(int(np.prod(v.shape)) for v in gan.generator.trainable_variables)
    real = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    assert float(gan.unrolled_generator_step(real, None)) == pytest.approx(1e6 * n_params, rel=1e-4)
    cb.on_train_end()
    assert float(gan.unrolled_generator_step(real, None)) < 1e-3 * 1e6 * n_params


def test_experience_replay_reaches_the_infogan_discriminator():
    from kgen import zoo

    keras.utils.set_random_seed(0)
    gan = zoo.build("infogan", (2,), tiny=True, seed=0)
    cb = ExperienceReplay(pool_size=16)
    hist = gan.fit(_data(8, 3), epochs=1, verbose=0, callbacks=[cb]).history
    assert int(cb.pool.count.numpy()) == 24  # every discriminator step went through the pool
    assert all(np.isfinite(v[-1]) for v in hist.values())
