"""engine.analyze gives exactly the CLI's output."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import vocmine
from conftest import ROOT, run_cli


def test_version():
    assert vocmine.__version__ == "0.1.0"
    assert vocmine.__version__ == vocmine._vocmine.__version__


def test_no_model_equals_cli(cli, sample_records, tmp_path):
    expected = run_cli(cli, ["--no-model"], tmp_path)
    got = vocmine.Engine(no_model=True).analyze(sample_records)
    assert len(got) == len(expected) == 359
    assert got == expected
    # Key order too: the dicts are the CLI's JSON objects.
    assert [list(g) for g in got] == [list(e) for e in expected]


def test_analyze_file_writes_what_the_cli_writes(cli, tmp_path):
    """A file run with codebook, alerts and store: the same files as `vocmine analyze`."""
    cb, rules = "corpora/codebooks/automotive.yaml", "corpora/alerts.yaml"
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    subprocess.run(
        [str(cli), "analyze", "corpora/sample.jsonl", "--no-model", "--codebook", cb,
         "--alerts", rules, "--store", str(cli_dir / "store"), "-o", str(cli_dir / "out.jsonl"), "-q"],
        cwd=ROOT,
        check=True,
    )
    engine = vocmine.Engine(no_model=True, codebook=cb, alerts=rules, keep_terms=True)
    summary = engine.analyze_file(
        "corpora/sample.jsonl", py_dir / "out.jsonl", store=py_dir / "store"
    )
    assert (py_dir / "out.jsonl").read_bytes() == (cli_dir / "out.jsonl").read_bytes()
    assert (py_dir / "out.alerts.jsonl").read_bytes() == (cli_dir / "out.alerts.jsonl").read_bytes()
    for table in ("records.parquet", "clauses.parquet"):
        assert (py_dir / "store" / table).read_bytes() == (cli_dir / "store" / table).read_bytes()
    assert summary["records"] == summary["analyzed"] == 359
    assert summary["store"]["records"] == 359 and summary["store"]["clauses"] > 359
    assert summary["coded"]["records"] == 359 and 0 < summary["coded"]["coded"] <= 359
    assert summary["alerts"]["alerted_records"] > 0
    # strict: the first bad record stops the run with InputError
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(vocmine.InputError):
        vocmine.Engine(no_model=True).analyze_file(bad, tmp_path / "bad.out.jsonl", strict=True)
    assert len((tmp_path / "bad.out.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def _files(d):
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_analyze_file_killed_and_resumed_writes_the_files_of_an_uninterrupted_run(tmp_path):
    """A run in a child process killed (SIGKILL) after its first checkpoint,
    then resume=True here: the files of an uninterrupted run, byte for byte."""
    import signal
    import time

    src = tmp_path / "in.jsonl"
    lines = (ROOT / "corpora/sample.jsonl").read_text(encoding="utf-8").splitlines()
    with src.open("w", encoding="utf-8") as f:
        for i in range(8):
            for n, line in enumerate(lines):
                rec = json.loads(line)
                rec["id"] = f"{i}-{n}"
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    cb = str(ROOT / "corpora/codebooks/automotive.yaml")

    def run(d, **kw):
        engine = vocmine.Engine(no_model=True, codebook=cb, keep_terms=True)
        return engine.analyze_file(src, d / "out.jsonl", store=d / "store", checkpoint_every=300, **kw)

    ref, got = tmp_path / "ref", tmp_path / "got"
    want = run(ref)
    assert len(list((ref / "store" / "records.parquet").glob("part-*.parquet"))) == 10
    code = (
        "import sys, vocmine\n"
        f"e = vocmine.Engine(no_model=True, codebook={cb!r}, keep_terms=True)\n"
        f"e.analyze_file({str(src)!r}, {str(got / 'out.jsonl')!r}, store={str(got / 'store')!r}, checkpoint_every=300)\n"
    )
    ck = got / "store" / ".partial" / "checkpoint.json"
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        t = time.time()
        while not ck.exists() and child.poll() is None and time.time() - t < 60:
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
        child.wait()
        if ck.exists():
            break
    assert ck.exists(), "no run was killed after a checkpoint"
    summary = run(got, resume=True)
    assert _files(got) == _files(ref)
    assert summary["records"] == want["records"] == 8 * 359
    assert summary["store"] == {**want["store"], "path": str(got / "store")}
    assert not ck.exists()


def test_read_store_gives_both_tables_in_record_order(tmp_path):
    """vocmine.read_store: the store's tables as pyarrow, from one file or
    from part files as Spark writes them (signed rows), alike."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out, store = tmp_path / "out.jsonl", tmp_path / "store"
    engine = vocmine.Engine(no_model=True, codebook="corpora/codebooks/automotive.yaml", keep_terms=True)
    summary = engine.analyze_file("corpora/sample.jsonl", out, store=store)
    records = vocmine.read_store(store)
    clauses = vocmine.read_store(store, "clauses")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert records.num_rows == len(lines) == 359
    assert records.column("row").to_pylist() == list(range(359))
    assert records.column("json").to_pylist() == lines
    assert clauses.num_rows == summary["store"]["clauses"]
    rows = clauses.column("row").to_pylist()
    assert rows == sorted(rows) and set(rows) <= set(range(359))
    # the same table from two part files with Spark's signed row column
    spark = tmp_path / "spark"
    (spark / "records.parquet").mkdir(parents=True)
    (spark / "store.json").write_bytes((store / "store.json").read_bytes())
    (spark / "clauses.parquet").write_bytes((store / "clauses.parquet").read_bytes())
    t = pq.read_table(store / "records.parquet")
    t = t.set_column(0, "row", t.column("row").cast(pa.int64()))
    pq.write_table(t.slice(200), spark / "records.parquet" / "part-00001.parquet")
    pq.write_table(t.slice(0, 200), spark / "records.parquet" / "part-00000.parquet")
    (spark / "records.parquet" / "_SUCCESS").write_bytes(b"")
    again = vocmine.read_store(spark)
    assert again.column("row").type == pa.uint64()
    assert again.column("row").to_pylist() == list(range(359))
    assert again.column("json").to_pylist() == lines
    with pytest.raises(vocmine.ConfigError, match="records or clauses"):
        vocmine.read_store(store, "tables")
    with pytest.raises(vocmine.VocmineIOError):
        vocmine.read_store(tmp_path / "missing")


def test_tokens_equals_cli(cli, sample_records, tmp_path):
    expected = run_cli(cli, ["--no-model", "--tokens"], tmp_path)
    got = vocmine.Engine(no_model=True, tokens=True).analyze(sample_records)
    assert got == expected


def test_model_equals_cli(cli, model_dir, sample_records, tmp_path):
    expected = run_cli(cli, ["--model", str(model_dir)], tmp_path)
    # A fresh engine: its encoder cache is empty, as the CLI's.
    got = vocmine.Engine(models=model_dir).analyze(sample_records)
    assert got == expected
    assert any("sentiment" in r for r in got)


def test_default_model_path(model_dir):
    engine = vocmine.Engine()  # models/multilingual-e5-small relative to the cwd (the root)
    assert engine.has_model and engine.dimension == 384
    assert "sentiment" in engine.analyze("Терпеть не могу это приложение")[0]


def test_inputs_str_dict_list():
    engine = vocmine.Engine(no_model=True)
    one = engine.analyze("菜很好吃，但是等了一个小时")
    assert len(one) == 1 and one[0]["id"] == 1 and one[0]["line"] == 1
    assert [c["text"] for c in one[0]["clauses"]] == ["菜很好吃", "但是等了一个小时"]
    rec = engine.analyze({"id": "r1", "text": "菜很好吃，但是等了一个小时", "channel": "app_review"})
    assert rec[0]["id"] == "r1" and rec[0]["channel"] == "app_review"
    conv = engine.analyze(
        [
            {"id": 7, "turns": [
                {"speaker": "agent", "text": "Здравствуйте!"},
                {"speaker": "customer", "text": "Карта заблокирована, но деньги списали"},
            ]},
            "second",
        ]
    )
    assert conv[0]["id"] == 7 and conv[0]["kind"] == "conversation"
    assert conv[1]["line"] == 2 and conv[1]["id"] == 2
    # tuples, generators, pandas Series
    assert engine.analyze(("a", "b")) == engine.analyze(x for x in ["a", "b"])
    pd = pytest.importorskip("pandas")
    assert engine.analyze(pd.Series(["a", "b"], index=[10, 20])) == engine.analyze(["a", "b"])
    assert engine.analyze([]) == []


def test_bad_records_give_error_dicts(cli, tmp_path):
    lines = [
        '{"id": "r1", "text": 42}',
        '{"id": "r2"}',
        '{"id": "r3", "text": "   "}',
        '{"id": "r4", "text": "a", "turns": []}',
        '{"id": "r5", "turns": [{"text": "hi"}]}',
        '{"id": "r6", "turns": "hello"}',
        '[1, 2]',
        'null',
        '{"id": {"x": 1}, "text": "a"}',
        '{"id": "r10", "text": "ok", "time": "yesterday", "scores": {"nps": 12}}',
        '{"id": "r11", "text": "Всё хорошо", "meta": {"b": [1, 2.5, null, true], "a": "x"}}',
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = run_cli(cli, ["--no-model"], tmp_path, input_path=path)
    got = vocmine.Engine(no_model=True).analyze([json.loads(line) for line in lines])
    assert got == expected
    kinds = [r.get("error", {}).get("kind") for r in got]
    assert kinds[:9] == [
        "wrong_type", "missing_text", "empty_text", "invalid_value", "missing_field",
        "wrong_type", "invalid_json", "invalid_json", "wrong_type",
    ]
    assert "error" not in got[9] and len(got[9]["warnings"]) == 2


def test_python_only_values():
    import datetime

    engine = vocmine.Engine(no_model=True)
    out = engine.analyze(
        [
            {"id": "d", "text": "ok", "time": datetime.date(2026, 1, 2)},
            {"id": "o", "text": "ok", "meta": {"x": object()}},
            {"id": "n", "text": float("nan")},
            {"id": "s", "text": "bad \ud800 surrogate"},
        ]
    )
    assert out[0]["time"] == "2026-01-02"
    assert out[1]["error"]["kind"] == "wrong_type" and out[1]["error"]["field"] == "meta.x"
    assert out[1]["id"] == "o"
    assert out[2]["error"]["kind"] == "missing_text"
    assert out[3]["error"]["kind"] == "invalid_utf8"


def test_threads_give_the_same_results(sample_records):
    engine = vocmine.Engine(no_model=True, tokens=True)
    serial = engine.analyze(sample_records)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: engine.analyze(sample_records), range(8)))
    assert all(r == serial for r in results)
    # A dedicated thread pool in the engine gives the same output.
    assert vocmine.Engine(no_model=True, tokens=True, threads=1).analyze(sample_records) == serial


def test_threads_with_model(model_dir, sample_records):
    engine = vocmine.Engine(models=model_dir)
    first = engine.analyze(sample_records[:50])
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: engine.analyze(sample_records[:50]), range(3)))
    assert all(r == first for r in results)


def test_results_do_not_depend_on_the_other_records_of_a_call(model_dir, sample_records):
    """A record's sentiment, voice and embedding-based evidence are the same
    whether it is analyzed with the whole corpus or in small calls (as a
    chunk of a file or a Spark partition would give it): each text is
    encoded alone by default. At batch_size=32 the int8 model's shared
    activation scale changed about 3% of the clause labels."""
    records = [dict(r, id=r.get("id", i + 1)) for i, r in enumerate(sample_records)]
    whole = vocmine.Engine(models=model_dir).analyze(records)
    engine = vocmine.Engine(models=model_dir)
    pieces = []
    for start in range(0, len(records), 70):
        pieces.extend(engine.analyze(records[start : start + 70]))
    for a, b in zip(whole, pieces):
        b = dict(b, line=a["line"])
        if "error" in b:
            b["error"] = dict(b["error"], line=a["line"])
        assert a == b, a["id"]


def test_chunks_and_progress(monkeypatch, sample_records):
    engine = vocmine.Engine(no_model=True)
    whole = engine.analyze(sample_records)
    monkeypatch.setattr(vocmine, "CHUNK", 100)
    calls = []
    chunked = engine.analyze(sample_records, progress=lambda done, total: calls.append((done, total)))
    assert chunked == whole  # lines (and default ids) continue across chunks
    assert calls == [(100, 359), (200, 359), (300, 359), (359, 359)]
    with pytest.raises(TypeError):
        engine.analyze(sample_records, progress=3)
    # progress=True: a tqdm bar when tqdm is installed, nothing otherwise.
    assert engine.analyze(sample_records[:3], progress=True) == whole[:3]


def test_module_analyze(model_dir):
    out = vocmine.analyze(["Great food, but we waited an hour"])
    assert out[0]["clauses"][1]["text"] == "but we waited an hour"


def test_output_schema():
    schema = vocmine.output_schema()
    assert json.loads((ROOT / "schemas" / "record.schema.json").read_text()) == schema


def test_gil_is_released(sample_records):
    """A Python thread keeps running while analyze works."""
    import threading
    import time

    engine = vocmine.Engine(no_model=True)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        for _ in range(5):
            engine.analyze(sample_records)
    finally:
        stop.set()
        t.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 20 and max(gaps) < 0.5


def test_doctests():
    import doctest

    failures, _ = doctest.testmod(vocmine, optionflags=doctest.ELLIPSIS, extraglobs={"vocmine": vocmine})
    assert failures == 0


def test_import_needs_no_pandas():
    """The native module imports without pandas/numpy."""
    code = "import sys; import vocmine; vocmine.Engine(no_model=True).analyze('x'); print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
