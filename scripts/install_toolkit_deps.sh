#!/usr/bin/env bash
# Installs what the toolkit hosts (loops "gtk" and "tk") need to be built and tested, where it is
# missing: GTK 3's headers (libgtk-3-dev: GLib, cairo, pango too), Tcl/Tk's (tk-dev), a C compiler
# and make for node-gyp, Xvfb (an X server for the tests' windows) and xdotool (the tests' clicks).
#
#   bash scripts/install_toolkit_deps.sh
#
# As root on a system with apt-get (CI; a fresh Debian machine) it runs apt-get; elsewhere it says
# what to install and exits 1. Nothing else of the kernel needs these: without them the kernel and
# its tests run, and `--loop gtk` / `--loop tk` say what is missing (docs/event_loop.md).
set -euo pipefail

need=()
pkg-config --exists gtk+-3.0 2>/dev/null || need+=(libgtk-3-dev)
pkg-config --exists tk 2>/dev/null || need+=(tk-dev)
if ! command -v cc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then need+=(build-essential); fi
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
[[ ${#need[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "install_toolkit_deps: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "install_toolkit_deps: missing ${need[*]}; install them, e.g.  sudo apt-get install ${need[*]}" >&2
exit 1
