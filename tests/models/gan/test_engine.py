"""The GAN engine: training step, conditions (labels, images), d_steps, config round-trip, errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import losses
from kgen.models import GAN
from kgen.networks import build_dcgan_discriminator, build_dcgan_generator

SHAPE = (8, 8, 1)


def _gan(num_classes=None, d_steps=1, **kw):
    keras.utils.set_random_seed(0)
    g = build_dcgan_generator(4, SHAPE, base_filters=8, num_classes=num_classes)
    d = build_dcgan_discriminator(SHAPE, base_filters=8, num_classes=num_classes)
    gan = GAN(g, d, latent_dim=4, num_classes=num_classes, d_steps=d_steps, seed=7, **kw)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    return gan


def _x(n=8):
    return np.random.default_rng(0).uniform(-1, 1, (n,) + SHAPE).astype("float32")


def test_one_step_updates_both_networks_and_reports_losses():
    gan = _gan()
    g0 = [w.numpy() for w in gan.generator.trainable_weights]
    d0 = [w.numpy() for w in gan.discriminator.trainable_weights]
    logs = gan.train_on_batch(_x(), return_dict=True)
    assert set(logs) == {"d_loss", "g_loss"} and all(np.isfinite(v) for v in logs.values())
    assert any(np.abs(a - b.numpy()).max() > 0 for a, b in zip(g0, gan.generator.trainable_weights))
    assert any(np.abs(a - b.numpy()).max() > 0 for a, b in zip(d0, gan.discriminator.trainable_weights))


def test_d_steps_split_the_batch_into_critic_steps():
    gan = _gan(d_steps=2)
    gan.train_on_batch(_x(8))
    assert int(gan.d_optimizer.iterations.numpy()) == 2
    assert int(gan.g_optimizer.iterations.numpy()) == 1
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="batch size must be a multiple of 2"):
        gan.train_on_batch(_x(7))


def test_conditional_gan_needs_labels_and_generates_by_class():
    gan = _gan(num_classes=3)
    x, y = _x(), np.arange(8, dtype="int32") % 3
    logs = gan.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["d_loss"])
    with pytest.raises(ValueError, match="expected batches of \\(images, labels\\)"):
        gan.train_on_batch(x)
    z = np.zeros((2, 4), "float32")
    a = gan.generate(z, labels=np.array([0, 0]))
    b = gan.generate(z, labels=np.array([1, 1]))
    assert a.shape == (2,) + SHAPE and np.abs(np.asarray(a) - np.asarray(b)).max() > 0
    with pytest.raises(ValueError, match=r"expected labels in \[0, 3\). Received: min=0, max=5"):
        gan.generate(z, labels=np.array([0, 5]))


def test_generate_checks_latent_shape_and_conditioning():
    gan = _gan()
    assert gan.generate(5).shape == (5,) + SHAPE
    out = np.asarray(gan.generate(np.zeros((3, 4), "float32")))
    assert out.min() >= -1 and out.max() <= 1
    with pytest.raises(ValueError, match=r"expected latent of shape \(3, 4\). Received: shape=\(3, 5\)"):
        gan.generate(np.zeros((3, 5), "float32"))
    with pytest.raises(ValueError, match="this model is unconditional"):
        gan.generate(2, labels=[0, 1])


def test_sample_latent_is_seeded_and_advances():
    a, b = _gan(), _gan()
    za1, zb1 = a.sample_latent(4), b.sample_latent(4)
    np.testing.assert_array_equal(za1, zb1)
    assert np.abs(np.asarray(a.sample_latent(4)) - np.asarray(za1)).max() > 0


def test_losses_and_settings_survive_save_and_load(tmp_path):
    gan = _gan(d_steps=2, generator_loss="minimax", label_smoothing=0.1)
    gan.train_on_batch(_x())
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, GAN)
    assert loaded.generator_loss_fn is losses.minimax_generator_loss
    assert (loaded.d_steps, loaded.label_smoothing, loaded.latent_dim) == (2, 0.1, 4)
    z = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(loaded.generate(z), gan.generate(z), atol=1e-6)


def test_bad_settings_are_named():
    g = build_dcgan_generator(4, SHAPE, base_filters=8)
    d = build_dcgan_discriminator(SHAPE, base_filters=8)
    with pytest.raises(ValueError, match="expected d_steps >= 1. Received: d_steps=0"):
        GAN(g, d, 4, d_steps=0)
    with pytest.raises(ValueError, match="unknown loss 'wasserstein_typo'"):
        GAN(g, d, 4, generator_loss="wasserstein_typo")
    with pytest.raises(ValueError, match="compile"):
        GAN(g, d, 4).train_on_batch(_x())
    with pytest.raises(ValueError, match="label_smoothing=0.1 needs .*wasserstein_discriminator_loss takes no"):
        GAN(g, d, 4, discriminator_loss="wasserstein_discriminator", label_smoothing=0.1)
    with pytest.raises(ValueError, match="square power-of-two image size"):
        build_dcgan_generator(4, (12, 12, 1))


def test_mixed_precision_wraps_each_optimizer():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        gan = _gan()
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
        logs = gan.train_on_batch(_x(), return_dict=True)
        assert all(np.isfinite(v) for v in logs.values())
        assert gan.generator.output.dtype == "float32"
    finally:
        keras.config.set_dtype_policy("float32")


def test_resize_upsampling_builder_and_sizes():
    for size in (4, 8, 32):
        g = build_dcgan_generator(4, (size, size, 3), base_filters=8, upsample="resize")
        d = build_dcgan_discriminator((size, size, 3), base_filters=8)
        assert g.output_shape == (None, size, size, 3) and d.output_shape == (None, 1)
    assert not any(isinstance(l, keras.layers.Conv2DTranspose)
                   for l in build_dcgan_generator(4, (16, 16, 1), upsample="resize").layers)
    assert tf.is_tensor(g(np.zeros((1, 4), "float32")))


def test_loaded_gan_is_compiled_with_both_optimizers(tmp_path):
    gan = _gan()
    gan.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras")
    assert isinstance(loaded.d_optimizer, keras.optimizers.SGD)
    assert float(loaded.g_optimizer.learning_rate.numpy()) == pytest.approx(0.1)
    logs = loaded.train_on_batch(_x(), return_dict=True)
    assert np.isfinite(logs["g_loss"])


def _translator(latent_dim=0):
    """A tiny pix2pix-style pair: G maps an 8x8 image (and noise) to an image, D judges [image, input]."""
    src = keras.Input(SHAPE, name="condition")
    inputs = [src]
    h = src
    if latent_dim:
        z = keras.Input((latent_dim,), name="latent")
        zmap = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64)(z))
        h = keras.layers.Concatenate()([h, zmap])
        inputs = [z, src]
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(h)
    out = keras.layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32")(h)
    g = keras.Model(inputs if latent_dim else src, out, name="generator")
    x, c = keras.Input(SHAPE, name="images"), keras.Input(SHAPE, name="condition")
    h = keras.layers.Conv2D(4, 4, strides=2, padding="same")(keras.layers.Concatenate()([x, c]))
    patch = keras.layers.Conv2D(1, 3, padding="same", dtype="float32")(keras.layers.LeakyReLU(0.2)(h))
    return g, keras.Model([x, c], patch, name="discriminator")


def test_image_conditioned_gan_learns_a_paired_translation():
    from kgen.models.gan import Reconstruction

    keras.utils.set_random_seed(0)
    g, d = _translator()
    gan = GAN(g, d, condition="image", penalties=[Reconstruction(100.0)], seed=0)
    gan.compile(keras.optimizers.Adam(2e-3, 0.5), keras.optimizers.Adam(2e-3, 0.5))
    assert not gan.prior and gan.latent_dim is None
    src = _x(64)
    target = -src  # the task: invert the image
    data = tf.data.Dataset.from_tensor_slices((src, target)).batch(16).repeat()
    before = float(np.mean(np.abs(np.asarray(gan.translate(src)) - target)))
    hist = gan.fit(data, steps_per_epoch=40, epochs=2, verbose=0).history
    after = float(np.mean(np.abs(np.asarray(gan.translate(src)) - target)))
    assert set(hist) == {"d_loss", "g_loss", "reconstruction_loss"}
    assert after < 0.5 * before, (before, after)
    (endpoint,) = gan.export_endpoints()
    assert endpoint.name == "translate" and [s.role for s in endpoint.inputs] == ["image"]
    with pytest.raises(ValueError, match=r"\(input_images, target_images\)"):
        gan.train_on_batch(src)
    with pytest.raises(ValueError, match="rank 4"):
        gan.translate(src[0])


def test_image_conditioned_gan_with_noise_takes_latent_and_condition():
    keras.utils.set_random_seed(0)
    g, d = _translator(latent_dim=3)
    gan = GAN(g, d, latent_dim=3, condition="image", seed=0)
    gan.compile()
    src = _x(8)
    logs = gan.train_on_batch(src, -src, return_dict=True)
    assert np.isfinite(logs["g_loss"])
    a = np.asarray(gan.translate(src, z=np.zeros((8, 3), "float32")))
    b = np.asarray(gan.translate(src, z=np.ones((8, 3), "float32")))
    assert a.shape == (8,) + SHAPE and np.abs(a - b).max() > 0
    assert [s.name for s in gan.export_endpoints()[0].inputs] == ["latent", "images"]
