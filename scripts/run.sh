#!/usr/bin/env bash
# Quick start, step 1: set everything up and open gatescope. Extra arguments go to gatescope.
# Without a display (e.g. over ssh) it renders the app to gatescope-screenshot.png instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
if [ "$#" -eq 0 ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname -s)" = Linux ]; then
  echo "gatescope: no display found; rendering the app to gatescope-screenshot.png instead" >&2
  set -- gui --screenshot "$PWD/gatescope-screenshot.png" --force
fi
exec "$ROOT/.venv/bin/gatescope" "$@"
