#!/usr/bin/env python3
"""vocmine's Chinese segmentation against Python jieba, same texts, one run.

Texts: the reviews of ../shared/corpora/waimai_10k and a sample of
online_shopping_10_cats (read in place, written to a temporary file).
Both sides are single-threaded, HMM on, default dictionary, dictionary
loading excluded. Prints both timings and the ratio.

    python3 benches/compare/segment_vs_jieba.py [--limit N]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VOCMINE_SHARED", os.path.join(ROOT, "..", "shared"))


def load_texts(limit):
    texts = []
    with open(os.path.join(SHARED, "corpora/waimai_10k/waimai_10k.csv"), encoding="utf-8") as f:
        texts += [r["review"].strip() for r in csv.DictReader(f)]
    with open(os.path.join(SHARED, "corpora/online_shopping_10_cats/online_shopping_10_cats.csv"), encoding="utf-8-sig") as f:
        rows = [r["review"].strip() for r in csv.DictReader(f)]
        texts += rows[::5]
    texts = [t.replace("\n", " ") for t in texts if t]
    return texts[:limit] if limit else texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    try:
        import jieba
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "jieba"])
        import jieba
    jieba.setLogLevel(60)
    texts = load_texts(args.limit)
    chars = sum(len(t) for t in texts)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(texts))
        path = f.name
    try:
        jieba.initialize()
        for t in texts[:200]:
            jieba.lcut(t)
        start = time.perf_counter()
        n_py = sum(len(jieba.lcut(t)) for t in texts)
        py_s = time.perf_counter() - start
        subprocess.check_call(["cargo", "build", "--release", "--quiet", "--example", "segment_lines"], cwd=ROOT)
        out = subprocess.check_output([os.path.join(ROOT, "target/release/examples/segment_lines"), path, "--repeat", "3"], cwd=ROOT)
        rs = json.loads(out)
    finally:
        os.unlink(path)
    print(f"texts: {len(texts)}  characters: {chars}")
    print(f"python jieba {jieba.__version__} lcut (HMM on):  {py_s:.3f} s  {chars / py_s / 1e6:.2f} M chars/s  ({n_py} tokens)")
    print(f"vocmine jieba-rs cut (HMM on):          {rs['jieba_rs_cut_s']:.3f} s  {chars / rs['jieba_rs_cut_s'] / 1e6:.2f} M chars/s")
    print(f"vocmine full token stage:               {rs['vocmine_tokens_s']:.3f} s  {chars / rs['vocmine_tokens_s'] / 1e6:.2f} M chars/s"
          " (stems, stopwords, negation, offsets)")
    print(f"ratio, jieba-rs cut vs python jieba:    {py_s / rs['jieba_rs_cut_s']:.1f}x")
    print(f"ratio, full token stage vs python jieba: {py_s / rs['vocmine_tokens_s']:.1f}x")


if __name__ == "__main__":
    main()
