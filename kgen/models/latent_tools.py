"""Latent-space tools: interpolation, traversal of one dimension, 2-D manifold grids (PNG outputs)."""

import numpy as np
from scipy import stats

from kgen.images import save_grid


def _np(x):
    return np.asarray(x, dtype=np.float32)


def interpolate(model, x1, x2, steps=8, labels=None, path=None, value_range=(0.0, 1.0)):
    """Decode the straight line between the codes of two inputs.

    Args:
        model: a kgen AE/VAE with `encode` and `decode_latent`.
        x1, x2: two inputs (without batch axis).
        steps: number of points, ends included.
        labels: a single class id for conditional models.
        path: write the row of images as a PNG.
        value_range: image range for the PNG.

    Returns:
        numpy images `(steps, ...)`.

    Example:
        >>> imgs = interpolate(vae, x_test[0], x_test[1], steps=10, path="interp.png")
    """
    z = _np(model.encode(_np(np.stack([x1, x2]))))
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    zs = (1.0 - t) * z[0] + t * z[1]
    images = _decode(model, zs, labels)
    if path:
        save_grid(images, path, value_range, ncols=steps)
    return images


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
    values = np.linspace(-3, 3, 9, dtype=np.float32) if values is None else _np(values)
    dims = [dim] if np.isscalar(dim) else list(dim)
    base = np.zeros(model.latent_dim, np.float32) if x is None else _np(model.encode(_np(x)[None]))[0]
    for d in dims:
        if not 0 <= int(d) < model.latent_dim:
            raise ValueError(f"expected dim in [0, {model.latent_dim}). Received: dim={d}")
    zs = np.repeat(base[None], len(dims) * len(values), axis=0)
    for r, d in enumerate(dims):
        zs[r * len(values):(r + 1) * len(values), int(d)] = values
    images = _decode(model, zs, labels)
    if path:
        save_grid(images, path, value_range, ncols=len(values))
    return images


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
    q = stats.norm.ppf(np.linspace(1.0 - limit, limit, n)).astype(np.float32)
    zs = np.zeros((n * n, model.latent_dim), np.float32)
    zs[:, dims[0]] = np.tile(q, n)
    zs[:, dims[1]] = np.repeat(q[::-1], n)
    images = _decode(model, zs, labels)
    if path:
        save_grid(images, path, value_range, ncols=n)
    return images


def _decode(model, zs, labels):
    lab = None
    if getattr(model, "num_classes", None):
        lab = np.full((len(zs),), 0 if labels is None else int(labels), np.int32)
    return np.asarray(model.decode_latent(zs, lab) if lab is not None else model.decode_latent(zs))
