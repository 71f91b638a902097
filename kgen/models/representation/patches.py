"""Cutting images into tiles and patches at per-example positions (jigsaw, context prediction)."""

import tensorflow as tf
from keras import ops


def crop_patches(x, tops, lefts, size):
    """Crop square patches at per-example, per-patch positions.

    Args:
        x: images `(N, H, W, C)`.
        tops, lefts: int top-left corners `(N, P)`.
        size: patch side.

    Returns:
        Patches `(N, P, size, size, C)`; patch `[n, p]` is
        `x[n, tops[n, p]:tops[n, p] + size, lefts[n, p]:lefts[n, p] + size]`.

    Example:
        >>> crop_patches(images, tops, lefts, 4).shape   # (N, P, 4, 4, C)
    """
    offsets = ops.arange(int(size), dtype="int32")
    rows = ops.cast(tops, "int32")[..., None] + offsets  # (N, P, s)
    cols = ops.cast(lefts, "int32")[..., None] + offsets
    # (N, P, s, W, C): for each patch, its rows of the image.
    by_rows = tf.gather(x, rows, axis=1, batch_dims=1)
    # (N, P, s, s, C): then its columns.
    return tf.gather(by_rows, cols, axis=3, batch_dims=2)


def normalize_each(patches, epsilon=1e-5):
    """Normalize every patch on its own to zero mean and unit standard deviation (over its pixels and channels).

    Noroozi & Favaro normalize each jigsaw tile independently, so that
    tiles cannot be matched by their mean brightness or contrast.

    Args:
        patches: `(N, P, h, w, C)`.
        epsilon: added to the variance.

    Returns:
        Patches of the same shape.
    """
    patches = ops.cast(patches, "float32")
    mean = ops.mean(patches, axis=(2, 3, 4), keepdims=True)
    var = ops.var(patches, axis=(2, 3, 4), keepdims=True)
    return (patches - mean) / ops.sqrt(var + epsilon)


def merge_patch_axis(patches):
    """`(N, P, h, w, C) -> (N * P, h, w, C)` (example-major), for one encoder pass over every patch."""
    shape = ops.shape(patches)
    return ops.reshape(patches, (-1, shape[2], shape[3], shape[4]))


def grid_cells(x, cell):
    """The 3x3 grid of `cell`-sized cells of each image: `(N, 9, cell, cell, C)`, reading order."""
    tops = ops.convert_to_tensor([[r * cell for r in range(3) for _ in range(3)]], "int32")
    lefts = ops.convert_to_tensor([[c * cell for _ in range(3) for c in range(3)]], "int32")
    n = ops.shape(x)[0]
    return crop_patches(x, ops.tile(tops, (n, 1)), ops.tile(lefts, (n, 1)), cell)


def assemble_cells(cells, x):
    """Put a 3x3 grid of cells back into images like `x` (pixels outside the grid kept from `x`)."""
    c = cells.shape[2]
    rows = [ops.concatenate([cells[:, 3 * r + j] for j in range(3)], axis=2) for r in range(3)]
    grid = ops.concatenate(rows, axis=1)  # (N, 3c, 3c, C)
    h, w = x.shape[1], x.shape[2]
    top = ops.concatenate([grid, x[:, :3 * c, 3 * c:]], axis=2) if w > 3 * c else grid
    return ops.concatenate([top, x[:, 3 * c:]], axis=1) if h > 3 * c else top
