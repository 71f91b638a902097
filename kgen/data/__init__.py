"""Data sources for kgen: one entry point from a name or path to a ``tf.data.Dataset``.

Sources: ``"digits"`` (default, scikit-learn's real handwritten digits),
``"ring8"``/``"grid25"`` (2-D Gaussian mixtures), ``"tfds:<name>[:split]"``,
a ``.npz`` file, or a folder of images. Sequence models read
``"text:<file>"`` (character ids, vocabulary in ``info``) or a sequence
``.npz`` through :func:`load_sequences`. New sources plug in with
:func:`register_source`.

Example:
    >>> from kgen import data
    >>> ds = data.load("digits", batch_size=64, image_size=16)   # [-1, 1] images
    >>> arrays = data.load_arrays("ring8", num_samples=1000)
    >>> arrays.info["mixture"].centers.shape
    (8, 2)
"""

from kgen.data._validate import SCALES, DataError, DataWarning
from kgen.data.registry import (
    Source,
    SourceData,
    SourceRequest,
    available_sources,
    get_source,
    register_source,
    resolve_source,
)
from kgen.data.transforms import (
    convert_channels,
    resize_images,
    scale_images,
    to_uint8,
    value_range_for,
)

# Importing the source modules registers them, in this order.
from kgen.data import digits as _digits  # noqa: E402,F401
from kgen.data.mixtures import MIXTURES, Mixture, get_mixture, grid25, ring8
from kgen.data import tfds_source as _tfds_source  # noqa: E402,F401
from kgen.data import representation  # noqa: E402,F401
from kgen.data.images import IMAGE_EXTENSIONS, decode_image_file, find_image_files
from kgen.data.pipeline import DataArrays, EpochBatches, epoch_source, load, load_arrays, to_dataset
from kgen.data.sequences import SequenceArrays, load_sequences, sequence_dataset
from kgen.data import paired  # noqa: E402  (image pairs: edges2digits, sr:x4, digits2inverted, ...)

__all__ = [
    "DataArrays",
    "DataError",
    "DataWarning",
    "EpochBatches",
    "IMAGE_EXTENSIONS",
    "MIXTURES",
    "Mixture",
    "SCALES",
    "SequenceArrays",
    "Source",
    "SourceData",
    "SourceRequest",
    "available_sources",
    "convert_channels",
    "decode_image_file",
    "epoch_source",
    "find_image_files",
    "get_mixture",
    "get_source",
    "grid25",
    "load",
    "load_arrays",
    "load_sequences",
    "register_source",
    "resize_images",
    "resolve_source",
    "ring8",
    "scale_images",
    "sequence_dataset",
    "to_dataset",
    "to_uint8",
    "value_range_for",
]
