"""VAE and IWAE: bounds, KL, likelihoods, export heads (strategy equivalence: test_ae_family_mirrored.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import stats

from kgen.models.vae import likelihoods
from kgen.models.vae.iwae import IWAE, build_iwae
from kgen.models.vae.vae import VAE, GaussianPosteriorParams, build_cvae, build_vae

tfd = tfp.distributions
SHAPE = (8, 8, 1)


def _binary(n=16, seed=0):
    return (np.random.default_rng(seed).random((n, *SHAPE)) > 0.6).astype("float32")


@pytest.fixture(scope="module")
def vae():
    keras.utils.set_random_seed(0)
    model = build_vae(SHAPE, latent_dim=3, hidden_units=(32,), seed=3)
    model.fit(_binary(64), epochs=3, batch_size=16, verbose=0)
    return model


def test_analytic_kl_matches_monte_carlo(vae):
    x = tf.constant(_binary(8))
    q = vae.posterior(x)
    analytic = vae.kl_divergence(q).numpy()
    z = q.sample(20000, seed=1)
    mc = tf.reduce_mean(q.log_prob(z) - vae.prior_distribution().log_prob(z), axis=0).numpy()
    # MC standard error at 20k samples is well below 0.05 nats for these posteriors.
    np.testing.assert_allclose(mc, analytic, atol=0.05)
    mc_model = VAE(vae.encoder, vae.decoder, 3, analytic_kl=False)
    np.testing.assert_allclose(mc_model.kl_divergence(q, z[0]).numpy(),
                               (q.log_prob(z[0]) - vae.prior_distribution().log_prob(z[0])).numpy(), rtol=1e-6)


def _mean_bound(model, x, k, repeats):
    # Repeating the batch averages independent estimates in one call.
    return model.iwae_bound(tf.tile(x, [repeats, 1, 1, 1]), k).numpy().mean()


def test_elbo_below_iwae_bounds_non_decreasing_in_k(vae):
    x = tf.constant(_binary(32, seed=1))
    elbo = vae.elbo(tf.tile(x, [200, 1, 1, 1])).numpy().mean()
    b1 = _mean_bound(vae, x, 1, 200)
    b5 = _mean_bound(vae, x, 5, 60)
    b50 = _mean_bound(vae, x, 50, 20)
    b500 = _mean_bound(vae, x, 500, 4)
    # IWAE_1 is the ELBO with a Monte-Carlo KL: same expectation.
    assert abs(b1 - elbo) < 0.3, (b1, elbo)
    assert elbo <= b5 + 0.05 and b5 <= b50 + 0.02 and b50 <= b500 + 0.02, (elbo, b5, b50, b500)
    assert b500 - elbo > 0.1, "the bound should tighten measurably on this model"


def test_log_likelihood_is_batched_and_matches_the_bound(vae):
    x = _binary(10, seed=2)
    a = vae.log_likelihood(x, k=400, batch_size=4, max_samples_per_pass=40)  # 10-sample chunks
    b = vae.log_likelihood(x, k=400, batch_size=10, max_samples_per_pass=100000)
    assert a.shape == (10,) and np.all(a < 0)
    # Independent estimates of the same IWAE_400 bound: per-example spread
    # on this barely trained model is ~0.5 nat; the mean is much tighter.
    assert abs(a.mean() - b.mean()) < 0.3, (a.mean(), b.mean())
    np.testing.assert_allclose(a, b, atol=1.5)
    bound = vae.iwae_bound(tf.constant(x), 400).numpy()
    assert abs(a.mean() - bound.mean()) < 0.3


def test_bernoulli_log_likelihood_rejects_grey_levels(vae):
    x = _binary(3, seed=1)
    x[0, 0, 0, 0] = 0.5
    with pytest.raises(ValueError, match=r"binary x .* 1 non-binary entries, e.g. 0.5"):
        vae.log_likelihood(x, k=4)


def test_bernoulli_log_prob_is_negative_cross_entropy():
    logits = np.random.default_rng(0).normal(size=(2, *SHAPE)).astype("float32")
    x = _binary(2)
    p = 1 / (1 + np.exp(-logits))
    expected = (x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(2, -1).sum(1)
    np.testing.assert_allclose(likelihoods.log_prob("bernoulli", logits, x).numpy(), expected,
                               rtol=1e-5)


@pytest.mark.parametrize("name", ["bernoulli", "gaussian", "gaussian_learned", "logistic"])
def test_log_prob_broadcasts_leading_sample_axes(name):
    # log_weights decodes (k*N) latents and scores them against x (N, ...)
    # without tiling x: each of the k slices must equal the per-sample value.
    rng = np.random.default_rng(2)
    k, n = 3, 2
    c = likelihoods.param_channels(name, 1)
    params = rng.normal(size=(k, n, 4, 4, c)).astype("float32")
    x = (rng.random((n, 4, 4, 1)) > 0.5).astype("float32")
    together = likelihoods.log_prob(name, params, x).numpy()
    assert together.shape == (k, n)
    for i in range(k):
        np.testing.assert_allclose(together[i], likelihoods.log_prob(name, params[i], x).numpy(),
                                   rtol=1e-6)
    if name == "bernoulli":  # the written-out formula is tfd.Bernoulli's log_prob
        ref = tfd.Independent(tfd.Bernoulli(logits=params, dtype=tf.float32), 3).log_prob(x)
        np.testing.assert_allclose(together, ref.numpy(), rtol=1e-5)


def test_gaussian_likelihoods_match_scipy():
    rng = np.random.default_rng(1)
    x = rng.random((2, 4, 4, 1)).astype("float32")
    loc = rng.random((2, 4, 4, 1)).astype("float32")
    raw = rng.normal(size=(2, 4, 4, 1)).astype("float32")
    fixed = likelihoods.log_prob("gaussian", loc, x, scale=0.3).numpy()
    np.testing.assert_allclose(fixed, stats.norm.logpdf(x, loc, 0.3).reshape(2, -1).sum(1), rtol=1e-5)
    scale = np.log1p(np.exp(raw)) + 1e-2
    learned = likelihoods.log_prob("gaussian_learned", np.concatenate([loc, raw], -1), x).numpy()
    np.testing.assert_allclose(learned, stats.norm.logpdf(x, loc, scale).reshape(2, -1).sum(1), rtol=1e-4)


def test_discretized_logistic_sums_to_one_over_256_levels():
    levels = (np.arange(256, dtype="float32") / 255.0).reshape(256, 1, 1, 1)
    for loc, raw in ((0.3, -5.0), (0.02, -2.0), (0.9, 1.0)):
        params = np.tile(np.array([loc, raw], "float32").reshape(1, 1, 1, 2), (256, 1, 1, 1))
        per_level = likelihoods.log_prob("logistic", params, levels).numpy()  # one level per example
        np.testing.assert_allclose(np.exp(per_level).sum(), 1.0, atol=1e-4)
        if raw == -5.0:  # narrow: the mode is the bin of the location
            assert np.argmax(per_level) == round(loc * 255)


def test_posterior_scale_floor_and_parameterizations():
    raw = np.array([[0.5, 1.0, 2.0, -100.0]], "float32")  # [loc (2), raw scale (2)]
    loc, scale = GaussianPosteriorParams(2, "exp", 1e-3)(raw)
    # exp(raw/2) with raw clipped at -30 adds at most 3e-7 to the floor.
    np.testing.assert_allclose(scale.numpy(), [[np.exp(1.0) + 1e-3, 1e-3]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loc.numpy(), [[0.5, 1.0]])
    _, scale = GaussianPosteriorParams(2, "softplus", 1e-4)(raw)
    np.testing.assert_allclose(scale.numpy(), [[np.log1p(np.e**2) + 1e-4, 1e-4]], rtol=1e-5)
    with pytest.raises(ValueError, match="scale_fn"):
        GaussianPosteriorParams(2, "relu")


def test_generate_mean_or_sample_and_export_heads(vae):
    z = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    mean = np.asarray(vae.generate(z))
    assert mean.shape == (5, *SHAPE) and 0 < mean.min() and mean.max() < 1
    sample = np.asarray(vae.generate(z, sample=True))
    assert set(np.unique(sample)) <= {0.0, 1.0}
    np.testing.assert_array_equal(np.asarray(vae.generate(z)), mean)  # flag reset
    decode, encode = vae.export_endpoints()
    assert [s.name for s in decode.inputs] == ["latent"] and decode.name == "decode"
    np.testing.assert_allclose(np.asarray(decode.network(z)), mean, atol=1e-6)
    x = _binary(4)
    loc, scale = encode.network(x)
    q = vae.posterior(tf.constant(x))
    np.testing.assert_allclose(loc.numpy(), q.distribution.loc.numpy(), atol=1e-6)
    np.testing.assert_allclose(scale.numpy(), q.distribution.scale.numpy(), atol=1e-6)
    ops_in_graph = {op.type for op in tf.function(decode.network).get_concrete_function(
        tf.TensorSpec((None, 3))).graph.get_operations()}
    assert not {"RandomStandardNormal", "StatelessRandomNormalV2", "RandomUniform"} & ops_in_graph


def test_kl_warmup_ramps_beta():
    model = build_vae(SHAPE, tiny=True, beta=4.0, kl_warmup_steps=10)
    assert float(model.kl_weight()) == pytest.approx(0.4)
    model.fit(_binary(32), epochs=1, batch_size=8, verbose=0)  # 4 steps
    assert float(model.kl_weight()) == pytest.approx(2.0)
    model.fit(_binary(64), epochs=1, batch_size=8, verbose=0)
    assert float(model.kl_weight()) == pytest.approx(4.0)


def test_conditional_vae_uses_labels():
    model = build_cvae(SHAPE, num_classes=3, tiny=True, seed=0)
    x, y = _binary(16), np.arange(16, dtype="int32") % 3
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    z = np.zeros((2, model.latent_dim), "float32")
    a = np.asarray(model.generate(z, labels=np.array([0, 1])))
    assert np.abs(a[0] - a[1]).max() > 1e-4
    with pytest.raises(ValueError, match="labels"):
        model.fit(x, epochs=1, batch_size=8, verbose=0)


def test_iwae_trains_on_the_bound():
    keras.utils.set_random_seed(0)
    model = build_iwae(SHAPE, num_samples=4, latent_dim=2, hidden_units=(16,), seed=0)
    assert isinstance(model, IWAE) and [m.name for m in model.metrics] == ["loss"]
    x = _binary(64)
    hist = model.fit(x, epochs=8, batch_size=16, verbose=0).history["loss"]
    # Pixels are i.i.d. Bernoulli(0.4): the best NLL is 64 * H(0.4) = 43.07 nats.
    assert hist[-1] < hist[0] - 0.5 and hist[-1] > 43.0
    with pytest.raises(ValueError, match="num_samples"):
        IWAE(model.encoder, model.decoder, 2, num_samples=0)


def test_other_likelihoods_train(tmp_path):
    x = np.random.default_rng(0).random((16, *SHAPE)).astype("float32")
    for lik in ("gaussian", "gaussian_learned", "logistic"):
        model = build_vae(SHAPE, tiny=True, likelihood=lik, arch="conv", filters=(4,))
        hist = model.fit(x, epochs=2, batch_size=8, verbose=0).history["loss"]
        assert np.all(np.isfinite(hist)), lik
        assert np.asarray(model.generate(2)).shape == (2, *SHAPE)
    with pytest.raises(ValueError, match="likelihood"):
        build_vae(SHAPE, tiny=True, likelihood="poisson")


def test_latent_tools(vae, tmp_path):
    from PIL import Image

    from kgen import latent as lt

    x = _binary(2, seed=4)
    row = lt.interpolate_inputs(vae, x[0], x[1], steps=5, path=tmp_path / "interp.png")
    z = vae.encode(x).numpy()
    np.testing.assert_allclose(row[[0, -1]], np.asarray(vae.decode_latent(z)), atol=1e-6)
    np.testing.assert_allclose(row[2], np.asarray(vae.decode_latent(z.mean(0, keepdims=True)))[0], atol=1e-6)
    trav = lt.traverse(vae, x[0], dim=[0, 2], values=[-1.0, 0.0, 1.0], path=tmp_path / "trav.png")
    expected = np.repeat(z[:1], 3, 0)
    expected[:, 2] = [-1.0, 0.0, 1.0]
    np.testing.assert_allclose(trav[3:], np.asarray(vae.decode_latent(expected)), atol=1e-6)
    grid = lt.manifold_grid(vae, n=4, path=tmp_path / "grid.png")
    assert grid.shape == (16, *SHAPE)
    for name in ("interp", "trav", "grid"):
        assert Image.open(tmp_path / f"{name}.png").size[0] > 8
    with pytest.raises(ValueError, match="dim"):
        lt.traverse(vae, dim=7)


def test_int8_export_of_resize_conv_decoder(tmp_path):
    from kgen import export

    model = build_vae((16, 16, 1), tiny=True, arch="conv", upsample="resize", seed=0)
    report = export.check_parity(model, tmp_path / "bundle", variants=("float32", "int8"), n=4)
    decode = report["endpoints"]["decode"]["variants"]
    assert decode["float32"]["max_abs_error"] < 1e-4
    assert "int8" in decode
