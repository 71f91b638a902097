"""Sliced Wasserstein distance between image sets over a Laplacian pyramid (Karras et al., 2018).

Progressive GAN's multi-scale statistical similarity: at each level of the
images' Laplacian pyramid, draw random 7x7 patches, normalize each, and
compare the two patch sets by the sliced Wasserstein distance (the 1-D
Wasserstein distance of random projections, averaged). Small distances at
the fine levels mean matching texture, at the coarse ones matching shapes.
TF-GAN's `sliced_wasserstein_distance`, in numpy. https://arxiv.org/abs/1710.10196
"""

import numpy as np

_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32) / 16.0  # 5x5 kernel = outer product / 256


def _blur(batch, gain):
    """Separable 5x5 binomial filter with reflected borders (cv2's pyrDown/pyrUp kernel)."""
    h, w = batch.shape[1:3]
    padded = np.pad(batch, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    rows = sum(k * padded[:, i:i + h] for i, k in enumerate(_BINOMIAL))
    return gain * sum(k * rows[:, :, i:i + w] for i, k in enumerate(_BINOMIAL))


def _pyr_down(batch):
    return _blur(batch, 1.0)[:, ::2, ::2]


def _pyr_up(batch):
    n, h, w, c = batch.shape
    up = np.zeros((n, 2 * h, 2 * w, c), batch.dtype)
    up[:, ::2, ::2] = batch
    return _blur(up, 4.0)


def laplacian_pyramid(batch, num_levels):
    """Laplacian pyramid of a batch of images, finest level first (TF-GAN's / cv2's convention).

    Level `i < num_levels - 1` is the detail lost by downsampling level `i`
    (`g_i - pyrUp(g_{i+1})` for the Gaussian pyramid `g`); the last level is
    the coarsest Gaussian level, so the levels sum back (upsampled) to the
    image.

    Args:
        batch: `(N, H, W, C)` images (float32 internally).
        num_levels: number of levels.

    Returns:
        List of `num_levels` float32 arrays, from `(N, H, W, C)` down.

    Example:
        >>> [lvl.shape for lvl in laplacian_pyramid(np.zeros((2, 32, 32, 3)), 3)]
        [(2, 32, 32, 3), (2, 16, 16, 3), (2, 8, 8, 3)]
    """
    pyramid = [np.asarray(batch, np.float32)]
    for _ in range(1, num_levels):
        pyramid.append(_pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - _pyr_up(pyramid[-1])
    return pyramid


def _batch_to_patches(batch, patches_per_image, patch_size, rng):
    """`patches_per_image` random `patch_size` squares (RGB) of each image, `(N * p, size, size, 3)`."""
    n, height, width, _ = batch.shape
    half = patch_size // 2
    count = patches_per_image * n
    image = np.arange(count) // patches_per_image
    ys = rng.integers(half, height - half, size=count)
    xs = rng.integers(half, width - half, size=count)
    offsets = np.arange(-half, half + 1)
    return batch[image[:, None, None], (ys[:, None] + offsets)[:, :, None],
                 (xs[:, None] + offsets)[:, None, :], :3]


def _normalize_patches(patches):
    """Each patch to zero mean and unit variance, flattened: `(count, size * size * 3)`."""
    mean = patches.mean(axis=(1, 2, 3), keepdims=True)
    std = patches.std(axis=(1, 2, 3), keepdims=True)
    # A constant patch becomes zeros (TF-GAN divides by 0 and gives NaN).
    return ((patches - mean) / np.maximum(std, 1e-8)).reshape(len(patches), -1)


def _sliced_wasserstein(a, b, random_sampling_count, random_projection_dim, rng):
    """Mean over random unit projections of the mean |sorted(a.p) - sorted(b.p)|."""
    means = []
    for _ in range(random_sampling_count):
        proj = rng.standard_normal((a.shape[1], random_projection_dim)).astype(a.dtype)
        proj /= np.sqrt(np.sum(np.square(proj), axis=0, keepdims=True))
        means.append(_mean_sorted_gap(proj.T @ a.T, proj.T @ b.T))
    return float(np.mean(means))


def _mean_sorted_gap(proj_a, proj_b):
    """Mean over directions (rows) of the 1-D Wasserstein distance of the projected samples."""
    return float(np.mean(np.abs(np.sort(proj_a, axis=1) - np.sort(proj_b, axis=1))))


def _sliced_wasserstein_svd(a, b):
    """The variant projecting on the principal directions of both sets together (not in the paper)."""
    both = np.concatenate([a, b], 0).astype(np.float64)
    # U S of the SVD both = U S V^T is both @ V, V the eigenvectors of both^T both:
    # a (D, D) eigenproblem instead of a (2N, D) SVD (column signs do not matter).
    _, v = np.linalg.eigh(both.T @ both)
    proj_a, proj_b = np.split(v.T @ both.T, 2, axis=1)
    return _mean_sorted_gap(proj_a, proj_b)


def sliced_wasserstein_distance(real_images, fake_images, resolution_min=16, patches_per_image=64, patch_size=7,
                                random_sampling_count=1, random_projection_dim=7 * 7 * 3, use_svd=False, *,
                                seed=None):
    """Sliced Wasserstein distance per Laplacian-pyramid level (Karras et al., 2018; TF-GAN's function).

    Levels run from the full resolution down to `resolution_min` (powers of
    two). At each, `patches_per_image` random patches per image are drawn
    from the real images twice (two independent draws) and from the fake
    images once, each patch normalized to zero mean and unit variance, and
    the sliced Wasserstein distance taken with `random_sampling_count` sets
    of `random_projection_dim` random unit directions (`use_svd`: the
    principal directions instead). The real-vs-real distance is the noise
    floor of the real-vs-fake one. Values depend on the number of images
    (the paper uses 8,192). https://arxiv.org/abs/1710.10196

    Args:
        real_images: `(N, S, S, 3)` real RGB images (square).
        fake_images: fake images of the same shape.
        resolution_min: coarsest level's resolution.
        patches_per_image: patches per image and level.
        patch_size: patch width (odd).
        random_sampling_count: sets of random projections averaged.
        random_projection_dim: directions per set.
        use_svd: project on the principal directions (TF-GAN's experimental variant).
        seed: kgen's addition: seed of the patch positions and projections
            (None: fresh entropy, as TF-GAN's global RNG).

    Returns:
        List of `(distance_real, distance_fake)` per level, finest first:
        real vs a second draw of real patches, and real vs fake.

    Example:
        >>> sliced_wasserstein_distance(real_images, fake_images, seed=0)
        [(0.014, 0.02), (0.014, 0.021)]
    """
    real = np.asarray(real_images, np.float32)
    fake = np.asarray(fake_images, np.float32)
    if real.ndim != 4 or real.shape[1] != real.shape[2] or real.shape[3] != 3:
        raise ValueError(f"expected square RGB images (N, S, S, 3). Received: real shape={real.shape}")
    if fake.shape != real.shape:
        raise ValueError(
            f"expected fake images of the real images' shape {real.shape}. Received: {fake.shape}")
    if not 0 < patch_size // 2 < real.shape[1] - patch_size // 2:
        raise ValueError(f"expected 3 <= patch_size < {real.shape[1]} (odd). Received: {patch_size}")
    rng = np.random.default_rng(seed)
    resolution = int(real.shape[1])
    resolution_min = min(resolution_min, resolution)
    num_levels = int(np.log2(resolution)) - int(np.log2(resolution_min)) + 1

    def draw(levels):
        return [_normalize_patches(_batch_to_patches(level, patches_per_image, patch_size, rng)) for level in levels]

    real_levels = laplacian_pyramid(real, num_levels)
    patches_real, patches_test = draw(real_levels), draw(real_levels)
    patches_fake = draw(laplacian_pyramid(fake, num_levels))
    scores = []
    for a, t, f in zip(patches_real, patches_test, patches_fake):
        if use_svd:
            scores.append((_sliced_wasserstein_svd(a, t), _sliced_wasserstein_svd(a, f)))
        else:
            scores.append((_sliced_wasserstein(a, t, random_sampling_count, random_projection_dim, rng),
                           _sliced_wasserstein(a, f, random_sampling_count, random_projection_dim, rng)))
    return scores
