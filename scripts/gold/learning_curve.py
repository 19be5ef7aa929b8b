#!/usr/bin/env python3
"""Learning curves of `vocmine codebook learn` on the zero-shot codebooks of
zeroshot.py: for n labelled training texts (a seeded sample of the training
split), learn the classifiers, then score the dev / test split with
`vocmine eval`; beside it, the plain reference — one logistic regression per
code on the frozen whole-text embeddings of the same n texts (standardized,
L2 as scikit-learn's C=1), threshold 0.5 (numpy, same model). Run with the set-up venv:

    .venv-models/bin/python scripts/gold/learning_curve.py [--sizes 50 200 1000]

`--validate` scores the training texts beyond the largest size instead of the
evaluation split (for choosing how `learn` works); `--learn-args "--l2 1e-5"`
passes settings to every `vocmine codebook learn`.
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import tempfile

import numpy as np
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import zeroshot  # noqa: E402
from prototype_baseline import Embedder  # noqa: E402

ROOT = zeroshot.ROOT


def logreg(x, y, l2=1e-3, steps=300, lr=0.05):
    """Plain L2 logistic regression (mean loss + l2/2 |w|^2), full-batch Adam."""
    n, d = x.shape
    w = np.zeros(d)
    b = 0.0
    m = np.zeros(d + 1)
    v = np.zeros(d + 1)
    for t in range(1, steps + 1):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = np.concatenate([x.T @ (p - y) / n + l2 * w, [np.mean(p - y)]])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        w -= step[:d]
        b -= step[d]
    return w, b


def micro(gold, pred):
    tp = p = s = 0
    for g, pr in zip(gold, pred):
        want = {c["code"] for c in g["codes"]}
        tp += len(want & pr)
        p += len(pr)
        s += len(want)
    pp, rr = tp / max(p, 1), tp / max(s, 1)
    return 2 * pp * rr / max(pp + rr, 1e-9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/vocmine"))
    ap.add_argument("--gold", default=str(ROOT / "target/gold"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sets", nargs="*", help="indices into zeroshot.SETS (default: those with 1000+ training texts)")
    ap.add_argument("--validate", action="store_true",
                    help="score on the training split's texts beyond the largest size instead of the "
                         "dev / test split (for choosing how `learn` works without reading the evaluation data)")
    ap.add_argument("--learn-args", default="", help="extra arguments of every `vocmine codebook learn`")
    a = ap.parse_args()
    embed = Embedder(ROOT / "models/multilingual-e5-small")
    gold_dir = pathlib.Path(a.gold)
    print("| lang | set | n | vocmine learn: micro F1 | plain logistic regression | difference | point acc. |")
    print("|---|---|---|---|---|---|---|")
    for si, (lang, name, cb, tune, ev) in enumerate(zeroshot.SETS):
        train = [json.loads(l) for f in tune.split() for l in open(gold_dir / f, encoding="utf-8")]
        if a.sets is not None and str(si) not in a.sets:
            continue
        if a.sets is None and len(train) < 1000:
            continue
        test_files = [gold_dir / f for f in ev.split()]
        test = [json.loads(l) for f in test_files for l in open(f, encoding="utf-8")]
        random.Random(a.seed).shuffle(train)
        if a.validate:
            test, test_files = train[max(a.sizes):], None
            if not test:
                sys.exit(f"--validate: set {si} has no training texts beyond {max(a.sizes)}")
        spec = yaml.safe_load(zeroshot.zero_shot(cb.read_text(encoding="utf-8"), {}))
        parents = {c.get("parent") for c in spec["codes"]}
        leaves = [c["id"] for c in spec["codes"] if c["id"] not in parents]
        x_test = embed([g["text"] for g in test])
        x_train = embed([g["text"] for g in train[:max(a.sizes)]])
        with tempfile.TemporaryDirectory() as d:
            d = pathlib.Path(d)
            test_gold = d / "test.jsonl"
            if test_files is None:
                test_gold.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in test),
                                     encoding="utf-8")
            else:
                test_gold.write_text("".join(f.read_text(encoding="utf-8") for f in test_files), encoding="utf-8")
            for n in a.sizes:
                sub = train[:n]
                g = d / "train.jsonl"
                g.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in sub), encoding="utf-8")
                cbf = d / "cb.yaml"
                cbf.write_text(zeroshot.zero_shot(cb.read_text(encoding="utf-8"), {"learned": "cb.learned.json"}),
                               encoding="utf-8")
                subprocess.run([a.bin, "codebook", "learn", "--codebook", str(cbf), "--gold", str(g), *a.learn_args.split()],
                               check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
                rep = d / "rep.json"
                subprocess.run([a.bin, "eval", "--codebook", str(cbf), "--gold", str(test_gold), "--json", str(rep)],
                               check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
                report = json.load(open(rep))
                ours = report["micro"]["f1"]
                acc = report.get("point_accuracy")
                acc = "-" if acc is None else f"{acc:.3f}"
                pred = [set() for _ in test]
                # Standardized features, L2 of sklearn's C=1.
                mu = x_train[:n].mean(0)
                sd = x_train[:n].std(0) + 1e-6
                for code in leaves:
                    y = np.array([any(c["code"] == code for c in t["codes"]) for t in sub], float)
                    if y.sum() == 0 or y.sum() == len(y):
                        continue
                    w, b = logreg((x_train[:n] - mu) / sd, y, l2=1.0 / n)
                    for i, z in enumerate(((x_test - mu) / sd) @ w + b):
                        if z > 0:
                            pred[i].add(code)
                base = micro(test, pred)
                print(f"| {lang} | {name} | {n} | **{ours:.3f}** | {base:.3f} | {ours - base:+.3f} | {acc} |",
                      flush=True)


if __name__ == "__main__":
    main()
