#!/usr/bin/env python3
"""How many of the keywords `vocmine keywords` shows are themes people annotate.

For corpora whose sentences carry annotated opinion targets / aspect terms
(SemEval-2014 laptops and SemEval-2016 restaurants in English, SemEval-2016
restaurants in Russian, the Chinese ABSA sets of pyabsa), this runs the
product's own command over the texts,

    vocmine keywords TEXTS.jsonl --top K --json -

and counts which of the top K entries a reader would call a theme: an entry
is a hit when it names an annotated target that occurs at least twice in the
corpus (English and Russian compared by the product's own stems, so "prices"
matches "price"; Chinese compared as written). It prints precision at 10 and
at 20 per corpus, and the entries themselves.

The entries are those the word cloud draws (`themes`; `terms` for builds
without themes). Splits: `tune` corpora were looked at while choosing the
filler lists and the phrase test; `eval` corpora were not.

    python3 scripts/gold/keywords_eval.py [--bin target/release/vocmine] [--top 20]
        [--shared ../shared/corpora] [--set tune|eval|all]

Python 3 stdlib only. Nothing is written to the repository.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def semeval14_terms(path):
    """(text, [terms]) of a SemEval-2014 file (aspectTerm elements)."""
    for s in ET.parse(path).getroot().iter("sentence"):
        text = (s.findtext("text") or "").strip()
        if text:
            yield text, [a.get("term") for a in s.iter("aspectTerm")]


def semeval16_terms(path):
    """(text, [targets]) of a SemEval-2015/16 file (Opinion targets, NULL left out)."""
    for s in ET.parse(path).getroot().iter("sentence"):
        if s.get("OutOfScope", "").upper() == "TRUE":
            continue
        text = (s.findtext("text") or "").strip()
        if text:
            targets = [o.get("target") for o in s.iter("Opinion")]
            yield text, [t for t in targets if t and t != "NULL"]


def pyabsa_terms(path):
    """(text, [terms]) of a pyabsa APC file: three lines per example
    (sentence with $T$, the term, the polarity); one sentence may repeat
    with several terms."""
    with open(path, encoding="utf-8") as f:
        # the files space-separate every character; rejoin all but the
        # spaces between two ASCII words
        lines = [re.sub(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])", "", l.rstrip("\n")) for l in f]
    by_text = collections.OrderedDict()
    for i in range(0, len(lines) - 2, 3):
        term = lines[i + 1].strip()
        text = lines[i].replace("$T$", term).strip()
        by_text.setdefault(text, []).append(term)
    yield from by_text.items()


def corpora(shared):
    c = shared
    return {
        "tune": [
            ("en", "semeval14-laptops", [semeval14_terms(f"{c}/SemEval2014_Task4/Laptop_Train_v2.xml")]),
            ("ru", "semeval16-ru-train", [semeval16_terms(f"{c}/SemEval2016_Task5_RU_restaurants/train.xml")]),
            ("zh", "pyabsa-camera+notebook", [
                pyabsa_terms(f"{c}/Chinese_ABSA_apc_pyabsa/{d}/{d}.{s}.txt")
                for d in ("camera", "notebook") for s in ("train", "test")]),
        ],
        "eval": [
            ("en", "semeval16-en-restaurants", [
                semeval16_terms(f"{c}/SemEval2016_Task5_EN_restaurants_resplit/{s}.xml")
                for s in ("train", "dev")]),
            ("ru", "semeval16-ru-dev", [semeval16_terms(f"{c}/SemEval2016_Task5_RU_restaurants/dev.xml")]),
            ("zh", "pyabsa-car+phone", [
                pyabsa_terms(f"{c}/Chinese_ABSA_apc_pyabsa/{d}/{d}.{s}.txt")
                for d in ("car", "phone") for s in ("train", "test")]),
        ],
    }


def stems(binary, phrases, language):
    """The product's content-word stems of each phrase (one record each)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for i, p in enumerate(phrases):
            f.write(json.dumps({"id": i, "text": p, "language": language}, ensure_ascii=False) + "\n")
        path = f.name
    out = subprocess.run([binary, "analyze", path, "--no-model", "--tokens", "--quiet"],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(path)
    sig = {}
    for line in out.splitlines():
        d = json.loads(line)
        words = [t.get("stem") or t["norm"] for c in d.get("clauses", [])
                 for t in c.get("tokens") or [] if t["kind"] == "word" and not t.get("stop")]
        sig[phrases[int(d["id"])]] = tuple(words)
    return sig


def evaluate(binary, language, name, sources, top):
    texts, gold = [], collections.Counter()
    for src in sources:
        for text, terms in src:
            texts.append(text)
            for t in terms:
                gold[t.strip().lower()] += 1
    gold = {t for t, n in gold.items() if n >= 2 and t}
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": i, "text": t, "language": language}, ensure_ascii=False) + "\n")
        path = f.name
    report = json.loads(subprocess.run(
        [binary, "keywords", path, "--top", str(top), "--json", "-"],
        capture_output=True, text=True, check=True).stdout)
    os.unlink(path)
    lang = next((l for l in report["languages"] if l["language"] == language), None)
    entries = lang.get("themes") or lang["terms"] if lang else []
    items = [e.get("term") or e.get("phrase") for e in entries][:top]
    if language == "zh":
        hit = [i in gold for i in items]
    else:
        gs = stems(binary, sorted(gold), language)
        gold_sigs = {s for s in gs.values() if s}
        its = stems(binary, items, language) if items else {}
        hit = [bool(its.get(i)) and its.get(i) in gold_sigs for i in items]
    p = lambda k: sum(hit[:k]) / k if len(hit) >= k else float("nan")
    print(f"{language} {name}: {len(texts)} texts, {len(gold)} gold themes (>= 2 mentions); "
          f"P@10 {p(10):.2f}  P@20 {p(20):.2f}")
    print("   " + ", ".join(("*" if h else "") + i for i, h in zip(items, hit)))
    return p(10), p(20)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/vocmine"))
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared/corpora"))
    ap.add_argument("--set", default="all", choices=["tune", "eval", "all"])
    a = ap.parse_args()
    sets = corpora(a.shared)
    for name in ("tune", "eval"):
        if a.set in (name, "all"):
            print(f"== {name} ==  (* = an annotated theme)")
            for language, corpus, sources in sets[name]:
                evaluate(a.bin, language, corpus, sources, a.top)


if __name__ == "__main__":
    sys.exit(main())
