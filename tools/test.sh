#!/usr/bin/env bash
# A test loop: `bash tools/test.sh [PYTEST ARGS]`. `tools/setup.sh test` (kgen, its test extras and
# what the slow tests need), then pytest in .venv with one worker per core (at most 4). The README's
# test command (and CI's) is the same two steps with 2 workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh test

# One pytest worker per core (tests of one file stay in one worker, so module fixtures are built once):
# most tests are tiny models whose time goes to single-threaded tracing and process start-up.
# KGEN_TEST_WORKERS=0 runs everything in this process. At most 4 by default: each worker holds a
# TensorFlow runtime (1-2 GB), and a container's core count can exceed its CPU quota.
workers="${KGEN_TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}"
[ -n "${KGEN_TEST_WORKERS:-}" ] || [ "$workers" -le 4 ] || workers=4
exec .venv/bin/python -m pytest -q -n "$workers" --dist loadfile "$@"
