"""Image sources read from disk: ``.npz`` arrays and folders of image files.

Every file is decoded eagerly, so a corrupt image is reported (or skipped)
before training rather than crashing an epoch halfway through.
"""

from __future__ import annotations

import contextlib
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

from kgen.data._validate import DataError, DataWarning, check_image_rank
from kgen.data.registry import SourceData, SourceRequest, register_source
from kgen.data.transforms import convert_channels, resize_images

__all__ = [
    "IMAGE_EXTENSIONS",
    "decode_image_file",
    "find_image_files",
    "load_folder",
    "load_npz",
    "stack_images",
]

#: File suffixes (lower-case) treated as images in folder sources.
IMAGE_EXTENSIONS = (
    ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm",
)

_IMAGE_KEYS = ("images", "x", "x_train")
_LABEL_KEYS = ("labels", "y", "y_train")
_MAX_LISTED = 10


# --------------------------------------------------------------------------- npz


def _npz_range(x: np.ndarray, value_range, path) -> tuple:
    if value_range is not None:
        try:
            lo, hi = (float(v) for v in value_range)
        except (TypeError, ValueError):
            lo = hi = float("nan")
        if not hi > lo:
            raise DataError(
                "value_range must be a (low, high) pair with high > low. "
                f"Received: value_range={value_range!r}"
            )
        return (lo, hi)
    if x.dtype == np.uint8:
        return (0.0, 255.0)
    if x.dtype == np.uint16:
        return (0.0, 65535.0)
    if x.dtype == bool:
        return (0.0, 1.0)
    if np.issubdtype(x.dtype, np.integer):
        # int32/int64 arrays are almost always uint8 images stored wide.
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(
                f"integer images in {path} span [{x.min()}, {x.max()}], outside 0..255; "
                "pass value_range=(low, high) to say what range they use."
            )
        return (0.0, 255.0)
    if np.issubdtype(x.dtype, np.floating):
        return (0.0, 1.0)
    raise DataError(
        f"images in {path} have unsupported dtype {x.dtype}; store them as uint8 "
        "or float."
    )


@register_source(
    "npz",
    match=lambda p: p.is_file() and p.suffix.lower() == ".npz",
    options=("image_key", "label_key", "value_range"),
    description="a .npz file with 'images' (N,H,W[,C]) and optional 'labels'",
)
def load_npz(request: SourceRequest) -> SourceData:
    """Load images (and labels, if present) from a ``.npz`` file.

    Image keys tried: ``images``, ``x``, ``x_train``; label keys: ``labels``,
    ``y``, ``y_train``. uint8 data spans 0..255, float data is assumed to be in
    [0, 1] unless ``value_range=(low, high)`` is passed.

    Args:
        request: the load request; ``request.arg`` is the file path.
            Options: ``image_key``, ``label_key``, ``value_range``.

    Returns:
        :class:`SourceData` with the native arrays.

    Example:
        >>> from kgen import data
        >>> arrays = data.load_arrays("../shared/data/mnist7k.npz", image_size=32)  # doctest: +SKIP
    """
    path = Path(request.arg)
    opts = request.options
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(
            f"could not read {path} as a .npz file ({type(err).__name__}: {err}); "
            "save arrays with np.savez(path, images=..., labels=...)."
        ) from None
    with archive:
        keys = list(archive.files)
        image_key = opts.get("image_key") or next((k for k in _IMAGE_KEYS if k in keys), None)
        if image_key not in keys:
            raise DataError(
                f"no image array in {path}: found keys {keys}, expected one of "
                f"{list(_IMAGE_KEYS)}; pass image_key='<key>' to choose one."
            )
        label_key = opts.get("label_key")
        if label_key is not None and label_key not in keys:
            raise DataError(
                f"label_key={label_key!r} not found in {path}; found keys {keys}."
            )
        if label_key is None:
            label_key = next((k for k in _LABEL_KEYS if k in keys), None)
        try:
            x = archive[image_key]
            y = archive[label_key] if label_key is not None and request.labels is not False else None
        except ValueError as err:  # object arrays need pickle, which we refuse
            raise DataError(
                f"could not read arrays from {path} ({err}); store plain numeric "
                "arrays (no Python objects)."
            ) from None
    x = check_image_rank(x, where=f"{path.name}[{image_key!r}]")
    raw_range = _npz_range(x, opts.get("value_range"), path)
    return SourceData(
        x=x,
        y=y,
        raw_range=raw_range,
        info={"path": str(path), "image_key": image_key, "label_key": label_key},
    )


# ------------------------------------------------------------------------ decode


@contextlib.contextmanager
def _strict_truncation():
    # A truncated file must count as corrupt even if other code enabled
    # PIL's permissive global flag.
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _pil_to_unit(img: Image.Image) -> np.ndarray:
    mode = img.mode
    if mode == "1":
        img, mode = img.convert("L"), "L"
    elif mode in ("P", "PA"):
        target = "RGBA" if mode == "PA" or "transparency" in img.info else "RGB"
        img, mode = img.convert(target), target
    if mode in ("L", "LA", "RGB", "RGBA"):
        arr = np.asarray(img, dtype=np.float32) / 255.0
    elif mode.startswith("I"):
        # 16-bit grayscale (PNG/TIFF); PIL's convert("L") would clip, not scale.
        arr = np.clip(np.asarray(img, dtype=np.float32) / 65535.0, 0.0, 1.0)
    elif mode == "F":
        arr = np.clip(np.asarray(img, dtype=np.float32) / 255.0, 0.0, 1.0)
    else:  # CMYK, YCbCr, LAB, HSV, RGBX, ...
        arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    if arr.ndim == 2:
        arr = arr[..., None]
    return arr


def decode_image_file(path) -> np.ndarray:
    """Fully decode one image file (first frame for animations).

    Args:
        path: image file path.

    Returns:
        float32 array (H, W, C) in [0, 1], C in 1..4 (L, LA, RGB, RGBA).

    Raises:
        Exception: whatever PIL raises for an unreadable or truncated file.

    Example:
        >>> decode_image_file("face.png").shape  # doctest: +SKIP
        (64, 64, 3)
    """
    with _strict_truncation(), Image.open(path) as img:
        img.load()
        return _pil_to_unit(img)


def find_image_files(root) -> list[Path]:
    """Recursively list image files under ``root``, sorted, skipping hidden entries.

    Args:
        root: folder to search.

    Returns:
        Sorted list of paths whose suffix is in :data:`IMAGE_EXTENSIONS`.

    Example:
        >>> find_image_files("data/faces")  # doctest: +SKIP
        [PosixPath('data/faces/0001.png'), ...]
    """
    root = Path(root)
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        # .DS_Store, .ipynb_checkpoints, ... are never training data.
        if any(part.startswith(".") for part in rel):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
            files.append(path)
    return sorted(files)


def _listing(items, limit=_MAX_LISTED) -> str:
    items = [str(i) for i in items]
    shown = ", ".join(items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return shown + more


def stack_images(images, names, image_size=None, channels=None) -> np.ndarray:
    """Stack decoded images of possibly different sizes/channels into one array.

    Args:
        images: list of float32 (H, W, C) arrays in [0, 1].
        names: a name per image (file path or index) for error messages.
        image_size: ``(h, w)`` to resize every image to, or ``None`` (all images
            must then share one size).
        channels: convert every image to this many channels, or ``None`` (all
            images must then share one channel count).

    Returns:
        float32 array (N, H, W, C) in [0, 1].

    Example:
        >>> stack_images([np.zeros((8, 8, 1), np.float32)], ["a"], (16, 16)).shape
        (1, 16, 16, 1)
    """
    if channels is not None:
        images = [convert_channels(im, channels) for im in images]
    else:
        counts = Counter(im.shape[-1] for im in images)
        if len(counts) > 1:
            examples = {
                c: next(n for n, im in zip(names, images) if im.shape[-1] == c)
                for c in sorted(counts)
            }
            detail = "; ".join(
                f"{counts[c]} with {c} (e.g. {examples[c]})" for c in sorted(counts)
            )
            raise DataError(
                f"images have mixed channel counts: {detail}. Pass channels=1 "
                "(grayscale), channels=3 (RGB) or channels=4 (RGBA) to convert them."
            )
    groups: dict[tuple, list[int]] = {}
    for i, im in enumerate(images):
        groups.setdefault(im.shape[:2], []).append(i)
    if image_size is None and len(groups) > 1:
        sizes = ", ".join(
            f"{len(idx)} of {h}x{w} (e.g. {names[idx[0]]})" for (h, w), idx in groups.items()
        )
        raise DataError(
            f"images have different sizes: {sizes}. Pass image_size=<power of two> "
            "(e.g. 32) to resize them all."
        )
    c = images[0].shape[-1]
    h, w = image_size if image_size is not None else next(iter(groups))
    out = np.empty((len(images), h, w, c), np.float32)
    for idx in groups.values():
        batch = np.stack([images[i] for i in idx])
        out[idx] = resize_images(batch, (h, w)) if image_size is not None else batch
    return out


# ------------------------------------------------------------------------ folder


def _class_dirs(root: Path, files: list[Path]):
    """Return sorted class names if every image sits inside a top-level sub-folder."""
    if any(f.parent == root for f in files):
        return None
    subdirs = sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    return subdirs or None


@register_source(
    "folder",
    match=lambda p: p.is_dir(),
    description="a folder of image files (class sub-folders become labels)",
)
def load_folder(request: SourceRequest) -> SourceData:
    """Load every image file under a folder, recursively.

    If all images live in top-level sub-folders, those sub-folders are the
    classes (names sorted -> label ids 0..K-1). Unreadable files are reported
    (``on_error="raise"``) or skipped, counted and warned about
    (``on_error="skip"``).

    Args:
        request: the load request; ``request.arg`` is the folder path.

    Returns:
        :class:`SourceData` with unit-range float32 images, labels if the
        folder has class sub-folders, and ``info["skipped_files"]``.

    Example:
        >>> from kgen import data
        >>> arrays = data.load_arrays("data/pets", image_size=64, channels=3)  # doctest: +SKIP
        >>> arrays.class_names  # doctest: +SKIP
        ['cat', 'dog']
    """
    root = Path(request.arg)
    files = find_image_files(root)
    if not files:
        raise DataError(
            f"no image files found under '{root}' (searched recursively for "
            f"{', '.join(IMAGE_EXTENSIONS)}); point the source at a folder that "
            "contains images."
        )
    class_names = _class_dirs(root, files)
    if class_names is not None:
        counts = Counter(f.relative_to(root).parts[0] for f in files)
        empty = [c for c in class_names if counts[c] == 0]
        if empty:
            raise DataError(
                f"class folder(s) {empty} under '{root}' contain no images; add "
                "images or remove those folders."
            )

    images, good, bad = [], [], []
    for f in files:
        try:
            images.append(decode_image_file(f))
            good.append(f)
        except Exception as err:  # any decoder failure means "unreadable file"
            bad.append((f, f"{type(err).__name__}: {err}"))
    if bad and request.on_error == "raise":
        listed = "; ".join(f"{f} ({why})" for f, why in bad[:_MAX_LISTED])
        more = f"; and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        raise DataError(
            f"{len(bad)} of {len(files)} image file(s) under '{root}' could not be "
            f"read: {listed}{more}. Fix or remove them, or pass on_error='skip' "
            "to skip them."
        )
    if bad:
        warnings.warn(
            f"skipped {len(bad)} unreadable image file(s) under '{root}': "
            f"{_listing(f for f, _ in bad)}",
            DataWarning,
            stacklevel=4,
        )
    if not images:
        raise DataError(
            f"all {len(files)} image file(s) under '{root}' were unreadable; "
            "nothing left to load."
        )

    x = stack_images(images, [str(f) for f in good], request.image_size, request.channels)
    y = None
    if class_names is not None:
        index = {name: i for i, name in enumerate(class_names)}
        y = np.array([index[f.relative_to(root).parts[0]] for f in good], np.int32)
    return SourceData(
        x=x,
        y=y,
        raw_range=(0.0, 255.0),
        x_is_unit=True,
        num_classes=len(class_names) if class_names else None,
        class_names=class_names,
        info={
            "path": str(root),
            "files": [str(f) for f in good],
            "skipped_files": [str(f) for f, _ in bad],
        },
    )
