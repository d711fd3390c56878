#!/usr/bin/env bash
# Writes constraints.txt, the lock every install uses: every distribution's exact version, as
# resolved today into a scratch virtualenv (torch first, pinned to its CPU build, as install.sh
# does). Run it (`make lock`) after changing a dependency in any pyproject.toml, then run
# `make test` and commit constraints.txt with the change.
#
#   make lock                 # keep every locked version that still fits; resolve only what is new
#   UPGRADE=1 make lock       # resolve everything afresh (newest versions that fit)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

"$PYTHON" -m venv "$SCRATCH/venv"
PIP="$SCRATCH/venv/bin/python -m pip"
$PIP install -q --upgrade pip
$PIP install -q torch==2.13.0

editables=(-e ".[test]")
for plugin in plugins/*/ examples/*/; do
  [ -f "$plugin/pyproject.toml" ] && editables+=(-e "${plugin%/}[test]")
done
if [[ "${UPGRADE:-}" == 1 || ! -s constraints.txt ]]; then
  echo "torch==2.13.0+cpu" > "$SCRATCH/seed.txt"
else
  cp constraints.txt "$SCRATCH/seed.txt"
fi
# A locked version that no longer fits a changed pyproject makes pip fail: then use UPGRADE=1.
$PIP install -q -c "$SCRATCH/seed.txt" "${editables[@]}"

{
  echo "# The lock: every version a fresh install gets. Made by scripts/lock.sh (\`make lock\`);"
  echo "# do not edit by hand. scripts/install.sh installs with -c constraints.txt."
  $PIP freeze --all --exclude-editable | LC_ALL=C sort -f
} > constraints.txt.new
grep -q '^torch==2.13.0+cpu$' constraints.txt.new || { echo "lock: torch is not the CPU build" >&2; exit 1; }
mv constraints.txt.new constraints.txt
echo "lock: $(grep -c '==' constraints.txt) pinned distributions in constraints.txt"
