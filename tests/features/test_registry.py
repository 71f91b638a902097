"""Extractors by name, any Keras model as an extractor, and InceptionV3 offline."""

import keras
import numpy as np
import pytest

from kgen import features
from kgen.features import inception


def test_names_and_unknown_name():
    assert {"digits", "inception"} <= set(features.names())
    with pytest.raises(ValueError, match="Known extractors"):
        features.get_extractor("vgg99")
    with pytest.raises(TypeError, match="Keras model"):
        features.get_extractor(3)


def test_any_keras_model_is_an_extractor():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    ext = features.get_extractor(model)
    assert ext.input_size == (8, 8) and ext.channels == 3 and not ext.has_probabilities
    x = np.random.default_rng(0).uniform(-1, 1, size=(5, 8, 8, 1)).astype("float32")
    # Grey to RGB, and per-channel mean equals the image mean.
    np.testing.assert_allclose(ext.features(x), np.repeat(x.mean(axis=(1, 2)), 3, axis=1), atol=1e-6)
    with pytest.raises(ValueError, match="no classifier head"):
        ext.probabilities(x)


def test_inception_offline_without_weights_says_which_file_goes_where(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))
    with pytest.raises(features.InceptionWeightsMissing) as info:
        features.get_extractor("inception")
    message = str(info.value)
    assert inception.NOTOP_FILE in message
    assert str(tmp_path / "empty_keras_home" / "models" / inception.NOTOP_FILE) in message
    assert "weights=" in message
    with pytest.raises(features.InceptionWeightsMissing, match="no InceptionV3 weights file"):
        features.get_extractor("inception", weights=str(tmp_path / "missing.h5"))


@pytest.mark.slow
def test_inception_from_a_given_weights_file_gives_2048_features(tmp_path):
    # Randomly initialised InceptionV3 (with its top) saved to a file, as a
    # user would save downloaded weights.
    keras.utils.set_random_seed(0)
    full = keras.applications.InceptionV3(weights=None)
    path = tmp_path / "inception.weights.h5"
    full.save_weights(str(path))
    ext = features.get_extractor("inception", weights=str(path))
    images = np.random.default_rng(1).uniform(-1, 1, size=(2, 16, 16, 1)).astype("float32")
    feats = ext.features(images)
    assert feats.shape == (2, 2048)
    # Same features as the saved network's pool layer on the same 299x299 input.
    pool = keras.Model(full.inputs, full.get_layer("avg_pool").output)
    expected = pool(ext.preprocess(images), training=False)
    np.testing.assert_allclose(feats, np.asarray(expected), rtol=1e-4, atol=1e-5)
    assert ext.probabilities(images).shape == (2, 1000)
