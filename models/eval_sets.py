#!/usr/bin/env python3
"""Write the labelled record sets that `vocmine eval --records` scores, from
../shared/corpora (read in place; the output goes outside the repository).

    .venv-models/bin/python models/eval_sets.py --out /tmp/vm-eval

Writes OUT/sentiment.{dev,test}.jsonl (whole reviews, tweets and sentences
as records, with their human `sentiment`) and OUT/suggest.{dev,test}.jsonl
(SemEval-2019 Task 9 forum sentences with `itch` true / false). Splits are
those of models/train_sentiment.py (fixed by an MD5 of the text): `test`
texts never trained the sentiment head, `dev` texts trained neither the head
nor anything else except the record combiner (models/train_record.py). The
`set` field names the source; at most --per-set records per set and split
(the ones with the smallest hash), so a run takes minutes on 2 cores.
"""
import argparse
import csv
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_sentiment as ts  # noqa: E402

SHORT = {
    "waimai_10k": "zh-waimai", "online_shopping_10_cats": "zh-shopping",
    "Chinese_ABSA_apc_pyabsa": "zh-absa", "ASAP_samples (stars)": "zh-asap-stars",
    "SentiRuEval2015_banks_telecom_tweets": "ru-tweets",
    "SemEval2016_Task5_RU_restaurants": "ru-semeval16", "SentiRuEval2015_ABSA_restaurants": "ru-sentiru15",
    "SemEval2016_Task5_EN_restaurants": "en-semeval16-rest", "SemEval2016_Task5_EN_laptops": "en-semeval16-lap",
    "SemEval2014_Task4": "en-semeval14", "SemEval2015_Task12_hotels": "en-semeval15-hotels",
    "banking77 (neutral)": "en-banking77-neutral", "nlupp (neutral)": "en-nlupp-neutral",
}


def h(text, salt):
    return hashlib.md5((salt + "|" + text).encode("utf-8")).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-set", type=int, default=800)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = [r for r in ts.build_data() if r["unit"] != "clause" and r["split"] in ("dev", "test")]
    for split in ("dev", "test"):
        by_set = {}
        for r in rows:
            if r["split"] == split:
                by_set.setdefault(SHORT.get(r["source"], r["source"]), []).append(r)
        n = 0
        with open(os.path.join(a.out, "sentiment.%s.jsonl" % split), "w", encoding="utf-8") as f:
            for name in sorted(by_set):
                for r in sorted(by_set[name], key=lambda r: h(r["text"], "eval"))[:a.per_set]:
                    n += 1
                    f.write(json.dumps(dict(id="%s-%d" % (name, n), text=r["text"], language=r["lang"],
                                            sentiment=r["label"], set=name), ensure_ascii=False) + "\n")
        ts.say("sentiment.%s.jsonl: %d records in %d sets" % (split, n, len(by_set)))
    # SemEval-2019 Task 9 subtask A (train file only in ../shared): test < 20, dev 20-30
    sugg = {"dev": [], "test": []}
    with open(ts.c("SemEval2019_Task9_suggestion_mining", "V1.4_Training.csv"), encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) < 3 or row[2] not in ("0", "1"):
                continue
            t = row[1].strip().strip('"').replace('""', '"')
            b = ts.hbucket(t, "suggest")
            split = "test" if b < 20 else ("dev" if b < 30 else None)
            if t and split:
                sugg[split].append((t, row[2] == "1"))
    for split, items in sugg.items():
        with open(os.path.join(a.out, "suggest.%s.jsonl" % split), "w", encoding="utf-8") as f:
            for i, (t, y) in enumerate(items):
                f.write(json.dumps(dict(id="sugg-%d" % i, text=t, language="en", itch=y,
                                        set="en-semeval19-suggest"), ensure_ascii=False) + "\n")
        ts.say("suggest.%s.jsonl: %d sentences, %d suggestions" % (split, len(items), sum(y for _, y in items)))


if __name__ == "__main__":
    main()
