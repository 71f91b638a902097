"""Gumbel-softmax VAE and VQ-VAE."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.models.vae.gumbel import GroupSoftmax, build_gumbel_vae, gumbel_softmax_sample
from kgen.models.vae.vqvae import VectorQuantizer, build_vqvae

tfd = tfp.distributions
SHAPE = (8, 8, 1)


def test_gumbel_sample_matches_tfp_relaxed_one_hot():
    logits = tf.constant([[2.0, 0.0, -1.0]] * 40000)
    u = tf.random.stateless_uniform((40000, 3), seed=(1, 2))
    ours = gumbel_softmax_sample(logits, u, 0.5).numpy()
    theirs = tfd.RelaxedOneHotCategorical(0.5, logits=logits).sample(seed=(3, 4)).numpy()
    np.testing.assert_allclose(ours.mean(0), theirs.mean(0), atol=0.01)
    np.testing.assert_allclose(np.sort(ours[:, 0])[::4000], np.sort(theirs[:, 0])[::4000], atol=0.02)
    # Gumbel-max: the argmax is distributed as softmax(logits) at any temperature.
    freq = np.bincount(ours.argmax(1), minlength=3) / len(ours)
    np.testing.assert_allclose(freq, tf.nn.softmax(logits[0]).numpy(), atol=0.01)
    assert np.isfinite(tfd.RelaxedOneHotCategorical(0.5, logits=logits[:5]).log_prob(ours[:5])).all()


def test_gumbel_vae_kl_temperature_and_prior():
    model = build_gumbel_vae(SHAPE, tiny=True, temperature=1.0, min_temperature=0.5, anneal_rate=0.1)
    uniform = tf.zeros((4, model.num_variables, model.num_categories))
    np.testing.assert_allclose(model.kl_divergence(uniform).numpy(), 0.0, atol=1e-6)
    peaked = tf.constant([[[50.0, 0.0, 0.0]] * model.num_variables])
    np.testing.assert_allclose(model.kl_divergence(peaked).numpy(), model.num_variables * np.log(3), rtol=1e-4)
    assert float(model.current_temperature()) == pytest.approx(1.0)
    x = (np.random.default_rng(0).random((32, *SHAPE)) > 0.5).astype("float32")
    hist = model.fit(x, epochs=1, batch_size=8, verbose=0).history
    assert float(model.current_temperature()) == pytest.approx(max(0.5, np.exp(-0.4)), rel=1e-5)
    assert hist["temperature"][0] < 1.0
    z = model.sample_latent(5).numpy().reshape(5, model.num_variables, model.num_categories)
    np.testing.assert_array_equal(z.sum(-1), 1.0)
    assert set(np.unique(z)) == {0.0, 1.0}
    probs = GroupSoftmax(3)(tf.constant([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])).numpy()
    np.testing.assert_allclose(probs, 1 / 3, rtol=1e-6)


def test_straight_through_gradient_equals_upstream_gradient():
    vq = VectorQuantizer(5, 2)
    z_e = tf.constant(np.random.default_rng(0).normal(size=(3, 4, 4, 2)).astype("float32"))
    upstream = tf.constant(np.random.default_rng(1).normal(size=(3, 4, 4, 2)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(z_e)
        z_q, _ = vq.nearest(z_e)
        out = vq.straight_through(z_e, z_q)
        loss = tf.reduce_sum(out * upstream)
    np.testing.assert_allclose(out.numpy(), z_q.numpy(), atol=1e-6)  # forward: z_q (up to rounding)
    np.testing.assert_allclose(tape.gradient(loss, z_e).numpy(), upstream.numpy(), rtol=0, atol=0)


def test_nearest_codebook_entry_matches_brute_force():
    vq = VectorQuantizer(7, 3)
    z = np.random.default_rng(2).normal(size=(2, 3, 3, 3)).astype("float32")
    z_q, idx = vq.nearest(tf.constant(z))
    book = vq.codebook.numpy()
    d = ((z[..., None, :] - book) ** 2).sum(-1)
    np.testing.assert_array_equal(idx.numpy(), d.argmin(-1))
    np.testing.assert_allclose(z_q.numpy(), book[d.argmin(-1)])


def test_vqvae_losses_and_training():
    keras.utils.set_random_seed(0)
    model = build_vqvae(SHAPE, tiny=True, commitment_cost=0.25)
    x = np.random.default_rng(0).random((32, *SHAPE)).astype("float32")
    extra = model.compute_losses(tf.constant(x), training=False)
    z_e, idx = extra["encoder_outputs"], extra["code_indices"]
    z_q = model.quantizer.lookup(idx)
    mse = float(tf.reduce_mean(tf.square(z_e - z_q)))
    # Codebook and commitment terms have the same value (1 + beta) * ||z_e - e||^2.
    assert float(extra["vq_loss"]) == pytest.approx(1.25 * mse, rel=1e-5)
    codebook_before = model.quantizer.codebook.numpy().copy()
    hist = model.fit(x, epochs=4, batch_size=8, verbose=0).history
    assert hist["loss"][-1] < hist["loss"][0]
    assert np.abs(model.quantizer.codebook.numpy() - codebook_before).max() > 0
    np.testing.assert_allclose(model.decode_indices(model.encode_indices(x[:2])).numpy(),
                               model.reconstruct(x[:2]).numpy(), atol=1e-6)


def test_vqvae_ema_codebook_update():
    vq = VectorQuantizer(2, 1, ema=True, decay=0.5, epsilon=0.0)
    assert not vq.codebook.trainable
    z = tf.constant([[1.0], [1.0], [3.0]])
    idx = tf.constant([0, 0, 1])
    vq.ema_update(z, idx)
    # After one step from zero state: cluster sizes 0.5*[2, 1], sums 0.5*[2, 3] -> means [1, 3].
    np.testing.assert_allclose(vq.cluster_size.numpy(), [1.0, 0.5])
    np.testing.assert_allclose(vq.codebook.numpy(), [[1.0], [3.0]], rtol=1e-5)
    vq.ema_update(tf.constant([[2.0]]), tf.constant([0]))
    # sizes [0.5*1 + 0.5*1, 0.25], sums [0.5*1 + 0.5*2, 0.75] -> codebook [1.5, 3]
    np.testing.assert_allclose(vq.codebook.numpy(), [[1.5], [3.0]], rtol=1e-5)


def test_vqvae_with_ema_drops_the_codebook_loss_and_updates_by_averages():
    keras.utils.set_random_seed(0)
    model = build_vqvae(SHAPE, tiny=True, ema=True, commitment_cost=0.25)
    assert all(v is not model.quantizer.codebook for v in model.trainable_variables)
    x = np.random.default_rng(0).random((32, *SHAPE)).astype("float32")
    extra = model.compute_losses(tf.constant(x), training=False)
    z_e, idx = extra["encoder_outputs"], extra["code_indices"]
    mse = float(tf.reduce_mean(tf.square(z_e - model.quantizer.lookup(idx))))
    assert float(extra["vq_loss"]) == pytest.approx(0.25 * mse, rel=1e-5)  # commitment only
    before = model.quantizer.codebook.numpy().copy()
    model.fit(x, epochs=1, batch_size=8, verbose=0)
    assert model.quantizer.cluster_size.numpy().sum() > 0
    assert np.abs(model.quantizer.codebook.numpy() - before).max() > 0
