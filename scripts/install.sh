#!/usr/bin/env bash
# Installs everything HALO needs into .venv: Debian packages the engines and tests use (libgl1 and
# libglib2.0-0 for the OpenCV wheel PySceneDetect depends on; chromium and chromium-driver for
# halo-serve's browser tests, driven by Selenium without downloading a driver), torch pinned
# to its CPU build first (an unpinned torch would pull gigabytes of CUDA), then the core, every
# plugin in plugins/ and the example plugin, editable, with the extras their tests exercise.
# Every version comes from constraints.txt, the lock `make lock` (scripts/lock.sh) writes, so a fresh
# machine installs exactly what CI tested.
# Idempotent: the Makefile runs it only when a pyproject, the lock or this script changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV=.venv
PIP="$VENV/bin/python -m pip"
APT_PACKAGES=(redis-server ffmpeg espeak-ng fonts-dejavu-core libgl1 libglib2.0-0 openssl chromium chromium-driver)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install: Debian packages ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
$PIP install -q -c constraints.txt --upgrade pip
torch_version=$($PIP show torch 2>/dev/null | sed -n 's/^Version: //p' || true)  # none yet: empty
if [[ "$torch_version" != 2.13.0* ]]; then
  echo "install: torch 2.13.0 (CPU build)"
  $PIP install -q torch==2.13.0
fi

editables=(-e ".[test]")
for plugin in plugins/*/ examples/*/; do
  # Each distribution's `test` extra holds every optional engine its tests exercise.
  [ -f "$plugin/pyproject.toml" ] && editables+=(-e "${plugin%/}[test]")
done
echo "install: halo-core, plugins and test tools into $VENV"
$PIP install -q -c constraints.txt "${editables[@]}"

# Everything after this point depends on torch staying the CPU build: fail loudly if it moved.
$VENV/bin/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith('2.13.0+cpu') else f'torch was replaced: {v}')"
echo "install: done ($($VENV/bin/halo --version 2>/dev/null || echo halo))"
