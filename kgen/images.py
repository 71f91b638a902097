"""Image grids as PNG (numpy and pillow only: safe to use without TensorFlow)."""

import math

import numpy as np
from PIL import Image


def to_uint8(images, value_range=(-1.0, 1.0)):
    """Map float images in `value_range` to uint8 pixels, clipping outliers.

    Args:
        images: array `(N, H, W, C)` or `(H, W, C)`.
        value_range: `(low, high)` of the float values.

    Returns:
        uint8 array of the same shape.
    """
    images = np.asarray(images, dtype=np.float32)
    low, high = value_range
    scaled = (images - low) / (high - low)
    return np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)


def make_grid(images, value_range=(-1.0, 1.0), ncols=None, padding=1):
    """Tile a batch of images into one uint8 image.

    Args:
        images: `(N, H, W, C)` with C in (1, 3, 4); floats in `value_range`
            or uint8.
        value_range: range of float inputs.
        ncols: columns (default: a near-square grid).
        padding: pixels between tiles.

    Returns:
        uint8 array `(rows*(H+p)+p, cols*(W+p)+p, C)`.

    Example:
        >>> make_grid(np.zeros((4, 8, 8, 1))).shape
        (19, 19, 1)
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"expected images of rank 4 (N,H,W,C). Received: shape={images.shape}"
        )
    if images.dtype != np.uint8:
        images = to_uint8(images, value_range)
    n, h, w, c = images.shape
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    grid = np.zeros((nrows * (h + padding) + padding, ncols * (w + padding) + padding, c), np.uint8)
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def save_grid(images, path, value_range=(-1.0, 1.0), ncols=None, scale=1):
    """Write a batch of images as one PNG grid.

    Args:
        images: `(N, H, W, C)` array.
        path: output file.
        value_range: range of float inputs.
        ncols: grid columns.
        scale: integer upscaling (nearest) for small images.

    Returns:
        The path written.

    Example:
        >>> save_grid(gan.generate(64), "samples.png")
    """
    grid = make_grid(images, value_range, ncols)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(grid.shape[-1])
    if mode is None:
        raise ValueError(f"expected 1, 3 or 4 channels. Received: channels={grid.shape[-1]}")
    img = Image.fromarray(grid[..., 0] if mode == "L" else grid, mode)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    from kgen.files import atomic_path

    with atomic_path(path) as tmp:  # the temporary keeps the suffix PIL reads the format from
        img.save(tmp)
    return path
