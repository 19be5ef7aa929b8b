//! Contract: with `--redact`, no original text of a redacted span leaves
//! the process. Personal data is planted in every field of the sample
//! corpus's records and conversations (ids, customer ids, channels,
//! touchpoints, speakers, meta, texts, turns, a bad time, broken records),
//! every subcommand runs over it, and every file each one writes — JSON
//! Lines, JSON, YAML, HTML, XLSX (cells read back), the Parquet store
//! (every column decoded), the cluster model, NumPy files — and its stdout
//! and stderr are scanned for every planted value, as written and as bare
//! digits.

#[path = "support/cli.rs"]
mod cli_support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Output;

use arrow::util::display::array_value_to_string;
use cli_support::{assert_ok, bin, files_under, model_available, root};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Value};

/// (planted text, what must never appear in an output). The sentences are
/// the ways the values come in; the needles are the values themselves and
/// their digits alone.
const PLANTED: &[(&str, &[&str])] = &[
    (
        "我的手机号是138-1234-5678，尽快回电",
        &["138-1234-5678", "13812345678"],
    ),
    (
        "Мой телефон +7 (916) 123-45-67, перезвоните",
        &["123-45-67", "79161234567"],
    ),
    (
        "my e-mail is wang.lei@qq.com thanks",
        &["wang.lei@qq.com", "wang.lei"],
    ),
    (
        "身份证11010519491231002X实名失败",
        &["11010519491231002X", "11010519491231002"],
    ),
    (
        "card 4111 1111 1111 1111 charged twice",
        &["4111 1111 1111 1111", "4111111111111111"],
    ),
    (
        "СНИЛС 112-233-445 95 не принимают",
        &["112-233-445 95", "11223344595"],
    ),
    ("ИНН 7707083893 указан неверно", &["7707083893"]),
    (
        "паспорт серия 45 12 номер 345678",
        &["номер 345678", "12 345678"],
    ),
    ("login from 192.168.71.20 was not me", &["192.168.71.20"]),
    ("车牌粤B12345被刮了", &["粤B12345", "B12345"]),
    ("госномер А123ВС77 штраф", &["А123ВС77"]),
    ("您好，我叫欧阳明华，车子异响", &["欧阳明华", "明华"]),
    (
        "Здравствуйте, меня зовут Анастасия Голубева",
        &["Анастасия", "Голубева"],
    ),
    (
        "hi, my name is Theodore Blackwood",
        &["Theodore", "Blackwood"],
    ),
];

fn needles() -> Vec<&'static str> {
    PLANTED
        .iter()
        .flat_map(|(_, n)| n.iter().copied())
        .collect()
}

/// The sample corpus with personal data planted in every field.
fn planted_input(dir: &Path) -> PathBuf {
    let sample = std::fs::read_to_string(root().join("corpora/sample.jsonl")).unwrap();
    for n in needles() {
        assert!(
            !sample.contains(n),
            "the sample already holds `{n}`: pick another value"
        );
    }
    let mut out = String::new();
    for (i, line) in sample.lines().enumerate() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        let (sentence, _) = PLANTED[i % PLANTED.len()];
        let (other, _) = PLANTED[(i + 5) % PLANTED.len()];
        let o = v.as_object_mut().unwrap();
        o.insert("customer".into(), json!("13812345678"));
        if i % 7 == 0 {
            o.insert("id".into(), json!(format!("call-4111111111111111-{i}")));
        }
        if i % 11 == 0 {
            o.insert("touchpoint".into(), json!("desk of wang.lei@qq.com"));
        }
        if i % 13 == 0 {
            o.insert("channel".into(), json!("hotline +7 (916) 123-45-67"));
        }
        o.insert(
            "meta".into(),
            json!({"caller": "138-1234-5678", "card": 4111111111111111u64,
                   "notes": [sentence, {"agent_email": "wang.lei@qq.com"}]}),
        );
        if let Some(Value::String(t)) = o.get_mut("text") {
            *t = format!("{sentence}。{t} {other}");
        }
        if let Some(Value::Array(turns)) = o.get_mut("turns") {
            for (j, turn) in turns.iter_mut().enumerate() {
                let turn = turn.as_object_mut().unwrap();
                if let Some(Value::String(t)) = turn.get_mut("text") {
                    let (s, _) = PLANTED[(i + j) % PLANTED.len()];
                    *t = format!("{t} {s}");
                }
                if j == 0 && i % 5 == 0 {
                    turn.insert("speaker".into(), json!("agent 欧阳明华"));
                }
            }
        }
        out.push_str(&serde_json::to_string(&v).unwrap());
        out.push('\n');
    }
    // Records that fail or warn still carry personal data in what they echo.
    out.push_str("{\"id\":\"13812345678\",\"text\":42}\n");
    out.push_str("{\"id\":\"x-1\",\"text\":\"ok 13812345678\",\"time\":\"13812345678\"}\n");
    out.push_str("{\"id\":\"x-2\",\"text\":\"broken 4111111111111111\n");
    out.push_str("{\"id\":\"x-3\",\"turns\":[{\"speaker\":\"customer\",\"text\":\"\"}],\"customer\":\"wang.lei@qq.com\"}\n");
    let path = dir.join("planted.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

/// Every file under `dir`, as text: Parquet decoded column by column,
/// XLSX cell by cell, anything else as (lossy) UTF-8.
fn file_texts(dir: &Path) -> Vec<(PathBuf, String)> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "planted.jsonl"))
        .map(|p| {
            let text = match p.extension().and_then(|x| x.to_str()) {
                Some("parquet") => parquet_text(&p),
                Some("xlsx") => xlsx_text(&p),
                _ => String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
            };
            (p, text)
        })
        .collect()
}

fn parquet_text(path: &Path) -> String {
    let mut s = String::new();
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    for batch in reader {
        let batch = batch.unwrap();
        for col in batch.columns() {
            for row in 0..col.len() {
                s.push_str(&array_value_to_string(col, row).unwrap());
                s.push('\n');
            }
        }
    }
    s
}

fn xlsx_text(path: &Path) -> String {
    use calamine::{open_workbook_auto, Reader};
    let mut wb = open_workbook_auto(path).unwrap();
    let mut s = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                s.push_str(&cell.to_string());
                s.push('\t');
            }
            s.push('\n');
        }
    }
    s
}

fn leaks(what: &str, text: &str) -> Vec<String> {
    needles()
        .into_iter()
        .filter(|n| text.contains(n))
        .map(|n| format!("{what}: `{n}`"))
        .collect()
}

fn run(args: &[&str], leaked: &mut Vec<String>) -> Output {
    let out = bin().args(args).output().unwrap();
    assert_ok(&out);
    let what = format!("vocmine {}", args.join(" "));
    leaked.extend(leaks(
        &format!("{what} (stdout)"),
        &String::from_utf8_lossy(&out.stdout),
    ));
    leaked.extend(leaks(
        &format!("{what} (stderr)"),
        &String::from_utf8_lossy(&out.stderr),
    ));
    out
}

#[test]
fn nothing_redacted_leaves_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = planted_input(d);
    let p = |name: &str| d.join(name).to_string_lossy().into_owned();
    let input_s = input.to_string_lossy().into_owned();
    let codebook = root().join("corpora/codebooks/automotive.yaml");
    let codebook = codebook.to_string_lossy();
    let other = root().join("corpora/codebooks/ecommerce.yaml");
    let other = other.to_string_lossy();
    let alerts = root().join("corpora/alerts.yaml");
    let alerts = alerts.to_string_lossy();
    let model = model_available();
    let mut leaked = Vec::new();

    // Without --redact the planted values do come out (the test can fail).
    let plain = run(
        &["analyze", "--no-model", &input_s, "-o", "-", "-q"],
        &mut Vec::new(),
    );
    assert!(
        !leaks("plain", &String::from_utf8_lossy(&plain.stdout)).is_empty(),
        "the planted values must show without --redact"
    );

    let mut analyze = vec![
        "analyze",
        "--redact",
        &input_s,
        "--codebook",
        &codebook,
        "--alerts",
        &alerts,
        "-q",
    ];
    let (store, analyzed, alert_stream, summary) = (
        p("store"),
        p("a.jsonl"),
        p("alerts.jsonl"),
        p("summary.json"),
    );
    analyze.extend(["--store", &store, "-o", &analyzed]);
    analyze.extend(["--alerts-out", &alert_stream, "--summary-json", &summary]);
    if !model {
        analyze.insert(1, "--no-model");
    }
    let analyze_out = bin().args(&analyze).output().unwrap();
    assert_ok(&analyze_out);
    leaked.extend(leaks(
        "analyze (stderr)",
        &String::from_utf8_lossy(&analyze_out.stderr),
    ));

    // Every record has its line; the failures' ids are redacted too.
    let lines: Vec<Value> = std::fs::read_to_string(&analyzed)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 359 + 4);
    let mut schemas = boon::Schemas::new();
    let schema_path = root().join("schemas/record.schema.json");
    let idx = boon::Compiler::new()
        .compile(schema_path.to_str().unwrap(), &mut schemas)
        .expect("schema compiles");
    for l in &lines {
        if let Err(e) = schemas.validate(l, idx) {
            panic!("line {} does not validate: {e:#}", l["line"]);
        }
    }
    let redactions: usize = lines
        .iter()
        .map(|l| {
            l["redactions"].as_array().map_or(0, Vec::len)
                + l["turns"].as_array().map_or(0, |ts| {
                    ts.iter()
                        .map(|t| t["redactions"].as_array().map_or(0, Vec::len))
                        .sum()
                })
        })
        .sum();
    assert!(redactions > 359 * 4, "{redactions} redactions");
    // Spans of clauses point into the redacted text.
    for l in &lines {
        for c in l["clauses"].as_array().into_iter().flatten() {
            let text = match c["turn"].as_u64() {
                Some(t) => l["turns"][t as usize]["text"].as_str().unwrap(),
                None => l["text"].as_str().unwrap(),
            };
            let chars: Vec<char> = text.chars().collect();
            let (s, e) = (
                c["start"].as_u64().unwrap() as usize,
                c["end"].as_u64().unwrap() as usize,
            );
            let span: String = chars[s..e].iter().collect();
            assert_eq!(span, c["text"].as_str().unwrap());
        }
    }

    run(
        &[
            "metrics",
            &analyzed,
            "--by",
            "channel,touchpoint",
            "--drivers",
            "--json",
            &p("m.json"),
        ],
        &mut leaked,
    );
    run(
        &[
            "compare",
            &analyzed,
            "--before",
            "2026-08-03..2026-09-20",
            "--after",
            "2026-09-21..2026-10-31",
            "--json",
            &p("c.json"),
        ],
        &mut leaked,
    );
    run(
        &[
            "keywords",
            "--redact",
            &input_s,
            "--json",
            &p("k.json"),
            "-q",
        ],
        &mut leaked,
    );
    run(
        &["keywords", &analyzed, "--json", &p("k2.json"), "-q"],
        &mut leaked,
    );
    run(
        &[
            "reclassify",
            "--store",
            &store,
            "--codebook",
            &other,
            "-o",
            &p("r.jsonl"),
        ],
        &mut leaked,
    );
    run(
        &[
            "reclassify",
            "--store",
            &store,
            "--codebook",
            &other,
            "--full",
            "-o",
            &p("rf.jsonl"),
        ],
        &mut leaked,
    );
    run(
        &[
            "codebook",
            "review",
            "--codebook",
            &codebook,
            "--store",
            &store,
            "--output",
            &p("review.xlsx"),
        ],
        &mut leaked,
    );
    let mut report = vec![
        "report".to_owned(),
        analyzed.clone(),
        "-o".into(),
        p("report.html"),
    ];
    if model {
        run(
            &[
                "cluster",
                &store,
                "--codebook",
                &codebook,
                "-o",
                &p("clusters.json"),
            ],
            &mut leaked,
        );
        run(
            &["cluster", "--redact", &input_s, "-o", &p("clusters2.json")],
            &mut leaked,
        );
        run(
            &["codebook", "draft", &store, "--output", &p("draft.yaml")],
            &mut leaked,
        );
        run(
            &["embed", "--redact", &input_s, "--output", &p("e.npy")],
            &mut leaked,
        );
        report.extend(["--clusters".into(), p("clusters.json")]);
    }
    let report: Vec<&str> = report.iter().map(String::as_str).collect();
    run(&report, &mut leaked);

    let files = file_texts(d);
    assert!(files.len() >= 12, "{} files", files.len());
    for (path, text) in &files {
        leaked.extend(leaks(&path.display().to_string(), text));
    }
    assert!(
        leaked.is_empty(),
        "personal data left the process:\n{}",
        leaked.join("\n")
    );
}

#[test]
fn unknown_kind_and_key_file_errors_are_clear() {
    let out = bin()
        .args(["analyze", "--no-model", "--redact=phone,fax", "-", "-q"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown PII kind `fax`"), "{err}");
    let out = bin()
        .args([
            "analyze",
            "--no-model",
            "--redact",
            "--redact-key-file",
            "/nonexistent/key",
            "-",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/key"), "{err}");
}

#[test]
fn keyed_pseudonyms_group_one_caller() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "secret-of-this-test\n").unwrap();
    let input = "{\"id\":1,\"customer\":\"138-1234-5678\",\"text\":\"hi\"}\n{\"id\":2,\"customer\":\"13812345678\",\"text\":\"hi\"}\n{\"id\":3,\"customer\":\"13912345678\",\"text\":\"hi\"}\n";
    let out = |key: Option<&Path>| -> Vec<String> {
        let mut cmd = bin();
        cmd.args(["analyze", "--no-model", "--redact", "-", "-o", "-", "-q"]);
        if let Some(k) = key {
            cmd.arg("--redact-key-file").arg(k);
        }
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert_ok(&o);
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["customer"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let keyed = out(Some(&key));
    assert!(keyed[0].starts_with("[PHONE:"), "{keyed:?}");
    assert_eq!(
        keyed[0], keyed[1],
        "one number, however written, is one pseudonym"
    );
    assert_ne!(keyed[0], keyed[2]);
    assert_eq!(out(None), vec!["[PHONE]"; 3]);
}
