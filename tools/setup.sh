#!/usr/bin/env bash
# Install kgen from this repository into .venv: `bash tools/setup.sh` (add `test` for the test
# extras). On Debian/Ubuntu it first installs Python's venv with apt when it is missing (as root).
# Needs the package registries on the first run (PyPI; apt for python3-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/_provision.sh
. tools/_provision.sh
extras="${1:-}"

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
