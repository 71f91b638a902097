"""Image grids as PNG (numpy and pillow only: safe to use without TensorFlow)."""

import math

import numpy as np
from PIL import Image

from kgen.files import atomic_path


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
    with atomic_path(path) as tmp:  # the temporary keeps the suffix PIL reads the format from
        img.save(tmp)
    return path


# -- TF-GAN's `tfgan.eval` image tiling (numpy) -------------------------------------------


def python_image_grid(input_array, grid_shape):
    """Tile `(rows * cols, H, W, C)` images row-major into one `(rows * H, cols * W, C)` array (TF-GAN's name).

    No padding, values unchanged (any dtype).

    Args:
        input_array: `(N, H, W, C)` array with `N = rows * cols`.
        grid_shape: `(rows, cols)`.

    Returns:
        Array `(rows * H, cols * W, C)`.

    Example:
        >>> python_image_grid(np.zeros((25, 32, 32, 3)), (5, 5)).shape
        (160, 160, 3)
    """
    images = np.asarray(input_array)
    rows, cols = (int(v) for v in grid_shape)
    if images.ndim != 4:
        raise ValueError(f"expected images of rank 4 (N,H,W,C). Received: shape={images.shape}")
    if rows * cols != len(images):
        raise ValueError(f"grid shape {tuple(grid_shape)} holds {rows * cols} images. Received: {len(images)}")
    n, h, w, c = images.shape
    return images.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)


def image_grid(input_tensor, grid_shape, image_shape=(32, 32), num_channels=3):
    """Arrange a batch of images into one grid image `(1, rows * H, cols * W, C)` (TF-GAN's `image_grid`).

    The batch may be `(N, H, W, C)` or flattened `(N, H * W * C)`; images
    fill the grid row by row. Returns a numpy array (wrap it in
    `tf.convert_to_tensor` for `tf.summary.image`).

    Args:
        input_tensor: array or tensor `(rows * cols, H, W, C)` or `(rows * cols, H * W * C)`.
        grid_shape: `(rows, cols)`.
        image_shape: `(H, W)` of one image.
        num_channels: C.

    Returns:
        Array `(1, rows * H, cols * W, C)`.

    Example:
        >>> image_grid(np.zeros((25, 32, 32, 3)), (5, 5)).shape
        (1, 160, 160, 3)
    """
    images = np.asarray(input_tensor)
    h, w = (int(v) for v in image_shape)
    if grid_shape[0] * grid_shape[1] != images.shape[0]:
        raise ValueError(f"grid shape {tuple(grid_shape)} incompatible with minibatch size {images.shape[0]}.")
    if images.ndim == 2:
        if images.shape[1] != h * w * num_channels:
            raise ValueError(
                f"expected flattened images of {h}*{w}*{num_channels} = {h * w * num_channels} values "
                f"(image_shape={tuple(image_shape)}, num_channels={num_channels}). Received: shape={images.shape}")
        images = images.reshape(-1, h, w, num_channels)
    elif images.ndim == 4:
        if images.shape[1:] != (h, w, num_channels):
            raise ValueError(
                f"expected images of shape (N, {h}, {w}, {num_channels}) (image_shape, num_channels). "
                f"Received: shape={images.shape}")
    else:
        raise ValueError(f"expected images (N, H, W, C) or flattened (N, H*W*C). Received: shape={images.shape}")
    return python_image_grid(images, grid_shape)[None]


def image_reshaper(images, num_cols=None):
    """Tile images into a near-square grid `(1, rows * H, cols * W, C)`, empty tiles black (TF-GAN's name).

    With `num_cols` unset, `cols = ceil(sqrt(N))` (11 images: 3 rows of 4);
    the last row is padded with zero images.

    Args:
        images: `(N, H, W, C)` array or tensor, or a list of `(H, W, C)` images; C is 1 or 3.
        num_cols: columns of the grid.

    Returns:
        Array `(1, rows * H, cols * W, C)`.

    Example:
        >>> image_reshaper(np.zeros((25, 32, 32, 3)), num_cols=2).shape
        (1, 416, 64, 3)
    """
    images = [np.asarray(img) for img in images]
    if not images:
        raise ValueError("expected at least one image. Received: an empty batch")
    shape = images[0].shape
    if len(shape) != 3 or shape[-1] not in (1, 3) or any(img.shape != shape for img in images):
        raise ValueError(
            "expected images of one shape (H, W, C) with 1 or 3 channels. Received: shapes "
            f"{sorted({img.shape for img in images})}")
    cols = int(num_cols) if num_cols else int(math.ceil(math.sqrt(len(images))))
    rows = int(math.ceil(len(images) / cols))
    batch = np.stack(images + [np.zeros_like(images[0])] * (rows * cols - len(images)))
    return python_image_grid(batch, (rows, cols))[None]
