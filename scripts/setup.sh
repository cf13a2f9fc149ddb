#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv; sourced by run.sh and test.sh.
# Needs only Python >= 3.11. On Debian/Ubuntu as root it installs what is missing (python3-venv, Qt's system libraries).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GATESCOPE_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"

say() { printf 'gatescope setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || return 1
  say "installing $* (apt-get)"
  as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

PYTHON=""
for candidate in "${PYTHON_FOR_GATESCOPE:-}" python3 python3.14 python3.13 python3.12 python3.11; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null || continue
  if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then PYTHON="$candidate"; break; fi
done
[ -n "$PYTHON" ] || { say "Python 3.11 or newer is needed (install it, or set PYTHON_FOR_GATESCOPE)"; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $("$PYTHON" --version)"
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    version="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    apt_install "python$version-venv" || apt_install python3-venv || {
      say "Python's venv module is missing: run 'sudo apt-get install python3-venv' and try again"; exit 1; }
    "$PYTHON" -m venv "$VENV"
  fi
fi

stamp="$VENV/.gatescope-installed$EXTRAS"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  say "installing gatescope$EXTRAS and its dependencies into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$EXTRAS"
  touch "$stamp"
fi

# Qt needs a few system libraries even headless; a bare Debian/Ubuntu may lack them.
if ! QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -c 'import PySide6.QtGui, PySide6.QtWidgets' 2>/dev/null; then
  apt_install libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core || true
  QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -c 'import PySide6.QtGui, PySide6.QtWidgets' || {
    say "Qt cannot start: install libgl1 libegl1 libxkbcommon0 libfontconfig1 (apt-get) and try again"; exit 1; }
fi
