"""Laplacian-pyramid sliced Wasserstein distance: TF-GAN's sliced_wasserstein_test cases and closed forms."""

import numpy as np
import pytest
from scipy import ndimage

from kgen import metrics
from kgen.metrics.sliced_wasserstein import _sliced_wasserstein

GAUSS = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(np.float32) / 256.0


def _reference_pyramid(nchw, levels):
    """Progressive GAN's numpy/scipy pyramid (NCHW, mirrored borders), the reference of TF-GAN's test."""
    kernel = GAUSS[None, None]
    pyramid = [nchw.astype(np.float32)]
    for _ in range(1, levels):
        down = ndimage.convolve(pyramid[-1], kernel, mode="mirror")[:, :, ::2, ::2]
        up = np.zeros_like(pyramid[-1])
        up[:, :, ::2, ::2] = down
        pyramid[-1] = pyramid[-1] - ndimage.convolve(up, kernel * 4.0, mode="mirror")
        pyramid.append(down)
    return pyramid


def test_laplacian_pyramid_matches_scipy_reference_and_reconstructs():
    data = np.random.default_rng(0).normal(size=(64, 3, 32, 32)).astype(np.float32)
    got = metrics.laplacian_pyramid(data.transpose(0, 2, 3, 1), 3)
    for level, ref in zip(got, _reference_pyramid(data, 3)):
        np.testing.assert_allclose(level, ref.transpose(0, 2, 3, 1), atol=1e-6)
    # A constant image has no detail: all of it sits in the coarsest level.
    const = metrics.laplacian_pyramid(np.full((1, 16, 16, 3), 0.7), 3)
    np.testing.assert_allclose(const[0], 0.0, atol=1e-6)
    np.testing.assert_allclose(const[1], 0.0, atol=1e-6)
    np.testing.assert_allclose(const[2], 0.7, atol=1e-6)


def test_sliced_wasserstein_distance_tfgan_values():
    rng = np.random.default_rng(1)
    d1 = rng.uniform(size=(256, 32, 32, 3)).astype(np.float32)
    d2 = rng.normal(size=(256, 32, 32, 3)).astype(np.float32)
    for use_svd, real_expected, fake_expected in ((False, [0.014, 0.014], [0.014, 0.020]),
                                                  (True, [0.013, 0.013], [0.014, 0.019])):
        scores = metrics.sliced_wasserstein_distance(d1, d2, use_svd=use_svd, seed=0)
        np.testing.assert_allclose([s[0] for s in scores], real_expected, rtol=0.15)
        np.testing.assert_allclose([s[1] for s in scores], fake_expected, rtol=0.15)
    small = d1[:16], d2[:16]
    assert metrics.sliced_wasserstein_distance(*small, seed=3) == metrics.sliced_wasserstein_distance(*small, seed=3)
    assert metrics.sliced_wasserstein_distance(*small, seed=3) != metrics.sliced_wasserstein_distance(*small, seed=4)


def test_sliced_wasserstein_of_shifted_one_dimensional_samples_is_the_shift():
    a = np.random.default_rng(2).normal(size=(500, 1)).astype(np.float32)
    rng = np.random.default_rng(0)
    assert _sliced_wasserstein(a, a + 2.0, 3, 1, rng) == pytest.approx(2.0, rel=1e-5)
    assert _sliced_wasserstein(a, a[::-1].copy(), 3, 1, rng) == pytest.approx(0.0, abs=1e-7)


def test_sliced_wasserstein_distance_rejects_bad_shapes():
    d1 = np.zeros((8, 32, 32, 3), np.float32)
    for bad in (np.zeros((8, 32, 31, 3)), np.zeros((8, 31, 32, 3)), np.zeros((7, 32, 32, 3))):
        with pytest.raises(ValueError, match="shape"):
            metrics.sliced_wasserstein_distance(d1, bad)
    with pytest.raises(ValueError, match="RGB"):
        metrics.sliced_wasserstein_distance(np.zeros((8, 32, 32, 1)), np.zeros((8, 32, 32, 1)))
