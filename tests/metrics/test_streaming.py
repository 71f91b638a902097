"""Streaming metrics equal their one-shot counterparts, with bounded state."""

import numpy as np
import pytest
import tensorflow as tf

from kgen import metrics
from kgen.metrics import functional as F


def _batches(x, size):
    return [x[i:i + size] for i in range(0, len(x), size)]


def test_feature_statistics_match_numpy():
    x = np.random.default_rng(0).normal(size=(301, 5)) * 3 + 7
    stats = metrics.FeatureStatistics()
    for b in _batches(x, 64):
        stats.update(b)
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance, np.cov(x, rowvar=False), rtol=1e-9)


def test_streaming_fid_equals_one_shot_and_state_is_bounded(tmp_path):
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(700, 6)), rng.normal(size=(500, 6)) * 1.5 + 0.3
    fid = metrics.FrechetDistance()
    for r, f in zip(_batches(real, 100), _batches(fake, 100)):
        fid.update_state(real=r, fake=tf.constant(f, tf.float32))
    fid.update_state(real=real[500:])
    expected = F.frechet_classifier_distance_from_activations(real[:700], fake.astype(np.float32))
    assert fid.result() == pytest.approx(expected, rel=1e-6)
    # State: sums only, independent of the number of samples.
    assert fid.real.outer.shape == (6, 6) and fid.real.count == 700
    # Reference statistics can be saved and reused; a fake-only reset keeps them.
    fid.real.save(tmp_path / "ref.npz")
    again = metrics.FrechetDistance(real_statistics=metrics.FeatureStatistics.load(tmp_path / "ref.npz"))
    again.update_state(fake=fake)
    assert again.result() == pytest.approx(expected, rel=1e-6)
    fid.reset_state(real=False)
    assert fid.real.count == 700 and fid.fake.count == 0
    with pytest.raises(ValueError, match="fake samples"):
        fid.result()


def test_reservoir_keeps_everything_below_capacity_and_samples_uniformly_above():
    small = metrics.Reservoir(100, seed=0)
    small.add(np.arange(30)[:, None])
    small.add(np.arange(30, 70)[:, None])
    np.testing.assert_array_equal(small.values[:, 0], np.arange(70))
    # 10,000 rows into 500 slots: each row kept with probability 1/20.
    first_kept = 0
    means = []
    for seed in range(40):
        res = metrics.Reservoir(500, seed=seed)
        for b in _batches(np.arange(10000)[:, None], 333):
            res.add(b)
        assert len(res) == 500 and res.seen == 10000
        kept = res.values[:, 0]
        assert len(np.unique(kept)) == 500
        first_kept += (kept < 1000).sum()
        means.append(kept.mean())
    # Rows 0..999 are 10 % of the stream: ~10 % of the kept rows.
    assert first_kept / (40 * 500) == pytest.approx(0.1, abs=0.015)
    assert np.mean(means) == pytest.approx(4999.5, abs=150)


def test_streaming_kid_is_unbiased_and_capped():
    rng = np.random.default_rng(2)
    kid = metrics.KernelDistance(max_samples=800, num_subsets=20, subset_size=400)
    shifted = metrics.KernelDistance(max_samples=800, num_subsets=20, subset_size=400)
    for _ in range(5):
        real = rng.normal(size=(300, 10))
        kid.update_state(real=real, fake=rng.normal(size=(300, 10)))
        shifted.update_state(real=real, fake=rng.normal(size=(300, 10)) + 0.5)
    assert len(kid.real) == 800 and len(kid.fake) == 800
    same, far = kid.result(), shifted.result()
    assert set(same) == {"kid", "kid_std"}
    assert abs(same["kid"]) < 0.03 * far["kid"]


def test_streaming_precision_recall_shrunk_generator():
    rng = np.random.default_rng(3)
    pr = metrics.PrecisionRecall(k=3, max_samples=1000)
    for _ in range(4):
        pr.update_state(real=rng.normal(size=(250, 6)), fake=0.3 * rng.normal(size=(250, 6)))
    out = pr.result()
    assert out["precision"] > 0.95 and out["recall"] < 0.35


def test_streaming_inception_score_matches_functional_and_bounds():
    rng = np.random.default_rng(4)
    p = rng.dirichlet(0.2 * np.ones(10), size=400)
    score = metrics.InceptionScore(num_splits=1)
    for b in _batches(p, 64):
        score.update_state(fake=b)
    assert score.result()["inception_score"] == pytest.approx(
        F.classifier_score_from_probabilities(p), rel=1e-9)
    split = metrics.InceptionScore(num_splits=4)
    # Sample i goes to split i % 4: labels (i // 4) % 10 put every class in every split.
    split.update_state(fake=np.eye(10)[(np.arange(400) // 4) % 10])
    assert split.result()["inception_score"] == pytest.approx(10.0, rel=1e-6)
    assert split.result()["inception_score_std"] == pytest.approx(0.0, abs=1e-6)
    same = metrics.InceptionScore()
    same.update_state(fake=np.tile(p[:1], (50, 1)))
    assert same.result()["inception_score"] == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="probabilities"):
        metrics.InceptionScore().update_state(fake=rng.normal(size=(5, 10)))


def test_class_coverage_counts_classes():
    cov = metrics.ClassCoverage(min_fraction=0.1)
    cov.update_state(fake=np.eye(10)[np.arange(300) % 3])  # only classes 0, 1, 2
    out = cov.result()
    assert out["class_coverage"] == pytest.approx(0.3)
    assert out["class_kl"] == pytest.approx(np.log(10 / 3), rel=1e-6)
    # With real data over the same 3 classes, all its classes are covered.
    cov.update_state(real=np.eye(10)[np.arange(90) % 3])
    assert cov.result()["class_coverage"] == pytest.approx(1.0)
    assert cov.result()["class_kl"] == pytest.approx(0.0, abs=1e-9)
    confident = metrics.ClassCoverage(confidence=0.9)
    confident.update_state(fake=np.full((10, 10), 0.1))
    assert confident.result()["confident_fraction"] == 0.0


def test_reconstruction_error_known_values():
    x = np.random.default_rng(5).uniform(-0.5, 0.5, size=(20, 16, 16, 1))
    rec = metrics.ReconstructionError(value_range=(-1, 1))
    for b in _batches(x, 8):
        rec.update_state(real=b, fake=b + 0.1)
    out = rec.result()
    assert out["mse"] == pytest.approx(0.01)
    assert out["psnr"] == pytest.approx(10 * np.log10(4 / 0.01))
    assert 0.9 < out["ssim"] < 1.0
    perfect = metrics.ReconstructionError()
    perfect.update_state(real=x, fake=x)
    assert perfect.result()["ssim"] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="shape"):
        rec.update_state(real=x, fake=x[:, :8])


class _FakeLikelihoodModel:
    def log_likelihood(self, x, k):
        return -np.abs(np.asarray(x)).reshape(len(x), -1).sum(1) - k


def test_log_likelihood_wraps_model_method():
    x = np.random.default_rng(6).normal(size=(50, 4))
    ll = metrics.LogLikelihood(_FakeLikelihoodModel(), num_samples=8, batch_size=16)
    ll.update_state(real=x)
    assert ll.result()["log_likelihood"] == pytest.approx((-np.abs(x).sum(1) - 8).mean())
    with pytest.raises(TypeError, match="log_likelihood"):
        metrics.LogLikelihood(object())


def test_metric_registry_and_per_replica_inputs():
    assert {"fid", "kid", "precision_recall", "inception_score", "class_coverage"} <= set(
        metrics.metric_names())
    with pytest.raises(ValueError, match="Known metrics"):
        metrics.get_metric("nope")
    strategy = tf.distribute.get_strategy()
    fid = metrics.get_metric("fid")
    fid.update_state(real=strategy.experimental_local_results(tf.ones((4, 3)))[0],
                     fake=tf.zeros((4, 3)))
    assert fid.result() == pytest.approx(3.0)


def test_streaming_mode_coverage_equals_one_shot():
    from kgen.data import ring8

    mix = ring8()
    points, _ = mix.sample(1000, seed=0)
    half = points[:, :][np.asarray(_) < 4]  # only modes 0..3
    cov = metrics.ModeCoverageMetric(mix)
    for b in _batches(half, 128):
        cov.update_state(fake=b)
    one_shot = metrics.mode_coverage(half, mix).as_dict()
    out = cov.result()
    assert out["modes"] == one_shot["modes"] == 4
    assert out["high_quality"] == pytest.approx(one_shot["high_quality"])
    assert out["reverse_kl"] == pytest.approx(one_shot["reverse_kl"])
    assert out["reverse_kl"] == pytest.approx(np.log(2), abs=0.05)
