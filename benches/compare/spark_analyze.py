#!/usr/bin/env python3
"""vocmine on Spark against the CLI on the same machine: records/s and
records/s per core of `vocmine.spark.analyze` + `write_store` (local[N]) and
of `vocmine analyze --store`, on the same input, so that a user can size a
cluster (the per-core figure is what one executor core gives).

    python benches/compare/spark_analyze.py [--input corpora/sample.jsonl]
        [--copies 4] [--master local[2]] [--codebook corpora/codebooks/automotive.yaml]
        [--cli target/release/vocmine] [--out /tmp/spark-bench]

`--copies K` repeats the input K times with distinct ids and texts made
unique per copy (a copy number appended to each text, so that the
encoder's cache of repeated texts does not flatter the later copies).
Both sides write a store with embeddings (the encoder runs on every
customer clause). The Spark side runs one engine thread per task
(`threads=1`, N tasks at once): the cores are the master's N. The JVM's
start is timed apart (it is paid once per application).

Needs pyspark and the vocmine wheel installed, the default model
(`python3 models/setup.py`) and the release CLI (`cargo build --release`).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def replicate(src: str, dst: str, copies: int) -> int:
    n = 0
    with open(src, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    with open(dst, "w", encoding="utf-8") as out:
        for k in range(copies):
            for r in rows:
                r = json.loads(json.dumps(r))
                r["id"] = f"{r.get('id', n)}#{k}"
                if k:
                    if isinstance(r.get("text"), str):
                        r["text"] = f"{r['text']} #{k}"
                    for t in r.get("turns") or []:
                        if isinstance(t, dict) and isinstance(t.get("text"), str):
                            t["text"] = f"{t['text']} #{k}"
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
                n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", default="corpora/sample.jsonl")
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--codebook", default="corpora/codebooks/automotive.yaml")
    ap.add_argument("--cli", default="target/release/vocmine")
    ap.add_argument("--out", default="/tmp/spark-bench")
    ap.add_argument("--partitions", type=int, default=0, help="input partitions (default: 4 per core)")
    args = ap.parse_args()
    cores = int(args.master[len("local["):-1]) if args.master.startswith("local[") else os.cpu_count()

    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    data = os.path.join(args.out, "input.jsonl")
    n = replicate(args.input, data, args.copies)
    print(f"input: {n} records ({args.copies} copies of {args.input}); master {args.master}", flush=True)

    t = time.perf_counter()
    subprocess.run(
        [args.cli, "analyze", data, "--codebook", args.codebook, "--threads", str(cores),
         "--store", os.path.join(args.out, "cli-store"), "-o", os.path.join(args.out, "cli.jsonl"), "-q"],
        check=True,
    )
    cli_s = time.perf_counter() - t

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import vocmine.spark as vs

    t = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    jvm_s = time.perf_counter() - t
    parts = args.partitions or 4 * cores
    # the input file cut into about `parts` byte ranges (keeps row order)
    size = os.path.getsize(data)
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(max(size // parts + 1, 4096)))
    t = time.perf_counter()
    df = spark.read.text(data)
    nparts = df.rdd.getNumPartitions()
    out = vs.analyze(df, json="value", codebook=args.codebook, threads=1)
    vs.write_store(out, os.path.join(args.out, "spark-store"), codebook=args.codebook)
    spark_s = time.perf_counter() - t
    got = spark.read.parquet(os.path.join(args.out, "spark-store", "records.parquet")).count()
    spark.stop()
    assert got == n, (got, n)

    rows = [
        ("vocmine analyze --store (CLI)", cli_s, cores),
        (f"vocmine.spark analyze + write_store ({args.master}, {nparts} partitions)", spark_s, cores),
    ]
    print(f"\nJVM start (once per application): {jvm_s:.1f} s\n")
    print(f"| run | records | seconds | records/s | records/s per core |")
    print(f"|---|---:|---:|---:|---:|")
    for name, s, c in rows:
        print(f"| {name} | {n:,} | {s:.1f} | {n / s:,.0f} | {n / s / c:,.0f} |")


if __name__ == "__main__":
    main()
