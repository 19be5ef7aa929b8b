#!/usr/bin/env python3
"""Does `vocmine codebook review` pick the texts worth labelling?

For each set (the zero-shot codebooks of zeroshot.py): analyze the training
texts into a store with the zero-shot codebook, let `codebook review` pick
`--size` clauses, and "label" the texts they come from with their gold codes
(the oracle a researcher would be). Learn on those texts (`codebook learn`)
and score the test split (`vocmine eval`); do the same with as many texts
drawn at random from the training split (the mean over `--seeds` draws).
The review pick wins when its texts teach the codebook more than random ones.

    python3 scripts/gold/convert.py
    cargo build --release
    python3 scripts/gold/review_eval.py [--size 200] [--sets 0 1]
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import zeroshot  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def learn_and_score(vocmine, cb_text, train, test_gold, d):
    g = d / "train.jsonl"
    g.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in train), encoding="utf-8")
    cbf = d / "cb.yaml"
    cbf.write_text(zeroshot.zero_shot(cb_text, {"learned": "cb.learned.json"}), encoding="utf-8")
    subprocess.run([vocmine, "codebook", "learn", "--codebook", str(cbf), "--gold", str(g)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    rep = d / "rep.json"
    subprocess.run([vocmine, "eval", "--codebook", str(cbf), "--gold", str(test_gold), "--json", str(rep)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return json.load(open(rep))["micro"]["f1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / "target/release/vocmine"))
    ap.add_argument("--gold", default=str(ROOT / "target/gold"))
    ap.add_argument("--size", type=int, default=200, help="clauses the review picks")
    ap.add_argument("--seeds", type=int, default=3, help="random draws to average")
    ap.add_argument("--sets", nargs="*", help="indices into zeroshot.SETS (default: 0 1 2)")
    a = ap.parse_args()
    gold_dir = pathlib.Path(a.gold)
    print("| lang | set | review picks | texts | learned on review-picked texts: micro F1 | "
          "on as many random texts (mean of draws) | zero-shot |")
    print("|---|---|---|---|---|---|---|")
    for si, (lang, name, cb, tune, ev) in enumerate(zeroshot.SETS):
        if str(si) not in (a.sets or ["0", "1", "2"]):
            continue
        train = [json.loads(l) for f in tune.split() for l in open(gold_dir / f, encoding="utf-8")]
        test_files = [gold_dir / f for f in ev.split()]
        cb_text = cb.read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory() as d:
            d = pathlib.Path(d)
            test_gold = d / "test.jsonl"
            test_gold.write_text("".join(f.read_text(encoding="utf-8") for f in test_files), encoding="utf-8")
            # the zero-shot codebook, its score, and a store of the training texts
            zs = d / "zs.yaml"
            zs.write_text(zeroshot.zero_shot(cb_text, {}), encoding="utf-8")
            rep = d / "zs.json"
            subprocess.run([a.bin, "eval", "--codebook", str(zs), "--gold", str(test_gold), "--json", str(rep)],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            zero = json.load(open(rep))["micro"]["f1"]
            records = d / "records.jsonl"
            records.write_text("".join(json.dumps({"id": str(i), "text": t["text"]}, ensure_ascii=False) + "\n"
                                       for i, t in enumerate(train)), encoding="utf-8")
            store = d / "store"
            subprocess.run([a.bin, "analyze", str(records), "--codebook", str(zs), "--store", str(store),
                            "-o", str(d / "out.jsonl"), "-q"], check=True, cwd=ROOT)
            sheet = d / "to_label.csv"
            subprocess.run([a.bin, "codebook", "review", "--codebook", str(zs), "--store", str(store),
                            "-o", str(sheet), "--size", str(a.size), "-q"], check=True, cwd=ROOT)
            import csv
            with open(sheet, encoding="utf-8") as f:
                picked = sorted({int(r["id"]) for r in csv.DictReader(f)})
            reviewed = learn_and_score(a.bin, cb_text, [train[i] for i in picked], test_gold, d)
            rnd = []
            for seed in range(a.seeds):
                sample = random.Random(seed).sample(train, len(picked))
                rnd.append(learn_and_score(a.bin, cb_text, sample, test_gold, d))
            mean = sum(rnd) / len(rnd)
            print(f"| {lang} | {name} | {a.size} | {len(picked)} | **{reviewed:.3f}** | {mean:.3f} "
                  f"({', '.join(f'{x:.3f}' for x in rnd)}) | {zero:.3f} |", flush=True)


if __name__ == "__main__":
    main()
