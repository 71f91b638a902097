"""The offline default extractor: a small digit classifier shipped inside kgen.

It was trained by `tools/train_digit_classifier.py` on scikit-learn's
labelled handwritten digits (resized to 16x16, with augmentation); the
weights (`kgen/assets/digits_classifier.weights.h5`) and the training record
(`kgen/assets/digits_classifier.json`, held-out accuracy included) are
package data, so FID/KID/IS on digit-like data need no download.
"""

import json
from importlib import resources

import keras
from keras import layers

from kgen.features.base import FeatureExtractor, register_extractor

INPUT_SIZE = (16, 16)
FEATURE_DIM = 64
NUM_CLASSES = 10
WEIGHTS_FILE = "digits_classifier.weights.h5"
RECORD_FILE = "digits_classifier.json"


def build_digit_classifier(feature_dim=FEATURE_DIM, num_classes=NUM_CLASSES, dropout=0.3):
    """Build the (untrained) digit classifier: 16x16x1 images in [-1, 1] -> logits.

    Five 3x3 convolutions (32, 32, 48, 48, 96 filters, two max-pools), global
    average pooling, a linear `features` layer (the extractor's output), ReLU,
    dropout and a dense `logits` layer. About 93k parameters (~370 KB).

    Args:
        feature_dim: size of the feature layer.
        num_classes: number of classes.
        dropout: dropout rate before the logits.

    Returns:
        A functional `keras.Model` with layers named "features" and "logits".

    Example:
        >>> build_digit_classifier().output_shape
        (None, 10)
    """
    images = keras.Input((*INPUT_SIZE, 1), name="images")
    h = images
    for i, (filters, pool) in enumerate([(32, False), (32, True), (48, False), (48, True), (96, False)]):
        h = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(h)
        if pool:
            h = layers.MaxPooling2D(2, name=f"pool{i}")(h)
    h = layers.GlobalAveragePooling2D(name="gap")(h)
    # Linear features (before the ReLU) are dense and unbounded: a better fit
    # for the Gaussian that FID assumes than sparse post-ReLU activations.
    features = layers.Dense(feature_dim, name="features")(h)
    h = layers.ReLU(name="features_relu")(features)
    h = layers.Dropout(dropout, name="dropout")(h)
    logits = layers.Dense(num_classes, name="logits")(h)
    return keras.Model(images, logits, name="digits_classifier")


def weights_path():
    """Path of the shipped weights file."""
    return resources.files("kgen") / "assets" / WEIGHTS_FILE


def training_record():
    """The training record of the shipped weights (held-out accuracy, seed, ...)."""
    path = resources.files("kgen") / "assets" / RECORD_FILE
    return json.loads(path.read_text())


def load_digit_classifier(weights=None):
    """The digit classifier with the shipped (or given) weights.

    Args:
        weights: a `.weights.h5` file (default: the one shipped in kgen).

    Returns:
        The classifier `keras.Model` (logits).
    """
    path = weights or weights_path()
    model = build_digit_classifier()
    try:
        model.load_weights(str(path))
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"digit classifier weights not found at {path}. Reinstall kgen, or regenerate them "
            "with `python tools/train_digit_classifier.py`."
        ) from err
    return model


@register_extractor("digits")
def digits_extractor(weights=None, batch_size=512):
    """Feature extractor of the shipped digit classifier (64-d features, 10-class probabilities).

    Inputs are resized to 16x16 and converted to grayscale.

    Args:
        weights: optional replacement weights file.
        batch_size: images per forward pass.

    Returns:
        A `FeatureExtractor` named "digits".

    Example:
        >>> ext = kgen.features.get_extractor("digits")
        >>> ext.features(images).shape, ext.probabilities(images).shape
        ((N, 64), (N, 10))
    """
    classifier = load_digit_classifier(weights)
    features = keras.Model(classifier.inputs, classifier.get_layer("features").output,
                           name="digits_features")
    probs = layers.Softmax(name="probabilities")(classifier.outputs[0])
    probabilities = keras.Model(classifier.inputs, probs, name="digits_probabilities")
    return FeatureExtractor(features, probabilities_model=probabilities, input_size=INPUT_SIZE,
                            channels=1, model_range=(-1.0, 1.0), name="digits",
                            batch_size=batch_size)
