"""PII redaction from Python: the same redaction as the CLI's `--redact`,
and no planted value in anything the engine returns or writes."""

from __future__ import annotations

import json

import pytest

import vocmine

PLANTED = {
    "phone": ("我的手机号是138-1234-5678，尽快回电", ["138-1234-5678", "13812345678"]),
    "email": ("my e-mail is wang.lei@qq.com thanks", ["wang.lei@qq.com"]),
    "id_cn": ("身份证11010519491231002X实名失败", ["11010519491231002X"]),
    "card": ("card 4111 1111 1111 1111 charged twice", ["4111 1111 1111 1111", "4111111111111111"]),
    "snils": ("СНИЛС 112-233-445 95 не принимают", ["112-233-445 95"]),
    "name": ("Здравствуйте, меня зовут Анастасия Голубева", ["Анастасия", "Голубева"]),
}
NEEDLES = [n for _, ns in PLANTED.values() for n in ns]


def test_redact_and_detect():
    text, spans = vocmine.redact("我叫王小明，电话138-1234-5678")
    assert text == "我叫[NAME]，电话[PHONE]"
    assert [(s["kind"], text[s["start"]:s["end"]]) for s in spans] == [("name", "[NAME]"), ("phone", "[PHONE]")]
    original = "mail wang.lei@qq.com or 13812345678"
    found = vocmine.detect_pii(original)
    assert [(f["kind"], original[f["start"]:f["end"]]) for f in found] == [
        ("email", "wang.lei@qq.com"), ("phone", "13812345678")]
    assert vocmine.redact(original, kinds=["email"])[0] == "mail [EMAIL] or 13812345678"
    assert set(vocmine.PII_KINDS) >= {"phone", "email", "card", "name"}


def test_unknown_kind_is_a_config_error():
    with pytest.raises(vocmine.ConfigError, match="unknown PII kind `fax`"):
        vocmine.redact("x", kinds="phone,fax")
    with pytest.raises(vocmine.ConfigError, match="fax"):
        vocmine.Engine(no_model=True, redact=["fax"])


def records():
    out = []
    for i, (kind, (sentence, _)) in enumerate(PLANTED.items()):
        out.append({"id": "call-13812345678-%d" % i, "customer": "wang.lei@qq.com", "channel": "call",
                    "meta": {"caller": "138-1234-5678", "notes": [sentence]}, "text": "Ужасно. " + sentence})
        out.append({"id": i, "turns": [{"speaker": "agent 欧阳明华", "text": "您好，请问有什么可以帮您"},
                                       {"speaker": "customer", "text": sentence}]})
    out.append({"id": "13812345678", "text": 42})
    return out


def test_engine_output_holds_no_planted_value():
    plain = json.dumps(vocmine.Engine(no_model=True).analyze(records()), ensure_ascii=False)
    assert any(n in plain for n in NEEDLES), "the values must show without redaction"
    engine = vocmine.Engine(no_model=True, redact=True)
    out = engine.analyze(records())
    dumped = json.dumps(out, ensure_ascii=False)
    leaked = [n for n in NEEDLES + ["欧阳明华"] if n in dumped]
    assert not leaked, leaked
    assert len(out) == len(records())
    assert out[-1]["error"]["kind"] == "wrong_type" and out[-1]["id"] == "[PHONE]"
    # Clause spans point into the redacted text; each placeholder is where its redaction says.
    for rec in out[:-1]:
        texts = [rec["text"]] if "text" in rec else [t["text"] for t in rec["turns"]]
        for c in rec["clauses"]:
            t = texts[c["turn"] or 0]
            assert t[c["start"]:c["end"]] == c["text"]
        for r in rec.get("redactions", []):
            if "field" not in r:
                assert rec["text"][r["start"]:r["end"]].startswith("[")
        for turn in rec.get("turns", []):
            for r in turn.get("redactions", []):
                field = turn["speaker"] if r.get("field") == "speaker" else turn["text"]
                assert field[r["start"]:r["end"]] == "[NAME]" or field[r["start"]:r["end"]].startswith("[")


def test_files_written_hold_no_planted_value(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records()), encoding="utf-8")
    engine = vocmine.Engine(no_model=True, redact=True, keep_terms=True)
    engine.analyze_file(str(src), str(tmp_path / "out.jsonl"), store=str(tmp_path / "store"))
    written = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert len(written.splitlines()) == len(records())
    assert not [n for n in NEEDLES if n in written]
    import pyarrow.parquet as pq

    for name in ("records.parquet", "clauses.parquet"):
        table = pq.read_table(tmp_path / "store" / name).to_pylist()
        dumped = json.dumps(table, ensure_ascii=False, default=str)
        assert not [n for n in NEEDLES if n in dumped], name


def test_keyed_pseudonyms():
    a = vocmine.Engine(no_model=True, redact=True, redact_key="k1").analyze(
        [{"customer": "138-1234-5678", "text": "hi"}, {"customer": "13812345678", "text": "hi"}])
    assert a[0]["customer"].startswith("[PHONE:") and a[0]["customer"] == a[1]["customer"]
    b = vocmine.Engine(no_model=True, redact=True, redact_key=b"k2").analyze([{"customer": "13812345678", "text": "hi"}])
    assert b[0]["customer"] != a[0]["customer"]


def test_record_limit_applies_from_python():
    engine = vocmine.Engine(no_model=True, max_record_bytes=1000)
    out = engine.analyze([{"id": "big", "text": "x" * 2000}, {"id": "ok", "text": "fine"}, "y" * 5000])
    assert [o.get("error", {}).get("kind") for o in out] == ["too_large", None, "too_large"]
    assert out[0]["id"] == "big" and len(out) == 3
    default = vocmine.Engine(no_model=True).analyze([{"id": "huge", "text": "x" * (1 << 20)}])
    assert default[0]["error"]["kind"] == "too_large"
