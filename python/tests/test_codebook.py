"""Codebooks from Python: codes, points, owners, spans; codebook errors."""

from __future__ import annotations

import json

import pytest

import vocmine
from conftest import ROOT, SAMPLE

CODEBOOKS = ROOT / "corpora" / "codebooks"


def test_codes_and_points_with_owner_and_span():
    engine = vocmine.Engine(no_model=True, codebook=CODEBOOKS / "ecommerce.yaml")
    text = "衣服质量很好。快递太慢了，等了一个星期"
    [out] = engine.analyze({"id": "r1", "text": text})
    codes = {c["code"] for c in out["codes"]}
    assert any(c.startswith("delivery") for c in codes), codes
    pains = [p for p in out["points"] if p["point"] == "pain"]
    assert pains, out["points"]
    for p in out["points"]:
        assert text[p["start"] : p["end"]] == p["text"]
        assert p["owner"]
    # Rolled-up parents are marked, clause codes carry evidence.
    coded = [c for c in out["clauses"] if c.get("codes")]
    assert all("evidence" in cc for c in coded for cc in c["codes"])


def test_agent_turns_are_never_customer_pain():
    engine = vocmine.Engine(no_model=True, codebook=CODEBOOKS / "airline.yaml")
    [out] = engine.analyze(
        {
            "id": "c1",
            "turns": [
                {"speaker": "agent", "text": "抱歉让您久等了，航班延误了三个小时"},
                {"speaker": "customer", "text": "好的"},
            ],
        }
    )
    assert out.get("points", []) == []


def test_sample_records_each_get_a_line_and_most_car_records_a_code():
    import json

    records = [json.loads(l) for l in SAMPLE.read_text(encoding="utf-8").splitlines() if l.strip()]
    engine = vocmine.Engine(no_model=True, codebook=CODEBOOKS / "automotive.yaml")
    out = engine.analyze(records)
    assert len(out) == len(records)
    cars = [o for r, o in zip(records, out) if (r.get("meta") or {}).get("brand")]
    coded = [o for o in cars if o.get("codes")]
    assert cars and len(coded) / len(cars) > 0.85


def test_invalid_codebook_is_a_resource_error_naming_file_line_and_code(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "codebook: bad\ncodes:\n  - id: a\n    parent: ghost\n    rules: {en: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(vocmine.ResourceError) as e:
        vocmine.Engine(no_model=True, codebook=bad)
    msg = str(e.value)
    assert "bad.yaml" in msg and "line 3" in msg and "`a`" in msg and "ghost" in msg


GOLD = [
    {"id": "g1", "text": "快递太慢了，等了一个星期", "language": "zh", "codes": [{"code": "delivery.speed", "point": "pain"}]},
    {"id": "g2", "text": "衣服质量很好", "language": "zh", "codes": [{"code": "product.quality", "point": "delight"}]},
    {"id": "g3", "text": "今天天气不错", "language": "zh", "codes": []},
]


def test_evaluate_codebook_scores_what_analyze_codes(tmp_path):
    engine = vocmine.Engine(no_model=True, codebook=CODEBOOKS / "ecommerce.yaml")
    report = engine.evaluate_codebook(GOLD)
    assert report["texts"] == 3
    # the score is the record codes analyze prints, text by text
    printed = [
        {c["code"] for c in o.get("codes", []) if not c.get("rolled_up")}
        for o in engine.analyze([{"id": g["id"], "text": g["text"]} for g in GOLD])
    ]
    want = [{c["code"] for c in g["codes"]} for g in GOLD]
    tp = sum(len(p & w) for p, w in zip(printed, want))
    assert report["micro"]["tp"] == tp
    assert report["micro"]["predicted"] == sum(len(p) for p in printed)
    assert report["micro"]["support"] == 2
    # a file gives the same report
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), encoding="utf-8")
    assert engine.evaluate_codebook(path) == report
    # without a codebook: a ConfigError
    with pytest.raises(vocmine.ConfigError):
        vocmine.Engine(no_model=True).evaluate_codebook(GOLD)
    # a bad item names <gold> and the item
    with pytest.raises(vocmine.ResourceError, match="<gold>:2"):
        engine.evaluate_codebook([GOLD[0], {"codes": []}])


def test_a_filled_review_sheet_is_gold(tmp_path):
    import csv

    sheet = tmp_path / "to_label.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "clause", "text", "codes", "point", "language"])
        w.writerow(["r1", 0, "快递太慢了", "delivery.speed", "pain", "zh"])
        w.writerow(["r2", 1, "衣服质量很好", "product.quality:delight", "", "zh"])
        w.writerow(["r3", 0, "还没看", "", "", "zh"])
        w.writerow(["r4", 2, "今天天气不错", "none", "", "zh"])
    gold = vocmine.read_gold(sheet)
    assert [g["id"] for g in gold] == ["r1#0", "r2#1", "r4#2"]
    assert gold[0]["codes"] == [{"code": "delivery.speed", "point": "pain"}]
    assert gold[1]["codes"] == [{"code": "product.quality", "point": "delight"}]
    assert gold[2]["codes"] == []
    engine = vocmine.Engine(no_model=True, codebook=CODEBOOKS / "ecommerce.yaml")
    assert engine.evaluate_codebook(sheet)["texts"] == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("id,clause,text,codes\nr1,0,x,a:angry\n", encoding="utf-8")
    with pytest.raises(vocmine.ResourceError, match="bad.csv:2"):
        vocmine.read_gold(bad)


def test_reclassify_a_store_equals_the_cli(cli, model_dir, tmp_path):
    """`Engine.reclassify` over a store gives the lines and the per-code
    diff of `vocmine reclassify`, with exemplars (restaurant.yaml also has
    learned classifiers) and without a model."""
    import subprocess

    store = tmp_path / "store"
    subprocess.run(
        [str(cli), "analyze", str(SAMPLE), "--codebook", str(CODEBOOKS / "automotive.yaml"),
         "--store", str(store), "-o", str(tmp_path / "a.jsonl"), "-q"],
        cwd=ROOT,
        check=True,
    )
    new, old = CODEBOOKS / "restaurant.yaml", CODEBOOKS / "automotive.yaml"
    cli_out = tmp_path / "cli.jsonl"
    done = subprocess.run(
        [str(cli), "reclassify", "--store", str(store), "--codebook", str(new), "--diff", str(old),
         "-o", str(cli_out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    engine = vocmine.Engine(model_dir)
    r = engine.reclassify(store, new, diff=old)
    with open(cli_out, encoding="utf-8") as f:
        cli_lines = [json.loads(line) for line in f]
    assert r["lines"] == cli_lines
    assert r["records"] == len(cli_lines) == 359
    # the CLI's diff table: code, old, new, +gained, -lost
    table = {}
    for line in done.stderr.splitlines()[2:]:
        code, o, n, g, l = line.split()
        table[code] = {"new": int(n), "old": int(o), "gained": int(g[1:]), "lost": int(l[1:])}
    assert r["codes"] == table
    assert any("learned" in cc["evidence"] for line in r["lines"] for c in line["clauses"] for cc in c["codes"])
    # to a file: the CLI's bytes
    py_out = tmp_path / "py.jsonl"
    s = engine.reclassify(store, new, output=py_out)
    assert "lines" not in s and s["records"] == 359
    subprocess.run(
        [str(cli), "reclassify", "--store", str(store), "--codebook", str(new), "-o", str(cli_out), "-q"],
        cwd=ROOT,
        check=True,
    )
    assert py_out.read_bytes() == cli_out.read_bytes()
    # without a model: rules and learned classifiers over the stored embeddings, as --no-model
    plain = vocmine.Engine(no_model=True).reclassify(store, new, full=True)
    subprocess.run(
        [str(cli), "reclassify", "--store", str(store), "--codebook", str(new), "--no-model", "--full",
         "-o", str(cli_out), "-q"],
        cwd=ROOT,
        check=True,
    )
    with open(cli_out, encoding="utf-8") as f:
        assert plain["lines"] == [json.loads(line) for line in f]
    with pytest.raises(vocmine.VocmineIOError):
        engine.reclassify(tmp_path / "missing", new)


def test_learn_points_only_keeps_the_shipped_classifiers(model_dir, tmp_path):
    engine = vocmine.Engine(model_dir)
    gold = [
        {"id": "g1", "text": "The pasta was cold and bland.", "codes": [{"code": "food.quality", "point": "pain"}]},
        {"id": "g2", "text": "Our waiter was lovely and quick.", "codes": [{"code": "service.general", "point": "delight"}]},
        {"id": "g3", "text": "We ordered the set menu.", "codes": [{"code": "food.quality", "point": "mention"}]},
    ]
    out = tmp_path / "restaurant.learned.json"
    summary = engine.learn_codebook(CODEBOOKS / "restaurant.yaml", gold, out, points_only=True)
    shipped = json.loads((CODEBOOKS / "restaurant.learned.json").read_text(encoding="utf-8"))
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["codes"] == shipped["codes"]
    assert [c["code"] for c in summary["codes"]] == [c["code"] for c in shipped["codes"]]
    # three points are too few for a head: the voice type gives them
    assert summary["points"] is None and "points" not in written
    # a codebook without learned classifiers has none to keep
    with pytest.raises(vocmine.ConfigError, match="settings.learned"):
        engine.learn_codebook(CODEBOOKS / "automotive.yaml", gold, tmp_path / "a.json", points_only=True)
    # gold without points has nothing to teach
    pointless = [dict(g, codes=[{"code": c["code"]} for c in g["codes"]]) for g in gold]
    with pytest.raises(vocmine.DataError, match="gives a point"):
        engine.learn_codebook(CODEBOOKS / "restaurant.yaml", pointless, tmp_path / "b.json", points_only=True)


def test_learn_codebook_reads_the_words_of_the_clauses(model_dir, tmp_path):
    """The classifiers read lexical features: the word that marks a topic is
    among its strongest terms; with term_scale=0 they read none."""
    cb = tmp_path / "toy.yaml"
    cb.write_text(
        "codebook: toy\n"
        "codes:\n"
        "  - id: car.brakes\n"
        "    labels: {en: stopping}\n"
        "  - id: car.seats\n"
        "    labels: {en: seating}\n",
        encoding="utf-8",
    )
    brakes = ["The brakes squeal", "Brakes feel soft", "I had the brakes replaced", "The brakes grind at low speed",
              "New brakes after a month", "The rear brakes wore out", "Brakes pull to the left",
              "They fixed the brakes quickly", "The brakes are too sensitive", "Brakes rattle on the highway"]
    seats = ["The seats are hard", "Seats too narrow for me", "The back seats fold flat", "Heated seats work well",
             "Seats hurt on long drives", "The leather seats crack", "Seats have no lumbar support",
             "The front seats are comfy", "Seats squeak over bumps", "The seats stain easily"]
    gold = [{"id": f"b{i}", "text": t, "codes": [{"code": "car.brakes"}]} for i, t in enumerate(brakes)]
    gold += [{"id": f"s{i}", "text": t, "codes": [{"code": "car.seats"}]} for i, t in enumerate(seats)]
    engine = vocmine.Engine(model_dir)
    out = tmp_path / "toy.learned.json"
    summary = engine.learn_codebook(cb, gold, out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert summary["codes"], summary
    assert summary["terms"] == len(written["terms"]) > 0
    assert all(len(c["term_w"]) == len(written["terms"]) for c in written["codes"])
    tops = {c["code"]: c["top_terms"] for c in summary["codes"]}
    assert "brake" in tops["car.brakes"], tops
    assert "seat" in tops.get("car.seats", ["seat"]), tops
    plain = engine.learn_codebook(cb, gold, tmp_path / "plain.json", term_scale=0)
    assert plain["terms"] == 0 and all(c["top_terms"] == [] for c in plain["codes"])
    assert "terms" not in json.loads((tmp_path / "plain.json").read_text(encoding="utf-8"))
