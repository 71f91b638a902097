"""Losses and likelihood terms of denoising diffusion (Ho et al. 2020, https://arxiv.org/abs/2006.11239).

- `diffusion_simple_loss`: L_simple, the mean squared error between the
  network's output and its target (epsilon, or v for v-prediction).
- `normal_kl`: KL between diagonal Gaussians, elementwise (the bound's L_{t-1} terms).
- `discretized_gaussian_log_likelihood`: log-probability of 8-bit data in [-1, 1]
  under a Gaussian integrated over each pixel's bin (the bound's L_0 term).
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
