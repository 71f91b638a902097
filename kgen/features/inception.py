"""InceptionV3 pool features (2048-d at 299x299): the standard extractor for comparable FID.

Keras downloads the weights on first use; offline, place the file in the
Keras cache or pass its path. Nothing here downloads.
"""

import os
from pathlib import Path

import keras

from kgen.features.base import FeatureExtractor, register_extractor

INPUT_SIZE = (299, 299)
FEATURE_DIM = 2048
NOTOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
TOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
URL_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"


class InceptionWeightsMissing(FileNotFoundError):
    """InceptionV3 weights are not available offline."""


def keras_cache_dir():
    """Where Keras caches application weights (`$KERAS_HOME/models`, default `~/.keras/models`)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def find_cached_weights(cache_dir=None):
    """Path of cached InceptionV3 weights (no-top preferred), or None."""
    folder = Path(cache_dir) if cache_dir else keras_cache_dir()
    for name in (NOTOP_FILE, TOP_FILE):
        if (folder / name).is_file():
            return folder / name
    return None


def _missing_message(folder):
    return (
        "InceptionV3 weights are not available offline. Download "
        f"{URL_BASE}{NOTOP_FILE} on a machine with internet access and place it at "
        f"{folder / NOTOP_FILE} (the Keras cache; set KERAS_HOME to move it), or pass "
        "weights='/path/to/weights.h5' (any InceptionV3 weights file: Keras' .h5 with or "
        "without top, or a .weights.h5 saved from keras.applications.InceptionV3). For an "
        "offline extractor on digit-like data use extractor='digits'."
    )


def _build_features_model(path):
    """InceptionV3 avg-pool model with weights from `path`, plus a softmax model if it has a top."""
    # A full (with top) file loads into the full network, whose avg_pool
    # output is the feature and whose softmax gives IS probabilities; a
    # headless file only into the headless network.
    errors = []
    try:
        full = keras.applications.InceptionV3(include_top=True, weights=None,
                                              input_shape=(*INPUT_SIZE, 3))
        full.load_weights(str(path))
        features = keras.Model(full.inputs, full.get_layer("avg_pool").output,
                               name="inception_pool")
        return features, full
    except (ValueError, KeyError) as err:
        errors.append(err)
    try:
        model = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                               input_shape=(*INPUT_SIZE, 3))
        model.load_weights(str(path))
        return model, None
    except (ValueError, KeyError) as err:
        raise ValueError(
            f"could not load InceptionV3 weights from {path} into InceptionV3 with or without "
            f"its top. Errors: {errors[0]}; {err}"
        ) from err


@register_extractor("inception")
def inception_extractor(weights=None, cache_dir=None, batch_size=32):
    """Keras' InceptionV3 pool features (2048-d) at 299x299, for FID comparable to the literature.

    Args:
        weights: path of a weights file; default: the Keras cache
            (`$KERAS_HOME/models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`).
        cache_dir: look for cached weights here instead of the Keras cache.
        batch_size: images per forward pass.

    Returns:
        A `FeatureExtractor` named "inception" (with class probabilities when
        the weights include the ImageNet top).

    Raises:
        InceptionWeightsMissing: offline without weights; the message says which
            file to place where.

    Example:
        >>> ext = get_extractor("inception", weights="inception_notop.h5")
        >>> ext.features(images).shape
        (N, 2048)
    """
    if weights is None:
        weights = find_cached_weights(cache_dir)
        if weights is None:
            raise InceptionWeightsMissing(
                _missing_message(Path(cache_dir) if cache_dir else keras_cache_dir()))
    elif not Path(weights).is_file():
        raise InceptionWeightsMissing(f"no InceptionV3 weights file at {weights}. "
                                      + _missing_message(keras_cache_dir()))
    features, full = _build_features_model(weights)
    return FeatureExtractor(features, probabilities_model=full, input_size=INPUT_SIZE, channels=3,
                            model_range=(-1.0, 1.0), name="inception", batch_size=batch_size)
