"""`kgen train` for the representation family: colour data, --labels-per-class (M2), --target (DANN)."""

import json
from pathlib import Path

import numpy as np
import pytest

from kgen import cli, runs

QUICK = ["--tiny", "--epochs", "1", "--steps-per-epoch", "2", "--verbose", "0"]


def _train(run_dir, *flags):
    assert cli.main(["train", *flags, "--run-dir", str(run_dir)]) == 0
    return json.loads((Path(run_dir) / "config.json").read_text())


def test_colorization_trains_on_the_photo_patches_by_default(tmp_path):
    config = _train(tmp_path / "col", "--model", "colorization", *QUICK)
    assert config["data"] == "photos" and config["input_shape"] == [16, 16, 3]


def test_labels_per_class_masks_all_but_k_labels(tmp_path, monkeypatch):
    from kgen.commands import train as train_cmd

    seen = {}
    real = train_cmd.make_datasets

    def spy(args, model, strategy, data):
        seen["y"] = np.asarray(data.y)
        return real(args, model, strategy, data)

    monkeypatch.setattr(train_cmd, "make_datasets", spy)
    config = _train(tmp_path / "m2", "--model", "m2_vae", "--labels-per-class", "10", *QUICK)
    assert config["num_classes"] == 10
    y = seen["y"]
    assert len(y) == 1797 and (y >= 0).sum() == 100 and all((y == c).sum() == 10 for c in range(10))
    model = runs.load_run(tmp_path / "m2", compile=True)[0]
    assert type(model).__name__ == "M2VAE"


def test_target_domain_joins_with_label_minus_one(tmp_path, monkeypatch):
    from kgen.commands import train as train_cmd

    seen = {}
    real = train_cmd.make_datasets

    def spy(args, model, strategy, data):
        seen["x"], seen["y"] = np.asarray(data.x), np.asarray(data.y)
        return real(args, model, strategy, data)

    monkeypatch.setattr(train_cmd, "make_datasets", spy)
    config = _train(tmp_path / "dann", "--model", "dann", "--target", "digits_m", "--channels", "3", *QUICK)
    assert config["input_shape"] == [16, 16, 3]
    assert seen["x"].shape == (2 * 1797, 16, 16, 3) and (seen["y"] == -1).sum() == 1797


def test_masking_flags_are_refused_where_they_mean_nothing(tmp_path, capsys):
    assert cli.main(["train", "--model", "rotnet", "--labels-per-class", "10", *QUICK,
                     "--run-dir", str(tmp_path / "r")]) == 2
    assert "--labels-per-class" in capsys.readouterr().err
    assert cli.main(["train", "--model", "dann", "--target", "digits_m", *QUICK,
                     "--run-dir", str(tmp_path / "d")]) == 2
    assert "--channels 3" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not (tmp_path / "d").exists()


def test_eval_report_shows_the_probe_table_and_a_tsne_of_the_features(tmp_path):
    _train(tmp_path / "rot", "--model", "rotnet", *QUICK)
    assert cli.main(["eval", str(tmp_path / "rot"), "--verbose", "0"]) == 0
    report = json.loads((tmp_path / "rot" / "report.json").read_text())
    metrics = report["metrics"]
    assert 0.0 <= metrics["linear_probe_accuracy"] <= 1.0 and 0.5 < metrics["pixel_probe_accuracy"] <= 1.0
    assert "fid" not in metrics
    assert any("t-SNE of features" in f for f in report["figures"])
    assert any("pretext" in f for f in report["figures"])
    assert "linear_probe_accuracy" in (tmp_path / "rot" / "report.html").read_text()
