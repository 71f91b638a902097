"""GAN losses: TF-GAN's own test cases (inputs, expected values, tolerances), closed forms, kgen's conventions."""

import math

import keras
import numpy as np
import pytest

from kgen import losses

# TF-GAN's losses_impl_test.py inputs and expected values.
REAL = np.array([-5.0, 1.4, 12.5, 2.7], np.float32)
GEN = np.array([10.0, 4.4, -5.5, 3.6], np.float32)
TFGAN_WEIGHT = 2.3
TFGAN_CASES = {
    # name: (generator loss, discriminator loss, expected G, expected D)
    "least_squares": (losses.least_squares_generator_loss, losses.least_squares_discriminator_loss,
                      17.69625, 41.73375),
    "modified": (losses.modified_generator_loss, losses.modified_discriminator_loss, 1.38582, 6.19637),
    "minimax": (losses.minimax_generator_loss, losses.minimax_discriminator_loss, -4.82408, 6.19637),
    "wasserstein": (losses.wasserstein_generator_loss, losses.wasserstein_discriminator_loss, -3.125, 0.225),
    "hinge": (losses.wasserstein_hinge_generator_loss, losses.wasserstein_hinge_discriminator_loss, -3.125, 6.75),
}


def softplus(x):
    return math.log1p(math.exp(x))


@pytest.mark.parametrize("case", sorted(TFGAN_CASES))
def test_tfgan_expected_values_patch_shapes_and_scalar_weights(case):
    g_fn, d_fn, g_expected, d_expected = TFGAN_CASES[case]
    assert float(g_fn(GEN)) == pytest.approx(g_expected, abs=1e-5)
    assert float(d_fn(REAL, GEN)) == pytest.approx(d_expected, abs=1e-5)
    # PatchGAN-shaped outputs, and a (1, 4) batch with unit tensor weights.
    assert float(g_fn(GEN.reshape(2, 2))) == pytest.approx(g_expected, abs=1e-5)
    assert float(d_fn(REAL.reshape(2, 2), GEN.reshape(2, 2))) == pytest.approx(d_expected, abs=1e-5)
    ones = np.ones((1, 4), np.float32)
    assert float(g_fn(GEN[None], weights=ones)) == pytest.approx(g_expected, abs=1e-5)
    assert float(d_fn(REAL[None], GEN[None], real_weights=ones, generated_weights=ones)) == pytest.approx(
        d_expected, abs=1e-5)
    # Python and tensor scalar weights multiply the loss.
    for w in (TFGAN_WEIGHT, keras.ops.convert_to_tensor(TFGAN_WEIGHT)):
        assert float(g_fn(GEN, weights=w)) == pytest.approx(g_expected * TFGAN_WEIGHT, abs=1e-4)
        assert float(d_fn(REAL, GEN, real_weights=w, generated_weights=w)) == pytest.approx(
            d_expected * TFGAN_WEIGHT, abs=1e-4)
    # No reduction: one value per element.
    assert tuple(g_fn(GEN, reduction=losses.Reduction.NONE).shape) == (4,)
    assert tuple(d_fn(REAL, GEN, reduction="none").shape) == (4,)
    assert g_fn(GEN).dtype == "float32"


def test_tfgan_label_smoothing_moves_real_targets_to_one_minus_half_ls():
    # tf.losses.sigmoid_cross_entropy smooths labels to t * (1 - ls) + ls / 2.
    assert float(losses.minimax_discriminator_loss(REAL, GEN, label_smoothing=0.25)) == pytest.approx(6.19637,
                                                                                                       abs=1e-5)
    assert float(losses.modified_generator_loss(GEN, label_smoothing=0.25)) == pytest.approx(1.77645, abs=1e-5)
    real, fake = np.array([2.0]), np.array([-1.0])
    expected = (2 - 2 * 0.8 + softplus(-2)) + softplus(-1.0)  # ls = 0.4: real target 0.8
    assert float(losses.minimax_discriminator_loss(real, fake, label_smoothing=0.4)) == pytest.approx(
        expected, rel=1e-6)
    assert float(losses.minimax_discriminator_loss(real, fake)) == pytest.approx(  # default 0.25: 0.875
        (2 - 2 * 0.875 + softplus(-2)) + softplus(-1.0), rel=1e-6)


def test_minimax_generator_loss_includes_tfgan_constant_and_keeps_the_gradient():
    x = np.array([[1.0], [-2.0]], np.float32)
    constant = softplus(-1.0)  # the real term at an output of 1 (target 1)
    assert float(losses.minimax_generator_loss(x)) == pytest.approx(
        -(constant + (softplus(1.0) + softplus(-2.0)) / 2), rel=1e-6)
    import tensorflow as tf

    v = tf.Variable(x)
    with tf.GradientTape(persistent=True) as tape:
        tfgan = losses.minimax_generator_loss(v)
        bare = -tf.reduce_mean(tf.nn.softplus(v))  # log(1 - sigmoid(v))
    np.testing.assert_allclose(tape.gradient(tfgan, v), tape.gradient(bare, v), rtol=1e-6)


def test_zero_weights_average_over_the_nonzero_weights():
    w = np.array([1.0, 1.0, 0.0, 0.0], np.float32)
    assert float(losses.wasserstein_generator_loss(GEN, weights=w)) == pytest.approx(-7.2, rel=1e-6)
    assert float(losses.least_squares_discriminator_loss(REAL, GEN, real_weights=w)) == pytest.approx(
        29.36125, rel=1e-6)
    assert float(losses.minimax_discriminator_loss(REAL, GEN, generated_weights=w, label_smoothing=0)) == (
        pytest.approx(8.52917, rel=1e-5))
    # Per-example weights (N,) broadcast over a PatchGAN's patch axes.
    patches = np.tile(GEN[:, None, None, None], (1, 2, 2, 1))
    assert float(losses.wasserstein_generator_loss(patches, weights=w)) == pytest.approx(-7.2, rel=1e-6)
    assert float(losses.wasserstein_generator_loss(GEN, weights=0.0)) == 0.0


def test_hinge_margins_and_least_squares_labels():
    real, fake = np.array([[2.0], [0.0]]), np.array([[0.5], [-3.0]])
    # hinge 1: relu(1-2)=0, relu(1-0)=1 -> 0.5; relu(1.5)=1.5, relu(-2)=0 -> 0.75
    assert float(losses.wasserstein_hinge_discriminator_loss(real, fake)) == pytest.approx(1.25)
    # hinges 3 and 0: relu(3-2)=1, relu(3)=3 -> 2; relu(0.5)=0.5, relu(-3)=0 -> 0.25
    assert float(losses.wasserstein_hinge_discriminator_loss(real, fake, real_hinge=3.0, generated_hinge=0.0)) == (
        pytest.approx(2.25))
    # LS with labels 2 / -1: 0.5*mean(0, 4) = 1 ; 0.5*mean(2.25, 4) = 1.5625
    assert float(losses.least_squares_discriminator_loss(real, fake, real_label=2, fake_label=-1)) == (
        pytest.approx(2.5625))


def test_one_sided_smoothing_is_kgen_convention_and_gan_default():
    real, fake = np.array([[2.0]]), np.array([[-1.0]])
    expected = (2 - 2 * 0.9 + softplus(-2)) + softplus(-1.0)  # real target 1 - 0.1
    got = float(losses.one_sided_minimax_discriminator_loss(real, fake, label_smoothing=0.1))
    assert got == pytest.approx(expected, rel=1e-5)
    # Smoothing never touches the fake term (a zero logit costs log 2 at any target); none by default.
    smoothed_fake_term = float(losses.one_sided_minimax_discriminator_loss(np.zeros((1, 1)), fake, 0.3)) - math.log(2)
    assert smoothed_fake_term == pytest.approx(softplus(-1.0), rel=1e-4)
    assert float(losses.one_sided_minimax_discriminator_loss(REAL, GEN)) == pytest.approx(
        float(losses.minimax_discriminator_loss(REAL, GEN, label_smoothing=0.0)), rel=1e-7)
    # The models' registry name keeps the one-sided loss (GAN's label_smoothing convention).
    assert losses.get("minimax_discriminator") is losses.one_sided_minimax_discriminator_loss
    assert losses.get("minimax_discriminator_loss") is losses.minimax_discriminator_loss


def test_label_noise_flips_targets_at_the_given_rate():
    n = 20000
    real, fake = np.full((n, 1), 10.0), np.full((n, 1), -10.0)
    clean = float(losses.noisy_minimax_discriminator_loss(real, fake, label_noise=0.0))
    assert clean == pytest.approx(2 * softplus(-10.0), rel=1e-3)
    noisy = float(losses.noisy_minimax_discriminator_loss(real, fake, label_noise=0.2, seed=1))
    # A flipped target costs ~10 nats; both terms flip with probability 0.2.
    assert noisy == pytest.approx(2 * 0.2 * 10.0, rel=0.05)
    via_one_sided = float(losses.one_sided_minimax_discriminator_loss(real, fake, label_noise=0.2, seed=1))
    assert via_one_sided == pytest.approx(noisy, rel=1e-6)
    with pytest.raises(ValueError, match="label_noise"):
        losses.noisy_minimax_discriminator_loss(real, fake, label_noise=0.6)


@pytest.mark.parametrize("name", [
    "minimax_discriminator", "minimax_discriminator_loss", "wasserstein_discriminator", "hinge_discriminator",
    "least_squares_discriminator", "relativistic_discriminator"])
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
    for name in ("wasserstein_gradient_penalty", "gradient_penalty", "r1_penalty", "feature_matching",
                 "mutual_information_penalty", "summed_mutual_information_penalty", "cycle_consistency",
                 "hinge_discriminator", "minimax_discriminator", "minimax_discriminator_loss",
                 "modified_discriminator_loss", "acgan_discriminator", "acgan_generator",
                 "relativistic_discriminator", "relativistic_generator"):
        fn = losses.get(name)
        assert keras.saving.deserialize_keras_object(losses.serialize(fn)) is fn


def test_configs_saved_before_tfgan_parity_load_the_one_sided_loss():
    # GAN configs written before TF-GAN parity serialized the then one-sided
    # minimax loss under this name; they must not pick up TF-GAN's 0.25 smoothing.
    old = {"module": "builtins", "class_name": "function", "config": "kgen>minimax_discriminator_loss",
           "registered_name": "function"}
    assert losses.get(old) is losses.one_sided_minimax_discriminator_loss
    assert losses.serialize(losses.minimax_discriminator_loss)["config"] == "kgen>tfgan_minimax_discriminator_loss"
