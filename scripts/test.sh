#!/usr/bin/env bash
# `npm test`: every test, in order (README "Run every test"; CI runs `npm ci && npm test`).
# The toolkit hosts (loops gtk and tk) need GTK 3's and Tk's headers, Xvfb and xdotool:
# scripts/install_toolkit_deps.sh installs them where this runs as root with apt-get (CI, a fresh
# Debian machine). Where they are there, the hosts' tests are required (a host that does not build
# or run fails, TS_ASYNC_KERNEL_REQUIRE_GTK/TK=1); elsewhere those tests are skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run lint
if bash scripts/install_toolkit_deps.sh; then
  export TS_ASYNC_KERNEL_REQUIRE_GTK=1 TS_ASYNC_KERNEL_REQUIRE_TK=1
fi
npm run build
npm run test:unit
npm run test:harness
npm run test:e2e
