#!/usr/bin/env bash
# `make test`'s first step: build the Rasa environment (scripts/rasa-env.sh)
# and train the tests' assistants (scripts/rasa-train.sh) in the background,
# so that the minutes this takes on a fresh machine overlap ruff and the rest
# of the suite. The Rasa tests run last; their fixtures (tests/rasa_server.py)
# call the same scripts, which wait for this work through its locks and find
# it done (or do it again, and fail with the log, if it failed here).
#
#   scripts/rasa-prepare.sh        start in the background and return at once
#   scripts/rasa-prepare.sh --now  do it in the foreground
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TSUNAGU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tsunagu}"
mkdir -p "$CACHE"

if [ "${1:-}" != "--now" ]; then
  nohup setsid bash "${BASH_SOURCE[0]}" --now >"$CACHE/rasa-prepare.log" 2>&1 </dev/null &
  echo "Rasa: building and training in the background (log: $CACHE/rasa-prepare.log)"
  exit 0
fi

cd "$ROOT"
started=$(date +%s)
bash scripts/rasa-env.sh
bash scripts/rasa-train.sh tests/rasa/assistant
bash scripts/rasa-train.sh tests/rasa/nlu training_data
echo "Rasa ready in $(( $(date +%s) - started )) s"
