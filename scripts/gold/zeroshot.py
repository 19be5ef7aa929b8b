#!/usr/bin/env python3
"""Zero-shot codebooks through `vocmine eval`: labels, a description and three
exemplars per code, no rules, no learned classifiers.

Six sets (gold from convert.py in target/gold/): SemEval-2014 restaurants
(5 coarse topics, en), MAMS-ACSA (8 categories, en), SemEval-2016 restaurants
(12 categories, en and ru; the shipped restaurant codebook with its rules and
learned classifiers removed and three exemplars per code kept), ASAP
(18 aspects, zh, whole reviews) and the Chinese ABSA sentences by product
type (4 codes, zh). `--split tune` scores the training splits
(for choosing settings), `--split eval` the dev / test splits (the figures in
EVALUATION.md). `--set key=value` overrides codebook settings.

    python3 scripts/gold/convert.py
    cargo build --release
    python3 scripts/gold/zeroshot.py [--split eval] [--set zero_shot_threshold=0.02]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
ZS = ROOT / "corpora/codebooks/zeroshot"
RESTAURANT = ROOT / "corpora/codebooks/restaurant.yaml"
# (lang, name, codebook, tune gold, eval gold)
SETS = [
    ("en", "SemEval-2014 restaurants, 5 topics", ZS / "restaurant_coarse.yaml",
     "restaurant-en-semeval14-train.jsonl", "restaurant-en-semeval14-test.jsonl"),
    ("en", "MAMS-ACSA, 8 categories", ZS / "mams.yaml",
     "restaurant-en-mams-train.jsonl", "restaurant-en-mams-test.jsonl"),
    ("en", "SemEval-2016 EN restaurants, 12 categories", RESTAURANT,
     "restaurant-en-train.jsonl", "restaurant-en-dev.jsonl"),
    ("ru", "SemEval-2016 RU restaurants, 12 categories", RESTAURANT,
     "restaurant-ru-train.jsonl", "restaurant-ru-dev.jsonl"),
    ("zh", "ASAP Dianping reviews, 18 aspects", ZS / "asap.yaml",
     "asap-zh-aspects-train.jsonl", "asap-zh-aspects-dev.jsonl asap-zh-aspects-test.jsonl"),
    ("zh", "Chinese product review sentences, 4 product types", ZS / "zh_products.yaml",
     "products-zh-train.jsonl", "products-zh-test.jsonl"),
    ("zh", "Chinese car review sentences, 10 topics", ZS / "zh_car.yaml",
     "cartopics-zh-train.jsonl", "cartopics-zh-test.jsonl"),
]


def zero_shot(text, settings):
    """The codebook without rules, learned classifiers or settings, at most
    three exemplars per code, and `settings` as its settings block."""
    out, skip, exemplars = [], None, 0
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if skip is not None:
            if stripped and indent <= skip:
                skip = None
            else:
                continue
        if stripped.startswith("- id:"):
            exemplars = 0
        if stripped in ("rules:", "settings:"):
            skip = indent
            continue
        if stripped.startswith("exemplar_threshold:"):
            continue
        if stripped.startswith("- ") and indent >= 6 and out and exemplar_block(out):
            exemplars += 1
            if exemplars > 3:
                continue
        out.append(line)
    block = ["settings:"] + [f"  {k}: {v}" for k, v in settings.items()]
    return "\n".join(block + out) + "\n"


def exemplar_block(lines):
    for l in reversed(lines):
        s = l.strip()
        if not s.startswith("- "):
            return s == "exemplars:"
    return False


def run(binary, codebook, gold_files, only):
    with tempfile.TemporaryDirectory() as d:
        gold = pathlib.Path(d) / "gold.jsonl"
        with open(gold, "w", encoding="utf-8") as out:
            for g in gold_files:
                out.write(open(g, encoding="utf-8").read())
        rep = pathlib.Path(d) / "report.json"
        cmd = [str(binary), "eval", "--codebook", str(codebook), "--gold", str(gold), "--json", str(rep)]
        if only:
            cmd.append("--only-gold-codes")
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        return json.load(open(rep))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/vocmine"))
    ap.add_argument("--gold", default=str(ROOT / "target/gold"))
    ap.add_argument("--split", choices=["tune", "eval"], default="eval")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", help="also write the reports here")
    ap.add_argument("--sets", nargs="*", type=int, metavar="N",
                    help="only these sets (0-based, in the order of the table)")
    a = ap.parse_args()
    settings = dict(kv.split("=", 1) for kv in a.set)
    reports = []
    print("| lang | set | texts | micro P / R / F1 | macro F1 | point acc. |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for n, (lang, name, cb, tune, ev) in enumerate(SETS):
            if a.sets is not None and n not in a.sets:
                continue
            zs = pathlib.Path(d) / cb.name
            zs.write_text(zero_shot(cb.read_text(encoding="utf-8"), settings), encoding="utf-8")
            files = [pathlib.Path(a.gold) / f for f in (tune if a.split == "tune" else ev).split()]
            r = run(a.bin, zs, files, False)
            m = r["micro"]
            acc = r.get("point_accuracy")
            acc = "-" if acc is None else f"{acc:.3f}"
            print(f"| {lang} | {name} | {r['texts']} | {m['precision']:.3f} / {m['recall']:.3f} / "
                  f"**{m['f1']:.3f}** | {r['macro_avg']['f1']:.3f} | {acc} |")
            reports.append({"lang": lang, "set": name, "report": r})
    if a.json:
        json.dump(reports, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
