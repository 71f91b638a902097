#!/usr/bin/env bash
# The test command: `bash tools/test.sh [PYTEST ARGS]`. Installs kgen with its test extras
# (tools/setup.sh), provisions what the suite's slow tests need when it is missing -- Debian's
# chromium (the report renders in headless Chromium), a JDK and the Kotlin compiler from npm
# (export/android/KgenGenerator.kt is compiled) -- then runs pytest in .venv.
# Needs the package registries on the first run: PyPI, Debian's apt (as root) and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/_provision.sh
. tools/_provision.sh
KOTLIN_VERSION=2.4.20
KOTLINC=.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc

bash tools/setup.sh test

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "test: installing chromium (apt)"
  apt_install chromium || echo "test: could not install chromium; the browser test will say how"
fi
if ! command -v javac >/dev/null 2>&1; then
  echo "test: installing a JDK (apt: default-jdk-headless)"
  apt_install default-jdk-headless || echo "test: could not install a JDK; the Kotlin test will say how"
fi
if ! command -v kotlinc >/dev/null 2>&1 && [ ! -x "$KOTLINC" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "test: installing npm (apt)"
    apt_install nodejs npm || echo "test: could not install npm"
  fi
  echo "test: installing the Kotlin compiler (npm: kotlin-compiler@$KOTLIN_VERSION) into .tools/kotlin"
  npm install --prefix .tools/kotlin --no-audit --no-fund --silent "kotlin-compiler@$KOTLIN_VERSION" \
    || echo "test: could not install the Kotlin compiler; the Kotlin test will say how"
fi

# One pytest worker per core (tests of one file stay in one worker, so module fixtures are built once):
# most tests are tiny models whose time goes to single-threaded tracing and process start-up.
# KGEN_TEST_WORKERS=0 runs everything in this process. At most 4 by default: each worker holds a
# TensorFlow runtime (1-2 GB), and a container's core count can exceed its CPU quota.
workers="${KGEN_TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}"
[ -n "${KGEN_TEST_WORKERS:-}" ] || [ "$workers" -le 4 ] || workers=4
exec .venv/bin/python -m pytest -q -n "$workers" --dist loadfile "$@"
