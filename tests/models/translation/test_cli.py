"""`kgen train` on the image-pair sources and `kgen translate` on image files (in-process, tiny models)."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kgen import cli, runs

QUICK = ["--tiny", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4", "--verbose", "0"]


def _pngs(folder, n=3, size=16, mode="L"):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        shape = (size, size) if mode == "L" else (size, size, 3)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(folder / f"img{i}.png")
    return folder


def test_pix2pix_trains_on_edges2digits_writes_grids_and_translates_files(tmp_path, capsys):
    run = tmp_path / "p2p"
    assert cli.main(["train", "--model", "pix2pix", "--data", "edges2digits", *QUICK, "--run-dir", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["data_kind"] == "paired" and config["input_shape"] == [16, 16, 1]
    grid = np.asarray(Image.open(run / "samples" / "epoch_0001.png"))
    assert grid.shape[1] > grid.shape[0] / 8 * 3 - 1  # 3 columns (input | output | target), 8 rows
    inputs = _pngs(tmp_path / "edges", size=32)  # resized to the model's 16x16
    out = tmp_path / "out"
    assert cli.main(["translate", str(run), str(inputs), str(inputs / "img0.png"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["grid.png", "img0.png", "img1.png", "img2.png"]
    model, _ = runs.load_run(run)
    written = np.asarray(Image.open(out / "img1.png"), np.float32) / 127.5 - 1
    from kgen.commands.translate import read_inputs

    want = np.asarray(model.translate(read_inputs([inputs / "img1.png"], (16, 16, 1))))[0, ..., 0]
    assert np.abs(written - want).max() < 1.5 / 127.5
    assert cli.main(["translate", str(run), str(inputs), "--direction", "b2a"]) == 2
    assert "--direction" in capsys.readouterr().err


def test_cyclegan_trains_on_unpaired_digits_and_translates_both_directions(tmp_path):
    run = tmp_path / "cg"
    assert cli.main(["train", "--model", "cyclegan", *QUICK, "--run-dir", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["data"] == "digits2inverted" and config["data_kind"] == "unpaired"
    model, _ = runs.load_run(run)
    # The linear decay spans the run's second half: total steps = epochs x steps.
    assert model.g_optimizer._learning_rate.get_config()["hold_steps"] == 1  # noqa: SLF001
    inputs = _pngs(tmp_path / "digits")
    for direction in ("a2b", "b2a"):
        assert cli.main(["translate", str(run), str(inputs), "--direction", direction,
                         "--out", str(tmp_path / direction)]) == 0
    a2b = np.asarray(Image.open(tmp_path / "a2b" / "img0.png"))
    b2a = np.asarray(Image.open(tmp_path / "b2a" / "img0.png"))
    assert a2b.shape == b2a.shape == (16, 16) and np.abs(a2b.astype(int) - b2a).max() > 0


def test_srresnet_trains_on_sr_x4_and_upscales_files(tmp_path):
    run = tmp_path / "sr"
    assert cli.main(["train", "--model", "srresnet", "--data", "sr:x4", *QUICK, "--run-dir", str(run)]) == 0
    inputs = _pngs(tmp_path / "small", size=4)
    assert cli.main(["translate", str(run), str(inputs), "--out", str(tmp_path / "up")]) == 0
    assert np.asarray(Image.open(tmp_path / "up" / "img0.png")).shape == (16, 16)


def test_a_source_of_the_wrong_kind_is_refused_with_the_sources_that_fit(tmp_path, capsys):
    assert cli.main(["train", "--model", "pix2pix", "--data", "digits", *QUICK, "--run-dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "edges2digits" in err and not (tmp_path / "x").exists()
