"""Unrolled GAN: the unrolled weights are k differentiable discriminator updates; the real D is untouched by G's step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.models.gan import GANOutputs, UnrolledGAN
from kgen.networks import build_mlp_discriminator, build_mlp_generator


def _d_loss(gan, real, fake, real_outputs, fake_outputs):
    """The adversarial discriminator loss the unroll differentiates."""
    return gan.discriminator_adversarial_loss(GANOutputs("discriminator", real, None, None,
                                                         real_outputs=real_outputs, fake_outputs=fake_outputs))


def _gan(k, rule="sgd", lr=0.1):
    keras.utils.set_random_seed(0)
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_steps=k,
                      unroll_rule=rule, unroll_learning_rate=lr, seed=0)
    gan.compile()
    return gan


def test_one_sgd_unroll_step_matches_a_manual_update_and_is_differentiable_in_the_fakes():
    gan = _gan(1, "sgd", lr=0.1)
    rng = np.random.default_rng(0)
    real = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    fake = tf.Variable(rng.normal(size=(8, 2)), dtype=tf.float32)
    d = gan.discriminator
    with tf.GradientTape() as tape:
        loss = _d_loss(gan, real, fake, d(real), d(fake))
    manual = [v.numpy() - 0.1 * g.numpy() for v, g in zip(d.trainable_variables, tape.gradient(loss, d.trainable_variables))]
    with tf.GradientTape() as outer:
        theta, _ = gan.unrolled_discriminator_weights(real, fake)
        total = tf.add_n([tf.reduce_sum(t) for t in theta])
    for t, m in zip(theta, manual):
        np.testing.assert_allclose(t.numpy(), m, rtol=1e-5, atol=1e-6)
    # Second order: the unrolled weights depend on the fakes.
    dfake = outer.gradient(total, fake)
    assert dfake is not None and float(tf.reduce_max(tf.abs(dfake))) > 0


def test_optimizer_rule_continues_the_discriminators_adam_exactly():
    keras.utils.set_random_seed(0)
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_steps=1, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5, beta_2=0.9))
    rng = np.random.default_rng(3)
    real = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    fake = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    for _ in range(3):  # non-zero moments and step count
        gan.run_update("discriminator", real)
    theta, _ = gan.unrolled_discriminator_weights(real, fake)
    d = gan.discriminator
    with tf.GradientTape() as tape:
        loss = _d_loss(gan, real, fake, d(real, training=True), d(fake, training=True))
    gan.d_optimizer.apply_gradients(zip(tape.gradient(loss, d.trainable_variables), d.trainable_variables))
    for t, v in zip(theta, d.trainable_variables):
        np.testing.assert_allclose(t.numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rule", ["sgd", "optimizer"])
def test_unrolled_weights_have_the_finite_difference_derivative_in_the_fakes(rule):
    # The generator's second-order term: d D_{theta_k}(probe) / d fakes, through k updates.
    keras.utils.set_random_seed(0)
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,), activation="tanh"), 3,
                      unroll_steps=3, unroll_rule=rule, unroll_learning_rate=0.05, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(0.05) if rule == "optimizer" else keras.optimizers.SGD(0.05))
    rng = np.random.default_rng(0)
    real = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    for _ in range(3 if rule == "optimizer" else 0):
        gan.run_update("discriminator", real)
    fake0 = rng.normal(size=(8, 2)).astype("float32")
    probe = tf.constant(rng.normal(size=(5, 2)), tf.float32)

    def value(fake):
        theta, nt = gan.unrolled_discriminator_weights(real, fake)
        return tf.reduce_sum(gan._d_call(theta, nt, probe, None))  # noqa: SLF001

    fake = tf.Variable(fake0)
    with tf.GradientTape() as tape:
        out = value(fake)
    analytic = tape.gradient(out, fake).numpy()
    numeric = np.zeros_like(fake0)
    for i, j in np.ndindex(*fake0.shape):
        step = np.zeros_like(fake0)
        step[i, j] = 1e-2
        numeric[i, j] = (value(tf.constant(fake0 + step)) - value(tf.constant(fake0 - step))).numpy() / 2e-2
    assert np.abs(numeric).max() > 1e-2  # the unrolled weights really depend on the fakes
    np.testing.assert_allclose(analytic, numeric, atol=2e-4)


def test_value_surrogate_without_unrolling_is_the_minimax_generator_gradient():
    # k=0: f(theta_G, theta_D) = E log D(x) + E log(1 - D(G(z))); only the fake term depends on G.
    rng = np.random.default_rng(4)
    real = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    keras.utils.set_random_seed(0)
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_steps=0,
                      seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(1.0))
    g0 = [v.numpy().copy() for v in gan.generator.trainable_variables]
    state = gan.seed_generator.state.numpy()
    z = gan.sample_latent(8)  # the step draws the same latents after the seed state is rewound
    with tf.GradientTape() as tape:
        logits = gan.discriminator(gan.generator(z, training=True), training=True)
        expected = tf.reduce_mean(-tf.nn.softplus(logits))  # mean log(1 - sigmoid(logits))
    grads = tape.gradient(expected, gan.generator.trainable_variables)
    gan.seed_generator.state.assign(state)
    gan.run_update("generator", real)["loss"]
    for v, w, g in zip(gan.generator.trainable_variables, g0, grads):
        np.testing.assert_allclose(v.numpy(), w - g.numpy(), rtol=1e-4, atol=1e-6)


def test_unrolled_fakes_surrogate_without_unrolling_is_the_non_saturating_gradient():
    # k=0: -E log D(G(z)) on the unroll's own latents (the first draw of the step).
    real = tf.constant(np.random.default_rng(4).normal(size=(8, 2)), tf.float32)
    keras.utils.set_random_seed(0)
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_steps=0,
                      surrogate="unrolled_fakes", seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(1.0))
    g0 = [v.numpy().copy() for v in gan.generator.trainable_variables]
    state = gan.seed_generator.state.numpy()
    z = gan.sample_latent(8)
    with tf.GradientTape() as tape:
        logits = gan.discriminator(gan.generator(z, training=True), training=True)
        expected = tf.reduce_mean(tf.nn.softplus(-logits))  # mean -log(sigmoid(logits))
    grads = tape.gradient(expected, gan.generator.trainable_variables)
    gan.seed_generator.state.assign(state)
    loss = gan.run_update("generator", real)["loss"]
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    for v, w, g in zip(gan.generator.trainable_variables, g0, grads):
        np.testing.assert_allclose(v.numpy(), w - g.numpy(), rtol=1e-4, atol=1e-6)


def test_optimizer_rule_rejects_optimizers_it_cannot_continue():
    gan = UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_steps=1, seed=0)
    gan.compile(d_optimizer=keras.optimizers.RMSprop(1e-3))
    real = tf.zeros((4, 2))
    with pytest.raises(ValueError, match="RMSprop"):
        gan.unrolled_discriminator_weights(real, real)


def test_zero_learning_rate_unroll_equals_plain_generator_gradient():
    rng = np.random.default_rng(1)
    real = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    grads = {}
    for k in (0, 3):
        gan = _gan(k, "sgd", lr=0.0)
        z = tf.constant(rng.normal(size=(8, 3)), tf.float32) if k == 0 else z  # noqa: F821
        with tf.GradientTape() as tape:
            fake = gan.generator(z, training=True)
            theta, nt = gan.unrolled_discriminator_weights(real, fake)
            loss = gan.generator_loss_fn(gan._d_call(theta, nt, fake, None))  # noqa: SLF001
        grads[k] = [g.numpy() for g in tape.gradient(loss, gan.generator.trainable_variables)]
    for a, b in zip(grads[0], grads[3]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_generator_step_leaves_discriminator_unchanged_and_train_step_updates_both():
    gan = _gan(3, "adam", lr=1e-2)
    real = tf.constant(np.random.default_rng(2).normal(size=(8, 2)), tf.float32)
    d0 = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
    g0 = [v.numpy().copy() for v in gan.generator.trainable_variables]
    loss = gan.run_update("generator", real)["loss"]
    assert np.isfinite(float(loss))
    for v, w in zip(gan.discriminator.trainable_variables, d0):
        np.testing.assert_array_equal(v.numpy(), w)
    assert any(not np.allclose(v.numpy(), w) for v, w in zip(gan.generator.trainable_variables, g0))
    hist = gan.fit(tf.data.Dataset.from_tensors(real).repeat(2), epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in hist.values())
    assert any(not np.allclose(v.numpy(), w) for v, w in zip(gan.discriminator.trainable_variables, d0))


def test_builder_defaults_and_bad_arguments():
    gan = kgen.zoo.build("unrolled_gan", (2,), tiny=True)
    assert gan.unroll_steps == 5
    # Metz et al., Appendix A: G has two hidden layers of 128, D one.
    paper = kgen.zoo.build("unrolled_gan", (2,))
    dense = lambda m: [layer.units for layer in m.layers if isinstance(layer, keras.layers.Dense)]  # noqa: E731
    assert dense(paper.generator) == [128, 128, 2] and dense(paper.discriminator) == [128, 1]
    assert paper.latent_dim == 256
    with pytest.raises(ValueError, match="unroll_rule"):
        UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, unroll_rule="rmsprop")
    with pytest.raises(ValueError, match="surrogate"):
        UnrolledGAN(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,)), 3, surrogate="hinge")
    with pytest.raises(ValueError, match="points"):
        kgen.zoo.build("unrolled_gan", (8, 8, 1), tiny=True)
