#!/usr/bin/env bash
# Runs the Python test harness against the BUILT kernel (dist/cli/main.js).
#
#   bash pyproject-test-harness/run.sh [extra pytest args]
#
# Makes pyproject-test-harness/.venv with the dependencies in pyproject.toml (venv.sh), then runs
# pytest and exits with its code.
# Works non-interactively (CI=true, no stdin). The root `npm test` builds the kernel first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
VENV="$HERE/.venv"

if [[ ! -f "$REPO/dist/cli/main.js" ]]; then
  echo "run.sh: $REPO/dist/cli/main.js not found: build the kernel first (npm run build)." >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "run.sh: node is not on PATH (Node.js >= 20 is required)." >&2
  exit 2
fi
bash "$HERE/venv.sh"

cd "$HERE"
export PYTHONDONTWRITEBYTECODE=1
export PYTHONUNBUFFERED=1
set +e
"$VENV/bin/python" -m pytest -p no:cacheprovider -q -rfEsxXp --durations=8 "$@" </dev/null
rc=$?
set -e
exit "$rc"
