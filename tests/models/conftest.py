"""Shared helper for the model tests that run a script in a subprocess (e.g. on 2 logical CPUs, which
must be configured before TensorFlow starts) and read back the JSON it prints after "RESULT"."""

import json
import os
import subprocess
import sys

import pytest


def run_result_script(script, timeout=600, quiet_cpu=False, stderr_tail=3000):
    """Run `python -c script`; return the JSON of its last "RESULT{...}" stdout line.

    quiet_cpu: run with TF_CPP_MIN_LOG_LEVEL=3 and no visible GPU. Fails with stderr's tail when no
    RESULT line was printed."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="") if quiet_cpu else None
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert lines, proc.stderr[-stderr_tail:]
    return json.loads(lines[-1][len("RESULT"):])


@pytest.fixture(scope="session")
def result_script():
    """run_result_script as a fixture (the suite imports test files with --import-mode=importlib)."""
    return run_result_script
