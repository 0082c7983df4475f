#!/usr/bin/env bash
# The browser suite: JupyterLab (pip, in the harness venv) driven through Debian's chromium with
# playwright-core, on the BUILT kernel (dist/cli/main.js).
#
#   bash test/e2e/run.sh [extra vitest args]
#
# Installs what it needs when missing: the harness venv (pyproject-test-harness/venv.sh, which
# holds the pinned jupyterlab) and chromium (apt-get install -y chromium, when running as root on
# a system with apt-get; otherwise it stops with what to install). TS_ASYNC_E2E_CHROMIUM names
# another chromium binary. Works non-interactively (CI=true, no stdin).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CHROMIUM="${TS_ASYNC_E2E_CHROMIUM:-/usr/bin/chromium}"

if [[ ! -f "$REPO/dist/cli/main.js" ]]; then
  echo "e2e: $REPO/dist/cli/main.js not found: build the kernel first (npm run build)." >&2
  exit 2
fi

if [[ ! -x "$CHROMIUM" ]]; then
  if [[ -z "${TS_ASYNC_E2E_CHROMIUM:-}" ]] && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "e2e: installing chromium (apt-get install -y chromium)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq chromium >/dev/null
  fi
  if [[ ! -x "$CHROMIUM" ]]; then
    cat >&2 <<MSG
e2e: no chromium at $CHROMIUM. The browser suite drives Debian's chromium (Playwright's own
browser downloads are not used). Install it, e.g.  sudo apt-get install -y chromium
(Debian/Ubuntu), or point TS_ASYNC_E2E_CHROMIUM at a Chromium/Chrome binary.
MSG
    exit 2
  fi
fi

bash "$REPO/pyproject-test-harness/venv.sh"

cd "$REPO"
exec npx --no-install vitest run --config test/e2e/vitest.config.ts "$@" </dev/null
