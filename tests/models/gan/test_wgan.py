"""WGAN (clipping) and WGAN-GP: the paper's defaults, the clipping bound after every critic step, no batch norm, mixed precision."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.models.gan import WGAN, WGANGP, Fakes, GANOutputs, GANPenalty
from kgen.networks import build_dcgan_discriminator, build_mlp_discriminator, build_mlp_generator


class RecordCriticWeights(GANPenalty):
    """Records the largest |critic weight| seen right after any critic step (after the clipping)."""

    def __init__(self, **kwargs):
        super().__init__(roles=("discriminator",), name="record", **kwargs)
        self.max_after_step = keras.Variable(0.0, trainable=False)
        self.critic_steps = keras.Variable(0, dtype="int32", trainable=False)

    def after_update(self, model, role):
        biggest = tf.reduce_max([tf.reduce_max(tf.abs(v)) for v in model.discriminator.trainable_variables])
        self.max_after_step.assign(tf.maximum(self.max_after_step, biggest))
        self.critic_steps.assign_add(1)


def test_every_critic_weight_within_clip_after_every_critic_step():
    keras.utils.set_random_seed(0)
    critic = build_mlp_discriminator(2, (16, 16))
    assert max(float(np.abs(w).max()) for w in critic.get_weights()) > 0.01  # clipping has work to do
    record = RecordCriticWeights()
    gan = WGAN(build_mlp_generator(4, 2, (16,)), critic, 4, d_steps=5, clip_value=0.01, penalties=[record], seed=0)
    assert [type(p).__name__ for p in gan.penalties] == ["WeightClipping", "RecordCriticWeights"]
    gan.compile(keras.optimizers.RMSprop(5e-2), keras.optimizers.RMSprop(5e-2))  # big steps: clipping binds
    x = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(25), epochs=2, verbose=0)
    assert int(record.critic_steps.numpy()) == 2 * 2 * 5
    assert float(record.max_after_step.numpy()) <= 0.01 + 1e-7
    assert float(record.max_after_step.numpy()) == pytest.approx(0.01, rel=1e-5)  # and the bound is reached


def test_builders_use_the_papers_hyperparameters():
    wgan = kgen.zoo.build("wgan", (8, 8, 1), tiny=True)
    assert isinstance(wgan, WGAN) and wgan.d_steps == 5 and wgan.clip_value == 0.01
    assert isinstance(wgan.d_optimizer, keras.optimizers.RMSprop)
    assert float(wgan.d_optimizer.learning_rate) == pytest.approx(5e-5)
    gp = kgen.zoo.build("wgan_gp", (8, 8, 1), tiny=True)
    assert isinstance(gp, WGANGP) and gp.d_steps == 5 and gp.gradient_penalty.weight == 10.0
    opt = gp.d_optimizer
    assert (float(opt.learning_rate), float(opt.beta_1), float(opt.beta_2)) == pytest.approx((1e-4, 0.0, 0.9))
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in gp.discriminator._flatten_layers())  # noqa: SLF001
    ttur = kgen.zoo.build("wgan_gp", (2,), tiny=True, d_learning_rate=4e-4)
    assert float(ttur.d_optimizer.learning_rate) == pytest.approx(4e-4)
    assert float(ttur.g_optimizer.learning_rate) == pytest.approx(1e-4)


def test_compile_without_optimizers_uses_the_papers_optimizers():
    wgan = WGAN(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4)
    wgan.compile()
    for opt in (wgan.d_optimizer, wgan.g_optimizer):
        assert isinstance(opt, keras.optimizers.RMSprop)
        assert float(opt.learning_rate) == pytest.approx(5e-5)
    gp = WGANGP(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4)
    gp.compile(g_optimizer=keras.optimizers.Adam(3e-4))
    d = gp.d_optimizer
    assert isinstance(d, keras.optimizers.Adam)
    assert (float(d.learning_rate), float(d.beta_1), float(d.beta_2)) == pytest.approx((1e-4, 0.0, 0.9))
    assert float(gp.g_optimizer.learning_rate) == pytest.approx(3e-4)


def test_wgan_gp_rejects_batch_norm_critic():
    with pytest.raises(ValueError, match="batch norm"):
        WGANGP(build_mlp_generator(4, 2, (8,)), build_dcgan_discriminator((16, 16, 1), 8, norm="batch"), 4)


def test_wgan_gp_loss_includes_penalty_of_a_known_critic():
    keras.utils.set_random_seed(0)
    critic = build_mlp_discriminator(2, (8,), activation="linear")
    gan = WGANGP(build_mlp_generator(4, 2, (8,)), critic, 4, d_steps=1, seed=0)
    real = np.random.default_rng(0).normal(size=(6, 2)).astype("float32")
    fake = real + 1.0
    ro, fo = critic(real), critic(fake)
    w = critic.get_weights()
    grad = (w[0] @ w[2]).ravel()  # a linear critic's input gradient
    expected = float(np.mean(fo) - np.mean(ro)) + 10.0 * (np.linalg.norm(grad) - 1.0) ** 2
    outputs = GANOutputs("discriminator", real, None, Fakes({}, fake), real_outputs=ro, fake_outputs=fo)
    terms = gan.compute_discriminator_loss(outputs)
    assert float(terms["loss"]) == pytest.approx(expected, rel=1e-4)
    assert float(terms["gradient_penalty"]) == pytest.approx(10.0 * (np.linalg.norm(grad) - 1.0) ** 2, rel=1e-4)


def test_wgan_gp_trains_finite_under_mixed_float16():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        gan = kgen.zoo.build("wgan_gp", (8, 8, 1), tiny=True, d_steps=2, seed=0)
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert gan.d_optimizer is not gan.g_optimizer
        x = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
        hist = gan.fit(tf.data.Dataset.from_tensors(x).repeat(3), epochs=1, verbose=0).history
    finally:
        keras.config.set_dtype_policy("float32")
    assert all(np.isfinite(v[-1]) for v in hist.values()), hist
    assert hist["gradient_penalty"][-1] > 0
