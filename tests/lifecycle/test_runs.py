"""A run directory has one owner, and a rerun resumes, refuses or does nothing, saying which."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kgen import cli, data, runs, training
from kgen.errors import RunDirError

ROOT = Path(__file__).resolve().parents[2]
_HOLD = ("import sys, time; from kgen.runs import RunLock; RunLock(sys.argv[1]).acquire(); "
         "print('locked', flush=True); time.sleep(120)")


def _holder(run_dir):
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(run_dir)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_locked_run_directory_is_refused_naming_the_owner_and_a_stale_lock_is_taken_over(tmp_path):
    run_dir = tmp_path / "run"
    proc = _holder(run_dir)
    try:
        with pytest.raises(RunDirError, match=rf"in use by process {proc.pid} on {socket.gethostname()}"):
            runs.RunLock(run_dir).acquire()
        code = cli.main(["train", "--tiny", "--run-dir", str(run_dir)])  # fails before loading anything
        assert code == 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with runs.RunLock(run_dir) as lock:
        assert lock.notes == [f"took over the stale lock of process {proc.pid} (no longer running) in "
                              f"{str(run_dir / '.lock')!r}"]
        assert lock.owner()["pid"] == os.getpid()
    with runs.RunLock(run_dir) as lock:  # a clean release leaves no stale record
        assert lock.notes == []


def _config(**changes):
    return {"model": "dcgan", "data": "random", "input_shape": [8, 8, 1], "batch_size": 8, "seed": 0,
            "epochs": 2, "strategy": "_DefaultDistributionStrategy", **changes}


def _train_into(run_dir, make_gan, images, epochs):
    model = make_gan()
    training.train(model, data.to_dataset(images, batch_size=8), epochs=epochs, verbose=0,
                   callbacks=runs.callbacks_for(run_dir, samples=0, tensorboard=False))
    runs.save_model(model, run_dir)


def test_rerunning_resumes_refuses_or_does_nothing(tmp_path, make_gan, images):
    run_dir = tmp_path / "run"
    with runs.open_run(run_dir, _config()) as run:
        assert run.action == "train"
        _train_into(run_dir, make_gan, images, epochs=2)
    with runs.open_run(run_dir, _config(strategy="MirroredStrategy")) as run:  # how, not what
        assert (run.action, run.message) == ("done", f"already trained 2 epochs; nothing to do ({run_dir / 'model.keras'}). "
                                                     "Pass --resume --epochs N to train further, or --overwrite.")
    with pytest.raises(RunDirError, match=r"a run of 2 epochs \(2 done\); this command asks for 3\. Pass "
                                          r"--resume to continue it to 3 epochs, --overwrite"):
        runs.open_run(run_dir, _config(epochs=3))
    with runs.open_run(run_dir, _config(epochs=3), resume=True) as run:
        assert run.message == f"resuming from epoch 3 of 3 (checkpoint {run_dir / 'checkpoints' / 'ckpt-12'})"
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 3
    for kwargs in ({}, {"resume": True}):
        with pytest.raises(RunDirError, match=r"holds a different run \(data: \"random\" -> \"digits\"; "
                                              r"seed: 0 -> 1\)\. Train into another --run-dir, or pass "
                                              r"--overwrite"):
            runs.open_run(run_dir, _config(epochs=3, seed=1, data="digits"), **kwargs)
    (run_dir / "notes.txt").write_text("mine")
    with runs.open_run(run_dir, _config(seed=1), overwrite=True) as run:
        assert run.action == "train"
    assert sorted(p.name for p in run_dir.iterdir()) == [".lock", "config.json", "notes.txt"]


def test_a_damaged_config_is_named_and_resume_rewrites_it(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text('{"model": "dcg')
    with pytest.raises(RunDirError, match=r"config.json' is not valid JSON .*pass --resume"):
        runs.open_run(run_dir, _config())
    with runs.open_run(run_dir, _config(), resume=True) as run:
        assert run.action == "train"
    assert json.loads((run_dir / "config.json").read_text())["seed"] == 0


def test_the_cli_resumes_and_refuses_in_one_line(tmp_path, capsys):
    run_dir = tmp_path / "run"
    args = ["train", "--tiny", "--image-size", "8", "--batch-size", "64", "--steps-per-epoch", "3",
            "--epochs", "1", "--run-dir", str(run_dir), "--verbose", "0"]
    assert cli.main(args) == 0
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "kgen: already trained 1 epoch; nothing to do" in capsys.readouterr().out
    assert cli.main(args + ["--seed", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"kgen: error: run directory {str(run_dir)!r} holds a different run (seed: 0 -> 1). "
                   "Train into another --run-dir, or pass --overwrite to delete it and start over "
                   "(--resume only continues the same run, to more or fewer epochs)."]
    assert cli.main(args[:-4] + ["--epochs", "2", "--run-dir", str(run_dir), "--verbose", "0", "--resume"]) == 0
    assert f"kgen: resuming from epoch 2 of 2 (checkpoint {run_dir / 'checkpoints' / 'ckpt-3'})" in \
        capsys.readouterr().out
    assert json.loads((run_dir / "history.json").read_text())["epoch"] == [1, 2]
