"""Latent-space tools: linear and spherical interpolation, vector arithmetic, PNG grids.

Radford et al. (2015) show walks and arithmetic in a GAN's latent space;
White (2016) argues for spherical interpolation under a Gaussian prior
(linear midpoints of two Gaussian latents have an atypically small norm).
https://arxiv.org/abs/1609.04468
"""

import numpy as np

__all__ = ["lerp", "slerp", "interpolate", "vector_arithmetic", "interpolation_grid", "save_interpolation_grid"]


def _pair(z0, z1):
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(f"expected two latent vectors of the same shape (D,). Received: {z0.shape} and {z1.shape}")
    return z0, z1


def lerp(z0, z1, steps):
    """Linear interpolation `(1 - t) z0 + t z1` for `steps` values of t in [0, 1].

    Example:
        >>> lerp([0.0, 0.0], [1.0, 2.0], 3)[1]
        array([0.5, 1. ], dtype=float32)
    """
    z0, z1 = _pair(z0, z1)
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    return ((1 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0, z1, steps):
    """Spherical interpolation along the great circle from `z0` to `z1` (norms interpolated linearly).

    `sin((1-t) w)/sin(w) z0 + sin(t w)/sin(w) z1` with `w` the angle
    between them; falls back to `lerp` when they are (anti)parallel.

    Example:
        >>> slerp([1.0, 0.0], [0.0, 1.0], 3)[1]  # on the unit circle
        array([0.70710677, 0.70710677], dtype=float32)
    """
    z0, z1 = _pair(z0, z1)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return lerp(z0, z1, steps)
    cos = np.clip(np.dot(z0 / n0, z1 / n1), -1.0, 1.0)
    omega = np.arccos(cos)
    if np.sin(omega) < 1e-6:
        return lerp(z0, z1, steps)
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def interpolate(z0, z1, steps, method="slerp"):
    """Interpolate with `method` "slerp" or "linear"."""
    if method in ("slerp", "spherical"):
        return slerp(z0, z1, steps)
    if method in ("linear", "lerp"):
        return lerp(z0, z1, steps)
    raise ValueError(f"expected method in ('slerp', 'linear'). Received: method={method!r}")


def vector_arithmetic(positive, negative=()):
    """Latent arithmetic on group means: `sum(mean(g) for g in positive) - sum(mean(g) for g in negative)`.

    Radford et al. average the codes of three samples per concept
    (e.g. smiling woman - neutral woman + neutral man).

    Args:
        positive: list of latent groups `(n_i, D)` to add.
        negative: list of latent groups `(m_j, D)` to subtract.

    Returns:
        One latent vector `(D,)`.

    Example:
        >>> z = vector_arithmetic([z_smiling_woman, z_neutral_man], [z_neutral_woman])
    """
    groups = [np.asarray(g, np.float64) for g in list(positive) + list(negative)]
    if not positive or any(g.ndim != 2 or g.shape[0] == 0 for g in groups):
        raise ValueError("expected at least one positive group, each of shape (n >= 1, D).")
    dims = {g.shape[1] for g in groups}
    if len(dims) != 1:
        raise ValueError(f"expected groups of one latent size. Received sizes: {sorted(dims)}")
    out = sum(np.asarray(g, np.float64).mean(0) for g in positive)
    out = out - sum((np.asarray(g, np.float64).mean(0) for g in negative), np.zeros(dims.pop()))
    return out.astype(np.float32)


def interpolation_grid(model, starts, ends, steps=8, method="slerp", labels=None):
    """Generate one row of samples per `(start, end)` pair, interpolating the latent.

    Args:
        model: a kgen generative model with `generate(z, labels=None)`.
        starts: latents `(R, D)`.
        ends: latents `(R, D)`.
        steps: samples per row.
        method: "slerp" or "linear".
        labels: for conditional models, one label per row `(R,)`.

    Returns:
        Samples `(R * steps, ...)` as numpy, rows in order.
    """
    starts, ends = np.asarray(starts, np.float32), np.asarray(ends, np.float32)
    if starts.shape != ends.shape or starts.ndim != 2:
        raise ValueError(f"expected starts and ends of one shape (R, D). Received: {starts.shape}, {ends.shape}")
    z = np.concatenate([interpolate(a, b, steps, method) for a, b in zip(starts, ends)])
    row_labels = None if labels is None else np.repeat(np.asarray(labels), steps)
    out = model.generate(z, labels=row_labels)
    return np.asarray(out)


def save_interpolation_grid(model, starts, ends, path, steps=8, method="slerp", labels=None,
                            value_range=(-1.0, 1.0), scale=1):
    """Write `interpolation_grid` as a PNG (one interpolation per row).

    Example:
        >>> z = gan.sample_latent(8)
        >>> save_interpolation_grid(gan, z[:4], z[4:], "walk.png", steps=10)
    """
    from kgen.images import save_grid

    images = interpolation_grid(model, starts, ends, steps, method, labels)
    return save_grid(images, path, value_range=value_range, ncols=steps, scale=scale)
