"""SNGAN: hinge losses on known outputs, every critic kernel normalized to spectral norm 1, it trains."""

import numpy as np
import pytest
import tensorflow as tf

from kgen import layers, zoo
from kgen.models.gan import Fakes, GANOutputs


def _sngan():
    return zoo.build("sngan", (8, 8, 1), tiny=True, seed=0)


def test_hinge_losses_of_the_engine_on_known_outputs():
    gan = _sngan()
    real, fake = np.array([[2.0], [0.5], [-1.0]]), np.array([[-2.0], [0.0], [1.5]])
    outputs = GANOutputs("discriminator", None, None, Fakes({}, None), real_outputs=real, fake_outputs=fake)
    d = float(gan.compute_discriminator_loss(outputs)["loss"])
    assert d == pytest.approx(np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean())
    outputs.role = "generator"
    assert float(gan.compute_generator_loss(outputs)["loss"]) == pytest.approx(-fake.mean())


def test_every_critic_layer_is_spectrally_normalized_and_it_trains():
    gan = _sngan()
    wrapped = [l for l in gan.discriminator.layers if isinstance(l, layers.SpectralNormalization)]
    assert len(wrapped) == 1 + 1  # the one conv block at 8x8, and the logit layer
    assert not any("norm" in l.name and not isinstance(l, layers.SpectralNormalization)
                   for l in gan.discriminator.layers)
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    hist = gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), epochs=3, verbose=0).history
    assert set(hist) == {"d_loss", "g_loss"} and np.all(np.isfinite(hist["d_loss"]))
    for layer in wrapped:
        w_sn, _ = layer.normalized_kernel()
        w = np.asarray(w_sn).reshape(-1, w_sn.shape[-1])
        # The power iteration's u has converged over the training steps.
        assert np.linalg.svd(w, compute_uv=False)[0] == pytest.approx(1.0, abs=0.05)
