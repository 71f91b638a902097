"""DBN: Hinton's tied-weights identity, the lower bound by enumeration, greedy pretraining, unrolling, sampling."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.models.boltzmann import DBN, RBM, enumerate_states


def _rbm(d, h, seed, scale=0.8):
    rng = np.random.default_rng(seed)
    rbm = RBM((d,), h, seed=seed)
    rbm.W.assign(rng.normal(0, scale, (d, h)).astype("float32"))
    rbm.visible_bias.assign(rng.normal(0, 0.5, d).astype("float32"))
    rbm.hidden_bias.assign(rng.normal(0, 0.5, h).astype("float32"))
    return rbm


def _exact_dbn_log_p(dbn, x):
    """log p(x) of a 2-layer DBN by enumerating h_1: log sum_h1 p(x | h1) exp(-F_top(h1)) / Z_top."""
    bottom, top = dbn.rbms
    hs = enumerate_states(bottom.num_hidden)
    mean = bottom.visible_mean(hs).numpy().astype(np.float64)
    log_px_h = x @ np.log(mean).T + (1 - x) @ np.log1p(-mean).T  # (N, 2^H1)
    log_prior = -top.free_energy(hs).numpy().astype(np.float64) - top.exact_log_partition()
    return np.logaddexp.reduce(log_px_h + log_prior[None, :], axis=1)


def _exact_bound(dbn, x):
    bottom, top = dbn.rbms
    hs = enumerate_states(bottom.num_hidden).astype(np.float64)
    q = bottom.hidden_probabilities(x).numpy().astype(np.float64)
    log_q = hs @ np.log(q).T + (1 - hs) @ np.log1p(-q).T  # (2^H1, N)
    mean = bottom.visible_mean(hs.astype("float32")).numpy().astype(np.float64)
    log_px_h = (np.log(mean) @ x.T + np.log1p(-mean) @ (1 - x).T)
    log_prior = (-top.free_energy(hs.astype("float32")).numpy() - top.exact_log_partition())[:, None]
    return (np.exp(log_q) * (log_px_h + log_prior - log_q)).sum(0)


def test_top_rbm_tied_to_the_transpose_gives_the_first_rbms_likelihood():
    """Hinton et al. 2006: with W_2 = W_1^T (biases swapped) the 2-layer DBN is the first RBM."""
    bottom = _rbm(6, 5, 0)
    top = RBM((5,), 6, seed=1)
    top.W.assign(bottom.W.numpy().T)
    top.visible_bias.assign(bottom.hidden_bias.numpy())
    top.hidden_bias.assign(bottom.visible_bias.numpy())
    dbn = DBN([bottom, top])
    x = enumerate_states(6).astype(np.float64)
    rbm_log_p = -bottom.free_energy(x.astype("float32")).numpy() - bottom.exact_log_partition()
    np.testing.assert_allclose(_exact_dbn_log_p(dbn, x), rbm_log_p, atol=1e-4)
    # The recognition q(h1 | x) is then the exact posterior (a complementary prior): the bound is tight.
    np.testing.assert_allclose(_exact_bound(dbn, x), rbm_log_p, atol=1e-4)


def test_lower_bound_monte_carlo_matches_enumeration_and_stays_below_log_p():
    dbn = DBN([_rbm(8, 5, 2), _rbm(5, 4, 3)])
    x = (np.random.default_rng(0).uniform(size=(6, 8)) > 0.5).astype(np.float64)
    exact = _exact_bound(dbn, x)
    mc = dbn.log_likelihood_lower_bound(x, dbn.rbms[-1].exact_log_partition(), num_samples=4000, seed=0)
    np.testing.assert_allclose(mc, exact, atol=0.15)
    log_p = _exact_dbn_log_p(dbn, x)
    assert np.all(exact <= log_p + 1e-5) and np.all(exact < log_p - 1e-3)  # untied: a strict gap (the KL)
    # One layer: the bound is the RBM's exact log-likelihood.
    one = DBN([dbn.rbms[0]])
    np.testing.assert_allclose(one.log_likelihood_lower_bound(x, dbn.rbms[0].exact_log_partition()),
                               -dbn.rbms[0].free_energy(x.astype("float32")).numpy()
                               - dbn.rbms[0].exact_log_partition(), atol=1e-5)


def _digits():
    from sklearn.datasets import load_digits

    return (load_digits().data[:256] / 16.0 > 0.5).astype("float32").reshape(-1, 8, 8, 1)


def test_greedy_pretraining_trains_one_layer_at_a_time_on_the_features_below():
    x = _digits()
    dbn = DBN([RBM((8, 8, 1), 16, seed=0), RBM((16,), 8, seed=1)], seed=2)
    dbn.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5))
    w0 = [r.W.numpy().copy() for r in dbn.rbms]
    dbn.train_layer = 1
    dbn.fit(x, batch_size=32, epochs=1, verbose=0)
    assert np.array_equal(dbn.rbms[0].W.numpy(), w0[0]) and not np.array_equal(dbn.rbms[1].W.numpy(), w0[1])
    dbn.train_layer = None
    dbn.make_train_function(force=True)
    histories = dbn.pretrain(x, epochs=[3, 2], batch_size=32, verbose=0)
    assert [len(h.history["loss"]) for h in histories] == [3, 2]
    assert histories[0].history["reconstruction_error"][-1] < histories[0].history["reconstruction_error"][0]
    assert dbn.train_layer is None
    # Pretraining the layer 1 trains the RBM on layer 0's features: a layer-0 free energy
    # on the data is reported in both phases, and the first RBM models the digits.
    feats = dbn.up_pass(x)
    assert [f.shape[-1] for f in feats] == [64, 16, 8]


def test_unrolled_autoencoder_and_classifier_compute_the_mean_field_passes():
    x = _digits()[:10]
    dbn = DBN([_rbm(64, 10, 0).__class__((8, 8, 1), 10, seed=0), _rbm(10, 6, 1)])
    dbn.rbms[0].W.assign(np.random.default_rng(0).normal(0, 0.5, (64, 10)).astype("float32"))
    ae = dbn.to_autoencoder()
    np.testing.assert_allclose(ae.encode(x).numpy(), dbn.encode(x).numpy(), atol=1e-5)
    h1 = dbn.rbms[1].visible_mean(dbn.encode(x))
    down = dbn.rbms[0].visible_mean(h1).numpy().reshape(x.shape)
    np.testing.assert_allclose(ae.reconstruct(x).numpy(), down, atol=1e-5)
    clf = dbn.to_classifier(3)
    assert clf.output_shape == (None, 3)
    feats = keras.Model(clf.inputs, clf.get_layer("dbn_features_1").output)(x)
    np.testing.assert_allclose(feats.numpy(), dbn.encode(x).numpy(), atol=1e-5)
    # Fine-tuning moves the unrolled weights, not the DBN's.
    ae.compile(optimizer="adam")
    before = dbn.rbms[0].W.numpy().copy()
    ae.fit(x, epochs=1, verbose=0)
    assert np.array_equal(before, dbn.rbms[0].W.numpy())


def test_generate_is_a_top_rbm_chain_followed_by_a_sampled_down_pass():
    dbn = DBN([_rbm(6, 5, 0), _rbm(5, 4, 1), _rbm(4, 3, 2)], sample_steps=3)
    inputs = dbn.prior.numpy_sample(7, np.random.default_rng(0))
    assert inputs["down_noise"].shape == (7, 5)  # the one intermediate layer h_1
    top, mid, bottom = dbn.rbms[2], dbn.rbms[1], dbn.rbms[0]
    _, h2 = top.run_chain(inputs["visible"], inputs["hidden_noise"], inputs["visible_noise"])
    h1 = (inputs["down_noise"] < mid.visible_mean(h2).numpy()).astype("float32")
    np.testing.assert_allclose(np.asarray(dbn.generate(inputs)), bottom.visible_mean(h1).numpy(), atol=1e-6)


def test_chain_snapshots_are_top_rbm_chains_each_taken_down_to_the_data():
    dbn = DBN([_rbm(6, 5, 0), _rbm(5, 4, 1), _rbm(4, 3, 2)])
    grid = dbn.chain_snapshots(3, (2, 5), seed=4)
    assert grid.shape == (3, 2, 6)
    _, states = dbn.rbms[2].chain_states(3, (2, 5), seed=4)  # the top RBM's visible samples h_2
    noise = np.random.default_rng(5).uniform(size=(3, 5)).astype("float32")
    for col in range(2):
        h1 = (noise < dbn.rbms[1].visible_mean(states[:, col]).numpy()).astype("float32")
        np.testing.assert_allclose(grid[:, col], dbn.rbms[0].visible_mean(h1).numpy(), atol=1e-6)
    np.testing.assert_array_equal(dbn.filter_images(2), dbn.rbms[0].filter_images(2))
