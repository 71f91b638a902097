"""InfoGAN: the mutual-information term improves and the categorical code becomes predictable from samples."""

import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.models.gan import InfoGAN


def _q_accuracy(gan, per_class=50):
    cats = np.repeat(np.arange(10), per_class)
    samples = gan.generator(gan.make_latent(categorical=[cats]))
    _, features = gan.discriminator(samples)
    logits = gan.q_network(features)[0]
    return float((np.argmax(np.asarray(logits), -1) == cats).mean())


@pytest.mark.slow
def test_information_term_improves_and_categorical_code_is_predictive():
    arr = kgen.data.load_arrays("digits", image_size=8, scale="tanh", labels=False)
    x = arr.x.reshape(len(arr.x), -1)
    keras.utils.set_random_seed(0)
    gan = kgen.zoo.build("infogan", (64,), noise_dim=16, seed=0, steps_per_execution=50)
    assert _q_accuracy(gan) < 0.3
    data = tf.data.Dataset.from_tensor_slices(x).shuffle(2000, seed=0).repeat().batch(64, drop_remainder=True)
    info = gan.fit(data, steps_per_epoch=100, epochs=5, verbose=0).history["info_loss"]
    # At the start, L_MI ~ log(10) + the Gaussian term; the categorical part goes to ~0.
    assert info[-1] < info[0] - 1.0, info
    assert _q_accuracy(gan) > 0.9


def test_latent_layout_make_latent_and_roundtrip():
    gan = kgen.zoo.build("infogan", (8, 8, 1), tiny=True, seed=0)
    assert isinstance(gan, InfoGAN)
    assert gan.latent_dim == 4 + 10 + 2
    z = np.asarray(gan.make_latent(categorical=[np.array([3, 7])], continuous=np.array([[0.5, -0.5]] * 2)))
    assert z.shape == (2, 16)
    np.testing.assert_array_equal(np.argmax(z[:, 4:14], -1), [3, 7])
    np.testing.assert_allclose(z[:, 14:], [[0.5, -0.5]] * 2)
    sampled = np.asarray(gan.sample_latent(500))
    assert np.all(sampled[:, 4:14].sum(-1) == 1) and np.all(np.abs(sampled[:, 14:]) <= 1)
    x = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    q0 = [v.numpy().copy() for v in gan.q_network.trainable_variables]
    hist = gan.fit(tf.data.Dataset.from_tensors(x).repeat(2), epochs=1, verbose=0).history
    assert set(hist) >= {"d_loss", "g_loss", "info_loss"}
    assert any(not np.allclose(v.numpy(), w) for v, w in zip(gan.q_network.trainable_variables, q0))
    path = os.path.join(tempfile.mkdtemp(), "infogan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded.generate(z)), np.asarray(gan.generate(z)), atol=1e-6)
    assert loaded.categorical_dims == (10,) and loaded.continuous_dim == 2
