#!/usr/bin/env bash
# Install kgen from this repository into .venv: `bash tools/setup.sh`. On Debian/Ubuntu it first
# installs Python's venv with apt when it is missing (as root). `bash tools/setup.sh test` adds the
# test extras and provisions what the suite's slow tests need when it is missing: Debian's chromium
# (the report renders in headless Chromium), a JDK and the Kotlin compiler from npm
# (export/android/KgenGenerator.kt is compiled).
# Needs the package registries on the first run (PyPI; apt as root; npm for the test set-up).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/_provision.sh
. tools/_provision.sh
extras="${1:-}"
KOTLIN_VERSION=2.4.20
KOTLINC=.tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import ensurepip, venv" 2>/dev/null; then
  echo "setup: installing Python's venv (apt: python3-venv)"
  apt_install python3 python3-venv python3-pip \
    || { echo "setup: kgen needs Python >= 3.10 with venv (python3 -m venv); install it and rerun"; exit 1; }
fi
python3 -c "import sys; sys.exit(sys.version_info < (3, 10))" \
  || { echo "setup: kgen needs Python >= 3.10; found $(python3 -V 2>&1)"; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet ".${extras:+[$extras]}"
echo "setup: kgen installed in .venv (activate it with: . .venv/bin/activate)"
[ "$extras" = test ] || exit 0

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "setup: installing chromium (apt)"
  apt_install chromium || echo "setup: could not install chromium; the browser test will say how"
fi
if ! command -v javac >/dev/null 2>&1; then
  echo "setup: installing a JDK (apt: default-jdk-headless)"
  apt_install default-jdk-headless || echo "setup: could not install a JDK; the Kotlin test will say how"
fi
if ! command -v kotlinc >/dev/null 2>&1 && [ ! -x "$KOTLINC" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing npm (apt)"
    apt_install nodejs npm || echo "setup: could not install npm"
  fi
  echo "setup: installing the Kotlin compiler (npm: kotlin-compiler@$KOTLIN_VERSION) into .tools/kotlin"
  npm install --prefix .tools/kotlin --no-audit --no-fund --silent "kotlin-compiler@$KOTLIN_VERSION" \
    || echo "setup: could not install the Kotlin compiler; the Kotlin test will say how"
fi

