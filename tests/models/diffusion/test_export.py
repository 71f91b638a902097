"""Diffusion export: the denoiser endpoint, the numpy DDIM loop of the edge runner, the final-image gate."""

import keras
import numpy as np
import pytest

import kgen
from kgen.models.diffusion import export as dexport


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    m = kgen.zoo.build("ddpm", (8, 8, 1), tiny=True, seed=0, num_timesteps=30)
    # Non-trivial EMA weights (the output conv starts at zero).
    m.ema_network.set_weights([w + 0.05 * np.random.default_rng(i).standard_normal(w.shape).astype(w.dtype)
                               for i, w in enumerate(m.ema_network.get_weights())])
    return m


def test_the_edge_runner_loop_is_kgens_numpy_loop(edge_runner):
    runner = edge_runner
    alpha_bar = kgen.models.Schedule("cosine", 100).alpha_bar
    den = lambda x, t: np.tanh(x) * (1 + t[:, None] / 100.0)  # noqa: E731
    x_T = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    for prediction in ("epsilon", "v"):
        a = dexport.ddim_sample(den, x_T, alpha_bar, 7, 0.5, np.random.default_rng(1), prediction)
        b = runner.ddim_sample(den, x_T, alpha_bar, 7, 0.5, np.random.default_rng(1), prediction)
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(runner.ddim_timesteps(1000, 50), kgen.models.spaced_timesteps(1000, 50))
    for steps in (2, 10, 50, 999, 1000):
        np.testing.assert_array_equal(runner.ddim_timesteps(1000, steps, "quadratic"),
                                      kgen.models.spaced_timesteps(1000, steps, "quadratic"))
    a = dexport.ddim_sample(den, x_T, alpha_bar, 7, 0.0, None, "v", spacing="quadratic")
    b = runner.ddim_sample(den, x_T, alpha_bar, 7, 0.0, None, "v", spacing="quadratic")
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - runner.ddim_sample(den, x_T, alpha_bar, 7, 0.0, None, "v")).max() > 1e-3


def test_numpy_loop_around_the_endpoint_reproduces_the_tensorflow_sampler(model):
    ep = model.export_endpoints()[0]
    assert ep.name == "denoise" and [s.name for s in ep.inputs] == ["x_t", "t"]
    assert ep.outputs[0].name == "eps" and len(ep.outputs[0].info["schedule"]["alpha_bar"]) == 30
    x_T = model.prior["x_t"].numpy_sample(4, np.random.default_rng(3))
    want = np.asarray(model.generate(x_T, sampler="ddim", steps=6))
    got = dexport.ddim_sample(lambda x, t: np.asarray(ep.network([x, t])), x_T, model.schedule.alpha_bar, 6)
    assert np.abs(want).max() > 0.1
    np.testing.assert_allclose(got, want, atol=2e-4)
    # The quadratic spacing: the TensorFlow sampler walks the same indices as the numpy loop.
    want = np.asarray(model.generate(x_T, sampler="ddim", steps=6, spacing="quadratic"))
    got = dexport.ddim_sample(lambda x, t: np.asarray(ep.network([x, t])), x_T, model.schedule.alpha_bar, 6,
                              spacing="quadratic")
    np.testing.assert_allclose(got, want, atol=2e-4)
    assert np.abs(want - np.asarray(model.generate(x_T, sampler="ddim", steps=6))).max() > 1e-3


@pytest.mark.slow
def test_float32_bundle_final_images_and_the_edge_sampler(model, tmp_path, edge_runner):
    report = dexport.export_diffusion(model, tmp_path / "b", quantize=("float32",), steps=(3, 6), n=4,
                                      latency_runs=3, calibration_samples=8)
    figures = report["sampling"]["variants"]["float32"]
    assert figures["passed"] and min(figures["final_psnr_db"].values()) > 60, figures
    assert figures["latency_ms_per_image_1t"]["6"] == pytest.approx(6 * figures["latency_ms_per_call_1t"])
    meta = kgen.export.load_metadata(tmp_path / "b")
    assert meta["signatures"]["denoise"]["outputs"][0]["schedule"]["num_timesteps"] == 30
    sampler = edge_runner.DiffusionSampler(tmp_path / "b", "float32", num_threads=1)
    edge = sampler.sample(4, steps=6, eta=0.0, seed=3)
    x_T = model.prior["x_t"].numpy_sample(4, np.random.default_rng(3))
    np.testing.assert_allclose(edge, np.asarray(model.generate(x_T, sampler="ddim", steps=6)), atol=2e-4)
    # A model whose default spacing is quadratic: the bundle records it and the edge sampler follows it.
    quad = kgen.models.DDPM.from_config({**model.get_config(), "spacing": "quadratic"})
    quad.set_weights(model.get_weights())
    assert quad.export_endpoints()[0].outputs[0].info["sampler"]["spacing"] == "quadratic"
    dexport.export_diffusion(quad, tmp_path / "q", quantize=("float32",), steps=(6,), n=4, latency_runs=1,
                             calibration_samples=8)
    edge = edge_runner.DiffusionSampler(tmp_path / "q", "float32", num_threads=1).sample(4, steps=6, seed=3)
    np.testing.assert_allclose(edge, np.asarray(quad.generate(x_T, sampler="ddim", steps=6)), atol=2e-4)
    np.testing.assert_allclose(edge, np.asarray(model.generate(x_T, sampler="ddim", steps=6, spacing="quadratic")),
                               atol=2e-4)
