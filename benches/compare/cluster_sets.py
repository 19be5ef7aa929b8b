#!/usr/bin/env python3
"""Labelled clustering sets besides banking77, for checking a clustering
setting on data it was not chosen on.

Writes, from ../shared/corpora, CSV files (text, label) into WORK:
- nlupp_banking: nlupp banking turns with a single intent (intents with 10+ turns);
- shopping_zh: 3,000 online_shopping_10_cats reviews (first 200 characters), label the product type;
- semeval16_ru / semeval16_en: SemEval-2016 restaurant training sentences with one category;
then embeds each whole text with the library encoder (`cluster_eval embed`)
and clusters it with `cluster_eval eval --center LANG` once per setting and
seed, printing the mean NMI per (set, setting):

    cargo build --release --examples
    python3 benches/compare/cluster_sets.py --work /tmp/cluster-sets \\
        --settings "--remove-principal 0" "--remove-principal 1"
"""
import argparse
import csv
import glob
import json
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VOCMINE_SHARED", os.path.join(ROOT, "..", "shared"))
LANG = {"nlupp_banking": "en", "shopping_zh": "zh", "semeval16_ru": "ru", "semeval16_en": "en"}


def write(work, name, rows):
    random.Random(0).shuffle(rows)
    with open(os.path.join(work, f"{name}.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    print(f"{name}: {len(rows)} texts, {len(set(l for _, l in rows))} labels", file=sys.stderr)


def make(work):
    c = os.path.join(SHARED, "corpora")
    rows = []
    for fn in sorted(glob.glob(os.path.join(c, "nlupp", "banking", "fold*.json"))):
        for r in json.load(open(fn, encoding="utf-8")):
            if len(r.get("intents", [])) == 1:
                rows.append((r["text"], r["intents"][0]))
    n = Counter(l for _, l in rows)
    write(work, "nlupp_banking", [(t, l) for t, l in rows if n[l] >= 10])
    with open(os.path.join(c, "online_shopping_10_cats", "online_shopping_10_cats.csv"), encoding="utf-8-sig") as f:
        rows = [(r["review"].strip()[:200], r["cat"]) for r in csv.DictReader(f) if r["review"].strip()]
    random.Random(1).shuffle(rows)
    write(work, "shopping_zh", rows[:3000])
    for name, path in [("semeval16_ru", "SemEval2016_Task5_RU_restaurants/train.xml"),
                       ("semeval16_en", "SemEval2016_Task5_EN_restaurants_resplit/train.xml")]:
        rows = []
        for s in ET.parse(os.path.join(c, path)).iter("sentence"):
            cats = {o.get("category") for o in s.iter("Opinion")}
            t = s.find("text").text
            if len(cats) == 1 and t:
                rows.append((t, cats.pop()))
        write(work, name, rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/cluster-sets")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "examples", "cluster_eval"))
    ap.add_argument("--settings", nargs="+", default=["--remove-principal 0", "--remove-principal 1"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    make(args.work)
    for name, lang in LANG.items():
        base = os.path.join(args.work, name)
        if not os.path.exists(base + ".npy"):
            subprocess.run([args.bin, "embed", base + ".csv", base + ".npy", base + ".labels"], check=True)
        for setting in args.settings:
            nmis, sizes = [], []
            for seed in args.seeds:
                r = subprocess.run([args.bin, "eval", base + ".npy", base + ".labels", "--center", lang,
                                    "--seed", str(seed)] + setting.split(),
                                   capture_output=True, text=True, check=True)
                j = json.loads(r.stdout.strip().splitlines()[-1])
                nmis.append(j["nmi"])
                sizes.append(j["clusters"])
            print(f"{name:>14} {setting:>24}: NMI {sum(nmis) / len(nmis):.4f} "
                  f"({' '.join(f'{x:.4f}' for x in nmis)}), clusters {sum(sizes) / len(sizes):.0f}", flush=True)


if __name__ == "__main__":
    main()
