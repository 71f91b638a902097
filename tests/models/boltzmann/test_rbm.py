"""RBM exactness: free energy and log Z by enumeration, CD's long-chain gradient, AIS, sklearn, chains."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.models.boltzmann import RBM, ais_log_partition, enumerate_states, reverse_ais_log_partition
from kgen.models.boltzmann.ais import base_rate_bias


def _random_rbm(d, h, visible="bernoulli", scale=1.0, seed=0, **kw):
    rng = np.random.default_rng(seed)
    rbm = RBM((d,), h, visible=visible, seed=seed, **kw)
    rbm.W.assign(rng.normal(0, scale, (d, h)).astype("float32"))
    rbm.visible_bias.assign(rng.normal(0, 1, d).astype("float32"))
    rbm.hidden_bias.assign(rng.normal(0, 1, h).astype("float32"))
    if visible == "gaussian":
        rbm.log_sigma.assign(rng.uniform(-0.5, 0.3, d).astype("float32"))
    return rbm


def _np(rbm):
    return (rbm.W.numpy().astype(np.float64), rbm.visible_bias.numpy().astype(np.float64),
            rbm.hidden_bias.numpy().astype(np.float64))


def test_free_energy_is_minus_log_sum_over_hidden_states_of_exp_minus_energy():
    for visible in ("bernoulli", "gaussian"):
        rbm = _random_rbm(5, 4, visible)
        v = (np.random.default_rng(1).uniform(size=(7, 5)) > 0.5).astype("float32")
        if visible == "gaussian":
            v = np.random.default_rng(1).normal(size=(7, 5)).astype("float32")
        hs = enumerate_states(4)
        energies = np.stack([rbm.energy(v, np.repeat(hs[i:i + 1], 7, 0)).numpy() for i in range(len(hs))], 1)
        brute = -np.logaddexp.reduce(-energies.astype(np.float64), axis=1)
        np.testing.assert_allclose(rbm.free_energy(v).numpy(), brute, rtol=1e-5, atol=1e-4)


def test_exact_log_partition_matches_the_brute_force_joint_sum():
    rbm = _random_rbm(6, 5)
    W, b, c = _np(rbm)
    vs, hs = enumerate_states(6).astype(np.float64), enumerate_states(5).astype(np.float64)
    neg_e = vs @ b[:, None] + (hs @ c)[None, :] + vs @ W @ hs.T
    brute = float(np.logaddexp.reduce(neg_e.ravel()))
    assert rbm.exact_log_partition() == pytest.approx(brute, abs=1e-4)
    # Enumerating the other (visible) side when it is smaller gives the same value.
    wide = _random_rbm(4, 9)
    W, b, c = _np(wide)
    vs, hs = enumerate_states(4).astype(np.float64), enumerate_states(9).astype(np.float64)
    brute = float(np.logaddexp.reduce((vs @ b[:, None] + (hs @ c)[None, :] + vs @ W @ hs.T).ravel()))
    assert wide.exact_log_partition() == pytest.approx(brute, abs=1e-4)


def test_gaussian_log_partition_integrates_the_density_to_one():
    rbm = _random_rbm(2, 3, "gaussian", scale=0.8)
    grid = np.linspace(-12, 12, 1201)
    xx, yy = np.meshgrid(grid, grid, indexing="ij")
    pts = np.stack([xx.ravel(), yy.ravel()], 1).astype("float32")
    log_p = -rbm.free_energy(pts).numpy().astype(np.float64) - rbm.exact_log_partition()
    mass = np.exp(log_p).sum() * (grid[1] - grid[0]) ** 2
    assert mass == pytest.approx(1.0, abs=1e-3)


def _exact_gradient(rbm, x):
    """d/dtheta of mean log p(x) = mean(-F(x)) - log Z, with log Z enumerated over h (differentiable)."""
    hs = tf.constant(enumerate_states(rbm.num_hidden))
    with tf.GradientTape() as tape:
        a = tf.matmul(hs, rbm.W, transpose_b=True)
        log_z = tf.reduce_logsumexp(tf.linalg.matvec(hs, rbm.hidden_bias)
                                    + tf.reduce_sum(tf.nn.softplus(a + rbm.visible_bias), -1))
        ll = tf.reduce_mean(-rbm.free_energy(x)) - log_z
    grads = tape.gradient(ll, rbm.trainable_variables)
    return {v.path.split("/")[-1]: g.numpy() for v, g in zip(rbm.trainable_variables, grads)}


def test_long_chain_cd_gradient_equals_the_exact_log_likelihood_gradient():
    keras.utils.set_random_seed(0)
    rbm = _random_rbm(6, 4, scale=0.7, k=100, seed=3)
    data = (np.random.default_rng(2).uniform(size=(20, 6)) > 0.4).astype("float32")
    exact = _exact_gradient(rbm, data)
    # CD-100 from 200 copies of each example: the chains forget the data, so the negative
    # phase is the model expectation; the positive phase is exact (hidden probabilities).
    cd = rbm.cd_gradients(np.repeat(data, 200, 0))
    for name in ("W", "visible_bias", "hidden_bias"):
        np.testing.assert_allclose(cd[name], exact[name], atol=0.03, err_msg=name)
    # ... whereas CD-1 is biased on this model by more than that tolerance.
    short = _random_rbm(6, 4, scale=0.7, k=1, seed=3)
    bias = max(np.abs(short.cd_gradients(np.repeat(data, 200, 0))[n] - exact[n]).max() for n in exact)
    assert bias > 0.05


def test_weight_decay_adds_its_term_to_the_gradient():
    x = (np.random.default_rng(0).uniform(size=(16, 6)) > 0.5).astype("float32")
    plain = _random_rbm(6, 4, seed=5)
    decayed = _random_rbm(6, 4, seed=5, weight_decay=0.1)
    g0, g1 = plain.cd_gradients(x), decayed.cd_gradients(x)  # same seeds, hence the same noise
    np.testing.assert_allclose(g1["W"], g0["W"] - 0.1 * plain.W.numpy(), atol=1e-6)
    np.testing.assert_allclose(g1["hidden_bias"], g0["hidden_bias"], atol=1e-6)


def test_sparsity_target_pulls_the_mean_hidden_activation_to_it():
    x = (np.random.default_rng(0).uniform(size=(64, 16)) > 0.5).astype("float32")
    rbm = RBM((16,), 8, sparsity_target=0.05, sparsity_cost=1.0, seed=0)
    rbm.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5))
    rbm.fit(x, batch_size=16, epochs=30, verbose=0)
    q = rbm.encode(x).numpy().mean(0)
    assert np.all(q < 0.15), q


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_ais_is_within_a_tenth_of_a_nat_of_the_exact_log_partition_and_reverse_ais_brackets_it(visible):
    rbm = _random_rbm(12, 8, visible, scale=0.6, seed=4)
    exact = rbm.exact_log_partition()
    data = (np.random.default_rng(0).uniform(size=(50, 12)) > 0.5).astype("float32")
    base = base_rate_bias(data) if visible == "bernoulli" else None
    fwd = ais_log_partition(rbm, 1000, 200, base_visible_bias=base, batch_size=256, seed=0, return_samples=True)
    assert abs(fwd["log_z"] - exact) < 0.1, (fwd["log_z"], exact)
    assert 0 < fwd["std_err"] < 0.1 and len(fwd["log_w"]) == 200
    assert fwd["log_z_minus_3se"] < fwd["log_z"] < fwd["log_z_plus_3se"]
    # Reverse AIS from near-exact model samples (forward AIS's final states).
    rev = reverse_ais_log_partition(rbm, fwd["samples"], 1000, base_visible_bias=base, batch_size=256)
    assert abs(rev["log_z"] - exact) < 0.1 and 0 < rev["std_err"] < 0.1, (rev["log_z"], exact)
    # The bounds: mean log w of forward AIS lies below log Z, reverse AIS's above it (Jensen),
    # far apart with few temperatures, close with many.
    for k, width in ((5, None), (1000, 0.2)):
        lo = ais_log_partition(rbm, k, 200, base_visible_bias=base, seed=1)["log_z_bound"]
        hi = reverse_ais_log_partition(rbm, fwd["samples"], k, base_visible_bias=base)["log_z_bound"]
        assert lo < exact < hi, (k, lo, exact, hi)
        if width:
            assert hi - lo < width, (lo, hi)


def test_ais_on_a_model_too_big_to_enumerate_runs_in_bounded_batches():
    rbm = _random_rbm(30, 40, scale=0.1, seed=2)
    with pytest.raises(ValueError, match="ais_log_partition"):
        rbm.exact_log_partition()
    est = ais_log_partition(rbm, 200, 30, batch_size=8)
    assert len(est["log_w"]) == 30 and math.isfinite(est["log_z"])


def test_pseudo_likelihood_estimate_is_sklearns_scaling_of_the_exact_sum():
    rbm = _random_rbm(8, 5, seed=1)
    x = (np.random.default_rng(3).uniform(size=(4, 8)) > 0.5).astype("float32")
    exact = rbm.pseudo_log_likelihood(x)
    # Averaging the one-flip estimate D * log p(x_i | x_-i) over i gives the exact sum.
    flips = rbm.pseudo_log_likelihood(np.repeat(x, 5000, 0), exact=False, seed=0).reshape(4, 5000).mean(1)
    np.testing.assert_allclose(flips, exact, rtol=0.03)


def _binary_digits(n=400):
    from sklearn.datasets import load_digits

    x = load_digits().data[:n] / 16.0
    return (x > 0.5).astype("float32")


def test_pcd_matches_sklearn_bernoulli_rbm_pseudo_likelihood_curve():
    """Same init (sklearn's N(0, 0.01) draw), same batches in order, PCD-1 with batch_size chains, SGD lr 0.05.

    The noise differs (two RNGs), so the curves match to a tolerance: the exact
    pseudo-likelihood (summed over 64 units) per epoch within 0.25 nats (measured: 0.08).
    """
    from sklearn.neural_network import BernoulliRBM

    x = _binary_digits()
    h, batch, lr, epochs, seed = 16, 20, 0.05, 8, 0
    sk = BernoulliRBM(n_components=h, learning_rate=lr, batch_size=batch, random_state=seed)
    init = np.random.RandomState(seed).normal(0, 0.01, (h, x.shape[1]))
    ours = RBM((64,), h, k=1, persistent=True, num_chains=batch, seed=seed)
    ours.W.assign(init.T.astype("float32"))
    ours.compile(optimizer=keras.optimizers.SGD(lr))
    mirror = RBM((64,), h)
    sk_curve, our_curve = [], []
    for _ in range(epochs):
        for i in range(0, len(x), batch):
            sk.partial_fit(x[i:i + batch])
        ours.fit(x, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        mirror.W.assign(sk.components_.T.astype("float32"))
        mirror.visible_bias.assign(sk.intercept_visible_.astype("float32"))
        mirror.hidden_bias.assign(sk.intercept_hidden_.astype("float32"))
        sk_curve.append(mirror.pseudo_log_likelihood(x).mean())
        our_curve.append(ours.pseudo_log_likelihood(x).mean())
    sk_curve, our_curve = np.array(sk_curve), np.array(our_curve)
    print("sklearn", np.round(sk_curve, 2), "kgen", np.round(our_curve, 2))
    assert sk_curve[-1] > sk_curve[0] + 2, sk_curve  # both learn ...
    np.testing.assert_allclose(our_curve, sk_curve, atol=0.25)  # ... along the same curve


def test_persistent_chains_checkpoint_and_resume(tmp_path):
    x = _binary_digits(64)
    rbm = RBM((8, 8, 1), 12, persistent=True, num_chains=16, k=2, seed=3)
    rbm.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
    rbm.fit(x.reshape(-1, 8, 8, 1), batch_size=16, epochs=2, shuffle=False, verbose=0)
    chains = rbm.persistent_chains.numpy()
    assert chains.shape == (16, 12) and chains.sum() > 0 and set(np.unique(chains)) <= {0.0, 1.0}
    rbm.save(tmp_path / "rbm.keras")
    loaded = keras.saving.load_model(tmp_path / "rbm.keras")
    np.testing.assert_array_equal(loaded.persistent_chains.numpy(), chains)
    # Resumed, the run continues exactly: same chains and optimizer momentum. (The base model's
    # SeedGenerator state is not among the saved weights: copied here so the noise matches.)
    loaded.seed_generator.state.assign(rbm.seed_generator.state)
    for m in (rbm, loaded):
        m.fit(x.reshape(-1, 8, 8, 1), batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(rbm.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6, err_msg=a.path)
    assert not np.array_equal(loaded.persistent_chains.numpy(), chains)


def test_gibbs_step_endpoint_looped_equals_the_generate_chain():
    from kgen.export.savedmodel import call_endpoint

    rbm = _random_rbm(10, 6, sample_steps=3, seed=2)
    rng = np.random.default_rng(0)
    inputs = rbm.prior.numpy_sample(5, rng)
    eps = {e.name: e for e in rbm.export_endpoints()}
    want = call_endpoint(eps["generate"], rbm, [inputs[s.name] for s in eps["generate"].inputs])
    v = inputs["visible"]
    for t in range(3):
        out = call_endpoint(eps["gibbs_step"], rbm, [v, inputs["hidden_noise"][:, t], inputs["visible_noise"][:, t]])
        v = out["visible"].numpy()
    np.testing.assert_array_equal(v, want["visible"].numpy())
    np.testing.assert_allclose(out["images"].numpy(), want["images"].numpy(), atol=1e-6)
    np.testing.assert_allclose(np.asarray(rbm.generate(inputs)), want["images"].numpy(), atol=1e-6)
    feats = call_endpoint(eps["features"], rbm, [inputs["visible"]])["features"].numpy()
    np.testing.assert_allclose(feats, rbm.encode(inputs["visible"]).numpy(), atol=1e-6)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_chain_snapshots_are_one_continued_chain_through_the_exported_conditionals(visible):
    rbm = RBM((3, 3, 1), 5, visible=visible, seed=0)
    rng = np.random.default_rng(1)
    rbm.W.assign(rng.normal(0, 1.0, (9, 5)).astype("float32"))
    means, samples = rbm.chain_states(4, (1, 3), seed=7)
    assert means.shape == samples.shape == (4, 2, 9)
    # The same noise, drawn in the same order, fed to run_chain (the `generate` endpoint's loop).
    rng = np.random.default_rng(7)
    start = rbm.prior["visible"].numpy_sample(4, rng)
    hid, vis = [], []
    for _ in range(3):
        hid.append(rng.uniform(size=(4, 5)))
        vis.append(rng.uniform(size=(4, 9)) if visible == "bernoulli" else rng.standard_normal((4, 9)))
    hid, vis = np.stack(hid, 1).astype("float32"), np.stack(vis, 1).astype("float32")
    for col, k in enumerate((1, 3)):
        mean, sample = rbm.run_chain(start, hid[:, :k], vis[:, :k])
        np.testing.assert_allclose(means[:, col], np.reshape(mean, (4, 9)), atol=1e-6)
        np.testing.assert_allclose(samples[:, col], np.reshape(sample, (4, 9)), atol=1e-6)
    grid = rbm.chain_snapshots(4, (1, 3), seed=7)
    assert grid.shape == (4, 2, 3, 3, 1)
    np.testing.assert_allclose(grid.reshape(4, 2, 9), means)
    with pytest.raises(ValueError, match="increasing steps"):
        rbm.chain_states(2, (3, 3))


def test_filter_images_are_each_hidden_units_weights_scaled_to_their_own_range():
    rbm = RBM((2, 3, 1), 4, seed=0)
    w = np.random.default_rng(0).normal(0, 1, (6, 4)).astype("float32")
    rbm.W.assign(w)
    images = rbm.filter_images(3)
    assert images.shape == (3, 2, 3, 1)
    flat = images.reshape(3, 6)
    np.testing.assert_allclose(flat.min(1), 0.0, atol=1e-6)
    np.testing.assert_allclose(flat.max(1), 1.0, atol=1e-6)
    # An increasing affine map of each unit's weights.
    for j in range(3):
        np.testing.assert_allclose(flat[j], (w[:, j] - w[:, j].min()) / np.ptp(w[:, j]), atol=1e-6)


def test_report_log_likelihood_is_exact_for_small_models_and_ais_otherwise():
    rbm = _random_rbm(10, 6, seed=3)
    x = (np.random.default_rng(0).uniform(size=(20, 10)) > 0.5).astype("float32")
    exact = rbm.log_likelihood(x, rbm.exact_log_partition())
    assert rbm.report_log_likelihood(x) == {"log_likelihood_exact": pytest.approx(exact, abs=1e-5)}
    # Forced through AIS (no enumeration allowed): close to the exact figure.
    est = rbm.report_log_likelihood(x, num_temperatures=300, max_states=1)
    assert set(est) == {"log_likelihood_ais", "log_likelihood_ais_std_err"}
    assert est["log_likelihood_ais"] == pytest.approx(exact, abs=0.2)


def test_linear_learning_rate_decay_reaches_zero_after_decay_steps_and_the_weights_stop():
    from kgen import zoo

    x = (np.random.default_rng(0).uniform(size=(32, 3, 3, 1)) > 0.5).astype("float32")
    rbm = zoo.build("rbm", (3, 3, 1), tiny=True, seed=0, momentum=0.0, learning_rate=0.1,
                    learning_rate_decay="linear", decay_steps=4)
    rbm.fit(x, batch_size=16, epochs=1, verbose=0)  # 2 updates: half way
    assert float(rbm.optimizer.learning_rate) == pytest.approx(0.05)
    rbm.fit(x, batch_size=16, epochs=1, verbose=0)
    assert float(rbm.optimizer.learning_rate) == pytest.approx(0.0)
    before = rbm.W.numpy().copy()
    rbm.fit(x, batch_size=16, epochs=1, verbose=0)
    np.testing.assert_array_equal(rbm.W.numpy(), before)
    with pytest.raises(ValueError, match="decay_steps"):
        zoo.build("rbm", (3, 3, 1), tiny=True, learning_rate_decay="linear")
