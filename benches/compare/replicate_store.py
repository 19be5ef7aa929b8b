#!/usr/bin/env python3
"""Replicates a vocmine store N times into a bigger one, for benchmarks.

Writing a store of 244,300 clauses with embeddings takes `vocmine analyze`
about half an hour on two cores (the encoder); reading it back is what the
reclassification and clustering benchmarks measure. This script writes the
sample corpus' store once with the encoder and copies its rows N times
with unique ids (`ID#k`), row numbers and input lines shifted by the
store's record count per copy, and the manifest's counts updated. The
clauses (texts, tokens, sentiment, embeddings) repeat as they are, which
changes nothing a throughput measurement depends on. Row groups are written
as `vocmine analyze --store` writes them: every 4,096 records, the clauses
of those records together.

    python replicate_store.py SRC_DIR DST_DIR --copies 100 [--noise 0.05]

With `--noise X` every copy after the first has its embeddings (clauses' and
records') perturbed — uniform ±X/2 per coordinate, re-normalized, cosine
about 0.96 to the source at 0.05 — so that a clustering benchmark sees
distinct near-duplicates rather than exact copies.

Needs pyarrow (`pip install pyarrow`).
"""
import argparse
import json
import os
import shutil
import sys

ROW_GROUP_RECORDS = 4096


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--noise", type=float, default=0.0)
    args = ap.parse_args()
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        sys.exit("replicate_store.py needs pyarrow: pip install pyarrow")

    manifest = json.load(open(os.path.join(args.src, "store.json")))
    records = pq.read_table(os.path.join(args.src, "records.parquet"))
    clauses = pq.read_table(os.path.join(args.src, "clauses.parquet"))
    n = manifest["records"]
    if records.num_rows != n:
        sys.exit(f"{args.src}: manifest says {n} records, records.parquet has {records.num_rows}")
    shutil.rmtree(args.dst, ignore_errors=True)
    os.makedirs(args.dst)

    def perturbed(col, k):
        import numpy as np

        dim = col.type.list_size
        flat = col.values.slice(col.offset * dim, len(col) * dim)
        x = flat.to_numpy(zero_copy_only=False).reshape(-1, dim).astype(np.float32)
        rng = np.random.default_rng(k)
        y = x + args.noise * (rng.random(x.shape, dtype=np.float32) - 0.5)
        y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
        values = pa.array(y.reshape(-1), pa.float32())
        return pa.FixedSizeListArray.from_arrays(values, type=col.type, mask=col.is_null())

    def shifted(table, k, with_ids):
        cols = {}
        for name in table.column_names:
            col = table[name]
            if name in ("row", "line"):
                col = pc.cast(pc.add(col, pa.scalar(k * n, col.type)), col.type)
            elif with_ids and name == "id":
                col = pc.binary_join_element_wise(col, pa.scalar(f"#{k}"), "")
            elif name == "embedding" and args.noise > 0 and k > 0:
                col = perturbed(col.combine_chunks(), k)
            elif with_ids and name == "id_json":
                # a JSON string or number becomes the JSON string "ID#k"
                ids = pc.binary_join_element_wise(records["id"], pa.scalar(f"#{k}"), "")
                col = pa.array([json.dumps(s, ensure_ascii=False) for s in ids.to_pylist()], pa.string())
            cols[name] = col
        return pa.table(cols, schema=table.schema)

    # The clause row groups hold the clauses of the same 4,096 records.
    rows = clauses["row"].to_pylist()
    rw = pq.ParquetWriter(os.path.join(args.dst, "records.parquet"), records.schema, compression="snappy")
    cw = pq.ParquetWriter(os.path.join(args.dst, "clauses.parquet"), clauses.schema, compression="snappy")
    rbuf, cbuf, held = [], [], 0

    def flush():
        nonlocal rbuf, cbuf, held
        if rbuf:
            rw.write_table(pa.concat_tables(rbuf), row_group_size=1 << 30)
            cw.write_table(pa.concat_tables(cbuf), row_group_size=1 << 30)
        rbuf, cbuf, held = [], [], 0

    for k in range(args.copies):
        r = shifted(records, k, True)
        c = shifted(clauses, k, False)
        start = 0
        while start < n:
            take = min(n - start, ROW_GROUP_RECORDS - held)
            lo = sum(1 for x in rows if x < start)
            hi = sum(1 for x in rows if x < start + take)
            rbuf.append(r.slice(start, take))
            cbuf.append(c.slice(lo, hi - lo))
            held += take
            start += take
            if held == ROW_GROUP_RECORDS:
                flush()
    flush()
    rw.close()
    cw.close()
    manifest["records"] = n * args.copies
    manifest["clauses"] = manifest["clauses"] * args.copies
    with open(os.path.join(args.dst, "store.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"{args.dst}: {manifest['records']} records, {manifest['clauses']} clauses "
          f"({args.copies} copies of {args.src})")


if __name__ == "__main__":
    main()
