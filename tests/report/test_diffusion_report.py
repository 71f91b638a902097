"""`kgen eval` of a diffusion run: samples per sampler from one x_T and a denoising strip x_T -> x_0."""

import json
import re

import numpy as np

import kgen
from kgen import cli, runs
from kgen.report import build


def test_kgen_eval_of_a_ddpm_run_shows_both_samplers_from_one_x_T_and_the_strip(tmp_path, monkeypatch):
    # A run directory as `kgen train` leaves it, without the training (its trace costs most of a minute):
    # the smallest U-Net (one level, no attention), T = 20, 5 sampling steps.
    run_dir = tmp_path / "ddpm"
    model = kgen.zoo.build("ddpm", (8, 8, 1), tiny=True, seed=0, num_timesteps=20, sampling_steps=5,
                           base_filters=4, channel_mults=(1,), attention_resolutions=())
    run_dir.mkdir()
    runs.save_model(model, run_dir)
    runs.write_config(run_dir, {"model": "ddpm", "data": "digits", "input_shape": [8, 8, 1], "scale": "tanh",
                                "value_range": [-1.0, 1.0], "seed": 0})
    (run_dir / "history.json").write_text(json.dumps({"epoch": [1, 2], "loss": [1.0, 0.9]}))
    shown = {}
    grid_png = build.figures.grid_png

    def recording_grid_png(images, *args, **kwargs):
        shown[len(shown)] = np.asarray(images)
        return grid_png(images, *args, **kwargs)

    monkeypatch.setattr(build.figures, "grid_png", recording_grid_png)
    assert cli.main(["eval", str(run_dir), "--n-samples", "100", "--max-real", "200", "--seed", "3",
                     "--verbose", "0"]) == 0
    report = json.loads((run_dir / "report.json").read_text())
    assert isinstance(report["metrics"]["fid"], float) and report["metrics"]["fid"] > 0
    captions = report["figures"]
    assert captions[3].startswith("DDPM sampler, 5 steps respaced from T=20: 32 samples from the same x_T"), captions
    assert captions[4].startswith("DDIM sampler, 5 steps, eta 0: 32 samples from the same x_T"), captions
    assert captions[5].startswith("denoising strip: each row one DDIM run (5 steps), 6 evenly spaced states"), captions
    page = (run_dir / "report.html").read_text()
    # generated, real, curves, DDPM, DDIM, strip: every figure inline
    assert len(re.findall(r"src='data:image/png;base64,", page)) == len(captions) == 6
    assert "<h2>Samplers</h2>" in page and "<h2>Denoising strip</h2>" in page
    assert "default sampler (DDIM, 5 steps, eta 0)" in page
    # The grids drawn, in order: generated, real, DDPM, DDIM, strip (the curves are no grid).
    ddpm, ddim, strip = shown[2], shown[3], shown[4]
    assert ddpm.shape == ddim.shape == (32, 8, 8, 1) and strip.shape == (8 * 6, 8, 8, 1)
    assert np.abs(ddpm - ddim).max() > 1e-3  # two samplers, not one picture twice
    x_T = model.prior["x_t"].numpy_sample(32, np.random.default_rng(3))
    frames = strip.reshape(8, 6, 8, 8, 1)  # one row per image: x_T first, x_0 last
    np.testing.assert_allclose(frames[:, 0], np.clip(x_T[:8], -1, 1), atol=1e-6)
    # The strip's run (a trajectory) ends where the DDIM grid's run of the same x_T does.
    np.testing.assert_allclose(frames[:, -1], ddim[:8], atol=1e-5)
    # The DDIM grid is the saved model's DDIM map of that x_T.
    loaded, _ = runs.load_run(run_dir, compile=False)
    np.testing.assert_allclose(ddim, np.clip(loaded.generate(x_T, sampler="ddim", steps=5), -1, 1), atol=1e-5)
