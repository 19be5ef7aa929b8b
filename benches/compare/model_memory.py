#!/usr/bin/env python3
"""Peak memory of `vocmine analyze` with the model over a long stream.

Builds N records (default 1,000,000) of short real customer texts from
../shared/corpora (waimai reviews, banking77 queries, online-shopping
reviews of at most 80 characters, Russian bank and telecom tweets), each
record with its own id and a channel, cycling through the texts (77,318
distinct, so the encoder's 100,000-entry result cache fills and
clears as on a real stream); runs

    vocmine analyze IN -o OUT --threads 2 -q --summary-json S

with the default model, and samples the process' resident memory (VmRSS)
and how far it has read its input (/proc/PID/fdinfo) every few seconds.
Prints the samples as a table (records read, RSS) and the run's summary.
The input is written to /tmp and not kept in the repository.

    python benches/compare/model_memory.py [--records 1000000] [--distinct N] [--every 10]

With `--distinct N` the records cycle through N texts only: once their
clauses are in the encoder's cache the run is as fast as the pipeline
without inference, so a million records take minutes instead of hours
(the inference path itself is measured by a shorter run of distinct texts).
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "corpora")


def texts():
    out = []
    with open(os.path.join(SHARED, "waimai_10k", "waimai_10k.csv"), encoding="utf-8") as f:
        out += [("zh", r["review"]) for r in csv.DictReader(f)]
    with open(os.path.join(SHARED, "banking77", "train.csv"), encoding="utf-8") as f:
        out += [("en", r["text"]) for r in csv.DictReader(f)]
    with open(
        os.path.join(SHARED, "online_shopping_10_cats", "online_shopping_10_cats.csv"),
        encoding="utf-8-sig",
    ) as f:
        out += [("zh", r["review"]) for r in csv.DictReader(f) if r["review"] and len(r["review"]) <= 80]
    import xml.etree.ElementTree as ET

    for sub in ("banks", "telecoms"):
        d = os.path.join(SHARED, "SentiRuEval2015_banks_telecom_tweets", sub)
        for name in sorted(os.listdir(d)):
            if name.endswith(".xml"):
                for col in ET.parse(os.path.join(d, name)).iter("column"):
                    if col.get("name") == "text" and col.text:
                        out.append(("ru", col.text.strip()))
    return [t for t in out if t[1].strip()]


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None


def input_pos(pid, path):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.path.realpath(f"/proc/{pid}/fd/{fd}") == path:
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    for line in f:
                        if line.startswith("pos:"):
                            return int(line.split()[1])
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument(
        "--distinct", type=int, default=0, help="cycle through only this many texts (0: all)"
    )
    ap.add_argument(
        "--checkpoint-every",
        type=int,
        default=0,
        help="vocmine's --checkpoint-every (0: its default, 65,536 records; each checkpoint clears the encoder's cache)",
    )
    ap.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "vocmine"))
    ap.add_argument("--input", default="/tmp/vocmine_model_memory.jsonl")
    ap.add_argument("--output", default="/tmp/vocmine_model_memory.out.jsonl")
    a = ap.parse_args()
    pool = texts()
    rng = random.Random(7)
    rng.shuffle(pool)
    if a.distinct:
        pool = pool[: a.distinct]
    channels = ["app_review", "chat", "survey", "social"]
    with open(a.input, "w", encoding="utf-8") as f:
        for i in range(a.records):
            lang, text = pool[i % len(pool)]
            f.write(json.dumps({"id": i, "text": text, "channel": channels[i % 4]}, ensure_ascii=False) + "\n")
    size = os.path.getsize(a.input)
    print(f"{a.records} records ({len(set(t for _, t in pool))} distinct texts), {size / 1e6:.1f} MB -> {a.input}")
    summary = "/tmp/vocmine_model_memory.summary.json"
    cmd = [a.bin, "analyze", a.input, "-o", a.output, "--threads", "2", "-q", "--summary-json", summary]
    if a.checkpoint_every:
        cmd += ["--checkpoint-every", str(a.checkpoint_every)]
    print(" ".join(cmd), flush=True)
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=ROOT)
    path = os.path.realpath(a.input)
    print("| seconds | input read | ≈ records read | RSS MB |\n|---|---|---|---|")
    while p.poll() is None:
        time.sleep(a.every)
        r, pos = rss_mb(p.pid), input_pos(p.pid, path)
        if r is None or pos is None:
            continue
        print(f"| {time.time() - t0:.0f} | {pos / size:.1%} | {int(a.records * pos / size):,} | {r:.0f} |", flush=True)
    if p.returncode != 0:
        sys.exit(f"vocmine exited with {p.returncode}")
    s = json.load(open(summary))
    print(
        f"done: {s['records']} records, {s['clauses']} clauses in {s['seconds']:.0f} s "
        f"({s['records_per_second']:.0f} records/s), peak RSS {s['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
