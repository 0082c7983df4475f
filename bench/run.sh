#!/usr/bin/env bash
# One command for the side-by-side kernel benchmark (see docs/performance.md):
#   bash bench/run.sh                      # every kernel, full run, writes bench/results/latest.json
#   bash bench/run.sh --kernels ours,floor # a subset
#   bash bench/run.sh --quick              # a smoke run
# Sets up its own peers: bench/node_modules (npm ci: deno, tslab) and bench/.venv (pip:
# jupyter_client, pyzmq, ipykernel, async-kernel). It builds nothing of the kernel itself:
# `npm run bench` at the root builds dist/ first, then calls this script.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"

if [ ! -d "$ROOT/node_modules/zeromq" ]; then
  echo "bench: $ROOT/node_modules/zeromq is missing; run 'npm ci' at the repository root first" >&2
  exit 1
fi

# npm peers, from bench/package-lock.json; redone only when the lockfile changed.
stamp="$BENCH/node_modules/.bench-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$BENCH/package-lock.json" "$stamp"; then
  echo "bench: npm ci in bench/ (deno, tslab)" >&2
  (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$BENCH/package-lock.json" "$stamp"
fi

# Python client and peers, in bench/.venv; redone only when requirements.txt changed.
PY="${PYTHON:-python3}"
vstamp="$BENCH/.venv/.bench-requirements"
if [ ! -x "$BENCH/.venv/bin/python" ] || ! cmp -s "$BENCH/requirements.txt" "$vstamp"; then
  echo "bench: creating bench/.venv (jupyter_client, pyzmq, ipykernel, async-kernel)" >&2
  [ -x "$BENCH/.venv/bin/python" ] || "$PY" -m venv "$BENCH/.venv"
  "$BENCH/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$BENCH/requirements.txt" >&2
  cp "$BENCH/requirements.txt" "$vstamp"
fi

exec "$BENCH/.venv/bin/python" "$BENCH/bench.py" "$@"
