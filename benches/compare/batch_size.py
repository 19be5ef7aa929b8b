#!/usr/bin/env python3
"""Encoder batch size: speed and whether a record's results depend on the
records beside it.

1. Dependence: the sample corpus analyzed by `vocmine.Engine(batch_size=B)`
   in one call and in calls of 70 records (as a chunk of a file or a Spark
   partition would give them); prints how many customer-clause sentiment
   labels differ.
2. Speed: the release CLI, `vocmine analyze INPUT -o /dev/null -q
   --batch-size B`, wall time and peak memory (GNU time), on the sample
   corpus and on a mixed set built here from ../shared/corpora: 700 texts
   each of waimai_10k, SentiRuEval-2015 bank/telecom tweets and banking77
   (`pipeline_throughput.corpus()`), and 400 online_shopping_10_cats reviews
   of more than 80 characters (random.seed(7)).

    python3 benches/compare/batch_size.py [--sizes 32,1] [--runs 1]

Needs the vocmine wheel installed, the default model and the release CLI.
"""
import argparse
import csv
import glob
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import pipeline_throughput as pt  # noqa: E402


def mixed(path: str) -> int:
    zh, ru, en = pt.corpus()
    random.seed(7)
    rows = []
    for xs in (zh, ru, en):
        rows.extend(random.sample(xs, 700))
    src = glob.glob(os.path.join(pt.SHARED, "corpora", "online_shopping_10_cats", "*.csv"))[0]
    with open(src, encoding="utf-8") as f:
        long = [r.get("review", "") for r in csv.DictReader(f) if len(r.get("review", "")) > 80]
    rows.extend(random.sample(long, 400))
    with open(path, "w", encoding="utf-8") as out:
        for i, t in enumerate(rows):
            out.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
    return len(rows)


def labels(out):
    return [
        c["sentiment"]["label"] if c.get("sentiment") else None
        for r in out
        for c in r.get("clauses", [])
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="32,1")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--cli", default=os.path.join(ROOT, "target", "release", "vocmine"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    import vocmine

    sample = os.path.join(ROOT, "corpora", "sample.jsonl")
    with open(sample, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    for b in sizes:
        whole = labels(vocmine.Engine(batch_size=b).analyze(records))
        engine = vocmine.Engine(batch_size=b)
        pieces = []
        for s in range(0, len(records), 70):
            pieces.extend(engine.analyze(records[s : s + 70]))
        diff = sum(x != y for x, y in zip(whole, labels(pieces)))
        print(f"batch {b}: {diff} of {len(whole)} clause labels differ between one call and calls of 70", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        mix = os.path.join(tmp, "mixed.jsonl")
        n = mixed(mix)
        for name, path in (("sample corpus (359 records)", sample), (f"mixed set ({n} records)", mix)):
            for b in sizes:
                for _ in range(args.runs):
                    r = subprocess.run(
                        ["/usr/bin/time", "-f", "%e %M", args.cli, "analyze", path, "-o", "/dev/null", "-q",
                         "--batch-size", str(b)],
                        check=True, capture_output=True, text=True,
                    )
                    secs, kb = r.stderr.strip().splitlines()[-1].split()
                    print(f"{name}, batch {b}: {float(secs):.2f} s, {int(kb) / 1e6:.2f} GB peak", flush=True)


if __name__ == "__main__":
    main()
