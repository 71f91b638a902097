"""TF-GAN's classifier_metrics_test cases (inputs, expected values, tolerances) against kgen's functions."""

import keras
import numpy as np
import pytest
import scipy.linalg
import scipy.special

from kgen import metrics


def _kid_reference(x, y, max_block_size):
    """KID as TF-GAN's test defines it: blocks of near-equal size, the larger blocks last."""
    blocks = int(np.ceil(max(len(x), len(y)) / max_block_size))

    def bounds(n):
        sizes = [n // blocks + (i >= blocks - n % blocks) for i in range(blocks)]
        return np.concatenate([[0], np.cumsum(sizes)])

    bx, by, d = bounds(len(x)), bounds(len(y)), x.shape[1]
    estimates = []
    for i in range(blocks):
        r, g = x[bx[i]:bx[i + 1]].astype(np.float64), y[by[i]:by[i + 1]].astype(np.float64)
        k_rr, k_gg, k_rg = ((a @ b.T / d + 1) ** 3 for a, b in ((r, r), (g, g), (r, g)))
        off = lambda k: k[~np.eye(len(k), dtype=bool)].mean()  # noqa: E731
        estimates.append(off(k_rr) + off(k_gg) - 2 * k_rg.mean())
    std = np.std(estimates, ddof=1) / np.sqrt(blocks) if blocks > 1 else np.nan
    return np.mean(estimates), std


def test_mean_only_and_diagonal_only_fid_tfgan_values():
    np.random.seed(0)
    real = np.float32(np.random.randn(256, 2048))
    gen = np.float32(np.random.randn(256, 2048))
    m, m_w = real.astype(np.float64).mean(0), gen.astype(np.float64).mean(0)
    v, v_w = real.astype(np.float64).var(0), gen.astype(np.float64).var(0)
    expected_mean_only = np.square(m - m_w).sum()
    expected_diagonal = expected_mean_only + (v + v_w - 2 * np.sqrt(v * v_w)).sum()
    np.testing.assert_allclose(metrics.mean_only_frechet_classifier_distance_from_activations(real, gen),
                               expected_mean_only, rtol=1e-4)
    np.testing.assert_allclose(metrics.diagonal_only_frechet_classifier_distance_from_activations(real, gen),
                               expected_diagonal, rtol=1e-4)


def test_frechet_classifier_distance_with_classifier_fn_tfgan_value_and_batches():
    np.random.seed(0)
    real = np.float32(np.random.randn(512, 256))
    gen = np.float32(np.random.randn(512, 256))
    r64, g64 = real.astype(np.float64), gen.astype(np.float64)
    sqrt_product = scipy.linalg.sqrtm(np.cov(r64, rowvar=False) @ np.cov(g64, rowvar=False)).real
    expected = (np.square(r64.mean(0) - g64.mean(0)).sum()
                + np.trace(np.cov(r64, rowvar=False) + np.cov(g64, rowvar=False) - 2 * sqrt_product))
    identity = lambda x: x  # noqa: E731
    np.testing.assert_allclose(metrics.frechet_classifier_distance(real, gen, identity), expected, rtol=1e-4)
    # Batches of 7 (not a divisor of 512) give the same value.
    np.testing.assert_allclose(metrics.frechet_classifier_distance(real, gen, identity, num_batches=7), expected,
                               rtol=1e-4)


def test_frechet_classifier_distance_grows_with_the_covariance():
    np.random.seed(0)
    fids = [metrics.frechet_classifier_distance(np.float32(np.random.randn(2048, 256) * i),
                                                np.float32(np.random.randn(2048, 256) * i), lambda x: x)
            for i in range(1, 11, 2)]
    assert all(a < b for a, b in zip(fids, fids[1:]))


def test_kernel_classifier_distance_tfgan_values():
    np.random.seed(0)
    real = np.float32(np.random.randn(512, 256))
    gen = np.float32(np.random.randn(512, 256) * 1.1 + 0.05)
    kid, std = metrics.kernel_classifier_distance_and_std(real, gen, lambda x: x, max_block_size=600)
    expected_kid, _ = _kid_reference(real, gen, 1024)
    np.testing.assert_allclose(kid, expected_kid, atol=1e-3)
    assert np.isnan(std)  # one block: no standard error
    assert metrics.kernel_classifier_distance(real, gen, lambda x: x, num_batches=4) == pytest.approx(kid, rel=1e-9)
    gen = np.float32(np.random.randn(768, 256) * 1.1 + 0.05)
    for block_size in (50, 512, 1000):
        got = metrics.kernel_classifier_distance_and_std_from_activations(real, gen, max_block_size=block_size)
        np.testing.assert_allclose(got, _kid_reference(real, gen, block_size), atol=1e-3)
    assert metrics.kernel_classifier_distance_from_activations(real, gen, 50) == pytest.approx(
        metrics.kernel_classifier_distance_and_std_from_activations(real, gen, 50)[0])


def test_kid_uneven_blocks_put_the_extra_samples_last():
    # Issue 14: np.array_split (extra rows first) gave 0.0108136 +- 0.004973.
    rs = np.random.RandomState(1)
    real = rs.randn(500, 64)
    gen = rs.randn(700, 64) * 1.1 + 0.05
    kid, std = metrics.kernel_classifier_distance_and_std_from_activations(real, gen, max_block_size=100)
    assert kid == pytest.approx(0.0122228, abs=1e-6)
    assert std == pytest.approx(0.005049, abs=1e-6)
    np.testing.assert_allclose((kid, std), _kid_reference(real, gen, 100), rtol=1e-9)
    kid32, _ = metrics.kernel_classifier_distance_and_std_from_activations(activations1=real, activations2=gen,
                                                                           max_block_size=100, dtype="float32")
    assert kid32 == pytest.approx(kid, abs=1e-5)


def test_trace_sqrt_product_tfgan_value():
    np.random.seed(0)
    cov_real = np.cov(np.float32(np.random.randn(512, 256)), rowvar=False)
    cov_gen = np.cov(np.float32(np.random.randn(512, 256)), rowvar=False)
    expected = np.trace(scipy.linalg.sqrtm(cov_real @ cov_gen)).real
    np.testing.assert_allclose(metrics.trace_sqrt_product(cov_real, cov_gen), expected, rtol=0.01)
    assert metrics.trace_sqrt_product(np.diag([1.0, 4.0]), np.diag([9.0, 1.0])) == pytest.approx(3.0 + 2.0)


def test_classifier_score_tfgan_value_and_classifier_fn_batches():
    logits = np.array([np.array([1, 2] * 500 + [4]), np.array([4, 5] * 500 + [6])], np.float64)
    p = scipy.special.softmax(logits, axis=1)
    q = p.mean(0, keepdims=True)
    expected = np.exp(np.mean(np.sum(p * (np.log(p) - np.log(q)), 1)))
    np.testing.assert_allclose(metrics.classifier_score_from_logits(logits), expected, rtol=1e-6)
    np.testing.assert_allclose(metrics.classifier_score(logits, lambda x: x), expected, rtol=1e-6)
    # A Keras classifier run on 3 uneven parts equals one run.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    images = np.random.default_rng(0).normal(size=(10, 6)).astype(np.float32)
    assert metrics.classifier_score(images, model, num_batches=3) == pytest.approx(
        metrics.classifier_score_from_logits(model(images).numpy()), rel=1e-6)


def test_kl_divergence_values_and_input_errors():
    logits = np.array([[0.0, np.log(3.0)]])
    p = scipy.special.softmax(logits, axis=1)  # [1/4, 3/4]
    q = np.array([0.5, 0.5])
    expected = 0.25 * np.log(0.5) + 0.75 * np.log(1.5)
    np.testing.assert_allclose(metrics.kl_divergence(p, logits, q), [expected], rtol=1e-12)
    p8, logits8, q10 = np.zeros((8, 10)), np.zeros((8, 10)), np.full(10, 0.1)
    with pytest.raises(ValueError, match="floating-point p. Received: dtype=int32"):
        metrics.kl_divergence(p8.astype(np.int32), logits8, q10)
    with pytest.raises(ValueError, match="floating-point p_logits"):
        metrics.kl_divergence(p8, logits8.astype(np.int32), q10)
    with pytest.raises(ValueError, match="floating-point q"):
        metrics.kl_divergence(p8, logits8, q10.astype(np.int32))
    with pytest.raises(ValueError, match="p of rank 2"):
        metrics.kl_divergence(np.zeros(8), logits8, q10)
    with pytest.raises(ValueError, match="p_logits of rank 2"):
        metrics.kl_divergence(p8, np.zeros(8), q10)
    with pytest.raises(ValueError, match="q of rank 1"):
        metrics.kl_divergence(p8, logits8, np.zeros((10, 8)))


def test_run_classifier_fn_nested_outputs_and_sampling():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    both = metrics.run_classifier_fn(x, lambda b: (b * 2.0, {"sum": b.numpy().sum(1)}), num_batches=4)
    np.testing.assert_array_equal(both[0], x * 2)
    np.testing.assert_array_equal(both[1]["sum"], x.sum(1))
    drawn = metrics.sample_and_run_classifier_fn(lambda n: np.ones((n, 3)), [2, 5], lambda b: b * 3.0)
    assert drawn.shape == (7, 3) and np.all(drawn == 3.0)
    with pytest.raises(ValueError, match="num_batches"):
        metrics.run_classifier_fn(x, lambda b: b, num_batches=7)
