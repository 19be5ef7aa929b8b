"""Contract: vocmine.spark on local Spark gives the CLI's results record for
record, and the store it writes reads in the CLI as a store written by
`vocmine analyze --store` does (reclassify, cluster, metrics)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vocmine

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "corpora" / "sample.jsonl"
CODEBOOK = ROOT / "corpora" / "codebooks" / "automotive.yaml"
OTHER = ROOT / "corpora" / "codebooks" / "ecommerce.yaml"

try:
    import pyspark  # noqa: F401
except ImportError:  # pragma: no cover - CI installs it
    if os.environ.get("CI"):
        raise
    pytest.skip("pyspark is not installed", allow_module_level=True)

import pyarrow.parquet as pq  # noqa: E402

import vocmine.spark as vs  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("vocmine-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        # several partitions from the 300 KB sample, so that row numbering
        # and part files across partitions are exercised
        .config("spark.sql.files.maxPartitionBytes", "65536")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def stores(spark, cli, model_dir, tmp_path_factory):
    """The sample corpus analyzed with the automotive codebook twice: by the
    CLI (`analyze --store`) and by vocmine.spark (`write_store`)."""
    tmp = tmp_path_factory.mktemp("spark")
    cli_store, cli_out = tmp / "cli-store", tmp / "cli.jsonl"
    subprocess.run(
        [str(cli), "analyze", str(SAMPLE), "--model", str(model_dir), "--codebook", str(CODEBOOK),
         "--store", str(cli_store), "-o", str(cli_out), "-q"],
        check=True,
        cwd=ROOT,
    )
    df = spark.read.text(str(SAMPLE))
    assert df.rdd.getNumPartitions() > 1
    out = vs.analyze(df, json="value", models=model_dir, codebook=CODEBOOK, threads=1)
    spark_store = tmp / "spark-store"
    manifest = vs.write_store(out, str(spark_store), models=model_dir, codebook=CODEBOOK)
    return {"cli": cli_store, "cli_out": cli_out, "spark": spark_store, "manifest": manifest, "tmp": tmp}


def _table(path: Path, keys):
    t = pq.read_table(str(path))
    return t.sort_by([(k, "ascending") for k in keys])


def test_spark_records_equal_the_cli_output(stores):
    lines = stores["cli_out"].read_text(encoding="utf-8").splitlines()
    records = _table(stores["spark"] / "records.parquet", ["row"])
    assert (stores["spark"] / "records.parquet").is_dir()
    assert len(list((stores["spark"] / "records.parquet").glob("part-*.parquet"))) > 1
    assert records.column("row").to_pylist() == list(range(len(lines)))
    assert records.column("json").to_pylist() == lines
    cli_manifest = json.loads((stores["cli"] / "store.json").read_text(encoding="utf-8"))
    assert stores["manifest"] == cli_manifest
    assert json.loads((stores["spark"] / "store.json").read_text(encoding="utf-8")) == cli_manifest


def test_spark_clauses_equal_the_cli_store(stores):
    keys = ["row", "clause"]
    ours = _table(stores["spark"] / "clauses.parquet", keys)
    theirs = _table(stores["cli"] / "clauses.parquet", keys)
    assert ours.num_rows == theirs.num_rows > 1000
    assert ours.column_names == theirs.column_names
    for name in theirs.column_names:
        assert ours.column(name).to_pylist() == theirs.column(name).to_pylist(), name
    rec_ours = _table(stores["spark"] / "records.parquet", ["row"])
    rec_theirs = _table(stores["cli"] / "records.parquet", ["row"])
    for name in rec_theirs.column_names:
        assert rec_ours.column(name).to_pylist() == rec_theirs.column(name).to_pylist(), name


def _run(cli, *args) -> bytes:
    return subprocess.run([str(cli), *map(str, args)], check=True, cwd=ROOT, capture_output=True).stdout


def test_cli_reads_the_spark_store(stores, cli, model_dir):
    for full in ([], ["--full"]):
        a = _run(cli, "reclassify", "--store", stores["cli"], "--codebook", OTHER, "--model", model_dir, "-o", "-", *full)
        b = _run(cli, "reclassify", "--store", stores["spark"], "--codebook", OTHER, "--model", model_dir, "-o", "-", *full)
        assert a == b and a.count(b"\n") == 359
    ma = json.loads(_run(cli, "metrics", stores["cli"], "--drivers", "--json", "-"))
    mb = json.loads(_run(cli, "metrics", stores["spark"], "--drivers", "--json", "-"))
    mc = json.loads(_run(cli, "metrics", stores["cli_out"], "--drivers", "--json", "-"))
    for m in (ma, mb, mc):
        m.pop("input", None)
    assert ma == mb == mc
    ca, cb = stores["tmp"] / "ca.json", stores["tmp"] / "cb.json"
    _run(cli, "cluster", stores["cli"], "--codebook", CODEBOOK, "-o", ca, "-q")
    _run(cli, "cluster", stores["spark"], "--codebook", CODEBOOK, "-o", cb, "-q")
    ra, rb = (json.loads(p.read_text(encoding="utf-8")) for p in (ca, cb))
    assert ra["assignments"] == rb["assignments"] and ra["clusters"] == rb["clusters"]


def test_spark_reclassify_equals_the_cli(spark, stores, cli, model_dir):
    # over the Spark-written store and over the CLI's (read by Spark: its
    # unsigned columns arrive as decimals and longs)
    for store in (stores["spark"], stores["cli"]):
        for full in ([], ["--full"]):
            out = vs.reclassify(spark, str(store), OTHER, full=bool(full), models=model_dir)
            got = "".join(r["line"] + "\n" for r in out.orderBy("row").collect())
            want = _run(cli, "reclassify", "--store", store, "--codebook", OTHER, "--model", model_dir, "-o", "-", *full)
            assert got == want.decode("utf-8"), (store, full)
    with pytest.raises(vocmine.ConfigError, match="encoder"):
        vs.reclassify(spark, str(stores["spark"]), OTHER, models=ROOT / "tests" / "data" / "tiny-bert")


def _without_timings(report: dict) -> dict:
    report["summary"]["stats"].pop("seconds")
    return report


def test_spark_cluster_equals_the_cli_sampled_cluster(spark, stores, cli, model_dir, tmp_path):
    # fit on half the items on the driver, place all on the executors:
    # the CLI's `--sample` report over the same store, item for item
    for codebook in (None, OTHER):
        cb = [] if codebook is None else ["--codebook", codebook]
        want = tmp_path / "cli.json"
        _run(cli, "cluster", stores["spark"], "--sample", "0.5", "--seed", "7", "--model-dir",
             tmp_path / "cli-model", "--model", model_dir, "-o", want, "-q", *cb)
        got = vs.cluster(spark, str(stores["spark"]), model_dir=tmp_path / "spark-model",
                         sample=0.5, seed=7, codebook=codebook, threads=1, models=model_dir)
        want = json.loads(want.read_text(encoding="utf-8"))
        assert _without_timings(got) == _without_timings(want), codebook
        # every item has its line; the sample is about half of them
        fitted = got["summary"]["stats"]["items"]
        assert got["summary"]["items"] > 1000 and 0.4 < fitted / got["summary"]["items"] < 0.6
        assert got["clusters"] and len(got["assignments"]) >= got["summary"]["items"]
    # the default fits on every item (up to max_sample): plain `cluster`
    full = vs.cluster(spark, str(stores["spark"]), model_dir=tmp_path / "all", threads=1)
    plain = tmp_path / "plain.json"
    _run(cli, "cluster", stores["spark"], "--model-dir", tmp_path / "plain-model", "-o", plain, "-q")
    assert _without_timings(full) == _without_timings(json.loads(plain.read_text(encoding="utf-8")))
    with pytest.raises(vocmine.ConfigError, match="sample fraction"):
        vs.cluster(spark, str(stores["spark"]), model_dir=tmp_path / "bad", sample=1.5)


def test_spark_cluster_above_max_sample_fits_on_that_many(spark, stores, cli, tmp_path):
    # more items than max_sample: the share max_sample / items is drawn,
    # as the CLI's --sample with that share draws it
    plain = tmp_path / "plain.json"
    _run(cli, "cluster", stores["spark"], "--model-dir", tmp_path / "plain-model", "-o", plain, "-q")
    items = json.loads(plain.read_text(encoding="utf-8"))["summary"]["items"]
    got = vs.cluster(spark, str(stores["spark"]), model_dir=tmp_path / "spark-model", max_sample=600, threads=1)
    want = tmp_path / "cli.json"
    _run(cli, "cluster", stores["spark"], "--sample", repr(600 / items), "--model-dir",
         tmp_path / "cli-model", "-o", want, "-q")
    assert _without_timings(got) == _without_timings(json.loads(want.read_text(encoding="utf-8")))
    assert 450 < got["summary"]["stats"]["items"] < 750 < items


def test_text_columns_equal_engine_analyze(spark, model_dir):
    rows = [
        ("a1", "The seats are comfortable but the infotainment screen freezes", "app"),
        ("a2", "Доставка быстрая, но курьер грубый", "chat"),
        ("a3", "充电桩坏了两个，客服态度很好", None),
    ]
    df = spark.createDataFrame(rows, "id string, text string, channel string")
    out = vs.analyze(df, text="text", id="id", models=model_dir).orderBy("row").collect()
    expected = vocmine.Engine(models=model_dir).analyze(
        [{"id": i, "text": t, **({"channel": c} if c else {})} for i, t, c in rows]
    )
    assert [json.loads(r["json"]) for r in out] == expected
    assert [len(r["clauses"]) for r in out] == [len(e["clauses"]) for e in expected]
    assert len(out[0]["clauses"][0]["embedding"]) == 384


def test_bad_arguments(spark):
    df = spark.createDataFrame([("x",)], "text string")
    with pytest.raises(TypeError, match="exactly one"):
        vs.analyze(df)
    with pytest.raises(TypeError, match="unknown engine option"):
        vs.analyze(df, text="text", no_such_option=1)
    with pytest.raises(KeyError, match="no column"):
        vs.analyze(df, text="body", no_model=True)
