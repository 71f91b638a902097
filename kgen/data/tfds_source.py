"""``tfds:<name>[:split]``: image datasets from tensorflow-datasets.

The whole split is decoded into memory up front (like every other source) so
bad data fails before training. Without internet access tfds cannot
download; the error then explains how to supply the data locally.
"""

from __future__ import annotations

import numpy as np

from kgen.data._validate import DataError
from kgen.data.images import stack_images
from kgen.data.registry import SourceData, SourceRequest, register_source

__all__ = ["load_tfds"]


def _parse(arg: str):
    name, _, split = arg.partition(":")
    if not name:
        raise DataError(
            f"tfds source needs a dataset name, e.g. 'tfds:mnist' or "
            f"'tfds:mnist:test'. Received: 'tfds:{arg}'"
        )
    return name, split or "train"


def _class_info(info, label_key):
    try:
        feature = info.features[label_key]
        return int(feature.num_classes), [str(n) for n in feature.names]
    except Exception:  # no label feature, or not a ClassLabel
        return None, None


def _offline_help(name, split, err) -> str:
    return (
        f"could not load tensorflow-datasets dataset '{name}' (split '{split}'): "
        f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}\n"
        "tfds needs internet access to download and prepare a dataset the first "
        "time. To supply the data locally, either:\n"
        f"  1. prepare it on a machine with internet (`tfds build {name}` or "
        f"tfds.load('{name}')), copy the tfds data directory here and pass "
        "data_dir='<that directory>' (add download=False to never try the network); or\n"
        "  2. export the images to a .npz file (np.savez('x.npz', images=uint8 "
        "(N,H,W[,C]), labels=(N,))) or to a folder of image files (class "
        "sub-folders for labels) and pass that path as the source."
    )


def _import_help(err) -> str:
    return (
        f"tensorflow-datasets cannot run here: {type(err).__name__}: {err}. This is an "
        "installation problem, not a missing download: reinstall kgen (`pip install .` installs "
        "tensorflow-datasets and its dependencies), or install the missing module with pip."
    )


@register_source(
    "tfds",
    prefix=True,
    options=("data_dir", "download", "image_key", "label_key"),
    description="a tensorflow-datasets image dataset: 'tfds:<name>[:split]'",
)
def load_tfds(request: SourceRequest) -> SourceData:
    """Load a split of a tensorflow-datasets image dataset into memory.

    Args:
        request: the load request; ``request.arg`` is ``"<name>[:split]"``
            (split defaults to ``"train"``; slicing like ``"train[:10%]"``
            works). Options: ``data_dir`` (a prepared tfds directory),
            ``download`` (default True), ``image_key`` (default ``"image"``),
            ``label_key`` (default ``"label"``).

    Returns:
        :class:`SourceData` with uint8-range images and, if available, labels.

    Example:
        >>> from kgen import data
        >>> ds = data.load("tfds:mnist:test", data_dir="~/tensorflow_datasets",
        ...                download=False)  # doctest: +SKIP
    """
    name, split = _parse(request.arg)
    opts = request.options
    image_key = opts.get("image_key", "image")
    label_key = opts.get("label_key", "label")
    supervised = bool(request.labels)
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:  # a broken install, not a missing download
        raise DataError(_import_help(err)) from err
    try:
        kwargs = {"download": opts.get("download", True)}
        if opts.get("data_dir") is not None:
            kwargs["data_dir"] = str(opts["data_dir"])
        ds, info = tfds.load(
            name, split=split, as_supervised=supervised, with_info=True, **kwargs
        )
    except ImportError as err:  # tfds imports some modules lazily (importlib_resources)
        raise DataError(_import_help(err)) from err
    except Exception as err:  # download, prepare and lookup errors all mean "no data"
        raise DataError(_offline_help(name, split, err)) from err

    images, labels = [], []
    try:
        for element in ds.as_numpy_iterator():
            if supervised:
                image, label = element
                labels.append(label)
            else:
                if image_key not in element:
                    raise DataError(
                        f"tfds dataset '{name}' has no feature {image_key!r}; found "
                        f"{sorted(element)}. Pass image_key='<feature>'."
                    )
                image = element[image_key]
                # labels=None means "keep them if the dataset has them".
                if request.labels is None and label_key in element:
                    labels.append(element[label_key])
            images.append(np.asarray(image))
    except DataError:
        raise
    except Exception as err:  # e.g. a partially prepared / corrupt record file
        raise DataError(_offline_help(name, split, err)) from err
    if not images:
        raise DataError(f"tfds dataset '{name}' split '{split}' is empty.")
    if labels and len(labels) != len(images):
        labels = []  # the label feature is not present on every element

    dtype = images[0].dtype
    if np.issubdtype(dtype, np.floating):
        raw_range = (0.0, 1.0)
    elif dtype == np.uint16:
        raw_range = (0.0, 65535.0)
    else:
        raw_range = (0.0, 255.0)
    lo, hi = raw_range
    unit = []
    for im in images:
        im = im.astype(np.float32)
        if im.ndim == 2:
            im = im[..., None]
        if im.ndim != 3:
            raise DataError(
                f"tfds dataset '{name}' feature {image_key!r} is not an image: "
                f"expected (H, W[, C]) per example. Received: shape={im.shape}"
            )
        unit.append((im - lo) / (hi - lo))
    x = stack_images(
        unit, [f"{name}[{i}]" for i in range(len(unit))], request.image_size, request.channels
    )
    num_classes, class_names = _class_info(info, label_key)
    return SourceData(
        x=x,
        y=np.asarray(labels) if labels else None,
        raw_range=raw_range,
        x_is_unit=True,
        num_classes=num_classes,
        class_names=class_names,
        info={"tfds_name": name, "split": split},
    )
