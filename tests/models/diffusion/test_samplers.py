"""DDPM and DDIM samplers with known denoisers: the exact denoiser of Gaussian data, and of a single point."""

import numpy as np
import pytest
import tensorflow as tf

from kgen.models.diffusion import samplers
from kgen.models.diffusion.schedules import Schedule, spaced_timesteps

MU, SIGMA = 0.5, 0.2  # data x_0 ~ N(MU, SIGMA^2) per dimension


def traced(fn, *args, **kwargs):
    """Run a sampler as one graph (an eager while loop runs its body op by op)."""
    return tf.function(lambda: fn(*args, **kwargs))()


def gaussian_denoiser(schedule, prediction="epsilon"):
    """The exact E[eps | x_t] (or E[v | x_t]) for x_0 ~ N(MU, SIGMA^2): the Bayes-optimal network."""
    ab = tf.constant(schedule.alpha_bar, tf.float32)

    def denoise(x, t):
        a = tf.reshape(tf.sqrt(tf.gather(ab, t)), (-1, 1))
        s = tf.reshape(tf.sqrt(1.0 - tf.gather(ab, t)), (-1, 1))
        eps = s * (x - a * MU) / (a * a * SIGMA ** 2 + s * s)
        if prediction == "epsilon":
            return eps
        x0 = (x - s * eps) / a
        return a * eps - s * x0

    return denoise


def point_denoiser(schedule, point):
    ab = tf.constant(schedule.alpha_bar, tf.float32)

    def denoise(x, t):
        a = tf.reshape(tf.sqrt(tf.gather(ab, t)), (-1, 1))
        s = tf.reshape(tf.sqrt(1.0 - tf.gather(ab, t)), (-1, 1))
        return (x - a * point) / s

    return denoise


def test_split_prediction_round_trips_epsilon_and_v():
    rng = np.random.default_rng(0)
    x0, eps = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    a, s = 0.6, 0.8
    x = a * x0 + s * eps
    np.testing.assert_allclose(samplers.split_prediction(eps, x, a, s, "epsilon"), (x0, eps), atol=1e-12)
    v = a * eps - s * x0
    np.testing.assert_allclose(samplers.split_prediction(v, x, a, s, "v"), (x0, eps), atol=1e-12)
    # v is defined at zero SNR (a = 0): x0 = -v, eps = x.
    np.testing.assert_allclose(samplers.split_prediction(-x0, eps, 0.0, 1.0, "v"), (x0, eps), atol=1e-12)


def test_ddim_inversion_recovers_x_from_its_noise_with_a_known_denoiser():
    full = Schedule("linear", 1000)
    rng = np.random.default_rng(1)
    x = (MU + SIGMA * rng.normal(size=(64, 4))).astype("float32")
    # The exact probability-flow latent of Gaussian data: x_T = a MU + sqrt(a^2 SIGMA^2 + s^2) (x - MU) / SIGMA.
    a, s = np.sqrt(full.alpha_bar[-1]), np.sqrt(1 - full.alpha_bar[-1])
    exact = a * MU + np.sqrt(a * a * SIGMA ** 2 + s * s) * (x - MU) / SIGMA
    errors, latent_errors = {}, {}
    for steps in (50, 1000):
        sub = full.respace(spaced_timesteps(1000, steps))
        den = gaussian_denoiser(full)
        z = traced(samplers.ddim_invert, den, x, sub)
        back = traced(samplers.ddim, den, z, sub, eta=0.0)
        errors[steps] = float(np.abs(np.asarray(back) - x).max())
        latent_errors[steps] = float(np.abs(np.asarray(z) - exact).max())
    assert errors[1000] < 0.01 and errors[1000] < errors[50] / 5, errors
    assert latent_errors[1000] < 0.03 and latent_errors[1000] < latent_errors[50], latent_errors


@pytest.mark.parametrize("sampler,eta,prediction", [("ddim", 0.0, "epsilon"), ("ddim", 1.0, "epsilon"),
                                                    ("ddpm", None, "epsilon"), ("ddim", 0.0, "v")])
def test_samplers_with_the_exact_denoiser_draw_the_data_distribution(sampler, eta, prediction):
    full = Schedule("linear", 1000)
    # Stochastic samplers with the fixed reverse variance beta_tilde are exact only as steps shrink.
    sub = full.respace(spaced_timesteps(1000, 100 if eta == 0.0 else 1000))
    x_T = tf.random.stateless_normal((4000, 2), (3, 4))
    den = gaussian_denoiser(full, prediction)
    seed = tf.constant([7, 0])
    if sampler == "ddim":
        out = traced(samplers.ddim, den, x_T, sub, eta=eta, prediction=prediction, seed=seed)
    else:
        out = traced(samplers.ddpm, den, x_T, sub, prediction=prediction, seed=seed)
    out = np.asarray(out)
    assert abs(out.mean() - MU) < 0.02, out.mean()
    assert abs(out.std() - SIGMA) < 0.02, out.std()


def test_single_point_data_is_reached_exactly_and_ddim_at_eta_0_is_deterministic():
    full = Schedule("cosine", 1000)
    sub = full.respace(spaced_timesteps(1000, 10))
    point = tf.constant([[0.3, -0.7]])
    x_T = tf.random.stateless_normal((5, 2), (1, 2))
    den = point_denoiser(full, point)
    np.testing.assert_allclose(samplers.ddim(den, x_T, sub), np.tile(point, (5, 1)), atol=1e-4)
    np.testing.assert_allclose(samplers.ddpm(den, x_T, sub, seed=tf.constant([0, 0])), np.tile(point, (5, 1)),
                               atol=1e-4)
    a = samplers.ddim(gaussian_denoiser(full), x_T, sub)
    b = samplers.ddim(gaussian_denoiser(full), x_T, sub)
    np.testing.assert_array_equal(a, b)
    c = samplers.ddim(gaussian_denoiser(full), x_T, sub, eta=0.5, seed=tf.constant([1, 1]))
    assert np.abs(np.asarray(c) - np.asarray(a)).max() > 1e-3


def test_clipped_ddim_recomputes_eps_from_the_clipped_x0():
    full = Schedule("cosine", 1000)
    # Started at t = 500, where the signal is strong enough for the two rules to differ visibly.
    sub = full.respace(np.array([0, 200, 500]))
    point = np.array([[1.5, -0.3]], np.float32)  # its first coordinate lies outside the clip range
    x_T = tf.random.stateless_normal((4, 2), (3, 4))
    out, traj = samplers.ddim(point_denoiser(full, tf.constant(point)), x_T, sub, clip=(-1.0, 1.0),
                              trajectory=True)
    ab = sub.alpha_bar
    x0c = np.clip(point, -1.0, 1.0)
    eps = (np.asarray(x_T) - np.sqrt(ab[2]) * x0c) / np.sqrt(1 - ab[2])
    # The first step lands on the DDIM path of the clipped x_0 (clipping x_0 alone would keep the network's eps).
    np.testing.assert_allclose(traj[1], np.sqrt(ab[1]) * x0c + np.sqrt(1 - ab[1]) * eps, atol=1e-4)
    unclipped_eps = (np.asarray(x_T) - np.sqrt(ab[2]) * point) / np.sqrt(1 - ab[2])
    assert np.abs(np.asarray(traj[1]) - (np.sqrt(ab[1]) * x0c + np.sqrt(1 - ab[1]) * unclipped_eps)).max() > 0.1
    np.testing.assert_allclose(out, np.tile(x0c, (4, 1)), atol=1e-5)


def test_trajectory_starts_at_x_T_and_ends_at_the_sample():
    full = Schedule("linear", 1000)
    sub = full.respace(spaced_timesteps(1000, 5))
    x_T = tf.random.stateless_normal((3, 2), (5, 6))
    out, traj = samplers.ddim(gaussian_denoiser(full), x_T, sub, trajectory=True)
    assert traj.shape == (6, 3, 2)
    np.testing.assert_array_equal(traj[0], x_T)
    np.testing.assert_array_equal(traj[-1], out)


def test_eta_out_of_range_and_missing_seed_are_refused():
    sub = Schedule("linear", 10).respace(np.arange(10))
    den = gaussian_denoiser(Schedule("linear", 10))
    with pytest.raises(ValueError, match="eta"):
        samplers.ddim(den, tf.zeros((1, 2)), sub, eta=1.5)
    with pytest.raises(ValueError, match="seed"):
        samplers.ddpm(den, tf.zeros((1, 2)), sub)
