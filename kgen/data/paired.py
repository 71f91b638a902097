"""Paired and unpaired image data for image-to-image models (pix2pix, CycleGAN, SRResNet / SRGAN).

Sources (each registered with :func:`kgen.data.register_source`, so `kgen
train --data NAME` finds them; they load through :func:`load_pairs`, never
through `load_arrays`):

Paired (`(input, target)` batches, kind ``"paired"``):
    ``edges2digits`` - edge maps -> the digit (scikit-learn's embedded
    digits, labels kept; ``edges2digits:mnist7k`` uses the shared MNIST
    sample); ``colorize`` - grey -> colour patches of scikit-learn's two
    bundled photos; ``pairs:FILE.npz`` (two arrays: ``a``/``b``,
    ``inputs``/``targets``, or ``image_key``/``target_key``);
    ``pairs:DIR_A,DIR_B`` (two folders, files matched by name).
Super-resolution (kind ``"super_resolution"``):
    ``sr:x4`` (digits), ``sr:x4:SOURCE`` (any image source: ``photos``,
    ``mnist7k``, a folder, an ``.npz``): high-res images; the low-res
    inputs are made in the pipeline (antialiased bicubic downsampling).
    ``photos:train`` / ``photos:test`` crop the left two thirds / the right
    third of each photo only, so that held-out patches share no pixel with
    training ones (random patch rows of ``photos`` overlap).
Unpaired (kind ``"unpaired"``, `(a, b)` batches whose rows are unrelated):
    ``digits2inverted`` (digits <-> their negatives), ``mnist2digits``
    (mnist7k <-> embedded digits), ``unpaired:SOURCE_A,SOURCE_B``.

Example:
    >>> pairs = load_pairs("edges2digits", image_size=16)
    >>> ds = pair_dataset(pairs, batch_size=16, augment="jitter")
    >>> edges, digits = next(iter(ds))
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional

import numpy as np

from kgen.data._validate import DataError
from kgen.data.pipeline import EpochBatches, _PASS_STRIDE, load_arrays
from kgen.data.registry import SourceData, SourceRequest, register_source, resolve_source
from kgen.data.transforms import SCALES, convert_channels, resize_images

__all__ = ["KINDS", "PairArrays", "PairBatches", "edge_map", "load", "load_pairs", "pair_dataset", "shared_file"]

KINDS = ("paired", "unpaired", "super_resolution")
AUGMENTS = (None, "none", "jitter", "jitter_flip", "flip")


@dataclasses.dataclass
class PairArrays:
    """Two aligned (paired) or independent (unpaired) image arrays, scaled to the model's range.

    Attributes:
        a: inputs (paired), domain A (unpaired), or high-res images (super-resolution) `(N, H, W, C)`.
        b: targets / domain B; None for super-resolution (made in the pipeline).
        labels: digit labels of `a`'s rows when known (the classifier score), else None.
        info: ``kind``, ``source``, ``value_range``, ``scale`` (super-resolution factor) ...
        labels_b: labels of `b`'s rows (unpaired), else None.
    """

    a: np.ndarray
    b: Optional[np.ndarray]
    labels: Optional[np.ndarray] = None
    info: dict = dataclasses.field(default_factory=dict)
    labels_b: Optional[np.ndarray] = None

    def __len__(self):
        return int(len(self.a) if self.b is None else min(len(self.a), len(self.b)))

    def split(self, test_fraction=0.1, seed=0):
        """`(train, held_out)`: a deterministic split by rows (the same rows for a seed)."""
        n = len(self)
        order = np.random.default_rng(seed).permutation(n)
        k = max(1, int(round(n * float(test_fraction))))
        test, train = order[:k], order[k:]

        def take(idx):
            pick = (lambda arr: None if arr is None else arr[idx])
            return PairArrays(self.a[idx], pick(self.b), pick(self.labels), dict(self.info), pick(self.labels_b))

        return take(train), take(test)


def shared_file(name):
    """A file of the shared data folder beside the repository (`../shared/data/NAME`), or a `DataError`."""
    here = Path(__file__).resolve()
    candidates = [Path(os.environ["KGEN_SHARED_DATA"]) / name] if os.environ.get("KGEN_SHARED_DATA") else []
    candidates += [p / "shared" / "data" / name for p in list(here.parents)[2:5]] + [Path("/work/shared/data") / name]
    for path in candidates:
        if path.is_file():
            return path
    raise DataError(f"{name} not found (looked in {', '.join(str(c.parent) for c in candidates)}); put it in "
                    "../shared/data beside the repository or set KGEN_SHARED_DATA to its folder.")


def edge_map(images, threshold=0.25):
    """Binary edge maps of images in [0, 1] (Sobel gradient magnitude above `threshold` x the image's max).

    Args:
        images: `(N, H, W, 1)` float images in [0, 1].
        threshold: fraction of each image's largest gradient kept as an edge.

    Returns:
        float32 `(N, H, W, 1)` in {0, 1}.
    """
    x = np.asarray(images, np.float32)[..., 0]
    p = np.pad(x, [(0, 0), (1, 1), (1, 1)], mode="edge")
    gx = (p[:, :-2, 2:] + 2 * p[:, 1:-1, 2:] + p[:, 2:, 2:]) - (p[:, :-2, :-2] + 2 * p[:, 1:-1, :-2] + p[:, 2:, :-2])
    gy = (p[:, 2:, :-2] + 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]) - (p[:, :-2, :-2] + 2 * p[:, :-2, 1:-1] + p[:, :-2, 2:])
    mag = np.sqrt(gx ** 2 + gy ** 2)
    top = mag.reshape(len(mag), -1).max(axis=1)[:, None, None]
    return (mag > threshold * np.maximum(top, 1e-6)).astype(np.float32)[..., None]


def _unit_images(spec, size, channels=None, on_error="raise"):
    """Images of any kgen image source in [0, 1] (with labels when it has them)."""
    if spec == "mnist7k":
        spec = str(shared_file("mnist7k.npz"))
    if spec == "photos" or spec.startswith("photos:"):
        side = size[0] if isinstance(size, (tuple, list)) else (size or 32)
        part = spec.partition(":")[2] or None
        return _photo_patches(int(side), 3 if channels is None else channels, 2000, 0, part), None
    arrays = load_arrays(spec, image_size=size, scale="sigmoid", channels=channels, on_error=on_error)
    return arrays.x, arrays.y


# Column ranges (fractions of the width) of the photos' disjoint train / test parts.
PHOTO_PARTS = {"train": (0.0, 2.0 / 3.0), "test": (2.0 / 3.0, 1.0)}


def _photo_patches(size, channels, count, seed, part=None):
    from sklearn.datasets import load_sample_images  # deferred: slow import

    if part is not None and part not in PHOTO_PARTS:
        raise DataError(f"photos:{part}: expected photos, photos:train or photos:test.")
    photos = [np.asarray(p, np.float32) / 255.0 for p in load_sample_images().images]
    rng = np.random.default_rng(seed)
    out = []
    # Patches of 2x the size, halved: less JPEG noise, more content per patch.
    span = 2 * size
    for i in range(count):
        photo = photos[i % len(photos)]
        lo, hi = (round(f * photo.shape[1]) for f in PHOTO_PARTS.get(part, (0.0, 1.0)))
        if span > min(hi - lo, photo.shape[0]):
            raise DataError(f"photos{':' + part if part else ''}: a {size} px patch needs {span} px of a "
                            f"{hi - lo} x {photo.shape[0]} photo part; pass a smaller --image-size.")
        y = rng.integers(0, photo.shape[0] - span + 1)
        x = rng.integers(lo, hi - span + 1)
        out.append(photo[y:y + span, x:x + span])
    patches = resize_images(np.stack(out), (size, size))
    return convert_channels(patches, channels) if channels and channels != 3 else patches


def _size(request, default):
    return tuple(request.image_size) if request.image_size else (default, default)


def _paired(a, b, labels=None, **info):
    return SourceData(x=a, kind="paired", x_is_unit=True, raw_range=(0.0, 1.0),
                      info={"b": b, "labels": labels, **info})


@register_source("edges2digits", prefix=True, kind="paired", default_image_size=16,
                 description="paired: edge maps -> digits (embedded digits; edges2digits:mnist7k)")
def _edges2digits(request: SourceRequest) -> SourceData:
    size = _size(request, 16)
    images, labels = _unit_images(request.arg or "digits", size, channels=1)
    return _paired(edge_map(images), images, labels, native="digits" if not request.arg else request.arg)


@register_source("colorize", kind="paired", default_image_size=32, options=("num_samples",),
                 description="paired: grey -> colour patches of scikit-learn's two sample photos")
def _colorize(request: SourceRequest) -> SourceData:
    size = _size(request, 32)
    colour = _photo_patches(size[0], 3, int(request.options.get("num_samples", 2000)), request.seed or 0)
    return _paired(convert_channels(colour, 1), colour)


@register_source("pairs", prefix=True, kind="paired", options=("image_key", "target_key", "label_key"),
                 description="paired: pairs:FILE.npz (two arrays) or pairs:DIR_A,DIR_B (files matched by name)")
def _pairs(request: SourceRequest) -> SourceData:
    arg = request.arg
    if "," in arg:
        dir_a, dir_b = (Path(p).expanduser() for p in arg.split(",", 1))
        from kgen.data.images import decode_image_file, find_image_files

        for d in (dir_a, dir_b):
            if not d.is_dir():
                raise DataError(f"pairs:{arg}: {d} is not a folder; pass pairs:DIR_A,DIR_B (two folders).")
        files_a = {p.relative_to(dir_a).with_suffix("").as_posix(): p for p in find_image_files(dir_a)}
        files_b = {p.relative_to(dir_b).with_suffix("").as_posix(): p for p in find_image_files(dir_b)}
        common = sorted(set(files_a) & set(files_b))
        if not common:
            raise DataError(f"pairs:{arg}: no file name is in both folders ({len(files_a)} and {len(files_b)} "
                            "images); paired folders hold the same file names (a/0001.png <-> b/0001.png).")
        size = request.image_size
        a = [decode_image_file(files_a[k]) for k in common]
        b = [decode_image_file(files_b[k]) for k in common]
        size = size or a[0].shape[:2]
        channels = request.channels
        a = np.stack([resize_images(convert_channels(x[None], channels or min(x.shape[-1], 3)), size)[0] for x in a])
        b = np.stack([resize_images(convert_channels(x[None], channels or min(x.shape[-1], 3)), size)[0] for x in b])
        return _paired(a, b, None, unmatched=len(set(files_a) ^ set(files_b)))
    path = Path(arg).expanduser()
    if not path.is_file():
        raise DataError(f"pairs:{arg}: no such file; pass pairs:FILE.npz or pairs:DIR_A,DIR_B.")
    with np.load(path) as f:
        keys = list(f.keys())
        ka, kb = request.options.get("image_key"), request.options.get("target_key")
        if not (ka and kb):
            for a_name, b_name in (("a", "b"), ("inputs", "targets"), ("input", "target"), ("x", "y")):
                if a_name in keys and b_name in keys:
                    ka, kb = a_name, b_name
                    break
        if ka not in keys or kb not in keys:
            raise DataError(f"pairs:{arg} holds arrays {keys}; expected two image arrays named a/b or "
                            "inputs/targets, or name them with --image-key and --target-key.")
        a, b = np.asarray(f[ka]), np.asarray(f[kb])
    if len(a) != len(b):
        raise DataError(f"pairs:{arg}: {ka} has {len(a)} images, {kb} {len(b)}; paired arrays need one target "
                        "per input.")

    def unit(x):
        x = x.astype(np.float32)[..., None] if x.ndim == 3 else x.astype(np.float32)
        hi = 255.0 if x.max() > 1.0 else 1.0
        x = x / hi
        return resize_images(x, request.image_size) if request.image_size else x

    return _paired(unit(a), unit(b))


@register_source("sr", prefix=True, kind="super_resolution",
                 description="super-resolution: sr:x4 (digits) or sr:x4:SOURCE; low-res made in the pipeline")
def _sr(request: SourceRequest) -> SourceData:
    factor, _, spec = request.arg.partition(":")
    if not (factor.startswith("x") and factor[1:].isdigit() and int(factor[1:]) >= 2):
        raise DataError(f"sr:{request.arg}: expected sr:xN[:SOURCE] with a factor N >= 2, e.g. sr:x4 or "
                        "sr:x4:photos.")
    scale = int(factor[1:])
    spec = spec or "digits"
    default = 32 if spec.partition(":")[0] == "photos" else 16
    images, labels = _unit_images(spec, _size(request, default), request.channels)
    h, w = images.shape[1:3]
    if h % scale or w % scale:
        raise DataError(f"sr:{request.arg}: image size {(h, w)} is not a multiple of {scale}; pass --image-size.")
    return SourceData(x=images, kind="super_resolution", x_is_unit=True, raw_range=(0.0, 1.0),
                      info={"b": None, "labels": labels, "scale": scale, "hr_source": spec})


def _unpaired(a, b, la=None, lb=None, **info):
    return SourceData(x=a, kind="unpaired", x_is_unit=True, raw_range=(0.0, 1.0),
                      info={"b": b, "labels": la, "labels_b": lb, **info})


@register_source("digits2inverted", kind="unpaired", default_image_size=16,
                 description="unpaired: digits <-> inverted digits (disjoint halves of the embedded digits)")
def _digits2inverted(request: SourceRequest) -> SourceData:
    images, labels = _unit_images("digits", _size(request, 16), 1)
    # Disjoint halves: no image of B is the inverse of an image of A.
    order = np.random.default_rng(request.seed or 0).permutation(len(images))
    half = len(order) // 2
    ia, ib = order[:half], order[half:2 * half]
    # b_classifier: the digit classifier reads B (and A -> B outputs) negated back (the report's label score).
    return _unpaired(images[ia], 1.0 - images[ib], labels[ia], labels[ib], b_classifier="negate")


@register_source("mnist2digits", kind="unpaired", default_image_size=16,
                 description="unpaired: mnist7k (shared) <-> scikit-learn's embedded digits")
def _mnist2digits(request: SourceRequest) -> SourceData:
    size = _size(request, 16)
    a, _ = _unit_images("mnist7k", size, 1)
    b, lb = _unit_images("digits", size, 1)
    return _unpaired(a, b, None, lb)


@register_source("unpaired", prefix=True, kind="unpaired",
                 description="unpaired: unpaired:SOURCE_A,SOURCE_B (any two image sources)")
def _unpaired_sources(request: SourceRequest) -> SourceData:
    if "," not in request.arg:
        raise DataError(f"unpaired:{request.arg}: expected two sources, unpaired:SOURCE_A,SOURCE_B.")
    sa, sb = request.arg.split(",", 1)
    size = _size(request, 16)
    a, la = _unit_images(sa, size, request.channels)
    b, lb = _unit_images(sb, size, request.channels or a.shape[-1])
    return _unpaired(a, b, la, lb)


def load_pairs(source="edges2digits", *, image_size=None, channels=None, scale="tanh", seed=0, on_error="raise",
               **options) -> PairArrays:
    """Load a paired, unpaired or super-resolution source (see the module docstring) into arrays.

    Args:
        source: a source name or spec.
        image_size: square size (or `(h, w)`); None: the source's default.
        channels: channels of both sides (None: the source's).
        scale: "tanh" -> [-1, 1] (default), "sigmoid" -> [0, 1].
        seed: seed of sources that sample (patches, splits).
        on_error: for unreadable files.
        **options: source options (`image_key`, `target_key`, `num_samples`).

    Returns:
        A `PairArrays`.
    """
    src, arg = resolve_source(source)
    if src.kind not in KINDS:
        raise DataError(f"source {source!r} holds {src.kind}, not image pairs; use a paired source "
                        "(edges2digits, colorize, pairs:...), sr:x4[:SOURCE], or an unpaired one "
                        "(digits2inverted, mnist2digits, unpaired:A,B).")
    size = image_size
    if isinstance(size, int):
        size = (size, size)
    if size is None and src.default_image_size:
        size = src.default_image_size
    unknown = sorted(set(options) - set(src.options))
    if unknown:
        raise DataError(f"source '{src.name}' does not accept option(s) {unknown}; accepted: {list(src.options) or 'none'}.")
    request = SourceRequest(spec=str(source), arg=arg, image_size=size, channels=channels, on_error=on_error,
                            seed=seed, options=dict(options))
    data = src.loader(request)
    if scale not in SCALES:
        raise DataError(f"expected scale in {sorted(SCALES)}. Received: scale={scale!r}")
    lo, hi = SCALES[scale]
    info = {k: v for k, v in data.info.items() if k not in ("b", "labels", "labels_b")}

    def scaled(x):
        if x is None:
            return None
        x = np.asarray(x, np.float32)
        if channels is not None and x.shape[-1] != channels:
            x = convert_channels(x, channels)
        return (x * (hi - lo) + lo).astype(np.float32)

    a, b = scaled(data.x), scaled(data.info.get("b"))
    labels = data.info.get("labels")
    info.update({"source": str(source), "kind": src.kind, "value_range": (lo, hi), "scale_name": scale,
                 "input_shape": tuple(a.shape[1:]), "num_examples": int(len(a))})
    if b is not None:
        info["target_shape"] = tuple(b.shape[1:])
    return PairArrays(a, b, None if labels is None else np.asarray(labels, np.int32), info,
                      None if data.info.get("labels_b") is None else np.asarray(data.info["labels_b"], np.int32))


class PairBatches(EpochBatches):
    """`EpochBatches` of image pairs: epoch `e` is a pure function of `(seed, e)`, augmentation included.

    Paired rows stay together (one permutation; the same jitter crop and
    flip for an input and its target); unpaired sides are drawn with two
    permutations; super-resolution batches get their low-res inputs by
    antialiased bicubic downsampling of the (augmented) high-res batch.
    Augmentation as Isola et al. (Sec. 6.2) and Zhu et al. do: random
    jitter (resize by 1.125 then a random crop back) and, where it makes
    sense (photos, not digits), mirroring.
    """

    def __init__(self, pairs, *, batch_size=64, shuffle=True, seed=0, drop_remainder=True, augment=None):
        if augment not in AUGMENTS:
            raise DataError(f"expected augment in {AUGMENTS}. Received: augment={augment!r}")
        self.kind = pairs.info.get("kind", "paired")
        self.factor = int(pairs.info.get("scale", 1)) if self.kind == "super_resolution" else 1
        self.augment = None if augment == "none" else augment
        self.value_range = tuple(pairs.info.get("value_range", (-1.0, 1.0)))
        b = pairs.b
        n = len(pairs)
        # Unpaired: an epoch is min(N_A, N_B) rows of each side, B drawn from all of B's rows.
        self.num_b = n if b is None or self.kind != "unpaired" else len(b)
        super().__init__(pairs.a[:n] if self.kind != "unpaired" else pairs.a,
                         None if b is None else (b[:n] if self.kind != "unpaired" else b),
                         batch_size=batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder)
        self.num_examples = n
        self.steps_per_epoch = n // self.batch_size if drop_remainder else -(-n // self.batch_size)

    def _augment(self, images, seed):
        import tensorflow as tf

        if self.augment in ("jitter", "jitter_flip"):
            h, w = int(images.shape[-3]), int(images.shape[-2])
            big = tf.image.resize(images, (h + max(2, h // 8), w + max(2, w // 8)), method="bilinear")
            dy = tf.random.stateless_uniform((), seed, 0, big.shape[-3] - h + 1, dtype=tf.int32)
            dx = tf.random.stateless_uniform((), seed + 7, 0, big.shape[-2] - w + 1, dtype=tf.int32)
            cropped = big[..., dy:dy + h, dx:dx + w, :]
            cropped.set_shape(images.shape)
            images = cropped
        if self.augment in ("flip", "jitter_flip"):
            flip = tf.random.stateless_uniform((), seed + 13) < 0.5
            images = tf.where(flip, images[..., ::-1, :], images)
        return images

    def _epoch(self, epoch, steps):
        import tensorflow as tf

        x, y = self._constants()
        n, per = self.num_examples, self.steps_per_epoch
        passes = max(1, -(-steps // per))
        paired = self.kind in ("paired", "super_resolution")

        def order(k, offset, size):
            o = tf.range(size, dtype=tf.int64)
            if self.shuffle:
                seed = tf.stack([tf.constant(self.seed + offset, tf.int64), epoch + k * _PASS_STRIDE])
                o = tf.random.experimental.stateless_shuffle(o, seed)
            return o[:n]

        def one_pass(k):
            ia = order(k, 0, len(self.x))
            ib = ia if paired else order(k, 1_000_003, self.num_b)
            ds = tf.data.Dataset.from_tensor_slices((ia, ib)).batch(self.batch_size,
                                                                    drop_remainder=self.drop_remainder)
            return ds

        batches = tf.data.Dataset.range(passes).flat_map(one_pass).take(steps).enumerate()

        def make(step, idx):
            ia, ib = idx
            seed = tf.stack([tf.constant(self.seed, tf.int64) * 31 + epoch, step])
            a = tf.gather(x, ia)
            if self.kind == "super_resolution":
                hr = tf.clip_by_value(self._augment(a, seed), *self.value_range)
                h, w = int(hr.shape[-3]), int(hr.shape[-2])
                lr = tf.image.resize(hr, (h // self.factor, w // self.factor), method="bicubic", antialias=True)
                return tf.clip_by_value(lr, *self.value_range), hr
            b = tf.gather(y, ib)
            if paired:
                both = self._augment(tf.concat([a, b], axis=-1), seed)
                c = int(a.shape[-1])
                return both[..., :c], both[..., c:]
            return self._augment(a, seed), self._augment(b, seed + 101)

        return batches.map(make)


def pair_dataset(pairs, *, batch_size=1, shuffle=True, seed=0, augment=None, drop_remainder=True, repeat=False):
    """Batches of `(input, target)` (paired, super-resolution) or `(a, b)` (unpaired) from `PairArrays`.

    Args:
        pairs: a `PairArrays` (from `load_pairs`).
        batch_size: 1 in pix2pix / CycleGAN; larger on small images.
        shuffle, seed, drop_remainder, repeat: as in `kgen.data.to_dataset`
            (epoch order a pure function of `(seed, epoch)`: exact resume).
        augment: None, "jitter", "flip" or "jitter_flip".

    Returns:
        A `tf.data.Dataset` (`kgen.data.epoch_source` finds its `PairBatches`).
    """
    if len(pairs) < batch_size and drop_remainder:
        raise DataError(f"batch_size={batch_size} is larger than the {len(pairs)} pairs; lower it.")
    return PairBatches(pairs, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder,
                       augment=augment).dataset(repeat=repeat)


def load(source="edges2digits", *, batch_size=16, image_size=None, channels=None, seed=0, augment=None, **options):
    """`pair_dataset(load_pairs(source, ...), ...)`: one call from a source name to training batches.

    Example:
        >>> ds = kgen.data.paired.load("edges2digits", batch_size=16)
    """
    return pair_dataset(load_pairs(source, image_size=image_size, channels=channels, seed=seed, **options),
                        batch_size=batch_size, seed=seed, augment=augment)
