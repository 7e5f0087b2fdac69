#!/usr/bin/env bash
# Build Rasa Open Source in its own Python 3.10 virtual environment, cached
# outside the checkout, and print the path of its `rasa` command.
#
#   scripts/rasa-env.sh         build if needed (waits for a build under way), print the path
#   scripts/rasa-env.sh --path  print the path without building
#
# Rasa 3.6 needs Python < 3.11 and pins old aiohttp/SQLAlchemy/TensorFlow, so
# it cannot live in the project's own environment. Every package is pinned by
# scripts/rasa-constraints.txt (no resolver backtracking, the same build on
# every machine). The environment counts as built only once its stamp (the
# hash of the constraints) is written after a successful install and import
# check: a half-built one is removed and built again. One build at a time
# (flock); a second caller waits for the first and then finds the stamp.
#
# Settings: TSUNAGU_CACHE_DIR (default ~/.cache/tsunagu), RASA_PYTHON (a
# Python 3.10 interpreter; default pyenv's 3.10, else python3.10 on PATH).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONSTRAINTS="$ROOT/scripts/rasa-constraints.txt"
RASA_VERSION="$(sed -n 's/^rasa==//p' "$CONSTRAINTS")"
CACHE="${TSUNAGU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tsunagu}"
ENV_DIR="$CACHE/rasa-$RASA_VERSION"
STAMP="$ENV_DIR/.tsunagu-built"
LOG="$CACHE/rasa-$RASA_VERSION.log"
LOCK="$CACHE/rasa-$RASA_VERSION.lock"
UV_VERSION=0.13.8
WANT="$( (cat "$CONSTRAINTS"; echo "uv==$UV_VERSION") | sha256sum | cut -c1-16)"

built() { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$ENV_DIR/bin/rasa" ]; }

find_python() {
  if [ -n "${RASA_PYTHON:-}" ]; then echo "$RASA_PYTHON"; return; fi
  local candidate
  for candidate in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 "$(command -v python3.10 || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  echo "no Python 3.10 for Rasa: install it with pyenv (pyenv install 3.10) or set RASA_PYTHON" >&2
  return 1
}

build() {
  local python started
  python="$(find_python)"
  started=$(date +%s)
  echo "building Rasa $RASA_VERSION in $ENV_DIR with $python ($(date -u +%FT%TZ))"
  rm -rf "$ENV_DIR"
  "$python" -m venv "$ENV_DIR"
  # uv installs the ~150 wheels in parallel: about 40 s from scratch where
  # pip took 3-6 minutes. Every package is pinned, so nothing is resolved.
  "$ENV_DIR/bin/pip" install --quiet --no-input "uv==$UV_VERSION"
  "$ENV_DIR/bin/uv" pip install --python "$ENV_DIR/bin/python" --no-deps --compile-bytecode \
    -r "$CONSTRAINTS"
  "$ENV_DIR/bin/python" -c "import rasa, tensorflow"
  "$ENV_DIR/bin/rasa" --version
  echo "$WANT" >"$STAMP"
  echo "built in $(( $(date +%s) - started )) s"
}

case "${1:-}" in
  --path)
    echo "$ENV_DIR/bin/rasa"
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: $0 [--path]" >&2
    exit 2
    ;;
esac

mkdir -p "$CACHE"
exec 9>"$LOCK"
flock 9
if ! built; then
  if ! build >"$LOG" 2>&1; then
    echo "building Rasa $RASA_VERSION failed; the end of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    rm -f "$STAMP"
    exit 1
  fi
fi
echo "$ENV_DIR/bin/rasa"
