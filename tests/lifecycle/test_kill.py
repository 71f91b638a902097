"""kill -9 (between steps, and inside a checkpoint write) and SIGTERM on real processes; the reruns end exactly."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from kgen import cli

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _worker_module():
    spec = importlib.util.spec_from_file_location("kgen_lifecycle_worker", HERE / "_worker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _spawn(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _cli_args(run_dir):
    return ["train", "--tiny", "--image-size", "8", "--batch-size", "64", "--epochs", "5",
            "--checkpoint-every", "5", "--run-dir", str(run_dir), "--verbose", "0"]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-6, rtol=0)


@pytest.mark.slow
def test_kill_9_and_sigterm_then_the_same_command_resumes_exactly(tmp_path, capsys):
    worker = HERE / "_worker.py"
    # 14 digits batches of 128 per epoch; checkpoints every 4 steps.
    fit_dir, loop_dir, cli_dir = tmp_path / "fit", tmp_path / "loop", tmp_path / "cli"
    procs = {
        "fit": _spawn(str(worker), str(fit_dir), "fit", "--kill-in-checkpoint", "20"),
        "loop": _spawn(str(worker), str(loop_dir), "loop", "--kill-at-step", "19"),
        "cli": _spawn("-m", "kgen.cli", *_cli_args(cli_dir)),
    }
    first_checkpoint = cli_dir / "checkpoints" / "ckpt-5.manifest.json"
    deadline = time.time() + 120
    while not first_checkpoint.exists() and procs["cli"].poll() is None and time.time() < deadline:
        time.sleep(0.02)
    procs["cli"].send_signal(signal.SIGTERM)
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        out[name] = (p.returncode, stdout, stderr)
    for name in ("fit", "loop"):
        assert out[name][0] == -signal.SIGKILL, (name, out[name][2][-2000:])
    code, stdout, stderr = out["cli"]
    assert code == 143, stderr[-3000:]
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("kgen: stopped by SIGTERM at epoch ") and "Run the same training again" in last
    assert last.endswith(f"--run-dir {cli_dir} --verbose 0")
    # The half-written checkpoint of step 20 has its files but no manifest.
    assert (fit_dir / "checkpoints" / "ckpt-20.index").exists()
    assert not (fit_dir / "checkpoints" / "ckpt-20.manifest.json").exists()

    # The same commands again (here in-process) against one uninterrupted reference
    # (fit and the strategy loop train identically: tests/test_training.py).
    w = _worker_module()
    with pytest.warns(UserWarning, match="ckpt-20"):
        resumed_fit = w.run(fit_dir, "fit")
    resumed_loop = w.run(loop_dir, "loop")
    reference = [np.asarray(v) for v in w.run(tmp_path / "ref", "fit").variables]
    _assert_same([np.asarray(v) for v in resumed_fit.variables], reference)
    _assert_same([np.asarray(v) for v in resumed_loop.variables], reference)
    # The SIGTERMed command, rerun, resumes from its mid-epoch checkpoint and finishes.
    capsys.readouterr()
    assert cli.main(_cli_args(cli_dir)) == 0
    assert "kgen: resuming from epoch " in capsys.readouterr().out
    assert json.loads((cli_dir / "history.json").read_text())["epoch"] == [1, 2, 3, 4, 5]
    assert (cli_dir / "model.keras").exists()
