#!/usr/bin/env python3
"""What the heads-only pass saves on the default model: the latency of one
text per call (one intra-op thread, as each session of `vocmine analyze`
runs) with `embedding_wanted` true (the embedding and the heads) and false
(the heads alone: the shared top layers and the pooling do not run), for
texts of 4 to 128 tokens and over the first 300 texts and turns of
corpora/sample.jsonl (cut at 200 characters); and that the heads' outputs
are the same bits either way.

    python3 models/setup.py
    .venv-models/bin/python benches/compare/heads_only.py [--rounds 3]

Best of `--rounds` rounds, milliseconds per call.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from sample_texts import sample_texts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(ROOT, "models", "multilingual-e5-small")


def best_ms(s, feeds, outs, rounds):
    for f in feeds[:3]:
        s.run(outs, f)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for f in feeds:
            s.run(outs, f)
        best = min(best, (time.perf_counter() - t) / len(feeds))
    return best * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(DIR, "config.json")))
    flag = cfg["inputs"].get("embedding_wanted")
    if not flag:
        raise SystemExit("the model's config.json has no inputs.embedding_wanted")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    s = ort.InferenceSession(os.path.join(DIR, "model.onnx"), so, providers=["CPUExecutionProvider"],
                             disabled_optimizers=cfg.get("disabled_optimizers", []))
    heads = [cfg["outputs"]["logits"], cfg["outputs"]["itch"]]
    modes = {"with the embedding": {}, "heads alone": {flag: np.array(False)}}

    def feed(ids, extra):
        ids = np.array([ids], np.int64)
        return dict({"input_ids": ids, "attention_mask": np.ones_like(ids)}, **extra)

    print("ms per text (one thread), best of %d rounds" % a.rounds)
    print("%-8s %20s %14s %8s" % ("tokens", "with the embedding", "heads alone", "ratio"))
    for n in (4, 8, 16, 32, 64, 128):
        ids = [0] + [1000 + i for i in range(n - 2)] + [2]
        t = [best_ms(s, [feed(ids, m)] * 30, heads, a.rounds) for m in modes.values()]
        print("%-8d %20.2f %14.2f %8.2f" % (n, t[0], t[1], t[1] / t[0]))

    tok = Tokenizer.from_file(os.path.join(DIR, "tokenizer.json"))
    tok.no_padding()
    ids = [tok.encode(cfg["prefix"] + x).ids for x in sample_texts(300)]
    same = all(
        all(np.array_equal(p, q) for p, q in zip(s.run(heads, feed(i, {})),
                                                  s.run(heads, feed(i, modes["heads alone"]))))
        for i in ids)
    t = [best_ms(s, [feed(i, m) for i in ids], heads, a.rounds) for m in modes.values()]
    print("\n%d sample texts (mean %.1f tokens): %.2f ms with the embedding, %.2f ms heads alone "
          "(%.2f); heads' outputs the same bits: %s"
          % (len(ids), np.mean([len(i) for i in ids]), t[0], t[1], t[1] / t[0], same))


if __name__ == "__main__":
    main()
