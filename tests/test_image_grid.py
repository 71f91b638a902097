"""TF-GAN's image_grid / image_reshaper / python_image_grid (eval_utils_test cases and tile placement)."""

import numpy as np
import pytest
import tensorflow as tf

from kgen import images, metrics


def _numbered(n, h=2, w=3, c=3):
    """Image i is constant i."""
    return np.arange(n, dtype=np.float32)[:, None, None, None] * np.ones((1, h, w, c), np.float32)


def test_image_grid_shapes_and_row_major_placement():
    assert metrics.image_grid(tf.zeros([25, 32, 32, 3]), grid_shape=(5, 5)).shape == (1, 160, 160, 3)
    assert images.python_image_grid(np.zeros([25, 32, 32, 3]), grid_shape=(5, 5)).shape == (160, 160, 3)
    grid = images.image_grid(_numbered(6), (2, 3), image_shape=(2, 3))[0]
    for i in range(6):
        r, c = divmod(i, 3)
        assert np.all(grid[2 * r:2 * r + 2, 3 * c:3 * c + 3] == i)
    flat = images.image_grid(_numbered(6).reshape(6, -1), (2, 3), image_shape=(2, 3))
    np.testing.assert_array_equal(flat[0], grid)


def test_image_grid_errors():
    with pytest.raises(ValueError, match="grid shape"):
        images.image_grid(np.zeros((5, 32, 32, 3)), (2, 3))
    with pytest.raises(ValueError, match="image_shape"):
        images.image_grid(np.zeros((4, 32, 32, 1)), (2, 2))
    with pytest.raises(ValueError, match="flattened"):
        images.image_grid(np.zeros((4, 100)), (2, 2))
    with pytest.raises(ValueError, match="flattened"):
        images.image_grid(np.zeros((4, 32, 32)), (2, 2))


def test_image_reshaper_lists_and_tensors_with_black_padding():
    assert images.image_reshaper(tf.unstack(tf.zeros([25, 32, 32, 3])), num_cols=2).shape == (1, 13 * 32, 2 * 32, 3)
    assert metrics.image_reshaper(tf.zeros([25, 32, 32, 3]), num_cols=2).shape == (1, 13 * 32, 2 * 32, 3)
    tiled = images.image_reshaper(_numbered(11, c=1) + 1.0)[0]  # 11 images: 3 rows of 4
    assert tiled.shape == (3 * 2, 4 * 3, 1)
    assert np.all(tiled[4:6, 9:12] == 0.0) and np.all(tiled[4:6, 6:9] == 11.0)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        images.image_reshaper(np.zeros((4, 8, 8, 2)))
