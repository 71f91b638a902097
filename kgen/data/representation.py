"""Offline data for representation learning: masked labels, label-scarce splits, digits-M, rotated moons, photo patches.

**Masked-label convention.** A label array may mark examples without a
label with `UNLABELLED` (-1). Semi-supervised models (`M2VAE`) train on
`(x, labels)` batches where -1 means "unlabelled"; domain-adversarial models
(`DANN`) read labelled examples as the source domain and -1 as the target
domain (whose labels are never used). `mask_labels` keeps `labels_per_class`
labels per class and masks the rest.

Sources registered here (``kgen.data.load("photos")`` ...):

- ``photos``: random square patches of scikit-learn's two bundled sample
  photographs (``load_sample_images``: china.jpg, flower.jpg), RGB, unlabelled;
- ``digits_m``: the embedded digits blended with random photo patches the way
  MNIST-M was built from MNIST (Ganin & Lempitsky 2015: the absolute
  difference of a colour patch and the digit), RGB, labels kept.

Example:
    >>> from kgen.data import representation as rep
    >>> y_scarce = rep.mask_labels(y, labels_per_class=10, seed=0)   # -1 for all but 100
    >>> target = rep.digits_m(images_unit, seed=0)                     # (N, H, W, 3) in [0, 1]
"""

from __future__ import annotations

import functools

import numpy as np

from kgen.data._validate import DataError
from kgen.data.registry import SourceData, SourceRequest, register_source

__all__ = ["UNLABELLED", "adaptation_arrays", "digits_m", "labelled_subset", "mask_labels", "photo_patches",
           "rotated_moons", "sample_photos", "stroke_contrast"]

#: The label of an example without one (the masked-label convention).
UNLABELLED = -1


def mask_labels(labels, labels_per_class=10, seed=0):
    """Keep `labels_per_class` labels of every class (chosen at random), set the others to `UNLABELLED`.

    Args:
        labels: int labels `(N,)` (values >= 0).
        labels_per_class: labels kept per class (10 gives the label-scarce split).
        seed: seed of the choice.

    Returns:
        int32 `(N,)`: the kept labels, -1 elsewhere.

    Example:
        >>> mask_labels(np.repeat(np.arange(3), 5), 2, seed=0)   # two labels of each class kept
    """
    labels = np.asarray(labels).astype(np.int64)
    if labels.ndim != 1 or (labels < 0).any():
        raise DataError("mask_labels needs a (N,) array of class ids >= 0; it masks them itself.")
    k = int(labels_per_class)
    if k < 1:
        raise DataError(f"expected labels_per_class >= 1. Received: labels_per_class={labels_per_class}")
    rng = np.random.default_rng(seed)
    out = np.full(labels.shape, UNLABELLED, np.int32)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if len(idx) < k:
            raise DataError(f"class {c} has {len(idx)} examples, fewer than labels_per_class={k}; lower it.")
        keep = rng.choice(idx, k, replace=False)
        out[keep] = c
    return out


def labelled_subset(x, labels):
    """The examples whose label is not `UNLABELLED`: `(x_l, y_l)`."""
    labels = np.asarray(labels)
    keep = labels != UNLABELLED
    return np.asarray(x)[keep], labels[keep].astype(np.int32)


@functools.lru_cache(maxsize=1)
def sample_photos():
    """scikit-learn's bundled sample photographs as float32 RGB in [0, 1] (a tuple of `(H, W, 3)` arrays)."""
    from sklearn.datasets import load_sample_images

    return tuple(np.asarray(img, np.float32) / 255.0 for img in load_sample_images().images)


def photo_patches(n, size=16, seed=0, scale=1):
    """Random square patches of the sample photos, `(n, size, size, 3)` float32 in [0, 1].

    Args:
        n: number of patches.
        size: patch side in output pixels.
        seed: seed of the positions.
        scale: integer downsampling of the photos first (box filter), so a
            patch covers `size * scale` photo pixels.

    Example:
        >>> photo_patches(100, 16).shape
        (100, 16, 16, 3)
    """
    rng = np.random.default_rng(seed)
    photos = sample_photos()
    if scale > 1:
        photos = tuple(p[:p.shape[0] // scale * scale, :p.shape[1] // scale * scale]
                       .reshape(p.shape[0] // scale, scale, p.shape[1] // scale, scale, 3).mean((1, 3))
                       for p in photos)
    out = np.empty((int(n), size, size, 3), np.float32)
    which = rng.integers(len(photos), size=int(n))
    for i, j in enumerate(which):
        p = photos[j]
        top = rng.integers(0, p.shape[0] - size + 1)
        left = rng.integers(0, p.shape[1] - size + 1)
        out[i] = p[top:top + size, left:left + size]
    return out


def digits_m(images, seed=0):
    """Blend grayscale digits with random photo patches, as MNIST-M was made from MNIST.

    `out = |patch - digit|` per channel (Ganin & Lempitsky 2015,
    https://arxiv.org/abs/1409.7495): the strokes invert the photo's colours.

    Args:
        images: digits `(N, H, W)` or `(N, H, W, 1)` in [0, 1] (1 = ink).
        seed: seed of the patches.

    Returns:
        float32 `(N, H, W, 3)` in [0, 1].
    """
    x = np.asarray(images, np.float32)
    if x.ndim == 4:
        if x.shape[-1] != 1:
            raise DataError(f"digits_m blends grayscale digits. Received: {x.shape[-1]} channels")
        x = x[..., 0]
    if x.ndim != 3:
        raise DataError(f"expected digits (N, H, W[, 1]). Received: shape={x.shape}")
    patches = photo_patches(len(x), x.shape[1], seed=seed)
    return np.abs(patches - x[..., None]).astype(np.float32)


def stroke_contrast(digits, blended, threshold=0.5):
    """Mean brightness of the strokes minus that of the background, per blended image.

    `|patch - digit|` inverts the photo under the strokes, so over a photo
    brighter than mid-grey the strokes come out DARKER than the background
    (contrast < 0): the opposite polarity of the source digits (bright ink on
    black). The DANN benchmark splits its target accuracy by this sign.

    Args:
        digits: the grayscale digits before blending, `(N, H, W[, 1])` in [0, 1] (1 = ink).
        blended: their `digits_m` images `(N, H, W, C)` in [0, 1].
        threshold: digit value above which a pixel is a stroke.

    Returns:
        float32 `(N,)`: stroke minus background mean gray level (in [-1, 1]).
    """
    d = np.asarray(digits, np.float32)
    d = d[..., 0] if d.ndim == 4 else d
    b = np.asarray(blended, np.float32)
    if b.ndim != 4 or b.shape[:3] != d.shape:
        raise DataError(f"expected blended images (N, H, W, C) over digits (N, H, W). "
                        f"Received: digits {d.shape}, blended {b.shape}")
    gray, ink = b.mean(-1), d > threshold
    count_ink, count_bg = ink.sum((1, 2)), (~ink).sum((1, 2))
    if (count_ink == 0).any() or (count_bg == 0).any():
        raise DataError(f"every digit needs stroke and background pixels at threshold={threshold}; "
                        f"{int((count_ink == 0).sum() + (count_bg == 0).sum())} images have none of one")
    return ((gray * ink).sum((1, 2)) / count_ink - (gray * ~ink).sum((1, 2)) / count_bg).astype(np.float32)


def rotated_moons(n=1000, angle=30.0, noise=0.1, seed=0):
    """Two moons (source) and the same distribution rotated by `angle` degrees (target).

    Ganin et al.'s toy adaptation problem (https://arxiv.org/abs/1505.07818,
    section 5.1): source points `make_moons`; target points a fresh draw
    rotated about the data's centre.

    Returns:
        `(x_source, y_source, x_target, y_target)`, float32 `(n, 2)` and int32 `(n,)`.
    """
    from sklearn.datasets import make_moons

    xs, ys = make_moons(int(n), noise=noise, random_state=seed)
    xt, yt = make_moons(int(n), noise=noise, random_state=seed + 1)
    centre = np.array([0.5, 0.25])
    t = np.deg2rad(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    xt = (xt - centre) @ rot.T + centre
    return xs.astype(np.float32), ys.astype(np.int32), xt.astype(np.float32), yt.astype(np.int32)


def adaptation_arrays(x_source, y_source, x_target, seed=0, balance=False):
    """One shuffled training set for DANN: source examples with their labels, target ones labelled -1.

    Args:
        x_source, y_source: the labelled source domain.
        x_target: the unlabelled target domain.
        seed: seed of the shuffle.
        balance: repeat the smaller domain's examples (cyclically) until both domains have as many,
            so batches hold half source, half target on average, as Ganin et al.'s do.

    Returns:
        `(x, labels)` with `labels == UNLABELLED` exactly for the target examples.
    """
    x_source, y_source = np.asarray(x_source, np.float32), np.asarray(y_source, np.int32)
    x_target = np.asarray(x_target, np.float32)
    if balance:
        n = max(len(x_source), len(x_target))
        src, tgt = np.arange(n) % len(x_source), np.arange(n) % len(x_target)
        x_source, y_source, x_target = x_source[src], y_source[src], x_target[tgt]
    x = np.concatenate([x_source, x_target])
    y = np.concatenate([y_source, np.full(len(x_target), UNLABELLED, np.int32)])
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


@register_source("photos", default_image_size=16, options=("num_patches",),
                 description="random RGB patches of scikit-learn's two bundled sample photos (unlabelled)")
def load_photos_source(request: SourceRequest) -> SourceData:
    """``num_patches`` (default 4000) random patches of the sample photos, at the requested size."""
    size = request.image_size or (16, 16)
    if size[0] != size[1]:
        raise DataError(f"photos gives square patches. Received: image_size={size}")
    n = int(request.options.get("num_patches", 4000))
    x = photo_patches(n, size[0], seed=request.seed or 0)
    return SourceData(x=x, raw_range=(0.0, 1.0), x_is_unit=True, info={"native_size": tuple(size)})


@register_source("digits_m", default_image_size=16,
                 description="the embedded digits blended with sample-photo patches like MNIST-M (RGB, labels)")
def load_digits_m_source(request: SourceRequest) -> SourceData:
    """The 1,797 embedded digits at the requested size, blended with photo patches (labels 0-9)."""
    from sklearn.datasets import load_digits

    from kgen.data.transforms import resize_images

    size = request.image_size or (16, 16)
    bunch = load_digits()
    x = resize_images(bunch.images.astype(np.float32)[..., None] / 16.0, size)
    return SourceData(x=digits_m(np.clip(x, 0, 1), seed=request.seed or 0), y=bunch.target.astype(np.int32),
                      raw_range=(0.0, 1.0), x_is_unit=True, num_classes=10,
                      class_names=[str(i) for i in range(10)], info={"native_size": tuple(size)})
