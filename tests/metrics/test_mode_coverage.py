"""Mode coverage: exact counts on constructed point sets."""

import math

import numpy as np
import pytest

from kgen.data import grid25, ring8
from kgen.metrics.mode_coverage import mode_coverage


def test_true_samples_cover_every_mode_with_high_quality():
    mix = grid25()
    points, _ = mix.sample(2500, seed=0)
    cov = mode_coverage(points, mix)
    assert cov.modes_captured == 25
    assert cov.high_quality_fraction > 0.98  # 3 std in 2-D keeps ~98.9 %
    assert cov.reverse_kl < 0.02


def test_collapsed_and_off_mode_samples():
    mix = ring8()
    centers = mix.centers
    # 3 modes hit exactly, in proportions 2:1:1, plus off-mode points at the origin.
    pts = np.concatenate([np.repeat(centers[:1], 50, 0), np.repeat(centers[1:3], 25, 0),
                          np.zeros((100, 2))])
    cov = mode_coverage(pts, mix)
    assert cov.modes_captured == 3
    assert cov.high_quality_fraction == pytest.approx(0.5)
    p = np.array([0.5, 0.25, 0.25])
    assert cov.reverse_kl == pytest.approx(float(np.sum(p * np.log(p * 8))))
    assert list(cov.counts[:3]) == [50, 25, 25]


def test_threshold_is_three_std():
    mix = ring8()
    just_in = mix.centers[:1] + np.array([[0.0, 2.99 * mix.std]])
    just_out = mix.centers[:1] + np.array([[0.0, 3.01 * mix.std]])
    assert mode_coverage(just_in, mix).modes_captured == 1
    assert mode_coverage(just_out, mix).modes_captured == 0
    assert math.isinf(mode_coverage(just_out, mix).reverse_kl)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="std > 0"):
        mode_coverage(np.zeros((3, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(np.full((3, 2), np.nan), ring8())
