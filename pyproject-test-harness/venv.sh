#!/usr/bin/env bash
# Makes sure pyproject-test-harness/.venv exists and holds pyproject.toml's dependencies.
#
#   bash pyproject-test-harness/venv.sh        (prints nothing on stdout; progress on stderr)
#
# Creates the venv on first use, re-installs when pyproject.toml or the Python changed. Used by
# run.sh (the pytest harness) and by test/e2e/run.sh (JupyterLab for the browser suite).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "venv.sh: $PYTHON not found (Python >= 3.9 with the venv module is required)." >&2
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

if [[ -x "$VENV/bin/python" ]] && [[ "$(cat "$STAMP_FILE" 2>/dev/null || true)" == "$WANT_STAMP" ]]; then
  exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "venv.sh: creating $VENV" >&2
  if ! "$PYTHON" -m venv "$VENV"; then
    echo "venv.sh: '$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)." >&2
    rm -rf "$VENV"
    exit 2
  fi
fi
echo "venv.sh: installing harness dependencies into $VENV" >&2
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
"$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
"$VENV/bin/python" -m pip install --quiet --upgrade "${DEPS[@]}" >&2
echo "$WANT_STAMP" > "$STAMP_FILE"
