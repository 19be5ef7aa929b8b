"""vocmine on Apache Spark: analyze a DataFrame on the executors and write a
result store that the CLI and :class:`vocmine.Engine` read as they read one
written by ``vocmine analyze --store``.

Every executor's Python worker builds one engine (the model loaded once per
worker process and set of options) and analyzes its partitions with
``mapInArrow``: no row is turned into a Python object on the way in or out
beyond the texts themselves, and the results are exactly the CLI's (the same
Rust core computes them). Needs ``pyspark`` (3.4 or later) and ``pyarrow``;
neither is a dependency of the wheel.

>>> from pyspark.sql import SparkSession            # doctest: +SKIP
>>> import vocmine.spark as vs                       # doctest: +SKIP
>>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
>>> df = spark.read.text("corpora/sample.jsonl")    # one JSON record per line  # doctest: +SKIP
>>> out = vs.analyze(df, json="value", codebook="corpora/codebooks/auto.yaml")  # doctest: +SKIP
>>> vs.write_store(out, "/data/voc/store")          # doctest: +SKIP

``vocmine reclassify /data/voc/store --codebook new.yaml``, ``vocmine
cluster /data/voc/store`` and ``vocmine metrics /data/voc/store`` then read
the store (a directory of part files per table, one per partition).

Rows: the records are numbered in the DataFrame's order (partition by
partition), which ``analyze`` learns from one count per partition before it
runs; the DataFrame must therefore give the same rows in the same
partitions each time it is computed (a file source does; cache a DataFrame
made with non-deterministic steps first). Record ``i`` (0-based) gets row
``i``, ``line = i + 1`` and, without an id, ``id = i + 1``, as line ``i + 1``
of a JSON Lines file would in the CLI.

Shipping to a cluster: see the README of the Python package ("Spark").
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Any, Iterator, Optional

from . import CHUNK, Engine, _frame_records, _vocmine

__all__ = [
    "analyze",
    "write_store",
    "read_store",
    "reclassify",
    "cluster",
    "spark_schema",
    "ENGINE_OPTIONS",
]

#: The :class:`vocmine.Engine` options ``analyze`` passes on to the
#: executors' engines (every other keyword argument is an error).
ENGINE_OPTIONS = (
    "models",
    "languages",
    "threads",
    "no_model",
    "batch_size",
    "sessions",
    "intra_threads",
    "onnxruntime",
    "user_dicts",
    "words",
    "hmm",
    "encode_all_speakers",
    "codebook",
    "alerts",
)

# One engine per worker process and set of options (Spark reuses Python
# workers across tasks by default: spark.python.worker.reuse).
_ENGINES: dict = {}


def _engine(options: dict, **extra: Any) -> Engine:
    key = _json.dumps([options, extra], sort_keys=True, default=str)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = Engine(keep_terms=True, **options, **extra)
        _ENGINES[key] = engine
    return engine


def _check_options(options: dict) -> dict:
    unknown = sorted(set(options) - set(ENGINE_OPTIONS))
    if unknown:
        raise TypeError(
            f"vocmine.spark got unknown engine option(s) {', '.join(unknown)}; "
            f"known: {', '.join(ENGINE_OPTIONS)}"
        )
    out = dict(options)
    for k in ("models", "onnxruntime", "codebook", "alerts"):
        if out.get(k) is not None:
            out[k] = _os.fspath(out[k])
    if out.get("user_dicts") is not None:
        out["user_dicts"] = [_os.fspath(p) for p in out["user_dicts"]]
    return out


def _encoder(options: dict) -> tuple:
    """``(name, dimension)`` of the encoder the options name (``(None, 0)``
    with ``no_model``), read from its config.json on the driver (no model is
    loaded here)."""
    if options.get("no_model"):
        return None, 0
    from . import _default_model

    model = options.get("models") or _default_model()
    path = _os.path.join(model, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            config = _json.load(f)
        return config.get("name"), int(config.get("dimension") or 0)
    except FileNotFoundError:
        raise _vocmine.ModelNotFoundError(
            f"{path}: config.json is missing; run `python -m vocmine.model` "
            "(or `python3 models/setup.py` in a checkout), or pass models="
        ) from None


# ----------------------------------------------------------------- schemas


def _arrow_schemas(dim: int):
    import pyarrow as pa

    r, c = _vocmine.store_schemas(dim)
    return pa.ipc.open_stream(r).schema, pa.ipc.open_stream(c).schema


def _spark_arrow_type(t):
    """The Arrow type Spark holds for a store column of type ``t``: Spark has
    no unsigned integers and no fixed-size lists."""
    import pyarrow as pa

    if pa.types.is_uint64(t):
        return pa.int64()
    if pa.types.is_uint32(t):
        return pa.int32()
    if pa.types.is_fixed_size_list(t) or pa.types.is_list(t):
        return pa.list_(_spark_arrow_type(t.value_type))
    return t


def _spark_arrow_schema(dim: int):
    """The Arrow schema of ``analyze``'s batches: the store's records table
    in Spark's types, with the record's clauses (the clauses table's rows)
    as a list of structs in ``clauses``."""
    import pyarrow as pa

    records, clauses = _arrow_schemas(dim)
    fields = [pa.field(f.name, _spark_arrow_type(f.type)) for f in records]
    clause = pa.struct([pa.field(f.name, _spark_arrow_type(f.type)) for f in clauses])
    fields.append(pa.field("clauses", pa.list_(clause)))
    return pa.schema(fields)


def _spark_type(t):
    import pyarrow as pa
    from pyspark.sql import types as T

    if pa.types.is_int64(t):
        return T.LongType()
    if pa.types.is_int32(t):
        return T.IntegerType()
    if pa.types.is_float32(t):
        return T.FloatType()
    if pa.types.is_boolean(t):
        return T.BooleanType()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return T.StringType()
    if pa.types.is_list(t):
        return T.ArrayType(_spark_type(t.value_type))
    if pa.types.is_struct(t):
        return T.StructType([T.StructField(f.name, _spark_type(f.type)) for f in t])
    raise TypeError(f"no Spark type for the Arrow type {t}")


def spark_schema(dim: int = 384):
    """The Spark schema of :func:`analyze`'s result for embeddings of
    dimension ``dim`` (0: a store without embeddings): the columns of the
    store's ``records.parquet`` plus ``clauses``, an array of the record's
    rows of ``clauses.parquet``."""
    return _spark_struct(_spark_arrow_schema(dim))


def _spark_struct(arrow_schema):
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f.name, _spark_type(f.type)) for f in arrow_schema])


def _nest(records_ipc: bytes, clauses_ipc: bytes, schema):
    """One batch of ``analyze``'s result from the store rows of a chunk."""
    import numpy as np
    import pyarrow as pa

    records = pa.ipc.open_stream(records_ipc).read_all()
    clauses = pa.ipc.open_stream(clauses_ipc).read_all()
    clause_type = schema.field("clauses").type.value_type
    clauses = clauses.cast(pa.schema(list(clause_type)))
    rows = clauses.column("row").to_numpy()
    starts = np.searchsorted(rows, records.column("row").to_numpy(), side="left")
    offsets = pa.array(np.append(starts, len(rows)).astype(np.int32))
    struct = pa.StructArray.from_arrays(
        [c.combine_chunks() for c in clauses.columns], fields=list(clause_type)
    )
    nested = pa.ListArray.from_arrays(offsets, struct, type=schema.field("clauses").type)
    cols = [records.column(f.name).combine_chunks().cast(f.type) for f in schema if f.name != "clauses"]
    return pa.RecordBatch.from_arrays(cols + [nested], schema=schema)


# ----------------------------------------------------------------- analyze


def _partition_offsets(df) -> list:
    """The first row of each partition of ``df`` (one count per partition,
    counted in the JVM)."""
    from pyspark.sql import functions as F

    counts = dict(
        (r["p"], r["n"])
        for r in df.select(F.spark_partition_id().alias("p")).groupBy("p").agg(F.count("*").alias("n")).collect()
    )
    offsets, total = [], 0
    for p in range(df.rdd.getNumPartitions()):
        offsets.append(total)
        total += counts.get(p, 0)
    return offsets


def analyze(
    df,
    *,
    text: Optional[str] = None,
    json: Optional[str] = None,
    id: Optional[str] = "id",
    columns: Optional[dict] = None,
    **options: Any,
):
    """Analyzes a Spark DataFrame on the executors; returns a DataFrame with
    one row per input row, in the store's schema (:func:`spark_schema`).

    Args:
        df: the input, one record per row.
        text: the text column (records as in :meth:`vocmine.Engine.analyze_frame`:
            ``id``, ``channel``, ``touchpoint``, ``time``, ``customer``,
            ``nps``/``csat``/``ces``, ``meta``, ``turns`` come from columns of
            those names or as ``columns`` maps them).
        json: instead of ``text``: a string column holding one JSON record
            per row (the CLI's input lines, e.g. ``spark.read.text(path)``'s
            ``value``), parsed exactly as the CLI parses a line; blank rows
            are skipped, as the CLI skips blank lines.
        id: the id column in ``text`` mode (absent: ids are the rows' 1-based
            numbers).
        columns: in ``text`` mode, record fields from other columns
            (``{"channel": "source", "time": "created_at"}``).
        **options: :class:`vocmine.Engine` options for the executors'
            engines (:data:`ENGINE_OPTIONS`): ``models`` (the model directory,
            a path that exists on every executor; default as ``Engine()``
            finds it), ``codebook``, ``alerts``, ``languages``, ``threads``
            (per executor process; default one per core), ...

    Returns:
        A DataFrame (lazy: nothing runs until it is written or collected)
        with the columns of the store's ``records.parquet`` (``row``, ``id``,
        ``line``, ..., ``json``: the CLI's output line, ``embedding``: the
        whole text's) and ``clauses``: the record's rows of
        ``clauses.parquet`` (spans, turn, role, language, sentiment, voice
        type, folded text and tokens, codes, points, embedding). Integers
        are signed and embeddings variable-length arrays, as Spark holds
        them. A bad record is a row with ``error`` set and no clauses.

    Raises:
        TypeError: neither or both of ``text`` and ``json``, or an unknown
            option. ModelNotFoundError: the model's config.json is missing
            on the driver.
    """
    from pyspark.sql import functions as F

    if (text is None) == (json is None):
        raise TypeError("vocmine.spark.analyze() takes exactly one of text= or json=")
    opts = _check_options(options)
    source = json if json is not None else text
    if source not in df.columns:
        raise KeyError(f"the DataFrame has no column {source!r} (columns: {df.columns})")
    if json is not None:
        df = df.select(F.col(json).alias("__json")).where(
            F.col("__json").isNotNull() & (F.trim(F.col("__json")) != "")
        )
    dim = _encoder(opts)[1]
    arrow_schema = _spark_arrow_schema(dim)
    offsets = _partition_offsets(df)
    mode = "json" if json is not None else "text"
    fields = dict(columns or {})
    text_col, id_col = text, id

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        row = offsets[TaskContext.get().partitionId()]
        engine = _engine(opts)
        for batch in batches:
            for start in range(0, batch.num_rows, CHUNK):
                chunk = batch.slice(start, CHUNK)
                if mode == "json":
                    records = chunk.column(0).to_pylist()
                else:
                    records = _frame_records(chunk.to_pandas(), text_col, id_col, fields)
                if not records:
                    continue
                r, c = engine._native.store_batches(
                    records, first_row=row, start_line=row + 1, lines=mode == "json"
                )
                row += len(records)
                yield _nest(r, c, arrow_schema)

    return df.mapInArrow(run, _spark_struct(arrow_schema))


# ------------------------------------------------------------------- store


def write_store(result, path: str, **options: Any) -> dict:
    """Writes :func:`analyze`'s result as a store in ``path``: the tables
    ``records.parquet`` and ``clauses.parquet`` as directories of part
    files (one per partition, each holding its own range of rows) and the
    manifest ``store.json``. The result is computed once (persisted while
    both tables are written). ``options`` are the engine options given to
    :func:`analyze` (the manifest names the encoder and codebook; the
    model's config.json is read on the driver, the model is not loaded).
    ``path`` is a local or shared file system path (the CLI reads the
    store from a local one). Returns the manifest.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    opts = _check_options(options)
    result = result.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        records = result.drop("clauses")
        clauses = result.select(F.explode("clauses").alias("c")).select("c.*")
        records.write.mode("overwrite").parquet(_os.path.join(path, "records.parquet"))
        clauses.write.mode("overwrite").parquet(_os.path.join(path, "clauses.parquet"))
        counts = result.agg(F.count("*"), F.sum(F.size("clauses"))).first()
    finally:
        result.unpersist()
    manifest = _manifest(opts, int(counts[0]), int(counts[1] or 0))
    with open(_os.path.join(path, "store.json"), "w", encoding="utf-8") as f:
        f.write(_json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _manifest(opts: dict, records: int, clauses: int) -> dict:
    encoder, dim = _encoder(opts)
    codebook = None
    if opts.get("codebook"):
        codebook = Engine(no_model=True, codebook=opts["codebook"])._native.codebook_name
    return _json.loads(_vocmine.store_manifest(records, clauses, encoder, dim, codebook))


def read_store(spark, path: str):
    """The records of a store (written by :func:`write_store` or by
    ``vocmine analyze --store``) as a DataFrame in :func:`analyze`'s shape:
    ``records.parquet`` with each record's ``clauses`` joined back as an
    array of structs, in row order."""
    return _nested(spark, path).orderBy("row")


def _nested(spark, path: str):
    """:func:`read_store` without the final sort (for callers that do not
    need the rows in order)."""
    from pyspark.sql import functions as F

    records = spark.read.parquet(_os.path.join(path, "records.parquet"))
    clauses = spark.read.parquet(_os.path.join(path, "clauses.parquet"))
    nested = clauses.groupBy("row").agg(
        F.sort_array(F.collect_list(F.struct(F.col("clause").alias("__k"), F.struct(*clauses.columns).alias("c")))).alias("cs")
    ).select("row", F.col("cs.c").alias("clauses"))
    return records.join(nested, "row", "left")


def _ipc(schema, batches) -> bytes:
    """Record batches as the bytes of one Arrow IPC stream (what the
    native functions take)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as w:
        for b in batches:
            w.write_batch(b)
    return sink.getvalue().to_pybytes()


# -------------------------------------------------------------- reclassify


def reclassify(spark, store: str, codebook: str, *, full: bool = False, **options: Any):
    """Codes every record of a store again with ``codebook`` on the
    executors, as ``vocmine reclassify`` does: only the codebook and points
    stages run, over the stored clauses (terms, sentiment, voice type,
    embeddings), with no segmentation and no encoder pass over the corpus.

    Args:
        spark: the SparkSession.
        store: the store's directory (written by :func:`write_store` or by
            ``vocmine analyze --store``), readable by Spark.
        codebook: the new codebook (a path every executor can read).
        full: the full analysis lines with the new codes (the CLI's
            ``--full``) instead of the compact ones.
        **options: engine options for the executors' engines
            (:data:`ENGINE_OPTIONS`; ``models`` must be the encoder the
            store was written with, ``no_model=True`` codes with rules and
            learned classifiers over the stored embeddings only).

    Returns:
        A DataFrame ``row long, line string``: per stored record its output
        line, the same bytes as the CLI's line for it (order by ``row`` to
        write them in the CLI's order).

    Raises:
        ConfigError: the store was analyzed with another encoder than the
            one ``models`` names.
    """
    import pyarrow as pa

    opts = _check_options(dict(options, codebook=_os.fspath(codebook)))
    with open(_os.path.join(store, "store.json"), encoding="utf-8") as f:
        manifest = _json.load(f)
    dim = int(manifest.get("dim") or 0)
    name = _encoder(opts)[0]
    if dim and name is not None and manifest.get("encoder") != name:
        raise _vocmine.ConfigError(
            f"the store was analyzed with encoder `{manifest.get('encoder')}`, "
            f"the model given is `{name}`"
        )
    nested = read_store(spark, store)
    if not full:
        nested = nested.drop("json")

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        engine = _engine(opts)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            out = engine._native.reclassify_batch(_ipc(batch.schema, [batch]), dim, full)
            yield from pa.ipc.open_stream(out)

    return nested.mapInArrow(run, "row long, line string")


# ----------------------------------------------------------------- cluster

#: The columns of cluster items between the stages of :func:`cluster`
#: (``vocmine::cluster::items_schema``).
_ITEMS = (
    "row long, id string, clause long, clauses long, text string, language string, "
    "tokens array<string>, surface array<string>, sentiment string, codes array<string>, "
    "period long"
)

# One placer per worker process and model directory.
_PLACERS: dict = {}


def _driver_ipc(df) -> bytes:
    """``df`` collected on the driver as one Arrow IPC stream, without going
    through Python rows (``toArrow`` is PySpark 4's; 3.4's private
    ``_collect_as_arrow`` otherwise)."""
    import pyarrow as pa

    if hasattr(df, "toArrow"):
        table = df.toArrow()
    else:  # pragma: no cover - PySpark 3.x
        table = pa.Table.from_batches(df._collect_as_arrow())
    return _ipc(table.schema, table.to_batches())


def cluster(
    spark,
    store: str,
    *,
    model_dir: str,
    sample: Optional[float] = None,
    max_sample: int = 50_000,
    level: str = "auto",
    all_speakers: bool = False,
    codebook: Optional[str] = None,
    seed: int = 42,
    settings: Optional[dict] = None,
    **options: Any,
) -> dict:
    """Hot issues over a whole store, the way topic models are scaled out:
    fit on a sample on the driver, place every item on the executors
    through the saved model, report hotness and gaps over all of them.

    1. The executors read the store's records and make their cluster items
       (clauses, or records clustered whole: ``level``), coding the clauses
       again first when ``codebook`` is given; an item is in the sample by
       a hash of its record id, clause number and ``seed`` (the CLI's
       ``--sample``), so no shuffle decides it.
    2. The driver collects the sampled items with their embeddings, fits the
       clustering (kNN graph, Leiden; ``settings``) and saves the model in
       ``model_dir``: a path every executor can read (a shared file system;
       or ship it with ``spark.sparkContext.addFile(model_dir,
       recursive=True)`` and give the executors' local copy).
    3. The executors load the model once per worker process and place every
       item: a sampled one keeps its cluster, the others join the cluster
       of their nearest sampled items (or become outliers when far from
       all). Only the items' metadata and placements come back (no
       vectors), and the driver writes the report: ``vocmine cluster
       STORE --sample F --seed S`` gives the same one for the same store,
       except the timings in ``summary.stats``.

    Args:
        spark: the SparkSession.
        store: the store directory (:func:`write_store`, or ``vocmine
            analyze --store``) with embeddings.
        model_dir: where the model is saved (and read by the executors).
        sample: the share of items fitted on, in (0, 1]; default: all of
            them up to ``max_sample`` items, that many (as a share) above.
        max_sample: the sample size aimed at when ``sample`` is not given.
        level: ``clause``, ``record`` or ``auto`` (as ``Engine.cluster``).
        all_speakers: cluster every speaker's clauses, not only the
            customer's.
        codebook: code the clauses again with this codebook (a path every
            executor reads) and take its code tree for gap suggestions, as
            ``vocmine cluster --codebook`` does.
        seed: the seed of the sample and of the clustering.
        settings: clustering settings as for ``Engine.cluster`` (``k``,
            ``resolution``, ``min_size``, ...).
        **options: engine options for the executors (:data:`ENGINE_OPTIONS`;
            ``models`` matters only with a ``codebook`` whose exemplars need
            the encoder).

    Returns:
        The report (``CLUSTERS.json``) as a dict: ``summary``, ``clusters``
        and ``assignments`` over every item; ``summary.stats`` is the fit
        of the sample.

    Raises:
        ConfigError: a bad setting or sample, a store without embeddings, or
            no item in the sample.
    """
    from pyspark import StorageLevel

    opts = _check_options(options)
    if codebook is not None:
        opts["codebook"] = _os.fspath(codebook)
    else:
        opts.setdefault("no_model", True)
    model_dir = _os.path.abspath(_os.fspath(model_dir))
    with open(_os.path.join(store, "store.json"), encoding="utf-8") as f:
        dim = int(_json.load(f).get("dim") or 0)
    if dim == 0:
        raise _vocmine.ConfigError(
            f"{store}: the store has no embeddings (it was analyzed with --no-model); clustering needs them"
        )
    config = dict(settings or {})
    config["seed"] = seed
    config_json = _json.dumps(config)

    # the records in any order: the items are sorted where order matters
    nested = _nested(spark, store).drop("json")

    def gather(fraction: float):
        def run(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            engine = _engine(opts, pos=True)
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                out = _vocmine.cluster_items_batch(
                    engine._native, _ipc(batch.schema, [batch]), dim, level, all_speakers, fraction, seed
                )
                yield from pa.ipc.open_stream(out)

        return nested.mapInArrow(
            run, _ITEMS + ", sampled boolean, embedding binary"
        )

    if sample is None:
        fraction = 1.0
    else:
        fraction = float(sample)
        if not 0.0 < fraction <= 1.0:
            raise _vocmine.ConfigError(f"the sample fraction must be in (0, 1], got {sample}")
    persisted = gather(fraction).persist(StorageLevel.MEMORY_AND_DISK)
    items = persisted
    if sample is None:
        # the items made once and counted; above max_sample, only the
        # `sampled` flags are drawn again (no second pass over the store)
        counted = persisted.count()
        if counted > max_sample:
            share = max_sample / counted

            def resample(batches: Iterator[Any]) -> Iterator[Any]:
                import pyarrow as pa

                for b in batches:
                    mask = _vocmine.sample_mask(
                        b.column("id").to_pylist(), b.column("clause").to_pylist(), share, seed
                    )
                    cols = [
                        pa.array(mask, pa.bool_()) if name == "sampled" else b.column(name)
                        for name in b.schema.names
                    ]
                    yield pa.RecordBatch.from_arrays(cols, schema=b.schema)

            items = persisted.mapInArrow(resample, persisted.schema)
    try:
        fitted = items.where("sampled").drop("sampled").orderBy("row", "clause")
        _vocmine.cluster_fit_items(_driver_ipc(fitted), model_dir, config_json)

        def place(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            # keyed by the model file's time too: a later fit into the
            # same directory is a new model
            key = (model_dir, _os.stat(_os.path.join(model_dir, "clusters.model.json")).st_mtime_ns)
            placer = _PLACERS.get(key)
            if placer is None:
                placer = _PLACERS[key] = _vocmine.ClusterPlacer(model_dir)
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                yield from pa.ipc.open_stream(placer.place_batch(_ipc(batch.schema, [batch])))

        placed = (
            items.drop("sampled")
            .mapInArrow(place, _ITEMS + ", cluster long, centroid_similarity float")
            .orderBy("row", "clause")
        )
        report = _vocmine.cluster_report_placed(
            model_dir, _driver_ipc(placed), None if codebook is None else _os.fspath(codebook)
        )
    finally:
        persisted.unpersist()
    return _json.loads(report)
