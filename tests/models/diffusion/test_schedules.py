"""Closed forms of the diffusion schedules: alpha-bar, the posterior q(x_{t-1} | x_t, x_0), respacing, cosine, terminal SNR."""

import math

import numpy as np
import pytest

from kgen.models.diffusion.schedules import (Schedule, cosine_alpha_bar, rescale_zero_terminal_snr,
                                             spaced_timesteps)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_alpha_bar_is_the_marginal_of_the_composed_forward_steps(kind):
    # x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) e: compose the Gaussians step by step.
    s = Schedule(kind, 200)
    mean, var = 1.0, 0.0
    for t in range(len(s)):
        mean, var = math.sqrt(s.alphas[t]) * mean, s.alphas[t] * var + s.betas[t]
        assert mean == pytest.approx(math.sqrt(s.alpha_bar[t]), rel=1e-10)
        assert var == pytest.approx(1.0 - s.alpha_bar[t], rel=1e-9, abs=1e-14)
    q_mean, q_std = s.q_mean_std(np.arange(len(s)))
    np.testing.assert_allclose(q_mean ** 2 + q_std ** 2, 1.0, rtol=1e-12)


def test_linear_schedule_values_of_ho_et_al():
    s = Schedule("linear", 1000)
    assert s.betas[0] == pytest.approx(1e-4) and s.betas[-1] == pytest.approx(0.02)
    assert s.alpha_bar[-1] == pytest.approx(np.exp(np.sum(np.log1p(-np.linspace(1e-4, 0.02, 1000)))), rel=1e-12)
    # Non-zero terminal SNR (Lin et al. 2024): about 4e-5 for Ho et al.'s schedule.
    assert 1e-5 < s.snr[-1] < 1e-4


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_posterior_mean_and_variance_are_bayes_rule(kind):
    s = Schedule(kind, 100)
    rng = np.random.default_rng(0)
    x0, xt = rng.normal(size=5), rng.normal(size=5)
    for t in (1, 2, 37, 99):
        # Prior x_{t-1} ~ N(sqrt(ab_{t-1}) x0, 1 - ab_{t-1}); likelihood x_t ~ N(sqrt(alpha_t) x_{t-1}, beta_t).
        prior_var = 1.0 - s.alpha_bar[t - 1]
        precision = 1.0 / prior_var + s.alphas[t] / s.betas[t]
        var = 1.0 / precision
        mean = var * (math.sqrt(s.alpha_bar[t - 1]) * x0 / prior_var + math.sqrt(s.alphas[t]) * xt / s.betas[t])
        got_mean, got_var = s.posterior(x0, xt, t)
        np.testing.assert_allclose(got_mean, mean, rtol=1e-9)
        assert got_var == pytest.approx(var, rel=1e-9)
    # t = 0 (the papers' t = 1): x_0 is known exactly.
    mean, var = s.posterior(x0, xt, 0)
    np.testing.assert_allclose(mean, x0, rtol=1e-12)
    assert var == 0.0 and s.posterior_log_variance[0] == s.posterior_log_variance[1]


def test_respacing_keeps_alpha_bar_at_the_chosen_steps():
    s = Schedule("linear", 1000)
    np.testing.assert_allclose(s.respace(np.arange(1000)).betas, s.betas, rtol=1e-9)
    steps = spaced_timesteps(1000, 50)
    assert len(steps) == 50 and steps[0] == 0 and steps[-1] == 999
    sub = s.respace(steps)
    np.testing.assert_allclose(sub.alpha_bar, s.alpha_bar[steps], rtol=1e-12)
    np.testing.assert_allclose(np.cumprod(1 - sub.betas), s.alpha_bar[steps], rtol=1e-12)
    np.testing.assert_array_equal(sub.timesteps, steps)
    # The respaced posterior is Bayes' rule between the chosen marginals.
    i = 10
    a_prev, a = sub.alpha_bar[i - 1], sub.alpha_bar[i]
    alpha = a / a_prev
    var = 1.0 / (1.0 / (1 - a_prev) + alpha / (1 - alpha))
    assert sub.posterior_variance[i] == pytest.approx(var, rel=1e-9)
    with pytest.raises(ValueError, match="increasing"):
        s.respace([5, 3])
    with pytest.raises(ValueError, match="steps"):
        spaced_timesteps(10, 11)


def test_quadratic_spacing_of_song_et_al():
    # DDIM section D.2: tau_i = (i / (S - 1))^2 (T - 1), both ends in; 10 of 1000 by hand.
    assert spaced_timesteps(1000, 10, "quadratic").tolist() == [0, 12, 49, 111, 197, 308, 444, 604, 789, 999]
    assert spaced_timesteps(1000, 10).tolist() == [0, 111, 222, 333, 444, 555, 666, 777, 888, 999]
    for big in (5, 30, 1000):
        for steps in range(1, big + 1):
            got = spaced_timesteps(big, steps, "quadratic")
            # Exactly `steps` distinct increasing indices ending at T-1, starting at 0 (unless one step).
            assert len(got) == steps and got[-1] == big - 1 and np.all(np.diff(got) > 0), (big, steps, got)
            assert got[0] == (0 if steps > 1 else big - 1)
    assert spaced_timesteps(1000, 1000, "quadratic").tolist() == list(range(1000))
    with pytest.raises(ValueError, match="spacing"):
        spaced_timesteps(1000, 10, "cubic")


def test_cosine_schedule_of_nichol_and_dhariwal():
    T, s_off = 1000, 0.008
    sched = Schedule("cosine", T)
    f = lambda t: math.cos((t / T + s_off) / (1 + s_off) * math.pi / 2) ** 2  # noqa: E731
    for t in (1, 10, 500, 900):
        assert sched.alpha_bar[t - 1] == pytest.approx(f(t) / f(0), rel=1e-10)
    np.testing.assert_allclose(cosine_alpha_bar(T)[:-1], sched.alpha_bar[:-1], rtol=1e-9)
    # beta_T would be 1 (alpha_bar_T = 0): clipped to 0.999, so the terminal SNR is tiny but not zero.
    assert sched.betas[-1] == pytest.approx(0.999) and sched.alpha_bar[-1] > 0
    assert np.all(sched.betas <= 0.999)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_zero_terminal_snr_rescaling(kind):
    plain = Schedule(kind, 1000)
    zero = Schedule(kind, 1000, terminal_snr="zero")
    assert zero.alpha_bar[-1] == pytest.approx(0.0, abs=1e-20) and zero.snr[-1] == 0.0
    assert zero.alpha_bar[0] == pytest.approx(plain.alpha_bar[0], rel=1e-12)
    # sqrt(alpha_bar) is shifted and scaled linearly (Lin et al., Algorithm 1).
    r, r0 = np.sqrt(zero.alpha_bar), np.sqrt(plain.alpha_bar)
    expected = (r0 - r0[-1]) * r0[0] / (r0[0] - r0[-1])
    np.testing.assert_allclose(r, expected, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.cumprod(1 - rescale_zero_terminal_snr(plain.betas))), expected, atol=1e-12)


def test_bad_values_name_the_fix():
    with pytest.raises(ValueError, match="kind"):
        Schedule("quadratic")
    with pytest.raises(ValueError, match="terminal_snr"):
        Schedule(terminal_snr="none")
    with pytest.raises(ValueError, match="num_timesteps"):
        Schedule(num_timesteps=1)
