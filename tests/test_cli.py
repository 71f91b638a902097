"""The kgen command line: help for every command, train -> sample on the embedded digits."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kgen import cli

ROOT = Path(__file__).resolve().parents[1]


def _kgen(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kgen.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


def test_every_command_has_help(capsys):
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    assert {"train", "sample"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            cli.main([name, "--help"])
        assert exit_info.value.code == 0
        assert "usage: kgen " + name in capsys.readouterr().out


@pytest.mark.slow
def test_train_then_sample_writes_a_run_directory(tmp_path):
    run_dir = tmp_path / "run"
    out = _kgen("train", "--tiny", "--epochs", "2", "--image-size", "8", "--batch-size", "32",
                "--run-dir", str(run_dir), "--verbose", "0")
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"run directory  {run_dir}" in out.stdout
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "dcgan" and config["input_shape"] == [8, 8, 1] and config["epochs"] == 2
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    history = json.loads((run_dir / "history.json").read_text())
    assert history["epoch"] == [1, 2] and len(history["g_loss"]) == 2
    assert any((run_dir / "logs").rglob("events.out.tfevents*"))
    out = _kgen("sample", str(run_dir), "--n", "9", "--out", str(tmp_path / "s.png"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert Image.open(tmp_path / "s.png").size == (2 * (3 * 9 + 1), 2 * (3 * 9 + 1))


def test_unknown_model_is_named(tmp_path):
    out = _kgen("train", "--model", "dcgann", "--run-dir", str(tmp_path / "r"))
    assert out.returncode != 0
    assert "unknown model 'dcgann'" in out.stderr
