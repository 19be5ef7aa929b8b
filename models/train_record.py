#!/usr/bin/env python3
"""Train vocmine's record-sentiment combiner: the overall label of a record
or turn from its whole-text probabilities and its clause evidence.

    .venv-models/bin/python models/eval_sets.py --out /tmp/vm-eval
    ./target/release/vocmine eval --records /tmp/vm-eval/sentiment.dev.jsonl \\
        --evidence /tmp/vm-eval/dev.evidence.jsonl
    .venv-models/bin/python models/train_record.py /tmp/vm-eval/dev.evidence.jsonl
    python3 models/setup.py        # merges python/vocmine/_model/heads/record.json into config.json

The features are exactly what the engine computes (`vocmine eval --evidence`
writes them through the same code path as `analyze`; names in
vocmine::sentiment::RECORD_FEATURES). Labels are the human whole-review /
tweet / sentence labels of the *dev* splits of models/train_sentiment.py,
which the sentiment head never trained on; the test splits stay for
`vocmine eval`. Model: multinomial logistic regression (numpy, full batch
gradient descent, L2 0.01), each set weighted equally, records within a set
equally (so it fits accuracy, as users read labels; --class-balance fits
balanced accuracy instead, which cost the en sentence sets 3-7 points on dev);
binary sets (no neutral gold) use the full three-way softmax so that a review
is never called neutral without evidence. Deterministic.

It also chooses `text_gate` (choose_gate): the confidence from which a
unit's clause evidence alone decides its label, so that `analyze` skips the
whole-text encoder input there (the evidence file must come from
`eval --evidence`, which encodes every unit whole).
"""
import argparse
import datetime
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_SRC = os.path.join(os.path.dirname(HERE), "python", "vocmine", "_model")  # build, graph builder, heads
OUT = os.path.join(MODEL_SRC, "heads", "record.json")
LABELS = ["negative", "neutral", "positive"]
FEATURES = ["text_log_negative", "text_log_neutral", "text_log_positive", "mean_negative",
            "mean_neutral", "mean_positive", "min_polarity", "max_polarity", "share_negative",
            "share_positive", "log_clauses", "lang_zh", "lang_ru", "lang_en"]


def softmax(z):
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def fit(X, y, w, mask=None, l2=0.01, steps=3000, lr=0.5):
    n, d = X.shape
    W = np.zeros((d, 3))
    b = np.zeros(3)
    Y = np.eye(3)[y]
    for _ in range(steps):
        z = X @ W + b
        if mask is not None:
            z = z + mask
        g = (softmax(z) - Y) * w[:, None]
        W -= lr * (X.T @ g + l2 * W)
        b -= lr * g.sum(0)
    return W, b


def predict(X, W, b):
    return (X @ W + b).argmax(1)


def clause_only(X):
    """The features of the same units without their whole text: the engine
    puts the clause mean in its place (vocmine::sentiment::record_features)."""
    Xc = X.copy()
    Xc[:, 0:3] = np.log(np.maximum(X[:, 3:6], 1e-6))
    return Xc


def choose_gate(X, y, w, sets, W, b):
    """The lowest confidence from which the clause evidence alone decides a
    unit (`text_gate`): units of two or more clauses whose clause-only
    combiner is at least that sure are not encoded whole. The lowest on a
    0.05 grid, going down from 0.95, whose accuracy (set-weighted) and
    whose accuracy on every set lose nothing against encoding every unit
    whole; None when even 0.95 loses."""
    multi = X[:, 10] > 1e-3                      # log_clauses > 0: two or more clauses
    full = predict(X, W, b)
    Xc = clause_only(X)
    alone, sure = predict(Xc, W, b), softmax(Xc @ W + b).max(1)
    names = sorted(set(sets))
    idx = {s: np.array([i for i, t in enumerate(sets) if t == s]) for s in names}

    def score(pred):
        ok = pred == y
        return (w * ok).sum() / w.sum(), {s: ok[idx[s]].mean() for s in names}

    base, base_sets = score(full)
    best = None
    for gate in np.arange(0.95, 0.499, -0.05):
        skip = multi & (sure >= gate)
        acc, per = score(np.where(skip, alone, full))
        worst = min(per[s] - base_sets[s] for s in names)
        ok = acc >= base and worst >= 0
        print("text_gate %.2f: skips %4d of %d whole texts, accuracy %.4f (every text whole: %.4f), "
              "worst set %+.3f%s" % (gate, skip.sum(), multi.sum(), acc, base, worst,
                                    "" if ok else "  (rejected)"))
        if ok:
            best = round(float(gate), 2)
        else:
            break
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("evidence")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--class-balance", action="store_true",
                    help="balance the classes within each set (favours macro-F1 over accuracy)")
    ap.add_argument("--mask-binary", action="store_true",
                    help="binary sets (no neutral gold) use a negative-vs-positive softmax (ablation)")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.evidence, encoding="utf-8") if l.strip()]
    rows = [r for r in rows if r.get("sentiment") in LABELS]
    X = np.array([r["features"] for r in rows], np.float64)
    y = np.array([LABELS.index(r["sentiment"]) for r in rows])
    sets = [r["set"] for r in rows]
    w = np.zeros(len(rows))
    names = sorted(set(sets))
    for s in names:
        idx = [i for i, t in enumerate(sets) if t == s]
        if a.class_balance:
            cls = sorted(set(y[idx]))
            for c in cls:
                ci = [i for i in idx if y[i] == c]
                w[ci] = 1.0 / (len(names) * len(cls) * len(ci))
        else:
            w[idx] = 1.0 / (len(names) * len(idx))
    # --mask-binary: binary sets (positive / negative gold only) get a softmax
    # over negative and positive only (on the dev sets it let zh reviews drift
    # to neutral: -3 to -9 points; the default teaches "a review is rarely neutral")
    mask = np.zeros((len(rows), 3))
    if a.mask_binary:
        for s in names:
            idx = [i for i, t in enumerate(sets) if t == s]
            if 1 not in set(y[idx]):
                mask[idx, 1] = -1e9
    W, b = fit(X, y, w, mask)
    # the same fit with one set held out at a time, for an honest dev figure
    print("set                       n   acc(fit)  acc(set held out)  acc(whole-text argmax)")
    for s in names:
        idx = np.array([i for i, t in enumerate(sets) if t == s])
        rest = np.array([i for i, t in enumerate(sets) if t != s])
        W2, b2 = fit(X[rest], y[rest], w[rest] / w[rest].sum(), mask[rest])
        base = X[idx, :3].argmax(1)
        print("%-22s %5d   %.3f     %.3f              %.3f" % (
            s, len(idx), (predict(X[idx], W, b) == y[idx]).mean(),
            (predict(X[idx], W2, b2) == y[idx]).mean(), (base == y[idx]).mean()))
    gate = choose_gate(X, y, w, sets, W, b)
    print("text_gate:", gate)
    if a.no_save:
        return
    out = dict(features=FEATURES, labels=LABELS, weights=W.T.round(5).tolist(), bias=b.round(5).tolist(),
               source="multinomial logistic regression trained by models/train_record.py on %d dev-split "
                      "records of %d sets (%s), %s" % (len(rows), len(names), ", ".join(names),
                                                       datetime.date.today().isoformat()))
    if gate is not None:
        out["text_gate"] = gate
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
