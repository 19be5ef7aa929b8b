#!/usr/bin/env python3
"""vocmine's encoder against the Python pipeline users would write.

Same model file (models/multilingual-e5-small/model.onnx), same texts (the
customer clauses of a mix of short reviews and tweets from ../shared/corpora,
deduplicated so that vocmine's cache does not help), same batch size and
thread count, texts sorted by length as sentence-transformers does. Python:
onnxruntime + tokenizers from .venv-models. vocmine: examples/encode_lines
(Encoder::encode; its cache is off). Model loading is excluded on both sides.

    .venv-models/bin/python benches/compare/encoder_vs_python.py [--texts 3000] [--batch 32] [--threads 2]
"""
import argparse
import csv
import json
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("VOCMINE_SHARED", os.path.join(ROOT, "..", "shared"))
MODEL = os.path.join(ROOT, "models", "multilingual-e5-small")


def texts(n):
    c = os.path.join(SHARED, "corpora")
    with open(os.path.join(c, "waimai_10k/waimai_10k.csv"), encoding="utf-8") as f:
        zh = [r["review"].strip() for r in csv.DictReader(f)]
    data = open(os.path.join(c, "SentiRuEval2015_banks_telecom_tweets/banks/train.xml"), encoding="utf-8").read()
    ru = re.findall(r'<column name="text">([^<]*)</column>', data)
    data = open(os.path.join(c, "SemEval2016_Task5_EN/ABSA16_Restaurants_Train_SB1_v2.xml"), encoding="utf-8").read()
    en = re.findall(r"<text>([^<]*)</text>", data)
    out, seen = [], set()
    for i in range(max(len(zh), len(ru), len(en))):
        for pool in (zh, ru, en):
            if i < len(pool):
                t = " ".join(pool[i].split())
                if t and t not in seen:
                    seen.add(t)
                    out.append(t)
        if len(out) >= n:
            break
    return out[:n]


def python_encode(items, batch, threads, sort_by="chars"):
    """sort_by="chars": sentence-transformers' order (longest text in
    characters first, tokenized batch by batch); "tokens": sorted by token
    count (a stronger baseline than sentence-transformers)."""
    tok = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(os.path.join(MODEL, "model.onnx"), so, providers=["CPUExecutionProvider"])
    pad = tok.token_to_id("<pad>") or 1

    def run(batch_texts):
        if sort_by == "chars":
            order = np.argsort([-len(t) for t in batch_texts], kind="stable")
        else:
            lens = [len(e.ids) for e in tok.encode_batch(["query: " + t for t in batch_texts])]
            order = np.argsort([-n for n in lens], kind="stable")
        out = [None] * len(batch_texts)
        ntok = 0
        ids = {}
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            # tokenized batch by batch, as sentence-transformers does
            for i, e in zip(idx, tok.encode_batch(["query: " + batch_texts[i] for i in idx])):
                ids[i] = e.ids[:512]
            m = max(len(ids[i]) for i in idx)
            a = np.full((len(idx), m), pad, dtype=np.int64)
            k = np.zeros((len(idx), m), dtype=np.int64)
            for r, i in enumerate(idx):
                a[r, :len(ids[i])] = ids[i]
                k[r, :len(ids[i])] = 1
                ntok += len(ids[i])
            emb = sess.run(["sentence_embedding"], {"input_ids": a, "attention_mask": k})[0]
            for r, i in enumerate(idx):
                out[i] = emb[r]
        return np.stack(out), ntok

    run(items[:64])
    start = time.perf_counter()
    emb, ntok = run(items)
    return time.perf_counter() - start, emb, ntok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    items = texts(args.texts)
    subprocess.check_call(["cargo", "build", "--release", "--quiet", "--example", "encode_lines"], cwd=ROOT)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(items))
        path = f.name
    try:
        py_s, py_emb, ntok = python_encode(items, args.batch, args.threads, "chars")
        py_tok_s, _, _ = python_encode(items, args.batch, args.threads, "tokens")
        results = {}
        for sessions, intra in ((1, args.threads), (args.threads, 1)):
            out = subprocess.check_output([os.path.join(ROOT, "target/release/examples/encode_lines"), MODEL, path,
                                           str(args.batch), str(sessions), str(intra)], cwd=ROOT)
            results[(sessions, intra)] = json.loads(out)
    finally:
        os.unlink(path)
    print(f"texts: {len(items)} (zh reviews, ru tweets, en review sentences), tokens: {ntok}, batch {args.batch}, {args.threads} threads")
    print(f"python, sentence-transformers order (sorted by characters), intra_op={args.threads}: {py_s:.2f} s  "
          f"{len(items) / py_s:.0f} texts/s  {ntok / py_s:.0f} tokens/s")
    print(f"python, sorted by token count, intra_op={args.threads}: {py_tok_s:.2f} s  {len(items) / py_tok_s:.0f} texts/s")
    for (sessions, intra), r in results.items():
        s = r["seconds"]
        print(f"vocmine sessions={sessions} intra={intra}: {s:.2f} s  {len(items) / s:.0f} texts/s  {r['tokens'] / s:.0f} tokens/s  "
              f"ratio {py_s / s:.2f}x vs sentence-transformers order, {py_tok_s / s:.2f}x vs token-sorted")
    print("first embedding values, python:", [round(float(x), 4) for x in py_emb[0][:4]])


if __name__ == "__main__":
    main()
