//! Bench inputs: the texts of the sample corpus (committed, written by us).

#![allow(dead_code)]

use serde_json::Value;

/// Every text and turn text of corpora/sample.jsonl, with its record language hint.
pub fn sample_texts() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/sample.jsonl");
    let data = std::fs::read_to_string(path).expect("corpora/sample.jsonl");
    let mut out = Vec::new();
    for line in data.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(t) = v["text"].as_str() {
            out.push(t.to_string());
        }
        if let Some(turns) = v["turns"].as_array() {
            out.extend(
                turns
                    .iter()
                    .filter_map(|t| t["text"].as_str().map(str::to_string)),
            );
        }
    }
    out
}

/// The records of the sample corpus.
pub fn sample_records() -> Vec<vocmine::Record> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/sample.jsonl");
    let data = std::fs::read_to_string(path).expect("corpora/sample.jsonl");
    data.lines()
        .enumerate()
        .filter_map(|(i, l)| vocmine::Record::from_json_str(l, i as u64 + 1).ok())
        .collect()
}
