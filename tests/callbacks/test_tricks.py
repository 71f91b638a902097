"""GAN callbacks that update state outside the model: EMA closed form, instance-noise schedule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.callbacks import GeneratorEMA, InstanceNoiseSchedule
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
    assert ema.generate(z).shape == (4, 2) and ema.generate(5).shape == (5, 2)
    assert gan.ema_generator is ema.ema_generator
    assert not np.allclose(np.asarray(ema.generate(z)), np.asarray(gan.generate(z)))


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
