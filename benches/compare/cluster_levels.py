#!/usr/bin/env python3
"""Clustering short single-issue texts given as records, through the CLI.

banking77 (`../shared/corpora/banking77/train.csv`: 10,003 customer queries,
77 intents) is written as JSON Lines records, analyzed with the default model
into a store (`vocmine analyze --store`), and clustered by `vocmine cluster`
at each `--level`. A record's cluster is that of its longest clause (the
clauses of a record clustered whole share one); an outlier clause makes the
record an outlier, which counts as one more group. Scored against the intents
with NMI and ARI (numpy only), per level, on all 10,003 queries and on
random samples of 3,080 (the size of banking77's test split):

    cargo build --release
    python3 benches/compare/cluster_levels.py --work /tmp/b77-levels

Prints one line per (set, level) and writes them as JSON to WORK/levels.json.
`--reuse` keeps stores already written in WORK; `--cluster-args "--k 10"`
passes settings to every `vocmine cluster`; `--without-text-embeddings`
clusters a copy of each store without the records' whole-text embeddings
(as stores written before vocmine kept them: records clustered whole then
use the mean of their clause embeddings).
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VOCMINE_SHARED", os.path.join(ROOT, "..", "shared"))


def contingency(a, b):
    ai = {x: i for i, x in enumerate(sorted(set(a)))}
    bi = {x: i for i, x in enumerate(sorted(set(b)))}
    m = np.zeros((len(ai), len(bi)))
    for x, y in zip(a, b):
        m[ai[x], bi[y]] += 1
    return m


def nmi(a, b):
    """Normalized mutual information (arithmetic mean of the entropies)."""
    p = contingency(a, b)
    p /= p.sum()
    pa, pb = p.sum(1), p.sum(0)
    nz = p > 0
    mi = (p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum()
    h = lambda q: -(q[q > 0] * np.log(q[q > 0])).sum()
    return float(mi / ((h(pa) + h(pb)) / 2))


def ari(a, b):
    m = contingency(a, b)
    c2 = lambda x: x * (x - 1) / 2
    s, sa, sb = c2(m).sum(), c2(m.sum(1)).sum(), c2(m.sum(0)).sum()
    e = sa * sb / c2(m.sum())
    return float((s - e) / ((sa + sb) / 2 - e))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r


def score(report, analyzed, gold):
    """Record-level NMI / ARI / outlier share of a CLUSTERS.json."""
    length = {}
    for line in open(analyzed, encoding="utf-8"):
        r = json.loads(line)
        for i, c in enumerate(r.get("clauses", [])):
            length[(r["id"], i)] = c["end"] - c["start"]
    best = {}
    for a in report["assignments"]:
        n = length.get((a["id"], a["clause"]), 0)
        if a["id"] not in best or n > best[a["id"]][0]:
            best[a["id"]] = (n, a["cluster"])
    ids = sorted(gold)
    pred = [str(best[i][1]) if i in best and best[i][1] is not None else "outlier" for i in ids]
    truth = [gold[i] for i in ids]
    return {
        "records": len(ids),
        "items": report["summary"]["items"],
        "clusters": report["summary"]["clusters"],
        "outlier_records": sum(p == "outlier" for p in pred) / len(ids),
        "nmi": round(nmi(truth, pred), 4),
        "ari": round(ari(truth, pred), 4),
    }


def without_text_embeddings(store, dst):
    """A copy of `store` whose records.parquet lacks the `embedding` column."""
    import shutil

    import pyarrow.parquet as pq

    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(store, dst, ignore=shutil.ignore_patterns("clusters"))
    path = os.path.join(dst, "records.parquet")
    f = pq.ParquetFile(path)
    keep = [c for c in f.schema_arrow.names if c != "embedding"]
    w = pq.ParquetWriter(path + ".tmp", f.schema_arrow.remove(f.schema_arrow.get_field_index("embedding")),
                         compression="snappy")
    for g in range(f.num_row_groups):
        w.write_table(f.read_row_group(g, columns=keep))
    w.close()
    os.replace(path + ".tmp", path)
    return dst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/b77-levels")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "vocmine"))
    ap.add_argument("--levels", default="clause,auto,record")
    ap.add_argument("--samples", type=int, default=3, help="random 3,080-query samples (seeds 0..N-1)")
    ap.add_argument("--reuse", action="store_true", help="keep the stores already in WORK")
    ap.add_argument("--cluster-args", default="", help="extra arguments of vocmine cluster")
    ap.add_argument("--without-text-embeddings", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(SHARED, "corpora", "banking77", "train.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    records = [{"id": f"b{i}", "text": r["text"]} for i, r in enumerate(rows)]
    gold_all = {f"b{i}": r["category"] for i, r in enumerate(rows)}
    sets = [("all", records)]
    for seed in range(args.samples):
        pick = sorted(random.Random(seed).sample(range(len(records)), 3080))
        sets.append((f"s3080-{seed}", [records[i] for i in pick]))
    results = []
    for name, recs in sets:
        d = os.path.join(args.work, name)
        os.makedirs(d, exist_ok=True)
        inp, out, store = (os.path.join(d, x) for x in ("in.jsonl", "out.jsonl", "store"))
        with open(inp, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        if not (args.reuse and os.path.exists(os.path.join(store, "store.json"))):
            run([args.bin, "analyze", inp, "--store", store, "-o", out, "-q"])
        if args.without_text_embeddings:
            store = without_text_embeddings(store, os.path.join(d, "store-no-text"))
        gold = {r["id"]: gold_all[r["id"]] for r in recs}
        for level in args.levels.split(","):
            rep = os.path.join(d, f"clusters-{level}.json")
            run([args.bin, "cluster", store, "-o", rep, "--level", level, "-q",
                 "--model-dir", os.path.join(d, f"model-{level}")] + args.cluster_args.split())
            with open(rep, encoding="utf-8") as f:
                r = score(json.load(f), out, gold)
            r.update(set=name, level=level, cluster_args=args.cluster_args,
                     text_embeddings=not args.without_text_embeddings)
            results.append(r)
            print(f"{name:>10} {level:>7}: NMI {r['nmi']:.4f} ARI {r['ari']:.4f} "
                  f"clusters {r['clusters']} items {r['items']} outlier records {100 * r['outlier_records']:.2f}%",
                  flush=True)
    with open(os.path.join(args.work, "levels.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
