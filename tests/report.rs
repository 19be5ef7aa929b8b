//! Contract of `vocmine report`: one self-contained HTML file (no network
//! reference of any kind) whose numbers are the ones `vocmine metrics`
//! computes for the same input, whose verbatims and alerts come from the
//! input, bounded; labels in the reader's language; and bad input — empty,
//! without scores, times or touchpoints — rendered with what is missing
//! said instead of empty charts.

#[path = "support/cli.rs"]
mod cli_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::{assert_ok, bin, root};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(root())
        .output()
        .expect("run vocmine")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The sample corpus analyzed with the automotive codebook and the alert
/// rules (no model), and its report.
fn sample_report(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let analyzed = dir.join("analyzed.jsonl");
    assert_ok(&run(&[
        "analyze",
        "corpora/sample.jsonl",
        "--no-model",
        "--codebook",
        "corpora/codebooks/automotive.yaml",
        "--alerts",
        "corpora/alerts.yaml",
        "-q",
        "-o",
        s(&analyzed),
    ]));
    let page = dir.join("report.html");
    let mut args = vec!["report", s(&analyzed), "-o", s(&page), "-q"];
    args.extend_from_slice(extra);
    assert_ok(&run(&args));
    let html = std::fs::read_to_string(&page).expect("report written");
    (analyzed, html)
}

/// The data the page carries.
fn page_data(html: &str) -> Value {
    let start = "<script type=\"application/json\" id=\"vocmine-data\">";
    let from = html.find(start).expect("data element") + start.len();
    let to = from + html[from..].find("</script>").expect("end of data");
    serde_json::from_str(&html[from..to].replace("<\\/", "</")).expect("data is JSON")
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn the_sample_report_is_self_contained_and_its_numbers_are_the_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (analyzed, html) = sample_report(
        dir.path(),
        &[
            "--journey",
            "enquiry,test_drive,purchase,delivery,maintenance,repair",
        ],
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    // nothing is fetched: no external script, style, image, font or link
    let lower = html.to_lowercase();
    for bad in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script src",
        "@import",
        "url(http",
        "<img",
        "<iframe",
    ] {
        assert!(!lower.contains(bad), "the page references `{bad}`");
    }
    for id in [
        "overview",
        "journey",
        "owners",
        "drivers",
        "alerts",
        "verbatims",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
        assert!(
            html.contains(&format!("href=\"#{id}\"")),
            "contents link to {id}"
        );
    }
    // the numbers are what `vocmine metrics` computes for the same input
    let data = page_data(&html);
    let out = run(&[
        "metrics",
        s(&analyzed),
        "--drivers",
        "--min-records",
        "5",
        "--json",
        "-",
    ]);
    assert_ok(&out);
    let metrics: Value = serde_json::from_slice(&out.stdout).expect("metrics JSON");
    for key in ["input", "overall", "slices", "trends", "drivers"] {
        assert_eq!(data["metrics"][key], metrics[key], "metrics.{key}");
    }
    let nps = metrics["overall"]["nps"]["nps"]
        .as_f64()
        .expect("sample has NPS");
    assert!(html.contains(&format!("NPS {nps:.1}")), "NPS card");
    // points, verbatims and alerts come from the input lines, bounded
    let input = lines(&analyzed);
    let mut point_texts = std::collections::BTreeSet::new();
    let (mut alerts, mut pains) = (0u64, BTreeMap::<String, u64>::new());
    for v in &input {
        alerts += v["alerts"].as_array().map_or(0, |a| a.len() as u64);
        for p in v["points"].as_array().into_iter().flatten() {
            point_texts.insert((
                p["code"].as_str().unwrap().to_owned(),
                p["text"].as_str().unwrap().to_owned(),
            ));
            if p["point"] == "pain" {
                *pains
                    .entry(p["code"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
    assert!(
        alerts > 0 && !pains.is_empty(),
        "the sample has alerts and pains"
    );
    assert_eq!(data["alerts_total"], alerts);
    let verbatims = data["verbatims"].as_array().expect("verbatims");
    assert!(!verbatims.is_empty());
    let mut per_code = BTreeMap::<String, usize>::new();
    for v in verbatims {
        let key = (
            v["code"].as_str().unwrap().to_owned(),
            v["text"].as_str().unwrap().to_owned(),
        );
        assert!(
            point_texts.contains(&key),
            "verbatim {key:?} is a point of the input"
        );
        *per_code.entry(key.0).or_default() += 1;
    }
    assert!(per_code.values().all(|&n| n <= 20), "{per_code:?}");
    // each owner's pains add up to the input's
    let mut owner_pains = BTreeMap::<String, u64>::new();
    for o in data["owners"].as_array().expect("owners") {
        for c in o["codes"].as_array().expect("codes") {
            *owner_pains
                .entry(c["code"].as_str().unwrap().to_owned())
                .or_default() += c["pain"].as_u64().unwrap();
        }
    }
    owner_pains.retain(|_, n| *n > 0);
    assert_eq!(owner_pains, pains);
    // the journey follows --journey
    let stages: Vec<&str> = data["journey"]
        .as_array()
        .expect("journey")
        .iter()
        .map(|s| s["touchpoint"].as_str().unwrap())
        .collect();
    let order = [
        "enquiry",
        "test_drive",
        "purchase",
        "delivery",
        "maintenance",
        "repair",
    ];
    let known: Vec<&str> = stages
        .iter()
        .copied()
        .filter(|s| order.contains(s))
        .collect();
    let mut sorted = known.clone();
    sorted.sort_by_key(|s| order.iter().position(|o| o == s));
    assert_eq!(known, sorted, "{stages:?}");
    assert!(!known.is_empty());
}

#[test]
fn labels_follow_the_readers_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (analyzed, zh) = sample_report(dir.path(), &["--lang", "zh"]);
    assert!(zh.contains("客户旅程图") && zh.contains("责任部门"));
    let ru_page = dir.path().join("ru.html");
    assert_ok(&run(&[
        "report",
        s(&analyzed),
        "-o",
        s(&ru_page),
        "--lang",
        "ru",
        "-q",
    ]));
    let ru = std::fs::read_to_string(&ru_page).unwrap();
    assert!(ru.contains("Карта пути клиента"));
    let out = run(&["report", s(&analyzed), "-o", s(&ru_page), "--lang", "de"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown report language `de`"));
}

#[test]
fn bad_input_renders_and_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let render = |name: &str, text: &str| -> String {
        let input = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&input, text).unwrap();
        let page = dir.path().join(format!("{name}.html"));
        assert_ok(&run(&["report", s(&input), "-o", s(&page), "-q"]));
        std::fs::read_to_string(&page).unwrap()
    };
    let empty = render("empty", "");
    assert!(empty.contains("No analyzed records in the input."));
    // one plain record: no scores, no times, no touchpoints, no codes
    let one = render(
        "one",
        "{\"id\":\"a\",\"language\":\"en\",\"text\":\"fine\",\"clauses\":[]}\n",
    );
    for said in [
        "No survey scores in the input.",
        "The records have no touchpoints",
        "The records have no times",
        "No codes:",
        "No alerts:",
        "No drivers:",
    ] {
        assert!(one.contains(said), "missing `{said}`");
    }
    assert_eq!(page_data(&one)["metrics"]["input"]["analyzed"], 1);
    // failures and invalid lines are counted, not fatal
    let mixed = render(
        "mixed",
        "{\"id\":\"x\",\"line\":1,\"error\":{\"kind\":\"empty_text\"}}\nnot json\n",
    );
    assert_eq!(page_data(&mixed)["metrics"]["input"]["failures"], 1);
    assert_eq!(page_data(&mixed)["metrics"]["input"]["invalid"], 1);
    // a missing input is an error naming it
    let out = run(&[
        "report",
        "no/such.jsonl",
        "-o",
        s(&dir.path().join("x.html")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such.jsonl"));
}
