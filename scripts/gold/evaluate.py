#!/usr/bin/env python3
"""Scores the restaurant codebook on the dev splits converted by convert.py.

Three configurations per language: rules only (no model), rules + exemplars
(the encoder, without the learned classifiers), and rules + exemplars +
learned classifiers (the shipped configuration). Prints a Markdown table of
micro / macro F1 and point accuracy.

    python3 scripts/gold/convert.py          # writes target/gold/
    cargo build --release
    python3 scripts/gold/evaluate.py [--bin target/release/vocmine]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SETS = [
    ("en", "SemEval-2016 EN restaurants dev (resplit)", "restaurant-en-dev.jsonl", False),
    ("ru", "SemEval-2016 RU restaurants dev", "restaurant-ru-dev.jsonl", False),
    ("zh", "ASAP Dianping dev (mapped, gold codes only)", "restaurant-zh-asap-dev.jsonl", True),
]


def run(binary, codebook, gold, only, no_model):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [str(binary), "eval", "--codebook", str(codebook), "--gold", str(gold), "--json", f.name]
        if only:
            cmd.append("--only-gold-codes")
        if no_model:
            cmd.append("--no-model")
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        return json.load(open(f.name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/vocmine"))
    ap.add_argument("--gold", default=str(ROOT / "target/gold"))
    ap.add_argument("--codebook", default=str(ROOT / "corpora/codebooks/restaurant.yaml"))
    a = ap.parse_args()
    cb = pathlib.Path(a.codebook)
    text = cb.read_text(encoding="utf-8")
    bare = cb.with_name(cb.stem + ".nolearned.tmp.yaml")
    bare.write_text(
        "\n".join(l for l in text.splitlines() if not l.strip().startswith("learned:")) + "\n",
        encoding="utf-8",
    )
    try:
        print("| lang | set | texts | rules only (micro / macro F1) | + exemplars | + learned | point acc. |")
        print("|---|---|---|---|---|---|---|")
        for lang, name, file, only in SETS:
            gold = pathlib.Path(a.gold) / file
            r0 = run(a.bin, bare, gold, only, True)
            r1 = run(a.bin, bare, gold, only, False)
            r2 = run(a.bin, cb, gold, only, False)
            f = lambda r: f"{r['micro']['f1']:.3f} / {r['macro_avg']['f1']:.3f}"
            acc = r2.get("point_accuracy")
            print(f"| {lang} | {name} | {r2['texts']} | {f(r0)} | {f(r1)} | {f(r2)} | {acc:.3f} |")
    finally:
        bare.unlink()


if __name__ == "__main__":
    main()
