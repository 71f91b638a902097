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

__all__ = ["DataArrays", "EpochBatches", "epoch_source", "load", "load_arrays", "to_dataset"]

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
        hint = (" Sequence sources (text:FILE, sines, a sequence .npz) load with "
                "kgen.data.load_sequences." if data.kind == "sequences" else "")
        raise DataError(
            f"source '{src.name}' holds {data.kind!r}; load_arrays reads 'images' or 'points'.{hint}"
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
    allow_unlabelled=False,
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
        allow_unlabelled: labels may be -1 ("no label", the masked-label
            convention of :mod:`kgen.data.representation`).

    Returns:
        A dataset of ``x`` batches, or ``(x, y)`` batches when ``y`` is given.
        Its k-th pass is epoch k of an :class:`EpochBatches` (order a pure
        function of ``(seed, k)``), which ``kgen.train`` finds with
        :func:`epoch_source` to resume a run exactly.

    Example:
        >>> import numpy as np
        >>> ds = to_dataset(np.zeros((10, 4, 4, 1)), batch_size=4)
        >>> [tuple(b.shape) for b in ds]
        [(4, 4, 4, 1), (4, 4, 4, 1)]
    """
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
        y, _ = check_labels(y, len(x), allow_unlabelled=allow_unlabelled)
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

    source = EpochBatches(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed,
                          drop_remainder=drop_remainder)
    return source.dataset(repeat=repeat)


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


# Seeds of successive passes inside one epoch (steps_per_epoch longer than the data).
_PASS_STRIDE = 1 << 32


class EpochBatches:
    """In-memory batches whose order in epoch ``e`` is a pure function of ``(seed, e)``.

    A ``tf.data`` shuffle with ``reshuffle_each_iteration`` orders epoch ``e``
    by how many passes this process has made, so a resumed run sees other
    batches than an uninterrupted one. Here epoch ``e`` is the permutation
    ``stateless_shuffle(range(N), seed=(seed, e))`` cut into batches, so any
    epoch, from any step, can be rebuilt in a new process: that is how
    ``kgen.train`` resumes exactly after a crash.

    Args:
        x: float32 array (N, ...) of examples (validated by the caller).
        y: optional int32 labels (N,).
        batch_size: batch size.
        shuffle: permute every epoch (else the stored order).
        seed: base seed; ``None`` draws one (``kgen.train`` stores it in
            its checkpoints and reuses it on resume).
        drop_remainder: drop the last partial batch.

    Example:
        >>> source = EpochBatches(x, batch_size=64, seed=0)
        >>> ds = source.stream(start_epoch=3, skip=10)  # epoch 3 from its 11th batch on
    """

    def __init__(self, x, y=None, *, batch_size=64, shuffle=True, seed=0, drop_remainder=True):
        self.x = x
        self.y = y
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed_was_drawn = seed is None
        self.seed = int(np.random.SeedSequence().entropy % (1 << 31)) if seed is None else int(seed)
        self.drop_remainder = bool(drop_remainder)
        n = len(x)
        self.num_examples = n
        self.steps_per_epoch = n // self.batch_size if drop_remainder else -(-n // self.batch_size)
        self._tensors = None

    def shuffle_seed(self, epoch):
        """The stateless seed pair that orders epoch ``epoch`` (0-based)."""
        return (self.seed, int(epoch))

    def _constants(self):
        import tensorflow as tf

        if self._tensors is None:
            with tf.init_scope(), tf.device("/cpu:0"):
                self._tensors = (tf.constant(self.x),
                                 None if self.y is None else tf.constant(self.y))
        return self._tensors

    def _epoch(self, epoch, steps):
        """One epoch (``epoch`` an int64 tensor) of ``steps`` batches."""
        import tensorflow as tf

        x, y = self._constants()
        n, per = self.num_examples, self.steps_per_epoch
        passes = max(1, -(-steps // per))

        def one_pass(k):
            order = tf.range(n, dtype=tf.int64)
            if self.shuffle:
                seed = tf.stack([tf.constant(self.seed, tf.int64), epoch + k * _PASS_STRIDE])
                order = tf.random.experimental.stateless_shuffle(order, seed)
            return tf.data.Dataset.from_tensor_slices(order).batch(
                self.batch_size, drop_remainder=self.drop_remainder)

        batches = tf.data.Dataset.range(passes).flat_map(one_pass).take(steps)
        if y is None:
            return batches.map(lambda i: tf.gather(x, i))
        return batches.map(lambda i: (tf.gather(x, i), tf.gather(y, i)))

    def stream(self, start_epoch=0, skip=0, steps=None, end_epoch=None):
        """Epochs ``start_epoch .. end_epoch - 1`` back to back, from batch ``skip`` of the first.

        Args:
            start_epoch: first epoch (0-based).
            skip: batches of the first epoch already trained.
            steps: batches per epoch (default: one pass over the data).
            end_epoch: one past the last epoch (``None``: forever).

        Returns:
            A prefetched ``tf.data.Dataset``.
        """
        import tensorflow as tf

        steps = self.steps_per_epoch if steps is None else int(steps)
        if end_epoch is None:
            epochs = tf.data.Dataset.counter(start_epoch)
        else:
            epochs = tf.data.Dataset.range(start_epoch, end_epoch)
        ds = epochs.flat_map(lambda e: self._epoch(e, steps))
        if skip:
            ds = ds.skip(int(skip))
        return ds.prefetch(tf.data.AUTOTUNE)

    def dataset(self, repeat=False):
        """A plain dataset: its k-th pass is epoch k (``repeat``: all epochs in one pass).

        Args:
            repeat: ``True`` for epochs 0, 1, ... forever in one pass, an int
                for that many epochs, ``False`` for one epoch per pass.

        Returns:
            A ``tf.data.Dataset``; without ``repeat`` :func:`epoch_source`
            finds this object from it.
        """
        import tensorflow as tf

        if repeat is True:
            return self.stream(0)
        if repeat:
            return self.stream(0, end_epoch=int(repeat))
        with tf.init_scope():
            passes = tf.Variable(tf.constant(0, tf.int64), trainable=False, name="epoch_counter")

        def next_epoch(_):
            # Runs once per pass, when the pass's iterator starts.
            return self._epoch(passes.assign_add(1) - 1, self.steps_per_epoch)

        ds = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).flat_map(next_epoch)
        ds = ds.prefetch(tf.data.AUTOTUNE)
        ds._kgen_epoch_source = self  # noqa: SLF001 - read back by epoch_source()
        ds._kgen_pass_counter = passes  # noqa: SLF001 - keeps the variable alive with the dataset
        return ds


def epoch_source(data):
    """The :class:`EpochBatches` behind ``data``, or ``None`` for other data.

    Args:
        data: an :class:`EpochBatches`, or a dataset made by :func:`to_dataset`
            / :func:`load` (not a transformed copy of one).

    Example:
        >>> epoch_source(kgen.data.load("digits")).steps_per_epoch
        28
    """
    if isinstance(data, EpochBatches):
        return data
    return getattr(data, "_kgen_epoch_source", None)
