#!/usr/bin/env bash
# Train a Rasa project with the environment of scripts/rasa-env.sh, cached by
# the hash of its files outside the checkout, and print the model's path.
#
#   scripts/rasa-train.sh PROJECT [NLU_DATA]
#
# PROJECT holds config.yml and, for a whole assistant, domain.yml and data/
# (`rasa train`); without domain.yml it is an NLU-only project trained on
# NLU_DATA (`rasa train nlu`; default PROJECT/data). The model is
# $TSUNAGU_CACHE_DIR/rasa-models/<name>-<hash>.tar.gz, where the hash covers
# the Rasa version and every YAML file used: changing the assistant trains a
# new one, anything else reuses it. One training per model at a time (flock);
# the file appears only when training succeeded (written aside, then renamed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 PROJECT [NLU_DATA]" >&2; exit 2; }
PROJECT="$(cd "$1" && pwd)"
DATA="$(cd "${2:-$PROJECT/data}" && pwd)"
RASA="$(bash "$ROOT/scripts/rasa-env.sh")"
CACHE="${TSUNAGU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tsunagu}"
MODELS="$CACHE/rasa-models"
mkdir -p "$MODELS"

key="$({
  sed -n 's/^rasa==//p' "$ROOT/scripts/rasa-constraints.txt"
  (cd "$PROJECT" && find . -maxdepth 1 -type f -name '*.yml' | LC_ALL=C sort | xargs sha256sum)
  (cd "$DATA" && find . -type f \( -name '*.yml' -o -name '*.yaml' \) | LC_ALL=C sort \
    | xargs sha256sum)
} | sha256sum | cut -c1-16)"
NAME="$(basename "$PROJECT")-$key"
MODEL="$MODELS/$NAME.tar.gz"

exec 9>"$MODELS/$NAME.lock"
flock 9
if [ ! -f "$MODEL" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  started=$(date +%s)
  # Rasa keeps a training cache and telemetry state in the working directory
  # and home: keep both out of the checkout, and send no telemetry.
  if [ -f "$PROJECT/domain.yml" ]; then
    what=(train --config "$PROJECT/config.yml" --domain "$PROJECT/domain.yml" --data "$DATA")
  else
    what=(train nlu --config "$PROJECT/config.yml" --nlu "$DATA")
  fi
  if ! (cd "$work" && RASA_TELEMETRY_ENABLED=false RASA_MAX_CACHE_SIZE=0 \
        TF_CPP_MIN_LOG_LEVEL=2 "$RASA" "${what[@]}" --out "$work/out" \
        --fixed-model-name "$NAME") >"$work/train.log" 2>&1; then
    echo "training $PROJECT with Rasa failed; the end of its log:" >&2
    tail -n 30 "$work/train.log" >&2
    exit 1
  fi
  mv "$work/out/$NAME.tar.gz" "$MODEL.tmp"
  mv "$MODEL.tmp" "$MODEL"
  echo "trained $MODEL in $(( $(date +%s) - started )) s" >&2
fi
echo "$MODEL"
