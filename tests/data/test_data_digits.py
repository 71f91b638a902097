import time

import numpy as np
import pytest
from sklearn.datasets import load_digits

from kgen import data

_DIGITS = load_digits()


@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_digits_resized_to_requested_power_of_two(size):
    arrays = data.load_arrays("digits", image_size=size)
    assert arrays.x.shape == (1797, size, size, 1)
    assert arrays.x.dtype == np.float32
    assert arrays.x.min() == pytest.approx(-1.0)
    assert arrays.x.max() == pytest.approx(1.0)
    assert arrays.info["value_range"] == (-1.0, 1.0)
    assert arrays.info["image_size"] == (size, size)


def test_digits_default_is_16x16_with_labels_0_to_9():
    arrays = data.load_arrays()
    assert arrays.info["source"] == "digits"
    assert arrays.x.shape == (1797, 16, 16, 1)
    assert arrays.y.dtype == np.int32
    np.testing.assert_array_equal(arrays.y, _DIGITS.target)
    assert arrays.num_classes == 10
    assert arrays.class_names == [str(i) for i in range(10)]


def test_digits_native_size_is_exact_rescale_of_0_to_16():
    x = data.load_arrays("digits", image_size=8, scale="tanh").x[..., 0]
    np.testing.assert_allclose(x, _DIGITS.images / 16.0 * 2.0 - 1.0, atol=1e-6)


def test_digits_resize_preserves_image_content():
    # Bilinear resizing keeps each image's mean intensity and its spatial layout.
    native = data.load_arrays("digits", image_size=8, scale="unit").x
    big = data.load_arrays("digits", image_size=32, scale="unit").x
    np.testing.assert_allclose(big.mean(axis=(1, 2, 3)), native.mean(axis=(1, 2, 3)), atol=0.02)
    down = big.reshape(1797, 8, 4, 8, 4, 1).mean(axis=(2, 4))
    corr = np.corrcoef(down.ravel(), native.ravel())[0, 1]
    assert corr > 0.95


@pytest.mark.parametrize(
    "scale, lo, hi", [("sigmoid", 0.0, 1.0), ("unit", 0.0, 1.0), (None, 0.0, 16.0)]
)
def test_digits_scales(scale, lo, hi):
    arrays = data.load_arrays("digits", image_size=8, scale=scale)
    assert arrays.x.min() == pytest.approx(lo)
    assert arrays.x.max() == pytest.approx(hi)
    assert arrays.info["value_range"] == (lo, hi)


def test_digits_load_is_fast():
    start = time.perf_counter()
    data.load_arrays("digits", image_size=64)
    assert time.perf_counter() - start < 2.0


def test_digits_dataset_batches():
    ds = data.load("digits", batch_size=64, image_size=16, labels=True, seed=0)
    assert ds.element_spec[0].shape.as_list() == [64, 16, 16, 1]
    assert ds.element_spec[1].dtype.name == "int32"
    batches = list(ds)
    assert len(batches) == 1797 // 64
    x, y = batches[0]
    assert x.dtype.name == "float32"
    assert -1.0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 1.0
    assert set(y.numpy().tolist()) <= set(range(10))
