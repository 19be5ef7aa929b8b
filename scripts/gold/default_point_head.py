#!/usr/bin/env python3
"""Would a default point head carry across domains? Leave one set out.

For codebooks whose gold gives no points, the point of a coded clause comes
from its voice type. This measures whether a point head trained on *other*
domains' gold points (pain / mention / delight) would do better: for each
set of zeroshot.py, a softmax regression is trained on the zero-shot
codebooks' `vocmine analyze` output over the training splits of the other
sets and scored on the held-out set's evaluation split. Each pair is a
(text, code) that both the gold and `analyze` have, represented by the
clause that carries the code most: its voice probabilities, its embedding
(`vocmine embed`) and the code's prototype (the unit sum of the unit means
of its exemplars, labels and description, as the codebook builds it).
"product now" is the record point `analyze` prints. Needs the set-up venv
and the gold of convert.py:

    python3 scripts/gold/convert.py && cargo build --release
    .venv-models/bin/python scripts/gold/default_point_head.py --work /tmp/dph [--sets 0 1 2 3 4 6]

The outputs of `analyze` and `embed` are kept in WORK and reused.
EVALUATION.md (few-shot section) has the figures; the head was not built.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import zeroshot  # noqa: E402
from prototype_baseline import Embedder  # noqa: E402

ROOT = zeroshot.ROOT
POINT = {"pain": 0, "mention": 1, "delight": 2}
FEATURES = ["voice", "emb", "emb+code", "emb+code+sim"]


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def prototypes(spec, embed):
    out = {}
    for c in spec["codes"]:
        groups = [c.get("exemplars") or [], list((c.get("labels") or {}).values()),
                  [c["description"]] if c.get("description") else []]
        v = np.zeros(384)
        for g in groups:
            if g:
                v += unit(unit(embed(g)).mean(0))
        if np.linalg.norm(v) > 0:
            out[c["id"]] = unit(v)
    return out


def run(args):
    subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def pairs(a, si, split, embed):
    """(embedding, prototype, voice probabilities, gold point, product point) per pair."""
    _, _, cb, tune, ev = zeroshot.SETS[si]
    work = pathlib.Path(a.work)
    cbf = work / f"zs{si}.yaml"
    cbf.write_text(zeroshot.zero_shot(cb.read_text(encoding="utf-8"), {}), encoding="utf-8")
    gold = work / f"g{si}-{split}.jsonl"
    files = (tune if split == "tune" else ev).split()
    gold.write_text("".join((pathlib.Path(a.gold) / f).read_text(encoding="utf-8") for f in files),
                    encoding="utf-8")
    out, npy = work / f"o{si}-{split}.jsonl", work / f"e{si}-{split}.npy"
    if not out.exists():
        run([a.bin, "analyze", str(gold), "--codebook", str(cbf), "-o", str(out), "-q"])
    if not npy.exists():
        run([a.bin, "embed", str(gold), "-o", str(npy)])
    x = np.load(npy)
    row = {}
    for line in open(work / f"e{si}-{split}.index.jsonl", encoding="utf-8"):
        r = json.loads(line)
        row[(r["id"], r["clause"])] = r["row"]
    protos = prototypes(yaml.safe_load(cbf.read_text(encoding="utf-8")), embed)
    gp = {}
    for line in open(gold, encoding="utf-8"):
        r = json.loads(line)
        gp[str(r["id"])] = {c["code"]: c.get("point") for c in r["codes"]}
    rows = []
    for line in open(out, encoding="utf-8"):
        r = json.loads(line)
        g = gp.get(str(r["id"]), {})
        for rc in r.get("codes", []):
            p = g.get(rc["code"])
            if p not in POINT or rc.get("rolled_up") or rc["code"] not in protos:
                continue
            best = None
            for ci, c in enumerate(r["clauses"]):
                for cc in c.get("codes", []):
                    if cc["code"] == rc["code"] and (best is None or cc["score"] > best[0]):
                        best = (cc["score"], ci, c)
            if best is None or (r["id"], best[1]) not in row:
                continue
            vp = best[2]["voice"]["probs"]
            rows.append((x[row[(r["id"], best[1])]], protos[rc["code"]],
                         np.array([vp["pain"], vp["itch"], vp["delight"], vp["neutral"]]),
                         POINT[p], POINT.get(rc["point"], -1)))
    return rows


def features(rows, kind):
    e = np.array([r[0] for r in rows])
    p = np.array([r[1] for r in rows])
    v = np.array([r[2] for r in rows])
    f = {"voice": [v], "emb": [e, v], "emb+code": [e, 8 * e * p, v],
         "emb+code+sim": [e, 8 * e * p, v, (e * p).sum(1, keepdims=True)]}[kind]
    return np.hstack(f + [np.ones((len(rows), 1))])


def fit(f, y, l2=1e-3, steps=400, lr=0.05):
    """Softmax regression, square-root balanced classes, full-batch Adam."""
    w = np.zeros((f.shape[1], 3))
    m, s = np.zeros_like(w), np.zeros_like(w)
    onehot = np.eye(3)[y]
    cw = (len(y) / (3 * np.bincount(y, minlength=3).clip(1))) ** 0.5
    sw = cw[y][:, None]
    for t in range(1, steps + 1):
        z = f @ w
        z -= z.max(1, keepdims=True)
        pr = np.exp(z)
        pr /= pr.sum(1, keepdims=True)
        g = f.T @ ((pr - onehot) * sw) / sw.sum() + l2 * w
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/vocmine"))
    ap.add_argument("--gold", default=str(ROOT / "target/gold"))
    ap.add_argument("--work", required=True)
    ap.add_argument("--sets", type=int, nargs="+", default=[0, 1, 2, 3, 4, 6])
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    embed = Embedder(ROOT / "models/multilingual-e5-small")
    data = {si: {sp: pairs(a, si, sp, embed) for sp in ("tune", "eval")} for si in a.sets}
    for si in a.sets:
        print(f"set {si}: {len(data[si]['tune'])} training pairs, {len(data[si]['eval'])} evaluation pairs")
    print("| features | " + " | ".join(zeroshot.SETS[si][1] for si in a.sets) + " |")
    print("|---|" + "---|" * len(a.sets))
    for kind in FEATURES:
        cells = []
        for held in a.sets:
            train = [r for s in a.sets if s != held for r in data[s]["tune"]]
            test = data[held]["eval"]
            w = fit(features(train, kind), np.array([r[3] for r in train]))
            pred = (features(test, kind) @ w).argmax(1)
            y = np.array([r[3] for r in test])
            now = np.mean([r[4] == r[3] for r in test])
            cells.append(f"{now:.3f} → {(pred == y).mean():.3f}")
        print(f"| {kind} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
