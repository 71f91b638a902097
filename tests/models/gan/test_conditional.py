"""Conditional GAN: class-k samples are classified as k by a classifier trained on the real digits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.models.gan import ConditionalGAN
from kgen.networks import build_mlp_discriminator, build_mlp_generator


def _digits():
    arr = kgen.data.load_arrays("digits", image_size=8, scale="tanh", labels=True)
    return arr.x.reshape(len(arr.x), -1), arr.y.astype("int32")


@pytest.mark.slow
@pytest.mark.parametrize("conditioning", ["concat", "projection"])
def test_generated_class_k_is_classified_as_k(conditioning):
    from sklearn.linear_model import LogisticRegression

    x, y = _digits()
    clf = LogisticRegression(max_iter=2000).fit(x, y)
    keras.utils.set_random_seed(0)
    gan = kgen.zoo.build("cgan", (64,), num_classes=10, latent_dim=16, learning_rate=1e-3,
                         conditioning=conditioning, seed=0, steps_per_execution=50)
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(2000, seed=0).repeat().batch(64, drop_remainder=True)
    gan.fit(data, steps_per_epoch=1000, epochs=1, verbose=0)
    labels = np.repeat(np.arange(10), 50)
    samples = np.asarray(gan.generate(500, labels=labels))
    accuracy = float((clf.predict(samples) == labels).mean())
    assert accuracy > 0.5, accuracy  # chance: 0.1


def test_conditional_gan_needs_labels_and_two_input_networks():
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalGAN(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4, num_classes=None)
    with pytest.raises(ValueError, match="2 inputs"):
        ConditionalGAN(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4, num_classes=3)
    gan = kgen.zoo.build("cgan", (16, 16, 1), num_classes=3, tiny=True, conditioning="projection")
    names = [layer.name for layer in gan.discriminator.layers]
    assert "projection" in names and any(n.startswith("sn_") for n in names)
    x = np.random.default_rng(0).uniform(-1, 1, (6, 16, 16, 1)).astype("float32")
    hist = gan.fit(tf.data.Dataset.from_tensors((x, np.arange(6) % 3)).repeat(2), epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in hist.values())
    assert tuple(gan.generate(3, labels=np.array([0, 1, 2])).shape) == (3, 16, 16, 1)
