//! Contract of `vocmine analyze`: exactly one output line per input record,
//! in input order, for any thread count; bad input never stops a run and
//! never disappears; `--strict` stops at the first bad record with the same
//! message; the output validates against the shipped JSON Schema.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

#[path = "support/cli.rs"]
mod cli_support;
use cli_support::{assert_ok, bin, lines, root};

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("run vocmine");
    out
}

fn bad_input(dir: &Path) -> PathBuf {
    let path = dir.join("bad.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    let big = format!("{{\"id\":\"big\",\"text\":\"{}\"}}", "x".repeat(1_100_000));
    let rows: Vec<Vec<u8>> = vec![
        br#"{"id":"ok1","text":"Great service, but the delivery was late."}"#.to_vec(),
        br#"{"id":"json","text":"unterminated"#.to_vec(),
        b"{\"id\":\"utf8\",\"text\":\"bad \xff\xfe bytes\"}".to_vec(),
        br#"{"id":"missing","channel":"chat"}"#.to_vec(),
        br#"{"id":"type","text":42}"#.to_vec(),
        br#"{"id":"empty","text":"   "}"#.to_vec(),
        big.into_bytes(),
        b"".to_vec(),
        r#"{"turns":[{"speaker":"customer","text":"Доставка опоздала"},{"speaker":"agent","text":"Приносим извинения"}],"scores":{"nps":12}}"#.as_bytes().to_vec(),
        br#"["not","an","object"]"#.to_vec(),
        r#"{"id":"ok2","text":"好的"}"#.as_bytes().to_vec(),
    ];
    for r in rows {
        f.write_all(&r).unwrap();
        f.write_all(b"\n").unwrap();
    }
    path
}

#[test]
fn bad_input_gets_one_line_each_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = bad_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let summary = dir.path().join("summary.json");
    let out = run(&[
        "analyze",
        "--no-model",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let v = lines(&output);
    // 11 lines in, one blank: 10 records, 10 output lines, in order.
    let lines_in: Vec<u64> = v.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines_in, [1, 2, 3, 4, 5, 6, 7, 9, 10, 11]);
    let kinds: Vec<&str> = v
        .iter()
        .map(|r| {
            r.get("error")
                .map(|e| e["kind"].as_str().unwrap())
                .unwrap_or("ok")
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "ok",
            "invalid_json",
            "invalid_utf8",
            "missing_text",
            "wrong_type",
            "empty_text",
            "too_large",
            "ok",
            "invalid_json",
            "ok"
        ]
    );
    // Errors carry the line and the id when it could be read.
    assert_eq!(v[3]["id"], "missing");
    assert_eq!(v[3]["error"]["line"], 4);
    assert_eq!(v[4]["error"]["field"], "text");
    assert_eq!(
        v[1]["id"], 2,
        "unparseable records get their line number as id"
    );
    // A bad score is a warning; the record is analyzed; id defaults to the line.
    assert_eq!(v[7]["id"], 9);
    assert_eq!(v[7]["warnings"][0]["field"], "scores.nps");
    assert_eq!(v[7]["language"], "ru");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["records"], 10);
    assert_eq!(s["analyzed"], 3);
    assert_eq!(s["errors"]["invalid_json"], 2);
    assert_eq!(s["errors"]["too_large"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("10 (3 analyzed, 7 errors"), "{stderr}");
}

#[test]
fn strict_stops_at_the_first_bad_record_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let input = bad_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let out = run(&[
        "analyze",
        "--no-model",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2: invalid_json"), "{stderr}");
    // The record before the bad one was written.
    assert_eq!(lines(&output).len(), 1);
}

#[test]
fn same_output_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("corpora/sample.jsonl");
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let o = dir.path().join(format!("out{threads}.jsonl"));
        let out = run(&[
            "analyze",
            "--no-model",
            input.to_str().unwrap(),
            "-o",
            o.to_str().unwrap(),
            "--threads",
            threads,
            "--tokens",
            "--codebook",
            root()
                .join("corpora/codebooks/automotive.yaml")
                .to_str()
                .unwrap(),
            "-q",
        ]);
        assert!(out.status.success());
        outputs.push(std::fs::read(&o).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    let n_in = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(String::from_utf8_lossy(&outputs[0]).lines().count(), n_in);
}

#[test]
fn output_validates_against_the_schema_and_spans_point_at_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.jsonl");
    let bad = bad_input(dir.path());
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let schema_path = root().join("schemas/record.schema.json");
    let idx = compiler
        .compile(schema_path.to_str().unwrap(), &mut schemas)
        .expect("schema compiles");
    for input in [root().join("corpora/sample.jsonl"), bad] {
        let out = run(&[
            "analyze",
            "--no-model",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--tokens",
            "--codebook",
            root()
                .join("corpora/codebooks/automotive.yaml")
                .to_str()
                .unwrap(),
            "-q",
        ]);
        assert!(out.status.success());
        for rec in lines(&output) {
            if let Err(e) = schemas.validate(&rec, idx) {
                panic!("line {} does not validate: {e:#}", rec["line"]);
            }
            let Some(clauses) = rec["clauses"].as_array() else {
                continue;
            };
            for c in clauses {
                let src = match c["turn"].as_u64() {
                    None => rec["text"].as_str().unwrap(),
                    Some(t) => rec["turns"][t as usize]["text"].as_str().unwrap(),
                };
                let chars: Vec<char> = src.chars().collect();
                let (s, e) = (
                    c["start"].as_u64().unwrap() as usize,
                    c["end"].as_u64().unwrap() as usize,
                );
                let span: String = chars[s..e].iter().collect();
                assert_eq!(span, c["text"].as_str().unwrap());
                for t in c["tokens"].as_array().unwrap() {
                    let (s, e) = (
                        t["start"].as_u64().unwrap() as usize,
                        t["end"].as_u64().unwrap() as usize,
                    );
                    let span: String = chars[s..e].iter().collect();
                    assert_eq!(span, t["text"].as_str().unwrap());
                }
            }
        }
    }
}

#[test]
fn schema_command_prints_the_shipped_schema() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shipped: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/record.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, shipped);
}

#[test]
fn csv_input_with_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "ticket,comment,channel,nps,store\nT1,\"服務很好，但是等太久了\",store,6,Taipei\nT2,,store,9,Taipei\nT3,Курьер опоздал,app_review,2,Moscow\n",
    )
    .unwrap();
    let output = dir.path().join("out.jsonl");
    let out = run(&[
        "analyze",
        "--no-model",
        input.to_str().unwrap(),
        "--text-column",
        "comment",
        "--id-column",
        "ticket",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let v = lines(&output);
    assert_eq!(v.len(), 3);
    assert_eq!(v[0]["id"], "T1");
    assert_eq!(v[0]["script"], "Hant");
    assert_eq!(v[0]["clauses"].as_array().unwrap().len(), 2);
    assert_eq!(v[0]["scores"]["nps"], 6);
    assert_eq!(v[0]["meta"]["store"], "Taipei");
    assert_eq!(v[1]["error"]["kind"], "empty_text");
    assert_eq!(v[2]["language"], "ru");
    // A missing text column is a clear error naming the columns.
    let out = run(&[
        "analyze",
        "--no-model",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no column `text` (columns: ticket, comment")
    );
}

#[test]
fn stdin_to_stdout() {
    let mut child = bin()
        .args(["analyze", "--no-model", "-", "-q"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("{\"text\":\"Отлично!\"}\n{\"text\":\"ok\"}\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["language"], "ru");
    assert_eq!(v[1]["language"], "en");
}

#[test]
fn keywords_on_the_sample_corpus() {
    let out = run(&[
        "keywords",
        root().join("corpora/sample.jsonl").to_str().unwrap(),
        "--top",
        "5",
        "--json",
        "-",
        "-q",
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let langs: Vec<&str> = v["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["language"].as_str().unwrap())
        .collect();
    assert_eq!(langs, ["zh", "en", "ru"]);
    for l in v["languages"].as_array().unwrap() {
        assert_eq!(l["terms"].as_array().unwrap().len(), 5);
    }
}

#[test]
fn unknown_language_in_allowlist_is_a_clear_error() {
    let out = run(&[
        "analyze",
        "--no-model",
        root().join("corpora/sample.jsonl").to_str().unwrap(),
        "--languages",
        "zh,xx",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown language `xx`"));
}

#[test]
fn a_missing_model_is_a_clear_error_and_no_model_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("corpora/sample.jsonl");
    let out = run(&[
        "analyze",
        input.to_str().unwrap(),
        "--model",
        dir.path().to_str().unwrap(),
        "-o",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("python3 models/setup.py"), "{stderr}");
    let out = run(&[
        "analyze",
        input.to_str().unwrap(),
        "--no-model",
        "--model",
        dir.path().to_str().unwrap(),
        "-o",
        "/dev/null",
        "-q",
    ]);
    assert!(out.status.success());
}
