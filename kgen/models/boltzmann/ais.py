"""Annealed importance sampling of an RBM's partition function (Salakhutdinov & Murray 2008).

https://doi.org/10.1145/1390156.1390266 (Neal 2001, https://arxiv.org/abs/physics/9803008, for AIS itself).

The path of distributions from a base-rate RBM A (no weights, visible biases
`b_A`, as many hidden units as B) to the model B, for inverse temperatures
`0 = beta_0 < ... < beta_K = 1`:

- binary visible units: `log p*_beta(v) = ((1 - beta) b_A + beta b).v + sum_j softplus(beta (c_j + (v W)_j))`,
  so `log Z_0 = H log 2 + sum_i softplus(b_A_i)`;
- Gaussian visible units (base: the model's own `N(b, sigma^2)`):
  `log p*_beta(v) = -sum_i (v_i - b_i)^2 / (2 sigma_i^2) + sum_j softplus(beta (c_j + ((v / sigma) W)_j))`,
  `log Z_0 = H log 2 + sum_i log(sqrt(2 pi) sigma_i)`.

Forward AIS draws `v_0 ~ p_0`, accumulates `log w += log p*_k(v) - log p*_{k-1}(v)`
and moves `v` by one Gibbs step that leaves `p_k` invariant; `Z_B / Z_A = E[w]`.
`log mean w` is a stochastic LOWER bound of `log Z` (Jensen), so the
log-likelihood `-F(x) - log Z` it gives tends to be OVERestimated. Reverse AIS
runs the same path backwards from (approximate) samples of the model, with
`E[w_rev] = Z_A / Z_B`: `log Z_A - log mean w_rev` is a stochastic UPPER bound
of `log Z` when the start states are exact samples, and the pair brackets it.

Runs are processed `batch_size` at a time (memory `batch_size x (D + H)`
whatever the number of runs); the temperature loop is a `tf.while_loop`;
noise is stateless (`tf.random.stateless_*`, seeded by `seed`, the batch and
the temperature index), so an estimate is reproducible.
"""

import math

import numpy as np
import tensorflow as tf


def beta_schedule(num_temperatures, kind="salakhutdinov"):
    """Inverse temperatures `(K + 1,)` from 0 to 1.

    Args:
        num_temperatures: K, the number of intermediate steps (>= 1).
        kind: "linear", or "salakhutdinov": the paper's spacing scaled to K
            (1/15 of the steps on [0, 0.5], 4/15 on [0.5, 0.9], 10/15 on [0.9, 1];
            K = 14,500 gives their 500 / 4,000 / 10,000).

    Returns:
        float64 numpy array.
    """
    k = int(num_temperatures)
    if k < 1:
        raise ValueError(f"expected num_temperatures >= 1. Received: {num_temperatures}")
    if kind == "linear" or k < 15:
        return np.linspace(0.0, 1.0, k + 1)
    if kind != "salakhutdinov":
        raise ValueError(f"expected kind 'linear' or 'salakhutdinov'. Received: {kind!r}")
    n1, n2 = max(1, k // 15), max(1, 4 * k // 15)
    n3 = k - n1 - n2
    return np.concatenate([np.linspace(0, 0.5, n1 + 1)[:-1], np.linspace(0.5, 0.9, n2 + 1)[:-1],
                           np.linspace(0.9, 1.0, n3 + 1)])


def log_mean_exp(log_w):
    """`(log mean exp(log_w), its standard error)` by the delta method.

    The standard error of `log mean w` is `std(w) / (sqrt(n) mean(w))`,
    computed on `w / max(w)` for stability.
    """
    log_w = np.asarray(log_w, np.float64)
    m = log_w.max()
    w = np.exp(log_w - m)
    mean = w.mean()
    se = w.std(ddof=1) / (math.sqrt(len(w)) * mean) if len(w) > 1 else float("nan")
    return float(m + math.log(mean)), float(se)


def _params(rbm):
    w = tf.convert_to_tensor(rbm.W, tf.float32)
    b = tf.convert_to_tensor(rbm.visible_bias, tf.float32)
    c = tf.convert_to_tensor(rbm.hidden_bias, tf.float32)
    sigma = None if rbm.log_sigma is None else tf.exp(tf.convert_to_tensor(rbm.log_sigma, tf.float32))
    return w, b, c, sigma


def base_log_partition(rbm, base_visible_bias=None):
    """`log Z_0` of the base-rate RBM of the path (see the module docstring)."""
    _, b, _, sigma = _params(rbm)
    h = rbm.num_hidden
    if sigma is not None:
        return float(h * math.log(2.0) + tf.reduce_sum(0.5 * math.log(2 * math.pi) + tf.math.log(sigma)))
    ba = b if base_visible_bias is None else tf.convert_to_tensor(base_visible_bias, tf.float32)
    return float(h * math.log(2.0) + tf.reduce_sum(tf.nn.softplus(ba)))


def base_rate_bias(data, eps=1e-3):
    """Base-rate visible biases `logit(mean pixel)` of binary data `(N, ...)` (Salakhutdinov & Murray §4.1)."""
    p = np.clip(np.asarray(data, np.float64).reshape(len(data), -1).mean(0), eps, 1 - eps)
    return np.log(p / (1 - p)).astype(np.float32)


def _make_runner(rbm, base_visible_bias):
    w, b, c, sigma = _params(rbm)
    gaussian = sigma is not None
    ba = b if (gaussian or base_visible_bias is None) else tf.convert_to_tensor(base_visible_bias, tf.float32)
    d, h = rbm.num_visible, rbm.num_hidden

    def u(v):
        return v / sigma if gaussian else v

    def log_p(v, beta):
        soft = tf.reduce_sum(tf.nn.softplus(beta * (tf.matmul(u(v), w) + c)), axis=-1)
        if gaussian:
            return -tf.reduce_sum(tf.square(v - b) / (2 * tf.square(sigma)), axis=-1) + soft
        return tf.linalg.matvec(v, (1 - beta) * ba + beta * b) + soft

    def step(v, beta, seed):
        s1 = tf.random.experimental.stateless_fold_in(seed, 1)
        s2 = tf.random.experimental.stateless_fold_in(seed, 2)
        n = tf.shape(v)[0]
        p_h = tf.sigmoid(beta * (tf.matmul(u(v), w) + c))
        hid = tf.cast(tf.random.stateless_uniform((n, h), s1) < p_h, tf.float32)
        a = tf.matmul(hid, w, transpose_b=True)
        if gaussian:
            return b + beta * sigma * a + sigma * tf.random.stateless_normal((n, d), s2)
        p_v = tf.sigmoid((1 - beta) * ba + beta * (b + a))
        return tf.cast(tf.random.stateless_uniform((n, d), s2) < p_v, tf.float32)

    def base_sample(n, seed):
        if gaussian:
            return b + sigma * tf.random.stateless_normal((n, d), seed)
        return tf.cast(tf.random.stateless_uniform((n, d), seed) < tf.sigmoid(ba), tf.float32)

    @tf.function
    def forward(n, betas, seed):
        v = base_sample(n, tf.random.experimental.stateless_fold_in(seed, 1_000_000_007))
        log_w = tf.zeros((n,), tf.float32)
        k = tf.shape(betas)[0] - 1

        def body(i, v, log_w):
            log_w = log_w + log_p(v, betas[i]) - log_p(v, betas[i - 1])
            v = tf.cond(i < k, lambda: step(v, betas[i], tf.random.experimental.stateless_fold_in(seed, i)),
                        lambda: v)
            return i + 1, v, log_w

        _, v, log_w = tf.while_loop(lambda i, *_: i <= k, body, (tf.constant(1), v, log_w))
        return log_w, v

    @tf.function
    def reverse(v, betas, seed):
        log_w = tf.zeros((tf.shape(v)[0],), tf.float32)
        k = tf.shape(betas)[0] - 1

        def body(i, v, log_w):
            # v ~ (approximately) p_i: weight by p_{i-1} / p_i, then move under p_{i-1}.
            log_w = log_w + log_p(v, betas[i - 1]) - log_p(v, betas[i])
            v = tf.cond(i > 1, lambda: step(v, betas[i - 1], tf.random.experimental.stateless_fold_in(seed, i)),
                        lambda: v)
            return i - 1, v, log_w

        _, v, log_w = tf.while_loop(lambda i, *_: i >= 1, body, (k, v, log_w))
        return log_w

    return forward, reverse


def _seed(seed, batch):
    return tf.constant([int(seed), int(batch)], tf.int64)


def ais_log_partition(rbm, num_temperatures=1000, num_runs=100, base_visible_bias=None, batch_size=100,
                      seed=0, schedule="salakhutdinov", return_samples=False):
    """Estimate `log Z` of an RBM by forward AIS.

    Args:
        rbm: a `kgen.models.boltzmann.RBM` (or anything with its `W`,
            `visible_bias`, `hidden_bias`, `log_sigma`, `num_visible`, `num_hidden`).
        num_temperatures: intermediate distributions K (>= 10,000 for published figures).
        num_runs: independent AIS runs (the paper: 100).
        base_visible_bias: base-rate RBM's visible biases (binary units;
            `base_rate_bias(train_data)` is the paper's choice; default: the model's own).
        batch_size: runs processed at once (bounds memory).
        seed: integer seed of the stateless noise.
        schedule: `beta_schedule` kind.
        return_samples: also return the final states (approximate model samples).

    Returns:
        dict: `log_z` (log-mean-exp of the weights plus `log Z_0`), `std_err`
        (of `log_z`, delta method), `log_z_minus_3se` / `log_z_plus_3se`,
        `log_z_bound` (`log Z_0 + mean log w`: below `log Z` in expectation, by Jensen),
        `log_w` (per run), `log_z_base`; `samples` if asked.

    Example:
        >>> est = ais_log_partition(rbm, 10_000, 100, base_visible_bias=base_rate_bias(x_train))
        >>> test_ll = rbm.log_likelihood(x_test, est["log_z"])
    """
    betas = tf.constant(beta_schedule(num_temperatures, schedule), tf.float32)
    forward, _ = _make_runner(rbm, base_visible_bias)
    log_w, samples = [], []
    for i, start in enumerate(range(0, int(num_runs), int(batch_size))):
        n = min(int(batch_size), int(num_runs) - start)
        lw, v = forward(tf.constant(n), betas, _seed(seed, i))
        log_w.append(lw.numpy().astype(np.float64))
        if return_samples:
            samples.append(v.numpy())
    log_w = np.concatenate(log_w)
    log_z0 = base_log_partition(rbm, base_visible_bias)
    est, se = log_mean_exp(log_w)
    out = {"log_z": log_z0 + est, "std_err": se, "log_z_minus_3se": log_z0 + est - 3 * se,
           "log_z_plus_3se": log_z0 + est + 3 * se, "log_z_bound": log_z0 + float(log_w.mean()),
           "log_w": log_w, "log_z_base": log_z0}
    if return_samples:
        out["samples"] = np.concatenate(samples)
    return out


def reverse_ais_log_partition(rbm, start_visible, num_temperatures=1000, base_visible_bias=None, batch_size=100,
                              seed=1, schedule="salakhutdinov"):
    """Estimate `log Z` by reverse AIS from (approximate) model samples: the upper side of the bracket.

    Args:
        rbm: the RBM.
        start_visible: visible states `(R, D)` (or `(R, *visible_shape)`)
            drawn from the model, e.g. long Gibbs chains or forward AIS's
            final states; one reverse run each.
        num_temperatures, base_visible_bias, batch_size, seed, schedule: as in `ais_log_partition`.

    Returns:
        dict: `log_z` (`log Z_0 - log mean w_rev`), `std_err`, `log_z_bound`
        (`log Z_0 - mean log w_rev`: above `log Z` in expectation when the
        start states are exact model samples), `log_w`.
    """
    betas = tf.constant(beta_schedule(num_temperatures, schedule), tf.float32)
    _, reverse = _make_runner(rbm, base_visible_bias)
    v_all = np.asarray(start_visible, np.float32).reshape(-1, rbm.num_visible)
    log_w = []
    for i, start in enumerate(range(0, len(v_all), int(batch_size))):
        lw = reverse(tf.constant(v_all[start:start + int(batch_size)]), betas, _seed(seed, i))
        log_w.append(lw.numpy().astype(np.float64))
    log_w = np.concatenate(log_w)
    log_z0 = base_log_partition(rbm, base_visible_bias)
    est, se = log_mean_exp(log_w)
    return {"log_z": log_z0 - est, "std_err": se, "log_z_bound": log_z0 - float(log_w.mean()), "log_w": log_w,
            "log_z_base": log_z0}
