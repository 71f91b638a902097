"""The shipped digit classifier: accuracy on held-out digits, shapes, input conversion."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.model_selection import train_test_split

from kgen import data, features
from kgen.features import digits


@pytest.fixture(scope="module")
def extractor():
    return features.get_extractor("digits")


@pytest.fixture(scope="module")
def held_out():
    record = digits.training_record()
    arrays = data.load_arrays("digits", image_size=16, scale="tanh", labels=True)
    _, x_test, _, y_test = train_test_split(arrays.x, arrays.y, test_size=0.2, stratify=arrays.y,
                                            random_state=record["seed"])
    return x_test, y_test


def test_weights_are_small_package_data():
    path = digits.weights_path()
    assert path.is_file()
    assert path.stat().st_size < 500_000
    record = digits.training_record()
    assert record["held_out_size"] == 360 and record["feature_dim"] == 64


def test_held_out_accuracy_matches_the_training_record(extractor, held_out):
    x_test, y_test = held_out
    accuracy = (extractor.probabilities(x_test).argmax(1) == y_test).mean()
    assert accuracy >= 0.97
    assert accuracy == pytest.approx(digits.training_record()["held_out_accuracy"], abs=0.003)


def test_shapes_and_probabilities(extractor, held_out):
    x = held_out[0][:10]
    feats, probs = extractor.features(x), extractor.probabilities(x)
    assert feats.shape == (10, 64) and feats.dtype == np.float32
    assert probs.shape == (10, 10)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)


def test_inputs_of_other_sizes_channels_and_ranges_are_converted(extractor, held_out):
    x, y = held_out[0][:40], held_out[1][:40]
    base = extractor.features(x)
    # [0, 1] range declared: same features.
    np.testing.assert_allclose(extractor.features((x + 1) / 2, value_range=(0, 1)), base, atol=1e-4)
    # uint8 inputs are read as 0..255.
    as_uint8 = np.round((x + 1) * 127.5).astype(np.uint8)
    np.testing.assert_allclose(extractor.features(as_uint8), base, atol=0.05 * np.abs(base).max())
    # RGB is averaged to grey.
    np.testing.assert_allclose(extractor.features(np.repeat(x, 3, axis=-1)), base, atol=1e-4)
    # 32x32 upsampled copies are resized back and still classified.
    big = tf.image.resize(x, (32, 32), antialias=True).numpy()
    assert (extractor.probabilities(big).argmax(1) == y).mean() >= 0.9
    with pytest.raises(ValueError, match="rank 4"):
        extractor.features(x[0])
