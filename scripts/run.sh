#!/usr/bin/env bash
# Quick start, step 1: set everything up and run gatescope on an example. Extra arguments go to gatescope.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
if [ "$#" -eq 0 ]; then
  set -- trace bracket-counter "(a(b)c) d"
fi
exec "$ROOT/.venv/bin/gatescope" "$@"
