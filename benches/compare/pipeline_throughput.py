#!/usr/bin/env python3
"""Whole `vocmine analyze --no-model` pipeline throughput on short records.

Builds a JSON Lines file of short customer texts from ../shared/corpora
(waimai_10k reviews, SentiRuEval-2015 bank/telecom tweets, banking77
queries: zh, ru, en in equal parts), repeated up to --records, in a
temporary directory, then times the release binary at 1 and 2 threads and
reports records/s and peak memory (from the run summary).

    python3 benches/compare/pipeline_throughput.py [--records 200000]
"""
import argparse
import csv
import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VOCMINE_SHARED", os.path.join(ROOT, "..", "shared"))


def corpus():
    c = os.path.join(SHARED, "corpora")
    with open(os.path.join(c, "waimai_10k/waimai_10k.csv"), encoding="utf-8") as f:
        zh = [r["review"].strip() for r in csv.DictReader(f)]
    ru = []
    for sub in ("banks", "telecoms"):
        data = open(os.path.join(c, f"SentiRuEval2015_banks_telecom_tweets/{sub}/train.xml"), encoding="utf-8").read()
        ru += [m for m in re.findall(r'<column name="text">([^<]*)</column>', data)]
    with open(os.path.join(c, "banking77/train.csv"), encoding="utf-8") as f:
        en = [r["text"].strip() for r in csv.DictReader(f)]
    return [t for t in zh if t], [t for t in ru if t], [t for t in en if t]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--keep", help="write the input here instead of a temporary file")
    args = ap.parse_args()
    zh, ru, en = corpus()
    subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    binary = os.path.join(ROOT, "target/release/vocmine")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "short.jsonl")
        chars = 0
        with open(path, "w", encoding="utf-8") as f:
            for i in range(args.records):
                pool = (zh, ru, en)[i % 3]
                t = pool[(i // 3) % len(pool)]
                chars += len(t)
                f.write(json.dumps({"id": i, "text": t, "channel": "app_review"}, ensure_ascii=False) + "\n")
        size = os.path.getsize(path)
        print(f"input: {args.records} records, {size / 1e6:.1f} MB, {chars / args.records:.1f} chars/record on average")
        for threads in (1, 2):
            summary = os.path.join(tmp, "summary.json")
            subprocess.check_call([binary, "analyze", path, "--no-model", "--threads", str(threads), "-q",
                                   "-o", os.path.join(tmp, "out.jsonl"), "--summary-json", summary])
            s = json.load(open(summary))
            print(f"threads={threads}: {s['seconds']:.2f} s, {s['records_per_second']:.0f} records/s, "
                  f"peak memory {s['peak_rss_mb']:.0f} MB, errors {sum(s['errors'].values())}")


if __name__ == "__main__":
    main()
