"""Closed forms of the image-to-image figures (PSNR / SSIM options of the SR papers' protocol)."""

import numpy as np
import pytest

from kgen.models.translation import metrics


def test_luminance_is_bt601_luma_in_the_16_235_range():
    rgb = np.array([[[[1, 1, 1], [-1, -1, -1], [-1, 1, -1]]]], np.float32)  # white, black, pure green
    y = metrics.luminance(rgb)[0, 0, :, 0] * 255
    np.testing.assert_allclose(y, [235.0, 16.0, 16 + 128.553], atol=1e-3)
    with pytest.raises(ValueError, match=r"RGB images of rank 4 \(N,H,W,3\). Received: shape=\(1, 4, 4, 1\)"):
        metrics.luminance(np.zeros((1, 4, 4, 1)))


def test_psnr_crop_drops_the_border_and_luminance_weights_the_channels():
    target = np.zeros((2, 8, 8, 3), np.float32)
    out = target.copy()
    out[:, 2:-2, 2:-2] += 0.1  # 0.05 on the [0, 1] scale, in the centre only
    out[:, 0] = 1.0  # a border row far off
    centre = -20 * np.log10(0.05)
    assert metrics.psnr(out, target, crop=2) == pytest.approx(centre, abs=1e-3)
    whole = 10 * np.log10(1 / ((0.05 ** 2 * 16 + 0.5 ** 2 * 8) / 64))
    assert metrics.psnr(out, target) == pytest.approx(whole, abs=1e-3)
    # The same shift on R, G and B moves Y by 219 / 255 of it.
    assert metrics.psnr(out, target, crop=2, on_luminance=True) == pytest.approx(
        -20 * np.log10(0.05 * 219 / 255), abs=1e-3)
    grey = target[..., :1]
    assert metrics.psnr(out[..., :1], grey, crop=2, on_luminance=True) == pytest.approx(centre, abs=1e-3)
    assert metrics.ssim(out, target, crop=2) == pytest.approx(metrics.ssim(out[:, 2:-2, 2:-2], target[:, 2:-2, 2:-2]))


def test_bad_crop_and_shapes_name_the_values():
    x = np.zeros((1, 8, 8, 3), np.float32)
    with pytest.raises(ValueError, match=r"crop below half the image size \(8, 8\). Received: crop=4"):
        metrics.psnr(x, x, crop=4)
    with pytest.raises(ValueError, match=r"one shape. Received: \(1, 8, 8, 3\) and \(1, 4, 4, 3\)"):
        metrics.psnr(x, x[:, :4, :4])


def test_per_image_figures_are_each_images_own_and_average_to_the_batch_figure():
    target = np.zeros((3, 16, 16, 1), np.float32)
    out = target + np.array([0.02, 0.2, 1.0], np.float32).reshape(3, 1, 1, 1)  # 0.01, 0.1, 0.5 on [0, 1]
    values = metrics.psnr(out, target, per_image=True)
    np.testing.assert_allclose(values, [40.0, 20.0, -20 * np.log10(0.5)], atol=1e-3)
    assert values.mean() == pytest.approx(metrics.psnr(out, target), abs=1e-4)
    # 300 images cross the 256-image batches of the feature network.
    rng = np.random.default_rng(0)
    target = rng.uniform(-1, 1, (300, 16, 16, 1)).astype(np.float32)
    out = np.clip(target + rng.normal(0, 0.3, target.shape), -1, 1).astype(np.float32)
    out[7] = target[7]
    distances = metrics.feature_distance(out, target, per_image=True)
    assert distances.shape == (300,) and distances[7] == 0.0 and np.all(np.delete(distances, 7) > 0)
    assert distances.mean() == pytest.approx(metrics.feature_distance(out, target), rel=1e-5)
    assert distances[3] == pytest.approx(metrics.feature_distance(out[3:4], target[3:4]), rel=1e-5)
