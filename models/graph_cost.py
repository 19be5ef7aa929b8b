#!/usr/bin/env python3
"""Cost per token of two model graphs on the same batches (e.g. the tuned
graph against `setup.py --frozen-heads`; see models/same_embedding.py for
making the two directories).

    .venv-models/bin/python models/graph_cost.py /tmp/frozen-model /tmp/tuned-model \\
        /tmp/vm-eval/sentiment.test.jsonl

Every 4th text of the JSON Lines file (field `text`, `query: ` prefix, cut
at 512 tokens), sorted by length, batches of 32, one session of 2 intra-op
threads per graph; two rounds, alternating, each graph's own outputs.
"""
import argparse
import json
import os
import sys
import time

import onnxruntime as ort
from tokenizers import Tokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python", "vocmine", "_model"))
from bert_onnx import pad_batch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs=2)
    ap.add_argument("texts")
    a = ap.parse_args()
    tok = Tokenizer.from_file(os.path.join(a.models[0], "tokenizer.json"))
    tok.enable_truncation(512)
    texts = [json.loads(l)["text"] for l in open(a.texts, encoding="utf-8") if l.strip()][::4]
    enc = sorted(tok.encode_batch(["query: " + t for t in texts]), key=lambda e: len(e.ids))
    ntok = sum(len(e.ids) for e in enc)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    for _ in range(2):
        for d in a.models:
            s = ort.InferenceSession(os.path.join(d, "model.onnx"), so, providers=["CPUExecutionProvider"])
            outs = [o.name for o in s.get_outputs()]
            t = time.time()
            for i in range(0, len(enc), 32):
                ids, mask = pad_batch(enc[i:i + 32])
                s.run(outs, {"input_ids": ids, "attention_mask": mask})
            dt = time.time() - t
            print("%s: %d texts, %d tokens, %.2f s, %.0f tokens/s" % (d, len(enc), ntok, dt, ntok / dt))


if __name__ == "__main__":
    main()
