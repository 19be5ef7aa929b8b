#!/usr/bin/env bash
# Runs every vocmine subcommand on the sample corpus and writes what each one
# outputs (files and stdout) into OUTDIR, with run-dependent values (seconds,
# rates, memory) removed, so that two builds can be compared byte for byte:
#
#   scripts/golden.sh BIN OUTDIR [--no-model]
#   diff -r OUTDIR_BEFORE OUTDIR_AFTER
#
# The redesign of issue 15 keeps every output byte-identical: build the old
# commit, run this into one folder, build the new one, run it into another,
# `diff -r`. `--no-model` runs only what needs no encoder; tests/golden_outputs.rs
# runs that part on every `cargo test` against the hashes in
# tests/data/golden-no-model.txt (VOCMINE_BLESS=1 rewrites them).
set -euo pipefail
BIN=$(realpath "$1")
OUT=$(realpath -m "$2")
MODEL=1
[[ "${3:-}" == "--no-model" ]] && MODEL=0
cd "$(dirname "$0")/.."
rm -rf "$OUT"
mkdir -p "$OUT"
SAMPLE=corpora/sample.jsonl
CB=corpora/codebooks
NM=(--no-model)
[[ $MODEL == 1 ]] && NM=()

# Removes run-dependent values: JSON keys with timings or memory, "N s",
# "N records/s", "N MB" in text, and the output folder's path.
clean() {
  GOLDEN_OUT="$OUT" python3 - "$@" <<'EOF'
import json, os, re, sys
OUT = os.environ["GOLDEN_OUT"]
DROP = {"seconds", "records_per_second", "peak_rss_mb", "elapsed_s", "fit_seconds", "wall_s"}
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in DROP and not k.endswith("_seconds")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read().replace(OUT, "<OUT>")
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if obj is not None and path.endswith(".json"):
        text = json.dumps(strip(obj), ensure_ascii=False, indent=1) + "\n"
    else:
        text = re.sub(r"\d+(\.\d+)? ?(s|ms|[a-z]+/s|MB)\b", "<T>", text)
    open(path, "w", encoding="utf-8").write(text)
EOF
}

run() { # name, args...: stdout and stderr to OUT/name.stdout, OUT/name.stderr
  local name=$1
  shift
  "$BIN" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr"
  clean "$OUT/$name.stdout" "$OUT/$name.stderr"
}

# analyze: codes, points, alerts, store, summary
run analyze analyze "$SAMPLE" "${NM[@]}" --codebook $CB/automotive.yaml --store "$OUT/store" \
  --alerts corpora/alerts.yaml -o "$OUT/analyzed.jsonl" --summary-json "$OUT/summary.json"
clean "$OUT/summary.json"
run analyze-tokens analyze "$SAMPLE" "${NM[@]}" --tokens --pos -o "$OUT/tokens.jsonl" -q
# reclassify with another codebook, compact and full, with a diff
run reclassify reclassify --store "$OUT/store" --codebook $CB/ecommerce.yaml "${NM[@]}" \
  -o "$OUT/reclassified.jsonl" --diff $CB/automotive.yaml
run reclassify-full reclassify --store "$OUT/store" --codebook $CB/airline.yaml "${NM[@]}" \
  -o "$OUT/reclassified-full.jsonl" --full -q
# analytics
run metrics metrics "$OUT/analyzed.jsonl" --by channel,touchpoint,period --period week --drivers \
  --top 10 --json "$OUT/metrics.json"
clean "$OUT/metrics.json"
run compare compare "$OUT/analyzed.jsonl" --before 2026-08-03..2026-09-20 \
  --after 2026-09-21..2026-10-31 --top 12 --json "$OUT/compare.json"
clean "$OUT/compare.json"
run keywords keywords "$SAMPLE" --top 10 --json "$OUT/keywords.json"
clean "$OUT/keywords.json"
run schema schema
for cb in $CB/*.yaml $CB/zeroshot/*.yaml; do
  name=$(basename "$cb" .yaml)
  run "check-$name" codebook check "$cb" --yaml "$OUT/check-$name.yaml"
done
# eval against a small project-written gold
cat > "$OUT/gold.jsonl" <<'EOF'
{"id": 1, "text": "充电桩坏了两个，排队等了四十分钟", "codes": [{"code": "product.energy.charging", "point": "pain"}]}
{"id": 2, "text": "The salesman was friendly and the delivery was on time.", "codes": [{"code": "sales.staff", "point": "delight"}]}
{"id": 3, "text": "Машина отличная, но шумоизоляция слабая.", "codes": [{"code": "product.nvh.wind_road", "point": "pain"}]}
{"id": 4, "text": "希望车机能加一个语音导航", "codes": [{"code": "product.infotainment.system", "point": "itch"}]}
EOF
run eval eval --codebook $CB/automotive.yaml --gold "$OUT/gold.jsonl" "${NM[@]}" --json "$OUT/eval.json"
clean "$OUT/eval.json"

if [[ $MODEL == 1 ]]; then
  run embed embed "$SAMPLE" -o "$OUT/embeddings.npy"
  run cluster cluster "$OUT/store" --codebook $CB/automotive.yaml -o "$OUT/clusters.json" \
    --model-dir "$OUT/clusters" -q
  clean "$OUT/clusters.json" "$OUT/clusters/clusters.model.json"
  run draft codebook draft "$OUT/store" -o "$OUT/draft.yaml" -q
  run review codebook review --codebook $CB/automotive.yaml --store "$OUT/store" \
    -o "$OUT/review.csv" --size 50 -q
fi
echo "golden outputs in $OUT" >&2
