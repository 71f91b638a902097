"""Gradient reversal: identity forward, exactly -lambda times the upstream gradient backward; the lambda schedule."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.layers import GradientReversal, dann_lambda, reverse_gradient


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 2.5])
def test_gradient_is_minus_lambda_times_upstream(lam):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(4, 3)).astype("float32"))
    upstream = tf.constant(rng.normal(size=(4, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = reverse_gradient(x, lam)
        loss = tf.reduce_sum(y * upstream)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), -lam * upstream.numpy(), atol=1e-6)


def test_layer_takes_a_per_call_lambda_and_round_trips():
    layer = GradientReversal(0.5)
    x = tf.constant(np.ones((2, 2), "float32"))
    for lam, expected in ((None, -0.5), (2.0, -2.0)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x) if lam is None else layer(x, lambda_=lam)
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected)
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert again.lambda_ == 0.5


def test_lambda_schedule_closed_form():
    for p in (0.0, 0.1, 0.5, 1.0):
        want = 2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0
        assert dann_lambda(p) == pytest.approx(want)
        assert float(dann_lambda(tf.constant(p))) == pytest.approx(want, rel=1e-6)
    assert dann_lambda(0.0) == 0.0
    assert dann_lambda(1.0) == pytest.approx(0.9999092)
