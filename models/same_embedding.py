#!/usr/bin/env python3
"""Check that two model directories give the same `sentence_embedding`
(e.g. the tuned graph against `setup.py --frozen-heads`): the tuned branch
must leave the embedding that clusters and codebooks read untouched.

    cp -r models/multilingual-e5-small /tmp/tuned-model
    python3 models/setup.py --frozen-heads && cp -r models/multilingual-e5-small /tmp/frozen-model
    python3 models/setup.py
    .venv-models/bin/python models/same_embedding.py /tmp/frozen-model /tmp/tuned-model \\
        /tmp/vm-eval/sentiment.test.jsonl

Embeds every 40th text of the JSON Lines file (field `text`, `query: `
prefix, batches of 16) with both graphs and prints the largest absolute
difference; exits 1 if it is above --tolerance (default 0: bit for bit).
"""
import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python", "vocmine", "_model"))
from bert_onnx import pad_batch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("texts")
    ap.add_argument("--every", type=int, default=40)
    ap.add_argument("--tolerance", type=float, default=0.0)
    a = ap.parse_args()
    texts = [json.loads(l)["text"] for l in open(a.texts, encoding="utf-8") if l.strip()][::a.every]
    tok = Tokenizer.from_file(os.path.join(a.a, "tokenizer.json"))
    tok.enable_truncation(512)
    enc = tok.encode_batch(["query: " + t for t in texts])
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    out = []
    for d in (a.a, a.b):
        s = ort.InferenceSession(os.path.join(d, "model.onnx"), so, providers=["CPUExecutionProvider"])
        parts = []
        for i in range(0, len(enc), 16):
            ids, mask = pad_batch(enc[i:i + 16])
            parts.append(s.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0])
        out.append(np.concatenate(parts))
    diff = float(np.abs(out[0] - out[1]).max())
    print("%d texts; max |%s - %s| of sentence_embedding = %g" % (len(texts), a.a, a.b, diff))
    return 0 if diff <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
