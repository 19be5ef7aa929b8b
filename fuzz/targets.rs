//! The fuzz targets' bodies, shared by the cargo-fuzz binaries
//! (`fuzz/fuzz_targets/*.rs`, long runs on nightly: FUZZING.md) and the
//! short deterministic run in the test suite (`tests/fuzz_smoke.rs`, stable,
//! in CI). Each takes arbitrary bytes and must neither panic nor break an
//! invariant of the output; errors are fine when they are errors.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use vocmine::contract::output::Analysis;
use vocmine::io::input::{CsvSource, JsonlSource, ReadOptions, Source};
use vocmine::stages::alerts::AlertSpec;
use vocmine::text::redact::Redactor;
use vocmine::{CodebookSpec, Engine, Record};

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The targets, by name (the cargo-fuzz binaries and seed folders use these names).
pub const TARGETS: &[(&str, Target)] = &[
    ("record_json", record_json),
    ("record_csv", record_csv),
    ("codebook_yaml", codebook_yaml),
    ("codebook_table", codebook_table),
    ("alert_rules", alert_rules),
    ("store_reader", store_reader),
    ("text_pipeline", text_pipeline),
    ("redact", redact),
];

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::builder().threads(1).build().expect("engine"))
}

fn engines_n() -> &'static (Engine, Engine) {
    static E: OnceLock<(Engine, Engine)> = OnceLock::new();
    E.get_or_init(|| {
        let redact = || vocmine::text::redact::RedactorBuilder::new();
        (
            Engine::builder()
                .threads(1)
                .redact(redact())
                .build()
                .expect("engine"),
            Engine::builder()
                .threads(3)
                .redact(redact())
                .build()
                .expect("engine"),
        )
    })
}

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(|| Redactor::new().expect("redactor"))
}

/// Every span of the analysis is on char boundaries of its text and
/// holds the clause's text; clauses of a text come in order and do not overlap.
pub fn check_spans(a: &Analysis) {
    let texts: Vec<&str> = match (&a.text, &a.turns) {
        (Some(t), _) => vec![t.as_str()],
        (None, Some(turns)) => turns.iter().map(|t| t.text.as_str()).collect(),
        _ => Vec::new(),
    };
    let mut last_end: Vec<usize> = vec![0; texts.len()];
    for c in &a.clauses {
        let i = c.turn.unwrap_or(0);
        let text = texts[i];
        let chars: Vec<char> = text.chars().collect();
        assert!(
            c.start <= c.end && c.end <= chars.len(),
            "clause span out of its text"
        );
        let span: String = chars[c.start..c.end].iter().collect();
        assert_eq!(span, c.text, "clause text is not its span");
        assert!(c.start >= last_end[i], "clauses overlap or go backwards");
        last_end[i] = c.end;
        for t in c.tokens.iter().flatten() {
            assert!(
                t.start >= c.start && t.end <= c.end && t.start <= t.end,
                "token outside its clause"
            );
        }
    }
    let all: Vec<&vocmine::contract::redaction::Redaction> = a
        .redactions
        .iter()
        .filter(|r| r.field.is_none())
        .chain(
            a.turns
                .iter()
                .flatten()
                .flat_map(|t| t.redactions.iter().filter(|r| r.field.is_none())),
        )
        .collect();
    for r in all {
        assert!(r.start < r.end, "empty redaction");
    }
}

fn analyze_source(mut source: Box<dyn Source>) {
    let mut n = 0;
    while let Ok(Some(item)) = source.next_item() {
        n += 1;
        if n > 64 {
            break;
        }
        if let Ok(record) = item.into_record() {
            if let Ok(a) = engine().analyze(&record) {
                check_spans(&a);
            }
            let redacting = &engines_n().0;
            if let Ok(a) = redacting.analyze(&record) {
                check_spans(&a);
            }
        }
    }
}

/// JSON Lines records: parsed, analyzed with and without redaction.
pub fn record_json(data: &[u8]) {
    let source = JsonlSource::new(Cursor::new(data.to_vec()), "fuzz.jsonl", 1 << 16);
    analyze_source(Box::new(source));
}

/// CSV records (header row first), parsed and analyzed.
pub fn record_csv(data: &[u8]) {
    let opts = ReadOptions::default();
    if let Ok(source) = CsvSource::new(Cursor::new(data.to_vec()), "fuzz.csv", &opts) {
        analyze_source(Box::new(source));
    }
}

fn use_codebook(spec: CodebookSpec) {
    if !spec.problems().is_empty() {
        return;
    }
    if let Ok(engine) = Engine::builder().threads(1).codebook(spec).build() {
        for text in [
            "菜很好吃，但是等了一个小时",
            "Доставка опоздала",
            "the screen broke",
        ] {
            if let Ok(a) = engine.analyze(&Record::text("x", text)) {
                check_spans(&a);
            }
        }
    }
}

/// A codebook as YAML: parsed, validated, compiled, used.
pub fn codebook_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = CodebookSpec::from_yaml_str(text, Path::new("fuzz.yaml")) {
        use_codebook(spec);
    }
}

/// A codebook as a table: the first byte picks CSV, TSV or XLSX, the rest is the file.
pub fn codebook_table(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let ext = ["csv", "tsv", "xlsx"][kind as usize % 3];
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(format!("codebook.{ext}"));
    if std::fs::write(&path, rest).is_ok() {
        if let Ok(spec) = CodebookSpec::load(&path) {
            use_codebook(spec);
        }
    }
}

/// Alert rules as YAML: parsed, compiled, evaluated on a conversation.
pub fn alert_rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = AlertSpec::from_yaml_str(text, Path::new("fuzz.yaml")) else {
        return;
    };
    if let Ok(engine) = Engine::builder().threads(1).alerts(spec).build() {
        let record = Record::conversation(
            "c",
            vec![
                vocmine::contract::record::Turn::new(
                    "customer",
                    "第三次打电话了，还是没解决，我要投诉",
                ),
                vocmine::contract::record::Turn::new("agent", "抱歉让您久等了"),
            ],
        );
        if let Ok(a) = engine.analyze(&record) {
            check_spans(&a);
        }
    }
}

/// A store: the first 4 bytes (little-endian) say how many of the rest
/// are `records.parquet`, the remainder is `clauses.parquet`, beside a
/// valid manifest; every record is read, streamed and by parts.
pub fn store_reader(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let d = dir.path();
    let (head, data) = data.split_at(data.len().min(4));
    let mut len = [0u8; 4];
    len[..head.len()].copy_from_slice(head);
    let cut = (u32::from_le_bytes(len) as usize).min(data.len());
    let manifest = r#"{"format":"vocmine-store","version":2,"vocmine":"0.1.0","encoder":null,"dim":0,"codebook":null,"records":1,"clauses":1}"#;
    let ok = std::fs::write(d.join("store.json"), manifest).is_ok()
        && std::fs::write(d.join("records.parquet"), &data[..cut]).is_ok()
        && std::fs::write(d.join("clauses.parquet"), &data[cut..]).is_ok();
    if !ok {
        return;
    }
    if let Ok(mut reader) = vocmine::io::store::StoreReader::open(d) {
        for _ in 0..64 {
            match reader.next_batch() {
                Ok(Some(_)) => {}
                _ => break,
            }
        }
    }
    if let Ok(Some(parts)) =
        vocmine::io::store::StoreParts::open_with(d, vocmine::io::store::Columns::default())
    {
        for i in 0..parts.len().min(64) {
            if parts.read(i).is_err() {
                break;
            }
        }
    }
}

/// The text pipeline on one text per line: invariants, and the same
/// output with 1 and 3 threads.
pub fn text_pipeline(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let records: Vec<Record> = text
        .split('\n')
        .take(32)
        .enumerate()
        .map(|(i, t)| Record::text(i.to_string(), t))
        .collect();
    let (one, three) = engines_n();
    let (Ok(a), Ok(b)) = (one.analyze_batch(&records), three.analyze_batch(&records)) else {
        return;
    };
    let ja = serde_json::to_string(&a).unwrap_or_default();
    let jb = serde_json::to_string(&b).unwrap_or_default();
    assert_eq!(ja, jb, "1 and 3 threads differ");
    for o in &a {
        if let vocmine::batch::Outcome::Ok(x) = o {
            check_spans(x);
        }
    }
}

/// Redaction of one text: placeholders where the redactions say.
pub fn redact(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for out in [
        redactor().redact(&text),
        redactor().redact_identifier(&text),
    ] {
        let chars: Vec<char> = out.text.chars().collect();
        for r in &out.redactions {
            assert!(r.end <= chars.len(), "redaction past the text");
            let s: String = chars[r.start..r.end].iter().collect();
            assert_eq!(
                vocmine::contract::redaction::PiiKind::placeholder_at(&s).map(|p| p.0),
                Some(r.kind),
                "a redaction that is not its placeholder"
            );
        }
    }
    let _ = redactor().detect(&text);
}
