//! Contract of the alert rules in corpora/alerts.yaml and of
//! `vocmine analyze --alerts`: every rule (safety, legal, regulator, churn,
//! escalation, vip_unresolved) fires on an example in Chinese, Russian and
//! English; a negated cue does not fire; agent, bot and system turns never
//! fire; each rule's severity, owner and deadline; a VIP customer in `meta`
//! raises the severity; the CLI writes one JSON line per alert, in input
//! order, that validates against the schema, prints counts per severity,
//! defaults the alerts path beside `-o`, refuses stdout without
//! `--alerts-out`, and exits 2 on a bad rules file naming file, line and
//! rule.

#[path = "support/cli.rs"]
mod cli_support;

use std::path::{Path, PathBuf};

use cli_support::{assert_ok, bin, lines, root};
use serde_json::{json, Value};
use vocmine::stages::alerts::{Alert, AlertSpec, Severity, TriggerSource};
use vocmine::{Engine, Record, Timestamp, Turn};

// ------------------------------------------------------------------ helpers

fn rules_path() -> PathBuf {
    root().join("corpora/alerts.yaml")
}

/// An engine without the model, with the shipped rules.
fn engine() -> Engine {
    Engine::builder()
        .alerts(AlertSpec::load(rules_path()).expect("corpora/alerts.yaml loads"))
        .build()
        .expect("engine")
}

fn alerts_of(e: &Engine, r: &Record) -> Vec<Alert> {
    e.analyze(r).expect("analysis").alerts
}

fn text_alerts(e: &Engine, t: &str) -> Vec<Alert> {
    alerts_of(e, &Record::text("r", t))
}

fn rules(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.rule.as_str()).collect()
}

fn call(turns: &[(&str, &str)]) -> Record {
    Record::conversation("c", turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect())
}

/// The span of a trigger in the record's text or its turn's text.
fn span(r: &Record, turn: Option<usize>, start: usize, end: usize) -> String {
    let src = match (&r.body, turn) {
        (vocmine::Body::Text(t), None) => t.clone(),
        (vocmine::Body::Turns(ts), Some(i)) => ts[i].text.clone(),
        _ => panic!("trigger turn {turn:?} does not fit the record"),
    };
    src.chars().skip(start).take(end - start).collect()
}

// ------------------------------------------------------- 1. every rule fires

#[test]
fn every_cue_rule_fires_in_three_languages_with_its_span() {
    let e = engine();
    let cases: &[(&str, &str, &str)] = &[
        ("safety", "高速上刹车失灵了，太吓人", "刹车失灵"),
        ("safety", "На трассе отказали тормоза", "отказали тормоза"),
        (
            "safety",
            "The brakes failed on the motorway",
            "brakes failed",
        ),
        ("legal", "我已经请了律师", "律师"),
        ("legal", "Я подам на вас в суд", "в суд"),
        ("legal", "My lawyer will contact you", "lawyer"),
        ("regulator", "再不处理我就打12315", "12315"),
        (
            "regulator",
            "Напишу жалобу в Роспотребнадзор",
            "Роспотребнадзор",
        ),
        (
            "regulator",
            "I am reporting you to the Better Business Bureau",
            "Better Business Bureau",
        ),
        ("churn", "这车我要退车", "退车"),
        ("churn", "Верните деньги за подписку", "Верните деньги"),
        (
            "churn",
            "Please cancel my account today",
            "cancel my account",
        ),
    ];
    for &(rule, t, said) in cases {
        let rec = Record::text("r", t);
        let alerts = alerts_of(&e, &rec);
        let al = alerts
            .iter()
            .find(|a| a.rule == rule)
            .unwrap_or_else(|| panic!("{t}: expected {rule}, got {:?}", rules(&alerts)));
        let trig = &al.triggers[0];
        assert_eq!(trig.source, TriggerSource::Cue);
        assert_eq!(trig.text, said, "{t}");
        assert_eq!(span(&rec, trig.turn, trig.start, trig.end), said);
        assert!(al.reason.contains(said), "{}", al.reason);
    }
    for t in [
        "车很好开 服务也不错",
        "Машина отличная, спасибо",
        "Great car, friendly staff",
    ] {
        assert!(text_alerts(&e, t).is_empty(), "{t}");
    }
}

#[test]
fn escalation_fires_on_a_customer_request_in_three_languages() {
    let e = engine();
    for turns in [
        [
            ("agent", "您好"),
            ("customer", "你们这样不行 我要找你们领导"),
        ],
        [
            ("agent", "Добрый день"),
            ("customer", "Позовите руководителя"),
        ],
        [
            ("agent", "Hello"),
            ("customer", "Let me speak to a manager"),
        ],
    ] {
        let alerts = alerts_of(&e, &call(&turns));
        assert_eq!(rules(&alerts), ["escalation"], "{turns:?}");
        let al = &alerts[0];
        assert_eq!(al.severity, Severity::Medium);
        assert_eq!(al.owner.as_deref(), Some("cx_ops"), "default_owner");
        assert_eq!(al.deadline_hours, 24.0);
        let t = &al.triggers[0];
        assert_eq!(t.source, TriggerSource::Conversation);
        assert_eq!(t.turn, Some(1));
        assert_eq!(
            t.feature,
            Some(vocmine::stages::conversation::ConversationFeature::EscalationRequest)
        );
    }
    // Repeat contact raises it by one level.
    for turns in [
        [("customer", "我这是第三次打电话了 找你们领导")],
        [("customer", "Я уже третий раз звоню, позовите руководителя")],
        [("customer", "Third time calling, let me speak to a manager")],
    ] {
        let alerts = alerts_of(&e, &call(&turns));
        let al = alerts
            .iter()
            .find(|a| a.rule == "escalation")
            .expect("escalation");
        assert_eq!(al.severity, Severity::High, "{turns:?}");
        assert_eq!(al.base_severity, Severity::Medium);
        assert!(al.raised[0].contains("repeat_contact"), "{:?}", al.raised);
    }
}

#[test]
fn vip_unresolved_needs_both_the_unresolved_end_and_a_vip() {
    let e = engine();
    for turns in [
        [
            ("customer", "车机又死机了"),
            ("agent", "请重启试试"),
            ("customer", "还是没解决"),
        ],
        [
            ("customer", "интернет не работает"),
            ("agent", "перезагрузите роутер"),
            ("customer", "бесполезно"),
        ],
        [
            ("customer", "the app crashes"),
            ("agent", "please reinstall"),
            ("customer", "still not fixed"),
        ],
    ] {
        let mut rec = call(&turns);
        assert!(alerts_of(&e, &rec).is_empty(), "not a VIP: {turns:?}");
        rec.meta = Some(json!({"customer_value": "vip"}));
        let alerts = alerts_of(&e, &rec);
        assert_eq!(rules(&alerts), ["vip_unresolved"], "{turns:?}");
        // Base medium, raised by the file-wide VIP raiser to high.
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].owner.as_deref(), Some("key_accounts"));
        assert_eq!(alerts[0].triggers[0].turn, Some(2));
    }
}

// ------------------------------------------------- 2. what must not fire

#[test]
fn negated_cues_do_not_fire() {
    let e = engine();
    for t in [
        "我不会退车的，放心",
        "没有安全隐患",
        "Я не буду расторгать договор",
        "I will not cancel my account",
        "I'm not going to sue anyone",
    ] {
        let alerts = text_alerts(&e, t);
        assert!(alerts.is_empty(), "{t}: {:?}", rules(&alerts));
    }
    // A cue that carries its own negator still fires.
    assert_eq!(rules(&text_alerts(&e, "这车我不买了")), ["churn"]);
}

#[test]
fn agent_bot_and_system_turns_never_fire() {
    let e = engine();
    for turns in [
        [
            ("customer", "订单一直没发货"),
            ("agent", "您可以申请退款，也可以打12315，我们有律师团队"),
            ("bot", "如果刹车失灵请立即停车"),
            ("system", "客户要求退车"),
        ],
        [
            ("customer", "заказ так и не пришёл"),
            (
                "agent",
                "вы можете вернуть деньги или обратиться в Роспотребнадзор",
            ),
            ("bot", "если отказали тормоза, остановитесь"),
            ("system", "клиент хочет расторгнуть договор"),
        ],
        [
            ("customer", "my order never arrived"),
            ("agent", "you can ask for a refund or talk to our lawyer"),
            ("bot", "if the brakes failed, stop the car"),
            ("system", "customer wants to cancel my account"),
        ],
    ] {
        let alerts = alerts_of(&e, &call(&turns));
        assert!(alerts.is_empty(), "{turns:?}: {:?}", rules(&alerts));
    }
}

// ------------------------------------------- 3. severity, owner, deadline

#[test]
fn severity_owner_and_deadline_of_each_rule() {
    let e = engine();
    let cases: &[(&str, &str, Severity, &str, f64, &str)] = &[
        // (text, rule, severity, owner, hours, deadline from 2026-09-14T10:00:00+08:00)
        (
            "刹车失灵了",
            "safety",
            Severity::Critical,
            "product_safety",
            2.0,
            "2026-09-14T12:00:00+08:00",
        ),
        (
            "I'll sue you",
            "legal",
            Severity::High,
            "legal",
            4.0,
            "2026-09-14T14:00:00+08:00",
        ),
        (
            "Роспотребнадзор разберётся",
            "regulator",
            Severity::High,
            "compliance",
            4.0,
            "2026-09-14T14:00:00+08:00",
        ),
        (
            "我要退款",
            "churn",
            Severity::High,
            "retention",
            4.0,
            "2026-09-14T14:00:00+08:00",
        ),
    ];
    for &(t, rule, sev, owner, hours, deadline) in cases {
        let mut rec = Record::text("d", t);
        rec.time = Timestamp::parse("2026-09-14T10:00:00+08:00");
        let alerts = alerts_of(&e, &rec);
        assert_eq!(rules(&alerts), [rule], "{t}");
        let al = &alerts[0];
        assert_eq!(
            (
                al.severity,
                al.base_severity,
                al.owner.as_deref(),
                al.deadline_hours
            ),
            (sev, sev, Some(owner), hours),
            "{t}"
        );
        assert_eq!(al.deadline.as_deref(), Some(deadline), "{t}");
        assert_eq!(al.time.as_deref(), Some("2026-09-14T10:00:00+08:00"));
        assert!(al.raised.is_empty());
    }
    // No time on the record or its turns: no deadline, still the hours.
    let al = &text_alerts(&e, "我要退款")[0];
    assert_eq!((al.deadline.as_deref(), al.deadline_hours), (None, 4.0));
    // A date-only time counts from midnight UTC.
    let mut rec = Record::text("d", "I want a refund");
    rec.time = Timestamp::parse("2026-09-14");
    assert_eq!(
        alerts_of(&e, &rec)[0].deadline.as_deref(),
        Some("2026-09-14T04:00:00Z")
    );
}

#[test]
fn a_vip_customer_in_meta_raises_the_severity() {
    let e = engine();
    for (t, base, raised) in [
        ("我要退款", Severity::High, Severity::Critical),
        ("Я подам в суд", Severity::High, Severity::Critical),
        (
            "I'm switching to another bank",
            Severity::High,
            Severity::Critical,
        ),
    ] {
        let mut rec = Record::text("v", t);
        rec.meta = Some(json!({"customer_value": "standard"}));
        let al = &alerts_of(&e, &rec)[0];
        assert_eq!(al.severity, base, "{t}");
        rec.meta = Some(json!({"customer_value": "VIP"}));
        let al = &alerts_of(&e, &rec)[0];
        assert_eq!((al.base_severity, al.severity), (base, raised), "{t}");
        assert_eq!(al.deadline_hours, 2.0);
        assert!(al.raised[0].contains("customer_value"), "{:?}", al.raised);
    }
    // Critical cannot be raised further.
    let mut rec = Record::text("v", "刹车失灵");
    rec.meta = Some(json!({"customer_value": "high"}));
    let al = &alerts_of(&e, &rec)[0];
    assert_eq!((al.severity, al.raised.len()), (Severity::Critical, 1));
    // NPS ≤ 3 raises churn (a raiser of that rule only).
    let mut rec = Record::text("n", "I want a refund");
    rec.scores.nps = Some(2);
    let al = &alerts_of(&e, &rec)[0];
    assert_eq!(
        (al.rule.as_str(), al.severity),
        ("churn", Severity::Critical)
    );
}

// ------------------------------------------------------------- 4. the CLI

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

const INPUT: &str = concat!(
    r#"{"id": "a1", "time": "2026-09-14T10:00:00+08:00", "text": "刹车失灵了，我要退车", "meta": {"customer_value": "vip"}}"#,
    "\n",
    r#"{"id": "a2", "text": "Great service, thanks"}"#,
    "\n",
    r#"{"id": "a3", "text": 42}"#,
    "\n",
    r#"{"id": "a4", "turns": [{"speaker": "agent", "text": "您可以申请退款"}, {"speaker": "customer", "text": "我这是第三次打电话了 找你们领导"}]}"#,
    "\n",
    r#"{"id": "a5", "text": "Я подам в суд"}"#,
    "\n",
);

#[test]
fn analyze_writes_the_alert_stream_beside_the_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = write(dir.path(), "in.jsonl", INPUT);
    let out = dir.path().join("res.analyzed.jsonl");
    let run = bin()
        .args(["analyze", "--no-model"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--alerts")
        .arg(rules_path())
        .output()
        .expect("run");
    assert_ok(&run);
    let alerts_path = dir.path().join("res.analyzed.alerts.jsonl");
    let alerts = lines(&alerts_path);
    let got: Vec<(String, String, String)> = alerts
        .iter()
        .map(|a| {
            (
                a["record"].as_str().unwrap_or("").to_owned(),
                a["rule"].as_str().unwrap_or("").to_owned(),
                a["severity"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = [
        ("a1", "safety", "critical"),
        ("a1", "churn", "critical"),
        ("a4", "escalation", "high"),
        ("a5", "legal", "high"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want, "input order, most severe first within a record");
    assert_eq!(alerts[0]["line"], 1);
    assert_eq!(alerts[0]["owner"], "product_safety");
    assert_eq!(alerts[0]["deadline"], "2026-09-14T12:00:00+08:00");
    assert_eq!(alerts[0]["triggers"][0]["text"], "刹车失灵");
    assert_eq!(alerts[0]["triggers"][0]["start"], 0);
    assert_eq!(alerts[2]["line"], 4);
    assert_eq!(alerts[2]["triggers"][0]["turn"], 1);
    assert_eq!(alerts[2]["triggers"][0]["text"], "找你们领导");

    // The analysis lines carry the same alerts; the failure line has none.
    let recs = lines(&out);
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0]["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(recs[0]["alerts"][0], alerts[0]);
    assert!(recs[1].get("alerts").is_none());
    assert!(recs[2].get("error").is_some());

    // Counts per severity in the summary.
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("alerts     4 on 3 of 4 records (critical 2 · high 2 · medium 0 · low 0)"),
        "{stderr}"
    );
    assert!(stderr.contains("res.analyzed.alerts.jsonl"), "{stderr}");

    // Every alert line and every output line validates against the schema.
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let schema = root().join("schemas/record.schema.json");
    let schema = schema.to_str().expect("path");
    let record = compiler.compile(schema, &mut schemas).expect("schema");
    let alert = compiler
        .compile(&format!("{schema}#/$defs/alert"), &mut schemas)
        .expect("alert schema");
    for a in &alerts {
        if let Err(e) = schemas.validate(a, alert) {
            panic!("alert does not validate: {e:#}\n{a}");
        }
    }
    for r in &recs {
        if let Err(e) = schemas.validate(r, record) {
            panic!("line does not validate: {e:#}\n{r}");
        }
    }
}

#[test]
fn alerts_out_and_stdout_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = write(dir.path(), "in.jsonl", INPUT);
    // Output on stdout, no --alerts-out: a clear error, exit 2.
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(&input)
        .arg("--alerts")
        .arg(rules_path())
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("--alerts-out"), "{stderr}");
    assert!(run.stdout.is_empty(), "nothing is analyzed");

    // Output on stdout, alerts to a file.
    let alerts = dir.path().join("a.jsonl");
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(&input)
        .arg("--alerts")
        .arg(rules_path())
        .arg("--alerts-out")
        .arg(&alerts)
        .output()
        .expect("run");
    assert_ok(&run);
    assert_eq!(String::from_utf8_lossy(&run.stdout).lines().count(), 5);
    assert_eq!(lines(&alerts).len(), 4);

    // Output to a file, alerts to stdout.
    let out = dir.path().join("o.jsonl");
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--alerts")
        .arg(rules_path())
        .args(["--alerts-out", "-"])
        .output()
        .expect("run");
    assert_ok(&run);
    let streamed: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(streamed.len(), 4);
}

#[test]
fn a_bad_rules_file_exits_2_naming_file_line_and_rule() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = write(dir.path(), "in.jsonl", INPUT);
    let bad = write(
        dir.path(),
        "bad-rules.yaml",
        "rules:\n  - id: churn\n    severity: high\n    cues: {en: [refund]}\n  - id: churn\n    severity: low\n    cues: {xx: [y]}\n",
    );
    let out = dir.path().join("o.jsonl");
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--alerts")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("bad-rules.yaml:5"), "{stderr}");
    assert!(stderr.contains("rule `churn`: duplicate id"), "{stderr}");
    assert!(stderr.contains("unknown language `xx`"), "{stderr}");

    // A YAML error (an unknown severity) names its line too.
    let bad = write(
        dir.path(),
        "bad-severity.yaml",
        "rules:\n  - id: a\n    severity: urgent\n    cues: {en: [x]}\n",
    );
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--alerts")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("bad-severity.yaml:3"), "{stderr}");
}

#[test]
fn the_sample_corpus_raises_every_rule_and_only_from_customer_turns() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("s.jsonl");
    let run = bin()
        .args(["analyze", "--no-model", "-q"])
        .arg(root().join("corpora/sample.jsonl"))
        .arg("-o")
        .arg(&out)
        .arg("--codebook")
        .arg(root().join("corpora/codebooks/automotive.yaml"))
        .arg("--alerts")
        .arg(rules_path())
        .output()
        .expect("run");
    assert_ok(&run);
    let recs = lines(&out);
    let alerts = lines(&dir.path().join("s.alerts.jsonl"));
    let mut by_rule = std::collections::BTreeMap::<String, usize>::new();
    let mut last_line = 0;
    for a in &alerts {
        let line = a["line"].as_u64().expect("line");
        assert!(line >= last_line, "input order");
        last_line = line;
        let rec = &recs[line as usize - 1];
        assert_eq!(rec["id"], a["record"]);
        for t in a["triggers"].as_array().expect("triggers") {
            let src = match t["turn"].as_u64() {
                Some(k) => {
                    assert_eq!(rec["turns"][k as usize]["role"], "customer", "{a}");
                    rec["turns"][k as usize]["text"].as_str().expect("text")
                }
                None => rec["text"].as_str().expect("text"),
            };
            let (s, e) = (
                t["start"].as_u64().expect("start") as usize,
                t["end"].as_u64().expect("end") as usize,
            );
            let got: String = src.chars().skip(s).take(e - s).collect();
            assert_eq!(got, t["text"].as_str().expect("text"), "{a}");
        }
        *by_rule
            .entry(a["rule"].as_str().expect("rule").to_owned())
            .or_default() += 1;
    }
    for rule in ["safety", "legal", "regulator", "churn", "escalation"] {
        assert!(
            by_rule.get(rule).is_some_and(|&n| n > 0),
            "{rule}: {by_rule:?}"
        );
    }
}
