"""Pluggable feature extractors for evaluation metrics, looked up by name.

- "digits": a small classifier shipped with kgen (offline; 16x16 grayscale,
  64-d features, 10-class probabilities).
- "inception": Keras' InceptionV3 pool features (2048-d at 299x299), weights
  from the Keras cache or a given file.
- Any Keras model `images -> features`: `get_extractor(model)`.

Example:
    >>> from kgen import features
    >>> ext = features.get_extractor("digits")
    >>> feats = ext.features(images)           # images in [-1, 1]
"""

from kgen.features.base import FeatureExtractor, get_extractor, names, register_extractor
from kgen.features.digits import build_digit_classifier, digits_extractor, load_digit_classifier
from kgen.features.inception import InceptionWeightsMissing, inception_extractor

__all__ = [
    "FeatureExtractor",
    "InceptionWeightsMissing",
    "build_digit_classifier",
    "digits_extractor",
    "get_extractor",
    "inception_extractor",
    "load_digit_classifier",
    "names",
    "register_extractor",
]
