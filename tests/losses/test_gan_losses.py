"""Closed-form values of the GAN losses, and patch-shaped == flat outputs."""

import math

import keras
import numpy as np
import pytest

from kgen import losses


def softplus(x):
    return math.log1p(math.exp(x))


def test_minimax_discriminator_closed_form_and_one_sided_smoothing():
    real, fake = np.array([[2.0]]), np.array([[-1.0]])
    expected = (2 - 2 * 0.9 + softplus(-2)) + softplus(-1.0)
    got = float(losses.minimax_discriminator_loss(real, fake, label_smoothing=0.1))
    assert got == pytest.approx(expected, rel=1e-5)
    # One-sided: smoothing never touches the fake term.
    fake_only_a = float(losses.minimax_discriminator_loss(np.full((1, 1), 50.0), fake, 0.0))
    fake_only_b = float(losses.minimax_discriminator_loss(np.full((1, 1), 50.0), fake, 0.0))
    assert fake_only_a == pytest.approx(softplus(-1.0), rel=1e-4)
    smoothed_fake_term = float(losses.minimax_discriminator_loss(np.zeros((1, 1)), fake, 0.3)) - math.log(2)
    assert smoothed_fake_term == pytest.approx(fake_only_b, rel=1e-4)


def test_generator_losses_closed_form():
    x = np.array([[1.0], [-2.0]])
    assert float(losses.modified_generator_loss(x)) == pytest.approx(
        (softplus(-1.0) + softplus(2.0)) / 2, rel=1e-5)
    assert float(losses.minimax_generator_loss(x)) == pytest.approx(
        -(softplus(1.0) + softplus(-2.0)) / 2, rel=1e-5)
    with pytest.raises(ValueError, match="never smoothed"):
        losses.minimax_generator_loss(x, label_smoothing=0.1)


def test_label_noise_flips_targets_at_the_given_rate():
    n = 20000
    real, fake = np.full((n, 1), 10.0), np.full((n, 1), -10.0)
    clean = float(losses.noisy_minimax_discriminator_loss(real, fake, label_noise=0.0))
    assert clean == pytest.approx(2 * softplus(-10.0), rel=1e-3)
    noisy = float(losses.noisy_minimax_discriminator_loss(real, fake, label_noise=0.2, seed=1))
    # A flipped target costs ~10 nats; both terms flip with probability 0.2.
    assert noisy == pytest.approx(2 * 0.2 * 10.0, rel=0.05)
    via_minimax = float(losses.minimax_discriminator_loss(real, fake, label_noise=0.2, seed=1))
    assert via_minimax == pytest.approx(noisy, rel=1e-6)
    with pytest.raises(ValueError, match="label_noise"):
        losses.noisy_minimax_discriminator_loss(real, fake, label_noise=0.6)


def test_wasserstein_hinge_least_squares_closed_form():
    real, fake = np.array([[2.0], [0.0]]), np.array([[0.5], [-3.0]])
    assert float(losses.wasserstein_generator_loss(fake)) == pytest.approx(1.25)
    assert float(losses.wasserstein_discriminator_loss(real, fake)) == pytest.approx(-1.25 - 1.0)
    # hinge: relu(1-2)=0, relu(1-0)=1 -> 0.5; relu(1.5)=1.5, relu(-2)=0 -> 0.75
    assert float(losses.wasserstein_hinge_discriminator_loss(real, fake)) == pytest.approx(1.25)
    assert float(losses.wasserstein_hinge_generator_loss(fake)) == pytest.approx(1.25)
    # LS: 0.5*mean((2-1)^2,(0-1)^2)=0.5 ; 0.5*mean(0.25, 9)=2.3125
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(2.8125)
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(
        0.5 * (0.25 + 16.0) / 2)


@pytest.mark.parametrize("name", [
    "minimax_discriminator", "wasserstein_discriminator", "hinge_discriminator",
    "least_squares_discriminator"])
def test_patch_outputs_equal_flat_outputs(name):
    fn = losses.get(name)
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    tile = lambda x: np.tile(x[:, :, None, None], (1, 3, 3, 1)).reshape(4, 3, 3, 1)  # noqa: E731
    assert float(fn(tile(real), tile(fake))) == pytest.approx(float(fn(real, fake)), rel=1e-5)


@pytest.mark.parametrize("name", ["non_saturating", "minimax", "wasserstein_generator",
                                  "hinge_generator", "least_squares_generator"])
def test_generator_patch_equals_flat_and_rank0_rejected(name):
    fn = losses.get(name)
    fake = np.array([[0.3], [-1.2]])
    patch = np.tile(fake[:, :, None, None], (1, 2, 2, 1)).reshape(2, 2, 2, 1)
    assert float(fn(patch)) == pytest.approx(float(fn(fake)), rel=1e-5)
    with pytest.raises(ValueError, match="rank >= 1"):
        fn(np.float32(1.0))


def test_losses_registered_and_serializable():
    for name in ("wasserstein_gradient_penalty", "r1_penalty", "feature_matching",
                 "mutual_information_penalty", "cycle_consistency", "hinge_discriminator"):
        fn = losses.get(name)
        assert keras.saving.deserialize_keras_object(losses.serialize(fn)) is fn
