#!/usr/bin/env python3
"""The simplest zero-shot reference for scripts/gold/zeroshot.py: each text
takes the one code whose prototype (mean of its exemplars, labels and
description, same frozen embeddings as vocmine's default model) is nearest
after centring. Reads the same zero-shot codebooks and gold files; needs the
set-up venv (numpy, onnxruntime, tokenizers, PyYAML):

    .venv-models/bin/python scripts/gold/prototype_baseline.py [--split eval]
"""
import argparse
import json
import pathlib
import sys

import numpy as np
import onnxruntime as ort
import yaml
from tokenizers import Tokenizer

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import zeroshot  # noqa: E402

ROOT = zeroshot.ROOT


class Embedder:
    def __init__(self, model_dir):
        cfg = json.load(open(model_dir / "config.json"))
        self.prefix = cfg.get("prefix", "")
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(cfg.get("max_length", 512))
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        self.sess = ort.InferenceSession(str(model_dir / "model.onnx"), so,
                                         providers=["CPUExecutionProvider"])

    def __call__(self, texts, batch=32):
        enc = [self.tok.encode(self.prefix + t).ids for t in texts]
        order = sorted(range(len(texts)), key=lambda i: -len(enc[i]))
        out = np.zeros((len(texts), 384), np.float32)
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            n = max(len(enc[i]) for i in idx)
            ids = np.ones((len(idx), n), np.int64)
            mask = np.zeros((len(idx), n), np.int64)
            for r, i in enumerate(idx):
                ids[r, :len(enc[i])] = enc[i]
                mask[r, :len(enc[i])] = 1
            out[idx] = self.sess.run(["sentence_embedding"],
                                     {"input_ids": ids, "attention_mask": mask})[0]
        return out


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models/multilingual-e5-small"))
    ap.add_argument("--gold", default=str(ROOT / "target/gold"))
    ap.add_argument("--split", choices=["tune", "eval"], default="eval")
    a = ap.parse_args()
    embed = Embedder(pathlib.Path(a.model))
    print("| lang | set | texts | nearest prototype micro P / R / F1 |")
    print("|---|---|---|---|")
    for lang, name, cb, tune, ev in zeroshot.SETS:
        spec = yaml.safe_load(zeroshot.zero_shot(cb.read_text(encoding="utf-8"), {}))
        parents = {c.get("parent") for c in spec["codes"]}
        codes = [c for c in spec["codes"] if c["id"] not in parents]
        protos = []
        for c in codes:
            v = np.zeros(384)
            for group in (c.get("exemplars", []), list(c.get("labels", {}).values()),
                          [c["description"].strip()] if c.get("description") else []):
                if group:
                    v += unit(embed(group).mean(0))
            protos.append(unit(v))
        protos = np.array(protos)
        gold = [json.loads(l) for f in (tune if a.split == "tune" else ev).split()
                for l in open(pathlib.Path(a.gold) / f, encoding="utf-8")]
        sims = embed([g["text"] for g in gold]) @ protos.T
        best = (sims - sims.mean(1, keepdims=True)).argmax(1)
        tp = pred = sup = 0
        for g, k in zip(gold, best):
            want = {c["code"] for c in g["codes"]}
            tp += codes[k]["id"] in want
            pred += 1
            sup += len(want)
        p, r = tp / pred, tp / max(sup, 1)
        print(f"| {lang} | {name} | {len(gold)} | {p:.3f} / {r:.3f} / **{2 * p * r / (p + r):.3f}** |")


if __name__ == "__main__":
    main()
