"""CX analytics from Python: conversation insights and alerts in analysis
dicts, ``vocmine.metrics`` and ``vocmine.compare`` on files and on records
(the same JSON as ``vocmine metrics --json`` / ``vocmine compare --json``)."""

from __future__ import annotations

import json
import math
import subprocess

import pytest

import vocmine
from conftest import ROOT, SAMPLE

ALERTS = ROOT / "corpora" / "alerts.yaml"
AUTOMOTIVE = ROOT / "corpora" / "codebooks" / "automotive.yaml"


def test_conversation_insights_come_with_the_analysis():
    engine = vocmine.Engine(no_model=True)
    turns = [
        {"speaker": "customer", "text": "我这是第三次打电话了 找你们领导"},
        {"speaker": "agent", "text": "非常抱歉 我理解您的心情"},
        {"speaker": "customer", "text": "还是没解决"},
    ]
    [out] = engine.analyze({"id": "c1", "turns": turns})
    conv = out["conversation"]
    for feature in ("escalation_request", "repeat_contact", "unresolved_at_end", "agent_apology", "agent_empathy"):
        assert conv[feature]["present"], feature
        for ev in conv[feature]["evidence"]:
            text = turns[ev["turn"]]["text"]
            assert text[ev["start"] : ev["end"]] == ev["text"]
    assert conv["agent_apology"]["evidence"][0]["turn"] == 1
    assert conv["trajectory"] is None  # no model, no sentiment
    [text_out] = engine.analyze("我要投诉")
    assert "conversation" not in text_out


def test_alerts_option_of_the_engine():
    engine = vocmine.Engine(no_model=True, alerts=ALERTS)
    [out] = engine.analyze(
        {"id": "a1", "time": "2026-09-14T10:00:00+08:00", "text": "刹车失灵了，我要退车", "meta": {"customer_value": "vip"}}
    )
    rules = [(a["rule"], a["severity"]) for a in out["alerts"]]
    assert rules == [("safety", "critical"), ("churn", "critical")]
    safety = out["alerts"][0]
    assert safety["owner"] == "product_safety"
    assert safety["deadline"] == "2026-09-14T12:00:00+08:00"
    trig = safety["triggers"][0]
    assert "刹车失灵了，我要退车"[trig["start"] : trig["end"]] == trig["text"] == "刹车失灵"
    # Agent turns never trigger.
    [out] = engine.analyze(
        {"id": "c", "turns": [{"speaker": "agent", "text": "您可以申请退款"}, {"speaker": "customer", "text": "好的"}]}
    )
    assert out.get("alerts", []) == []
    # Without rules, no alerts field.
    [out] = vocmine.Engine(no_model=True).analyze("我要退车")
    assert "alerts" not in out


def test_bad_alert_rules_name_file_line_and_rule(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - id: a\n    severity: high\n    cues: {en: [x]}\n  - id: a\n    severity: low\n    cues: {en: [y]}\n")
    with pytest.raises(vocmine.ResourceError) as e:
        vocmine.Engine(no_model=True, alerts=bad)
    msg = str(e.value)
    assert "rules.yaml" in msg and "line 5" in msg and "rule `a`" in msg, msg


def _records():
    """NPS 3 on the `wait` records, 10 on the others: 20/40 before, 10/50 after."""
    recs = []
    for date, n, wait in (("2026-09-01", 40, 20), ("2026-10-01", 50, 10)):
        for i in range(n):
            codes = [{"code": "wait", "point": "pain", "owner": "service_center", "clauses": 1}] if i < wait else []
            recs.append({"id": f"{date}-{i}", "time": date, "channel": "chat", "scores": {"nps": 3 if i < wait else 10}, "codes": codes})
    recs.append({"id": "bad", "line": 91, "error": {"kind": "empty_text", "line": 91, "message": "empty"}})
    return recs


def test_metrics_on_records_by_hand():
    m = vocmine.metrics(_records(), by="channel,period", period="month", drivers=5)
    assert m["input"]["analyzed"] == 90 and m["input"]["failures"] == 1
    nps = m["overall"]["nps"]
    # 60 promoters, 30 detractors of 90: NPS 33.33, se = 100·√((1 − 1/9)/90).
    assert (nps["promoters"], nps["detractors"]) == (60, 30)
    assert nps["nps"] == pytest.approx(100 / 3)
    assert nps["se"] == pytest.approx(100 * math.sqrt((8 / 9) / 90))
    assert [s["by"] for s in m["slices"]] == ["channel", "month"]
    assert [s["key"] for s in m["slices"][1]["slices"]] == ["2026-09", "2026-10"]
    wait = next(d for d in m["drivers"]["detractor"]["drivers"] if d["code"] == "wait")
    assert (wait["with"], wait["with_outcome"], wait["rate_without"]) == (30, 30, 0.0)


def test_compare_on_records_and_on_a_file(tmp_path):
    recs = _records()
    c = vocmine.compare(recs, "..2026-09-20", "2026-09-21..")
    wait = c["codes"][0]
    assert wait["code"] == "wait"
    # Two-proportion z-test of 20/40 vs 10/50: se = 0.1, z = −3, p = 0.0027.
    assert wait["test"]["statistic"] == pytest.approx(-3.0)
    assert wait["test"]["p_value"] == pytest.approx(0.002699796063260197)
    assert c["changes"]["nps"]["diff"] == pytest.approx(60.0)
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n", encoding="utf-8")
    assert vocmine.compare(path, "..2026-09-20", "2026-09-21..")["codes"] == c["codes"]
    with pytest.raises(vocmine.ConfigError):
        vocmine.compare(recs, "2026-09-01..2026-10-01", "2026-09-15..")
    with pytest.raises(vocmine.VocmineIOError):
        vocmine.metrics(tmp_path / "missing.jsonl")


def test_metrics_json_equals_the_cli(cli, tmp_path):
    analyzed = tmp_path / "s.jsonl"
    subprocess.run(
        [str(cli), "analyze", str(SAMPLE), "--no-model", "-q", "--codebook", str(AUTOMOTIVE), "-o", str(analyzed)],
        cwd=ROOT,
        check=True,
    )
    out = tmp_path / "m.json"
    subprocess.run([str(cli), "metrics", str(analyzed), "--drivers", "--json", str(out)], cwd=ROOT, check=True)
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    from_py = vocmine.metrics(analyzed, drivers=5)
    assert from_py == from_cli
    out = tmp_path / "c.json"
    subprocess.run(
        [str(cli), "compare", str(analyzed), "--before", "2026-08-03..2026-09-20", "--after", "2026-09-21..2026-10-31", "--json", str(out)],
        cwd=ROOT,
        check=True,
    )
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    assert vocmine.compare(analyzed, "2026-08-03..2026-09-20", "2026-09-21..2026-10-31") == from_cli
