"""Shared helpers for the model tests: run a script in a subprocess (e.g. on 2 logical CPUs, which must be
configured before TensorFlow starts) and read back the JSON it prints after "RESULT"; load the edge runner."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EDGE_RUNNER = Path(__file__).resolve().parents[2] / "export" / "kgen_litert.py"


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


def load_edge_runner():
    """Import export/kgen_litert.py (the TensorFlow-free edge runner) as a fresh module."""
    spec = importlib.util.spec_from_file_location("kgen_litert", EDGE_RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def edge_runner():
    """A freshly loaded edge runner module (its __file__ is export/kgen_litert.py)."""
    return load_edge_runner()
