#!/usr/bin/env bash
# Runs the Python test harness against the BUILT kernel (dist/cli/main.js).
#
#   bash pyproject-test-harness/run.sh [extra pytest args]
#
# Creates pyproject-test-harness/.venv on first use (or when pyproject.toml changed), installs
# the dependencies listed in pyproject.toml from PyPI, then runs pytest and exits with its code.
# Works non-interactively (CI=true, no stdin). The root `npm test` builds the kernel first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"

if [[ ! -f "$REPO/dist/cli/main.js" ]]; then
  echo "run.sh: $REPO/dist/cli/main.js not found: build the kernel first (npm run build)." >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "run.sh: node is not on PATH (Node.js >= 20 is required)." >&2
  exit 2
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "run.sh: $PYTHON not found (Python >= 3.9 with the venv module is required)." >&2
  exit 2
fi

# The stamp records what the venv was built from; any change re-installs.
stamp_of() {
  {
    "$PYTHON" -c 'import sys; print(sys.version)'
    cat "$HERE/pyproject.toml"
  } | sha256sum | cut -d' ' -f1
}
STAMP_FILE="$VENV/.harness-deps-stamp"
WANT_STAMP="$(stamp_of)"

if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$STAMP_FILE" 2>/dev/null || true)" != "$WANT_STAMP" ]]; then
  if [[ ! -x "$VENV/bin/python" ]]; then
    echo "run.sh: creating $VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
      echo "run.sh: '$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)." >&2
      rm -rf "$VENV"
      exit 2
    fi
  fi
  echo "run.sh: installing harness dependencies into $VENV"
  # Dependencies are read from pyproject.toml's [project].dependencies.
  mapfile -t DEPS < <("$VENV/bin/python" - "$HERE/pyproject.toml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    import tomllib
    deps = tomllib.loads(text)["project"]["dependencies"]
except ImportError:  # Python < 3.11
    block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.S | re.M).group(1)
    deps = re.findall(r'"([^"]+)"', block)
print("\n".join(deps))
PY
)
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --upgrade "${DEPS[@]}"
  echo "$WANT_STAMP" > "$STAMP_FILE"
fi

cd "$HERE"
export PYTHONDONTWRITEBYTECODE=1
export PYTHONUNBUFFERED=1
set +e
"$VENV/bin/python" -m pytest -p no:cacheprovider -q -rfEsxXp --durations=8 "$@" </dev/null
rc=$?
set -e
exit "$rc"
