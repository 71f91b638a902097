"""The kgen command line: help for every command, a quiet fresh process, train -> export -> sample."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kgen import cli, zoo

ROOT = Path(__file__).resolve().parents[1]
NOISE = ("oneDNN", "absl::InitializeLog", "cudart", "cuda drivers", "fully_quantize", "inference_type",
         "tf.lite.Interpreter is deprecated", "XNNPACK", "_DefaultDistributionStrategy", "Traceback")


def _kgen(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KGEN_DEBUG")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "kgen.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


def _commands():
    return cli.build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001


def test_every_command_has_help_and_every_flag_says_its_default(capsys):
    commands = _commands()
    assert {"train", "sample", "eval", "export"} <= set(commands)
    for name, parser in commands.items():
        with pytest.raises(SystemExit) as exit_info:
            cli.main([name, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert "usage: kgen " + name in text
        for action in parser._actions:  # noqa: SLF001
            if not action.option_strings or action.dest in ("help", "debug"):
                continue
            assert action.help and action.help.strip(), (name, action.dest)
            flag_only = action.nargs == 0 or isinstance(action, argparse.BooleanOptionalAction)
            if not flag_only:  # a value flag's help states its default
                shown = parser.formatter_class("kgen")._get_help_string(action)  # noqa: SLF001
                assert "default" in shown, (name, action.option_strings, shown)
    train = " ".join(cli.build_parser().parse_args(["train"]).__dict__)
    assert "batch_size" in train
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    assert "(default: 20)" in text and "(default: 64)" in text and "d_steps*B" in text


def test_list_models_prints_description_paper_and_data_kind(capsys):
    assert cli.main(["train", "--list-models"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(zoo.names())
    for line, name in zip(lines, zoo.names()):
        builder = zoo.get(name)
        assert line.startswith(name) and builder.data in line and builder.description in line
        assert "paper:" in line and (builder.paper or "none given") in line


def test_a_fresh_process_prints_one_error_line_and_no_tensorflow_banner(tmp_path):
    out = _kgen("train", "--model", "dcgann", "--run-dir", str(tmp_path / "r"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"kgen: error: unknown model 'dcgann' (--model); known models: {', '.join(zoo.names())} "
        "(see `kgen train --list-models`)."]
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_train_export_sample_in_a_fresh_process_are_quiet_and_public(tmp_path):
    out = _kgen("train", "--tiny", "--epochs", "2", "--image-size", "8", "--batch-size", "32",
                "--export", "--quantize", "float32,int8", "--verbose", "0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    run_dir = Path("runs") / "dcgan-digits"
    assert f"run directory  {run_dir}" in out.stdout
    for noise in NOISE:
        assert noise not in out.stdout + out.stderr, noise
    run_dir = tmp_path / run_dir
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "dcgan" and config["input_shape"] == [8, 8, 1] and config["epochs"] == 2
    assert config["strategy"] == "default"
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    history = json.loads((run_dir / "history.json").read_text())
    assert history["epoch"] == [1, 2] and len(history["g_loss"]) == 2
    assert any((run_dir / "logs").rglob("events.out.tfevents*"))
    assert (run_dir / "export" / "generate_int8.tflite").is_file()
    out = _kgen("sample", str(run_dir), "--n", "9", "--out", str(tmp_path / "s.png"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert Image.open(tmp_path / "s.png").size == (2 * (3 * 9 + 1), 2 * (3 * 9 + 1))
    assert "kgen sample [####################] 9/9" in out.stderr  # progress bar, no noise
    for noise in NOISE:
        assert noise not in out.stdout + out.stderr, noise
