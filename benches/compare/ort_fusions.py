#!/usr/bin/env python3
"""What ONNX Runtime's graph fusions cost or save on the default model.

For texts of 13, 32 and 128 tokens (one text per call, one intra-op thread:
how `vocmine analyze` runs each of its sessions), the latency of
`models/multilingual-e5-small/model.onnx` with every fusion (ONNX Runtime's
level 3), without `SkipLayerNormFusion` (what config.json
`disabled_optimizers` leaves out), and without each other fusion that
touches this graph on top of that; then the time per operator type of one
text of 128 tokens with and without `SkipLayerNormFusion` (ONNX Runtime's
profiler), and how far the two sessions' outputs are apart: on one text,
and as embeddings of the first 300 texts and turns of corpora/sample.jsonl
(each cut at 200 characters), also against the fp32 graph that
`models/setup.py` keeps in models/.cache/ (L2 norm of the difference).

    python3 models/setup.py
    .venv-models/bin/python benches/compare/ort_fusions.py [--rounds 3]

Best of `--rounds` rounds of 20 calls per setting, milliseconds per call.
"""
import argparse
import collections
import json
import os
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "models", "multilingual-e5-small", "model.onnx")
OTHERS = ["GeluFusion", "BiasGeluFusion", "MatMulScaleFusion", "MatMulIntegerToFloatFusion",
          "DynamicQuantizeMatMulFusion", "LayerNormFusion", "AttentionFusion"]


def session(disabled, profile=False):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.enable_profiling = profile
    return ort.InferenceSession(MODEL, so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=disabled)


def feed(n, rng):
    ids = rng.integers(5, 200000, (1, n)).astype(np.int64)
    ids[0, 0], ids[0, -1] = 0, 2
    return {"input_ids": ids, "attention_mask": np.ones_like(ids)}


def latency(s, f, rounds, calls=20):
    for _ in range(3):
        s.run(None, f)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            s.run(None, f)
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e3


def op_profile(disabled, f, calls=30):
    s = session(disabled, profile=True)
    for _ in range(calls):
        s.run(None, f)
    path = s.end_profiling()
    with open(path) as fh:
        events = json.load(fh)
    os.remove(path)
    per_op = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"].get("op_name")] += e["dur"] / calls / 1e3
    return per_op


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    settings = {"every fusion": [], "without SkipLayerNormFusion": ["SkipLayerNormFusion"]}
    for o in OTHERS:
        settings["without SkipLayerNormFusion and " + o] = ["SkipLayerNormFusion", o]
    sessions = {k: session(v) for k, v in settings.items()}
    lengths = [13, 32, 128]
    feeds = {n: feed(n, rng) for n in lengths}
    print("ms per text (one thread), best of %d rounds of 20" % a.rounds)
    print("%-60s %s" % ("setting", "  ".join("%6d tok" % n for n in lengths)))
    for k, s in sessions.items():
        print("%-60s %s" % (k, "  ".join("%10.2f" % latency(s, feeds[n], a.rounds) for n in lengths)))
    f = feeds[128]
    fused, plain = op_profile([], f), op_profile(["SkipLayerNormFusion"], f)
    print("\ntime per operator type, one text of 128 tokens (ms per call)")
    print("%-28s %14s %26s" % ("operator", "every fusion", "without SkipLayerNormFusion"))
    for op in sorted(set(fused) | set(plain), key=lambda o: -max(fused[o], plain[o]))[:12]:
        print("%-28s %14.2f %26.2f" % (op, fused[op], plain[op]))
    print("%-28s %14.2f %26.2f" % ("all", sum(fused.values()), sum(plain.values())))
    a_out = sessions["every fusion"].run(None, f)
    b_out = sessions["without SkipLayerNormFusion"].run(None, f)
    for name, x, y in zip([o.name for o in sessions["every fusion"].get_outputs()], a_out, b_out):
        print("max |difference| of %s: %.2e" % (name, np.abs(x - y).max()))
    embedding_distances(sessions["every fusion"], sessions["without SkipLayerNormFusion"])


def embedding_distances(fused, plain, n=300):
    from tokenizers import Tokenizer
    fp32_path = os.path.join(ROOT, "models", ".cache", "multilingual-e5-small.fp32.onnx")
    tok = Tokenizer.from_file(os.path.join(os.path.dirname(MODEL), "tokenizer.json"))
    tok.no_padding()
    from sample_texts import sample_texts
    texts = sample_texts(n)
    so = ort.SessionOptions()
    so.log_severity_level = 3
    fp32 = ort.InferenceSession(fp32_path, so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=["SkipLayerNormFusion"]) \
        if os.path.isfile(fp32_path) else None
    d = {"fused - without": [], "fused - fp32": [], "without - fp32": []}
    for t in texts:
        ids = np.array([tok.encode("query: " + t).ids], np.int64)
        f = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        a = fused.run(["sentence_embedding"], f)[0][0]
        b = plain.run(["sentence_embedding"], f)[0][0]
        d["fused - without"].append(np.linalg.norm(a - b))
        if fp32 is not None:
            c = fp32.run(["sentence_embedding"], f)[0][0]
            d["fused - fp32"].append(np.linalg.norm(a - c))
            d["without - fp32"].append(np.linalg.norm(b - c))
    print("\nembeddings of %d sample texts, |difference|:" % len(texts))
    for k, v in d.items():
        if v:
            print("  %-16s mean %.4f  max %.4f" % (k, np.mean(v), np.max(v)))


if __name__ == "__main__":
    main()
