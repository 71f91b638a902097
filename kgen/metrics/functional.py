"""Sample-quality metrics as pure numpy functions of features (float64 where it matters).

Names follow TF-GAN where it has the metric (`frechet_classifier_distance_from_activations`,
`kernel_classifier_distance_and_std_from_activations`, `classifier_score_from_logits`).
"""

import numpy as np
import scipy.linalg


def _as_features(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected {name} of rank 2 (N, D). Received: shape={x.shape}")
    return x


def _sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix (eigendecomposition, float64)."""
    vals, vecs = scipy.linalg.eigh(matrix)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet distance between two Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = |mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), with the
    trace of the square root computed in float64 as Tr((A sigma2 A)^(1/2)),
    A = sigma1^(1/2): a symmetric PSD matrix, so its eigenvalues are real and
    clipping rounding noise at zero is exact (Heusel et al., 2017,
    https://arxiv.org/abs/1706.08500).

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
    sigma1 = (sigma1 + sigma1.T) / 2
    sigma2 = (sigma2 + sigma2.T) / 2
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(scipy.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def mean_and_covariance(features):
    """Mean and unbiased covariance of features `(N, D)` in float64."""
    x = _as_features(features, "features")
    if len(x) < 2:
        raise ValueError(f"expected at least 2 feature vectors. Received: {len(x)}")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def frechet_classifier_distance_from_activations(activations1, activations2):
    """FID between two feature sets `(N, D)` and `(M, D)` (TF-GAN's name).

    Example:
        >>> frechet_classifier_distance_from_activations(real_feats, fake_feats)
    """
    return frechet_distance(*mean_and_covariance(activations1), *mean_and_covariance(activations2))


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1.0):
    """k(x, y) = (gamma <x, y> + coef0)^degree, gamma = 1/D by default (KID's kernel)."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    base = gamma * (x @ y.T) + coef0
    if degree == 3:
        return base * base * base  # much faster than a float power
    return base ** degree


def mmd2_unbiased(x, y, kernel=polynomial_kernel):
    """Unbiased estimate of the squared MMD between samples `x (m, D)` and `y (n, D)`."""
    x, y = _as_features(x, "x"), _as_features(y, "y")
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"expected at least 2 samples on each side. Received: {m} and {n}")
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
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


def kernel_classifier_distance_and_std_from_activations(real_activations, generated_activations,
                                                        max_block_size=1024):
    """KID as TF-GAN computes it: mean and std of the unbiased MMD^2 over disjoint blocks.

    Both sets are split in order into the same number of blocks of at most
    `max_block_size` samples.
    """
    x = _as_features(real_activations, "real_activations")
    y = _as_features(generated_activations, "generated_activations")
    blocks = max(int(np.ceil(max(len(x), len(y)) / max_block_size)), 1)
    values = np.array([mmd2_unbiased(bx, by) for bx, by in
                       zip(np.array_split(x, blocks), np.array_split(y, blocks))])
    std = values.std(ddof=1) / np.sqrt(blocks) if blocks > 1 else float("nan")
    return float(values.mean()), float(std)


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


def classifier_score_from_logits(logits, num_splits=1):
    """Inception score from classifier logits `(N, K)` (TF-GAN's name)."""
    z = _as_features(logits, "logits")
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return classifier_score_from_probabilities(p / p.sum(axis=1, keepdims=True), num_splits)


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
