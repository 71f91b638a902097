"""Latent-space tools: interpolation, vector arithmetic, traversals, 2-D manifolds, PNG grids.

For any kgen generative model (GAN latents) and for autoencoders/VAEs, whose
inputs are first mapped to codes with `encode` (`interpolate_inputs`,
`traverse`, `manifold_grid`).

Radford et al. (2015) show walks and arithmetic in a GAN's latent space;
White (2016) argues for spherical interpolation under a Gaussian prior
(linear midpoints of two Gaussian latents have an atypically small norm).
https://arxiv.org/abs/1609.04468
"""

import numpy as np

from kgen.images import save_grid

__all__ = ["lerp", "slerp", "interpolate", "vector_arithmetic", "interpolation_grid", "save_interpolation_grid",
           "interpolate_inputs", "traverse", "manifold_grid"]


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
    """Spherical interpolation from `z0` to `z1` (White, 2016).

    `sin((1-t) w)/sin(w) z0 + sin(t w)/sin(w) z1` with `w` the angle
    between them: on the great circle when the norms are equal (otherwise
    the norm along the path is not linear in t); falls back to `lerp` when
    they are (anti)parallel.

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
    images = interpolation_grid(model, starts, ends, steps, method, labels)
    return save_grid(images, path, value_range=value_range, ncols=steps, scale=scale)


# -- autoencoders and VAEs: walks between and around encoded inputs ------------------

def _decode(model, zs, labels):
    lab = None
    if getattr(model, "num_classes", None):
        lab = np.full((len(zs),), 0 if labels is None else int(labels), np.int32)
    zs = np.asarray(zs, np.float32)
    return np.asarray(model.decode_latent(zs, lab) if lab is not None else model.decode_latent(zs))


def _write(images, path, value_range, ncols):
    if path:
        save_grid(images, path, value_range, ncols=ncols)
    return images


def interpolate_inputs(model, x1, x2, steps=8, method="linear", labels=None, path=None,
                       value_range=(0.0, 1.0)):
    """Decode the path between the codes of two inputs (`model.encode`; a VAE's posterior means).

    Args:
        model: a kgen AE/VAE with `encode` and `decode_latent`.
        x1, x2: two inputs (without batch axis).
        steps: number of points, ends included.
        method: "linear" or "slerp" (see `interpolate`).
        labels: a single class id for conditional models.
        path: write the row of images as a PNG.
        value_range: image range for the PNG.

    Returns:
        numpy images `(steps, ...)`.

    Example:
        >>> imgs = interpolate_inputs(vae, x_test[0], x_test[1], steps=10, path="interp.png")
    """
    z = np.asarray(model.encode(np.stack([x1, x2]).astype(np.float32)))
    return _write(_decode(model, interpolate(z[0], z[1], steps, method), labels), path, value_range,
                  steps)


def traverse(model, x=None, dim=0, values=None, labels=None, path=None, value_range=(0.0, 1.0)):
    """Vary one latent dimension, the others fixed (at x's code, or 0).

    Args:
        model: a kgen AE/VAE.
        x: an input whose code is the base point (None: the zero latent).
        dim: the dimension to vary, or a list of dimensions (one row each).
        values: the values taken (default: -3..3, 9 points).

    Returns:
        numpy images `(rows * len(values), ...)`.

    Example:
        >>> traverse(beta_vae, x_test[0], dim=list(range(10)), path="traversal.png")
    """
    values = np.linspace(-3, 3, 9, dtype=np.float32) if values is None else np.asarray(values, np.float32)
    dims = [dim] if np.isscalar(dim) else list(dim)
    for d in dims:
        if not 0 <= int(d) < model.latent_dim:
            raise ValueError(f"expected dim in [0, {model.latent_dim}). Received: dim={d}")
    base = (np.zeros(model.latent_dim, np.float32) if x is None
            else np.asarray(model.encode(np.asarray(x, np.float32)[None]))[0])
    zs = np.repeat(base[None], len(dims) * len(values), axis=0)
    for r, d in enumerate(dims):
        zs[r * len(values):(r + 1) * len(values), int(d)] = values
    return _write(_decode(model, zs, labels), path, value_range, len(values))


def manifold_grid(model, n=15, dims=(0, 1), limit=0.95, labels=None, path=None,
                  value_range=(0.0, 1.0)):
    """Decode an n x n grid of latents spanning two dimensions (Kingma & Welling, Fig. 4).

    Grid points are normal quantiles in (1-limit)..limit so that equal areas
    have equal prior mass; other dimensions are 0.

    Returns:
        numpy images `(n*n, ...)` row-major (first dim varies along columns).

    Example:
        >>> manifold_grid(vae2d, n=20, path="manifold.png")
    """
    from scipy import stats

    q = stats.norm.ppf(np.linspace(1.0 - limit, limit, n)).astype(np.float32)
    zs = np.zeros((n * n, model.latent_dim), np.float32)
    zs[:, dims[0]] = np.tile(q, n)
    zs[:, dims[1]] = np.repeat(q[::-1], n)
    return _write(_decode(model, zs, labels), path, value_range, n)
