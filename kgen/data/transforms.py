"""Pixel transforms shared by all image sources: scaling, channels, resizing."""

from __future__ import annotations

import numpy as np

from kgen.data._validate import SCALES, DataError, check_scale

__all__ = [
    "convert_channels",
    "resize_images",
    "scale_images",
    "to_uint8",
    "value_range_for",
]

# Tolerance for float data that should be in [0, 1] but has rounding noise.
_RANGE_TOL = 1e-3


def value_range_for(scale, raw_range=(0.0, 255.0)):
    """The value range that a ``scale`` setting produces.

    Args:
        scale: ``"tanh"``, ``"sigmoid"``, ``"unit"`` or ``None``.
        raw_range: the range returned for ``scale=None`` (the source's native
            range).

    Returns:
        ``(low, high)`` floats.

    Example:
        >>> value_range_for("tanh")
        (-1.0, 1.0)
    """
    check_scale(scale)
    if scale is None:
        return (float(raw_range[0]), float(raw_range[1]))
    return SCALES[scale]


def scale_images(x, scale="tanh"):
    """Scale uint8 (0..255) or unit-float ([0, 1]) images for a model.

    Args:
        x: uint8 array in 0..255, or a float array in [0, 1].
        scale: ``"tanh"`` -> [-1, 1], ``"sigmoid"``/``"unit"`` -> [0, 1],
            ``None`` -> the same values as float32.

    Returns:
        float32 array of the same shape.

    Example:
        >>> scale_images(np.array([0, 255], np.uint8), "tanh")
        array([-1.,  1.], dtype=float32)
    """
    check_scale(scale)
    x = np.asarray(x)
    if scale is None:
        return x.astype(np.float32)
    if x.dtype == np.uint8:
        unit = x.astype(np.float32) / 255.0
    elif np.issubdtype(x.dtype, np.floating):
        unit = x.astype(np.float32)
        if unit.size and (
            not np.isfinite(unit).all()
            or unit.min() < -_RANGE_TOL
            or unit.max() > 1 + _RANGE_TOL
        ):
            raise DataError(
                "scale_images expects uint8 images or float images in [0, 1]. "
                f"Received: float values in [{np.nanmin(unit):g}, {np.nanmax(unit):g}]; "
                "divide by the data's maximum first (e.g. x / 255.0)."
            )
        unit = np.clip(unit, 0.0, 1.0)
    else:
        raise DataError(
            "scale_images expects uint8 or float images. "
            f"Received: dtype={x.dtype}; convert with x.astype(np.uint8) first."
        )
    lo, hi = SCALES[scale]
    return (unit * (hi - lo) + lo).astype(np.float32)


def to_uint8(x, value_range=(-1.0, 1.0)):
    """Map images from ``value_range`` back to uint8 0..255 (e.g. to write PNGs).

    Values are clipped to the range; NaN maps to the low end so that a
    diverged generator still produces a writable (black) image.

    Args:
        x: array or tensor of images in ``value_range``.
        value_range: ``(low, high)`` pair, or a scale name (``"tanh"``,
            ``"sigmoid"``, ``"unit"``).

    Returns:
        uint8 numpy array of the same shape.

    Example:
        >>> to_uint8(np.array([-1.0, 0.0, 1.0]))
        array([  0, 128, 255], dtype=uint8)
    """
    if isinstance(value_range, str):
        value_range = value_range_for(value_range)
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise DataError(
            "value_range must be a (low, high) pair or a scale name. "
            f"Received: value_range={value_range!r}"
        ) from None
    if not hi > lo:
        raise DataError(
            f"value_range must have high > low. Received: value_range={value_range!r}"
        )
    x = np.asarray(x, dtype=np.float32)
    unit = np.clip((np.nan_to_num(x, nan=lo) - lo) / (hi - lo), 0.0, 1.0)
    return np.round(unit * 255.0).astype(np.uint8)


# ITU-R 601-2 luma, the same weights PIL uses for RGB -> L.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def convert_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Convert unit-range NHWC images between 1 (L), 2 (LA), 3 (RGB), 4 (RGBA) channels.

    Alpha is dropped rather than composited (like PIL's ``convert("RGB")``);
    a missing alpha channel is filled with 1 (opaque).

    Args:
        x: float array (..., C) in [0, 1] with C in 1..4.
        channels: target channel count (1, 3 or 4).

    Returns:
        float32 array (..., channels).

    Example:
        >>> convert_channels(np.ones((1, 2, 2, 1), np.float32), 3).shape
        (1, 2, 2, 3)
    """
    c = x.shape[-1]
    if c == channels:
        return x.astype(np.float32, copy=False)
    if c in (1, 2):
        color, alpha = x[..., :1], (x[..., 1:2] if c == 2 else None)
        color3 = None
    elif c in (3, 4):
        color3, alpha = x[..., :3], (x[..., 3:4] if c == 4 else None)
        color = None
    else:
        raise DataError(f"cannot convert images with {c} channels; expected 1-4.")
    if channels == 1:
        out = color if color is not None else (color3 @ _LUMA)[..., None]
    elif channels in (3, 4):
        out = color3 if color3 is not None else np.repeat(color, 3, axis=-1)
        if channels == 4:
            if alpha is None:
                alpha = np.ones(x.shape[:-1] + (1,), np.float32)
            out = np.concatenate([out, alpha], axis=-1)
    else:
        raise DataError(f"channels must be 1, 3 or 4. Received: channels={channels!r}")
    return out.astype(np.float32, copy=False)


def resize_images(x: np.ndarray, size, chunk: int = 2048) -> np.ndarray:
    """Resize NHWC float images with antialiased bilinear interpolation.

    Args:
        x: float32 array (N, H, W, C) in [0, 1].
        size: ``(height, width)``.
        chunk: images resized per TF call, to bound peak memory.

    Returns:
        float32 array (N, height, width, C), clipped to [0, 1].

    Example:
        >>> resize_images(np.zeros((2, 8, 8, 1), np.float32), (16, 16)).shape
        (2, 16, 16, 1)
    """
    size = tuple(int(s) for s in size)
    if x.shape[1:3] == size:
        return x
    import tensorflow as tf  # deferred: the rest of this module is numpy-only

    parts = [
        tf.image.resize(x[i : i + chunk], size, method="bilinear", antialias=True).numpy()
        for i in range(0, len(x), chunk)
    ]
    # Antialias filtering can overshoot by float rounding; keep the exact range.
    return np.clip(np.concatenate(parts, axis=0), 0.0, 1.0).astype(np.float32)
