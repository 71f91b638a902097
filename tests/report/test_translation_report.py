"""`kgen eval` of image-to-image runs: input | output | target grids (CycleGAN: both directions) and their metrics."""

import json
import re

import numpy as np
import pytest

import kgen
from kgen import cli, runs
from kgen.models.translation import bicubic_upsample, downsample, metrics
from kgen.report import build, translation


def _run(tmp_path, name, data, **kwargs):
    # A run directory as `kgen train` leaves it, without the training (untrained tiny networks).
    run_dir = tmp_path / name
    model = kgen.zoo.build(name, (16, 16, 1), tiny=True, seed=0, **kwargs)
    run_dir.mkdir()
    runs.save_model(model, run_dir)
    runs.write_config(run_dir, {"model": name, "data": data, "data_kind": kgen.zoo.get(name).data,
                                "input_shape": [16, 16, 1], "scale": "tanh", "value_range": [-1.0, 1.0], "seed": 0})
    (run_dir / "history.json").write_text(json.dumps({"epoch": [1], "loss": [1.0]}))
    return run_dir


@pytest.fixture
def shown(monkeypatch):
    """The arrays of every grid the report draws, in order."""
    grids = []
    grid_png = build.figures.grid_png

    def recording_grid_png(images, *args, **kwargs):
        grids.append(np.asarray(images))
        return grid_png(images, *args, **kwargs)

    monkeypatch.setattr(translation.figures, "grid_png", recording_grid_png)
    return grids


def _eval(run_dir):
    assert cli.main(["eval", str(run_dir), "--max-real", "48", "--seed", "1", "--verbose", "0"]) == 0
    report = json.loads((run_dir / "report.json").read_text())
    page = (run_dir / "report.html").read_text()
    assert "<h2>Translations</h2>" in page and "fid" not in report["metrics"]
    assert len(re.findall(r"src='data:image/png;base64,", page)) == len(report["figures"])
    return report, page


def test_kgen_eval_of_pix2pix_shows_input_output_target_and_scores_the_pairs(tmp_path, shown):
    run_dir = _run(tmp_path, "pix2pix", "edges2digits")
    report, page = _eval(run_dir)
    m = report["metrics"]
    assert set(m) == {"translation_l1", "translation_psnr", "translation_ssim", "classifier_accuracy",
                      "classifier_accuracy_targets"}
    assert report["figures"][0] == "one example per row: input | output | target"
    assert "FCN-score" in page and "holds no pairs out" in page
    # The scored pairs are the run's data rows drawn with the seed; the figures are the saved model's.
    pairs = translation.load_pairs(json.loads((run_dir / "config.json").read_text()))
    rows = translation._rows(len(pairs), 48, 1)
    loaded, _ = runs.load_run(run_dir, compile=False)
    out = metrics.translate_all(loaded, pairs.a[rows])
    assert m["translation_psnr"] == pytest.approx(metrics.psnr(out, pairs.b[rows]), abs=1e-4)
    assert m["translation_l1"] == pytest.approx(metrics.l1(out, pairs.b[rows]), abs=1e-5)
    assert m["classifier_accuracy_targets"] > 0.9  # real digits: the classifier's ceiling
    grid = shown[0].reshape(8, 3, 16, 16, 1)
    np.testing.assert_array_equal(grid[:, 0], pairs.a[rows[:8]])
    np.testing.assert_allclose(grid[:, 1], out[:8], atol=1e-5)
    np.testing.assert_array_equal(grid[:, 2], pairs.b[rows[:8]])


def test_kgen_eval_of_cyclegan_shows_both_directions_and_their_cycles(tmp_path, shown):
    run_dir = _run(tmp_path, "cyclegan", "digits2inverted")
    report, _ = _eval(run_dir)
    m = report["metrics"]
    assert set(m) == {"cycle_l1_a", "cycle_l1_b", "label_kept_a2b", "label_kept_b2a", "classifier_accuracy_a",
                      "classifier_accuracy_b"}
    # Inverted digits are read negated back: the classifier's ceiling on real B is as high as on A.
    assert m["classifier_accuracy_a"] > 0.9 and m["classifier_accuracy_b"] > 0.9, m
    assert report["figures"] == ["A -> B, one example per row: a | G(a) | F(G(a)) (its cycle back)",
                                 "B -> A, one example per row: b | F(b) | G(F(b)) (its cycle back)",
                                 "per-epoch logs (history.json)"]
    pairs = translation.load_pairs(json.loads((run_dir / "config.json").read_text()))
    rows = translation._rows(len(pairs), 48, 1)
    loaded, _ = runs.load_run(run_dir, compile=False)
    a2b, b2a = (g.reshape(8, 3, 16, 16, 1) for g in shown)
    b = pairs.b[rows[:8]]
    np.testing.assert_array_equal(b2a[:, 0], b)
    fa = np.asarray(loaded.translate(b, direction="b2a"))
    np.testing.assert_allclose(b2a[:, 1], fa, atol=1e-5)
    np.testing.assert_allclose(b2a[:, 2], np.asarray(loaded.translate(fa, direction="a2b")), atol=1e-5)
    np.testing.assert_array_equal(a2b[:, 0], pairs.a[rows[:8]])
    assert np.abs(a2b[:, 1] - b2a[:, 1]).max() > 1e-3  # two generators, not one picture twice


def test_kgen_eval_of_srresnet_shows_the_bicubic_baseline(tmp_path, shown):
    run_dir = _run(tmp_path, "srresnet", "sr:x4")
    report, _ = _eval(run_dir)
    m = report["metrics"]
    pairs = translation.load_pairs(json.loads((run_dir / "config.json").read_text()))
    hr = pairs.a[translation._rows(len(pairs), 48, 1)]
    low = np.asarray(downsample(hr, 4))
    bicubic = np.asarray(bicubic_upsample(low, 4))
    assert m["bicubic_psnr"] == pytest.approx(metrics.psnr(bicubic, hr), abs=1e-4)
    # The papers' protocol: the 4 px border off (grey digits: no luma conversion).
    assert m["bicubic_psnr_y_crop"] == pytest.approx(metrics.psnr(bicubic[:, 4:-4, 4:-4], hr[:, 4:-4, 4:-4]), abs=1e-4)
    assert m["bicubic_psnr_y_crop"] != pytest.approx(m["bicubic_psnr"], abs=0.1)
    assert {"translation_psnr", "translation_ssim", "translation_psnr_y_crop", "classifier_accuracy"} <= set(m)
    assert report["figures"][0].startswith("x4 super-resolution, one example per row: low-res input (enlarged)")
    grid = shown[0].reshape(8, 4, 16, 16, 1)
    np.testing.assert_array_equal(grid[:, 0], low[:8].repeat(4, 1).repeat(4, 2))  # pixel repetition
    np.testing.assert_array_equal(grid[:, 3], hr[:8])
