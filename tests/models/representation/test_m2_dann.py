"""M2's labelled/unlabelled ELBO terms and objective; DANN's gradient signs, schedule and persistent momentum."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import zoo
from kgen.layers import dann_lambda
from kgen.models.representation import AnnealedLearningRate

RNG = np.random.default_rng(0)


def _m2(alpha=0.7):
    return zoo.build("m2_vae", (8, 8, 1), num_classes=3, tiny=True, seed=0, alpha=alpha)


def test_m2_unlabelled_bound_is_the_q_weighted_labelled_bounds_plus_the_entropy():
    model = _m2()
    x = tf.constant((RNG.uniform(0, 1, (5, 8, 8, 1)) > 0.5).astype("float32"))
    eps = tf.constant(RNG.normal(size=(5, model.latent_dim)).astype("float32"))
    per_class = np.stack([model.labelled_bound(x, np.full(5, y, "int32"), eps).numpy() for y in range(3)], 1)
    q = model.classify(x).numpy()
    want = (q * per_class).sum(1) - (q * np.log(q)).sum(1)
    np.testing.assert_allclose(model.unlabelled_bound(x, eps).numpy(), want, rtol=1e-5)


def test_m2_labelled_bound_closed_form():
    model = _m2()
    x = (RNG.uniform(0, 1, (4, 8, 8, 1)) > 0.5).astype("float32")
    y = np.array([0, 1, 2, 1], "int32")
    eps = RNG.normal(size=(4, model.latent_dim)).astype("float32")
    loc, scale = (t.numpy() for t in model.posterior_params(model.z_encoder([x, y])))
    z = loc + scale * eps
    logits = model.decoder([z, y]).numpy()
    log_px = (x * logits - np.logaddexp(0, logits)).reshape(4, -1).sum(1)
    kl = 0.5 * (scale ** 2 + loc ** 2 - 1 - 2 * np.log(scale)).sum(1)
    np.testing.assert_allclose(model.labelled_bound(x, y, eps).numpy(), log_px - math.log(3) - kl, rtol=1e-4)


def test_m2_objective_sums_labelled_and_unlabelled_terms_and_the_alpha_weighted_classifier_loss():
    model = _m2(alpha=0.7)
    x = tf.constant((RNG.uniform(0, 1, (6, 8, 8, 1)) > 0.5).astype("float32"))
    y = np.array([0, -1, 2, -1, -1, 1], "int32")
    eps = tf.constant(RNG.normal(size=(6, model.latent_dim)).astype("float32"))
    terms = model.compute_losses(x, y, training=False, eps=eps)
    lab = model.labelled_bound(x, np.maximum(y, 0), eps).numpy()
    unl = model.unlabelled_bound(x, eps).numpy()
    m = y >= 0
    logq = tf.nn.log_softmax(model.classifier_logits(x)).numpy()
    ce = -logq[np.flatnonzero(m), y[m]].mean()
    want = -(np.where(m, lab, unl)).mean() + 0.7 * ce
    assert float(terms["loss"]) == pytest.approx(want, rel=1e-5)
    assert float(terms["labelled_loss"]) == pytest.approx(-lab[m].mean(), rel=1e-5)
    assert float(terms["unlabelled_loss"]) == pytest.approx(-unl[~m].mean(), rel=1e-5)
    assert float(terms["classification_loss"]) == pytest.approx(ce, rel=1e-5)
    # All unlabelled: no classification term (0, not NaN).
    none = model.compute_losses(x, np.full(6, -1, "int32"), training=False, eps=eps)
    assert float(none["classification_loss"]) == 0.0
    assert float(none["loss"]) == pytest.approx(-unl.mean(), rel=1e-5)


def _dann(total_steps=50):
    model = zoo.build("dann", (2,), num_classes=2, tiny=True, seed=0, total_steps=total_steps)
    return model


def _batch(n=8):
    x = RNG.normal(size=(n, 2)).astype("float32")
    y = np.array([0, 1, -1, -1, 1, 0, -1, 1][:n], "int32")
    return x, y


def test_dann_feature_gradient_is_class_gradient_minus_lambda_domain_gradient():
    model = _dann()
    x, y = _batch()
    lam = 0.37
    feat_vars = model.encoder.trainable_variables
    dom_vars = model.domain_classifier.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        terms = model.compute_losses(x, y, lambda_=lam)
    g_total_f = tape.gradient(terms["loss"], feat_vars)
    g_class_f = tape.gradient(terms["class_loss"], feat_vars)
    g_dom_f = tape.gradient(terms["domain_loss"], feat_vars)  # through the reversal: already -lambda
    g_total_d = tape.gradient(terms["loss"], dom_vars)
    g_dom_d = tape.gradient(terms["domain_loss"], dom_vars)
    # Without reversal, the domain loss's gradient on the features (lambda = -1 gives +1 times it).
    with tf.GradientTape() as tape2:
        plain = model.compute_losses(x, y, lambda_=-1.0)["domain_loss"]
    g_dom_plain = tape2.gradient(plain, feat_vars)
    for total, cls, dom, plain_g in zip(g_total_f, g_class_f, g_dom_f, g_dom_plain):
        np.testing.assert_allclose(dom.numpy(), -lam * plain_g.numpy(), atol=1e-6)
        np.testing.assert_allclose(total.numpy(), cls.numpy() - lam * plain_g.numpy(), atol=1e-6)
    for total, dom in zip(g_total_d, g_dom_d):  # the domain classifier descends its own loss
        np.testing.assert_allclose(total.numpy(), dom.numpy(), atol=1e-6)
    assert any(np.abs(g.numpy()).max() > 0 for g in g_dom_d)


def test_dann_schedule_and_annealed_learning_rate():
    model = _dann(total_steps=10)
    x, y = _batch()
    seen = []
    for step in range(3):
        logs = model.train_on_batch(x, y, return_dict=True)
        seen.append(logs["lambda"])
    np.testing.assert_allclose(seen, [dann_lambda(s / 10) for s in range(3)], rtol=1e-5, atol=1e-7)
    lr = AnnealedLearningRate(0.01, 100, 10.0, 0.75)
    for step in (0, 50, 100, 400):
        p = min(step / 100, 1.0)
        assert float(lr(step)) == pytest.approx(0.01 / (1 + 10 * p) ** 0.75, rel=1e-6)
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(lr))
    assert again.get_config() == lr.get_config()


def test_dann_keeps_the_optimizer_momentum_across_steps():
    model = _dann(total_steps=20)
    x, y = _batch()
    opt = model.optimizer
    variables = model.trainable_variables
    model.train_on_batch(x, y)
    momenta = {id(v): opt.momentums[opt._get_variable_index(v)].numpy().copy() for v in variables}
    weights = [v.numpy().copy() for v in variables]
    # The gradient the second step will take (same weights, lambda of step 1, no randomness in DANN).
    with tf.GradientTape() as tape:
        loss = model.compute_losses(x, y, lambda_=dann_lambda(1 / 20))["loss"]
    grads = tape.gradient(loss, variables)
    lr = float(opt.learning_rate)  # read at iterations = 1, as the update will
    model.train_on_batch(x, y)
    for v, w0, g in zip(variables, weights, grads):
        m1 = momenta[id(v)]
        assert np.abs(m1).max() > 0
        m2 = 0.9 * m1 - lr * g.numpy()
        np.testing.assert_allclose(opt.momentums[opt._get_variable_index(v)].numpy(), m2, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(v.numpy(), w0 + m2, rtol=1e-4, atol=1e-7)
    assert int(opt.iterations) == 2


def test_dann_reconstruct_marks_the_predicted_class():
    model = zoo.build("dann", (16, 16, 1), num_classes=4, tiny=True, seed=0)
    x = RNG.uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    out = model.reconstruct(x).numpy()
    pred = model.classify(x).numpy().argmax(-1)
    np.testing.assert_array_equal(out[:, :-1], x[:, :-1])
    for n in range(3):
        bright = np.flatnonzero(out[n, -1, :, 0] > 0)
        np.testing.assert_array_equal(bright, np.arange(16)[np.arange(16) * 4 // 16 == pred[n]])


def test_m1_m2_models_the_frozen_m1_means_and_round_trips(tmp_path):
    """M1 + M2: M2's inputs are M1's posterior means, M1 stays fixed under fit, save/reload keeps q(y|x)."""
    vae = zoo.build("vae", (8, 8, 1), tiny=True, seed=0, latent_dim=3)
    x = (RNG.uniform(0, 1, (12, 8, 8, 1)) > 0.5).astype("float32")
    vae.fit(x, epochs=1, batch_size=6, verbose=0)
    model = zoo.build("m2_vae", (8, 8, 1), num_classes=3, tiny=True, seed=0, alpha=0.7, m1=vae)
    assert model.m2_shape == (1, 1, 3) and model.image_shape == (8, 8, 1) and model.likelihood == "gaussian"
    means = vae.encode(x).numpy()
    np.testing.assert_allclose(model.m2_inputs(x).numpy().reshape(12, 3), means, atol=1e-6)
    # The objective of images is M2's objective of the M1 means (same noise).
    y = np.array([0, 1, -1, -1, 2, -1] * 2, "int32")
    eps = tf.constant(RNG.normal(size=(12, model.latent_dim)).astype("float32"))
    h = tf.constant(means.reshape(12, 1, 1, 3))
    lab = model.labelled_bound(h, np.maximum(y, 0), eps).numpy()
    unl = model.unlabelled_bound(h, eps).numpy()
    logq = tf.nn.log_softmax(model.classifier_logits(h)).numpy()
    m = y >= 0
    want = -(np.where(m, lab, unl)).mean() - 0.7 * logq[np.flatnonzero(m), y[m]].mean()
    assert float(model.compute_losses(x, y, training=False, eps=eps)["loss"]) == pytest.approx(want, rel=1e-5)
    # M1 is frozen (and a copy: the caller's VAE stays trainable); M2's own weights move.
    m1_before = [w.numpy().copy() for w in model.m1_encoder.weights]
    m2_before = [w.numpy().copy() for w in model.classifier_head.weights]
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(6), epochs=1, verbose=0)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(m1_before, model.m1_encoder.weights))
    assert not all(np.array_equal(a, w.numpy()) for a, w in zip(m2_before, model.classifier_head.weights))
    assert vae.encoder.trainable
    assert model.reconstruct(x[:2]).shape == (2, 8, 8, 1)
    model.save(tmp_path / "m1m2.keras")
    back = keras.saving.load_model(tmp_path / "m1m2.keras")
    np.testing.assert_allclose(back.classify(x).numpy(), model.classify(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(back.m2_inputs(x).numpy(), model.m2_inputs(x).numpy(), atol=1e-6)


def test_dann_ganin_extractor_is_the_papers_mnist_network():
    model = zoo.build("dann", (16, 16, 3), num_classes=10, seed=0, total_steps=10, extractor="ganin")
    convs = [l for l in model.encoder.layers if isinstance(l, keras.layers.Conv2D)]
    pools = [l for l in model.encoder.layers if isinstance(l, keras.layers.MaxPooling2D)]
    assert [(c.filters, c.kernel_size) for c in convs] == [(32, (5, 5)), (48, (5, 5))]
    assert len(pools) == 2 and not any(isinstance(l, keras.layers.Dense) for l in model.encoder.layers)
    assert model.encoder.output_shape == (None, 4 * 4 * 48)  # flattened maps: both classifiers read them
    dense = lambda net: [l.units for l in net.layers if isinstance(l, keras.layers.Dense)]
    assert dense(model.label_classifier) == [100, 100, 10] and dense(model.domain_classifier) == [100, 1]
    x, y = RNG.normal(size=(4, 16, 16, 3)).astype("float32"), np.array([0, 1, -1, -1], "int32")
    assert np.isfinite(model.train_on_batch(x, y, return_dict=True)["loss"])
    with pytest.raises(ValueError, match="extractor='lenet'"):
        zoo.build("dann", (16, 16, 3), num_classes=10, extractor="lenet")
