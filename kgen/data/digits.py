"""The embedded default source: scikit-learn's real handwritten digits."""

from __future__ import annotations

import numpy as np

from kgen.data.registry import SourceData, SourceRequest, register_source

__all__ = ["load_digits_source"]


@register_source(
    "digits",
    default_image_size=16,
    description="scikit-learn's 1,797 real 8x8 handwritten digits (0-9), resized",
)
def load_digits_source(request: SourceRequest) -> SourceData:
    """Load ``sklearn.datasets.load_digits`` (1,797 8x8 images, values 0..16).

    Ships with scikit-learn, so it works offline; the shared pipeline resizes
    it to ``image_size`` (default 16x16) with antialiased bilinear
    interpolation.

    Args:
        request: the load request (no extra options).

    Returns:
        :class:`SourceData` with (1797, 8, 8, 1) float images in 0..16 and
        labels 0-9.

    Example:
        >>> from kgen import data
        >>> data.load_arrays("digits", image_size=32).x.shape
        (1797, 32, 32, 1)
    """
    from sklearn.datasets import load_digits  # deferred: sklearn import is slow

    bunch = load_digits()
    x = bunch.images.astype(np.float32)[..., None]
    return SourceData(
        x=x,
        y=bunch.target.astype(np.int32),
        raw_range=(0.0, 16.0),
        num_classes=10,
        class_names=[str(i) for i in range(10)],
        info={"native_size": (8, 8)},
    )
