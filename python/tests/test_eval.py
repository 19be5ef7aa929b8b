"""engine.evaluate_records: the record sentiment and voice type exactly as
analyze outputs them, scored against gold labels (as `vocmine eval --records`)."""

from __future__ import annotations

import json

import pytest

import vocmine

GOLD = [
    {"id": 1, "text": "房间干净，服务热情，下次还会再来！", "language": "zh", "sentiment": "positive", "set": "s"},
    {"id": 2, "text": "太失望了，空调坏了也没人修，再也不住了。", "language": "zh", "sentiment": "negative", "set": "s"},
    {"id": 3, "text": "Отличный отель, очень вежливый персонал.", "language": "ru", "sentiment": "positive", "set": "s"},
    {"id": 4, "text": "Ужасное обслуживание, ждали заказ два часа.", "language": "ru", "sentiment": "negative", "set": "s"},
    {"id": 5, "text": "Great stay, friendly staff and a lovely breakfast.", "language": "en", "sentiment": "positive", "set": "s"},
    {"id": 6, "text": "The room was dirty and the staff were rude.", "language": "en", "sentiment": "negative", "set": "s"},
    {"id": 7, "text": "It would be great if the hotel offered a free airport shuttle.", "language": "en", "itch": True, "set": "w"},
    {"id": 8, "text": "The hotel is ten minutes from the station.", "language": "en", "itch": False, "set": "w"},
]


def test_evaluate_records_scores_what_analyze_prints(model_dir, tmp_path):
    engine = vocmine.Engine(models=model_dir)
    report = engine.evaluate_records(GOLD)
    assert report["records"] == len(GOLD) and report["failed"] == 0
    s = report["groups"]["s/all"]["sentiment"]
    assert s["n"] == 6
    # the score is the record label analyze prints, record by record
    printed = [r["sentiment"]["label"] for r in engine.analyze([{"id": g["id"], "text": g["text"]} for g in GOLD[:6]])]
    right = sum(p == g["sentiment"] for p, g in zip(printed, GOLD[:6]))
    assert s["accuracy"] == pytest.approx(right / 6)
    assert right >= 5, printed  # plain one-sided reviews
    assert sum(sum(row.values()) for row in s["confusion"].values()) == 6
    itch = report["groups"]["w/all"]["itch"]
    assert itch["support"] == 1 and itch["recall"] == 1.0, itch
    # a file gives the same report
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), encoding="utf-8")
    assert engine.evaluate_records(str(path)) == report


def test_evaluate_records_errors(model_dir, tmp_path):
    engine = vocmine.Engine(models=model_dir)
    with pytest.raises(vocmine.ResourceError, match=r"<records>:2: sentiment `great`"):
        engine.evaluate_records([{"text": "ok", "sentiment": "neutral"}, {"text": "x", "sentiment": "great"}])
    with pytest.raises(TypeError, match="item 0 is str"):
        engine.evaluate_records(["just text"])
    with pytest.raises(vocmine.VocmineIOError):
        engine.evaluate_records(str(tmp_path / "missing.jsonl"))
