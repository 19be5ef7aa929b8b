"""analyze_frame (pandas) and arrow output."""

from __future__ import annotations

import math

import pytest

import vocmine

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

COLUMNS = [
    "id", "line", "turn", "speaker", "role", "clause", "start", "end", "text",
    "language", "script", "record_language", "sentiment_label",
    "sentiment_polarity", "sentiment_confidence",
]


def sample_frame(records: list) -> "pd.DataFrame":
    """The sample corpus as a DataFrame (text records only: one text column)."""
    rows = [r for r in records if "text" in r]
    return pd.DataFrame(
        {
            "id": [r["id"] for r in rows],
            "text": [r["text"] for r in rows],
            "channel": [r.get("channel") for r in rows],
            "touchpoint": [r.get("touchpoint") for r in rows],
            "time": [r.get("time") for r in rows],
        }
    )


def check_dtypes(df: "pd.DataFrame") -> None:
    assert df["id"].dtype == object
    for c in ("line", "clause", "start", "end"):
        assert df[c].dtype == np.int64, c
    assert str(df["turn"].dtype) == "Int64"
    for c in ("role", "language", "script", "record_language", "sentiment_label"):
        assert isinstance(df[c].dtype, pd.CategoricalDtype), c
    for c in ("sentiment_polarity", "sentiment_confidence"):
        assert df[c].dtype == np.float32, c
    for c in ("speaker", "text"):
        assert isinstance(df[c].dtype, pd.StringDtype), c


def test_frame_matches_analyze(sample_records):
    engine = vocmine.Engine(no_model=True)
    df = sample_frame(sample_records)
    clauses = engine.analyze_frame(df)
    assert list(clauses.columns) == COLUMNS + ["channel", "touchpoint", "time"]
    check_dtypes(clauses)
    records = [
        {k: r[k] for k in ("id", "text", "channel", "touchpoint", "time") if r.get(k) is not None}
        for r in df.to_dict("records")
    ]
    out = engine.analyze(records)
    expected = [
        (o["id"], o["line"], k, c["start"], c["end"], c["text"], c["language"], c["script"], o["language"], o.get("channel"), o.get("time"))
        for o in out
        for k, c in enumerate(o["clauses"])
    ]
    got = list(
        clauses[["id", "line", "clause", "start", "end", "text", "language", "script", "record_language", "channel", "time"]]
        .astype(object)
        .itertuples(index=False, name=None)
    )
    got = [tuple(None if v is pd.NA else v for v in row) for row in got]
    assert got == expected
    assert clauses["sentiment_label"].isna().all()
    assert clauses["sentiment_polarity"].isna().all()
    assert clauses.attrs["errors"] == []


def test_frame_conversations_and_columns():
    engine = vocmine.Engine(no_model=True)
    df = pd.DataFrame(
        {
            "ticket": [101, 102, 103],
            "body": ["Доставка быстрая, но курьер грубый", None, "ok"],
            "dialog": [None, None, None],
            "stage": ["delivery", "checkout", None],
            "nps_score": [3, np.nan, 9],
        }
    )
    clauses = engine.analyze_frame(df, text="body", id="ticket", touchpoint="stage", nps="nps_score")
    assert clauses["id"].tolist() == [101, 101, 103]
    assert clauses["touchpoint"].tolist()[:2] == ["delivery", "delivery"]
    assert clauses["text"].tolist() == ["Доставка быстрая", "но курьер грубый", "ok"]
    assert [e["id"] for e in clauses.attrs["errors"]] == [102]
    assert clauses.attrs["errors"][0]["error"]["kind"] == "missing_text"

    turns = pd.DataFrame(
        {
            "id": ["c1"],
            "dialog": [[{"speaker": "agent", "text": "您好"}, {"speaker": "customer", "text": "车机又死机了，这已经是第三次了"}]],
        }
    )
    conv = engine.analyze_frame(turns, turns="dialog")
    assert conv["turn"].tolist() == [0, 1, 1]
    assert conv["speaker"].tolist() == ["agent", "customer", "customer"]
    assert conv["role"].tolist() == ["agent", "customer", "customer"]
    assert conv["clause"].tolist() == [0, 1, 2]
    assert (conv["start"].tolist(), conv["end"].tolist()) == ([0, 0, 7], [2, 6, 15])

    with pytest.raises(KeyError):
        engine.analyze_frame(df)  # no `text` column
    with pytest.raises(TypeError):
        engine.analyze_frame(df, text="body", colour="stage")


def test_frame_empty():
    engine = vocmine.Engine(no_model=True)
    clauses = engine.analyze_frame(pd.DataFrame({"text": pd.Series([], dtype=object)}))
    assert list(clauses.columns) == COLUMNS
    assert len(clauses) == 0
    check_dtypes(clauses)


def test_frame_strict():
    engine = vocmine.Engine(no_model=True)
    with pytest.raises(vocmine.InputError):
        engine.analyze_frame(pd.DataFrame({"text": ["ok", "  "]}), strict=True)


def test_frame_with_model(model_dir, sample_records):
    engine = vocmine.Engine(models=model_dir)
    df = sample_frame(sample_records)
    clauses = engine.analyze_frame(df)
    check_dtypes(clauses)
    out = engine.analyze(
        [{k: r[k] for k in ("id", "text", "channel", "touchpoint", "time") if r.get(k) is not None} for r in df.to_dict("records")]
    )
    sents = [c.get("sentiment") for o in out for c in o["clauses"]]
    assert len(sents) == len(clauses)
    for s, label, pol, conf in zip(
        sents, clauses["sentiment_label"], clauses["sentiment_polarity"], clauses["sentiment_confidence"]
    ):
        assert s is not None
        assert label == s["label"]
        # float32 in the frame; the JSON has the f32's shortest decimal form.
        assert pol == np.float32(s["polarity"]) and conf == np.float32(s["confidence"])
    negative = clauses[clauses["sentiment_label"] == "negative"]
    assert len(negative) > 0 and (negative["sentiment_polarity"] < 0).all()


def test_arrow(sample_records):
    pa = pytest.importorskip("pyarrow")
    engine = vocmine.Engine(no_model=True)
    df = sample_frame(sample_records)
    table = engine.analyze_frame(df, arrow=True)
    assert isinstance(table, pa.Table)
    frame = engine.analyze_frame(df)
    assert table.num_rows == len(frame)
    assert table.column_names == list(frame.columns)
    assert table.schema.field("start").type == pa.int64()
    assert table.schema.field("turn").type == pa.int64()
    assert table.schema.field("sentiment_polarity").type == pa.float32()
    assert pa.types.is_dictionary(table.schema.field("language").type)
    assert table.column("text").to_pylist() == frame["text"].tolist()
    assert table.column("start").to_pylist() == frame["start"].tolist()
    assert table.column("sentiment_polarity").null_count == table.num_rows
    assert table.schema.metadata[b"vocmine.errors"] == b"[]"


def test_negative_clauses_per_touchpoint(model_dir, sample_records):
    """The README example runs."""
    engine = vocmine.Engine(models=model_dir)
    clauses = engine.analyze_frame(sample_frame(sample_records))
    customer = clauses[clauses["role"] == "customer"]
    table = (
        customer.assign(negative=customer["sentiment_label"] == "negative")
        .groupby("touchpoint", observed=True)["negative"]
        .agg(["sum", "mean"])
        .sort_values("sum", ascending=False)
    )
    assert table["sum"].sum() == (customer["sentiment_label"] == "negative").sum()
    assert not math.isnan(table["mean"].iloc[0])


def test_frame_from_the_cli_input_has_texts_and_conversations():
    # pandas reads the CLI's JSON Lines input into `text` (NaN for
    # conversations) and `turns` (NaN for texts); both kinds must come out.
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    df = pd.read_json(os.path.join(root, "corpora", "sample.jsonl"), lines=True)
    engine = vocmine.Engine(no_model=True)
    clauses = engine.analyze_frame(df)
    assert clauses.attrs["errors"] == []
    assert clauses["id"].nunique() == len(df)
    assert clauses["turn"].notna().any() and clauses["turn"].isna().any()
