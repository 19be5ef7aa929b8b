#!/usr/bin/env python3
"""End-to-end `vocmine reclassify` throughput over a large store.

Writes the store of corpora/sample.jsonl with the release binary

    vocmine analyze corpora/sample.jsonl --codebook corpora/codebooks/automotive.yaml --store DIR -o /dev/null

(with the neural model when models/multilingual-e5-small exists, so that the
store holds float32[384] embeddings and sentiment; `--stores nomodel` or
`--no-model` writes a store without them) and replicates it --copies times
(default 100: 35,900 records, 244,300 clauses) with unique ids by
benches/compare/replicate_store.py (pyarrow); `--analyze-all` instead
replicates the input and analyzes all of it (with the encoder: half an hour
on two cores). Then times

    vocmine reclassify --store DIR --codebook CB -o /dev/null [options]

for a codebook with rules only (ecommerce.yaml with --no-model: no
exemplars), rules + exemplars (ecommerce.yaml), and rules + exemplars +
learned classifiers (restaurant.yaml with restaurant.learned.json), and the
latter with `--threads 1`, `--full` and `--diff automotive.yaml`. The
exemplar embeddings come from the embedding cache (filled by a first run,
not timed). For every run it reports the clauses/s of the run summary
(stderr: "... N clauses · S s · X clauses/s"), the process wall time (start
to exit: the end-to-end figure) with its clauses/s, and the peak RSS
(/usr/bin/time -v, else getrusage of the children).

    python3 benches/compare/reclassify_throughput.py [--copies 100] [--repeat 3]
        [--stores model,nomodel] [--no-model] [--analyze-all] [--skip-build] [--keep DIR]

The target (corpus-scale issue) is >= 200,000 clauses/s end to end on the
2-core machine.
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(ROOT, "target/release/vocmine")
SAMPLE = os.path.join(ROOT, "corpora/sample.jsonl")
AUTOMOTIVE = os.path.join(ROOT, "corpora/codebooks/automotive.yaml")
ECOMMERCE = os.path.join(ROOT, "corpora/codebooks/ecommerce.yaml")
RESTAURANT = os.path.join(ROOT, "corpora/codebooks/restaurant.yaml")
REPLICATE = os.path.join(ROOT, "benches/compare/replicate_store.py")
MODEL = os.path.join(ROOT, "models/multilingual-e5-small/model.onnx")
TARGET = 200_000

SUMMARY = re.compile(r"(\d+) records · (\d+) clauses · ([\d.]+) s · (\d+) clauses/s")
GNU_TIME = "/usr/bin/time"


def have_gnu_time():
    if not os.path.exists(GNU_TIME):
        return False
    r = subprocess.run([GNU_TIME, "-v", "true"], capture_output=True, text=True)
    return r.returncode == 0 and "Maximum resident set size" in r.stderr


def build_input(path, copies):
    lines = [l for l in open(SAMPLE, encoding="utf-8").read().splitlines() if l.strip()]
    with open(path, "w", encoding="utf-8") as f:
        for k in range(copies):
            for i, l in enumerate(lines):
                r = json.loads(l)
                r["id"] = f"{r.get('id', i)}#{k}"
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return copies * len(lines)


def timed(cmd, gnu):
    """Runs cmd (cwd = repo root); returns (wall s, peak RSS MB, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    full = [GNU_TIME, "-v", "-o", tpath] + cmd if gnu else cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(full, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    rss = None
    if gnu:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(tpath).read())
        rss = int(m.group(1)) / 1024 if m else None
    else:
        # ru_maxrss of children is the maximum over all children so far:
        # only meaningful when it grew.
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = after / 1024 if after > before else None
    os.unlink(tpath)
    return wall, rss, r.stderr


def du(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)) / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=100, help="copies of corpora/sample.jsonl (default 100)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each reclassify configuration")
    ap.add_argument("--stores", default=None,
                    help="comma-separated: model (with embeddings), nomodel; default model if the model exists")
    ap.add_argument("--no-model", action="store_true", help="same as --stores nomodel")
    ap.add_argument("--analyze-all", action="store_true",
                    help="analyze the replicated input instead of replicating the sample's store")
    ap.add_argument("--skip-build", action="store_true", help="do not run cargo build --release")
    ap.add_argument("--keep", help="build the input and stores in this directory and keep them")
    args = ap.parse_args()

    if args.no_model:
        stores = ["nomodel"]
    elif args.stores:
        stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    else:
        stores = ["model" if os.path.exists(MODEL) else "nomodel"]
    if "model" in stores and not os.path.exists(MODEL):
        sys.exit(f"{MODEL} is missing: run `python3 models/setup.py`, or use --no-model")

    if not args.skip_build:
        subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    gnu = have_gnu_time()
    print(f"peak RSS from: {'/usr/bin/time -v' if gnu else 'getrusage(RUSAGE_CHILDREN)'}; "
          f"cores: {os.cpu_count()}")

    tmp = args.keep or tempfile.mkdtemp(prefix="vocmine-reclassify-")
    os.makedirs(tmp, exist_ok=True)
    try:
        if args.analyze_all:
            path = os.path.join(tmp, "input.jsonl")
            n = build_input(path, args.copies)
            print(f"input: {n} records ({args.copies} x corpora/sample.jsonl), {os.path.getsize(path) / 1e6:.1f} MB")
        else:
            path = SAMPLE
        rows = []
        for kind in stores:
            store = os.path.join(tmp, f"store-{kind}")
            shutil.rmtree(store, ignore_errors=True)
            cmd = [BINARY, "analyze", path, "--codebook", AUTOMOTIVE, "--store", store, "-o", "/dev/null", "-q"]
            if kind == "nomodel":
                cmd.append("--no-model")
            wall, rss, _ = timed(cmd, gnu)
            if not args.analyze_all:
                small = store + "-sample"
                shutil.rmtree(small, ignore_errors=True)
                os.rename(store, small)
                subprocess.check_call([sys.executable, REPLICATE, small, store, "--copies", str(args.copies)])
            m = json.load(open(os.path.join(store, "store.json")))
            print(f"store {kind}: analyze {wall:.1f} s, peak {rss or 0:.0f} MB · {m['records']} records · "
                  f"{m['clauses']} clauses · embeddings {m['dim'] or 'none'} · {du(store):.1f} MB on disk "
                  f"({', '.join(f'{f} {os.path.getsize(os.path.join(store, f)) / 1e6:.1f} MB' for f in sorted(os.listdir(store)))})")
            base = [BINARY, "reclassify", "--store", store, "-o", "/dev/null"]
            configs = [
                ("rules only (ecommerce --no-model)", ["--codebook", ECOMMERCE, "--no-model"]),
                ("rules + exemplars (ecommerce)", ["--codebook", ECOMMERCE]),
                ("rules + exemplars + learned (restaurant)", ["--codebook", RESTAURANT]),
                ("restaurant --threads 1", ["--codebook", RESTAURANT, "--threads", "1"]),
                ("restaurant --full", ["--codebook", RESTAURANT, "--full"]),
                ("restaurant --diff automotive", ["--codebook", RESTAURANT, "--diff", AUTOMOTIVE]),
            ]
            if kind == "nomodel":
                configs = [("rules only (ecommerce)", ["--codebook", ECOMMERCE]),
                           ("ecommerce --threads 1", ["--codebook", ECOMMERCE, "--threads", "1"]),
                           ("ecommerce --full", ["--codebook", ECOMMERCE, "--full"])]
            for name, extra in configs:
                timed(base + extra, gnu)  # fills the embedding cache; not counted
                runs = []
                for _ in range(args.repeat):
                    wall, rss, err = timed(base + extra, gnu)
                    s = SUMMARY.search(err)
                    if not s:
                        sys.exit(f"no summary line in:\n{err}")
                    clauses, secs, cps = int(s.group(2)), float(s.group(3)), int(s.group(4))
                    runs.append((secs, cps, wall, clauses / wall, rss))
                rows.append((kind, name, clauses, runs))
        print()
        print(f"| store | reclassify | clauses | summary s | wall s (process) | clauses/s (wall) | "
              f"peak RSS MB | vs {TARGET:,}/s (median) |")
        print("|---|---|---|---|---|---|---|---|")
        for kind, name, clauses, runs in rows:
            col = lambda i, f: ", ".join(f.format(r[i]) for r in runs)
            med = statistics.median(r[3] for r in runs)
            rss = ", ".join(f"{r[4]:.0f}" if r[4] else "?" for r in runs)
            print(f"| {kind} | {name} | {clauses} | {col(0, '{:.2f}')} | "
                  f"{col(2, '{:.2f}')} | {col(3, '{:,.0f}')} | {rss} | {med / TARGET:.2f}x |")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
