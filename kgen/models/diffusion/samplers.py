"""Samplers of denoising diffusion in TensorFlow: DDPM ancestral, DDIM (any eta), DDIM inversion.

Each takes a `denoise(x_t, t) -> network output` callable (epsilon or v, see
`PREDICTIONS`), a respaced `Schedule` (`schedule.respace(steps)`; its
`.timesteps` are the original indices the network is conditioned on) and the
starting noise `x_T`; the loop is a `tf.while_loop`, so a traced sampler is
one graph whatever the number of steps. `export/kgen_litert.py` runs the
same DDIM loop in numpy around a LiteRT denoiser.

- DDPM (Ho et al. 2020, https://arxiv.org/abs/2006.11239): x_{t-1} ~ N(mu, beta_tilde_t)
  with mu the posterior mean at the predicted x_0 (optionally clipped to the data range).
- DDIM (Song et al. 2021, https://arxiv.org/abs/2010.02502, eq. 12):
  x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma z,
  sigma = eta sqrt((1 - ab_prev) / (1 - ab)) sqrt(1 - ab / ab_prev); deterministic at eta = 0.
  The predicted x_0 is not clipped unless asked: clipping breaks the map's inversion. When asked
  (`clip=`), eps is recomputed from the clipped x_0, so that x_t = a x0 + s eps still holds and the
  step stays on the DDIM path. Clipping x_0 alone would mix an x_0 and an eps that no longer describe
  x_t.
- DDIM inversion: the eta = 0 steps run backwards, data -> latent.

Example:
    >>> sub = schedule.respace(spaced_timesteps(1000, 50))
    >>> x0 = ddim(lambda x, t: net([x, t]), x_T, sub, eta=0.0)
"""

import numpy as np
import tensorflow as tf

from kgen.losses.diffusion import learned_log_variance

PREDICTIONS = ("epsilon", "v")


def split_prediction(out, x, a, s, prediction):
    """`(x0, eps)` from a network output at a point with `x = a x0 + s eps` (a = sqrt(ab), s = sqrt(1 - ab)).

    epsilon: eps = out, x0 = (x - s eps) / a. v (Salimans & Ho 2022,
    https://arxiv.org/abs/2202.00512): v = a eps - s x0, so x0 = a x - s v and
    eps = s x + a v (no division: defined at a = 0, zero terminal SNR).
    """
    if prediction == "epsilon":
        return (x - s * out) / a, out
    if prediction == "v":
        return a * x - s * out, s * x + a * out
    raise ValueError(f"expected prediction in {PREDICTIONS}. Received: prediction={prediction!r}")


def _const(values):
    return tf.constant(np.asarray(values, np.float64), tf.float32)


def _timestep_batch(timesteps, i, x):
    return tf.fill(tf.shape(x)[:1], tf.gather(timesteps, i))


def _noise(seed, i, shape):
    # One stateless draw per step from the call's seed: a seed fixes the whole trajectory.
    return tf.random.stateless_normal(shape, tf.stack([seed[0], seed[1] + tf.cast(i, seed.dtype)]))


def _loop(step, x, n, trajectory):
    """Run `step(i, x)` for i = n-1 .. 0; optionally keep x after every step (x_T first)."""
    traj = tf.TensorArray(tf.float32, size=n + 1) if trajectory else None
    if trajectory:
        traj = traj.write(0, x)

    def body(i, x, *rest):
        x = step(i, x)
        if trajectory:
            return (i - 1, x, rest[0].write(n - i, x))
        return (i - 1, x)

    init = (tf.constant(n - 1), x) + ((traj,) if trajectory else ())
    out = tf.while_loop(lambda i, *_: i >= 0, body, init)
    if trajectory:
        return out[1], out[2].stack()
    return out[1]


def ddim(denoise, x_T, schedule, eta=0.0, prediction="epsilon", seed=None, clip=None, trajectory=False):
    """DDIM sampling over a (respaced) schedule.

    Args:
        denoise: `(x_t float32 (N, ...), t int32 (N,)) -> output` of the network.
        x_T: starting noise `(N, ...)` float32.
        schedule: a `Schedule` (usually `full.respace(timesteps)`).
        eta: 0 (deterministic) .. 1 (DDPM-like variance).
        prediction: "epsilon" or "v".
        seed: int32 `(2,)` tensor seeding the per-step noise (needed when eta > 0).
        clip: None, or `(low, high)`: clip the predicted x_0 and recompute eps from it
            (not invertible by `ddim_invert`; see the module).
        trajectory: also return x after every step, `(steps + 1, N, ...)`.

    Returns:
        x_0 `(N, ...)`, or `(x_0, trajectory)`.
    """
    eta = float(eta)
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"expected eta in [0, 1]. Received: eta={eta}")
    ab, ab_prev = schedule.alpha_bar, schedule.alpha_bar_prev
    sigma = eta * np.sqrt((1 - ab_prev) / (1 - ab)) * np.sqrt(1 - ab / ab_prev)
    c_x0, c_eps, c_sigma = _const(np.sqrt(ab_prev)), _const(np.sqrt(np.maximum(1 - ab_prev - sigma ** 2, 0))), \
        _const(sigma)
    a, s = _const(np.sqrt(ab)), _const(np.sqrt(1 - ab))
    timesteps = tf.constant(np.asarray(schedule.timesteps), tf.int32)
    x_T = tf.cast(x_T, tf.float32)
    if eta > 0 and seed is None:
        raise ValueError("DDIM with eta > 0 draws noise: pass seed=")

    def step(i, x):
        out = tf.cast(denoise(x, _timestep_batch(timesteps, i, x)), tf.float32)
        x0, eps = split_prediction(out, x, tf.gather(a, i), tf.gather(s, i), prediction)
        if clip is not None:
            x0 = tf.clip_by_value(x0, clip[0], clip[1])
            eps = (x - tf.gather(a, i) * x0) / tf.gather(s, i)
        x = tf.gather(c_x0, i) * x0 + tf.gather(c_eps, i) * eps
        if eta > 0:
            x = x + tf.gather(c_sigma, i) * _noise(seed, i, tf.shape(x))
        return x

    return _loop(step, x_T, len(schedule), trajectory)


def ddpm(denoise, x_T, schedule, prediction="epsilon", seed=None, clip=None, trajectory=False,
         learned_variance=False):
    """DDPM ancestral sampling: x_{t-1} = posterior mean at the predicted x_0 + sqrt(beta_tilde_t) z.

    On a respaced schedule the posterior is that of the respaced betas
    (Nichol & Dhariwal). No noise is added at the last step.

    Args: as `ddim`; `seed` is required; `clip=(-1, 1)` clips the predicted x_0 as Ho et al. do.
        learned_variance: `denoise` returns the prediction and the variance output v
            concatenated on the last axis; the step's variance is
            `exp(f log beta_t + (1 - f) log beta_tilde_t)`, f = (v + 1) / 2, with the
            (respaced) schedule's betas (Nichol & Dhariwal 2021, eq. 15).
    """
    if seed is None:
        raise ValueError("DDPM sampling draws noise at every step: pass seed=")
    a, s = _const(np.sqrt(schedule.alpha_bar)), _const(np.sqrt(1 - schedule.alpha_bar))
    c_x0, c_xt = _const(schedule.posterior_mean_coef_x0), _const(schedule.posterior_mean_coef_xt)
    std = _const(np.exp(0.5 * schedule.posterior_log_variance))
    log_beta, log_beta_tilde = _const(np.log(schedule.betas)), _const(schedule.posterior_log_variance)
    timesteps = tf.constant(np.asarray(schedule.timesteps), tf.int32)

    def step(i, x):
        out = tf.cast(denoise(x, _timestep_batch(timesteps, i, x)), tf.float32)
        if learned_variance:
            out, v = tf.split(out, 2, axis=-1)
            step_std = tf.exp(0.5 * learned_log_variance(v, tf.gather(log_beta, i), tf.gather(log_beta_tilde, i)))
        else:
            step_std = tf.gather(std, i)
        x0, _ = split_prediction(out, x, tf.gather(a, i), tf.gather(s, i), prediction)
        if clip is not None:
            x0 = tf.clip_by_value(x0, clip[0], clip[1])
        mean = tf.gather(c_x0, i) * x0 + tf.gather(c_xt, i) * x
        noise = _noise(seed, i, tf.shape(x)) * tf.cast(i > 0, tf.float32)
        return mean + step_std * noise

    return _loop(step, tf.cast(x_T, tf.float32), len(schedule), trajectory)


def ddim_invert(denoise, x0, schedule, prediction="epsilon"):
    """Deterministic DDIM run backwards: data x_0 -> its latent x_T (the eta = 0 map inverted).

    Step i moves x from the noise level of index i-1 (x_0 itself for i = 0)
    to index i with the network's prediction at x and timestep i (the usual
    first-order approximation of the implicit inverse; exact as the steps shrink).
    """
    ab = schedule.alpha_bar
    ab_cur = schedule.alpha_bar_prev
    a, s = _const(np.sqrt(ab)), _const(np.sqrt(1 - ab))
    a_cur, s_cur = _const(np.sqrt(ab_cur)), _const(np.sqrt(1 - ab_cur))
    timesteps = tf.constant(np.asarray(schedule.timesteps), tf.int32)
    n = len(schedule)

    def body(i, x):
        out = tf.cast(denoise(x, _timestep_batch(timesteps, i, x)), tf.float32)
        _, eps = split_prediction(out, x, tf.gather(a, i), tf.gather(s, i), prediction)
        x0_hat = (x - tf.gather(s_cur, i) * eps) / tf.gather(a_cur, i)
        return i + 1, tf.gather(a, i) * x0_hat + tf.gather(s, i) * eps

    return tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), tf.cast(x0, tf.float32)))[1]
