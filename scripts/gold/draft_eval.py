#!/usr/bin/env python3
"""How far does `vocmine codebook draft` get towards a researcher's codebook?

For each set: draft a codebook from the training texts alone (their gold is
not read), analyze the training texts with the draft, and map every drafted
leaf code to the gold code its records carry most often (many to one, as a
researcher renaming and merging draft codes would; a draft code whose
records mostly carry no gold code maps to nothing). Then analyze the
evaluation texts with the draft, translate the codes through that map and
score them against the gold: micro-F1, coverage (share of texts with a
drafted code) and the purity of the draft codes on the evaluation texts.

    python3 scripts/gold/convert.py
    cargo build --release
    python3 scripts/gold/draft_eval.py [--set se14] [--draft-arg=--resolution=2]
"""
import argparse
import collections
import json
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLD = ROOT / "target/gold"
# key: (lang, name, train gold, eval gold)
SETS = {
    "se14": ("en", "SemEval-2014 restaurants, 5 topics",
             "restaurant-en-semeval14-train.jsonl", "restaurant-en-semeval14-test.jsonl"),
    "mams": ("en", "MAMS-ACSA, 8 categories",
             "restaurant-en-mams-train.jsonl", "restaurant-en-mams-test.jsonl"),
    "se16ru": ("ru", "SemEval-2016 RU restaurants, 12 categories",
               "restaurant-ru-train.jsonl", "restaurant-ru-dev.jsonl"),
    "asap": ("zh", "ASAP Dianping reviews, 18 aspects",
             "asap-zh-aspects-train.jsonl", "asap-zh-aspects-dev.jsonl"),
    "products": ("zh", "Chinese product review sentences, 4 product types",
                 "products-zh-train.jsonl", "products-zh-test.jsonl"),
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def analyze(vocmine, codebook, gold_path, out_path):
    subprocess.run([vocmine, "analyze", str(gold_path), "--codebook", str(codebook),
                    "-o", str(out_path), "--quiet"], check=True)
    codes = {}
    for line in read(out_path):
        codes[json.dumps(line.get("id"))] = {c["code"] for c in line.get("codes") or []
                                             if not c.get("rolled_up")}
    return codes


def score(gold, predicted):
    tp = fp = fn = 0
    for g in gold:
        want = {c["code"] for c in g.get("codes") or []}
        got = predicted.get(json.dumps(g.get("id")), set())
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def with_settings(text, settings):
    """The drafted codebook with `settings` (key -> value) in its settings block."""
    lines = text.splitlines()
    start = lines.index("settings:")
    for key, value in settings.items():
        for i in range(start + 1, len(lines)):
            if not lines[i].startswith("  "):
                lines.insert(i, f"  {key}: {value}")
                break
            if lines[i].startswith(f"  {key}:"):
                lines[i] = f"  {key}: {value}"
                break
    return "\n".join(lines) + "\n"


def run_set(key, vocmine, extra, tmp, settings=None):
    lang, name, train, test = SETS[key]
    train_gold, test_gold = read(GOLD / train), read(GOLD / test)
    draft = tmp / f"{key}.draft.yaml"
    proc = subprocess.run([vocmine, "codebook", "draft", str(GOLD / train), "-o", str(draft), *extra],
                          check=True, capture_output=True, text=True)
    if settings:
        draft.write_text(with_settings(draft.read_text(encoding="utf-8"), settings), encoding="utf-8")
    summary = proc.stderr.splitlines()[0] if proc.stderr else ""
    train_codes = analyze(vocmine, draft, GOLD / train, tmp / f"{key}.train.jsonl")
    co = collections.defaultdict(collections.Counter)
    for g in train_gold:
        want = [c["code"] for c in g.get("codes") or []] or [None]
        for d in train_codes.get(json.dumps(g.get("id")), ()):
            for w in want:
                co[d][w] += 1
    mapping = {d: c.most_common(1)[0][0] for d, c in co.items()}
    test_codes = analyze(vocmine, draft, GOLD / test, tmp / f"{key}.test.jsonl")
    mapped = {i: {mapping[d] for d in ds if mapping.get(d)} for i, ds in test_codes.items()}
    p, r, f1 = score(test_gold, mapped)
    covered = sum(1 for ds in test_codes.values() if ds) / max(1, len(test_codes))
    # purity: share of (text, draft code) pairs whose text carries the mapped gold code
    pure = total = 0
    for g in test_gold:
        want = {c["code"] for c in g.get("codes") or []}
        for d in test_codes.get(json.dumps(g.get("id")), ()):
            total += 1
            pure += mapping.get(d) in want
    leaves = len({d for d in mapping})
    return {"set": key, "lang": lang, "name": name, "draft": summary, "draft_codes": leaves,
            "mapped_to": len({v for v in mapping.values() if v}),
            "precision": round(p, 3), "recall": round(r, 3), "micro_f1": round(f1, 3),
            "coverage": round(covered, 3), "purity": round(pure / max(1, total), 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", choices=sorted(SETS), help="sets to run (default: all)")
    ap.add_argument("--bin", default=str(ROOT / "target/release/vocmine"))
    ap.add_argument("--draft-arg", action="append", default=[], help="extra argument of `codebook draft`")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting written into each draft before it codes (e.g. exemplar_margin=0.01)")
    a = ap.parse_args()
    settings = dict(kv.split("=", 1) for kv in a.setting)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for key in a.set or list(SETS):
            row = run_set(key, a.bin, a.draft_arg, pathlib.Path(d), settings)
            rows.append(row)
            print(f"{row['lang']}  {row['name']:<52} F1 {row['micro_f1']:.3f} "
                  f"(P {row['precision']:.3f} R {row['recall']:.3f}) coverage {row['coverage']:.3f} "
                  f"purity {row['purity']:.3f} · {row['draft_codes']} draft codes → {row['mapped_to']} gold codes",
                  flush=True)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
