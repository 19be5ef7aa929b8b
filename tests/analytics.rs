//! Contract of the CX analytics: NPS, CSAT (Wilson interval), CES (t
//! interval) and the two-proportion z-test against values computed by hand
//! (the arithmetic is in the comments); `vocmine compare` and
//! `vocmine metrics --json` on tiny JSON Lines files whose every figure is
//! known, with failure and invalid lines counted, never fatal; clear errors
//! naming the file; and the planted trends of the sample corpus.

#[path = "support/cli.rs"]
mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::{assert_ok, bin, root};
use serde_json::{json, Value};
use vocmine::corpus::analytics::stats::{self, Z95};
use vocmine::corpus::analytics::{CesStat, CsatStat, NpsStat};

fn close(got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{got} vs {want} (tolerance {tol})"
    );
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, found {v}"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run vocmine")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
}

// ------------------------------------------------- 1. metrics by hand

#[test]
fn nps_by_hand() {
    // [10, 10, 9, 8, 5, 2]: 3 promoters, 1 passive, 2 detractors of 6.
    // NPS = 100·(3 − 2)/6 = 16.667; p = 1/2, d = 1/3:
    // se = 100·√((p + d − (p − d)²)/n) = 100·√((5/6 − 1/36)/6) = 36.6414;
    // 95% CI = 16.667 ± 1.96·36.6414 = [−55.149, 88.483].
    let s = NpsStat::from_answers(&[10, 10, 9, 8, 5, 2]).expect("nps");
    assert_eq!(
        (s.responses, s.promoters, s.passives, s.detractors),
        (6, 3, 1, 2)
    );
    close(s.nps, 100.0 / 6.0, 1e-12);
    close(s.se, 36.641_405_439_646_995, 1e-9);
    close(s.ci.low, -55.149_168_337_971_46, 1e-9);
    close(s.ci.high, 88.482_501_671_304_8, 1e-9);
}

#[test]
fn csat_with_the_wilson_interval_by_hand() {
    // [5, 5, 4, 4, 4, 3, 2, 1]: 5 of 8 satisfied (4–5) → CSAT 62.5%.
    // Wilson, z = 1.96: centre (0.625 + z²/16)/(1 + z²/8) = 0.58445,
    // half z/(1 + z²/8)·√(0.625·0.375/8 + z²/256) = 0.27871
    // → [30.574%, 86.316%] (the Wald interval would be [29.0%, 96.0%]).
    let s = CsatStat::from_answers(&[5, 5, 4, 4, 4, 3, 2, 1]).expect("csat");
    assert_eq!(
        (s.responses, s.satisfied, s.neutral, s.dissatisfied),
        (8, 5, 1, 2)
    );
    close(s.csat, 62.5, 1e-12);
    close(s.mean, 28.0 / 8.0, 1e-12);
    close(s.ci.low, 30.574_239_460_262_73, 1e-9);
    close(s.ci.high, 86.315_571_417_640_27, 1e-9);
}

#[test]
fn ces_with_the_t_interval_by_hand() {
    // [2, 3, 3, 5, 6]: mean 3.8; s² = (1.8² + 0.8² + 0.8² + 1.2² + 2.2²)/4
    // = 10.8/4 = 2.7; se = √(2.7/5) = 0.734847; t(0.975, 4) = 2.776445
    // → 3.8 ± 2.040262 = [1.759738, 5.840262].
    let s = CesStat::from_answers(&[2, 3, 3, 5, 6]).expect("ces");
    assert_eq!(s.responses, 5);
    close(s.mean, 3.8, 1e-12);
    close(s.sd, 2.7f64.sqrt(), 1e-12);
    close(s.se, 0.734_846_922_834_953_5, 1e-12);
    let ci = s.ci.expect("interval");
    close(ci.low, 1.759_737_858_025_229, 1e-9);
    close(ci.high, 5.840_262_141_974_771, 1e-9);
}

#[test]
fn two_proportion_z_test_by_hand() {
    // 20 of 40 before, 10 of 50 after: pooled p = 30/90 = 1/3,
    // se = √(1/3·2/3·(1/40 + 1/50)) = √(2/9·0.045) = 0.1 exactly,
    // z = (0.2 − 0.5)/0.1 = −3, p = 2·(1 − Φ(3)) = 0.0026998;
    // unpooled interval −0.3 ± 1.96·√(0.25/40 + 0.16/50) = [−0.49053, −0.10947].
    let t = stats::two_proportion_z(20, 40, 10, 50).expect("test");
    close(t.diff, -0.3, 1e-12);
    close(t.se, 0.1, 1e-12);
    close(t.statistic, -3.0, 1e-9);
    close(t.p_value, 0.002_699_796_063_260_197, 1e-12);
    assert!(t.significant);
    close(t.ci.low, -0.490_530_275_430_335_4, 1e-9);
    close(t.ci.high, -0.109_469_724_569_664_6, 1e-9);
    close(Z95, 1.959_963_984_540_054, 1e-15);
}

// ------------------------------------------------- 2. the CLI on tiny files

/// 40 records on 2026-09-01 ("before") and 50 on 2026-10-01 ("after"):
///
/// * code `wait` (pain, service_center): 20 of 40 before, 10 of 50 after;
/// * code `price` (mention, sales): 10 of 40 before, 15 of 50 after;
/// * NPS: the `wait` records answer 3 (detractors), the others 10;
/// * CSAT: before 4 on even records, 2 on odd ones; after 5 everywhere;
/// * channel: `chat` for even records, `phone` for odd ones;
///
/// plus two failure lines, one line that is not JSON and a blank line.
fn tiny_corpus(dir: &Path) -> PathBuf {
    let mut lines: Vec<String> = Vec::new();
    let mut line = 0u64;
    for (date, n, wait, price) in [("2026-09-01", 40, 20, 10), ("2026-10-01", 50, 10, 15)] {
        for i in 0..n {
            line += 1;
            let mut codes = Vec::new();
            if i < wait {
                codes.push(json!({"code": "wait", "point": "pain", "owner": "service_center", "clauses": 1}));
            }
            if i >= n - price {
                codes.push(
                    json!({"code": "price", "point": "mention", "owner": "sales", "clauses": 1}),
                );
            }
            let csat = if date == "2026-10-01" {
                5
            } else if i % 2 == 0 {
                4
            } else {
                2
            };
            let rec = json!({
                "id": format!("{date}-{i}"), "line": line, "kind": "text",
                "channel": if i % 2 == 0 { "chat" } else { "phone" },
                "time": date,
                "scores": {"nps": if i < wait { 3 } else { 10 }, "csat": csat},
                "text": "…", "clauses": [], "codes": codes,
            });
            lines.push(rec.to_string());
        }
    }
    lines.insert(
        5,
        json!({"id": "bad1", "line": 6, "error": {"kind": "empty_text", "line": 6, "message": "empty"}})
            .to_string(),
    );
    lines.insert(
        50,
        json!({"id": "bad2", "line": 51, "error": {"kind": "invalid_json", "line": 51, "message": "x"}})
            .to_string(),
    );
    lines.insert(60, "this line is not JSON".to_owned());
    lines.insert(61, String::new());
    let path = dir.join("tiny.analyzed.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path
}

#[test]
fn compare_cli_on_a_tiny_jsonl() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = tiny_corpus(dir.path());
    let json_out = dir.path().join("cmp.json");
    let out = run(&[
        "compare",
        s(&input),
        "--before",
        "2026-08-01..2026-09-20",
        "--after",
        "2026-09-21..",
        "--json",
        s(&json_out),
    ]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Failure and invalid lines are counted and reported, never fatal; the
    // invalid one by file and line (line 61 of the file).
    assert!(
        stdout.contains("2 failure lines skipped · 1 invalid lines skipped"),
        "{stdout}"
    );
    assert!(
        stderr.contains("tiny.analyzed.jsonl:61: not JSON"),
        "{stderr}"
    );
    assert!(
        stdout.contains("wait") && stdout.contains("NPS"),
        "{stdout}"
    );

    let c = read_json(&json_out);
    assert_eq!(c["input"]["lines"], 93);
    assert_eq!(c["input"]["analyzed"], 90);
    assert_eq!(c["input"]["failures"], 2);
    assert_eq!(c["input"]["invalid"], 1);
    assert_eq!(c["input"]["first_invalid"]["line"], 61);
    assert_eq!(
        (
            c["before"]["records"].clone(),
            c["after"]["records"].clone()
        ),
        (json!(40), json!(50))
    );

    // `wait`: 20/40 → 10/50, the two-proportion z-test of the hand
    // computation above (z = −3, p = 0.0026998).
    let codes = c["codes"].as_array().expect("codes");
    assert_eq!(codes[0]["code"], "wait", "smallest p first");
    let wait = &codes[0];
    assert_eq!(wait["owner"], "service_center");
    assert_eq!(
        (
            wait["before"]["count"].clone(),
            wait["after"]["count"].clone()
        ),
        (json!(20), json!(10))
    );
    close(num(&wait["test"]["statistic"]), -3.0, 1e-9);
    close(
        num(&wait["test"]["p_value"]),
        0.002_699_796_063_260_197,
        1e-12,
    );
    assert_eq!(wait["test"]["significant"], true);
    // All of them are pain points.
    close(
        num(&wait["pain_test"]["p_value"]),
        0.002_699_796_063_260_197,
        1e-12,
    );
    // `price`: 10/40 → 15/50: pooled 25/90, se = √(25/90·65/90·0.045)
    // = 0.0950146, z = 0.05/0.0950146 = 0.52623, p = 0.59873.
    let price = &codes[1];
    assert_eq!(price["code"], "price");
    close(
        num(&price["test"]["statistic"]),
        0.526_234_811_584_217_5,
        1e-9,
    );
    close(
        num(&price["test"]["p_value"]),
        0.598_725_069_652_846_9,
        1e-9,
    );
    assert_eq!(price["test"]["significant"], false);
    // Benjamini–Hochberg over the 2 codes: q₁ = 0.0027·2/1, q₂ = 0.5987·2/2.
    close(
        num(&wait["q_value"]),
        2.0 * 0.002_699_796_063_260_197,
        1e-12,
    );
    close(num(&price["q_value"]), 0.598_725_069_652_846_9, 1e-9);

    // NPS: before 20 detractors + 20 promoters → 0, se = 100·√(1/40) =
    // 15.8114; after 10 + 40 → 60, se = 100·√((1 − 0.36)/50) = 11.3137;
    // z = 60/√(15.8114² + 11.3137²) = 3.08607, p = 0.0020282.
    close(num(&c["before"]["nps"]["nps"]), 0.0, 1e-12);
    close(num(&c["after"]["nps"]["nps"]), 60.0, 1e-12);
    close(num(&c["changes"]["nps"]["diff"]), 60.0, 1e-9);
    close(
        num(&c["changes"]["nps"]["statistic"]),
        3.086_066_999_241_838,
        1e-9,
    );
    close(
        num(&c["changes"]["nps"]["p_value"]),
        0.002_028_231_148_452_082,
        1e-9,
    );
    // CSAT: 20/40 → 50/50 satisfied, in percent points: +50.
    close(num(&c["changes"]["csat"]["diff"]), 50.0, 1e-9);
    // Negative records (a pain point): 20/40 → 10/50, the same test as `wait`.
    close(num(&c["changes"]["negative"]["statistic"]), -3.0, 1e-9);

    // --json - writes the JSON to stdout instead of the table.
    let out = run(&[
        "compare",
        s(&input),
        "--before",
        "..2026-09-20",
        "--after",
        "2026-09-21..",
        "--json",
        "-",
    ]);
    assert_ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(v["codes"][0]["code"], "wait");
}

#[test]
fn metrics_cli_json_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = tiny_corpus(dir.path());
    let json_out = dir.path().join("m.json");
    let out = run(&[
        "metrics",
        s(&input),
        "--by",
        "channel,period,owner,code",
        "--period",
        "month",
        "--drivers",
        "--json",
        s(&json_out),
    ]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "overall",
        "by channel",
        "by period (month)",
        "by owner",
        "by code",
        "trends per month",
        "drivers of detractor",
    ] {
        assert!(stdout.contains(want), "{want}: {stdout}");
    }
    let m = read_json(&json_out);
    assert_eq!(m["input"]["failures"], 2);
    assert_eq!(m["input"]["invalid"], 1);
    // Overall: 30 detractors, 60 promoters of 90 → NPS 100·(60 − 30)/90 =
    // 33.333; se = 100·√((2/3 + 1/3 − 1/9)/90) = 9.9381.
    let nps = &m["overall"]["nps"];
    assert_eq!(
        (nps["promoters"].clone(), nps["detractors"].clone()),
        (json!(60), json!(30))
    );
    close(num(&nps["nps"]), 100.0 / 3.0, 1e-9);
    close(num(&nps["se"]), 100.0 * (8.0f64 / 9.0 / 90.0).sqrt(), 1e-9);
    // CSAT: 20 + 50 of 90 satisfied = 77.78%, Wilson interval.
    let csat = &m["overall"]["csat"];
    close(num(&csat["csat"]), 70.0 / 0.9, 1e-9);
    let w = stats::wilson(70, 90, Z95).expect("wilson");
    close(num(&csat["ci"]["low"]), 100.0 * w.low, 1e-9);
    assert!(m["overall"].get("ces").is_none_or(Value::is_null));
    // Slices in the order asked for; months; owners and codes by count.
    let by: Vec<&str> = m["slices"]
        .as_array()
        .expect("slices")
        .iter()
        .map(|x| x["by"].as_str().expect("by"))
        .collect();
    assert_eq!(by, ["channel", "month", "owner", "code"]);
    let months: Vec<&str> = m["slices"][1]["slices"]
        .as_array()
        .expect("months")
        .iter()
        .map(|x| x["key"].as_str().expect("key"))
        .collect();
    assert_eq!(months, ["2026-09", "2026-10"]);
    let sept = &m["slices"][1]["slices"][0];
    assert_eq!(sept["records"], 40);
    close(num(&sept["nps"]["nps"]), 0.0, 1e-12);
    let owners = &m["slices"][2]["slices"];
    assert_eq!(owners[0]["key"], "service_center");
    assert_eq!(owners[0]["records"], 30);
    // Every `wait` record is a detractor: NPS −100.
    close(num(&owners[0]["nps"]["nps"]), -100.0, 1e-12);
    // Trends per month: records and pain points.
    let periods = m["trends"]["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 2);
    assert_eq!(
        (
            periods[0]["records"].clone(),
            periods[0]["points"]["pain"].clone()
        ),
        (json!(40), json!(20))
    );
    // Drivers of detractors: `wait` records are all detractors (30/30), the
    // others none (0/60).
    let d = &m["drivers"]["detractor"]["drivers"];
    let wait = d
        .as_array()
        .expect("drivers")
        .iter()
        .find(|x| x["code"] == "wait")
        .expect("wait driver");
    assert_eq!(
        (wait["with"].clone(), wait["with_outcome"].clone()),
        (json!(30), json!(30))
    );
    close(num(&wait["rate_with"]), 1.0, 1e-12);
    close(num(&wait["rate_without"]), 0.0, 1e-12);
}

#[test]
fn analytics_errors_name_the_file_and_the_option() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("missing.jsonl");
    let out = run(&["metrics", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = tiny_corpus(dir.path());
    let out = run(&["metrics", s(&input), "--by", "colour"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown slice `colour`"));
    let out = run(&[
        "compare",
        s(&input),
        "--before",
        "2026-09-01..2026-10-01",
        "--after",
        "2026-09-15..",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlap"));
    let out = run(&[
        "compare",
        s(&input),
        "--before",
        "2026-13-01..",
        "--after",
        "..2026-01-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--before") && stderr.contains("2026-13-01"),
        "{stderr}"
    );
}

// ------------------------------------------------- 3. the sample corpus

/// The sample's planted trends, coded by the automotive codebook's rules
/// (no model): service waiting-time mentions fall after 2026-09-21 and
/// infotainment mentions rise after the OTA update of 2026-09-28.
#[test]
fn the_sample_corpus_shows_its_planted_trends() {
    let dir = tempfile::tempdir().expect("tmp");
    let analyzed = dir.path().join("sample.analyzed.jsonl");
    let out = run(&[
        "analyze",
        "--no-model",
        "-q",
        s(&root().join("corpora/sample.jsonl")),
        "--codebook",
        s(&root().join("corpora/codebooks/automotive.yaml")),
        "-o",
        s(&analyzed),
    ]);
    assert_ok(&out);
    let cmp = |before: &str, after: &str| -> Value {
        let path = dir.path().join("c.json");
        let out = run(&[
            "compare",
            s(&analyzed),
            "--before",
            before,
            "--after",
            after,
            "--json",
            s(&path),
        ]);
        assert_ok(&out);
        read_json(&path)
    };
    let code = |c: &Value, id: &str| -> Value {
        c["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|x| x["code"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let c = cmp("2026-08-03..2026-09-20", "2026-09-21..2026-10-31");
    assert_eq!(c["input"]["analyzed"], 359);
    let wait = code(&c, "after_sales.repair.waiting");
    assert!(
        num(&wait["after"]["share"]) < num(&wait["before"]["share"]) / 1.5,
        "{wait}"
    );
    assert_eq!(wait["test"]["significant"], true, "{wait}");
    let c = cmp("2026-08-03..2026-09-27", "2026-09-28..2026-10-31");
    let info = code(&c, "product.infotainment.system");
    assert!(
        num(&info["after"]["share"]) > 3.0 * num(&info["before"]["share"]),
        "{info}"
    );
    assert!(num(&info["q_value"]) < 0.05, "{info}");
}
