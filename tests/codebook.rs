//! Contract of the codebook (码框) and points stages, without the neural
//! model: a codebook validates with every problem named by file, line and
//! code; a CSV table imports into the same codes; rules match as
//! `corpora/codebooks/FORMAT.md` says (stems, traditional folding, phrases,
//! `all`, `not`, `near`, `regex`); codes roll up to their parents with owners;
//! points come from cues and hints with spans into the original text; only
//! customer turns are coded; the evaluator's scores are the hand-computed
//! ones; the shipped codebooks load and code the sample corpus; the output
//! does not depend on the thread count.

#[path = "support/model.rs"]
mod model_support;
use model_support::default_model;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use vocmine::neural::sentiment::{Probs, Sentiment, Voice, VoiceCounts};
use vocmine::stages::codebook::{
    evaluate, read_gold, CodebookSpec, Evaluator, GoldCode, PointKind, RulesSpec,
};
use vocmine::{Analysis, Clause, Engine, Record, Role, Turn};

// ------------------------------------------------------------------ helpers

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vocmine"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run vocmine")
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Loads an inline YAML codebook (through a file, as users do).
fn load(yaml: &str) -> CodebookSpec {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cb.yaml", yaml);
    CodebookSpec::load(&path).unwrap_or_else(|e| panic!("codebook does not load: {e}"))
}

/// An engine without the neural model, coding with `spec`.
fn engine(spec: CodebookSpec) -> Engine {
    Engine::builder().codebook(spec).build().unwrap()
}

/// Analyzes one record through the batch path (which runs the codebook).
fn analyze(e: &Engine, record: Record) -> Analysis {
    let out = e.analyze_batch(&[record]).unwrap();
    out[0]
        .analysis()
        .unwrap_or_else(|| panic!("record failed: {:?}", out[0].error()))
        .clone()
}

fn text(e: &Engine, t: &str) -> Analysis {
    analyze(e, Record::text("t", t))
}

/// The per-record stages of a text, with the working state the codebook
/// reads (the clauses' kept terms).
fn analyzed(e: &Engine, t: &str) -> vocmine::Analyzed {
    e.analyze_record(&Record::text("t", t)).expect("analyzed")
}

fn ids(c: &Clause) -> Vec<&str> {
    c.codes.iter().map(|c| &*c.code).collect()
}

/// Codes of all clauses of a record (direct, deduplicated, sorted).
fn clause_codes(a: &Analysis) -> Vec<String> {
    let set: BTreeSet<String> = a
        .clauses
        .iter()
        .flat_map(|c| c.codes.iter().map(|k| k.code.to_string()))
        .collect();
    set.into_iter().collect()
}

fn coded(e: &Engine, t: &str) -> Vec<String> {
    clause_codes(&text(e, t))
}

fn chars(s: &str, start: usize, end: usize) -> String {
    s.chars().skip(start).take(end - start).collect()
}

/// A small trilingual codebook exercising every rule construct.
const MATCHING: &str = r##"
codebook: matching
version: "t1"
languages: [zh, ru, en]
points:
  itch:
    zh: [希望]
    ru: [хотелось бы]
    en: [i wish]
  delight:
    zh: [惊喜]
    ru: [приятно удивил]
    en: [pleasantly surprised]
  pain:
    zh: [太慢]
    ru: [ужасно]
    en: [terrible]
codes:
  - id: service
    labels: {zh: 服务, ru: Обслуживание, en: Service}
    owner: service_dept
  - id: service.waiting
    parent: service
    labels: {en: Waiting}
    rules:
      zh: [等待, 排队, 久等]
      ru: [ждать, очередь]
      en: [waiting, queue]
  - id: service.support
    parent: service
    labels: {en: Support}
    owner: support_team
    rules:
      zh: [客服]
      ru: [служба поддержки]
      en: [customer service]
  - id: product
    labels: {en: Product}
    owner: product_team
  - id: product.battery
    parent: product
    rules:
      en:
        - any: [battery]
          not: [charger]
  - id: product.screen
    parent: product
    rules:
      en:
        - all: [screen, crack]
  - id: product.app
    parent: product
    rules:
      en:
        - near: [[app, crash, 3]]
  - id: product.returns
    parent: product
    rules:
      zh: [退貨]
  - id: billing.order
    owner: billing
    rules:
      en:
        - regex: ["order #?\\d{5,}"]
  - id: feature_request
    owner: product_team
    point: itch
    rules:
      en: [dark mode]
"##;

fn matching() -> Engine {
    engine(load(MATCHING))
}

// ------------------------------------------------------- 1. validation

/// Every problem at once: a parent cycle, a duplicate id, an unknown parent,
/// a bad regex and a leaf that can never match (no rule, exemplar, label
/// or description).
const INVALID: &str = r#"codebook: broken
codes:
  - id: a
    parent: b
    rules: {en: [alpha]}
  - id: b
    parent: a
    rules: {en: [beta]}
  - id: dup
    rules: {en: [gamma]}
  - id: dup
    rules: {en: [delta]}
  - id: orphan
    parent: nowhere
    rules: {en: [epsilon]}
  - id: badre
    rules:
      en:
        - regex: ["(unclosed"]
  - id: empty
    owner: nobody
"#;

#[test]
fn invalid_codebook_reports_every_problem_with_file_line_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "broken.yaml", INVALID);
    let err = CodebookSpec::load(&path).unwrap_err().to_string();
    assert!(err.contains(s(&path)), "names the file: {err}");
    // The cycle is reported once, on a code of the cycle.
    assert!(
        err.contains("line 3: code `a`") || err.contains("line 6: code `b`"),
        "{err}"
    );
    assert!(err.contains("cycle"), "{err}");
    // The duplicate: either definition's line, but the id.
    assert!(
        err.contains("line 9: code `dup`") || err.contains("line 11: code `dup`"),
        "{err}"
    );
    assert!(err.contains("duplicate"), "{err}");
    assert!(err.contains("line 13: code `orphan`"), "{err}");
    assert!(err.contains("nowhere"), "{err}");
    assert!(err.contains("line 16: code `badre`"), "{err}");
    assert!(err.contains("(unclosed"), "{err}");
    assert!(err.contains("line 20: code `empty`"), "{err}");
    assert!(err.contains("5 problems"), "{err}");

    // The same problems, as data.
    let spec = CodebookSpec::from_yaml_str(INVALID, &path).unwrap();
    let problems = spec.problems();
    let by_code: BTreeMap<&str, u64> = problems
        .iter()
        .map(|p| (p.code.as_deref().unwrap(), p.line))
        .collect();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert_eq!(by_code.get("orphan"), Some(&13));
    assert_eq!(by_code.get("badre"), Some(&16));
    assert_eq!(by_code.get("empty"), Some(&20));
    assert!(matches!(by_code.get("dup"), Some(9 | 11)));
    assert!(by_code.contains_key("a") || by_code.contains_key("b"));
}

#[test]
fn each_problem_alone_is_an_error_naming_its_line_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, u64, &str, &str); 5] = [
        (
            "dup",
            "codebook: x\ncodes:\n  - id: one\n    rules: {en: [a]}\n  - id: one\n    rules: {en: [b]}\n",
            3,
            "one",
            "duplicate",
        ),
        (
            "parent",
            "codebook: x\ncodes:\n  - id: one\n    rules: {en: [a]}\n  - id: two\n    parent: ghost\n    rules: {en: [b]}\n",
            5,
            "two",
            "ghost",
        ),
        (
            "cycle",
            "codebook: x\ncodes:\n  - id: a\n    parent: b\n    rules: {en: [a]}\n  - id: b\n    parent: a\n    rules: {en: [b]}\n",
            3,
            "a",
            "cycle",
        ),
        (
            "regex",
            "codebook: x\ncodes:\n  - id: one\n    rules: {en: [a]}\n  - id: two\n    rules:\n      ru:\n        - regex: [\"[z-a]\"]\n",
            5,
            "two",
            "regex",
        ),
        (
            "leaf",
            "codebook: x\ncodes:\n  - id: one\n    rules: {en: [a]}\n  - id: two\n    owner: nobody\n",
            5,
            "two",
            "never match",
        ),
    ];
    for (name, yaml, line, code, what) in cases {
        let path = write(dir.path(), &format!("{name}.yaml"), yaml);
        let err = CodebookSpec::load(&path).unwrap_err().to_string();
        assert!(err.contains(s(&path)), "{name}: {err}");
        let duplicate_second = name == "dup" && err.contains("line 5: code `one`");
        assert!(
            err.contains(&format!("line {line}: code `{code}`")) || duplicate_second,
            "{name}: {err}"
        );
        assert!(err.contains(what), "{name}: {err}");
        // The error's own line is the problem's line (`file:line:`).
        if !duplicate_second {
            assert!(
                err.contains(&format!("{}:{line}:", s(&path))),
                "{name}: {err}"
            );
        }
    }
}

#[test]
fn yaml_that_does_not_parse_keeps_the_parsers_error_as_its_source() {
    use std::error::Error as _;
    let path = Path::new("bad.yaml");
    let err = CodebookSpec::from_yaml_str("codebook: x\ncodes: [\n  - id: a\n", path)
        .expect_err("unclosed list");
    let vocmine::Error::Yaml { line, what, .. } = &err else {
        panic!("not a YAML error: {err:?}");
    };
    assert_eq!((*line, *what), (3, "codebook YAML"));
    let source = err.source().expect("the parser's error");
    assert!(source.is::<serde_yaml_ng::Error>(), "{source:?}");
    assert_eq!(
        err.to_string(),
        format!("bad.yaml:3: invalid codebook YAML: {source}")
    );
}

#[test]
fn a_duplicate_id_is_reported_at_the_duplicate() {
    let yaml = "codebook: x\ncodes:\n  - id: one\n    rules: {en: [a]}\n  - id: one\n    rules: {en: [b]}\n";
    let spec = CodebookSpec::from_yaml_str(yaml, Path::new("dup.yaml")).unwrap();
    let problems = spec.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 5, "{problems:?}");
}

#[test]
fn flow_style_codes_have_line_numbers_too() {
    let yaml = "codebook: x\ncodes:\n  - {id: one, rules: {en: [a]}}\n  - {id: two, parent: ghost, rules: {en: [b]}}\n";
    let spec = CodebookSpec::from_yaml_str(yaml, Path::new("flow.yaml")).unwrap();
    let problems = spec.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 4, "{problems:?}");
}

#[test]
fn valid_codebook_has_no_problems_and_parents_need_no_rules() {
    let spec = load(MATCHING);
    assert!(spec.problems().is_empty(), "{:?}", spec.problems());
    assert_eq!(spec.codebook, "matching");
    assert_eq!(spec.codes.len(), 10);
    // `service` and `product` are parents without rules: fine.
    let service = spec.codes.iter().find(|c| c.id == "service").unwrap();
    assert!(service.rules.is_empty() && service.exemplars.is_empty());
    // Owners are inherited from the nearest ancestor.
    assert_eq!(spec.owner_of("service.waiting"), Some("service_dept"));
    assert_eq!(spec.owner_of("service.support"), Some("support_team"));
    assert_eq!(spec.owner_of("product.app"), Some("product_team"));
    let e = engine(spec);
    let cb = e.codebook().unwrap();
    assert_eq!(cb.name(), "matching");
    assert_eq!(cb.ancestors("service.waiting"), ["service"]);
    assert_eq!(cb.owner("service.waiting"), Some("service_dept"));
    let mut leaves = cb.leaf_ids();
    leaves.sort_unstable();
    assert_eq!(
        leaves,
        [
            "billing.order",
            "feature_request",
            "product.app",
            "product.battery",
            "product.returns",
            "product.screen",
            "service.support",
            "service.waiting"
        ]
    );
}

#[test]
fn codebook_check_prints_the_tree_or_exits_2_with_file_line_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.yaml", MATCHING);
    let out = run(&["codebook", "check", s(&good)]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("matching"), "{stdout}");
    assert!(stdout.contains("valid"), "{stdout}");
    assert!(stdout.contains("10 codes"), "{stdout}");
    // The tree: roots at column 0, children indented below their parent.
    let lines: Vec<&str> = stdout.lines().collect();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in\n{stdout}"))
    };
    let service = at("service ");
    let waiting = at("  service.waiting ");
    let support = at("  service.support ");
    let product = at("product ");
    assert!(service < waiting && service < support, "{stdout}");
    assert!(waiting < product && support < product, "{stdout}");
    assert!(
        lines[waiting].contains("service_dept"),
        "owner inherited: {stdout}"
    );
    assert!(lines[support].contains("support_team"), "{stdout}");

    // One problem: exit 2, `file:line` and the code on stderr.
    let bad = write(
        dir.path(),
        "bad.yaml",
        "codebook: x\ncodes:\n  - id: one\n    rules: {en: [a]}\n  - id: two\n    parent: ghost\n    rules: {en: [b]}\n",
    );
    let out = run(&["codebook", "check", s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:5", s(&bad))), "{stderr}");
    assert!(stderr.contains("`two`"), "{stderr}");
    assert!(stderr.contains("ghost"), "{stderr}");
    assert!(out.stdout.is_empty(), "no tree for an invalid codebook");

    // Several problems: all on stderr.
    let broken = write(dir.path(), "broken.yaml", INVALID);
    let out = run(&["codebook", "check", s(&broken)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(s(&broken)), "{stderr}");
    for code in ["`dup`", "`orphan`", "`badre`", "`empty`"] {
        assert!(stderr.contains(code), "{code} in {stderr}");
    }
}

// ------------------------------------------------------ 2. table import

const TABLE: &str = "id,parent,label_en,owner,keywords_en,keywords_zh,exclude_en,exemplars,point
service,,Service,service_dept,,,,,
service.waiting,service,Waiting,,waiting;queue,排队|等待,queue jumping,I waited an hour|排队排了一个小时,pain
service.support,service,Support,support_team,customer service,客服,,,
";

#[test]
fn csv_table_imports_into_the_same_codes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "shop.csv", TABLE);
    let spec = CodebookSpec::load(&path).unwrap();
    assert!(spec.problems().is_empty());
    assert_eq!(spec.codebook, "shop", "named after the file");
    let ids: Vec<&str> = spec.codes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["service", "service.waiting", "service.support"]);
    let waiting = &spec.codes[1];
    assert_eq!(waiting.parent.as_deref(), Some("service"));
    assert_eq!(
        waiting.labels.get("en").map(String::as_str),
        Some("Waiting")
    );
    assert_eq!(waiting.owner, None);
    assert_eq!(spec.owner_of("service.waiting"), Some("service_dept"));
    assert_eq!(spec.owner_of("service.support"), Some("support_team"));
    assert_eq!(waiting.point, Some(PointKind::Pain));
    assert_eq!(waiting.exemplars, ["I waited an hour", "排队排了一个小时"]);
    let en = waiting.rules["en"].rules();
    assert_eq!(en.len(), 1);
    assert_eq!(en[0].any, ["waiting", "queue"]);
    assert_eq!(en[0].not, ["queue jumping"]);
    let zh = waiting.rules["zh"].rules();
    assert_eq!(zh[0].any, ["排队", "等待"]);
    assert!(zh[0].not.is_empty(), "exclude_en applies to en only");
    assert!(matches!(waiting.rules["en"], RulesSpec::One(_)));
    assert!(spec.codes[0].rules.is_empty());

    // And it codes like the YAML would.
    let e = engine(spec);
    let a = text(&e, "We waited in the queue for an hour");
    assert_eq!(clause_codes(&a), ["service.waiting"]);
    let cc = &a.clauses[0].codes[0];
    assert_eq!(cc.point, PointKind::Pain, "the `point` column is a hint");
    assert_eq!(cc.owner.as_deref(), Some("service_dept"));
    assert_eq!(coded(&e, "People kept queue hopping"), ["service.waiting"]);
    assert!(
        coded(&e, "People kept queue jumping").is_empty(),
        "excluded"
    );
    assert_eq!(coded(&e, "排队的人太多"), ["service.waiting"]);
    assert_eq!(
        coded(&e, "customer service never answered"),
        ["service.support"]
    );
}

#[test]
fn csv_table_converts_to_yaml_that_loads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "shop.csv", TABLE);
    let yaml = dir.path().join("shop.yaml");
    let out = run(&["codebook", "check", s(&csv), "--yaml", s(&yaml)]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  service.waiting"), "{stdout}");
    let a = CodebookSpec::load(&csv).unwrap();
    let b = CodebookSpec::load(&yaml).unwrap();
    assert_eq!(a.to_yaml().unwrap(), b.to_yaml().unwrap());
}

#[test]
fn bad_table_values_are_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.csv",
        "id,parent,keywords_en,point\nservice,,queue,\nservice.waiting,service,waiting,annoying\n",
    );
    let err = CodebookSpec::load(&path).unwrap_err().to_string();
    assert!(err.contains(&format!("{}:3:", s(&path))), "{err}");
    assert!(err.contains("service.waiting"), "{err}");
    assert!(err.contains("annoying"), "{err}");

    // Structural problems point at the row of the code.
    let path = write(
        dir.path(),
        "orphan.csv",
        "id,parent,keywords_en\nservice,,queue\nservice.waiting,service,waiting\nbilling.refund,billing,refund\n",
    );
    let err = CodebookSpec::load(&path).unwrap_err().to_string();
    assert!(err.contains(s(&path)), "{err}");
    assert!(err.contains("line 4: code `billing.refund`"), "{err}");
    assert!(err.contains("unknown parent `billing`"), "{err}");

    // A table without an `id` column.
    let path = write(dir.path(), "noid.csv", "code,keywords_en\nx,y\n");
    let err = CodebookSpec::load(&path).unwrap_err().to_string();
    assert!(err.contains("`id`"), "{err}");
}

// ----------------------------------------------------------- 3. matching

#[test]
fn english_terms_match_by_stem_and_phrases_as_sequences() {
    let e = matching();
    assert_eq!(coded(&e, "we waited for ages"), ["service.waiting"]);
    assert_eq!(coded(&e, "Waiting is the worst part"), ["service.waiting"]);
    assert_eq!(coded(&e, "The QUEUES were long"), ["service.waiting"]);
    assert_eq!(
        coded(&e, "I called customer service yesterday"),
        ["service.support"]
    );
    // Both words, not as the phrase.
    assert!(coded(&e, "the service for customers was slow").is_empty());
    assert!(coded(&e, "nothing relevant in this sentence").is_empty());
}

#[test]
fn russian_terms_match_by_stem() {
    let e = matching();
    assert_eq!(coded(&e, "В очереди стояли долго"), ["service.waiting"]);
    assert_eq!(
        coded(&e, "Служба поддержки не отвечает"),
        ["service.support"]
    );
    assert_eq!(coded(&e, "Пришлось ждать до вечера"), ["service.waiting"]);
}

#[test]
fn chinese_terms_match_as_substrings_after_traditional_folding() {
    let e = matching();
    // Traditional text, simplified rule.
    let a = text(&e, "等待時間太長了");
    assert_eq!(clause_codes(&a), ["service.waiting"]);
    assert_eq!(a.clauses[0].text, "等待時間太長了", "the original is kept");
    assert_eq!(coded(&e, "排隊排了兩個小時"), ["service.waiting"]);
    // Simplified text, traditional rule (退貨).
    assert_eq!(coded(&e, "我要退货"), ["product.returns"]);
    assert_eq!(coded(&e, "申請退貨很麻煩"), ["product.returns"]);
    // Substring of a longer word.
    assert_eq!(coded(&e, "客服人员一直不回复"), ["service.support"]);
    assert!(coded(&e, "菜很好吃").is_empty());
}

#[test]
fn all_not_near_and_regex_parts() {
    let e = matching();
    // all: every term.
    assert_eq!(
        coded(&e, "the screen cracked after a week"),
        ["product.screen"]
    );
    assert!(coded(&e, "the screen is too dim").is_empty());
    assert!(coded(&e, "the case cracked").is_empty());
    // not: excluded.
    assert_eq!(
        coded(&e, "the battery drains overnight"),
        ["product.battery"]
    );
    assert!(coded(&e, "the battery charger is missing").is_empty());
    // near: within the window (in tokens), not beyond.
    assert_eq!(coded(&e, "the app keeps crashing"), ["product.app"]);
    assert_eq!(coded(&e, "the app would suddenly crash"), ["product.app"]);
    assert!(coded(&e, "the app then suddenly would crash").is_empty());
    assert!(coded(
        &e,
        "the app worked fine for many weeks until it started to crash"
    )
    .is_empty());
    // regex, over the folded (lowercased, NFKC) clause.
    assert_eq!(
        coded(&e, "My order #123456 never arrived"),
        ["billing.order"]
    );
    assert_eq!(coded(&e, "ORDER 98765 is missing"), ["billing.order"]);
    assert_eq!(coded(&e, "Order ９８７６５ is missing"), ["billing.order"]);
    assert!(coded(&e, "my order 12 is missing").is_empty());
}

#[test]
fn codes_roll_up_to_parents_with_owners() {
    let e = matching();
    // Two codes on one clause.
    let a = text(&e, "customer service kept me waiting");
    assert_eq!(a.clauses.len(), 1);
    let mut got = ids(&a.clauses[0]);
    got.sort_unstable();
    assert_eq!(got, ["service.support", "service.waiting"]);
    for c in &a.clauses[0].codes {
        let owner = if &*c.code == "service.support" {
            "support_team"
        } else {
            "service_dept"
        };
        assert_eq!(c.owner.as_deref(), Some(owner), "{}", c.code);
        assert!(c.score >= 0.5 && c.score <= 1.0);
        assert!(c.evidence.rule.is_some());
    }
    let rec: BTreeMap<&str, _> = a.record_codes().iter().map(|c| (&*c.code, c)).collect();
    assert_eq!(
        rec.keys().copied().collect::<Vec<_>>(),
        ["service", "service.support", "service.waiting"]
    );
    assert!(rec["service"].rolled_up);
    assert!(!rec["service.waiting"].rolled_up);
    assert!(!rec["service.support"].rolled_up);
    assert_eq!(rec["service"].clauses, 1, "one clause, counted once");
    assert_eq!(rec["service"].owner.as_deref(), Some("service_dept"));
    assert_eq!(
        rec["service.waiting"].owner.as_deref(),
        Some("service_dept")
    );
    assert_eq!(
        rec["service.support"].owner.as_deref(),
        Some("support_team")
    );

    // Two clauses under one parent, and a root code without parent.
    let a = text(
        &e,
        "The queue was long. Customer service was slow. My order #55555 is lost.",
    );
    let rec: BTreeMap<&str, _> = a.record_codes().iter().map(|c| (&*c.code, c)).collect();
    assert_eq!(rec["service"].clauses, 2);
    assert_eq!(rec["service.waiting"].clauses, 1);
    assert!(!rec["billing.order"].rolled_up);
    assert_eq!(rec["billing.order"].owner.as_deref(), Some("billing"));
    assert_eq!(rec.len(), 4, "{:?}", rec.keys());
}

// ------------------------------------------------------ 3b. zero-shot codes

/// A toy embedder: one axis per topic word found in the text, plus a shared
/// axis every text has (as real embeddings share a large common direction).
fn toy_embed(texts: &[&str]) -> vocmine::Result<Vec<Vec<f32>>> {
    const AXES: [&[&str]; 4] = [
        &["engine", "power", "acceleration", "动力"],
        &["fuel", "consumption", "油耗"],
        &["seat", "comfort", "ride"],
        &["weather", "friday"],
    ];
    Ok(texts
        .iter()
        .map(|t| {
            let t = t.to_lowercase();
            let mut v: Vec<f32> = AXES
                .iter()
                .map(|words| words.iter().filter(|w| t.contains(*w)).count() as f32)
                .collect();
            v.push(3.0);
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / n).collect()
        })
        .collect())
}

/// The codes `cb` gives the first clause of `t` under the toy embedder, sorted.
fn toy_codes(e: &Engine, cb: &vocmine::Codebook, t: &str) -> Vec<String> {
    let a = analyzed(e, t);
    let terms = a.work.terms(0).expect("terms kept");
    let emb = toy_embed(&[t]).unwrap().remove(0);
    let mut c: Vec<String> = cb
        .classify(terms, Some(&emb), None)
        .into_iter()
        .map(|c| c.code.to_string())
        .collect();
    c.sort();
    c
}

/// A codebook of labels, descriptions and exemplars only (no rules) codes
/// clauses: the nearest code's prototype wins, codes within the margin of
/// the best also count, a clause near no code gets none, a label found in
/// the clause is evidence by itself, and parent codes are never coded
/// directly.
#[test]
fn zero_shot_codes_compete_by_prototype_and_labels_count_as_evidence() {
    let spec = load(
        r#"codebook: cars
settings: {zero_shot_threshold: 0.02, exemplar_margin: 0.01}
codes:
  - id: drive
    labels: {en: Driving}
  - id: drive.power
    parent: drive
    labels: {en: Power, zh: 动力}
    description: How strong the engine is.
    exemplars: [plenty of power, weak acceleration]
  - id: drive.fuel
    parent: drive
    labels: {en: Fuel economy}
    exemplars: [high consumption, it drinks fuel]
  - id: comfort
    labels: {en: Comfort}
    exemplars: [hard seats, a smooth ride]
"#,
    );
    let e = engine(spec.clone());
    let cb = vocmine::Codebook::compile(spec, e.segmenter(), Some((&toy_embed, "toy")))
        .expect("compiles with an embedder");
    let code = |t: &str| toy_codes(&e, &cb, t);
    // nearest prototype, no rule needed
    assert_eq!(code("the acceleration is sluggish"), ["drive.power"]);
    assert_eq!(code("fuel use on the highway"), ["drive.fuel"]);
    // two codes equally near: both (the margin)
    assert_eq!(code("engine and seat"), ["comfort", "drive.power"]);
    // near no code: nothing
    assert!(code("we went there on friday").is_empty());
    // a label in the clause is evidence by itself, in its language
    let a = analyzed(&e, "说说动力");
    let terms = a.work.terms(0).expect("terms kept");
    let coded = cb.classify(terms, None, None);
    assert_eq!(coded.len(), 1, "{coded:?}");
    assert_eq!(&*coded[0].code, "drive.power");
    assert_eq!(coded[0].evidence.rule.as_deref(), Some("动力"));
    // the parent's label is no rule: parents are coded by roll-up only
    let a = analyzed(&e, "driving is fun");
    let terms = a.work.terms(0).expect("terms kept");
    assert!(cb.classify(terms, None, None).is_empty());

    // Without a threshold, the codebook calibrates one on its own exemplars:
    // the nearest code still wins, and a clause near no code gets none.
    let yaml = cb.spec().source.clone().expect("the source is kept");
    let calibrated = load(&yaml.replace(
        "settings: {zero_shot_threshold: 0.02, exemplar_margin: 0.01}\n",
        "",
    ));
    assert!(calibrated.settings.zero_shot_threshold.is_none());
    let cb = vocmine::Codebook::compile(calibrated, e.segmenter(), Some((&toy_embed, "toy")))
        .expect("compiles with an embedder");
    let code = |t: &str| toy_codes(&e, &cb, t);
    assert_eq!(code("the acceleration is sluggish"), ["drive.power"]);
    assert_eq!(code("fuel use on the highway"), ["drive.fuel"]);
    assert!(code("we went there on friday").is_empty());
    // the default margin is relative: codes at 0.8 of the best count too
    let relative = load(&yaml.replace(
        "{zero_shot_threshold: 0.02, exemplar_margin: 0.01}",
        "{zero_shot_threshold: 0.02}",
    ));
    let cb = vocmine::Codebook::compile(relative, e.segmenter(), Some((&toy_embed, "toy")))
        .expect("compiles with an embedder");
    assert_eq!(
        toy_codes(&e, &cb, "engine and seat"),
        ["comfort", "drive.power"]
    );
    assert_eq!(
        toy_codes(&e, &cb, "the acceleration is sluggish"),
        ["drive.power"]
    );
    for (setting, bad) in [
        ("exemplar_margin_ratio", "{exemplar_margin_ratio: 1.5}"),
        ("exemplar_margin", "{exemplar_margin: -0.01}"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "cb.yaml",
            &yaml.replace("{zero_shot_threshold: 0.02, exemplar_margin: 0.01}", bad),
        );
        let err = CodebookSpec::load(&path).expect_err(bad).to_string();
        assert!(err.contains(setting), "{bad}: {err}");
    }
}

/// Codes with rules keep them: their exemplar evidence needs the stricter
/// `exemplar_threshold`, and their labels are no rules.
#[test]
fn codes_with_rules_are_not_diluted_by_zero_shot_evidence() {
    let spec = load(
        r#"codebook: cars
settings: {zero_shot_threshold: 0.0, exemplar_threshold: 0.5}
codes:
  - id: power
    labels: {en: Power}
    rules: {en: [horsepower]}
    exemplars: [The engine has plenty of power]
  - id: fuel
    labels: {en: Fuel}
    exemplars: [Fuel consumption is high]
"#,
    );
    let e = engine(spec.clone());
    let cb = vocmine::Codebook::compile(spec, e.segmenter(), Some((&toy_embed, "toy")))
        .expect("compiles with an embedder");
    let code = |t: &str| toy_codes(&e, &cb, t);
    assert_eq!(code("so much horsepower"), ["power"]);
    // near the power exemplar, but under the rule-code threshold; the label
    // "power" of a code with rules is no rule either
    assert!(code("the power of the engine").is_empty());
    // the rule-less code fires on its prototype and on its label
    assert_eq!(code("fuel consumption"), ["fuel"]);
}

/// `LearnedModel::train` with record evidence keeps a code's classifier
/// only when its cross-validated record decisions beat the codebook
/// without it, and beat answering yes to every text.
#[test]
fn learned_classifiers_must_beat_the_codebook_without_them() {
    use vocmine::stages::codebook::{LearnedModel, RecordEvidence, TrainOptions};
    let dim = 4;
    let n = 60;
    // Code 0 is a clean linear signal on axis 0; code 1 is noise.
    let mut x = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let pos = i % 3 == 0;
        let noise = ((i * 7919) % 13) as f32 / 13.0;
        x.extend([if pos { 1.0 } else { -1.0 }, noise, 0.5, -0.5]);
        let mut l = Vec::new();
        if pos {
            l.push(0);
        }
        if (i * 31) % 4 == 0 {
            l.push(1);
        }
        labels.push(l);
    }
    let codes = vec!["signal".to_string(), "noise".to_string()];
    let extra = vec![vec![[0.0f32; 2]; n]; 2];
    // Each text is one clause (its own embedding).
    let records = |bare: Vec<Vec<usize>>| RecordEvidence {
        x: x.clone(),
        spans: (0..n).map(|i| i..i + 1).collect(),
        extra: extra.clone(),
        bare,
        voice: Vec::new(),
        vocab: Vec::new(),
        terms: Vec::new(),
    };
    let opts = TrainOptions::default();
    let kept = |m: &LearnedModel| m.codes.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
    // Nothing codes the texts without classifiers: the signal earns one, the
    // noise does not (no better than answering yes everywhere).
    let none = records(vec![Vec::new(); n]);
    let m = LearnedModel::train(
        "t",
        "toy",
        &codes,
        &x,
        dim,
        &labels,
        &extra,
        Some(&none),
        opts,
    );
    assert_eq!(kept(&m), ["signal"]);
    assert!(m.codes[0].heldout_f1 > 0.9, "{:?}", m.codes[0].heldout_f1);
    assert_eq!(m.codes[0].baseline_f1, 0.0);
    // The codebook already codes the signal perfectly: no classifier.
    let perfect = records(
        labels
            .iter()
            .map(|l| l.iter().copied().filter(|&k| k == 0).collect())
            .collect(),
    );
    let m = LearnedModel::train(
        "t",
        "toy",
        &codes,
        &x,
        dim,
        &labels,
        &extra,
        Some(&perfect),
        opts,
    );
    assert!(kept(&m).is_empty(), "{:?}", kept(&m));
}

/// The default encoder and training settings short enough for a test.
fn encoder_and_quick_training(
    dir: &Path,
) -> (
    vocmine::neural::encoder::Encoder,
    vocmine::stages::codebook::TrainOptions,
) {
    let enc = vocmine::neural::encoder::Encoder::builder(dir)
        .project_root(root())
        .build()
        .expect("model");
    let opts = vocmine::stages::codebook::TrainOptions {
        epochs: 100,
        ..Default::default()
    };
    (enc, opts)
}

/// `f` on an engine (encoder `enc`, codebook `cb`) of 1 thread and on one of
/// 2: the results must be equal; returns it.
fn on_1_and_2_threads<T: PartialEq + std::fmt::Debug>(
    enc: &vocmine::neural::encoder::Encoder,
    cb: &CodebookSpec,
    f: impl Fn(&Engine) -> T,
) -> T {
    let [one, two] = [1, 2].map(|threads| {
        let e = Engine::builder()
            .threads(threads)
            .encoder(enc.clone())
            .codebook(cb.clone())
            .build()
            .unwrap();
        f(&e)
    });
    assert_eq!(one, two, "1 thread vs 2");
    one
}

/// Gold for the learning tests: the codes the automotive rules give the
/// first 260 sample records (rolled-up parents left out), each with the
/// point `point` gives its code.
fn rule_gold(
    auto: &CodebookSpec,
    point: impl Fn(&str) -> Option<PointKind>,
) -> Vec<vocmine::stages::codebook::GoldItem> {
    let records: Vec<Record> = sample_records().into_iter().take(260).collect();
    let rules = Engine::builder().codebook(auto.clone()).build().unwrap();
    rules
        .analyze_batch(&records)
        .unwrap()
        .iter()
        .filter_map(|o| {
            let a = o.analysis()?;
            Some(vocmine::stages::codebook::GoldItem {
                id: Value::from(a.id.to_string()),
                text: a.text.clone()?,
                language: None,
                codes: a
                    .record_codes()
                    .iter()
                    .filter(|c| !c.rolled_up)
                    .map(|c| GoldCode {
                        code: c.code.to_string(),
                        point: point(&c.code),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// `learn` through the engine, with the default model: the classifiers are
/// fitted on the clauses of each gold text (the record decision the
/// product makes), the same whatever the thread count, and they learn a
/// topic that the gold carries. Gold: the automotive codebook's rule codes
/// on sample records; the codebook learned has no rules, only labels.
#[test]
fn learn_fits_on_clauses_and_does_not_depend_on_the_thread_count() {
    use vocmine::stages::codebook::learn;
    let Some(dir) = default_model() else {
        eprintln!("SKIPPED: the default model is not built");
        return;
    };
    let auto = CodebookSpec::load(root().join("corpora/codebooks/automotive.yaml")).unwrap();
    let gold = rule_gold(&auto, |_| None);
    assert!(gold.len() > 150, "{}", gold.len());
    let mut bare = auto.clone();
    for c in &mut bare.codes {
        c.rules.clear();
        c.exemplars.clear();
    }
    bare.settings.learned = None;
    let (enc, opts) = encoder_and_quick_training(&dir);
    let m = &on_1_and_2_threads(&enc, &bare, |e| learn(e, &bare, &gold, opts).unwrap());
    assert_eq!(m.dim, 384);
    assert!(m.codes.len() >= 2, "{:?}", m.codes);
    // Labels alone code these topics poorly; the classifiers learn them.
    let best = m
        .codes
        .iter()
        .filter(|c| c.positives >= 15)
        .map(|c| c.heldout_f1 - c.baseline_f1)
        .fold(f32::NEG_INFINITY, f32::max);
    assert!(best > 0.2, "{:?}", m.codes);
    assert!(m.codes.iter().all(|c| c.w.len() == 384));
    // They read the clauses' lexical features too: the terms of two or
    // more texts, a weight on each for every code.
    assert!(m.terms.len() > 50, "{} terms", m.terms.len());
    assert!(m.codes.iter().all(|c| c.term_w.len() == m.terms.len()));
    // On average over the codes with 10 or more positives, the held-out
    // record F1 with the classifier beats the codebook's without it (a
    // single code may be held back on purpose: see `learned::choose`).
    let gains: Vec<f32> = m
        .codes
        .iter()
        .filter(|c| c.positives >= 10)
        .map(|c| c.heldout_f1 - c.baseline_f1)
        .collect();
    assert!(gains.len() >= 4, "{:?}", m.codes);
    assert!(
        gains.iter().sum::<f32>() / gains.len() as f32 > 0.08,
        "{gains:?}"
    );
}

/// `learn_points` keeps a codebook's learned classifiers exactly and fits
/// only the point head; it learns a point the voice type cannot give (here
/// the gold point depends on the code), the same whatever the thread count,
/// and refuses gold without points and classifiers from another encoder.
#[test]
fn learn_points_keeps_the_classifiers_and_learns_the_points() {
    use vocmine::stages::codebook::{learn_points, GoldItem, LearnedModel};
    let Some(dir) = default_model() else {
        eprintln!("SKIPPED: the default model is not built");
        return;
    };
    let mut auto = CodebookSpec::load(root().join("corpora/codebooks/automotive.yaml")).unwrap();
    auto.settings.learned = None;
    // The gold point is a function of the code (delight for the product
    // codes, pain for sales and after-sales), which no clause's voice type
    // can know.
    let gold = rule_gold(&auto, |code| {
        Some(if code.starts_with("product") {
            PointKind::Delight
        } else {
            PointKind::Pain
        })
    });
    let points = |k: PointKind| -> usize {
        gold.iter()
            .flat_map(|g| &g.codes)
            .map(|c| usize::from(c.point == Some(k)))
            .sum()
    };
    assert!(
        points(PointKind::Delight) >= 10 && points(PointKind::Pain) >= 10,
        "{} / {}",
        points(PointKind::Delight),
        points(PointKind::Pain)
    );
    let (enc, opts) = encoder_and_quick_training(&dir);
    // A stand-in for a shipped file: one classifier, whose weights must come
    // back untouched.
    let kept = vocmine::stages::codebook::LearnedCode {
        code: auto.codes[0].id.clone(),
        positives: 7,
        w: (0..384).map(|i| (i as f32 * 0.37).sin() * 0.01).collect(),
        b: -4.0,
        rule_w: 0.5,
        exemplar_w: 0.25,
        heldout_f1: 0.5,
        baseline_f1: 0.4,
        term_w: Vec::new(),
    };
    let current = LearnedModel {
        codebook: auto.codebook.clone(),
        encoder: enc.config().name.clone(),
        dim: 384,
        examples: 99,
        codes: vec![kept],
        points: None,
        terms: Vec::new(),
    };
    let m = &on_1_and_2_threads(&enc, &auto, |e| {
        learn_points(e, &auto, &gold, current.clone(), opts).unwrap()
    });
    assert_eq!(m.codes, current.codes);
    assert_eq!((m.examples, m.dim, &m.encoder), (99, 384, &current.encoder));
    let head = m.points.as_ref().expect("a point head");
    assert!(
        head.heldout_accuracy > head.voice_accuracy + 0.1,
        "{} vs {}",
        head.heldout_accuracy,
        head.voice_accuracy
    );
    let e = Engine::builder()
        .encoder(enc.clone())
        .codebook(auto.clone())
        .build()
        .unwrap();
    // Gold without points, and classifiers from another encoder.
    let pointless: Vec<GoldItem> = gold
        .iter()
        .cloned()
        .map(|mut g| {
            g.codes.iter_mut().for_each(|c| c.point = None);
            g
        })
        .collect();
    let err = learn_points(&e, &auto, &pointless, current.clone(), opts).unwrap_err();
    assert!(err.to_string().contains("gives a point"), "{err}");
    let other = LearnedModel {
        encoder: "another-encoder".into(),
        ..current.clone()
    };
    let err = learn_points(&e, &auto, &gold, other, opts).unwrap_err();
    assert!(err.to_string().contains("another-encoder"), "{err}");
    // and classifiers of a code the codebook no longer has
    let mut stale = current;
    stale.codes[0].code = "sales.removed".into();
    let err = learn_points(&e, &auto, &gold, stale, opts).unwrap_err();
    assert!(err.to_string().contains("`sales.removed`"), "{err}");
}

// ------------------------------------------------------------- 4. points

fn point_of(e: &Engine, t: &str, code: &str) -> PointKind {
    let a = text(e, t);
    let found: Vec<PointKind> = a
        .clauses
        .iter()
        .flat_map(|c| c.codes.iter())
        .filter(|c| &*c.code == code)
        .map(|c| c.point)
        .collect();
    assert_eq!(found.len(), 1, "{t:?} → {:?}", clause_codes(&a));
    found[0]
}

#[test]
fn points_from_cues_without_sentiment() {
    let e = matching();
    let w = "service.waiting";
    let cs = "service.support";
    // itch
    assert_eq!(
        point_of(&e, "I wish the queue were shorter", w),
        PointKind::Itch
    );
    assert_eq!(point_of(&e, "希望排队快一点", w), PointKind::Itch);
    assert_eq!(
        point_of(&e, "Хотелось бы не стоять в очереди", w),
        PointKind::Itch
    );
    // delight
    assert_eq!(
        point_of(&e, "I was pleasantly surprised by customer service", cs),
        PointKind::Delight
    );
    assert_eq!(point_of(&e, "客服让我很惊喜", cs), PointKind::Delight);
    assert_eq!(
        point_of(&e, "Служба поддержки приятно удивила", cs),
        PointKind::Delight
    );
    // a negated delight cue is no delight
    let p = point_of(&e, "I was not pleasantly surprised by customer service", cs);
    assert_ne!(p, PointKind::Delight);
    assert_ne!(p, PointKind::Itch);
    // pain
    assert_eq!(point_of(&e, "The queue was terrible", w), PointKind::Pain);
    assert_eq!(point_of(&e, "排队太慢", w), PointKind::Pain);
    assert_eq!(point_of(&e, "Очередь ужасно длинная", w), PointKind::Pain);
    // itch wins over pain in the same clause
    assert_eq!(
        point_of(&e, "I wish the terrible queue were shorter", w),
        PointKind::Itch
    );
    // no cue: a mention
    assert_eq!(point_of(&e, "The queue was long", w), PointKind::Mention);
    // the code's hint overrides the cues
    let f = "feature_request";
    assert_eq!(point_of(&e, "dark mode is terrible", f), PointKind::Itch);
    assert_eq!(
        point_of(&e, "I was pleasantly surprised by dark mode", f),
        PointKind::Itch
    );
    assert_eq!(point_of(&e, "dark mode", f), PointKind::Itch);
}

/// With the encoder's voice type on a clause, a coded clause takes its
/// point from it (a factual mention stays a mention even when the clause
/// leans negative; a wish is an itch), unless the code fixes its point;
/// pains and itches that no code caught are counted as uncoded.
#[test]
fn points_follow_the_clause_voice_type_and_uncoded_voices_are_counted() {
    let e = matching();
    let cb = e.codebook().expect("the engine has the codebook");
    let probs = |negative, neutral, positive| {
        Sentiment::from_probs(Probs {
            negative,
            neutral,
            positive,
        })
    };
    let point = |t: &str, code: &str, s: &Sentiment, itch: f32| -> PointKind {
        let a = analyzed(&e, t);
        let terms = a.work.terms(0).expect("clause terms are kept");
        let voice = Voice::new(s, Some(itch), false);
        let coded = cb.classify_voiced(terms, None, Some(s), Some(&voice));
        let found: Vec<PointKind> = coded
            .iter()
            .filter(|c| &*c.code == code)
            .map(|c| c.point)
            .collect();
        assert_eq!(found.len(), 1, "{t:?} → {coded:?}");
        found[0]
    };
    let w = "service.waiting";
    // neutral but leaning negative (polarity -0.4, which the sentiment
    // thresholds alone would call a pain): a mention
    let neutral = probs(0.45, 0.50, 0.05);
    assert!(neutral.polarity <= -0.3, "{neutral:?}");
    assert_eq!(
        point("The queue was long", w, &neutral, 0.1),
        PointKind::Mention
    );
    // a negative clause is a pain, a positive one a delight
    assert_eq!(
        point("The queue was long", w, &probs(0.8, 0.1, 0.1), 0.1),
        PointKind::Pain
    );
    assert_eq!(
        point("The queue was long", w, &probs(0.1, 0.1, 0.8), 0.1),
        PointKind::Delight
    );
    // the itch probability makes a wish an itch, whatever the sentiment
    assert_eq!(
        point("The queue was long", w, &probs(0.8, 0.1, 0.1), 0.9),
        PointKind::Itch
    );
    // the codebook's own itch cue still wins, and so does a code's fixed point
    assert_eq!(
        point(
            "I wish the queue were shorter",
            w,
            &probs(0.1, 0.1, 0.8),
            0.1
        ),
        PointKind::Itch
    );
    assert_eq!(
        point(
            "dark mode is terrible",
            "feature_request",
            &probs(0.9, 0.05, 0.05),
            0.0
        ),
        PointKind::Itch
    );

    // uncoded pains and itches: counted only where a codebook ran
    let mut a = analyzed(
        &e,
        "The queue was long. The weather was awful. Please add a kids corner",
    );
    assert_eq!(a.clauses.len(), 3, "{:?}", a.clauses);
    let voices = [
        (probs(0.8, 0.1, 0.1), 0.0),
        (probs(0.9, 0.05, 0.05), 0.0),
        (probs(0.1, 0.6, 0.3), 0.95),
    ];
    let mut counts = VoiceCounts::default();
    for (c, (s, q)) in a.clauses.iter_mut().zip(voices) {
        let v = Voice::new(&s, Some(q), false);
        counts.add(v.label);
        c.sentiment = Some(s);
        c.voice = Some(v);
    }
    a.voices = Some(counts);
    cb.code_analysis(&mut a.analysis, &a.work);
    let v = a.voices.expect("voice counts");
    assert_eq!((v.pain, v.itch), (2, 1));
    assert!(!a.clauses[0].codes.is_empty(), "the queue clause is coded");
    assert!(
        a.clauses[1].codes.is_empty() && a.clauses[2].codes.is_empty(),
        "{:?}",
        clause_codes(&a)
    );
    assert_eq!((v.uncoded_pain, v.uncoded_itch), (Some(1), Some(1)));
}

#[test]
fn points_carry_code_owner_and_spans_into_the_original_text() {
    let e = matching();
    let original = "  Ｈｅｌｌｏ！ The queue was terrible.  I wish customer service answered faster, dark mode please! 排隊太慢了。 The queue was long.";
    let a = text(&e, original);
    let got: Vec<(&str, PointKind)> = a
        .record_points()
        .iter()
        .map(|p| (&*p.code, p.point))
        .collect();
    assert_eq!(
        got,
        [
            ("service.waiting", PointKind::Pain),
            ("service.support", PointKind::Itch),
            ("feature_request", PointKind::Itch),
            ("service.waiting", PointKind::Pain),
        ],
        "mentions are no points; in clause order"
    );
    for p in a.record_points() {
        assert_eq!(p.turn, None);
        assert!(p.start < p.end);
        assert_eq!(chars(original, p.start, p.end), p.text, "span of {p:?}");
        let clause = a
            .clauses
            .iter()
            .find(|c| c.start == p.start)
            .expect("a clause at the point's start");
        assert_eq!(clause.text, p.text);
        assert_eq!(clause.end, p.end);
        assert!(clause
            .codes
            .iter()
            .any(|c| c.code == p.code && c.point == p.point));
        let owner = a
            .record_codes()
            .iter()
            .find(|c| c.code == p.code)
            .unwrap()
            .owner
            .clone();
        assert_eq!(p.owner, owner);
    }
    assert_eq!(a.record_points()[0].text, "The queue was terrible.");
    assert!(a.record_points()[3].text.starts_with("排隊太慢了"));
    assert_eq!(a.record_points()[0].owner.as_deref(), Some("service_dept"));
    assert_eq!(a.record_points()[1].owner.as_deref(), Some("support_team"));
    assert_eq!(a.record_points()[2].owner.as_deref(), Some("product_team"));
    // The record's point on a code: pain over itch over delight over mention.
    let rec = a
        .record_codes()
        .iter()
        .find(|c| &*c.code == "service.waiting")
        .unwrap();
    assert_eq!(rec.point, PointKind::Pain);
    assert_eq!(rec.clauses, 3);
    let parent = a
        .record_codes()
        .iter()
        .find(|c| &*c.code == "service")
        .unwrap();
    assert_eq!(parent.point, PointKind::Pain);
    assert!(parent.rolled_up);

    // The JSON carries them too.
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["points"][0]["code"], "service.waiting");
    assert_eq!(v["points"][0]["point"], "pain");
    assert_eq!(v["points"][0]["owner"], "service_dept");
    assert_eq!(v["points"][0]["turn"], Value::Null);
    assert_eq!(v["points"][0]["text"], "The queue was terrible.");
    assert!(v["codes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "service" && c["rolled_up"] == true));
}

// ------------------------------------------------------- 5. conversations

#[test]
fn only_customer_turns_are_coded_and_points_carry_the_turn() {
    let e = matching();
    // The agent's apology would be coded if a customer said it.
    assert_eq!(coded(&e, "抱歉让您久等了"), ["service.waiting"]);
    let a = analyze(
        &e,
        Record::conversation(
            "c1",
            vec![
                Turn::new("customer", "你好"),
                Turn::new("agent", "抱歉让您久等了"),
                Turn::new("customer", "排队太慢了"),
                Turn::new(
                    "bot",
                    "The queue is terrible today, customer service is busy",
                ),
            ],
        ),
    );
    for c in &a.clauses {
        if c.role != Role::Customer {
            assert!(c.codes.is_empty(), "{} turn coded: {:?}", c.text, c.codes);
        }
    }
    let agent = a.clauses.iter().find(|c| c.turn == Some(1)).unwrap();
    assert_eq!(agent.role, Role::Agent);
    assert!(agent.codes.is_empty());
    let customer = a.clauses.iter().find(|c| c.turn == Some(2)).unwrap();
    assert_eq!(ids(customer), ["service.waiting"]);
    assert_eq!(a.record_points().len(), 1, "{:?}", a.record_points());
    let p = &a.record_points()[0];
    assert_eq!(
        (&*p.code, p.point, p.turn, p.start, p.end, p.text.as_str()),
        (
            "service.waiting",
            PointKind::Pain,
            Some(2),
            0,
            5,
            "排队太慢了"
        )
    );
    let rec: BTreeMap<&str, _> = a.record_codes().iter().map(|c| (&*c.code, c)).collect();
    assert_eq!(rec.len(), 2, "{:?}", rec.keys());
    assert_eq!(
        rec["service.waiting"].clauses, 1,
        "the agent's clause is not counted"
    );
    assert!(rec["service"].rolled_up);

    // Spans are offsets in the turn's own text.
    let original = "你好。等待时间太长，希望客服快一点";
    let a = analyze(
        &e,
        Record::conversation(
            "c2",
            vec![
                Turn::new("agent", "您好，请问有什么可以帮您？"),
                Turn::new("customer", original),
            ],
        ),
    );
    assert!(!a.record_points().is_empty());
    for p in a.record_points() {
        assert_eq!(p.turn, Some(1));
        assert_eq!(chars(original, p.start, p.end), p.text);
    }
    assert!(a
        .record_points()
        .iter()
        .any(|p| &*p.code == "service.support" && p.point == PointKind::Itch));
}

// ---------------------------------------------------------- 6. evaluator

fn gold(codes: &[(&str, Option<PointKind>)]) -> Vec<GoldCode> {
    codes
        .iter()
        .map(|(c, p)| GoldCode {
            code: c.to_string(),
            point: *p,
        })
        .collect()
}

fn pred(codes: &[(&str, PointKind)]) -> Vec<(String, PointKind)> {
    codes.iter().map(|(c, p)| (c.to_string(), *p)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn evaluator_scores_match_a_hand_computation() {
    use PointKind::*;
    let texts = [
        // gold {a: pain, b: delight}; predicted {a: pain, c}
        (
            gold(&[("a", Some(Pain)), ("b", Some(Delight))]),
            pred(&[("a", Pain), ("c", Mention)]),
        ),
        // gold {b: itch}; predicted {b: delight}
        (gold(&[("b", Some(Itch))]), pred(&[("b", Delight)])),
        // gold {}; predicted {a}
        (gold(&[]), pred(&[("a", Pain)])),
    ];
    let mut ev = Evaluator::new(None);
    for (g, p) in &texts {
        ev.add(g, p);
    }
    let r = ev.report();
    assert_eq!(r.texts, 3);
    let by: BTreeMap<&str, _> = r.codes.iter().map(|c| (c.code.as_str(), c)).collect();
    // a: support 1, predicted 2, tp 1; b: 2, 1, 1; c: 0, 1, 0.
    let counts = |c: &str| (by[c].support, by[c].predicted, by[c].tp);
    assert_eq!(counts("a"), (1, 2, 1));
    assert_eq!(counts("b"), (2, 1, 1));
    assert_eq!(counts("c"), (0, 1, 0));
    assert!(close(by["a"].precision, 0.5) && close(by["a"].recall, 1.0));
    assert!(close(by["a"].f1, 2.0 / 3.0));
    assert!(close(by["b"].precision, 1.0) && close(by["b"].recall, 0.5));
    assert!(close(by["b"].f1, 2.0 / 3.0));
    assert!(close(by["c"].f1, 0.0));
    // micro: tp 2 of 4 predicted, of 3 gold.
    assert_eq!((r.micro.support, r.micro.predicted, r.micro.tp), (3, 4, 2));
    assert!(close(r.micro.precision, 0.5));
    assert!(close(r.micro.recall, 2.0 / 3.0));
    assert!(close(r.micro.f1, 4.0 / 7.0));
    // macro over the codes with support (a, b).
    assert!(close(r.macro_avg.precision, 0.75));
    assert!(close(r.macro_avg.recall, 0.75));
    assert!(close(r.macro_avg.f1, 2.0 / 3.0));
    // points over the pairs found in both: a pain→pain, b itch→delight.
    let mut confusion: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    confusion
        .entry("pain".into())
        .or_default()
        .insert("pain".into(), 1);
    confusion
        .entry("itch".into())
        .or_default()
        .insert("delight".into(), 1);
    assert_eq!(r.points, confusion);
    assert!(close(r.point_accuracy.unwrap(), 0.5));

    // Restricted to the gold codes: c is ignored.
    let only: BTreeSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
    let mut ev = Evaluator::new(Some(only));
    for (g, p) in &texts {
        ev.add(g, p);
    }
    let r = ev.report();
    assert!(r.codes.iter().all(|c| c.code != "c"));
    assert_eq!((r.micro.support, r.micro.predicted, r.micro.tp), (3, 3, 2));
    assert!(close(r.micro.f1, 2.0 / 3.0));

    // The table shows the micro line.
    let table = r.table();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("micro") && l.ends_with("0.667")),
        "{table}"
    );
}

const EVAL_CODEBOOK: &str = r#"codebook: eval
codes:
  - id: food
    rules: {en: [pizza, food]}
  - id: service
    rules: {en: [waiter, service]}
  - id: price
    rules: {en: [expensive, price]}
  - id: location
    rules: {en: [place]}
"#;

const EVAL_GOLD: &str = r#"{"id": 1, "text": "The pizza was cold.", "language": "en", "codes": [{"code": "food", "point": "pain"}]}
{"id": 2, "text": "The waiter was rude and the pizza was late.", "codes": [{"code": "service"}], "extra": true}

{"id": 3, "text": "Everything was too expensive.", "codes": [{"code": "price"}, {"code": "service"}]}
{"id": 4, "text": "Nice place.", "codes": []}
"#;

/// Hand computation: food 1 gold / 2 predicted / 1 tp; service 2 / 1 / 1;
/// price 1 / 1 / 1; location 0 / 1 / 0. Micro: 4 gold, 5 predicted, 3 tp →
/// P 0.6, R 0.75, F1 2/3. Without `location` (only gold codes): P = R = F1 = 0.75.
#[test]
fn eval_command_prints_the_hand_computed_micro_f1() {
    let dir = tempfile::tempdir().unwrap();
    let cb = write(dir.path(), "eval.yaml", EVAL_CODEBOOK);
    let gold_path = write(dir.path(), "gold.jsonl", EVAL_GOLD);
    let items = read_gold(&gold_path).unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].codes[0].point, Some(PointKind::Pain));
    assert!(items[3].codes.is_empty());

    // Library.
    let e = engine(CodebookSpec::load(&cb).unwrap());
    let r = evaluate(&e, &items, false).unwrap();
    assert_eq!((r.micro.support, r.micro.predicted, r.micro.tp), (4, 5, 3));
    assert!(close(r.micro.f1, 2.0 / 3.0), "{}", r.table());
    let r = evaluate(&e, &items, true).unwrap();
    assert!(close(r.micro.f1, 0.75), "{}", r.table());
    // food P .5 R 1, service P 1 R .5, price 1: macro F1 (2/3 + 2/3 + 1) / 3.
    assert!(close(r.macro_avg.f1, (2.0 / 3.0 + 2.0 / 3.0 + 1.0) / 3.0));
    // The point of text 1 (no cue: mention) against gold pain.
    assert_eq!(r.points["pain"]["mention"], 1);

    // Command line.
    let json = dir.path().join("report.json");
    let out = run(&[
        "eval",
        "--codebook",
        s(&cb),
        "--gold",
        s(&gold_path),
        "--no-model",
        "--json",
        s(&json),
    ]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let micro: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("micro"))
        .unwrap_or_else(|| panic!("no micro line in {stdout}"))
        .split_whitespace()
        .collect();
    assert_eq!(micro[1..4], ["4", "5", "3"], "{stdout}");
    assert_eq!(micro.last(), Some(&"0.667"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["texts"], 4);
    assert!(close(report["micro"]["f1"].as_f64().unwrap(), 2.0 / 3.0));
    assert!(close(report["micro"]["precision"].as_f64().unwrap(), 0.6));

    let out = run(&[
        "eval",
        "--codebook",
        s(&cb),
        "--gold",
        s(&gold_path),
        "--no-model",
        "--only-gold-codes",
        "--json",
        s(&json),
    ]);
    assert_ok(&out);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(close(report["micro"]["f1"].as_f64().unwrap(), 0.75));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("micro")).unwrap();
    assert!(line.ends_with("0.750"), "{stdout}");

    // The report into a pipe closed before it is written (`vocmine eval …
    // | head -0`) ends quietly: exit 0, no panic.
    let mut child = bin()
        .args(["eval", "--codebook", s(&cb), "--gold", s(&gold_path)])
        .arg("--no-model")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vocmine");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for vocmine");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn bad_gold_lines_and_unknown_gold_codes_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "gold.jsonl",
        "{\"text\": \"ok\", \"codes\": []}\n{\"codes\": []}\n",
    );
    let err = read_gold(&path).unwrap_err().to_string();
    assert!(err.contains(&format!("{}:2:", s(&path))), "{err}");

    let cb = write(dir.path(), "eval.yaml", EVAL_CODEBOOK);
    let gold_path = write(
        dir.path(),
        "gold2.jsonl",
        "{\"text\": \"The pizza was cold.\", \"codes\": [{\"code\": \"food\"}, {\"code\": \"drinks\"}]}\n",
    );
    let e = engine(CodebookSpec::load(&cb).unwrap());
    let r = evaluate(&e, &read_gold(&gold_path).unwrap(), false).unwrap();
    assert_eq!(r.unknown_gold_codes, ["drinks"]);
}

// ---------------------------------------------------- 7. shipped codebooks

fn shipped() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("corpora/codebooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    v.sort();
    v
}

#[test]
fn shipped_codebooks_load_and_every_leaf_has_zh_ru_en_rules() {
    let paths = shipped();
    assert!(!paths.is_empty());
    for path in &paths {
        let spec = CodebookSpec::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(spec.problems().is_empty(), "{}", path.display());
        let parents: BTreeSet<&str> = spec
            .codes
            .iter()
            .filter_map(|c| c.parent.as_deref())
            .collect();
        for c in spec
            .codes
            .iter()
            .filter(|c| !parents.contains(c.id.as_str()))
        {
            for lang in ["zh", "ru", "en"] {
                let n = c.rules.get(lang).map(|r| r.rules().len()).unwrap_or(0);
                assert!(
                    n > 0,
                    "{}: leaf `{}` has no `{lang}` rule",
                    path.display(),
                    c.id
                );
            }
        }
        // It compiles against the default segmenter.
        let e = engine(spec);
        assert!(!e.codebook().unwrap().is_empty());
    }
}

#[test]
fn restaurant_codebook_has_the_12_semeval_leaves() {
    let spec = CodebookSpec::load(root().join("corpora/codebooks/restaurant.yaml")).unwrap();
    let e = engine(spec);
    let leaves: BTreeSet<&str> = e.codebook().unwrap().leaf_ids().into_iter().collect();
    let want: BTreeSet<&str> = [
        "restaurant.general",
        "restaurant.prices",
        "restaurant.miscellaneous",
        "food.quality",
        "food.prices",
        "food.style_options",
        "drinks.quality",
        "drinks.prices",
        "drinks.style_options",
        "service.general",
        "ambience.general",
        "location.general",
    ]
    .into_iter()
    .collect();
    assert_eq!(leaves, want);
}

/// The business of a sample record: `meta.business`, or automotive for the
/// Aurora brand records.
fn domain(rec: &Value) -> Option<&str> {
    let meta = rec.get("meta")?;
    match meta.get("business").and_then(Value::as_str) {
        Some("bank" | "telecom") => Some("banking_telecom"),
        Some(b) => Some(b),
        None if meta.get("brand").is_some() => Some("automotive"),
        None => None,
    }
}

/// Share of the sample's records of each domain coded by that domain's
/// codebook, rules only (measured: automotive 176 of 183 = 0.96, ecommerce
/// 87 of 90 = 0.97, airline 36 of 36, banking_telecom 50 of 50); the minimum
/// leaves a margin for the codebooks' editors.
#[test]
fn domain_codebooks_code_most_sample_records_of_their_domain() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("corpora/sample.jsonl");
    let minimum = [
        ("automotive", 0.85),
        ("ecommerce", 0.85),
        ("airline", 0.85),
        ("banking_telecom", 0.85),
    ];
    let mut tested = 0;
    for (name, min_share) in minimum {
        let cb = root().join(format!("corpora/codebooks/{name}.yaml"));
        if !cb.exists() {
            eprintln!("skipping {name}: no codebook yet");
            continue;
        }
        tested += 1;
        let output = dir.path().join(format!("{name}.jsonl"));
        let out = run(&[
            "analyze",
            "--no-model",
            "--codebook",
            s(&cb),
            s(&input),
            "-o",
            s(&output),
            "-q",
        ]);
        assert_ok(&out);
        let recs: Vec<Value> = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mine: Vec<&Value> = recs.iter().filter(|r| domain(r) == Some(name)).collect();
        assert!(mine.len() >= 20, "{name}: {} records", mine.len());
        let with_codes = mine
            .iter()
            .filter(|r| r["codes"].as_array().is_some_and(|c| !c.is_empty()))
            .count();
        let share = with_codes as f64 / mine.len() as f64;
        eprintln!(
            "{name}: {with_codes} of {} records coded ({share:.2})",
            mine.len()
        );
        assert!(
            share >= min_share,
            "{name}: only {with_codes} of {} records coded",
            mine.len()
        );
        // Records are coded at leaves with owners; points have valid spans.
        for r in &mine {
            for p in r["points"].as_array().into_iter().flatten() {
                let src = match p["turn"].as_u64() {
                    None => r["text"].as_str().unwrap(),
                    Some(t) => r["turns"][t as usize]["text"].as_str().unwrap(),
                };
                let (st, en) = (
                    p["start"].as_u64().unwrap() as usize,
                    p["end"].as_u64().unwrap() as usize,
                );
                assert_eq!(chars(src, st, en), p["text"].as_str().unwrap());
                assert_ne!(p["point"], "mention");
            }
        }
    }
    eprintln!("{tested} domain codebooks tested");
}

// ------------------------------------------------------- 8. thread count

fn sample_records() -> Vec<Record> {
    std::fs::read_to_string(root().join("corpora/sample.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| Record::from_json_str(l, i as u64 + 1).ok())
        .collect()
}

#[test]
fn coding_does_not_depend_on_the_thread_count() {
    let records = sample_records();
    assert!(records.len() > 300);
    let auto = root().join("corpora/codebooks/automotive.yaml");
    let spec = || {
        if auto.exists() {
            CodebookSpec::load(&auto).unwrap()
        } else {
            load(MATCHING)
        }
    };
    let mut outputs = Vec::new();
    for threads in [1, 2] {
        let e = Engine::builder()
            .threads(threads)
            .codebook(spec())
            .build()
            .unwrap();
        let out = e.analyze_batch(&records).unwrap();
        outputs.push(serde_json::to_string(&out).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    // Not vacuous: codes and points are in the output.
    assert!(outputs[0].contains("\"codes\""));
    assert!(outputs[0].contains("\"points\""));
    // The engine shared through `with_codebook` codes the same way.
    let base = Engine::builder().threads(2).build().unwrap();
    let e = base.with_codebook(spec()).unwrap();
    let out = e.analyze_batch(&records).unwrap();
    assert_eq!(serde_json::to_string(&out).unwrap(), outputs[0]);
}

// ------------------------------------------------- 3c. the review loop

fn review_rows() -> Vec<vocmine::stages::codebook::ReviewRow> {
    use vocmine::stages::codebook::ReviewRow;
    let row = |id: &str, clause: u32, text: &str, codes: &str, point: &str| ReviewRow {
        id: id.into(),
        clause,
        turn: if clause == 2 { Some(1) } else { None },
        start: 3,
        end: 3 + text.chars().count() as u32,
        language: if text.is_ascii() { "en" } else { "zh" }.into(),
        text: text.into(),
        context: format!("…, {text}, …"),
        reason: "uncoded pain".into(),
        priority: 0.875,
        voice: "pain".into(),
        suggested: "drive.power* 0.61; drive.fuel 0.32".into(),
        codes: codes.into(),
        point: point.into(),
    };
    vec![
        row(
            "r1",
            0,
            "The engine is weak, \"really\" weak",
            "drive.power",
            "pain",
        ),
        row(
            "r2",
            2,
            "油耗太高了，还有座椅太硬",
            "drive.fuel:pain; comfort:mention",
            "",
        ),
        row("r3", 1, "We went on a Friday", "none", ""),
        row("r4", 0, "Not labelled yet", "", ""),
        row(
            "r5",
            4,
            "Great seats, and\nfrugal too",
            "comfort, drive.fuel",
            "delight",
        ),
    ]
}

/// A review sheet written as XLSX, CSV or TSV reads back row for row, and its
/// labelled rows are gold for `eval` and `learn`: `none` is a clause without
/// a code, `code:point` gives a code its own point, the `point` column the
/// others; unlabelled rows are no gold.
#[test]
fn review_sheets_round_trip_through_xlsx_and_csv_as_gold() {
    use vocmine::stages::codebook::{read_review, review_gold, write_review, GoldItem};
    let dir = tempfile::tempdir().unwrap();
    let rows = review_rows();
    let gold = |id: &str, text: &str, lang: &str, codes: &[(&str, Option<PointKind>)]| GoldItem {
        id: Value::String(id.into()),
        text: text.into(),
        language: Some(lang.into()),
        codes: codes
            .iter()
            .map(|(c, p)| GoldCode {
                code: (*c).into(),
                point: *p,
            })
            .collect(),
    };
    let want = vec![
        gold(
            "r1#0",
            &rows[0].text,
            "en",
            &[("drive.power", Some(PointKind::Pain))],
        ),
        gold(
            "r2#2",
            &rows[1].text,
            "zh",
            &[
                ("comfort", Some(PointKind::Mention)),
                ("drive.fuel", Some(PointKind::Pain)),
            ],
        ),
        gold("r3#1", &rows[2].text, "en", &[]),
        gold(
            "r5#4",
            &rows[4].text,
            "en",
            &[
                ("comfort", Some(PointKind::Delight)),
                ("drive.fuel", Some(PointKind::Delight)),
            ],
        ),
    ];
    for name in ["sheet.xlsx", "sheet.csv", "sheet.tsv"] {
        let path = dir.path().join(name);
        write_review(&path, &rows, None).unwrap();
        let back: Vec<_> = read_review(&path)
            .unwrap()
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(back, rows, "{name}");
        assert_eq!(review_gold(&path).unwrap(), want, "{name}");
        // `eval --gold` and `learn --gold` read it through read_gold
        assert_eq!(read_gold(&path).unwrap(), want, "{name}");
    }
    // other extensions are refused with the reason
    let err = write_review(&dir.path().join("sheet.ods"), &rows, None).unwrap_err();
    assert!(err.to_string().contains(".xlsx"), "{err}");
}

/// A bad point in a filled sheet is an error naming the file and line.
#[test]
fn a_bad_point_in_a_review_sheet_names_its_line() {
    use vocmine::stages::codebook::{review_gold, write_review};
    let dir = tempfile::tempdir().unwrap();
    let mut rows = review_rows();
    rows[1].codes = "drive.fuel:angry".into();
    for name in ["bad.xlsx", "bad.csv"] {
        let path = dir.path().join(name);
        write_review(&path, &rows, None).unwrap();
        let err = review_gold(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(":3:"), "{err}");
        assert!(err.contains("angry"), "{err}");
    }
}

/// The picker keeps what a label would teach most: pains and itches no code
/// caught, codes near their threshold, rules the embedding evidence
/// contradicts, then a random sample of the rest (confident codes, neutral
/// uncoded clauses); repeats are asked once; the pick does not depend on the
/// order the clauses come in.
#[test]
fn review_picks_uncoded_pains_uncertain_codes_and_disagreements() {
    use vocmine::stages::codebook::{ReviewClause, ReviewOptions, ReviewPicker};
    let spec = load(
        r#"codebook: cars
codes:
  - id: drive
    labels: {en: Driving}
  - id: drive.power
    parent: drive
    labels: {en: Power}
    exemplars: [plenty of power, weak acceleration]
  - id: drive.fuel
    parent: drive
    labels: {en: Fuel economy}
    exemplars: [high consumption, it drinks fuel]
  - id: comfort
    labels: {en: Comfort}
    rules: {en: [weather]}
    exemplars: [hard seats, a smooth ride]
"#,
    );
    let e = engine(spec.clone());
    let cb = vocmine::Codebook::compile(spec, e.segmenter(), Some((&toy_embed, "toy")))
        .expect("compiles with an embedder");
    let probs = |negative, neutral, positive| {
        Sentiment::from_probs(Probs {
            negative,
            neutral,
            positive,
        })
    };
    let pain = Voice::new(&probs(0.9, 0.05, 0.05), Some(0.01), false);
    let neutral = Voice::new(&probs(0.05, 0.9, 0.05), Some(0.01), false);
    // (text, voice)
    let clauses: Vec<(&str, &Voice)> = vec![
        ("the dealer never called back", &pain), // uncoded pain
        ("The dealer never called back", &pain), // its repeat
        ("nice to see you", &neutral),           // nothing to ask
        ("the acceleration is sluggish", &pain), // confidently coded
        ("weather and acceleration", &neutral),  // rule: comfort; embedding: power
    ];
    let analyses: Vec<vocmine::Analyzed> = clauses.iter().map(|(t, _)| analyzed(&e, t)).collect();
    let embeddings: Vec<Vec<f32>> = clauses
        .iter()
        .map(|(t, _)| toy_embed(&[t]).unwrap().remove(0))
        .collect();
    let pick = |order: &[usize]| {
        let mut p = ReviewPicker::new(&cb, ReviewOptions::default()).unwrap();
        for &i in order {
            let a = &analyses[i];
            let c = &a.clauses[0];
            p.add(ReviewClause {
                id: &format!("r{i}"),
                clause: 0,
                turn: None,
                start: 0,
                end: c.end as u32,
                language: "en",
                text: clauses[i].0,
                context: clauses[i].0,
                terms: a.work.terms(0).expect("terms kept"),
                embedding: Some(&embeddings[i]),
                voice: Some(clauses[i].1),
            });
        }
        assert_eq!(p.seen(), order.len() as u64);
        p.finish()
            .into_iter()
            .map(|r| (r.id, r.reason))
            .collect::<Vec<_>>()
    };
    let got = pick(&[0, 1, 2, 3, 4]);
    assert_eq!(
        got[..2],
        [
            ("r4".to_owned(), "disagreeing evidence".to_owned()),
            ("r0".to_owned(), "uncoded pain".to_owned()),
        ]
    );
    // the rest: a random sample of what the codebook is sure about
    let rest: BTreeSet<(String, String)> = got[2..].iter().cloned().collect();
    assert_eq!(
        rest,
        [("r2", "random sample"), ("r3", "random sample")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .into()
    );
    assert_eq!(pick(&[4, 3, 2, 1, 0]), got);
    // a code near its threshold is uncertain
    let candidates = |t: &str| {
        let a = analyzed(&e, t);
        let emb = toy_embed(&[t]).unwrap().remove(0);
        cb.candidates(a.work.terms(0).unwrap(), Some(&emb))
    };
    let c = candidates("the acceleration is sluggish");
    assert_eq!(&*c[0].code, "drive.power");
    assert!(c[0].score >= c[0].threshold, "{c:?}");
    let c = candidates("weather and acceleration");
    assert!(c.iter().any(|x| &*x.code == "comfort" && x.rule), "{c:?}");
}
