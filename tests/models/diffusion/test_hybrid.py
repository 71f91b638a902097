"""The hybrid loss with learned variances (Nichol & Dhariwal 2021): closed forms, stop-gradient, sampler, bound."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.losses.diffusion import hybrid_loss, learned_log_variance, vlb_term_bits
from kgen.models.diffusion import DDPM, samplers
from kgen.models.diffusion.schedules import Schedule, spaced_timesteps
from kgen.networks import build_unet


def _erf_cdf(x):
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def test_learned_log_variance_interpolates_between_beta_tilde_and_beta():
    log_beta, log_tilde = np.log(0.02), np.log(0.005)
    got = learned_log_variance(tf.constant([-1.0, 0.0, 1.0, 0.5]), log_beta, log_tilde).numpy()
    np.testing.assert_allclose(got, [log_tilde, 0.5 * (log_beta + log_tilde), log_beta,
                                     0.75 * log_beta + 0.25 * log_tilde], rtol=1e-6)


def test_vlb_term_is_the_gaussian_kl_or_the_decoder_nll_in_bits_per_dim():
    rng = np.random.default_rng(0)
    x0 = (np.round((rng.uniform(-1, 1, (2, 4, 4, 1)) + 1) * 127.5) / 127.5 - 1).astype(np.float32)
    mq = rng.normal(size=x0.shape).astype(np.float32)
    # A reverse mean near the data: bins with non-negligible mass (no float32 underflow to compare).
    mp = (x0 + rng.normal(0, 0.02, x0.shape)).astype(np.float32)
    lq = np.full(x0.shape, np.log(0.01), np.float32)
    lp = rng.uniform(-6, -3, x0.shape).astype(np.float32)
    got = vlb_term_bits(tf.constant(x0), mq, lq, mp, lp, tf.constant([False, True])).numpy()
    kl = 0.5 * (-1 + lp - lq + np.exp(lq - lp) + (mq - mp) ** 2 / np.exp(lp))
    assert got[0] == pytest.approx(kl[0].mean() / math.log(2), rel=1e-5)
    # t = 0: -log of the Gaussian's mass on each pixel's 8-bit bin (edges to +-inf).
    sd, half = np.exp(0.5 * lp[1]), 1 / 255
    upper = np.where(x0[1] > 1 - half, 1.0, _erf_cdf((x0[1] + half - mp[1]) / sd))
    lower = np.where(x0[1] < -1 + half, 0.0, _erf_cdf((x0[1] - half - mp[1]) / sd))
    assert got[1] == pytest.approx(-np.log(np.maximum(upper - lower, 1e-12)).mean() / math.log(2), rel=1e-4)
    # L_hybrid = L_simple + lambda * T * E_t[L_t].
    target, pred = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)
    assert float(hybrid_loss(target, pred, got, 1000, 0.001)) == pytest.approx(1.0 + got.mean(), rel=1e-6)


def test_learned_variance_sampler_closed_forms():
    schedule = Schedule("linear", 100).respace(spaced_timesteps(100, 5))
    x_T = tf.zeros((3, 4))
    seed = tf.constant([7, 11], tf.int32)
    zero = lambda x, t: tf.zeros_like(x)  # noqa: E731

    def with_v(value):
        return lambda x, t: tf.concat([tf.zeros_like(x), tf.fill(tf.shape(x), value)], -1)

    run = lambda *a, **k: tf.function(lambda: samplers.ddpm(*a, **k))()  # noqa: E731
    # v = -1: the learned variance is beta_tilde, the fixed sampler's.
    fixed = run(zero, x_T, schedule, seed=seed, trajectory=True)[1]
    low = run(with_v(-1.0), x_T, schedule, seed=seed, trajectory=True, learned_variance=True)[1]
    np.testing.assert_allclose(low.numpy(), fixed.numpy(), atol=1e-6)
    # v = +1: from x_T = 0 with eps = 0 the first step is sqrt(beta_t) times that step's noise draw.
    high = run(with_v(1.0), x_T, schedule, seed=seed, trajectory=True, learned_variance=True)[1]
    n = len(schedule)
    z = tf.random.stateless_normal((3, 4), tf.stack([seed[0], seed[1] + n - 1]))
    np.testing.assert_allclose(high[1].numpy(), math.sqrt(schedule.betas[-1]) * z.numpy(), rtol=1e-5, atol=1e-7)
    assert not np.allclose(high[1].numpy(), low[1].numpy())


@pytest.fixture(scope="module")
def hybrid():
    keras.utils.set_random_seed(0)
    return kgen.zoo.build("ddpm", (8, 8, 1), tiny=True, seed=0, num_timesteps=20, loss="hybrid",
                          hybrid_weight=0.01)


def test_the_bound_term_trains_only_the_variances_and_the_mse_only_the_mean(hybrid):
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)), tf.float32)
    kernel = hybrid.network.get_layer("conv_out").kernel
    # Non-zero last-layer weights, so that both halves of the output depend on the input.
    kernel.assign(np.random.default_rng(1).normal(0, 0.05, kernel.shape))
    with tf.GradientTape(persistent=True) as tape:
        terms = hybrid.compute_losses(x, training=True)
    g_vlb = tape.gradient(terms["vlb"], kernel).numpy()
    g_mse = tape.gradient(terms["mse"], kernel).numpy()
    g_all = tape.gradient(terms["loss"], kernel).numpy()
    assert np.all(g_vlb[..., 0] == 0) and np.abs(g_vlb[..., 1]).max() > 0  # stop-gradient on the mean
    assert np.all(g_mse[..., 1] == 0) and np.abs(g_mse[..., 0]).max() > 0
    np.testing.assert_allclose(g_all[..., 0], g_mse[..., 0], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(g_all[..., 1], 0.01 * 20 * g_vlb[..., 1], rtol=1e-4, atol=1e-9)
    assert float(terms["loss"]) == pytest.approx(float(terms["mse"]) + 0.01 * 20 * float(terms["vlb"]), rel=1e-5)


def test_hybrid_model_bound_uses_its_learned_variances_and_export_keeps_the_prediction(hybrid):
    x0 = np.round((np.random.default_rng(2).uniform(-1, 1, (3, 8, 8, 1)) + 1) * 127.5) / 127.5 - 1
    x0 = tf.constant(x0, tf.float32)
    t = tf.constant([0, 7, 19], tf.int32)
    eps = tf.constant(np.random.default_rng(3).normal(size=(3, 8, 8, 1)), tf.float32)
    # bits_per_dim's term (nats summed over the image) == the training term (bits averaged) * dims * log 2.
    nats = hybrid._term_fn()(x0, t, eps, tf.zeros((3,), tf.int32), tf.constant(False)).numpy()
    x_t = hybrid.diffuse(x0, t, eps)
    out = tf.cast(hybrid.ema_network([x_t, t]), tf.float32)
    pred, v = tf.split(out, 2, axis=-1)
    bits = hybrid.vlb_terms(x0, x_t, t, pred, v).numpy()
    np.testing.assert_allclose(nats, bits * 64 * math.log(2), rtol=1e-4)
    endpoint = hybrid.export_endpoints()[0]
    assert endpoint.outputs[0].shape == (8, 8, 1) and endpoint.network.outputs[0].shape[-1] == 1
    np.testing.assert_allclose(np.asarray(endpoint.network([x_t, t])), pred.numpy(), atol=1e-6)
    restored = DDPM.from_config(hybrid.get_config())
    assert restored.loss_kind == "hybrid" and restored.hybrid_weight == 0.01
    assert restored.metric_names() == ["loss", "mse", "vlb"]


def test_hybrid_needs_twice_the_image_channels():
    net = build_unet((8, 8, 1), base_filters=8, channel_mults=(1,), num_res_blocks=1, groups=4)
    with pytest.raises(ValueError, match="out_channels=2"):
        DDPM(net, loss="hybrid")
    with pytest.raises(ValueError, match="expected loss in"):
        DDPM(net, loss="vlb")


def test_hybrid_model_fits_and_samples_with_its_variances(hybrid):
    x = np.random.default_rng(4).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    logs = hybrid.train_on_batch(x, return_dict=True)
    assert set(logs) == {"loss", "mse", "vlb"} and all(np.isfinite(v) for v in logs.values())
    x_T = np.random.default_rng(5).normal(size=(2, 8, 8, 1)).astype("float32")
    a = np.asarray(hybrid.generate(x_T, sampler="ddpm", steps=3, seed=0))
    assert a.shape == (2, 8, 8, 1) and np.isfinite(a).all()
    assert np.asarray(hybrid.generate(x_T, sampler="ddim", steps=3)).shape == (2, 8, 8, 1)
