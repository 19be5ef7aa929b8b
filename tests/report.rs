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

use cli_support::{assert_ok, bin, model_available, root};
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

/// The part of a verbatim's text its span marks.
fn marked(v: &Value) -> String {
    let (start, end) = (
        v["span"][0].as_u64().unwrap() as usize,
        v["span"][1].as_u64().unwrap() as usize,
    );
    v["text"]
        .as_str()
        .unwrap()
        .chars()
        .skip(start)
        .take(end - start)
        .collect()
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
        "hot",
        "keywords",
        "alerts",
        "compare",
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
    for v in verbatims.iter().filter(|v| v.get("code").is_some()) {
        // the clause, marked in its turn
        let key = (v["code"].as_str().unwrap().to_owned(), marked(v));
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
    // each owner's weekly pains add up to its pains (every sample record
    // has a time), over the weeks of the trend
    let weeks = data["metrics"]["trends"]["periods"]
        .as_array()
        .unwrap()
        .len();
    for o in data["owners"].as_array().unwrap() {
        let pains: u64 = o["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["pain"].as_u64().unwrap())
            .sum();
        let weekly = o["weekly_pains"].as_array().unwrap();
        let sum: u64 = weekly.iter().map(|w| w[1].as_u64().unwrap()).sum();
        assert_eq!(sum, pains, "{}", o["owner"]);
        assert!(weekly.is_empty() || weekly.len() == weeks);
    }
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
fn the_keywords_are_the_themes_vocmine_keywords_finds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, html) = sample_report(dir.path(), &["--keywords", "25"]);
    let data = page_data(&html);
    let out = run(&[
        "keywords",
        "corpora/sample.jsonl",
        "--top",
        "25",
        "--json",
        "-",
    ]);
    assert_ok(&out);
    let kw: Value = serde_json::from_slice(&out.stdout).expect("keywords JSON");
    let themes = |l: &Value| -> Vec<(String, u64, u64, f64)> {
        l["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["term"].as_str().unwrap().to_owned(),
                    t["count"].as_u64().unwrap(),
                    t["df"].as_u64().unwrap(),
                    t["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (ours, theirs) = (
        data["keywords"].as_array().unwrap(),
        kw["languages"].as_array().unwrap(),
    );
    assert_eq!(ours.len(), 3, "zh, en and ru");
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a["language"], b["language"]);
        assert_eq!(a["documents"], b["documents"]);
        assert_eq!(themes(a), themes(b), "{}", a["language"]);
        assert_eq!(themes(a).len(), 25);
    }
    // the English themes are things, not filler: phrases and nouns
    let en = ours.iter().find(|l| l["language"] == "en").unwrap();
    let en: Vec<String> = themes(en).into_iter().map(|t| t.0).collect();
    for filler in ["time", "like", "days", "back", "now", "week", "fine"] {
        assert!(!en.contains(&filler.to_owned()), "{filler} in {en:?}");
    }
    assert!(en.iter().any(|t| t.contains(' ')), "a phrase among {en:?}");
    // each theme's verbatims mark where it was said
    let verbatims = data["verbatims"].as_array().unwrap();
    let mut with_theme = 0;
    for v in verbatims.iter().filter(|v| v.get("theme").is_some()) {
        with_theme += 1;
        let said = marked(v);
        let end = v["span"][1].as_u64().unwrap() as usize;
        assert!(!said.is_empty() && end <= v["text"].as_str().unwrap().chars().count());
        assert_eq!(
            said.split_whitespace().count(),
            v["theme"].as_str().unwrap().split_whitespace().count(),
            "{said} for {}",
            v["theme"]
        );
    }
    assert!(with_theme >= 3 * 25, "{with_theme} theme verbatims");
    // and carry their record's channel, touchpoint and week, so the
    // drill-down's filters apply to them too
    let input = lines(&dir.path().join("analyzed.jsonl"));
    let by_id: BTreeMap<&str, &Value> = input
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v))
        .collect();
    for v in verbatims.iter().filter(|v| v.get("theme").is_some()) {
        let record = by_id[v["id"].as_str().unwrap()];
        assert_eq!(v.get("channel"), record.get("channel"), "{v}");
        assert_eq!(v.get("touchpoint"), record.get("touchpoint"), "{v}");
        assert!(v.get("week").is_some(), "{v}");
    }
    // without keywords: no section to draw, said so
    let (_, none) = sample_report(dir.path(), &["--keywords", "0"]);
    assert!(none.contains("No customer words to draw."));
}

#[test]
fn before_after_is_what_vocmine_compare_computes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let splits = [
        ("2026-08-03..2026-09-20", "2026-09-21..2026-10-31"),
        ("2026-08-03..2026-09-27", "2026-09-28..2026-10-31"),
    ];
    let args: Vec<String> = splits
        .iter()
        .flat_map(|(b, a)| ["--compare".to_owned(), format!("{b},{a}")])
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (analyzed, html) = sample_report(dir.path(), &args);
    let data = page_data(&html);
    let shown = data["compare"].as_array().expect("compare");
    assert_eq!(shown.len(), 2);
    for ((before, after), shown) in splits.iter().zip(shown) {
        let out = run(&[
            "compare",
            s(&analyzed),
            "--before",
            before,
            "--after",
            after,
            "--json",
            "-",
        ]);
        assert_ok(&out);
        let mut cmp: Value = serde_json::from_slice(&out.stdout).expect("compare JSON");
        cmp.as_object_mut().unwrap().remove("input");
        assert_eq!(shown, &cmp);
    }
    // the page reads the tests in words
    assert!(html.contains("and it is not chance") && html.contains("could be chance"));
    // an ill-formed or overlapping split is an error naming it
    for (bad, said) in [
        ("2026-08-03..2026-09-20", "FROM..TO,FROM..TO"),
        ("2026-08-03..2026-09-20,2026-09-01..", "overlap"),
    ] {
        let out = run(&[
            "report",
            s(&analyzed),
            "-o",
            s(&dir.path().join("x.html")),
            "--compare",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{bad}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn hot_issues_are_the_clusters_vocmine_cluster_found() {
    if !model_available() {
        eprintln!("SKIPPED: default model not built; run `python3 models/setup.py`");
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the default model"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (analyzed, store, clusters) = (
        dir.path().join("a.jsonl"),
        dir.path().join("store"),
        dir.path().join("clusters.json"),
    );
    assert_ok(&run(&[
        "analyze",
        "corpora/sample.jsonl",
        "--codebook",
        "corpora/codebooks/automotive.yaml",
        "--store",
        s(&store),
        "-q",
        "-o",
        s(&analyzed),
    ]));
    assert_ok(&run(&[
        "cluster",
        s(&store),
        "--codebook",
        "corpora/codebooks/automotive.yaml",
        "-q",
        "-o",
        s(&clusters),
    ]));
    let page = dir.path().join("r.html");
    assert_ok(&run(&[
        "report",
        s(&analyzed),
        "-o",
        s(&page),
        "--clusters",
        s(&clusters),
        "-q",
    ]));
    let data = page_data(&std::fs::read_to_string(&page).unwrap());
    let c: Value = serde_json::from_str(&std::fs::read_to_string(&clusters).unwrap()).unwrap();
    let hot = &data["hot_issues"];
    assert_eq!(hot["clusters"], c["summary"]["clusters"]);
    assert_eq!(hot["clustered"], c["summary"]["clustered"]);
    let issues = hot["issues"].as_array().expect("issues");
    let hottest: Vec<&Value> = c["summary"]["hottest"].as_array().unwrap().iter().collect();
    assert!(!issues.is_empty());
    // the hottest first, in their order
    for (i, h) in issues.iter().zip(hottest.iter().take(12)) {
        assert_eq!(&&i["id"], h);
    }
    for i in issues {
        let cl = c["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == i["id"])
            .expect("a cluster of the file");
        assert_eq!(i["size"], cl["size"]);
        assert_eq!(i["share"], cl["share"]);
        assert_eq!(i["label"], cl["label"]);
        for k in [
            "score",
            "growth",
            "current",
            "previous",
            "negative_share",
            "emerging",
        ] {
            assert_eq!(i[k], cl["hotness"][k], "{k} of cluster {}", i["id"]);
        }
        // its representatives are its verbatims
        let reps: Vec<&Value> = data["verbatims"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["cluster"] == i["id"])
            .map(|v| &v["text"])
            .collect();
        let want: Vec<&Value> = cl["representatives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["text"])
            .collect();
        assert_eq!(reps, want);
    }
    // a file that is not a cluster report is an error naming it
    let out = run(&[
        "report",
        s(&analyzed),
        "-o",
        s(&page),
        "--clusters",
        s(&analyzed),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a.jsonl"));
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
