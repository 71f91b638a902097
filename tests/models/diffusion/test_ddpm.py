"""The DDPM model: its loss terms, EMA warm-up, samplers through the network, guidance, the bound in bits/dim."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.models.diffusion import DDPM, samplers
from kgen.networks import build_unet


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return kgen.zoo.build("ddpm", (8, 8, 1), tiny=True, seed=0, num_timesteps=20)


@pytest.fixture(scope="module")
def conditional():
    keras.utils.set_random_seed(0)
    return kgen.zoo.build("cddpm", (8, 8, 1), num_classes=3, tiny=True, seed=0, num_timesteps=20, guidance=2.0)


def _images(n, shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def test_unet_takes_any_power_of_two_size_and_channel_count():
    for shape, mults in (((4, 4, 3), (1,)), ((32, 32, 2), (1, 2, 2, 2))):
        net = build_unet(shape, base_filters=8, channel_mults=mults, num_res_blocks=1,
                         attention_resolutions=(4,), groups=4)
        out = net([np.zeros((2, *shape), "float32"), np.array([0, 999], "int32")])
        assert out.shape == (2, *shape)
    with pytest.raises(ValueError, match="image-size"):
        build_unet((28, 28, 1))


def test_forward_process_and_targets_are_the_closed_forms(model):
    x0, eps = _images(4), _images(4, seed=1)
    t = tf.constant([0, 5, 10, 19])
    ab = model.schedule.alpha_bar[[0, 5, 10, 19]].reshape(-1, 1, 1, 1)
    x_t = np.asarray(model.diffuse(x0, t, eps))
    np.testing.assert_allclose(x_t, np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.target(x0, t, eps), eps)
    vmodel = DDPM.from_config({**model.get_config(), "prediction": "v"})
    v = np.asarray(vmodel.target(x0, t, eps))
    # x_0 = sqrt(ab) x_t - sqrt(1 - ab) v.
    np.testing.assert_allclose(np.sqrt(ab) * x_t - np.sqrt(1 - ab) * v, x0, atol=1e-5)


def test_ema_warm_up_decay_after_one_step():
    keras.utils.set_random_seed(1)
    m = kgen.zoo.build("ddpm", (8, 8, 1), tiny=True, seed=0, num_timesteps=20)
    before = [w.copy() for w in m.network.get_weights()]
    np.testing.assert_array_equal(np.concatenate([w.ravel() for w in m.ema_network.get_weights()]),
                                  np.concatenate([w.ravel() for w in before]))
    m.train_on_batch(_images(4))
    decay = min(m.ema_decay, 2.0 / 11.0)  # (1 + n) / (10 + n) at n = 1
    assert float(m.ema_decay_now()) == pytest.approx(decay)
    moved = 0
    for e, w0, w1 in zip(m.ema_network.get_weights(), before, m.network.get_weights()):
        np.testing.assert_allclose(e, decay * w0 + (1 - decay) * w1, rtol=1e-5, atol=1e-7)
        moved += int(np.abs(w1 - w0).max() > 0)
    assert moved > 0
    no_warmup = DDPM.from_config({**m.get_config(), "ema_warmup": False})
    assert float(no_warmup.ema_decay_now()) == pytest.approx(m.ema_decay)


def test_ddim_at_eta_0_is_a_fixed_map_and_ddpm_follows_its_seed(model):
    x_T = model.prior["x_t"].numpy_sample(3, np.random.default_rng(0))
    a = np.asarray(model.generate(x_T, sampler="ddim", steps=5))
    np.testing.assert_array_equal(a, np.asarray(model.generate(x_T, sampler="ddim", steps=5)))
    b = np.asarray(model.generate(x_T, sampler="ddpm", steps=20, seed=3))
    np.testing.assert_array_equal(b, np.asarray(model.generate(x_T, sampler="ddpm", steps=20, seed=3)))
    assert np.abs(b - np.asarray(model.generate(x_T, sampler="ddpm", steps=20, seed=4))).max() > 0
    strip = model.denoising_strip(n=2, frames=4, steps=5)
    assert strip.shape == (4, 2, 8, 8, 1)
    z = np.asarray(model.encode(a, steps=5))
    assert z.shape == a.shape and np.isfinite(z).all()
    with pytest.raises(ValueError, match="steps"):
        model.generate(2, steps=21)
    with pytest.raises(ValueError, match="eta"):
        model.generate(2, eta=2.0)


def test_generate_passes_clip_to_the_ddim_sampler(model):
    x_T = model.prior["x_t"].numpy_sample(3, np.random.default_rng(1)) * 3.0  # far out: x_0 predictions overshoot
    base = model.denoiser(True, 0.0)
    sub = model.schedule.respace(kgen.models.spaced_timesteps(model.num_timesteps, 5))
    want = samplers.ddim(lambda x, t: base(x, t, None), x_T, sub, 0.0, model.prediction, clip=(-1.0, 1.0))
    got = np.asarray(model.generate(x_T, sampler="ddim", steps=5, clip=True))
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.abs(got).max() <= 1.0  # the last step returns the clipped x_0 itself
    assert np.abs(np.asarray(model.generate(x_T, sampler="ddim", steps=5))).max() > 1.0


def test_classifier_free_guidance_combines_the_conditional_and_null_predictions(conditional):
    m = conditional
    x, t, y = tf.constant(_images(2)), tf.constant([3, 7]), tf.constant([0, 2])
    net = m.ema_network
    cond = np.asarray(net([x, t, y]))
    null = np.asarray(net([x, t, tf.constant([3, 3])]))
    got = np.asarray(m.denoiser(True, 2.0)(x, t, y))
    np.testing.assert_allclose(got, 3.0 * cond - 2.0 * null, atol=1e-5)
    np.testing.assert_allclose(np.asarray(m.denoiser(True, 0.0)(x, t, y)), cond, atol=1e-6)
    assert m.generate(2, labels=[1, 2]).shape == (2, 8, 8, 1)
    with pytest.raises(ValueError, match="labels"):
        m.sample(np.zeros((2, 8, 8, 1), "float32"))
    # Training drops labels to the null id with probability p_uncond.
    logs = m.train_on_batch(_images(4), np.array([0, 1, 2, 0]), return_dict=True)
    assert np.isfinite(logs["loss"])


def test_zero_terminal_snr_needs_v_prediction():
    net = build_unet((8, 8, 1), base_filters=8, channel_mults=(1,), num_res_blocks=1, groups=4)
    with pytest.raises(ValueError, match="prediction='v'"):
        DDPM(net, terminal_snr="zero")
    m = DDPM(net, terminal_snr="zero", prediction="v", sampling_steps=3)
    assert m.schedule.alpha_bar[-1] == 0.0
    assert np.isfinite(np.asarray(m.generate(2))).all()


def test_bits_per_dim_is_the_sum_of_the_bound_terms(model):
    x = np.round((_images(6) + 1) * 127.5) / 127.5 - 1
    exact = model.bits_per_dim(x, seed=0)
    assert exact["timesteps"] == "all" and np.isfinite(exact["bits_per_dim"]) and exact["bits_per_dim"] > 0
    # L_T in closed form.
    ab = model.schedule.alpha_bar[-1]
    kl = 0.5 * (-math.log(1 - ab) + (1 - ab) + ab * x.astype(np.float64) ** 2 - 1)
    assert exact["prior_bits_per_dim"] == pytest.approx(kl.sum((1, 2, 3)).mean() / (64 * math.log(2)), rel=1e-6)
    # A stratified draw of all T strata picks every timestep once: the same sum up to the noise draws.
    strat = model.bits_per_dim(x, timesteps=model.num_timesteps, seed=0)
    np.testing.assert_allclose(strat["per_example"], exact["per_example"], rtol=1e-5)
    fewer = model.bits_per_dim(x, timesteps=5, seed=1)
    assert abs(fewer["bits_per_dim"] - exact["bits_per_dim"]) < 0.5 * exact["bits_per_dim"]
    with pytest.raises(ValueError, match="quantize"):
        model.bits_per_dim(_images(2))


def test_config_errors_name_the_fix():
    net = build_unet((8, 8, 1), base_filters=8, channel_mults=(1,), num_res_blocks=1, groups=4)
    with pytest.raises(ValueError, match="num_classes=3"):
        DDPM(net, num_classes=3)
    with pytest.raises(ValueError, match="sampler"):
        DDPM(net, sampler="euler")
    with pytest.raises(ValueError, match="steps"):
        DDPM(net, num_timesteps=10, sampling_steps=50)
    with pytest.raises(ValueError, match="spacing"):
        DDPM(net, spacing="cubic")


def test_kgen_sample_flags_become_generate_arguments(model):
    import argparse

    from kgen.commands.sample import _diffusion_options
    from kgen.errors import UserError

    args = argparse.Namespace(sampler="ddpm", steps=10, eta=None, guidance=None)
    assert _diffusion_options(args, model, "run") == {"sampler": "ddpm", "steps": 10}
    with pytest.raises(UserError, match="--steps 1..20"):
        _diffusion_options(argparse.Namespace(sampler=None, steps=50, eta=None, guidance=None), model, "run")
    with pytest.raises(UserError, match="unconditional"):
        _diffusion_options(argparse.Namespace(sampler=None, steps=None, eta=None, guidance=1.0), model, "run")
    with pytest.raises(UserError, match="not a diffusion model"):
        _diffusion_options(args, object(), "run")
    args = argparse.Namespace(sampler=None, steps=10, eta=None, guidance=None, spacing="quadratic")
    options = _diffusion_options(args, model, "run")
    assert options == {"steps": 10, "spacing": "quadratic"}
    x_T = model.prior["x_t"].numpy_sample(2, np.random.default_rng(0))
    base = model.denoiser(True, 0.0)
    want = samplers.ddim(lambda x, t: base(x, t, None), x_T, model.schedule.respace(
        kgen.models.spaced_timesteps(model.num_timesteps, 10, "quadratic")), 0.0, model.prediction)
    np.testing.assert_allclose(model.generate(x_T, **options), want, atol=1e-5)
