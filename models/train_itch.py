#!/usr/bin/env python3
"""Train vocmine's itch head: p(itch) of a customer clause (a wish,
suggestion or unmet need) from the frozen multilingual-e5-small sentence
embedding; models/setup.py merges it into the graph as output `itch_logit`.

    .venv-models/bin/python models/train_itch.py            # train + save python/vocmine/_model/heads/itch.npz
    .venv-models/bin/python models/train_itch.py --no-save  # metrics only

Data (read in place from ../shared/corpora, never copied):
- English: SemEval-2019 Task 9 subtask A forum sentences (suggestion 1/0),
  the *train* part of the split in models/eval_sets.py (MD5 bucket >= 30;
  buckets < 30 are dev and test for `vocmine eval --records`);
- Chinese and Russian have no labelled wishes: their review sentences and
  texts from the train splits of models/train_sentiment.py are labelled by the
  wish cues of src/lang/<lang>/itch.txt (a cue = itch), so the head
  learns wish contexts beyond the cue words and transfers across languages;
- English review sentences and banking77 requests (train splits) are
  negatives unless a wish cue matches.
The written voice clauses in tests/data/voice are never used here (they are
the evaluation). Model: logistic regression on the 384-d embedding (numpy,
full-batch gradient descent, L2), classes balanced per language; the bias is
then set so that p = 0.5 is the F1-best threshold on the SemEval dev bucket.
"""
import argparse
import csv
import datetime
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_sentiment as ts  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_SRC = os.path.join(os.path.dirname(HERE), "python", "vocmine", "_model")  # build, graph builder, heads
ROOT = os.path.dirname(HERE)
OUT = os.path.join(MODEL_SRC, "heads", "itch.npz")
META = os.path.join(MODEL_SRC, "heads", "itch.json")


def cues(lang):
    pats = [l.strip() for l in open(os.path.join(ROOT, "src", "lang", lang, "itch.txt"), encoding="utf-8")
            if l.strip() and not l.strip().startswith("#")]
    return re.compile("|".join("(?:%s)" % p for p in pats))


def semeval19():
    out = {"train": [], "dev": [], "test": []}
    with open(ts.c("SemEval2019_Task9_suggestion_mining", "V1.4_Training.csv"), encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) < 3 or row[2] not in ("0", "1"):
                continue
            t = row[1].strip().strip('"').replace('""', '"')
            b = ts.hbucket(t, "suggest")
            if t:
                out["test" if b < 20 else ("dev" if b < 30 else "train")].append((t, int(row[2]), "en"))
    return out


def fit(X, y, w, l2=1e-3, steps=1500, lr=2.0):
    W = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(X @ W + b)))
        g = (p - y) * w
        W -= lr * (X.T @ g + l2 * W)
        b -= lr * g.sum()
    return W, b


def prf(y, p):
    tp = int(((p == 1) & (y == 1)).sum())
    P = tp / max(1, int((p == 1).sum()))
    R = tp / max(1, int((y == 1).sum()))
    return P, R, (2 * P * R / (P + R) if P + R else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--per-language", type=int, default=3000)
    a = ap.parse_args()
    sv = semeval19()
    rows = list(sv["train"])
    cue = {l: cues(l) for l in ("zh", "ru", "en")}
    by_lang = {}
    for r in ts.build_data():
        if r["split"] == "train" and r["unit"] != "clause":
            by_lang.setdefault(r["lang"], []).append(r["text"])
    for lang, texts in sorted(by_lang.items()):
        texts = ts.subsample([(t,) for t in sorted(set(texts))], a.per_language, "itch-" + lang)
        for (t,) in texts:
            rows.append((t, int(bool(cue[lang].search(t.lower()))), lang))
    X = ts.embed_all([t for t, _, _ in rows]).astype(np.float64)
    y = np.array([l for _, l, _ in rows], np.float64)
    langs = [g for _, _, g in rows]
    w = np.zeros(len(rows))
    groups = sorted(set(langs))
    for g in groups:
        for c in (0, 1):
            idx = [i for i, (l, yy) in enumerate(zip(langs, y)) if l == g and yy == c]
            if idx:
                w[idx] = 1.0 / (2 * len(groups) * len(idx))
    for g in groups:
        ts.say("%s: %d texts, %d itch" % (g, langs.count(g), int(sum(y[i] for i in range(len(y)) if langs[i] == g))))
    W, b = fit(X, y, w)
    D = ts.embed_all([t for t, _, _ in sv["dev"]]).astype(np.float64)
    yd = np.array([l for _, l, _ in sv["dev"]])
    s = D @ W + b
    best = max(((prf(yd, (s >= th).astype(int))[2], th) for th in np.quantile(s, np.linspace(0.3, 0.97, 135))))
    b -= best[1]
    P, R, F = prf(yd, (D @ W + b >= 0).astype(int))
    ts.say("SemEval-2019 dev (%d sentences, %d suggestions): P %.3f R %.3f F1 %.3f at threshold 0.5"
           % (len(yd), int(yd.sum()), P, R, F))
    if a.no_save:
        return
    np.savez(OUT, W0=W.reshape(-1, 1).astype(np.float32), b0=np.array([b], np.float32))
    meta = dict(task="itch", output="itch_logit", input="multilingual-e5-small sentence_embedding",
                architecture="logistic regression: logit = x @ W0 + b0",
                command=".venv-models/bin/python models/train_itch.py", date=datetime.date.today().isoformat(),
                data={g: dict(texts=langs.count(g), itch=int(sum(y[i] for i in range(len(y)) if langs[i] == g)))
                      for g in groups},
                dev=dict(set="SemEval-2019 Task 9 dev bucket (sentence embeddings, not the product path)",
                         precision=round(P, 4), recall=round(R, 4), f1=round(F, 4)))
    json.dump(meta, open(META, "w", encoding="utf-8"), indent=1)
    ts.say("wrote %s and %s" % (os.path.relpath(OUT, ROOT), os.path.relpath(META, ROOT)))


if __name__ == "__main__":
    main()
