#!/usr/bin/env bash
# Prepare a fresh Debian machine for vle: install ngspice from Debian when it
# is missing, then build .venv with the newest Python of 3.13, 3.12 and 3.11
# found on the machine and install vle with its development extras.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

if ! command -v ngspice >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libngspice\.so\.0'; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ngspice and libngspice0 with apt-get"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends ngspice libngspice0 >/dev/null
fi

# Headless Chromium opens the cross-check report in tests (tests/test_crosscheck_report.py).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing chromium with apt-get"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

find_python() {
  local version candidate
  for version in 3.13 3.12 3.11; do
    for candidate in "python$version" "$HOME"/.pyenv/versions/"$version".*/bin/python"$version"; do
      # pyenv shims exist for versions that are not active, so run each one.
      if "$candidate" -c 'import sys' >/dev/null 2>&1; then
        "$candidate" -c 'import sys; print(sys.executable)'
        return 0
      fi
    done
  done
  return 1
}

stamp=.venv/.vle-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  python=$(find_python) || {
    echo "setup: no Python 3.13, 3.12 or 3.11 found; install one (pyenv install 3.13) and rerun" >&2
    exit 1
  }
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $python"
    "$python" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
