"""Gradient penalties (TF-GAN's cases and critics with analytically known gradients) and auxiliary losses."""

import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import losses


def linear_critic(w):
    w = tf.constant(w, tf.float32)
    return lambda x: tf.reduce_sum(tf.reshape(x, (tf.shape(x)[0], -1)) * w, axis=1, keepdims=True) + 3.0


@pytest.mark.parametrize("norm,one_sided,expected", [
    (2.0, False, 10.0 * 1.0),   # (2-1)^2 * 10
    (0.5, False, 10.0 * 0.25),  # (0.5-1)^2 * 10
    (0.5, True, 0.0),           # below the target: no one-sided penalty
    (3.0, True, 10.0 * 4.0),
])
def test_gradient_penalty_on_linear_critic(norm, one_sided, expected):
    d = 6
    w = np.full((d,), norm / math.sqrt(d), np.float32)
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, d)).astype("float32"), rng.normal(size=(8, d)).astype("float32")
    gp = losses.gradient_penalty(real, fake, linear_critic(w), one_sided=one_sided, seed=0)
    assert float(gp) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_gradient_penalty_image_shaped_and_patch_critic():
    w = np.full((2, 2, 1), 1.0, np.float32)  # ||w|| = 2
    critic = lambda x: tf.tile(tf.reduce_sum(x * w, axis=[1, 2, 3])[:, None, None, None] / 4.0,  # noqa: E731
                               (1, 2, 2, 1))  # PatchGAN: 4 patches summing to w.x
    real = np.zeros((3, 2, 2, 1), np.float32)
    gp = losses.gradient_penalty(real, real + 1.0, critic, gradient_penalty_weight=1.0)
    assert float(gp) == pytest.approx(1.0, rel=1e-4)


def test_interpolation_weight_is_uniform_on_the_segment():
    # Critic 0.5*||x||^2 has gradient x_hat = alpha * fake (real = 0, ||fake|| = 1):
    # the norm is alpha itself.
    n, d = 20000, 2
    fake = np.tile(np.array([[0.6, 0.8]], np.float32), (n, 1))
    critic = lambda x: 0.5 * tf.reduce_sum(x * x, axis=1, keepdims=True)  # noqa: E731
    gp = losses.gradient_penalty(np.zeros_like(fake), fake, critic,
                                             gradient_penalty_weight=1.0, seed=3)
    assert float(gp) == pytest.approx(1.0 / 3.0, abs=0.01)  # E[(U-1)^2] = 1/3 (normal: 2)
    one = losses.gradient_penalty(np.zeros_like(fake), fake, critic, one_sided=True, seed=3)
    assert float(one) == pytest.approx(0.0, abs=1e-6)  # alpha <= 1 always


def test_gradient_penalty_gradient_is_finite_at_a_zero_gradient_critic():
    w = tf.Variable(tf.zeros((4,)))
    critic = lambda x: tf.reduce_sum(x * w, axis=1, keepdims=True)  # noqa: E731
    x = np.ones((5, 4), np.float32)
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(x, -x, critic, seed=0)
    grad = tape.gradient(gp, w)
    assert np.isfinite(float(gp)) and np.all(np.isfinite(grad.numpy()))
    assert float(gp) == pytest.approx(10.0, rel=1e-4)


def test_gradient_penalty_finite_under_mixed_float16():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(16, 8)).astype("float32"), rng.normal(size=(16, 8)).astype("float32")
    values = {}
    for policy in ("float32", "mixed_float16"):
        keras.config.set_dtype_policy(policy)
        try:
            keras.utils.set_random_seed(0)
            critic = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"),
                                       keras.layers.Dense(1, dtype="float32")])
            with tf.GradientTape() as tape:
                gp = losses.gradient_penalty(real, fake, critic, seed=5)
            grads = tape.gradient(gp, critic.trainable_variables)
            # The output bias does not change input gradients: its gradient is None.
            assert all(g is not None for g in grads[:-1]) and grads[-1] is None
            assert all(np.all(np.isfinite(np.asarray(g, np.float32))) for g in grads[:-1])
            values[policy] = float(gp)
        finally:
            keras.config.set_dtype_policy("float32")
    assert np.isfinite(values["mixed_float16"])
    assert values["mixed_float16"] == pytest.approx(values["float32"], rel=0.02)


def test_r1_penalty_linear_critic():
    w = np.array([1.0, 2.0, 2.0], np.float32)  # ||w||^2 = 9
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    assert float(losses.r1_penalty(x, linear_critic(w), gamma=2.0)) == pytest.approx(9.0, rel=1e-5)


# TF-GAN's GradientPenaltyTest: D(x) = 2x on one 4-d example, ||grad|| = 4.
TFGAN_REAL = np.array([[-12.3, 23.2, 16.3, -43.2]], np.float32)
TFGAN_GEN = np.array([[3.1, 2.3, -12.3, 32.1]], np.float32)


def tfgan_critic(x, generator_inputs):
    return 2.0 * x


def test_tfgan_gradient_penalty_values_signature_and_reductions():
    args = (TFGAN_REAL, TFGAN_GEN, None, tfgan_critic, None)
    assert float(losses.wasserstein_gradient_penalty(*args)) == pytest.approx(9.0, abs=1e-6)  # (4 - 1)^2
    assert float(losses.wasserstein_gradient_penalty(*args, one_sided=True)) == pytest.approx(9.0, abs=1e-5)
    assert float(losses.wasserstein_gradient_penalty(*args, target=2.0)) == pytest.approx(1.0, abs=1e-5)
    assert float(losses.wasserstein_gradient_penalty(*args, weights=2.3)) == pytest.approx(9.0 * 2.3, abs=1e-3)
    assert float(losses.wasserstein_gradient_penalty(*args, weights=tf.constant(2.3))) == pytest.approx(
        9.0 * 2.3, abs=1e-3)
    assert tuple(losses.wasserstein_gradient_penalty(*args, reduction="none").shape) == (1,)
    kwargs = dict(real_data=TFGAN_REAL, generated_data=TFGAN_GEN, generator_inputs=None,
                  discriminator_fn=tfgan_critic, discriminator_scope=None)
    assert float(losses.wasserstein_gradient_penalty(**kwargs)) == pytest.approx(9.0, abs=1e-6)
    # AC-GAN discriminators return a tuple: the first output is penalized.
    two_heads = lambda x, _: (2.0 * x, 5.0 * x)  # noqa: E731
    assert float(losses.wasserstein_gradient_penalty(TFGAN_REAL, TFGAN_GEN, None, two_heads, None)) == (
        pytest.approx(9.0, abs=1e-6))


def test_tfgan_gradient_penalty_passes_generator_inputs_to_the_discriminator():
    seen = []

    def critic(x, conditioning):
        seen.append(conditioning)
        return x * conditioning

    gp = losses.wasserstein_gradient_penalty(TFGAN_REAL, TFGAN_GEN, tf.constant(3.0), critic, None)
    assert float(gp) == pytest.approx((6.0 - 1.0) ** 2, rel=1e-6)  # ||grad|| = 3 * 2
    assert float(seen[0]) == 3.0


def test_kgen_former_penalty_call_still_works_with_a_warning_and_lambda_inside():
    critic = lambda x: 2.0 * x  # noqa: E731
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = losses.wasserstein_gradient_penalty(TFGAN_REAL, TFGAN_GEN, critic, gradient_penalty_weight=10.0,
                                                  seed=0)
    assert float(old) == pytest.approx(90.0, rel=1e-6)
    assert any(issubclass(w.category, DeprecationWarning) and "gradient_penalty" in str(w.message) for w in caught)
    assert float(losses.gradient_penalty(TFGAN_REAL, TFGAN_GEN, critic, seed=0)) == pytest.approx(90.0, rel=1e-6)
    with pytest.raises(TypeError, match="no gradient_penalty_weight"):
        losses.wasserstein_gradient_penalty(TFGAN_REAL, TFGAN_GEN, None, tfgan_critic, None,
                                            gradient_penalty_weight=10.0)
    with pytest.raises(TypeError, match="needs discriminator_fn"):
        losses.wasserstein_gradient_penalty(TFGAN_REAL, TFGAN_GEN, None)


def test_penalty_alphas_follow_the_seed():
    critic = lambda x: 0.5 * tf.reduce_sum(x * x, axis=1, keepdims=True)  # noqa: E731  grad = x_hat
    real, fake = np.zeros((64, 2), np.float32), np.ones((64, 2), np.float32)
    a = losses.wasserstein_gradient_penalty(real, fake, None, lambda x, _: critic(x), None, reduction="none",
                                            seed=7)
    b = losses.gradient_penalty(real, fake, critic, 1.0, reduction="none", seed=7)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    c = losses.gradient_penalty(real, fake, critic, 1.0, reduction="none", seed=8)
    assert not np.allclose(b.numpy(), c.numpy())


def test_tfgan_mutual_information_penalty_averages_codes():
    codes = [1.0, 2.0]
    dists = [tfp.distributions.Categorical(logits=[1.0, 2.0]), tfp.distributions.Normal([0.0], [1.0])]
    assert float(losses.mutual_information_penalty(codes, dists)) == pytest.approx(1.61610, abs=1e-5)
    assert float(losses.mutual_information_penalty(codes, dists, weights=2.3)) == pytest.approx(
        1.61610 * 2.3, abs=1e-3)
    assert tuple(losses.mutual_information_penalty(codes, dists, reduction="none").shape) == (2,)
    # kgen's InfoGAN form sums over codes (and code dimensions).
    assert float(losses.summed_mutual_information_penalty(codes, dists)) == pytest.approx(2 * 1.61610, abs=1e-5)
    with pytest.raises(ValueError, match="one predicted distribution per structured input"):
        losses.mutual_information_penalty(codes, dists[:1])
    with pytest.raises(ValueError, match="list of distributions"):
        losses.mutual_information_penalty(codes, [1.0, 2.0])


def test_feature_matching_mutual_information_cycle_historical():
    real = np.array([[1.0, 2.0], [3.0, 2.0]])  # mean (2, 2)
    fake = np.array([[0.0, 0.0], [0.0, 2.0]])  # mean (0, 1)
    assert float(losses.feature_matching_generator_loss(real, fake)) == pytest.approx(5.0)
    assert float(losses.feature_matching_generator_loss(
        [real, real[:, :1]], [fake, fake[:, :1]])) == pytest.approx(5.0 + 4.0)
    codes = np.array([0, 3, 1])
    q = tfp.distributions.Categorical(logits=tf.zeros((3, 4)))
    assert float(losses.summed_mutual_information_penalty([codes], [q])) == pytest.approx(math.log(4), rel=1e-5)
    assert float(losses.mutual_information_penalty([codes], [q])) == pytest.approx(math.log(4), rel=1e-5)
    cont = tfp.distributions.Normal(tf.zeros((3, 2)), 1.0)
    x = np.zeros((3, 2), np.float32)
    assert float(losses.summed_mutual_information_penalty([x], [cont])) == pytest.approx(
        math.log(2 * math.pi), rel=1e-5)  # 2 dims * 0.5*log(2 pi)
    assert float(losses.mutual_information_penalty([x], [cont])) == pytest.approx(
        0.5 * math.log(2 * math.pi), rel=1e-5)  # TF-GAN: mean over the dims
    # TF-GAN's CycleConsistencyLossTest.
    assert float(losses.cycle_consistency_loss([[1.0, 2, 3], [4, 5, 6]], [[7.0, 8, 9], [10, 11, 12]],
                                               [1.0, 9], [-2.0, 3])) == pytest.approx(5.25, abs=1e-5)
    assert float(losses.cycle_consistency_loss([[1.0]], [[0.0]], [[2.0]], [[2.5]])) == pytest.approx(0.75)
    assert float(losses.historical_averaging_penalty([np.array([1.0, 2.0])], [np.array([0.0, 0.0])],
                                                     weight=0.5)) == pytest.approx(2.5)
