#!/usr/bin/env python3
"""Interleaved rounds of `vocmine analyze` for two or more builds, so that a
machine whose speed drifts (a shared 2-core VM) treats them alike.

    python3 benches/compare/analyze_rounds.py --rounds 7 \
        --run old=/tmp/old --run prev=.:/tmp/model-full --run now=. \
        /tmp/bench2500.jsonl corpora/sample.jsonl

Each `--run NAME=ROOT[:MODEL]` is a checkout with a release binary
(ROOT/target/release/vocmine), run from ROOT (so its own default model and
models/ort.env), with `--model MODEL` when given. For every input, each round
runs every build once, in the order given; the script prints each run's
records/s (from the run summary) and wall time, then per build the median,
and against the first build the median of the per-round ratios and the ratio
of the medians (records/s: higher is faster; wall time includes loading the
model).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def env_of(root):
    env = dict(os.environ)
    path = os.path.join(root, "models", "ort.env")
    if os.path.isfile(path):
        for line in open(path):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v
    return env


def run_once(root, model, path):
    cmd = [os.path.join(root, "target", "release", "vocmine"), "analyze",
           os.path.abspath(path), "-o", "/dev/null"]
    if model:
        cmd += ["--model", os.path.abspath(model)]
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=root, env=env_of(root), capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(cmd), p.stderr[-2000:]))
    m = re.search(r"(\d+) records/s", p.stderr)
    return (float(m.group(1)) if m else float("nan")), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--run", action="append", required=True, metavar="NAME=ROOT[:MODEL]")
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    runs = []
    for spec in a.run:
        name, _, rest = spec.partition("=")
        root, _, model = rest.partition(":")
        runs.append((name, os.path.abspath(root or "."), model or None))
    if len(runs) < 2:
        sys.exit("give at least two --run")
    for path in a.inputs:
        rate = {n: [] for n, _, _ in runs}
        wall = {n: [] for n, _, _ in runs}
        for r in range(1, a.rounds + 1):
            cells = []
            for name, root, model in runs:
                rs, w = run_once(root, model, path)
                rate[name].append(rs)
                wall[name].append(w)
                cells.append("%s %.0f records/s %.2f s" % (name, rs, w))
            print("%s round %d: %s" % (os.path.basename(path), r, " | ".join(cells)), flush=True)
        base = runs[0][0]
        for name, _, _ in runs:
            print("%s %s: records/s %.0f-%.0f median %.0f; wall %.2f-%.2f s median %.2f"
                  % (os.path.basename(path), name, min(rate[name]), max(rate[name]),
                     statistics.median(rate[name]), min(wall[name]), max(wall[name]),
                     statistics.median(wall[name])))
            if name != base:
                per = [x / y for x, y in zip(rate[name], rate[base])]
                per_w = [y / x for x, y in zip(wall[name], wall[base])]
                print("    / %s: records/s per round %.2f-%.2f, median %.2fx, ratio of medians "
                      "%.2fx; wall time median %.2fx, ratio of medians %.2fx"
                      % (base, min(per), max(per), statistics.median(per),
                         statistics.median(rate[name]) / statistics.median(rate[base]),
                         statistics.median(per_w),
                         statistics.median(wall[base]) / statistics.median(wall[name])))


if __name__ == "__main__":
    main()
