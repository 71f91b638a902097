"""Latent tools: interpolation paths, arithmetic on group means, PNG grids."""

import numpy as np
import pytest
from PIL import Image

from kgen import latent


def test_lerp_and_slerp_endpoints_and_geometry():
    a, b = np.array([3.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0])
    for fn in (latent.lerp, latent.slerp):
        path = fn(a, b, 5)
        np.testing.assert_allclose(path[0], a, atol=1e-6)
        np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(latent.lerp(a, b, 3)[1], [1.5, 1.5, 0.0])
    norms = np.linalg.norm(latent.slerp(a, b, 7), axis=1)
    np.testing.assert_allclose(norms, 3.0, rtol=1e-5)  # stays on the sphere
    np.testing.assert_allclose(latent.slerp(a, 2 * a, 3)[1], 1.5 * a, rtol=1e-6)  # parallel: linear
    with pytest.raises(ValueError, match="method"):
        latent.interpolate(a, b, 3, method="cubic")


def test_vector_arithmetic_on_group_means():
    smiling_woman = np.array([[1.0, 1.0], [3.0, 1.0]])  # mean (2, 1)
    neutral_woman = np.array([[2.0, 0.0]])
    neutral_man = np.array([[0.0, 5.0], [0.0, 3.0]])  # mean (0, 4)
    z = latent.vector_arithmetic([smiling_woman, neutral_man], [neutral_woman])
    np.testing.assert_allclose(z, [0.0, 5.0])
    with pytest.raises(ValueError, match="latent size"):
        latent.vector_arithmetic([np.zeros((1, 2))], [np.zeros((1, 3))])


class _Identity:
    """A stand-in generative model: a 2-D latent becomes a 2x2 image."""

    def generate(self, z, labels=None):
        z = np.asarray(z)
        return np.tile(np.tanh(z[:, :1])[:, :, None, None], (1, 2, 2, 1))


def test_interpolation_grid_png(tmp_path):
    starts, ends = np.zeros((3, 2)), np.ones((3, 2))
    images = latent.interpolation_grid(_Identity(), starts, ends, steps=4, method="linear")
    assert images.shape == (12, 2, 2, 1)
    path = latent.save_interpolation_grid(_Identity(), starts, ends, tmp_path / "walk.png", steps=4)
    img = Image.open(path)
    assert img.size == (4 * 3 + 1, 3 * 3 + 1)  # 4 columns, 3 rows of 2x2 tiles with 1-px padding
