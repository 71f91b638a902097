"""Losses and likelihood terms of denoising diffusion (Ho et al. 2020, https://arxiv.org/abs/2006.11239).

- `diffusion_simple_loss`: L_simple, the mean squared error between the
  network's output and its target (epsilon, or v for v-prediction).
- `normal_kl`: KL between diagonal Gaussians, elementwise (the bound's L_{t-1} terms).
- `discretized_gaussian_log_likelihood`: log-probability of 8-bit data in [-1, 1]
  under a Gaussian integrated over each pixel's bin (the bound's L_0 term).
- `learned_log_variance`, `vlb_term_bits`, `hybrid_loss`: learned reverse variances
  and L_hybrid = L_simple + lambda L_vlb (Nichol & Dhariwal 2021, https://arxiv.org/abs/2102.09672).
"""

import math

import tensorflow as tf


def diffusion_simple_loss(target, prediction):
    """L_simple = mean over every element of (target - prediction)^2 (Ho et al. 2020, eq. 14).

    Args:
        target: the noise epsilon (or v), any rank >= 1.
        prediction: the network output, same shape.

    Returns:
        A float32 scalar.

    Example:
        >>> diffusion_simple_loss(tf.ones((2, 3)), tf.zeros((2, 3)))  # 1.0
    """
    target = tf.cast(target, tf.float32)
    prediction = tf.cast(prediction, tf.float32)
    return tf.reduce_mean(tf.square(target - prediction))


def normal_kl(mean1, logvar1, mean2, logvar2):
    """KL(N(mean1, exp(logvar1)) || N(mean2, exp(logvar2))), elementwise, in nats.

    https://arxiv.org/abs/2006.11239 (appendix; the L_{t-1} terms of the bound)
    """
    return 0.5 * (-1.0 + logvar2 - logvar1 + tf.exp(logvar1 - logvar2)
                  + tf.square(mean1 - mean2) * tf.exp(-logvar2))


def _std_normal_cdf(x):
    return 0.5 * (1.0 + tf.math.erf(x / math.sqrt(2.0)))


def discretized_gaussian_log_likelihood(x, mean, log_scale, bins=256):
    """log P(x) of data on `bins` levels in [-1, 1] under N(mean, exp(log_scale)^2) integrated over x's bin.

    The edge bins extend to -inf and +inf (Ho et al. 2020, eq. 13). Elementwise, nats.

    Args:
        x: data on the grid `-1 + 2 k / (bins - 1)`.
        mean, log_scale: the Gaussian's mean and log standard deviation (broadcast to x).
        bins: number of levels (256 for 8-bit images).

    Returns:
        log-probabilities shaped like x.
    """
    half = 1.0 / (bins - 1)
    centered = x - mean
    inv_std = tf.exp(-log_scale)
    cdf_plus = _std_normal_cdf(inv_std * (centered + half))
    cdf_min = _std_normal_cdf(inv_std * (centered - half))
    log_cdf_plus = tf.math.log(tf.maximum(cdf_plus, 1e-12))
    log_one_minus_cdf_min = tf.math.log(tf.maximum(1.0 - cdf_min, 1e-12))
    log_delta = tf.math.log(tf.maximum(cdf_plus - cdf_min, 1e-12))
    edge = 1.0 - half
    return tf.where(x < -edge, log_cdf_plus, tf.where(x > edge, log_one_minus_cdf_min, log_delta))


def learned_log_variance(v, log_beta, log_beta_tilde):
    """log Sigma = f log beta_t + (1 - f) log beta_tilde_t with f = (v + 1) / 2 (Nichol & Dhariwal 2021, eq. 15).

    https://arxiv.org/abs/2102.09672. The network's raw output v is mapped to
    f = (v + 1) / 2 as in the authors' released code, so an output of 0 (a
    zero-initialised last layer) starts halfway between the two bounds in the
    log domain, f = 1 at v = 1 (beta_t) and f = 0 at v = -1 (beta_tilde_t).

    Args:
        v: the variance output, any shape.
        log_beta, log_beta_tilde: log beta_t and the (clipped) log posterior
            variance, broadcast to v.

    Returns:
        log Sigma shaped like v.
    """
    frac = (tf.cast(v, tf.float32) + 1.0) / 2.0
    return frac * log_beta + (1.0 - frac) * log_beta_tilde


def vlb_term_bits(x0, mean_q, log_var_q, mean_p, log_var_p, is_first):
    """Per-example bound term L_t in bits per dimension (Nichol & Dhariwal 2021, section 3.1).

    https://arxiv.org/abs/2102.09672. For t > 0, `KL(q(x_{t-1} | x_t, x_0) ||
    N(mean_p, exp(log_var_p)))`; for t = 0 (`is_first`), the discretized
    Gaussian decoder's `-log p(x_0 | x_1)`; each averaged over the dimensions
    of one example and divided by log 2.

    Args:
        x0: data `(N, ...)` on the 8-bit grid in [-1, 1] (rank >= 2).
        mean_q, log_var_q: the true posterior's mean and log variance.
        mean_p, log_var_p: the model's reverse mean and log variance.
        is_first: bool `(N,)`, True where t = 0.

    Returns:
        `(N,)` float32.
    """
    axes = list(range(1, len(x0.shape)))
    kl = tf.reduce_mean(normal_kl(mean_q, log_var_q, mean_p, log_var_p), axes)
    nll = -tf.reduce_mean(discretized_gaussian_log_likelihood(x0, mean_p, 0.5 * log_var_p), axes)
    return tf.where(is_first, nll, kl) / math.log(2.0)


def hybrid_loss(target, prediction, vlb_terms, num_timesteps, weight=0.001):
    """L_hybrid = L_simple + weight * L_vlb, L_vlb = T * E_t[L_t] (Nichol & Dhariwal 2021, eq. 16).

    https://arxiv.org/abs/2102.09672. `vlb_terms` are per-example L_t in bits
    per dimension at uniform timesteps (`vlb_term_bits`), computed with the
    predicted mean under a stop-gradient so that L_vlb trains only the
    variances and L_simple stays the mean's only objective.

    Args:
        target, prediction: as `diffusion_simple_loss` (any rank >= 1).
        vlb_terms: `(N,)` per-example bound terms.
        num_timesteps: T.
        weight: lambda (0.001 in the paper).

    Returns:
        A float32 scalar.

    Example:
        >>> hybrid_loss(eps, eps_hat, vlb_term_bits(...), 1000)
    """
    return (diffusion_simple_loss(target, prediction)
            + float(weight) * float(num_timesteps) * tf.reduce_mean(tf.cast(vlb_terms, tf.float32)))
