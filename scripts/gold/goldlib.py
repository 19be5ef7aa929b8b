"""Shared helpers for the gold converters (stdlib only).

Gold format: see corpora/codebooks/FORMAT.md, "Gold format".
One JSON object per line: {"id", "text", "language", "codes": [{"code", "point"}]}
plus optional extra fields, which the evaluator ignores.
"""

import collections
import json
import os
import re
import xml.etree.ElementTree as ET

# Code ids allowed by the codebook format: letters, digits, '_', '-', '.'.
CODE_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")
POINTS = {"pain", "itch", "delight", "mention"}

# Polarity labels of the source corpora, normalised.
POSITIVE = {"positive", "pos", "1"}
NEGATIVE = {"negative", "neg", "-1"}


def point_from_polarities(polarities):
    """All negative -> pain, all positive -> delight, anything else
    (neutral, conflict, or a mix of polarities) -> mention."""
    pols = {str(p).strip().lower() for p in polarities}
    if pols and pols <= NEGATIVE:
        return "pain"
    if pols and pols <= POSITIVE:
        return "delight"
    return "mention"


def codes_from_pairs(pairs):
    """[(code, polarity), ...] -> deduplicated, sorted gold codes with one
    point per code (see point_from_polarities)."""
    by_code = collections.OrderedDict()
    for code, polarity in pairs:
        by_code.setdefault(code, []).append(polarity)
    return [{"code": c, "point": point_from_polarities(p)}
            for c, p in sorted(by_code.items())]


def semeval_category_code(category, prefix=""):
    """FOOD#QUALITY -> food.quality; 'anecdotes/miscellaneous' ->
    anecdotes_miscellaneous (a '/' is not allowed in code ids)."""
    code = category.strip().lower().replace("#", ".").replace("/", "_")
    return prefix + code


def iter_semeval_sentences(path):
    """Yield (sentence_element, text) for every in-scope sentence of a
    SemEval ABSA XML file (2014 <sentences> root or 2015/16 <Reviews> root).
    Sentences marked OutOfScope="TRUE" are skipped: they carry opinions the
    annotators did not label, so they would be false "no code" gold."""
    root = ET.parse(path).getroot()
    for sentence in root.iter("sentence"):
        if sentence.get("OutOfScope", "").upper() == "TRUE":
            continue
        text = (sentence.findtext("text") or "").strip()
        if text:
            yield sentence, text


def semeval_opinions(sentence, tag):
    """(category, polarity) pairs of a sentence: tag is "Opinion"
    (2015/2016) or "aspectCategory" (2014, MAMS-ACSA)."""
    return [(o.get("category"), o.get("polarity")) for o in sentence.iter(tag)]


def file_stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def record(rid, text, language, codes, **extra):
    rec = {"id": rid, "text": text, "language": language, "codes": codes}
    rec.update(extra)
    return rec


def validate(records, name):
    seen = set()
    for r in records:
        if r["id"] in seen:
            raise ValueError(f"{name}: duplicate id {r['id']!r}")
        seen.add(r["id"])
        if not r["text"].strip():
            raise ValueError(f"{name}: empty text in {r['id']!r}")
        codes = [c["code"] for c in r["codes"]]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{name}: repeated code in {r['id']!r}")
        for c in r["codes"]:
            if not CODE_ID.match(c["code"]):
                raise ValueError(f"{name}: bad code id {c['code']!r}")
            if c.get("point") is not None and c["point"] not in POINTS:
                raise ValueError(f"{name}: bad point {c['point']!r}")


def write_jsonl(out_dir, name, records):
    """Validate and write records; return a small summary dict."""
    records = list(records)
    validate(records, name)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return summarize(name, records)


def summarize(name, records):
    codes = collections.Counter()
    points = collections.Counter()
    code_points = collections.defaultdict(collections.Counter)
    with_codes = 0
    for r in records:
        if r["codes"]:
            with_codes += 1
        for c in r["codes"]:
            codes[c["code"]] += 1
            points[c.get("point")] += 1
            code_points[c["code"]][c.get("point")] += 1
    s = {
        "file": name,
        "records": len(records),
        "with_codes": with_codes,
        "code_labels": sum(codes.values()),
        "codes": dict(sorted(codes.items())),
        "points": dict(sorted(points.items())),
        "code_points": {k: dict(sorted(v.items()))
                        for k, v in sorted(code_points.items())},
    }
    if records and "suggestion" in records[0]:
        s["suggestion"] = sum(1 for r in records if r["suggestion"])
    if records and "aspects" in records[0]:
        s["aspect_terms"] = sum(len(r["aspects"]) for r in records)
        s["aspect_polarity"] = dict(collections.Counter(
            a["polarity"] for r in records for a in r["aspects"]))
    return s
