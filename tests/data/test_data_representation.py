"""Masked labels, label-scarce splits, digits-M, rotated moons and photo patches."""

import numpy as np
import pytest

import kgen
from kgen.data import representation as rep


def test_mask_labels_keeps_exactly_k_per_class():
    y = np.repeat(np.arange(10), 30)
    masked = rep.mask_labels(y, 10, seed=0)
    assert masked.dtype == np.int32
    kept = masked != rep.UNLABELLED
    assert kept.sum() == 100
    np.testing.assert_array_equal(masked[kept], y[kept])
    assert all((masked == c).sum() == 10 for c in range(10))
    np.testing.assert_array_equal(rep.mask_labels(y, 10, seed=0), masked)
    x = np.arange(len(y))[:, None]
    xl, yl = rep.labelled_subset(x, masked)
    np.testing.assert_array_equal(y[xl[:, 0]], yl)
    with pytest.raises(kgen.data.DataError, match="fewer than"):
        rep.mask_labels(y, 31)


def test_digits_m_is_the_absolute_difference_of_a_photo_patch_and_the_digit():
    digits = np.zeros((3, 16, 16, 1), np.float32)
    digits[:, 4:12, 7:9] = 1.0
    out = rep.digits_m(digits, seed=3)
    patches = rep.photo_patches(3, 16, seed=3)
    assert out.shape == (3, 16, 16, 3) and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(out, np.abs(patches - digits), atol=1e-6)
    arrays = kgen.data.load_arrays("digits_m", scale="tanh", labels=True)
    assert arrays.x.shape == (1797, 16, 16, 3) and arrays.num_classes == 10
    assert arrays.x.min() >= -1 and arrays.x.max() <= 1


def test_rotated_moons_target_is_a_rotation_of_fresh_moons():
    from sklearn.datasets import make_moons

    xs, ys, xt, yt = rep.rotated_moons(200, angle=30.0, noise=0.1, seed=4)
    np.testing.assert_allclose(xs, make_moons(200, noise=0.1, random_state=4)[0], atol=1e-6)
    fresh = make_moons(200, noise=0.1, random_state=5)[0]
    c = np.array([0.5, 0.25])
    np.testing.assert_allclose(np.linalg.norm(xt - c, axis=1), np.linalg.norm(fresh - c, axis=1), atol=1e-5)
    angle = np.arctan2(*(xt - c).T[::-1]) - np.arctan2(*(fresh - c).T[::-1])
    np.testing.assert_allclose(np.cos(angle), np.cos(np.deg2rad(30.0)), atol=1e-5)
    x, y = rep.adaptation_arrays(xs, ys, xt)
    assert (y == rep.UNLABELLED).sum() == 200 and set(np.unique(y)) == {-1, 0, 1}
    # Balanced: the 50 target points repeated 4 times beside the 200 source points, every one kept.
    x, y = rep.adaptation_arrays(xs, ys, xt[:50], balance=True)
    assert len(x) == 400 and (y == rep.UNLABELLED).sum() == 200
    tgt = x[y == rep.UNLABELLED]
    np.testing.assert_array_equal(np.unique(tgt, axis=0), np.unique(xt[:50], axis=0))
    counts = np.unique(tgt, axis=0, return_counts=True)[1]
    assert (counts == 4).all()
    src = x[y >= 0]
    np.testing.assert_array_equal(np.unique(src, axis=0), np.unique(xs, axis=0))


def test_photo_patches_source():
    arrays = kgen.data.load_arrays("photos", scale="tanh", image_size=8, num_patches=50)
    assert arrays.x.shape == (50, 8, 8, 3) and arrays.y is None
    assert arrays.x.std(axis=(1, 2)).mean() > 0.01  # colour texture, not constant


def test_to_dataset_takes_masked_labels_only_when_asked():
    x = np.zeros((4, 2, 2, 1), np.float32)
    y = np.array([0, -1, 1, -1])
    with pytest.raises(kgen.data.DataError, match=">= 0"):
        kgen.data.to_dataset(x, y, batch_size=2)
    batches = list(kgen.data.to_dataset(x, y, batch_size=2, shuffle=False, allow_unlabelled=True))
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    with pytest.raises(kgen.data.DataError):
        kgen.data.to_dataset(x, np.array([0, -2, 1, 0]), batch_size=2, allow_unlabelled=True)


def test_stroke_contrast_sign_follows_the_photo_brightness():
    digits = np.zeros((2, 8, 8), np.float32)
    digits[:, 2:6, 3:5] = 1.0  # a bar of ink
    patches = np.stack([np.full((8, 8, 3), 0.1), np.full((8, 8, 3), 0.9)]).astype(np.float32)
    blended = np.abs(patches - digits[..., None])  # digits_m's blend over a dark and a bright photo
    c = rep.stroke_contrast(digits, blended)
    np.testing.assert_allclose(c, [0.8, -0.8], atol=1e-6)  # bright ink on dark; dark ink on bright
    # The real digits-M: over the photos' bright regions (china.jpg's sky) the polarity flips.
    from sklearn.datasets import load_digits

    from kgen.data.transforms import resize_images

    d = np.clip(resize_images(load_digits().images[:300].astype(np.float32)[..., None] / 16.0, (16, 16)), 0, 1)
    c = rep.stroke_contrast(d, rep.digits_m(d, seed=0))
    bright = rep.photo_patches(300, 16, seed=0).mean((1, 2, 3)) > 0.6
    assert (c[bright] < 0).mean() > 0.9 and (c[~bright] < 0).mean() < 0.5
    with pytest.raises(kgen.data.DataError, match="blended"):
        rep.stroke_contrast(d, rep.digits_m(d, seed=0)[:, :8])
