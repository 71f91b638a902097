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
