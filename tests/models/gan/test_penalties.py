"""Penalties the GAN holds: closed forms, running averages, and that every variant's loss goes through them."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import zoo
from kgen.models.gan import (GAN, FeatureMatchingGAN, GradientPenalty, HistoricalAveraging, Reconstruction,
                             UnrolledGAN, WeightClipping)
from kgen.networks import build_mlp_discriminator, build_mlp_generator


def _gan(cls=GAN, penalties=(), features=False, **kw):
    keras.utils.set_random_seed(0)
    gan = cls(build_mlp_generator(3, 2, (8,)), build_mlp_discriminator(2, (8,), return_features=features), 3,
              penalties=penalties, seed=0, **kw)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    return gan


def _real(n=8):
    return np.random.default_rng(0).normal(size=(n, 2)).astype("float32")


def _loss(gan, role, real):
    fakes = gan.make_fakes(real, None, replay=False)
    outputs = gan.forward(role, real, None, fakes)
    return {k: float(v) for k, v in gan.compute_loss_for(role, outputs).items()}


def test_historical_averaging_closed_form_and_running_mean():
    gan = _gan(penalties=[HistoricalAveraging(0.5, roles=("discriminator",))])
    real = _real()
    base = _loss(gan, "discriminator", real)
    assert base["historical_averaging"] == 0.0  # the average starts at theta_0
    n_params = sum(int(np.prod(v.shape)) for v in gan.discriminator.trainable_variables)
    for v in gan.discriminator.trainable_variables:
        v.assign_add(tf.ones_like(v))
    shifted = _loss(gan, "discriminator", real)
    assert shifted["historical_averaging"] == pytest.approx(0.5 * n_params, rel=1e-5)
    gan.penalties[0].after_update(gan, "discriminator")  # mean of {theta_0, theta_0 + 1}
    avg, var = gan.penalties[0].discriminator_averages[0], gan.discriminator.trainable_variables[0]
    np.testing.assert_allclose(avg.numpy(), var.numpy() - 0.5, rtol=1e-6)


def test_historical_averages_are_model_state_updated_by_fit_and_saved(tmp_path):
    gan = _gan(penalties=[HistoricalAveraging(1e-3)])
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    before = [v.numpy().copy() for v in gan.penalties[0].generator_averages]
    hist = gan.fit(tf.data.Dataset.from_tensor_slices(_real(24)).batch(8), epochs=1, verbose=0).history
    assert {"d_historical_averaging", "g_historical_averaging"} <= set(hist)
    assert float(gan.penalties[0].generator_count.numpy()) == 4.0  # theta_0 + 3 steps
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, gan.penalties[0].generator_averages))
    gan.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras")
    assert isinstance(loaded.penalties[0], HistoricalAveraging) and loaded.penalties[0].weight == 1e-3
    for a, b in zip(loaded.penalties[0].generator_averages, gan.penalties[0].generator_averages):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


VARIANTS = {
    "gan": lambda p: _gan(penalties=p),
    "feature_matching": lambda p: _gan(FeatureMatchingGAN, p, features=True),
    "unrolled_value": lambda p: _gan(UnrolledGAN, p, unroll_steps=2, surrogate="value"),
    "unrolled_unrolled_fakes": lambda p: _gan(UnrolledGAN, p, unroll_steps=2, surrogate="unrolled_fakes"),
    "unrolled_generator_loss": lambda p: _gan(UnrolledGAN, p, unroll_steps=2, surrogate="generator_loss"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_generator_penalty_reaches_every_variant(variant):
    gan = VARIANTS[variant]([HistoricalAveraging(1e6, roles=("generator",))])
    real = _real()
    plain = _loss(gan, "generator", real)["loss"]
    for v in gan.generator.trainable_variables:
        v.assign_add(tf.ones_like(v))  # 1 away from the average everywhere
    n_params = sum(int(np.prod(v.shape)) for v in gan.generator.trainable_variables)
    terms = _loss(gan, "generator", real)
    assert terms["historical_averaging"] == pytest.approx(1e6 * n_params, rel=1e-6)
    # The penalty (1e6 per parameter) dwarfs the adversarial term.
    assert terms["loss"] == pytest.approx(1e6 * n_params, rel=1e-4)
    assert abs(plain) < 1e-3 * 1e6 * n_params


def test_infogan_discriminator_and_q_get_the_penalty():
    base = zoo.build("infogan", (2,), tiny=True, seed=0)
    penalty = keras.saving.serialize_keras_object(HistoricalAveraging(1.0, roles=("discriminator",)))
    gan = type(base).from_config({**base.get_config(), "penalties": [penalty]})  # penalties are set at construction
    gan.compile()
    names = {v.path for v in gan.variables_for("discriminator")}
    assert any("q_" in n or "categorical" in n for n in names)  # Q trains with D
    real = _real()
    for v in gan.variables_for("discriminator"):
        v.assign_add(tf.ones_like(v))
    n_params = sum(int(np.prod(v.shape)) for v in gan.variables_for("discriminator"))
    assert _loss(gan, "discriminator", real)["historical_averaging"] == pytest.approx(n_params, rel=1e-5)


def test_reconstruction_penalty_closed_form():
    gan = _gan(penalties=[Reconstruction(100.0, "l1")])
    real = _real()
    fakes = gan.make_fakes(real, None, replay=False)
    outputs = gan.forward("generator", real, None, fakes)
    expected = 100.0 * np.mean(np.abs(np.asarray(fakes.generated) - real))
    assert float(gan.compute_generator_loss(outputs)["reconstruction_loss"]) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="expected norm in"):
        Reconstruction(1.0, "l3")


def test_penalties_are_validated_and_serialized():
    with pytest.raises(ValueError, match="expected roles among"):
        HistoricalAveraging(1.0, roles=("critic",))
    with pytest.raises(ValueError, match="expected clip_value > 0"):
        WeightClipping(0.0)
    with pytest.raises(ValueError, match="distinct names"):
        _gan(penalties=[GradientPenalty(1.0), GradientPenalty(2.0)])
    gan = _gan(penalties=[GradientPenalty(3.0, one_sided=True), WeightClipping(0.05)])
    rebuilt = GAN.from_config(gan.get_config())
    assert [type(p).__name__ for p in rebuilt.penalties] == ["GradientPenalty", "WeightClipping"]
    assert rebuilt.penalties[0].weight == 3.0 and rebuilt.penalties[0].one_sided
    assert rebuilt.penalties[1].clip_value == 0.05
    assert "gradient_penalty" in rebuilt.metric_names() and "weight_clipping" not in rebuilt.metric_names()
