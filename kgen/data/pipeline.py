"""The shared path from any source to model-ready arrays and ``tf.data`` datasets."""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from kgen.data._validate import (
    DataError,
    check_batch_size,
    check_channels,
    check_finite,
    check_image_rank,
    check_image_size,
    check_labels,
    check_on_error,
    check_scale,
    check_seed,
)
from kgen.data.registry import SourceData, SourceRequest, check_options, resolve_source
from kgen.data.transforms import SCALES, convert_channels, resize_images

__all__ = ["DataArrays", "load", "load_arrays", "to_dataset"]

# Float rounding slack allowed when checking that data lies in its declared range.
_RANGE_TOL = 1e-3


@dataclasses.dataclass
class DataArrays:
    """A fully loaded, validated data set held in memory.

    Attributes:
        x: float32 images (N, H, W, C) scaled as requested, or float32 points
            (N, 2) for mixtures (never rescaled).
        y: int32 labels (N,) or ``None``.
        num_classes: number of classes, or ``None`` without labels.
        class_names: class names for ids 0..K-1, or ``None``.
        info: metadata: ``source``, ``kind`` (``"images"``/``"points"``),
            ``value_range`` (``None`` for points), ``scale``, ``image_size``,
            ``channels``, ``num_examples``, ``skipped_files``, ``num_skipped``,
            plus source-specific keys (``mixture`` for ``ring8``/``grid25``).

    Example:
        >>> arrays = load_arrays("digits", image_size=8)
        >>> arrays.x.shape, arrays.num_classes, arrays.info["value_range"]
        ((1797, 8, 8, 1), 10, (-1.0, 1.0))
    """

    x: np.ndarray
    y: Optional[np.ndarray] = None
    num_classes: Optional[int] = None
    class_names: Optional[list] = None
    info: dict = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def element_shape(self) -> tuple:
        """Shape of one example, e.g. ``(16, 16, 1)`` or ``(2,)``."""
        return tuple(self.x.shape[1:])


def _to_unit(data: SourceData, name: str) -> np.ndarray:
    x = check_image_rank(np.asarray(data.x), where=f"source '{name}'")
    if data.x_is_unit:
        return x.astype(np.float32, copy=False)
    lo, hi = (float(v) for v in data.raw_range)
    x = x.astype(np.float32)
    check_finite(x, f"images from '{name}'")
    unit = (x - lo) / (hi - lo)
    if unit.min() < -_RANGE_TOL or unit.max() > 1 + _RANGE_TOL:
        raise DataError(
            f"images from '{name}' span [{x.min():g}, {x.max():g}], outside the "
            f"expected range [{lo:g}, {hi:g}] (float data is assumed to be in [0, 1]); "
            "pass value_range=(low, high) to say what range the data uses."
        )
    return np.clip(unit, 0.0, 1.0)


def load_arrays(
    source="digits",
    *,
    image_size=None,
    scale="tanh",
    labels=None,
    channels=None,
    on_error="raise",
    seed=0,
    **options,
) -> DataArrays:
    """Load and validate a whole data set eagerly into numpy arrays.

    Args:
        source: ``"digits"`` (default), ``"ring8"``, ``"grid25"``,
            ``"tfds:<name>[:split]"``, a ``.npz`` path, a folder of images, or
            any name added with :func:`kgen.data.register_source`.
        image_size: power of two (or ``(h, w)`` pair) to resize images to;
            ``None`` uses the source default (16 for digits) or native size.
            Ignored for point mixtures.
        scale: ``"tanh"`` -> [-1, 1], ``"sigmoid"``/``"unit"`` -> [0, 1],
            ``None`` -> raw values as float32. Ignored for point mixtures.
        labels: ``True`` requires labels (error if the source has none),
            ``False`` drops them, ``None`` keeps them when available.
        channels: convert images to 1, 3 or 4 channels; ``None`` keeps them
            (mixed channel counts are then an error).
        on_error: for unreadable image files, ``"raise"`` or ``"skip"``
            (skipped files are warned about and listed in
            ``info["skipped_files"]``).
        seed: seed for sampling sources (mixtures).
        **options: source-specific options, e.g. ``data_dir``/``download`` for
            tfds, ``value_range``/``image_key``/``label_key`` for npz,
            ``num_samples`` for mixtures.

    Returns:
        A :class:`DataArrays`.

    Example:
        >>> arrays = load_arrays("digits", image_size=16, scale="tanh")
        >>> arrays.x.shape, float(arrays.x.min()), float(arrays.x.max())
        ((1797, 16, 16, 1), -1.0, 1.0)
    """
    size = check_image_size(image_size)
    check_scale(scale)
    channels = check_channels(channels)
    check_on_error(on_error)
    seed = check_seed(seed)
    if labels not in (None, True, False):
        raise DataError(f"labels must be True, False or None. Received: labels={labels!r}")

    src, arg = resolve_source(source)
    check_options(src, options)
    if size is None:
        size = src.default_image_size
    request = SourceRequest(
        spec=str(source),
        arg=arg,
        image_size=size,
        channels=channels,
        labels=labels,
        on_error=on_error,
        seed=seed,
        options=dict(options),
    )
    data = src.loader(request)
    name = src.name if arg is None else f"{src.name}:{arg}"

    if data.kind == "points":
        x = np.asarray(data.x, np.float32)
        check_finite(x, f"points from '{name}'")
        value_range = None
    elif data.kind == "images":
        x = _to_unit(data, name)
        if channels is not None:
            x = convert_channels(x, channels)
        elif x.shape[-1] == 2:
            raise DataError(
                f"images from '{name}' have 2 channels (gray + alpha); pass "
                "channels=1 or channels=3 to convert them."
            )
        if size is not None:
            x = resize_images(x, size)
        if scale is None:
            lo, hi = (float(v) for v in data.raw_range)
            x = x * (hi - lo) + lo
            value_range = (lo, hi)
        else:
            lo, hi = SCALES[scale]
            x = x * (hi - lo) + lo
            value_range = (lo, hi)
        x = x.astype(np.float32, copy=False)
    else:
        raise DataError(
            f"source '{src.name}' returned kind={data.kind!r}; loaders must return "
            "'images' or 'points'."
        )

    y, num_classes, class_names = None, None, None
    if labels is not False and data.y is not None:
        y, num_classes = check_labels(data.y, len(x), data.num_classes)
        class_names = data.class_names
    elif labels:
        raise DataError(
            f"labels=True but source {str(source)!r} has no labels; pass "
            "labels=False, or use a labelled source (a folder with class "
            "sub-folders, an .npz with a 'labels' array, 'digits', a tfds dataset)."
        )

    skipped = list(data.info.get("skipped_files", []))
    info = {
        "source": name,
        "kind": data.kind,
        "value_range": value_range,
        "scale": scale if data.kind == "images" else None,
        "image_size": tuple(x.shape[1:3]) if data.kind == "images" else None,
        "channels": int(x.shape[-1]) if data.kind == "images" else None,
        "num_examples": int(len(x)),
        **data.info,
        "skipped_files": skipped,
        "num_skipped": len(skipped),
    }
    return DataArrays(x=x, y=y, num_classes=num_classes, class_names=class_names, info=info)


def to_dataset(
    x,
    y=None,
    *,
    batch_size=64,
    shuffle=True,
    seed=0,
    drop_remainder=True,
    repeat=False,
):
    """Batch in-memory arrays into a shuffled, prefetched ``tf.data.Dataset``.

    Args:
        x: array (N, ...) of examples (cast to float32).
        y: optional integer labels (N,) (cast to int32).
        batch_size: positive batch size.
        shuffle: shuffle the whole array, reshuffling every epoch.
        seed: shuffle seed (``None`` for non-deterministic order).
        drop_remainder: drop the last partial batch, giving static batch shapes.
        repeat: repeat forever (``True``), a number of epochs (int), or not.

    Returns:
        A dataset of ``x`` batches, or ``(x, y)`` batches when ``y`` is given.

    Example:
        >>> import numpy as np
        >>> ds = to_dataset(np.zeros((10, 4, 4, 1)), batch_size=4)
        >>> [tuple(b.shape) for b in ds]
        [(4, 4, 4, 1), (4, 4, 4, 1)]
    """
    import tensorflow as tf  # deferred so that numpy-only users avoid the import

    batch_size = check_batch_size(batch_size)
    seed = check_seed(seed)
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0:
        raise DataError(f"x must hold at least one example. Received: shape={x.shape}")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise DataError(f"x must be numeric. Received: dtype={x.dtype}")
    x = x.astype(np.float32, copy=False)
    check_finite(x, "x")
    if y is not None:
        y, _ = check_labels(y, len(x))
    if repeat is not True and repeat is not False and not (
        isinstance(repeat, (int, np.integer)) and repeat > 0
    ):
        raise DataError(
            f"repeat must be True, False or a positive number of epochs. Received: repeat={repeat!r}"
        )
    if drop_remainder and repeat is False and batch_size > len(x):
        raise DataError(
            f"batch_size={batch_size} is larger than the {len(x)} examples, so "
            "drop_remainder=True would leave no batches; lower batch_size or pass "
            "drop_remainder=False."
        )

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if repeat is True:
        ds = ds.repeat()
    elif repeat:
        ds = ds.repeat(int(repeat))
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def load(
    source="digits",
    *,
    batch_size=64,
    image_size=None,
    scale="tanh",
    labels=False,
    shuffle=True,
    seed=0,
    drop_remainder=True,
    repeat=False,
    on_error="raise",
    channels=None,
    **options,
):
    """Load a data source as a batched, prefetched ``tf.data.Dataset``.

    All data is decoded and validated eagerly, so any problem raises a
    :class:`DataError` here, before training. For metadata (``num_classes``,
    ``class_names``, the mixture object) call :func:`load_arrays` and then
    :func:`to_dataset`.

    Args:
        source: see :func:`load_arrays` (default ``"digits"``).
        batch_size: positive batch size.
        image_size: see :func:`load_arrays`.
        scale: ``"tanh"`` (default, [-1, 1]), ``"sigmoid"``/``"unit"``, ``None``.
        labels: if True, elements are ``(images, labels int32 (B,))``; it is an
            error if the source has no labels.
        shuffle: shuffle every epoch.
        seed: seed for shuffling and for sampling mixtures.
        drop_remainder: drop the last partial batch.
        repeat: repeat forever (``True``) or a number of epochs.
        on_error: ``"raise"`` or ``"skip"`` for unreadable image files.
        channels: convert images to 1, 3 or 4 channels.
        **options: source-specific options (see :func:`load_arrays`).

    Returns:
        ``tf.data.Dataset`` of float32 (B, H, W, C) images (or (B, 2) points),
        or of ``(images, labels)`` pairs.

    Example:
        >>> from kgen import data
        >>> ds = data.load("digits", batch_size=64, image_size=16)
        >>> next(iter(ds)).shape
        TensorShape([64, 16, 16, 1])
    """
    # Checked before the (possibly slow) load so a typo fails immediately.
    check_batch_size(batch_size)
    if labels not in (True, False):
        raise DataError(f"labels must be True or False. Received: labels={labels!r}")
    arrays = load_arrays(
        source,
        image_size=image_size,
        scale=scale,
        labels=labels,
        channels=channels,
        on_error=on_error,
        seed=seed,
        **options,
    )
    return to_dataset(
        arrays.x,
        arrays.y if labels else None,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        repeat=repeat,
    )
