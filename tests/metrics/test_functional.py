"""Closed-form and statistical checks of the metric functions."""

import numpy as np
import pytest
import scipy.linalg

from kgen.metrics import functional as F


def _random_spd(rng, d, scale=1.0):
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T / d + 0.1 * np.eye(d))


def test_frechet_distance_closed_form_commuting_covariances():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    a, b = np.array([1.0, 2.0, 0.5, 3.0, 0.1]), np.array([4.0, 0.5, 0.5, 1.0, 2.0])
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert F.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_one_dimensional_and_symmetric():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2 with standard deviations s.
    assert F.frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9.0 + 1.0)
    rng = np.random.default_rng(1)
    s1, s2 = _random_spd(rng, 6), _random_spd(rng, 6, 3.0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    assert F.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(F.frechet_distance(mu2, s2, mu1, s1),
                                                                  rel=1e-9)


def test_frechet_distance_general_case_matches_scipy_sqrtm():
    rng = np.random.default_rng(2)
    s1, s2 = _random_spd(rng, 8), _random_spd(rng, 8, 2.0)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    ref = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    assert F.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-8)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="covariances"):
        F.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_fid_of_a_sample_with_itself_is_zero_and_samples_approach_closed_form():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 16)) @ rng.normal(size=(16, 16))
    assert F.frechet_classifier_distance_from_activations(x, x) == pytest.approx(0.0, abs=1e-6)
    # Large samples of N(0, I) and N(1, 4 I) in 4-D: d^2 = 4 * 1 + 4 * (2 - 1)^2 = 8.
    a = rng.normal(size=(40000, 4))
    b = 1.0 + 2.0 * rng.normal(size=(40000, 4))
    assert F.frechet_classifier_distance_from_activations(a, b) == pytest.approx(8.0, rel=0.03)


def test_mmd_unbiased_has_zero_mean_for_one_distribution():
    # Averaged over many small sample pairs, the unbiased estimate is ~0
    # while the biased (V-statistic) one is clearly positive.
    rng = np.random.default_rng(4)
    unbiased, biased = [], []
    for _ in range(300):
        x, y = rng.normal(size=(20, 8)), rng.normal(size=(20, 8))
        unbiased.append(F.mmd2_unbiased(x, y))
        kxx, kyy, kxy = (F.polynomial_kernel(a, b) for a, b in ((x, x), (y, y), (x, y)))
        biased.append(kxx.mean() + kyy.mean() - 2 * kxy.mean())
    unbiased, biased = np.array(unbiased), np.array(biased)
    se = unbiased.std() / np.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 3 * se
    assert biased.mean() > 10 * se


def test_kid_near_zero_for_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(5)
    real = rng.normal(size=(1000, 16))
    same = rng.normal(size=(1000, 16))
    shifted = rng.normal(size=(1000, 16)) + 0.5
    kid_same, std_same = F.kernel_distance(real, same, num_subsets=20, subset_size=500)
    kid_shift, _ = F.kernel_distance(real, shifted, num_subsets=20, subset_size=500)
    assert abs(kid_same) < 0.02 * kid_shift
    assert kid_shift > 0.1
    mean, std = F.kernel_classifier_distance_and_std_from_activations(real, shifted, max_block_size=250)
    assert mean == pytest.approx(kid_shift, rel=0.2)
    assert std > 0


def test_inception_score_bounds():
    k = 10
    identical = np.tile(np.random.default_rng(6).dirichlet(np.ones(k)), (50, 1))
    assert F.classifier_score_from_probabilities(identical) == pytest.approx(1.0, abs=1e-9)
    one_hot = np.eye(k)[np.arange(100) % k]
    assert F.classifier_score_from_probabilities(one_hot) == pytest.approx(k, rel=1e-6)
    logits = 50.0 * one_hot
    assert F.classifier_score_from_logits(logits) == pytest.approx(k, rel=1e-6)
    # Anything else lies between 1 and K.
    p = np.random.default_rng(7).dirichlet(0.3 * np.ones(k), size=200)
    assert 1.0 < F.classifier_score_from_probabilities(p) < k


def _gaussian(rng, n, d=8, shift=0.0, scale=1.0):
    return shift + scale * rng.normal(size=(n, d))


def test_precision_recall_same_shifted_shrunk_and_expanded():
    rng = np.random.default_rng(8)
    real = _gaussian(rng, 1500)
    p_same, r_same = F.precision_recall(real, _gaussian(rng, 1500))
    assert p_same > 0.75 and r_same > 0.75
    p_shift, r_shift = F.precision_recall(real, _gaussian(rng, 1500, shift=3.0))
    assert p_shift < 0.2 and r_shift < 0.2
    # A shrunken generator: its samples are realistic (high precision) but
    # cover little of the real data (low recall); an expanded one the reverse.
    p_shrunk, r_shrunk = F.precision_recall(real, _gaussian(rng, 1500, scale=0.3))
    assert p_shrunk > 0.95 and r_shrunk < 0.3
    p_wide, r_wide = F.precision_recall(real, _gaussian(rng, 1500, scale=2.5))
    assert p_wide < 0.3 and r_wide > 0.95


def test_knn_radii_match_brute_force():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(60, 3))
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    expected = np.sort(d, axis=1)[:, 3] ** 2
    np.testing.assert_allclose(F.knn_radii(x, k=3, chunk=7), expected, rtol=1e-9, atol=1e-12)


def test_psnr_and_ssim_known_values():
    x = np.random.default_rng(10).uniform(-1, 1, size=(3, 16, 16, 1))
    assert F.psnr(0.01, 2.0) == pytest.approx(10 * np.log10(4 / 0.01))
    np.testing.assert_allclose(F.ssim(x, x), 1.0, atol=1e-6)
    # Inverted contrast: negative structure correlation.
    assert (F.ssim(x, -x) < 0.0).all()
    noisy = np.clip(x + np.random.default_rng(11).normal(0, 0.1, x.shape), -1, 1)
    assert (0.5 < F.ssim(x, noisy)).all() and (F.ssim(x, noisy) < 1.0).all()
    # Small images: the SSIM window shrinks to fit.
    small = x[:, :8, :8]
    np.testing.assert_allclose(F.ssim(small, small), 1.0, atol=1e-6)
