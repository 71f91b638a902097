"""Errors and eager argument/array checks shared by every data source.

Everything here runs before a ``tf.data`` pipeline exists, so bad input fails
with a named :class:`DataError` instead of crashing mid-epoch.
"""

from __future__ import annotations

import numbers

import numpy as np

from kgen.errors import UserError

__all__ = [
    "DataError",
    "DataWarning",
    "SCALES",
    "check_batch_size",
    "check_channels",
    "check_finite",
    "check_image_rank",
    "check_image_size",
    "check_labels",
    "check_on_error",
    "check_scale",
    "check_seed",
]

#: Accepted ``scale`` names and the value range each one produces.
SCALES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "unit": (0.0, 1.0)}

_MIN_IMAGE_SIZE = 4
_MAX_IMAGE_SIZE = 4096


class DataError(UserError, ValueError):
    """Bad data or a bad data argument, raised before training starts.

    The message names the offending value and how to fix it. A `UserError`
    (the CLI prints it as one line), and a `ValueError` for callers that
    catch that.

    Example:
        >>> from kgen import data
        >>> try:
        ...     data.load("digits", batch_size=0)
        ... except data.DataError as err:
        ...     print(err)  # doctest: +ELLIPSIS
        batch_size must be a positive integer...
    """


class DataWarning(UserWarning):
    """Data was loaded, but something was dropped or changed (e.g. skipped files).

    Example:
        >>> import warnings
        >>> warnings.simplefilter("error", DataWarning)  # make skips fatal
    """


def _is_int(value) -> bool:
    # bool is an int subclass, but batch_size=True is always a mistake.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _checked_int(name, value, ok, expected, optional=False):
    """`value` as an int if it is one and `ok(value)` (or `None` when `optional`), else a `DataError`."""
    if optional and value is None:
        return None
    if not _is_int(value) or not ok(value):
        raise DataError(f"{name} must be {expected}. Received: {name}={value!r}")
    return int(value)


def check_batch_size(batch_size) -> int:
    """Validate a batch size.

    Args:
        batch_size: the requested batch size.

    Returns:
        ``batch_size`` as a Python ``int``.

    Example:
        >>> check_batch_size(64)
        64
    """
    return _checked_int("batch_size", batch_size, lambda n: n > 0, "a positive integer (e.g. 64)")


def check_seed(seed):
    """Validate a shuffle/sampling seed (``None`` or a non-negative int).

    Args:
        seed: ``None`` for non-deterministic behaviour, or an int.

    Returns:
        ``seed`` as ``int`` or ``None``.

    Example:
        >>> check_seed(0)
        0
    """
    return _checked_int("seed", seed, lambda s: s >= 0, "None or a non-negative integer", optional=True)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


def check_image_size(image_size):
    """Validate ``image_size`` and normalise it to a ``(height, width)`` pair.

    Sizes must be powers of two because the generators upsample by factors of
    two; ``None`` keeps the source's native (or default) size.

    Args:
        image_size: ``None``, an int, or a pair of ints, each a power of two in
            [4, 4096].

    Returns:
        ``None`` or a ``(height, width)`` tuple of ints.

    Example:
        >>> check_image_size(32)
        (32, 32)
    """
    if image_size is None:
        return None
    sizes = image_size if isinstance(image_size, (tuple, list)) else (image_size,) * 2
    ok = len(sizes) == 2 and all(
        _is_int(s) and _MIN_IMAGE_SIZE <= s <= _MAX_IMAGE_SIZE and _is_power_of_two(int(s))
        for s in sizes
    )
    if not ok:
        raise DataError(
            f"image_size must be a power of two between {_MIN_IMAGE_SIZE} and "
            f"{_MAX_IMAGE_SIZE} (e.g. 8, 16, 32, 64), or a (height, width) pair of "
            "such; pass image_size=None to keep the source's native size. "
            f"Received: image_size={image_size!r}"
        )
    return (int(sizes[0]), int(sizes[1]))


def check_scale(scale):
    """Validate a ``scale`` name.

    Args:
        scale: ``"tanh"`` ([-1, 1]), ``"sigmoid"``/``"unit"`` ([0, 1]) or
            ``None`` (raw values as float32).

    Returns:
        ``scale`` unchanged.

    Example:
        >>> check_scale("tanh")
        'tanh'
    """
    if scale is not None and (not isinstance(scale, str) or scale not in SCALES):
        raise DataError(
            f"scale must be one of {sorted(SCALES)} or None (raw values). "
            f"Received: scale={scale!r}"
        )
    return scale


def check_on_error(on_error) -> str:
    """Validate the policy for unreadable image files.

    Args:
        on_error: ``"raise"`` (fail listing the files) or ``"skip"`` (skip them,
            warn, and count them in ``info["skipped_files"]``).

    Returns:
        ``on_error`` unchanged.

    Example:
        >>> check_on_error("skip")
        'skip'
    """
    if on_error not in ("raise", "skip"):
        raise DataError(
            f"on_error must be 'raise' or 'skip'. Received: on_error={on_error!r}"
        )
    return on_error


def check_channels(channels):
    """Validate a requested channel count.

    Args:
        channels: ``None`` (keep the source's channels; mixed counts are an
            error), 1 (grayscale), 3 (RGB) or 4 (RGBA).

    Returns:
        ``channels`` as ``int`` or ``None``.

    Example:
        >>> check_channels(3)
        3
    """
    return _checked_int("channels", channels, lambda c: c in (1, 3, 4), "None, 1 (grayscale), 3 (RGB) or 4 (RGBA)",
                        optional=True)


def check_image_rank(x: np.ndarray, where: str = "") -> np.ndarray:
    """Bring an image array to NHWC, adding a channel axis to (N, H, W).

    Args:
        x: array of shape (N, H, W) or (N, H, W, C) with C in 1..4.
        where: where the array came from, appended to error messages.

    Returns:
        The array with shape (N, H, W, C).

    Example:
        >>> check_image_rank(np.zeros((2, 8, 8))).shape
        (2, 8, 8, 1)
    """
    where = f" (in {where})" if where else ""
    if x.ndim not in (3, 4):
        raise DataError(
            f"expected images of rank 3 or 4 (N,H,W[,C]). Received: shape={x.shape}{where}"
        )
    if x.ndim == 3:
        x = x[..., None]
    if x.shape[-1] not in (1, 2, 3, 4):
        hint = ""
        if x.shape[1] in (1, 3, 4):
            hint = " The data looks channels-first; transpose it with x.transpose(0, 2, 3, 1)."
        raise DataError(
            "expected images in NHWC layout with 1-4 channels last. "
            f"Received: shape={x.shape}{where}.{hint}"
        )
    if 0 in x.shape[:3]:
        raise DataError(f"images are empty. Received: shape={x.shape}{where}")
    return x


def check_finite(x: np.ndarray, what: str = "images") -> None:
    """Reject NaN/inf values, reporting how many and the first example index.

    Args:
        x: numeric array whose first axis indexes examples.
        what: name used in error messages.

    Example:
        >>> check_finite(np.zeros((2, 3)))
    """
    if not np.issubdtype(x.dtype, np.floating):
        return
    finite = np.isfinite(x)
    if finite.all():
        return
    bad = int(finite.size - np.count_nonzero(finite))
    first = int(np.argwhere(~finite)[0][0])
    raise DataError(
        f"{what} contain {bad} non-finite value(s) (NaN/inf), first in example "
        f"index {first}; clean them first (e.g. drop those examples or use "
        "np.nan_to_num)."
    )


def check_labels(y, num_examples: int, num_classes=None, allow_unlabelled=False):
    """Validate integer class labels and infer ``num_classes``.

    Args:
        y: array-like of shape (N,) or (N, 1) with integer values >= 0.
        num_examples: N, the number of images the labels must match.
        num_classes: known class count (e.g. from class folders), or ``None``
            to infer it as ``max(y) + 1``.
        allow_unlabelled: also accept -1, the masked-label convention's
            "no label" (``kgen.data.representation.UNLABELLED``).

    Returns:
        ``(labels int32 (N,), num_classes int)``.

    Example:
        >>> check_labels([0, 2, 1], 3)
        (array([0, 2, 1], dtype=int32), 3)
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            f"expected labels of shape (N,) or (N, 1). Received: shape={y.shape}"
        )
    if len(y) != num_examples:
        raise DataError(
            f"label count must equal image count. Received: {len(y)} labels for "
            f"{num_examples} images; pass one label per image (or labels=False to "
            "train without labels)."
        )
    if y.dtype == bool or not (
        np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)
    ):
        raise DataError(
            f"labels must be integer class ids. Received: dtype={y.dtype}"
        )
    if np.issubdtype(y.dtype, np.floating):
        check_finite(y, "labels")
        if not np.all(y == np.round(y)):
            raise DataError(
                "labels must be integer class ids; got non-integer float labels "
                f"(e.g. {y[y != np.round(y)][0].item()!r}); store class ids 0..K-1, or pass "
                "labels=False to train without labels."
            )
    if len(y) and y.min() < (-1 if allow_unlabelled else 0):
        raise DataError(
            f"labels must be >= 0. Received: min label={y.min().item()!r}; "
            "remap them to 0..num_classes-1."
        )
    top = int(y.max()) if len(y) else -1
    if num_classes is None:
        num_classes = top + 1
    elif top >= num_classes:
        raise DataError(
            f"labels out of range: max label={top} but num_classes={num_classes}; "
            f"labels must lie in [0, {num_classes - 1}]."
        )
    return y.astype(np.int32), int(num_classes)
