//! Contract of the result store (`vocmine analyze --store DIR`) and of
//! `vocmine reclassify`: the store holds one row per record and per clause
//! in Parquet files that other tools read; reclassifying with the codebook
//! used at analysis time gives the same codes and points; `--full` gives the
//! analysis lines back; `--diff` counts agree with two reclassifications;
//! failed records keep their line; a missing or corrupt store is exit 2
//! with its path. No neural model is needed (`--no-model`), except for the
//! one test of a codebook with exemplars and learned classifiers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Output;

use arrow::array::{Array, ListArray, RecordBatch, StringArray, UInt32Array, UInt64Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

#[path = "support/cli.rs"]
mod cli_support;
use cli_support::{assert_ok, bin, lines, model_available, root};

fn codebook(name: &str) -> String {
    root()
        .join("corpora/codebooks")
        .join(format!("{name}.yaml"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn sample() -> PathBuf {
    root().join("corpora/sample.jsonl")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run vocmine")
}

/// `vocmine analyze INPUT --no-model --codebook automotive --store DIR -o OUT`.
fn analyze(input: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let store = dir.join("store");
    let out = dir.join("out.jsonl");
    let o = run(&[
        "analyze",
        s(input),
        "--no-model",
        "--codebook",
        &codebook("automotive"),
        "--store",
        s(&store),
        "-o",
        s(&out),
        "-q",
    ]);
    assert_ok(&o);
    (store, out)
}

/// `vocmine reclassify --store STORE --codebook CB --no-model -o OUT [extra]`.
fn reclassify(store: &Path, cb: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "reclassify",
        "--store",
        s(store),
        "--codebook",
        cb,
        "--no-model",
        "-o",
        s(out),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_ok(&o);
    o
}

/// The id of an output line as text (reclassify writes the display form).
fn id_str(v: &Value) -> String {
    match &v["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn clauses_of(v: &Value) -> &[Value] {
    v["clauses"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn array_or_empty(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// Direct (not rolled-up) record codes of an output line.
fn direct_codes(v: &Value) -> BTreeSet<String> {
    array_or_empty(&v["codes"])
        .iter()
        .filter(|c| !c["rolled_up"].as_bool().unwrap_or(false))
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Numbers compared at f32 precision (scores are f32 in the engine).
fn same_f32(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x as f32) == (y as f32),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_f32(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| same_f32(a, b)))
        }
        _ => a == b,
    }
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let f = File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn column<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> &'a T {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column `{name}` missing"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column `{name}` has type {:?}", b.schema()))
}

fn strings(l: &ListArray, i: usize) -> Vec<String> {
    if l.is_null(i) {
        return Vec::new();
    }
    let v = l.value(i);
    let a = v.as_any().downcast_ref::<StringArray>().unwrap();
    a.iter().map(|x| x.unwrap_or_default().to_owned()).collect()
}

#[test]
fn store_has_the_manifest_and_parquet_tables_of_every_record_and_clause() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = analyze(&sample(), dir.path());
    let v = lines(&out);
    assert_eq!(v.len(), 359);
    let n_clauses: usize = v.iter().map(|r| clauses_of(r).len()).sum();

    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("store.json")).unwrap()).unwrap();
    assert_eq!(m["format"], "vocmine-store");
    assert_eq!(m["records"], 359);
    assert_eq!(m["clauses"].as_u64(), Some(n_clauses as u64));
    assert_eq!(m["encoder"], Value::Null, "--no-model: no encoder");
    assert_eq!(m["dim"], 0);
    assert_eq!(m["codebook"], "automotive");
    assert!(store.join("records.parquet").is_file());
    assert!(store.join("clauses.parquet").is_file());

    // clauses.parquet: one row per clause, in record then clause order.
    let batches = read_parquet(&store.join("clauses.parquet"));
    let schema = batches[0].schema();
    for name in ["row", "id", "text", "token_stems", "codes"] {
        assert!(
            schema.column_with_name(name).is_some(),
            "clauses.parquet lacks `{name}`: {schema:?}"
        );
    }
    assert!(
        schema.column_with_name("embedding").is_none(),
        "no embeddings without a model"
    );
    let mut rows = Vec::new();
    for b in &batches {
        let row = column::<UInt64Array>(b, "row");
        let id = column::<StringArray>(b, "id");
        let clause = column::<UInt32Array>(b, "clause");
        let text = column::<StringArray>(b, "text");
        let stems = column::<ListArray>(b, "token_stems");
        let codes = column::<ListArray>(b, "codes");
        for i in 0..b.num_rows() {
            rows.push((
                row.value(i),
                id.value(i).to_owned(),
                clause.value(i),
                text.value(i).to_owned(),
                strings(stems, i),
                strings(codes, i),
            ));
        }
    }
    assert_eq!(rows.len(), n_clauses);
    let mut k = 0;
    for (ri, r) in v.iter().enumerate() {
        for (ci, c) in clauses_of(r).iter().enumerate() {
            let (row, id, clause, text, stems, codes) = &rows[k];
            assert_eq!(*row, ri as u64);
            assert_eq!(*id, id_str(r));
            assert_eq!(*clause, ci as u32);
            assert_eq!(text, c["text"].as_str().unwrap(), "row {ri} clause {ci}");
            let want: Vec<String> = array_or_empty(&c["codes"])
                .iter()
                .map(|x| x["code"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(*codes, want, "row {ri} clause {ci}");
            if c["role"] == "customer" && !text.trim().is_empty() {
                assert!(!stems.is_empty(), "customer clause without stems: {text}");
            }
            k += 1;
        }
    }

    // records.parquet: one row per record with its output line as written.
    let batches = read_parquet(&store.join("records.parquet"));
    let mut n = 0;
    for b in &batches {
        let row = column::<UInt64Array>(b, "row");
        let id = column::<StringArray>(b, "id");
        let json = column::<StringArray>(b, "json");
        for i in 0..b.num_rows() {
            assert_eq!(row.value(i), n as u64);
            assert_eq!(id.value(i), id_str(&v[n]));
            let stored: Value = serde_json::from_str(json.value(i)).unwrap();
            assert_eq!(stored, v[n], "records.parquet json of row {n}");
            n += 1;
        }
    }
    assert_eq!(n, 359);

    // The library reader sees the same records and clauses, with terms.
    let mut reader = vocmine::io::store::StoreReader::open(&store).unwrap();
    assert_eq!(reader.manifest().records, 359);
    let mut seen = 0;
    while let Some(batch) = reader.next_batch().unwrap() {
        for rec in batch {
            let r = &v[rec.row as usize];
            assert_eq!(rec.id, id_str(r));
            assert_eq!(rec.clauses.len(), clauses_of(r).len());
            for c in &rec.clauses {
                assert_eq!(
                    c.customer,
                    clauses_of(r)[c.clause as usize]["role"] == "customer"
                );
                if c.customer {
                    assert!(c.terms.is_some(), "customer clause without terms");
                }
                assert!(c.embedding.is_none());
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 359);
}

/// A reclassified line `r` has the record codes and points of the analysis
/// line `x`, and exactly its coded clauses, with the same spans and codes
/// (scores at f32 precision).
fn assert_coded_as_analyzed(r: &Value, x: &Value) {
    assert_eq!(
        array_or_empty(&r["codes"]),
        array_or_empty(&x["codes"]),
        "record codes of {}",
        x["id"]
    );
    assert_eq!(
        array_or_empty(&r["points"]),
        array_or_empty(&x["points"]),
        "points of {}",
        x["id"]
    );
    let want: Vec<(usize, &Value)> = clauses_of(x)
        .iter()
        .enumerate()
        .filter(|(_, c)| !array_or_empty(&c["codes"]).is_empty())
        .collect();
    let got = array_or_empty(&r["clauses"]);
    assert_eq!(got.len(), want.len(), "coded clauses of {}", x["id"]);
    for (g, (ci, c)) in got.iter().zip(want) {
        assert_eq!(g["clause"], ci);
        assert_eq!(g["turn"], c["turn"]);
        assert_eq!(g["start"], c["start"]);
        assert_eq!(g["end"], c["end"]);
        assert!(
            same_f32(&g["codes"], &c["codes"]),
            "{}: {} vs {}",
            x["id"],
            g["codes"],
            c["codes"]
        );
    }
}

#[test]
fn reclassify_with_the_same_codebook_gives_the_same_codes_and_points() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = analyze(&sample(), dir.path());
    let re = dir.path().join("re.jsonl");
    let o = reclassify(&store, &codebook("automotive"), &re, &[]);
    let a = lines(&out);
    let b = lines(&re);
    assert_eq!(a.len(), b.len());
    let by_id: BTreeMap<String, &Value> = a.iter().map(|r| (id_str(r), r)).collect();
    assert_eq!(by_id.len(), a.len(), "ids are unique");
    let mut coded = 0;
    for (row, r) in b.iter().enumerate() {
        assert_eq!(r["row"], row);
        let x = by_id[&id_str(r)];
        assert_eq!(r["line"], x["line"]);
        assert_coded_as_analyzed(r, x);
        coded += usize::from(!array_or_empty(&r["codes"]).is_empty());
    }
    assert!(coded > 200, "most sample records are coded ({coded})");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("359 records") && stderr.contains("clauses/s"),
        "{stderr}"
    );

    // The output does not depend on the thread count.
    let one = dir.path().join("re1.jsonl");
    let two = dir.path().join("re2.jsonl");
    reclassify(
        &store,
        &codebook("automotive"),
        &one,
        &["--threads", "1", "-q"],
    );
    reclassify(
        &store,
        &codebook("automotive"),
        &two,
        &["--threads", "2", "-q"],
    );
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&re).unwrap());
}

/// The strict form of the contract: `--full` with the analysis codebook
/// gives the analysis lines, equal as JSON values.
#[test]
fn full_lines_are_byte_for_byte_the_analysis_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = analyze(&sample(), dir.path());
    let full = dir.path().join("full.jsonl");
    reclassify(&store, &codebook("automotive"), &full, &["--full", "-q"]);
    let a = std::fs::read_to_string(&out).unwrap();
    let b = std::fs::read_to_string(&full).unwrap();
    assert_eq!(a.lines().count(), 359);
    assert_eq!(b.lines().count(), a.lines().count());
    // member order included: record codes and points after the clauses,
    // before the conversation, as `analyze` writes them
    for (x, y) in a.lines().zip(b.lines()) {
        assert_eq!(y, x);
    }
    assert!(a.contains("\"conversation\"") && a.contains("\"points\""));
}

/// Parses the `--diff` table: code -> (old, new, gained, lost).
fn diff_table(stderr: &str) -> BTreeMap<String, (u64, u64, u64, u64)> {
    let mut t = BTreeMap::new();
    let mut in_table = false;
    for l in stderr.lines() {
        if l.starts_with("code (records)") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f.len(), 5, "diff row: {l}");
        let num = |x: &str| x.trim_start_matches(['+', '-']).parse::<u64>().unwrap();
        assert!(f[3].starts_with('+') && f[4].starts_with('-'), "{l}");
        t.insert(
            f[0].to_owned(),
            (num(f[1]), num(f[2]), num(f[3]), num(f[4])),
        );
    }
    assert!(in_table, "no diff table in:\n{stderr}");
    t
}

/// The table computed from two reclassify outputs (direct codes per record).
fn expected_diff(old: &[Value], new: &[Value]) -> BTreeMap<String, (u64, u64, u64, u64)> {
    let mut t: BTreeMap<String, (u64, u64, u64, u64)> = BTreeMap::new();
    assert_eq!(old.len(), new.len());
    for (o, n) in old.iter().zip(new) {
        assert_eq!(o["row"], n["row"]);
        let (o, n) = (direct_codes(o), direct_codes(n));
        for c in &o {
            let e = t.entry(c.clone()).or_default();
            e.0 += 1;
            if !n.contains(c) {
                e.3 += 1;
            }
        }
        for c in &n {
            let e = t.entry(c.clone()).or_default();
            e.1 += 1;
            if !o.contains(c) {
                e.2 += 1;
            }
        }
    }
    t
}

#[test]
fn diff_counts_agree_with_two_reclassifications() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = analyze(&sample(), dir.path());
    let old = dir.path().join("old.jsonl");
    let new = dir.path().join("new.jsonl");
    reclassify(&store, &codebook("automotive"), &old, &["-q"]);
    reclassify(&store, &codebook("ecommerce"), &new, &["-q"]);
    let (old_v, new_v) = (lines(&old), lines(&new));

    // ecommerce against automotive: disjoint code sets.
    let diffed = dir.path().join("diffed.jsonl");
    let o = reclassify(
        &store,
        &codebook("ecommerce"),
        &diffed,
        &["--diff", &codebook("automotive")],
    );
    assert_eq!(
        std::fs::read(&diffed).unwrap(),
        std::fs::read(&new).unwrap(),
        "--diff does not change the output"
    );
    let got = diff_table(&String::from_utf8_lossy(&o.stderr));
    let want = expected_diff(&old_v, &new_v);
    assert!(want.values().any(|e| e.2 > 0) && want.values().any(|e| e.3 > 0));
    assert_eq!(got, want);

    // A variant of automotive with two codes made stricter: the codes they
    // keep elsewhere are neither gained nor lost, only their own are lost.
    let text = std::fs::read_to_string(codebook("automotive")).unwrap();
    let mut variant = String::new();
    let mut raised = 0;
    for l in text.lines() {
        variant.push_str(l);
        variant.push('\n');
        if l.trim() == "- id: customer_care.complaints"
            || l.trim() == "- id: after_sales.repair.waiting"
        {
            let indent = l.len() - l.trim_start().len();
            variant.push_str(&format!("{}threshold: 0.95\n", " ".repeat(indent + 2)));
            raised += 1;
        }
    }
    assert_eq!(raised, 2, "automotive.yaml defines both codes");
    let variant_path = dir.path().join("automotive_strict.yaml");
    std::fs::write(&variant_path, variant).unwrap();
    let strict = dir.path().join("strict.jsonl");
    let o = reclassify(
        &store,
        s(&variant_path),
        &strict,
        &["--diff", &codebook("automotive")],
    );
    let got = diff_table(&String::from_utf8_lossy(&o.stderr));
    let want = expected_diff(&old_v, &lines(&strict));
    assert_eq!(got, want);
    for (code, (old_n, new_n, gained, lost)) in &want {
        if code == "customer_care.complaints" || code == "after_sales.repair.waiting" {
            assert!(*old_n > 0 && *new_n == 0 && *lost == *old_n, "{code}");
        } else {
            assert_eq!((old_n, gained, lost), (new_n, &0, &0), "{code}");
        }
    }
}

#[test]
fn failed_records_keep_their_line_and_error_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    let text = std::fs::read_to_string(sample()).unwrap();
    let mut rows: Vec<String> = text.lines().map(str::to_owned).collect();
    rows.insert(10, r#"{"id":"bad-json","text":"unterminated"#.into());
    rows.insert(100, r#"{"id":"no-text","channel":"chat"}"#.into());
    rows.insert(200, r#"{"id":"empty","text":"  "}"#.into());
    rows.push("not json at all".into());
    std::fs::write(&input, rows.join("\n") + "\n").unwrap();
    let (store, out) = analyze(&input, dir.path());
    let a = lines(&out);
    assert_eq!(a.len(), 363);
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("store.json")).unwrap()).unwrap();
    assert_eq!(m["records"], 363);
    let failed: Vec<usize> = (0..a.len())
        .filter(|&i| a[i].get("error").is_some())
        .collect();
    assert_eq!(failed, [10, 100, 200, 362]);

    let re = dir.path().join("re.jsonl");
    reclassify(&store, &codebook("automotive"), &re, &["-q"]);
    let b = lines(&re);
    assert_eq!(b.len(), a.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(y["row"], i);
        assert_eq!(id_str(y), id_str(x), "row {i}");
        assert_eq!(y["line"], x["line"], "row {i}");
        match x.get("error") {
            Some(e) => {
                assert_eq!(y["error"], e["kind"], "row {i}: {y}");
                assert!(y.get("codes").is_none(), "row {i}: {y}");
            }
            None => assert!(y.get("error").is_none(), "row {i}: {y}"),
        }
    }
    // Unparseable records are known by their line number.
    assert_eq!(a[10]["id"], 11);
    assert_eq!(b[10]["error"], "invalid_json");
    assert_eq!(b[100]["error"], "missing_text");
    assert_eq!(b[200]["error"], "empty_text");

    // --full: failed records are their analysis line, unchanged.
    let full = dir.path().join("full.jsonl");
    reclassify(&store, &codebook("ecommerce"), &full, &["--full", "-q"]);
    let f = lines(&full);
    assert_eq!(f.len(), a.len());
    for &i in &failed {
        assert_eq!(f[i], a[i], "row {i}");
    }
    for (i, (x, y)) in a.iter().zip(&f).enumerate() {
        assert_eq!(y["id"], x["id"], "row {i}");
        assert_eq!(y["line"], x["line"], "row {i}");
    }
}

/// Reclassify of a bad store: exit 2 and a message naming the path.
fn assert_store_error(store: &Path, names: &Path) {
    let out = bin()
        .args([
            "reclassify",
            "--store",
            s(store),
            "--codebook",
            &codebook("automotive"),
            "--no-model",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(s(names)),
        "stderr does not name {}: {stderr}",
        names.display()
    );
    assert!(out.stdout.is_empty(), "no output for a bad store");
}

#[test]
fn missing_or_corrupt_store_is_exit_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-store");
    assert_store_error(&missing, &missing);

    let (store, _) = analyze(&sample(), dir.path());
    let manifest = store.join("store.json");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, "{\"format\": \"vocmine-store\", \"version\": ").unwrap();
    assert_store_error(&store, &manifest);
    std::fs::write(&manifest, "not json").unwrap();
    assert_store_error(&store, &manifest);
    std::fs::write(
        &manifest,
        good.replace(
            &format!("\"version\": {}", vocmine::io::store::STORE_VERSION),
            "\"version\": 99",
        ),
    )
    .unwrap();
    assert_store_error(&store, &manifest);
    std::fs::write(&manifest, &good).unwrap();

    // A missing or corrupt Parquet file names that file.
    let clauses = store.join("clauses.parquet");
    let bytes = std::fs::read(&clauses).unwrap();
    std::fs::remove_file(&clauses).unwrap();
    assert_store_error(&store, &clauses);
    std::fs::write(&clauses, b"not parquet").unwrap();
    assert_store_error(&store, &clauses);
    std::fs::write(&clauses, &bytes).unwrap();
    let records = store.join("records.parquet");
    std::fs::write(&records, b"PAR1 truncated").unwrap();
    assert_store_error(&store, &records);
}

/// Compact lines keep the id as the analysis wrote it (a number stays a
/// number) and scores as the analysis wrote them (0.9, not 0.8999999761581421).
#[test]
fn compact_lines_keep_the_id_type_and_the_scores() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    std::fs::write(
        &input,
        "{\"id\":42,\"text\":\"the dealer never called back\"}\n\
         {\"text\":\"the app crashes again\"}\n",
    )
    .unwrap();
    let (store, out) = analyze(&input, dir.path());
    let re = dir.path().join("re.jsonl");
    reclassify(&store, &codebook("automotive"), &re, &["-q"]);
    let a = lines(&out);
    let b = lines(&re);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(y["id"], x["id"]);
        let want: Vec<Value> = clauses_of(x)
            .iter()
            .flat_map(|c| array_or_empty(&c["codes"]))
            .collect();
        let got: Vec<Value> = clauses_of(y)
            .iter()
            .flat_map(|c| array_or_empty(&c["codes"]))
            .collect();
        assert_eq!(got, want, "{}", x["id"]);
    }
}

/// More records than one read batch (8,192) and than one row group (4,096):
/// clauses join their records across batch boundaries, and every way of
/// reading a store gives the same records.
#[test]
fn reclassify_joins_clauses_to_records_across_read_batches() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    let text = std::fs::read_to_string(sample()).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut buf = String::new();
    for k in 0..24 {
        for r in &rows {
            let mut r = r.clone();
            r["id"] = Value::String(format!("{}#{k}", r["id"].as_str().unwrap()));
            buf.push_str(&r.to_string());
            buf.push('\n');
        }
    }
    std::fs::write(&input, buf).unwrap();
    let (store, out) = analyze(&input, dir.path());
    let a = lines(&out);
    assert_eq!(a.len(), 24 * 359);
    assert!(a.len() > 8192);
    let re = dir.path().join("re.jsonl");
    let o = reclassify(&store, &codebook("automotive"), &re, &["-q"]);
    assert!(o.stderr.is_empty());
    let b = lines(&re);
    assert_eq!(b.len(), a.len());
    // three parts coded at once or one after the other: the same bytes
    for threads in ["1", "3"] {
        let other = dir.path().join(format!("re-{threads}.jsonl"));
        reclassify(
            &store,
            &codebook("automotive"),
            &other,
            &["-q", "--threads", threads],
        );
        assert!(
            std::fs::read(&other).unwrap() == std::fs::read(&re).unwrap(),
            "--threads {threads} changes the output"
        );
    }
    // The three ways of reading a store give the same records: as a
    // stream, decoded ahead on a thread, and part by part (row groups of
    // 4,096 records: three parts here).
    let mut streamed = Vec::new();
    let mut reader = vocmine::io::store::StoreReader::open(&store).unwrap();
    while let Some(batch) = reader.next_batch().unwrap() {
        streamed.extend(batch);
    }
    let mut ahead = Vec::new();
    let mut reader = vocmine::io::store::StoreReader::open(&store)
        .unwrap()
        .prefetch(1)
        .unwrap();
    while let Some(batch) = reader.next_batch().unwrap() {
        ahead.extend(batch);
    }
    let parts = vocmine::io::store::StoreParts::open_with(&store, Default::default())
        .unwrap()
        .expect("row groups of both files line up");
    assert_eq!(parts.len(), 3);
    let by_part: Vec<_> = (0..parts.len())
        .rev()
        .map(|i| parts.read(i).unwrap())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .flatten()
        .collect();
    assert_eq!(streamed.len(), a.len());
    assert!(streamed == ahead, "prefetched records differ");
    assert!(streamed == by_part, "records read by part differ");
    // Columns left out come back empty, and nothing else changes.
    let lean = vocmine::io::store::Columns {
        json: false,
        embeddings: false,
        codes: false,
        text_embeddings: false,
    };
    let parts = vocmine::io::store::StoreParts::open_with(&store, lean)
        .unwrap()
        .unwrap();
    let first = parts.read(0).unwrap();
    assert_eq!(first.len(), 4096);
    for (x, y) in streamed.iter().zip(&first) {
        assert!(y.json.is_empty() && y.codes.is_empty());
        assert_eq!(
            (&x.id, x.row, x.clauses.len()),
            (&y.id, y.row, y.clauses.len())
        );
        for (c, d) in x.clauses.iter().zip(&y.clauses) {
            assert!(d.embedding.is_none() && d.codes.is_empty());
            assert_eq!(
                (&c.text, &c.terms, &c.sentiment),
                (&d.text, &d.terms, &d.sentiment)
            );
        }
    }
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(id_str(y), id_str(x), "row {i}");
        assert_eq!(
            array_or_empty(&y["codes"]),
            array_or_empty(&x["codes"]),
            "row {i}"
        );
        assert_eq!(
            array_or_empty(&y["points"]),
            array_or_empty(&x["points"]),
            "row {i}"
        );
    }
}

/// The store is written in row groups as records stream by, so that the
/// writer's memory does not grow with the input: more than 16,384 records
/// (`ROW_GROUP_RECORDS`) make more than one row group.
#[test]
fn store_is_written_in_bounded_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    let mut buf = String::new();
    for i in 0..20_000 {
        buf.push_str(&format!(
            "{{\"id\":\"r{i}\",\"text\":\"The delivery was late, the app crashes.\"}}\n"
        ));
    }
    std::fs::write(&input, buf).unwrap();
    let (store, _) = analyze(&input, dir.path());
    for name in ["records.parquet", "clauses.parquet"] {
        let f = File::open(store.join(name)).unwrap();
        let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        assert!(
            b.metadata().num_row_groups() > 1,
            "{name}: {} row group(s) for 20,000 records",
            b.metadata().num_row_groups()
        );
    }
}

/// `analyze --store` of the first 120 sample records with codebook `cb`,
/// then `reclassify` of that store with the same codebook (exemplar
/// embeddings through a fresh cache in `dir`): the lines of both.
fn analyze_then_reclassify(dir: &Path, cb: &str) -> (Vec<Value>, Vec<Value>) {
    std::fs::create_dir_all(dir).unwrap();
    let input = dir.join("input.jsonl");
    let text = std::fs::read_to_string(sample()).unwrap();
    let head: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(120)
        .collect();
    std::fs::write(&input, head.join("\n") + "\n").unwrap();
    let store = dir.join("store");
    let out = dir.join("out.jsonl");
    let cache = dir.join("cache");
    let with_cache = |args: &[&str]| {
        let o = bin()
            .current_dir(root())
            .env("VOCMINE_CACHE_DIR", &cache)
            .args(args)
            .output()
            .expect("run vocmine");
        assert_ok(&o);
    };
    with_cache(&[
        "analyze",
        s(&input),
        "--codebook",
        cb,
        "--store",
        s(&store),
        "-o",
        s(&out),
        "-q",
    ]);
    let re = dir.join("re.jsonl");
    with_cache(&[
        "reclassify",
        "--store",
        s(&store),
        "--codebook",
        cb,
        "-o",
        s(&re),
        "-q",
    ]);
    let a = lines(&out);
    let b = lines(&re);
    assert_eq!(a.len(), 120);
    assert_eq!(b.len(), a.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(id_str(y), id_str(x));
        assert_coded_as_analyzed(y, x);
    }
    (a, b)
}

/// How many clause codes of `lines` carry learned and exemplar evidence.
fn learned_and_exemplar_evidence(lines: &[Value]) -> (usize, usize) {
    let (mut learned, mut exemplar) = (0, 0);
    for y in lines {
        for c in array_or_empty(&y["clauses"]) {
            for code in array_or_empty(&c["codes"]) {
                learned += code["evidence"].get("learned").is_some() as usize;
                exemplar += code["evidence"].get("exemplar").is_some() as usize;
            }
        }
    }
    (learned, exemplar)
}

/// With the encoder and a codebook with rules, exemplars and learned
/// classifiers (restaurant.yaml), reclassifying the store with that codebook
/// gives every record the codes, points and clause codes (scores and
/// evidence included) that `analyze` gave it, although reclassification
/// reads the stored embeddings and the cached exemplar embeddings instead
/// of running the encoder.
#[test]
fn reclassify_with_exemplars_and_learned_classifiers_equals_analyze() {
    if !model_available() {
        eprintln!("SKIPPED: default model not built; run `python3 models/setup.py`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, b) = analyze_then_reclassify(dir.path(), &codebook("restaurant"));
    let (learned, exemplar) = learned_and_exemplar_evidence(&b);
    // the learned and exemplar evidence was really there to compare
    assert!(
        learned > 20 && exemplar > 20,
        "learned {learned}, exemplar {exemplar}"
    );
}

/// The same with learned classifiers that read lexical features (English,
/// Russian stems and Chinese characters and pairs): reclassification,
/// which reads the stored tokens, codes every record as `analyze` did, and
/// the lexical weights change codes.
#[test]
fn reclassify_with_lexical_features_equals_analyze() {
    if !model_available() {
        eprintln!("SKIPPED: default model not built; run `python3 models/setup.py`");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("corpora/codebooks");
    let cbdir = dir.path().join("cb");
    std::fs::create_dir(&cbdir).unwrap();
    std::fs::copy(src.join("restaurant.yaml"), cbdir.join("restaurant.yaml")).unwrap();
    // The shipped classifiers, with weights on a few terms of each language.
    let mut m: Value = serde_json::from_str(
        &std::fs::read_to_string(src.join("restaurant.learned.json")).unwrap(),
    )
    .unwrap();
    let terms = [
        "wait",
        "staff",
        "ждал",
        "персона",
        "服务",
        "菜",
        "等",
        "price",
    ];
    m["terms"] = serde_json::json!(terms);
    for c in m["codes"].as_array_mut().unwrap() {
        let w: Vec<f32> = match c["code"].as_str().unwrap() {
            "service.general" => vec![4.0, 4.0, 4.0, 4.0, 4.0, -1.0, 4.0, -2.0],
            "food.quality" => vec![-2.0, -2.0, 0.0, 0.0, -1.0, 3.0, 0.0, 0.0],
            _ => vec![0.0; terms.len()],
        };
        c["term_w"] = serde_json::json!(w);
    }
    std::fs::write(cbdir.join("restaurant.learned.json"), m.to_string()).unwrap();
    let cb = cbdir.join("restaurant.yaml");
    let (_, with_terms) = analyze_then_reclassify(&dir.path().join("a"), s(&cb));
    let (learned, _) = learned_and_exemplar_evidence(&with_terms);
    assert!(learned > 20, "learned {learned}");
    // Without the terms (the shipped file), some records are coded otherwise.
    let (_, plain) = analyze_then_reclassify(&dir.path().join("b"), &codebook("restaurant"));
    let moved = plain
        .iter()
        .zip(&with_terms)
        .filter(|(x, y)| x["codes"] != y["codes"])
        .count();
    assert!(moved > 3, "{moved} records coded otherwise");
}

/// `table` of `store` rewritten as a directory of part files the way Spark
/// writes one: signed integers instead of unsigned, each file a range of
/// rows (`cuts`: the first row of each file after the first), the files
/// named in the reverse order of their rows, and a `_SUCCESS` marker.
fn split_spark_like(store: &Path, out: &Path, table: &str, cuts: &[u64]) {
    use arrow::datatypes::{DataType, Field, Schema};
    let batches = read_parquet(&store.join(table));
    let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let signed = |t: &DataType| -> DataType {
        match t {
            DataType::UInt64 => DataType::Int64,
            DataType::UInt32 => DataType::Int32,
            DataType::List(f) if f.data_type() == &DataType::UInt32 => DataType::List(
                std::sync::Arc::new(Field::new("element", DataType::Int32, true)),
            ),
            other => other.clone(),
        }
    };
    let schema = std::sync::Arc::new(Schema::new(
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), signed(f.data_type()), true))
            .collect::<Vec<_>>(),
    ));
    let cols = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| arrow::compute::cast(c, f.data_type()).unwrap())
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let rows = column::<UInt64Array>(&batches[0], "row");
    assert!(!rows.is_empty());
    let all_rows: Vec<u64> = batches
        .iter()
        .flat_map(|b| column::<UInt64Array>(b, "row").values().to_vec())
        .collect();
    let dir = out.join(table);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
    let mut bounds = vec![0usize];
    for c in cuts {
        bounds.push(all_rows.partition_point(|r| r < c));
    }
    bounds.push(all_rows.len());
    let n = bounds.len() - 1;
    for k in 0..n {
        let part = batch.slice(bounds[k], bounds[k + 1] - bounds[k]);
        let path = dir.join(format!("part-{:05}-x.snappy.parquet", n - 1 - k));
        let mut w =
            parquet::arrow::ArrowWriter::try_new(File::create(path).unwrap(), schema.clone(), None)
                .unwrap();
        w.write(&part).unwrap();
        w.close().unwrap();
    }
}

#[test]
fn a_store_in_part_files_with_sparks_types_reads_as_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = analyze(&sample(), dir.path());
    let split = dir.path().join("split");
    split_spark_like(&store, &split, "records.parquet", &[100, 250]);
    split_spark_like(&store, &split, "clauses.parquet", &[100, 250]);
    std::fs::copy(store.join("store.json"), split.join("store.json")).unwrap();

    let read_all = |s: &Path| {
        let mut all = Vec::new();
        let mut reader = vocmine::io::store::StoreReader::open(s).unwrap();
        while let Some(batch) = reader.next_batch().unwrap() {
            all.extend(batch);
        }
        all
    };
    let original = read_all(&store);
    assert_eq!(original.len(), 359);
    assert!(read_all(&split) == original, "streamed records differ");
    let parts = vocmine::io::store::StoreParts::open_with(&split, Default::default())
        .unwrap()
        .expect("the files' row ranges make parts");
    assert_eq!(parts.len(), 3);
    let by_part: Vec<_> = (0..parts.len())
        .flat_map(|i| parts.read(i).unwrap())
        .collect();
    assert!(by_part == original, "records read by part differ");

    // The CLI reads it as the original: reclassify and metrics.
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    reclassify(&store, &codebook("ecommerce"), &a, &["-q", "--full"]);
    reclassify(&split, &codebook("ecommerce"), &b, &["-q", "--full"]);
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
    let metrics = |input: &Path| -> Value {
        let o = run(&["metrics", s(input), "--drivers", "--json", "-"]);
        assert_ok(&o);
        let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("input");
        v
    };
    assert_eq!(metrics(&split), metrics(&out));
    assert_eq!(metrics(&store), metrics(&out));

    // Files whose rows overlap are an error naming the file.
    let bad = dir.path().join("bad");
    split_spark_like(&store, &bad, "records.parquet", &[100]);
    split_spark_like(&store, &bad, "clauses.parquet", &[100]);
    std::fs::copy(store.join("store.json"), bad.join("store.json")).unwrap();
    let recs = bad.join("records.parquet");
    std::fs::copy(
        recs.join("part-00001-x.snappy.parquet"),
        recs.join("part-00009-x.snappy.parquet"),
    )
    .unwrap();
    let e = vocmine::io::store::StoreReader::open(&bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("overlap") && e.contains("part-0000"), "{e}");
    let o = run(&["metrics", s(&bad)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("overlap"));
}
