"""Codebooks from Python: codes, points, owners, spans; codebook errors."""

from __future__ import annotations

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
