"""AC-GAN and relativistic losses and combine_adversarial_loss: TF-GAN's cases and closed forms."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from kgen import losses

# TF-GAN's ACGANLossTest.
GEN_LOGITS = np.array([[10.0, 4.4, -5.5, 3.6], [-4.0, 4.4, 5.2, 4.6], [1.1, 2.4, -3.5, 5.6],
                       [1.1, 2.4, -3.5, 5.6]], np.float32)
REAL_LOGITS = np.array([[-2.0, 0.4, 12.5, 2.7], [-1.2, 1.9, 12.3, 2.6], [-2.4, -1.7, 2.5, 2.7],
                        [1.1, 2.4, -3.5, 5.6]], np.float32)
ONE_HOT = np.array([[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0]], np.float32)


def _xent(logits, labels):
    return -(labels * scipy.special.log_softmax(np.asarray(logits, np.float64), axis=-1)).sum(-1)


def test_acgan_losses_tfgan_values_patches_weights_and_reduction():
    assert float(losses.acgan_generator_loss(GEN_LOGITS, ONE_HOT)) == pytest.approx(3.84974, abs=1e-5)
    assert float(losses.acgan_discriminator_loss(REAL_LOGITS, GEN_LOGITS, ONE_HOT)) == pytest.approx(9.43950,
                                                                                                    abs=1e-5)
    patch = lambda x: x.reshape(2, 2, 4)  # noqa: E731
    assert float(losses.acgan_generator_loss(patch(GEN_LOGITS), patch(ONE_HOT))) == pytest.approx(3.84974, abs=1e-5)
    assert float(losses.acgan_discriminator_loss(patch(REAL_LOGITS), patch(GEN_LOGITS), patch(ONE_HOT))) == (
        pytest.approx(9.43950, abs=1e-5))
    assert float(losses.acgan_generator_loss(GEN_LOGITS, ONE_HOT.astype(np.int32), weights=2.3)) == pytest.approx(
        3.84974 * 2.3, abs=1e-4)
    assert float(losses.acgan_discriminator_loss(REAL_LOGITS, GEN_LOGITS, ONE_HOT, real_weights=tf.constant(2.3),
                                                 generated_weights=2.3)) == pytest.approx(9.43950 * 2.3, abs=1e-4)
    assert tuple(losses.acgan_generator_loss(GEN_LOGITS, ONE_HOT, reduction="none").shape) == (4,)
    assert tuple(losses.acgan_discriminator_loss(REAL_LOGITS, GEN_LOGITS, ONE_HOT, reduction="none").shape) == (4,)


def test_acgan_label_smoothing_applies_to_the_real_term_only():
    ls = 0.2
    smoothed = ONE_HOT * (1 - ls) + ls / 4
    expected = _xent(GEN_LOGITS, ONE_HOT).mean() + _xent(REAL_LOGITS, smoothed).mean()
    got = float(losses.acgan_discriminator_loss(REAL_LOGITS, GEN_LOGITS, ONE_HOT, label_smoothing=ls))
    assert got == pytest.approx(expected, rel=1e-5)


REAL = np.array([-5.0, 1.4, 12.5, 2.7], np.float32)
GEN = np.array([10.0, 4.4, -5.5, 3.6], np.float32)


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_relativistic_losses_closed_form_and_shift_invariance():
    real_rel, gen_rel = REAL - GEN.mean(), GEN - REAL.mean()  # D_ra(x, G(z)), D_ra(G(z), x)
    d_expected = _softplus(-real_rel).mean() + _softplus(gen_rel).mean()
    g_expected = _softplus(real_rel).mean() + _softplus(-gen_rel).mean()
    assert float(losses.relativistic_discriminator_loss(REAL, GEN)) == pytest.approx(d_expected, rel=1e-6)
    assert float(losses.relativistic_generator_loss(REAL, GEN)) == pytest.approx(g_expected, rel=1e-6)
    # Only differences of outputs matter: shifting both sets changes nothing.
    assert float(losses.relativistic_discriminator_loss(REAL + 7.0, GEN + 7.0)) == pytest.approx(d_expected,
                                                                                                rel=1e-5)
    zeros = np.zeros((3, 1))
    assert float(losses.relativistic_generator_loss(zeros, zeros)) == pytest.approx(2 * np.log(2.0), rel=1e-6)


def _combine_case(weight_factor, gradient_ratio, tape=None, variables=None):
    return losses.combine_adversarial_loss(
        MAIN(), ADV(), weight_factor=weight_factor, gradient_ratio=gradient_ratio, gradient_ratio_epsilon=1e-6,
        variables=variables, tape=tape)


VAR = tf.Variable(1.0)
MAIN = lambda: VAR * 2  # noqa: E731
ADV = lambda: VAR * 3  # noqa: E731


def test_combine_adversarial_loss_tfgan_values_in_graph_mode():
    fixed = tf.function(lambda: _combine_case(tf.constant(2.0), None, variables=[VAR]))
    assert float(fixed()) == pytest.approx(2.0 + 2.0 * 3.0, abs=1e-5)
    ratio = tf.function(lambda: _combine_case(None, tf.constant(0.5), variables=[VAR]))
    assert float(ratio()) == pytest.approx(2.0 + 2.0 / (3 * 0.5 + 1e-6) * 3.0, abs=1e-5)


def test_combine_adversarial_loss_eagerly_with_a_tape_and_constant_coefficient():
    with tf.GradientTape(persistent=True) as tape:
        combined = losses.combine_adversarial_loss(MAIN(), ADV(), gradient_ratio=0.5, tape=tape)
    # Coefficient 2 / 3 / 0.5 = 4/3: the loss is 2 + 4; its gradient 2 + (4/3) * 3, the coefficient constant.
    assert float(combined) == pytest.approx(6.0, abs=1e-5)
    assert float(tape.gradient(combined, VAR)) == pytest.approx(6.0, abs=1e-5)
    with pytest.raises(RuntimeError, match="tape="):
        losses.combine_adversarial_loss(MAIN(), ADV(), gradient_ratio=0.5, variables=[VAR])


def test_combine_adversarial_loss_zero_weight_shapes_and_argument_errors():
    one = tf.constant(1.0)
    assert float(losses.combine_adversarial_loss(one, one, weight_factor=0.0, gradient_summaries=False)) == 1.0
    assert float(losses.combine_adversarial_loss(one, one, gradient_ratio=0.0, gradient_summaries=False)) == 1.0
    combined = losses.combine_adversarial_loss(tf.ones([5, 4, 3, 2]), tf.ones([5, 3, 2]), weight_factor=1.0,
                                               gradient_summaries=False)
    assert combined.shape == (5,) and np.allclose(combined, 2.0)
    with pytest.raises(ValueError, match="first"):
        losses.combine_adversarial_loss(tf.ones([5, 4, 3, 2]), tf.ones([4, 3, 2]), weight_factor=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        losses.combine_adversarial_loss(one, one)
    with pytest.raises(ValueError, match="exactly one"):
        losses.combine_adversarial_loss(one, one, weight_factor=1.0, gradient_ratio=1.0)


def test_numerically_stable_global_norm():
    tensors = [tf.ones([4]), tf.ones([4, 4]) * 1e19, None]
    assert np.isinf(float(tf.linalg.global_norm(tensors)))
    assert float(losses.numerically_stable_global_norm(tensors)) == pytest.approx(4e19, rel=1e-5)
    rng = np.random.default_rng(1234)
    for _ in range(10):
        sample = [tf.constant(rng.uniform(-10, 10, size=[3] * i), tf.float32) for i in range(6)]
        assert float(losses.numerically_stable_global_norm(sample)) == pytest.approx(
            float(tf.linalg.global_norm(sample)), abs=1e-4 * float(tf.linalg.global_norm(sample)))
    assert losses.numerically_stable_global_norm([None]) == 0.0
