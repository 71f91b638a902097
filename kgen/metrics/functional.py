"""Sample-quality metrics as pure numpy functions of features (float64 where it matters).

Names, arguments and values follow TF-GAN's `tfgan.eval` where it has the
metric (`frechet_classifier_distance_from_activations` and its mean-only and
diagonal-only variants, `kernel_classifier_distance(_and_std)_from_activations`,
`classifier_score_from_logits`, `trace_sqrt_product`, `kl_divergence`); they
return Python floats (numpy arrays for per-example values) instead of tensors
and accept arrays or tensors. The versions taking inputs and a
`classifier_fn` are in `kgen.metrics.classifier_metrics`.
"""

import numpy as np
import scipy.linalg
import scipy.special


def _as_features(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected {name} of rank 2 (N, D). Received: shape={x.shape}")
    return x


def _sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix (eigendecomposition, float64)."""
    vals, vecs = scipy.linalg.eigh(matrix)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def trace_sqrt_product(sigma, sigma_v):
    """`Tr((sigma sigma_v)^(1/2))` of two covariance matrices (TF-GAN's `trace_sqrt_product`).

    The product of two symmetric PSD matrices is not symmetric, but with
    `A = sigma^(1/2)` it has the eigenvalues of the symmetric PSD
    `A sigma_v A`, so the trace is the sum of the square roots of that
    matrix's eigenvalues (computed in float64, rounding noise below zero
    clipped). https://arxiv.org/abs/1706.08500

    Args:
        sigma: `(D, D)` symmetric positive semi-definite matrix.
        sigma_v: another one.

    Returns:
        A non-negative float.

    Example:
        >>> trace_sqrt_product(np.diag([1.0, 4.0]), np.diag([4.0, 1.0]))  # 2 + 2
        4.0
    """
    sigma = np.atleast_2d(np.asarray(sigma, np.float64))
    sigma_v = np.atleast_2d(np.asarray(sigma_v, np.float64))
    if sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1] or sigma.shape != sigma_v.shape:
        raise ValueError(
            "expected two square matrices (D, D) of one size. "
            f"Received: sigma={sigma.shape}, sigma_v={sigma_v.shape}"
        )
    root = _sqrt_psd((sigma + sigma.T) / 2)
    middle = root @ ((sigma_v + sigma_v.T) / 2) @ root
    return float(np.sqrt(np.clip(scipy.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet distance between two Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = |mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), the
    trace of the square root by `trace_sqrt_product` (float64) (Heusel et
    al., 2017, https://arxiv.org/abs/1706.08500).

    Args:
        mu1, mu2: means `(D,)`.
        sigma1, sigma2: covariances `(D, D)`.

    Returns:
        A non-negative float.

    Example:
        >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))
        2.0
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(
            "expected means (D,) and covariances (D, D) of one size D. Received: "
            f"mu1={mu1.shape}, sigma1={sigma1.shape}, mu2={mu2.shape}, sigma2={sigma2.shape}"
        )
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    return float(max(value, 0.0))


def mean_and_covariance(features):
    """Mean and unbiased covariance of features `(N, D)` in float64."""
    x = _as_features(features, "features")
    if len(x) < 2:
        raise ValueError(f"expected at least 2 feature vectors. Received: {len(x)}")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _activation_pair(activations1, activations2):
    a, b = _as_features(activations1, "activations1"), _as_features(activations2, "activations2")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"expected activations of one width D. Received: {a.shape} and {b.shape}")
    return a, b


def frechet_classifier_distance_from_activations(activations1, activations2):
    """FID between two activation sets `(N, D)` and `(M, D)` (Heusel et al., 2017; TF-GAN's name).

    `|m1 - m2|^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2))` with the sample means and
    unbiased covariances, in float64. Biased for small samples: compare
    models at one sample size. https://arxiv.org/abs/1706.08500

    Args:
        activations1: `(N, D)` features (e.g. of real images).
        activations2: `(M, D)` features (e.g. of generated images).

    Returns:
        A non-negative float.

    Example:
        >>> frechet_classifier_distance_from_activations(real_feats, fake_feats)
    """
    a, b = _activation_pair(activations1, activations2)
    return frechet_distance(*mean_and_covariance(a), *mean_and_covariance(b))


def mean_only_frechet_classifier_distance_from_activations(activations1, activations2):
    """The mean term of the FID, `|m1 - m2|^2` (TF-GAN's mean-only FID).

    O(D) memory instead of O(D^2), keeping much of the FID's information.
    https://arxiv.org/abs/1706.08500

    Args:
        activations1: `(N, D)` features.
        activations2: `(M, D)` features.

    Returns:
        A non-negative float.

    Example:
        >>> mean_only_frechet_classifier_distance_from_activations([[0.0], [2.0]], [[3.0]])
        4.0
    """
    a, b = _activation_pair(activations1, activations2)
    return float(np.sum(np.square(a.mean(axis=0) - b.mean(axis=0))))


def diagonal_only_frechet_classifier_distance_from_activations(activations1, activations2):
    """FID with diagonal covariances: `|m1 - m2|^2 + sum(v1 + v2 - 2 sqrt(v1 v2))` (TF-GAN's variant).

    The variances are the biased (1/N) per-dimension ones, as TF-GAN's
    (`tf.nn.moments`); no matrix square root, O(D) memory.
    https://arxiv.org/abs/1706.08500

    Args:
        activations1, activations2: as in
            `mean_only_frechet_classifier_distance_from_activations`.

    Returns:
        A non-negative float.

    Example:
        >>> diagonal_only_frechet_classifier_distance_from_activations([[0.0], [2.0]], [[1.0], [5.0]])
        5.0
    """
    a, b = _activation_pair(activations1, activations2)
    var1, var2 = a.var(axis=0), b.var(axis=0)
    return mean_only_frechet_classifier_distance_from_activations(a, b) + float(
        np.sum(var1 + var2 - 2.0 * np.sqrt(var1 * var2)))


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1.0):
    """k(x, y) = (gamma <x, y> + coef0)^degree, gamma = 1/D by default (KID's kernel)."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    base = gamma * (x @ y.T) + coef0
    if degree == 3:
        return base * base * base  # much faster than a float power
    return base ** degree


def mmd2_unbiased(x, y, kernel=polynomial_kernel):
    """Unbiased estimate of the squared MMD between samples `x (m, D)` and `y (n, D)`."""
    return float(_mmd2(_as_features(x, "x"), _as_features(y, "y"), kernel))


def _mmd2(x, y, kernel=polynomial_kernel):
    """The unbiased MMD^2 in the arrays' own dtype."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"expected at least 2 samples on each side. Received: {m} and {n}")
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2.0 * kxy.mean())


def kernel_distance(real_features, fake_features, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel.

    The estimate is averaged over `num_subsets` random subsets of
    `min(subset_size, N // 2, M // 2)` samples per side, so subsets differ
    (and the std means something) even with few samples (Bińkowski et al., 2018,
    https://arxiv.org/abs/1801.01401). Unbiased: its expectation is 0 when
    both sets come from one distribution, so it can be negative.

    Args:
        real_features: `(N, D)`.
        fake_features: `(M, D)`.
        num_subsets: number of subsets.
        subset_size: samples per subset and side.
        seed: seed of the subset draws.

    Returns:
        `(mean, std)` over subsets.

    Example:
        >>> kid, kid_std = kernel_distance(real_feats, fake_feats)
    """
    x, y = _as_features(real_features, "real_features"), _as_features(fake_features, "fake_features")
    size = max(min(int(subset_size), len(x) // 2, len(y) // 2), 2)
    rng = np.random.default_rng(seed)
    values = np.array([
        mmd2_unbiased(x[rng.choice(len(x), size, replace=False)],
                      y[rng.choice(len(y), size, replace=False)])
        for _ in range(int(num_subsets))
    ])
    return float(values.mean()), float(values.std())


def _block_bounds(n, blocks):
    """Bounds of `blocks` contiguous blocks of `n` rows; the last `n % blocks` get one more (TF-GAN's split)."""
    base, extra = divmod(n, blocks)
    sizes = np.full(blocks, base)
    sizes[blocks - extra:] += 1
    return np.concatenate([[0], np.cumsum(sizes)])


def _numpy_dtype(dtype):
    return np.dtype(getattr(dtype, "as_numpy_dtype", dtype))


def kernel_classifier_distance_and_std_from_activations(activations1, activations2, max_block_size=1024,
                                                        dtype=None):
    """KID (Bińkowski et al., 2018) and its standard error, as TF-GAN computes them.

    Both sets are split, in order, into `ceil(max(N, M) / max_block_size)`
    contiguous blocks of near-equal size (the last blocks one row larger
    when the count does not divide); each block pair gives an unbiased MMD^2
    with the kernel `(x.y / D + 1)^3`, the block estimator of Zaremba et al.
    (2013). Returns their mean and `std(ddof=1) / sqrt(blocks)` (NaN for one
    block). Assumes both sets are in random order. Computed in float64
    unless `dtype` is given (TF-GAN: the activations' dtype).
    https://arxiv.org/abs/1801.01401

    Args:
        activations1: `(N, D)` features.
        activations2: `(M, D)` features.
        max_block_size: the largest block; smaller blocks give a more
            reliable standard error, larger ones a lower variance.
        dtype: numpy or TensorFlow dtype to compute in.

    Returns:
        `(kid, standard_error)` floats.

    Example:
        >>> kid, se = kernel_classifier_distance_and_std_from_activations(real_feats, fake_feats)
    """
    a, b = _activation_pair(activations1, activations2)
    if dtype is not None:
        a, b = a.astype(_numpy_dtype(dtype)), b.astype(_numpy_dtype(dtype))
    blocks = max(int(np.ceil(max(len(a), len(b)) / max_block_size)), 1)
    ia, ib = _block_bounds(len(a), blocks), _block_bounds(len(b), blocks)
    values = np.array([_mmd2(a[ia[i]:ia[i + 1]], b[ib[i]:ib[i + 1]]) for i in range(blocks)])
    std = values.std(ddof=1) / np.sqrt(blocks) if blocks > 1 else float("nan")
    return float(values.mean()), float(std)


def kernel_classifier_distance_from_activations(activations1, activations2, max_block_size=1024, dtype=None):
    """KID from activations (Bińkowski et al., 2018; TF-GAN's name): the first value of `..._and_std`.

    https://arxiv.org/abs/1801.01401

    Args:
        activations1, activations2, max_block_size, dtype: as in
            `kernel_classifier_distance_and_std_from_activations`.

    Returns:
        A float (unbiased: can be negative when the sets match).

    Example:
        >>> kernel_classifier_distance_from_activations(real_feats, fake_feats)
    """
    return kernel_classifier_distance_and_std_from_activations(activations1, activations2, max_block_size,
                                                               dtype)[0]


def classifier_score_from_probabilities(probabilities, num_splits=1, eps=1e-12):
    """Inception score exp(E_x KL(p(y|x) || p(y))) from class probabilities `(N, K)`.

    1 when every sample gets the same prediction; K (the number of classes)
    for confident one-hot predictions spread uniformly over the classes
    (Salimans et al., 2016, https://arxiv.org/abs/1606.03498).

    Args:
        probabilities: rows summing to 1.
        num_splits: compute on this many consecutive splits.

    Returns:
        The score (mean over splits) as a float.
    """
    p = _as_features(probabilities, "probabilities")
    scores = []
    for part in np.array_split(p, int(num_splits)):
        marginal = part.mean(axis=0)
        kl = (part * (np.log(part + eps) - np.log(marginal + eps))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores))


def kl_divergence(p, p_logits, q):
    """Per-row `KL(p_i || q) = sum_j p_ij (log_softmax(p_logits)_ij - log q_j)` (TF-GAN's `kl_divergence`).

    The logits give `log p` stably (no log of a rounded-to-zero probability).

    Args:
        p: `(N, K)` floating probabilities.
        p_logits: `(N, K)` floating logits of `p`.
        q: `(K,)` floating probabilities.

    Returns:
        float64 array `(N,)`.

    Example:
        >>> kl_divergence(np.array([[0.5, 0.5]]), np.zeros((1, 2)), np.array([0.5, 0.5]))
        array([0.])
    """
    arrays = {"p": np.asarray(p), "p_logits": np.asarray(p_logits), "q": np.asarray(q)}
    for name, value in arrays.items():
        if not np.issubdtype(value.dtype, np.floating):
            raise ValueError(f"expected floating-point {name}. Received: dtype={value.dtype}")
    for name, rank in (("p", 2), ("p_logits", 2), ("q", 1)):
        if arrays[name].ndim != rank:
            raise ValueError(f"expected {name} of rank {rank}. Received: shape={arrays[name].shape}")
    p, logits, q = (arrays[k].astype(np.float64) for k in ("p", "p_logits", "q"))
    log_p = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    return np.sum(p * (log_p - np.log(q)), axis=1)


def classifier_score_from_logits(logits, *, num_splits=1):
    """Inception score `exp(E_x KL(p(y|x) || p(y)))` from classifier logits `(N, K)` (TF-GAN's name).

    Computed in float64 from the logits (log-softmax, as TF-GAN), so
    confident predictions lose nothing to rounding (Salimans et al., 2016,
    https://arxiv.org/abs/1606.03498).

    Args:
        logits: `(N, K)` logits.
        num_splits: kgen's addition: the mean score over this many
            consecutive splits (1, TF-GAN's behaviour: one score).

    Returns:
        The score as a float.

    Example:
        >>> classifier_score_from_logits(50.0 * np.eye(10))  # confident and uniform: K
        10.0...
    """
    z = _as_features(logits, "logits")
    scores = []
    for part in np.array_split(z, int(num_splits)):
        p = scipy.special.softmax(part, axis=1)
        scores.append(np.exp(kl_divergence(p, part, p.mean(axis=0)).mean()))
    return float(np.mean(scores))


def pairwise_sq_distances(a, b):
    """Squared Euclidean distances `(len(a), len(b))` in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def knn_radii(features, k=3, chunk=1024):
    """Squared distance of each point to its k-th nearest neighbour (itself excluded)."""
    x = _as_features(features, "features")
    if len(x) <= k:
        raise ValueError(f"expected more than k={k} samples for k-NN radii. Received: {len(x)}")
    radii = np.empty(len(x))
    for start in range(0, len(x), chunk):
        d = pairwise_sq_distances(x[start:start + chunk], x)
        # Index 0 of the sorted row is the point itself (distance 0).
        radii[start:start + chunk] = np.partition(d, k, axis=1)[:, k]
    return radii


def manifold_coverage(reference, queries, k=3, chunk=1024, radii=None):
    """Fraction of `queries` inside the k-NN manifold of `reference` (union of k-NN balls)."""
    ref = _as_features(reference, "reference")
    q = _as_features(queries, "queries")
    radii = knn_radii(ref, k, chunk) if radii is None else radii
    inside = np.zeros(len(q), bool)
    for start in range(0, len(q), chunk):
        d = pairwise_sq_distances(q[start:start + chunk], ref)
        inside[start:start + chunk] = (d <= radii[None, :]).any(axis=1)
    return float(inside.mean())


def precision_recall(real_features, fake_features, k=3):
    """Improved precision and recall of generative models (Kynkäänniemi et al., 2019).

    Precision: fraction of generated samples inside the real manifold (the
    union of balls around real samples reaching their k-th nearest real
    neighbour). Recall: fraction of real samples inside the generated
    manifold. https://arxiv.org/abs/1904.06991

    Args:
        real_features: `(N, D)`.
        fake_features: `(M, D)`.
        k: neighbourhood size (3 in the paper).

    Returns:
        `(precision, recall)`.

    Example:
        >>> precision, recall = precision_recall(real_feats, fake_feats)
    """
    return (manifold_coverage(real_features, fake_features, k),
            manifold_coverage(fake_features, real_features, k))


def ssim(x, y, value_range=(-1.0, 1.0), filter_size=11):
    """Mean SSIM per image `(N,)` (Wang et al., 2004), window shrunk for small images.

    Images are shifted to [0, high - low] first: SSIM's luminance term
    assumes non-negative intensities.
    """
    import tensorflow as tf

    low, high = (float(v) for v in value_range)
    max_val = high - low
    x = tf.convert_to_tensor(np.asarray(x, np.float32) - low)
    y = tf.convert_to_tensor(np.asarray(y, np.float32) - low)
    size = int(min(filter_size, x.shape[1], x.shape[2]))
    sigma = 1.5 * size / 11.0
    return tf.image.ssim(x, y, max_val=float(max_val), filter_size=size, filter_sigma=sigma).numpy()


def psnr(mse, max_val):
    """Peak signal-to-noise ratio in dB from mean squared errors (capped at 100 dB for mse 0)."""
    mse = np.asarray(mse, np.float64)
    with np.errstate(divide="ignore"):
        value = 10.0 * np.log10(max_val ** 2 / mse)
    return np.minimum(value, 100.0)
