#!/usr/bin/env python3
"""Hot issues over a big store: `vocmine cluster` fitting on every item,
`vocmine cluster --sample F` (fit on a share, place the rest through the
model), and `vocmine.spark.cluster` on local[N] with the same sample, on
one machine: seconds, peak RSS of the CLI, and how far the sampled
clusterings agree with the whole fit (adjusted Rand index and NMI of the
item → cluster maps, outliers as one group).

    python benches/compare/spark_cluster.py STORE [--sample 0.1]
        [--master local[2]] [--cli target/release/vocmine] [--out /tmp/spark-cluster]

STORE: a store with embeddings (`vocmine analyze --store`, or one made
bigger with `benches/compare/replicate_store.py SRC DST --copies K --noise
0.05`). The Spark and the CLI sampled runs must give the same report; the
script checks it (all but the timings). `--stages` first times the steps
of `vocmine.spark.cluster` one by one, and the same items made and placed
in one Python process, to show where Spark's time goes.

Needs pyspark and the vocmine wheel installed and the release CLI.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from math import comb, log


def cli_cluster(cli, store, out, model_dir, extra):
    t = time.perf_counter()
    p = subprocess.run(
        [cli, "cluster", store, "-o", out, "--model-dir", model_dir, *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    s = time.perf_counter() - t
    m = re.search(r"peak RSS (\d+) MB", p.stderr)
    with open(out, encoding="utf-8") as f:
        return json.load(f), s, int(m.group(1)) if m else None


def labels(report):
    return [(a["id"], a["clause"], a["cluster"]) for a in report["assignments"]]


def ari_nmi(a, b):
    n = len(a)
    ca, cb, joint = Counter(a), Counter(b), Counter(zip(a, b))
    index = sum(comb(v, 2) for v in joint.values())
    sa, sb = sum(comb(v, 2) for v in ca.values()), sum(comb(v, 2) for v in cb.values())
    expected = sa * sb / comb(n, 2)
    ari = (index - expected) / (0.5 * (sa + sb) - expected)
    h = lambda c: -sum(v / n * log(v / n) for v in c.values())
    mi = sum(v / n * log(v * n / (ca[x] * cb[y])) for (x, y), v in joint.items())
    nmi = 2 * mi / (h(ca) + h(cb))
    return ari, nmi


def strip(report):
    report = json.loads(json.dumps(report))
    report["summary"]["stats"].pop("seconds", None)
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store")
    ap.add_argument("--sample", type=float, default=0.1)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--cli", default="target/release/vocmine")
    ap.add_argument("--out", default="/tmp/spark-cluster")
    ap.add_argument("--no-whole", action="store_true", help="skip the fit on every item")
    ap.add_argument("--no-spark", action="store_true", help="the CLI runs only")
    ap.add_argument("--stages", action="store_true", help="time the Spark steps one by one first")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    o = lambda name: os.path.join(args.out, name)

    rows = []
    whole = None
    if not args.no_whole:
        whole, s, rss = cli_cluster(args.cli, args.store, o("whole.json"), o("whole-model"), [])
        rows.append(("vocmine cluster (fit on every item)", whole, s, rss))
    sampled, s, rss = cli_cluster(
        args.cli, args.store, o("sampled.json"), o("sampled-model"), ["--sample", str(args.sample)]
    )
    rows.append((f"vocmine cluster --sample {args.sample}", sampled, s, rss))

    if args.no_spark:
        return report(rows, whole, None, None)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import vocmine.spark as vs

    t = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "6g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    jvm_s = time.perf_counter() - t
    if args.stages:
        stages(spark, args.store, args.sample, o("stages-model"))
    t = time.perf_counter()
    sp = vs.cluster(spark, args.store, model_dir=o("spark-model"), sample=args.sample, threads=1)
    s = time.perf_counter() - t
    spark.stop()
    rows.append((f"vocmine.spark.cluster sample={args.sample} ({args.master})", sp, s, None))
    same = strip(sp) == strip(sampled)
    report(rows, whole, jvm_s, same)


def stages(spark, store, sample, out):
    """The steps of `vocmine.spark.cluster`, each run and timed apart
    (counted, or collected), and the same items made and placed in the
    driver's one Python process for comparison."""
    import pyarrow as pa
    from pyspark import StorageLevel

    import vocmine.spark as vs
    from vocmine import _vocmine

    T = time.perf_counter
    nested = vs._nested(spark, store).drop("json").persist(StorageLevel.MEMORY_AND_DISK)
    t = T()
    nested.count()
    print(f"read the store, join clauses to records: {T() - t:.1f} s")

    def run(batches):
        eng = vs._engine({"no_model": True}, pos=True)
        for b in batches:
            if b.num_rows:
                yield from pa.ipc.open_stream(
                    _vocmine.cluster_items_batch(eng._native, vs._ipc(b.schema, [b]), 384, "auto", False, sample, 42)
                )

    items = nested.mapInArrow(run, vs._ITEMS + ", sampled boolean, embedding binary").persist(
        StorageLevel.MEMORY_AND_DISK
    )
    t = T()
    items.count()
    print(f"make the items on the executors: {T() - t:.1f} s")
    t = T()
    ipc = vs._driver_ipc(items.where("sampled").drop("sampled").orderBy("row", "clause"))
    print(f"collect the sample: {T() - t:.1f} s")
    t = T()
    _vocmine.cluster_fit_items(ipc, out, json.dumps({"seed": 42}))
    print(f"fit on the driver: {T() - t:.1f} s")

    def place(batches):
        p = _vocmine.ClusterPlacer(out)
        for b in batches:
            if b.num_rows:
                yield from pa.ipc.open_stream(p.place_batch(vs._ipc(b.schema, [b])))

    placed = items.drop("sampled").mapInArrow(place, vs._ITEMS + ", cluster long, centroid_similarity float")
    placed = placed.persist(StorageLevel.MEMORY_AND_DISK)
    t = T()
    placed.count()
    print(f"place the items on the executors: {T() - t:.1f} s")
    t = T()
    ipc = vs._driver_ipc(placed.orderBy("row", "clause"))
    print(f"collect the placed items: {T() - t:.1f} s")
    t = T()
    _vocmine.cluster_report_placed(out, ipc)
    print(f"report on the driver: {T() - t:.1f} s")
    # the same in one process
    t = T()
    tab = vs._nested(spark, store).drop("json").toArrow()
    print(f"(one process) the nested records to Python: {T() - t:.1f} s")
    eng = vs._engine({"no_model": True}, pos=True)
    t = T()
    made = pa.concat_tables(
        pa.ipc.open_stream(
            _vocmine.cluster_items_batch(eng._native, vs._ipc(b.schema, [b]), 384, "auto", False, sample, 42)
        ).read_all()
        for b in tab.to_batches(max_chunksize=4096)
    )
    print(f"(one process) make the items: {T() - t:.1f} s")
    t = T()
    rest = made.drop(["sampled"])
    _vocmine.ClusterPlacer(out).place_batch(vs._ipc(rest.schema, rest.to_batches()))
    print(f"(one process) place them: {T() - t:.1f} s")


def report(rows, whole, jvm_s, same):
    if jvm_s is not None:
        print(f"\nJVM start (once per application): {jvm_s:.1f} s; Spark report == CLI --sample report: {same}")
    print()
    print("| run | items | fitted on | clusters | outliers | seconds | peak RSS (CLI) | ARI / NMI vs whole fit |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, r, s, rss in rows:
        su = r["summary"]
        agree = ""
        if whole is not None and r is not whole:
            a, b = [x[2] for x in labels(whole)], [x[2] for x in labels(r)]
            agree = "%.3f / %.3f" % ari_nmi(a, b)
        print(
            f"| {name} | {su['items']:,} | {su['stats']['items']:,} | {su['clusters']} | "
            f"{100 * su['outlier_share']:.1f}% | {s:.1f} | {'' if rss is None else f'{rss:,} MB'} | {agree} |"
        )
    if same is False:
        sys.exit("the Spark report differs from the CLI's")


if __name__ == "__main__":
    main()
