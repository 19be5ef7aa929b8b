//! The CX report (`vocmine report`): one self-contained HTML file over the
//! output of `vocmine analyze` (or a result store), for the people who run
//! the closed loop: an overview with NPS / CSAT / CES and their intervals,
//! the journey by touchpoint, the pain and itch points of each owning
//! department, the drivers of detractors, the alerts, and the customers'
//! own words behind every number.
//!
//! Every aggregate is computed here, in Rust, by the analytics the CLI and
//! Python already use ([`metrics_report`]): the page carries these numbers
//! and a bounded sample of verbatims ([`ReportOptions::verbatims_per_code`]),
//! so its size does not grow with the corpus. Three inputs join the
//! records when asked: the hot issues of `vocmine cluster`
//! ([`ReportOptions::clusters`]), before/after splits computed as `vocmine
//! compare` computes them ([`ReportOptions::compare`]), and the themes of
//! the customers' words per language ([`crate::corpus::keywords`], the
//! clauses segmented again). [`html::render`] draws it:
//! SVG charts from our own code and a little JavaScript of our own for the
//! drill-down; nothing is loaded from the network.

pub mod html;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::corpus::analytics::compare::{compare, Comparison};
use crate::corpus::analytics::metrics::Slice;
use crate::corpus::analytics::observation::for_each_output_line;
use crate::corpus::analytics::period::DateRange;
use crate::corpus::analytics::period::Period;
use crate::corpus::analytics::report::{metrics_report, MetricsOptions, MetricsReport};
use crate::corpus::analytics::Dataset;
use crate::corpus::keywords::{KeywordCollector, LanguageKeywords, Ranking};
use crate::error::{Error, Result};
use crate::text::language::Language;
use crate::text::tokens::JiebaSegmenter;

/// The language of the report's labels (the data stays in the customers').
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum UiLanguage {
    /// English.
    #[default]
    En,
    /// Chinese (simplified).
    Zh,
    /// Russian.
    Ru,
}

/// What a report shows.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The title at the top of the page.
    pub title: String,
    /// The language of the labels.
    pub language: UiLanguage,
    /// Touchpoints in journey order (others follow by volume); empty: by
    /// volume.
    pub journey: Vec<String>,
    /// Verbatims kept per code (and for the alerts), in input order.
    pub verbatims_per_code: usize,
    /// Least answering records of a code for a driver.
    pub driver_min_records: u64,
    /// Themes per language in the keywords section (0: no section; the
    /// customer clauses are segmented again for it).
    pub keywords: usize,
    /// The output of `vocmine cluster` (its JSON), for the hot issues.
    pub clusters: Option<PathBuf>,
    /// Before/after splits (`before`, `after`), each compared as `vocmine
    /// compare` does.
    pub compare: Vec<(DateRange, DateRange)>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            title: "Voice of the customer".into(),
            language: UiLanguage::En,
            journey: Vec::new(),
            verbatims_per_code: 20,
            driver_min_records: 5,
            keywords: 30,
            clusters: None,
            compare: Vec::new(),
        }
    }
}

/// Counts of the customers' voice types over the records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VoiceTotals {
    /// Records with voice types (analyzed with the model).
    pub records: u64,
    /// Pain clauses.
    pub pain: u64,
    /// Itch clauses.
    pub itch: u64,
    /// Delight clauses.
    pub delight: u64,
    /// Neutral clauses.
    pub neutral: u64,
    /// Pain clauses no code caught (with a codebook).
    pub uncoded_pain: u64,
    /// Itch clauses no code caught.
    pub uncoded_itch: u64,
}

/// One code's points as an owner sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodePoints {
    /// The code id.
    pub code: String,
    /// Pain points (clauses).
    pub pain: u64,
    /// Itch points.
    pub itch: u64,
    /// Delight points.
    pub delight: u64,
    /// Records with at least one point on the code.
    pub records: u64,
}

/// What one owning department gets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OwnerView {
    /// The owner (`-` for points of codes without one).
    pub owner: String,
    /// Its codes, most pains and itches first.
    pub codes: Vec<CodePoints>,
    /// Alerts routed to it.
    pub alerts: u64,
    /// Its pain points per ISO week (weeks of the corpus in order, zeros
    /// included; empty when the records have no times).
    pub weekly_pains: Vec<(String, u64)>,
}

/// One touchpoint on the journey.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JourneyStage {
    /// The touchpoint.
    pub touchpoint: String,
    /// Records at it.
    pub records: u64,
    /// Its NPS and its 95% interval (records with an NPS answer).
    pub nps: Option<(f64, f64, f64)>,
    /// NPS answers.
    pub nps_responses: u64,
    /// Share of records whose overall sentiment is negative.
    pub negative_share: f64,
    /// Its most frequent pain, itch and delight codes (with counts).
    pub pains: Vec<(String, u64)>,
    /// Itches.
    pub itches: Vec<(String, u64)>,
    /// Delights.
    pub delights: Vec<(String, u64)>,
}

/// One alert as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertItem {
    /// The record.
    pub id: String,
    /// The rule.
    pub rule: String,
    /// Severity.
    pub severity: String,
    /// Owner.
    pub owner: Option<String>,
    /// Deadline.
    pub deadline: Option<String>,
    /// Why it fired.
    pub reason: String,
    /// The first trigger's turn text, and the trigger's span in it.
    pub text: Option<String>,
    /// Char span of the trigger in `text`.
    pub span: Option<(usize, usize)>,
}

/// A customer's words behind a number: a clause (in its turn, the clause
/// marked by `span`) behind a code, a theme or a hot issue.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verbatim {
    /// The record.
    pub id: String,
    /// The code (code verbatims).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Pain, itch or delight (code verbatims).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<String>,
    /// Owner of the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The theme (keyword verbatims).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// The hot issue (cluster representatives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<u32>,
    /// The words: the clause within its turn (cut to about
    /// [`CONTEXT`] characters on each side, marked `…`).
    pub text: String,
    /// Char span in `text` of the clause, theme or trigger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// Channel of the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Touchpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    /// Record language (the clause's, for themes and hot issues).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// ISO week of the record's time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week: Option<String>,
}

/// Characters of a turn kept on each side of a verbatim's span.
pub const CONTEXT: usize = 120;

/// `text` cut to [`CONTEXT`] characters around the char span
/// `start..end`, with the span moved into the cut text.
fn in_context(text: &str, start: usize, end: usize) -> (String, (usize, usize)) {
    let chars: Vec<char> = text.chars().collect();
    let end = end.min(chars.len());
    let start = start.min(end);
    let from = start.saturating_sub(CONTEXT);
    let to = (end + CONTEXT).min(chars.len());
    let mut out = String::new();
    let mut shift = from;
    if from > 0 {
        out.push('…');
        shift -= 1;
    }
    out.extend(&chars[from..to]);
    if to < chars.len() {
        out.push('…');
    }
    (out, (start - shift, end - shift))
}

/// One hot issue: a cluster of `vocmine cluster` as the report shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HotIssue {
    /// Cluster id.
    pub id: u32,
    /// Its label (all languages), and per language.
    pub label: String,
    /// Labels per language.
    pub labels: BTreeMap<String, String>,
    /// Clauses in it.
    pub size: u64,
    /// Share of the clustered clauses.
    pub share: f64,
    /// Hotness score.
    pub score: f64,
    /// Growth against the previous period.
    pub growth: f64,
    /// p-value of the growth, when there was a previous period.
    pub p_value: Option<f64>,
    /// Clauses in the current and the previous period.
    pub current: u64,
    /// Previous period.
    pub previous: u64,
    /// Negative share (current period).
    pub negative_share: f64,
    /// New in the current period.
    pub new: bool,
    /// New or significantly growing.
    pub emerging: bool,
    /// A codebook gap (few of its clauses coded, its neighbours coded).
    pub gap: bool,
    /// Share of its clauses with a code.
    pub coded_share: f64,
    /// The id of the code suggested for a gap.
    pub suggested_code: Option<String>,
    /// Its most frequent codes, with their shares.
    pub codes: Vec<(String, f64)>,
}

/// The hot issues of one clustering run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HotIssues {
    /// The cluster file.
    pub file: String,
    /// Clauses clustered, clusters, outlier share.
    pub clustered: u64,
    /// Clusters found.
    pub clusters: u64,
    /// Outlier share.
    pub outlier_share: f64,
    /// The issues shown: the 12 hottest (as `summary.hottest` orders
    /// them), then up to 6 emerging issues and 6 gaps not among them.
    pub issues: Vec<HotIssue>,
}

/// The JSON of a `vocmine cluster` output.
fn read_clusters(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Data(format!(
            "{}: not the JSON of `vocmine cluster`: {e}",
            path.display()
        ))
    })
}

/// Reads the hot issues of a `vocmine cluster` output (its JSON).
pub fn hot_issues(path: &Path, shown: usize) -> Result<HotIssues> {
    hot_issues_of(&read_clusters(path)?, path, shown)
}

/// The hot issues of a parsed `vocmine cluster` output read from `path`.
fn hot_issues_of(v: &Value, path: &Path, shown: usize) -> Result<HotIssues> {
    let (Some(summary), Some(clusters)) = (
        v.get("summary"),
        v.get("clusters").and_then(Value::as_array),
    ) else {
        return Err(Error::Data(format!(
            "{}: not the output of `vocmine cluster` (no `summary` and `clusters`)",
            path.display()
        )));
    };
    let ids = |key: &str| -> Vec<u64> {
        summary
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    };
    let (hottest, emerging, gaps) = (ids("hottest"), ids("emerging"), ids("gaps"));
    let f = |c: &Value, k: &str| c.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let by_id: BTreeMap<u64, &Value> = clusters
        .iter()
        .filter_map(|c| Some((c.get("id")?.as_u64()?, c)))
        .collect();
    // the hottest, then emerging issues and gaps not among them (in the
    // order of `summary`: hottest first), at most `shown` of each
    let mut order: Vec<u64> = hottest.iter().take(shown).copied().collect();
    for list in [&emerging, &gaps] {
        let extra: Vec<u64> = list
            .iter()
            .filter(|id| !order.contains(id))
            .take(shown / 2)
            .copied()
            .collect();
        order.extend(extra);
    }
    let mut issues = Vec::new();
    for id in order {
        let Some(c) = by_id.get(&id) else {
            continue;
        };
        let h = c.get("hotness").cloned().unwrap_or(Value::Null);
        issues.push(HotIssue {
            id: id as u32,
            label: str_of(c, "label").unwrap_or_default(),
            labels: c
                .get("labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            size: u64_of(c, "size"),
            share: f(c, "share"),
            score: f(&h, "score"),
            growth: f(&h, "growth"),
            p_value: h.get("p_value").and_then(Value::as_f64),
            current: u64_of(&h, "current"),
            previous: u64_of(&h, "previous"),
            negative_share: f(&h, "negative_share"),
            new: h.get("new").and_then(Value::as_bool).unwrap_or(false),
            emerging: h.get("emerging").and_then(Value::as_bool).unwrap_or(false),
            gap: gaps.contains(&id),
            coded_share: f(c, "coded_share"),
            // the suggestion is a codebook YAML snippet: its `id:`
            suggested_code: str_of(c, "suggested_code").and_then(|y| {
                y.lines()
                    .find_map(|l| l.trim().trim_start_matches("- ").strip_prefix("id:"))
                    .map(|id| id.trim().to_owned())
            }),
            codes: c
                .get("codes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| Some((str_of(x, "code")?, f(x, "share"))))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let st = |k: &str| summary.get(k);
    Ok(HotIssues {
        file: path.display().to_string(),
        clustered: st("clustered").and_then(Value::as_u64).unwrap_or(0),
        clusters: st("clusters").and_then(Value::as_u64).unwrap_or(0),
        outlier_share: st("outlier_share").and_then(Value::as_f64).unwrap_or(0.0),
        issues,
    })
}

/// The representatives of the shown hot issues, as verbatims.
fn hot_issue_verbatims(v: &Value, issues: &HotIssues) -> Vec<Verbatim> {
    let mut out = Vec::new();
    for c in v
        .get("clusters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = c.get("id").and_then(Value::as_u64) else {
            continue;
        };
        if !issues.issues.iter().any(|i| u64::from(i.id) == id) {
            continue;
        }
        let reps = c.get("representatives").and_then(Value::as_array);
        for r in reps.into_iter().flatten() {
            let text = str_of(r, "text").unwrap_or_default();
            let n = text.chars().count();
            out.push(Verbatim {
                id: str_of(r, "id").unwrap_or_default(),
                cluster: Some(id as u32),
                span: Some((0, n)),
                text,
                language: str_of(r, "language"),
                ..Verbatim::default()
            });
        }
    }
    out
}

/// Everything the page shows, computed before it is drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportData {
    /// The title.
    pub title: String,
    /// Metrics (overall, by channel, touchpoint and week), trends per week
    /// and drivers: exactly what `vocmine metrics --json` computes.
    pub metrics: MetricsReport,
    /// Records per language.
    pub languages: BTreeMap<String, u64>,
    /// Voice types.
    pub voices: VoiceTotals,
    /// Touchpoints in journey order.
    pub journey: Vec<JourneyStage>,
    /// Owners, most points first.
    pub owners: Vec<OwnerView>,
    /// Alerts per severity.
    pub alert_counts: BTreeMap<String, u64>,
    /// The alerts listed (most severe first, at most
    /// `verbatims_per_code` × 5).
    pub alerts: Vec<AlertItem>,
    /// Alerts in all.
    pub alerts_total: u64,
    /// Themes per language (empty without the keywords section).
    pub keywords: Vec<LanguageKeywords>,
    /// Hot issues (with [`ReportOptions::clusters`]).
    pub hot_issues: Option<HotIssues>,
    /// The before/after splits asked for.
    pub compare: Vec<Comparison>,
    /// Verbatims: per code at most `verbatims_per_code`, per theme a few,
    /// and the representatives of the hot issues.
    pub verbatims: Vec<Verbatim>,
}

/// Per-code state while reading.
#[derive(Default)]
struct CodeAcc {
    owner: Option<String>,
    points: CodePoints,
    verbatims: usize,
}

/// Builds a [`ReportData`] line by line.
pub struct ReportBuilder {
    opts: ReportOptions,
    ds: Dataset,
    languages: BTreeMap<String, u64>,
    voices: VoiceTotals,
    codes: BTreeMap<String, CodeAcc>,
    /// touchpoint → (point, code) → count
    stages: BTreeMap<String, BTreeMap<(String, String), u64>>,
    alerts: Vec<AlertItem>,
    alert_counts: BTreeMap<String, u64>,
    alerts_by_owner: BTreeMap<String, u64>,
    alerts_total: u64,
    verbatims: Vec<Verbatim>,
    keywords: Option<(KeywordCollector, JiebaSegmenter)>,
    /// owner → week → pain points
    owner_weeks: BTreeMap<String, BTreeMap<String, u64>>,
    /// Channel, touchpoint and week of the records theme examples came
    /// from (only those), for the drill-down's filters.
    example_records: std::collections::HashMap<String, RecordMeta>,
}

/// What the drill-down filters read of a record.
type RecordMeta = (Option<String>, Option<String>, Option<String>);

impl std::fmt::Debug for ReportBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportBuilder").finish_non_exhaustive()
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// The text of turn `turn` of an output line (the record's text without a
/// turn).
fn turn_text(v: &Value, turn: Option<u64>) -> Option<&str> {
    match turn {
        Some(k) => v
            .get("turns")
            .and_then(|ts| ts.get(k as usize))
            .and_then(|t| t.get("text"))
            .and_then(Value::as_str),
        None => v.get("text").and_then(Value::as_str),
    }
}

impl ReportBuilder {
    /// A builder with these options.
    pub fn new(opts: ReportOptions) -> Result<ReportBuilder> {
        let keywords = if opts.keywords > 0 {
            let seg = JiebaSegmenter::builder().pos(true).build()?;
            Some((KeywordCollector::new().examples(3), seg))
        } else {
            None
        };
        Ok(ReportBuilder {
            opts,
            ds: Dataset::new(),
            languages: BTreeMap::new(),
            voices: VoiceTotals::default(),
            codes: BTreeMap::new(),
            stages: BTreeMap::new(),
            alerts: Vec::new(),
            alert_counts: BTreeMap::new(),
            alerts_by_owner: BTreeMap::new(),
            alerts_total: 0,
            verbatims: Vec::new(),
            keywords,
            owner_weeks: BTreeMap::new(),
            example_records: std::collections::HashMap::new(),
        })
    }

    /// Adds one output line of `vocmine analyze` (blank lines are ignored;
    /// failure and invalid lines are counted, as `metrics` counts them).
    pub fn push_line(&mut self, line: &[u8]) {
        let Some(v) = self.ds.push_line_value(line) else {
            return;
        };
        if v.get("error").is_some() || !v.is_object() {
            return;
        }
        self.push_analysis(&v);
    }

    fn push_analysis(&mut self, v: &Value) {
        let id = match v.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let channel = str_of(v, "channel");
        let touchpoint = str_of(v, "touchpoint");
        let language = str_of(v, "language");
        let week = str_of(v, "time")
            .and_then(|t| crate::contract::record::Timestamp::parse(&t))
            .map(|t| Period::Week.key(t.instant().date_naive()));
        if let Some(l) = &language {
            *self.languages.entry(l.clone()).or_default() += 1;
        }
        if let Some(vc) = v.get("voices").filter(|x| x.is_object()) {
            let t = &mut self.voices;
            t.records += 1;
            t.pain += u64_of(vc, "pain");
            t.itch += u64_of(vc, "itch");
            t.delight += u64_of(vc, "delight");
            t.neutral += u64_of(vc, "neutral");
            t.uncoded_pain += u64_of(vc, "uncoded_pain");
            t.uncoded_itch += u64_of(vc, "uncoded_itch");
        }
        let mut seen: Vec<&str> = Vec::new();
        let points = v.get("points").and_then(Value::as_array);
        for p in points.into_iter().flatten() {
            let (Some(code), Some(point)) = (
                p.get("code").and_then(Value::as_str),
                p.get("point").and_then(Value::as_str),
            ) else {
                continue;
            };
            let acc = self.codes.entry(code.to_owned()).or_default();
            acc.points.code = code.to_owned();
            if acc.owner.is_none() {
                acc.owner = str_of(p, "owner");
            }
            if let (Some(w), "pain") = (&week, point) {
                let owner = acc.owner.clone().unwrap_or_else(|| "-".into());
                *self
                    .owner_weeks
                    .entry(owner)
                    .or_default()
                    .entry(w.clone())
                    .or_default() += 1;
            }
            match point {
                "pain" => acc.points.pain += 1,
                "itch" => acc.points.itch += 1,
                "delight" => acc.points.delight += 1,
                _ => {}
            }
            if !seen.contains(&code) {
                seen.push(code);
                acc.points.records += 1;
            }
            if let Some(tp) = &touchpoint {
                *self
                    .stages
                    .entry(tp.clone())
                    .or_default()
                    .entry((point.to_owned(), code.to_owned()))
                    .or_default() += 1;
            }
            if acc.verbatims < self.opts.verbatims_per_code {
                acc.verbatims += 1;
                let clause = str_of(p, "text").unwrap_or_default();
                let (text, span) = match turn_text(v, p.get("turn").and_then(Value::as_u64)) {
                    Some(t) => {
                        in_context(t, u64_of(p, "start") as usize, u64_of(p, "end") as usize)
                    }
                    None => {
                        let n = clause.chars().count();
                        (clause, (0, n))
                    }
                };
                self.verbatims.push(Verbatim {
                    id: id.clone(),
                    code: Some(code.to_owned()),
                    point: Some(point.to_owned()),
                    owner: str_of(p, "owner"),
                    text,
                    span: Some(span),
                    channel: channel.clone(),
                    touchpoint: touchpoint.clone(),
                    language: language.clone(),
                    week: week.clone(),
                    ..Verbatim::default()
                });
            }
        }
        let alerts = v.get("alerts").and_then(Value::as_array);
        for a in alerts.into_iter().flatten() {
            self.alerts_total += 1;
            let severity = str_of(a, "severity").unwrap_or_default();
            *self.alert_counts.entry(severity.clone()).or_default() += 1;
            let owner = str_of(a, "owner");
            *self
                .alerts_by_owner
                .entry(owner.clone().unwrap_or_else(|| "-".into()))
                .or_default() += 1;
            let trigger = a
                .get("triggers")
                .and_then(Value::as_array)
                .and_then(|t| t.first());
            let (text, span) = match trigger {
                Some(t) => match turn_text(v, t.get("turn").and_then(Value::as_u64)) {
                    Some(text) => {
                        let (text, span) = in_context(
                            text,
                            u64_of(t, "start") as usize,
                            u64_of(t, "end") as usize,
                        );
                        (Some(text), Some(span))
                    }
                    None => (None, None),
                },
                None => (None, None),
            };
            self.alerts.push(AlertItem {
                id: id.clone(),
                rule: str_of(a, "rule").unwrap_or_default(),
                severity,
                owner,
                deadline: str_of(a, "deadline"),
                reason: str_of(a, "reason").unwrap_or_default(),
                text,
                span,
            });
            // keep the list bounded: most severe first, then input order
            let cap = self.opts.verbatims_per_code.max(1) * 5;
            if self.alerts.len() > cap * 2 {
                self.trim_alerts(cap);
            }
        }
        if let Some((collector, seg)) = &mut self.keywords {
            let clauses = v.get("clauses").and_then(Value::as_array);
            let clauses = clauses.into_iter().flatten().filter_map(|c| {
                let text = c.get("text")?.as_str()?;
                let language = Language::from_code(c.get("language")?.as_str()?)?;
                let role = match c.get("role").and_then(Value::as_str) {
                    Some("customer") => crate::contract::record::Role::Customer,
                    _ => crate::contract::record::Role::Other,
                };
                Some((text, language, role))
            });
            let before = collector.examples_kept();
            collector.add_clauses(seg, &id, clauses);
            if collector.examples_kept() > before {
                self.example_records.insert(
                    id.clone(),
                    (channel.clone(), touchpoint.clone(), week.clone()),
                );
            }
        }
    }

    fn trim_alerts(&mut self, cap: usize) {
        let rank = |s: &str| SEVERITIES.iter().position(|x| *x == s).unwrap_or(4);
        self.alerts.sort_by_key(|a| rank(&a.severity)); // stable: input order kept
        self.alerts.truncate(cap);
    }

    /// The report's data. Fails on a cluster file that cannot be read and
    /// on overlapping before/after ranges.
    pub fn finish(mut self, file: Option<&str>) -> Result<ReportData> {
        let cap = self.opts.verbatims_per_code.max(1) * 5;
        self.trim_alerts(cap);
        let metrics = metrics_report(
            &self.ds,
            file,
            &MetricsOptions {
                by: vec![
                    Slice::Channel,
                    Slice::Touchpoint,
                    Slice::Period(Period::Week),
                ],
                period: Period::Week,
                drivers: Some(self.opts.driver_min_records),
            },
        );
        let mut owners: BTreeMap<String, OwnerView> = BTreeMap::new();
        for acc in self.codes.values() {
            let owner = acc.owner.clone().unwrap_or_else(|| "-".into());
            let view = owners.entry(owner.clone()).or_insert_with(|| OwnerView {
                owner,
                ..OwnerView::default()
            });
            view.codes.push(acc.points.clone());
        }
        for (owner, n) in &self.alerts_by_owner {
            owners
                .entry(owner.clone())
                .or_insert_with(|| OwnerView {
                    owner: owner.clone(),
                    ..OwnerView::default()
                })
                .alerts = *n;
        }
        let weeks: Vec<&String> = metrics.trends.periods.iter().map(|p| &p.key).collect();
        for (owner, by_week) in &self.owner_weeks {
            if let Some(view) = owners.get_mut(owner) {
                view.weekly_pains = weeks
                    .iter()
                    .map(|w| ((*w).clone(), by_week.get(*w).copied().unwrap_or(0)))
                    .collect();
            }
        }
        let mut owners: Vec<OwnerView> = owners.into_values().collect();
        for o in &mut owners {
            o.codes.sort_by(|a, b| {
                (b.pain + b.itch)
                    .cmp(&(a.pain + a.itch))
                    .then(a.code.cmp(&b.code))
            });
        }
        let weight =
            |o: &OwnerView| o.codes.iter().map(|c| c.pain + c.itch).sum::<u64>() + o.alerts;
        owners.sort_by(|a, b| weight(b).cmp(&weight(a)).then(a.owner.cmp(&b.owner)));
        let journey = self.journey(&metrics);
        let compare = self
            .opts
            .compare
            .iter()
            .map(|(before, after)| compare(&self.ds.observations, *before, *after))
            .collect::<Result<Vec<_>>>()?;
        let hot_issues = match &self.opts.clusters {
            Some(path) => {
                // read and parsed once for the issues and their verbatims
                let clusters = read_clusters(path)?;
                let issues = hot_issues_of(&clusters, path, 12)?;
                self.verbatims
                    .extend(hot_issue_verbatims(&clusters, &issues));
                Some(issues)
            }
            None => None,
        };
        let keywords = match self.keywords.take() {
            Some((collector, _)) => {
                let mut report = collector.report(self.opts.keywords, Ranking::TfIdf);
                for l in &mut report.languages {
                    l.terms.clear();
                    for t in &mut l.themes {
                        for e in std::mem::take(&mut t.examples) {
                            let (channel, touchpoint, week) =
                                self.example_records.get(&e.id).cloned().unwrap_or_default();
                            self.verbatims.push(Verbatim {
                                id: e.id,
                                theme: Some(t.term.clone()),
                                text: e.text,
                                span: Some(e.span),
                                language: Some(l.language.clone()),
                                channel,
                                touchpoint,
                                week,
                                ..Verbatim::default()
                            });
                        }
                    }
                }
                report.languages
            }
            None => Vec::new(),
        };
        Ok(ReportData {
            title: self.opts.title.clone(),
            metrics,
            languages: self.languages,
            voices: self.voices,
            journey,
            owners,
            alert_counts: self.alert_counts,
            alerts: self.alerts,
            alerts_total: self.alerts_total,
            keywords,
            hot_issues,
            compare,
            verbatims: self.verbatims,
        })
    }

    fn journey(&self, metrics: &MetricsReport) -> Vec<JourneyStage> {
        let Some(by_tp) = metrics.slices.iter().find(|s| s.by == Slice::Touchpoint) else {
            return Vec::new();
        };
        let mut stages: Vec<JourneyStage> = by_tp
            .slices
            .iter()
            .filter_map(|s| {
                let tp = s.key.clone()?;
                let m = &s.metrics;
                let top = |point: &str| -> Vec<(String, u64)> {
                    let mut v: Vec<(String, u64)> = self
                        .stages
                        .get(&tp)
                        .map(|c| {
                            c.iter()
                                .filter(|((p, _), _)| p == point)
                                .map(|((_, code), n)| (code.clone(), *n))
                                .collect()
                        })
                        .unwrap_or_default();
                    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    v.truncate(3);
                    v
                };
                Some(JourneyStage {
                    records: m.records,
                    nps: m.nps.as_ref().map(|n| (n.nps, n.ci.low, n.ci.high)),
                    nps_responses: m.nps.as_ref().map_or(0, |n| n.responses),
                    negative_share: m.negative_share(),
                    pains: top("pain"),
                    itches: top("itch"),
                    delights: top("delight"),
                    touchpoint: tp,
                })
            })
            .collect();
        let order = |t: &str| {
            self.opts
                .journey
                .iter()
                .position(|j| j == t)
                .unwrap_or(usize::MAX)
        };
        stages.sort_by(|a, b| {
            order(&a.touchpoint)
                .cmp(&order(&b.touchpoint))
                .then(b.records.cmp(&a.records))
                .then(a.touchpoint.cmp(&b.touchpoint))
        });
        stages
    }
}

/// Parses a before/after split `FROM..TO,FROM..TO` (see [`DateRange`]).
pub fn parse_split(s: &str) -> Result<(DateRange, DateRange)> {
    match s.split_once(',') {
        Some((before, after)) => Ok((before.parse()?, after.parse()?)),
        None => Err(Error::Config(format!(
            "before/after split `{s}`: write it FROM..TO,FROM..TO (two date ranges)"
        ))),
    }
}

/// A report's data over output lines given as text (JSON Lines).
pub fn report_data_from_lines(text: &str, opts: ReportOptions) -> Result<ReportData> {
    let mut builder = ReportBuilder::new(opts)?;
    for line in text.split_inclusive('\n') {
        builder.push_line(line.as_bytes());
    }
    builder.finish(None)
}

/// Reads the output of `vocmine analyze` (a JSON Lines file, `-` for
/// stdin, or a result store's directory) into a report's data.
pub fn report_data(path: &Path, opts: ReportOptions) -> Result<ReportData> {
    let mut builder = ReportBuilder::new(opts)?;
    for_each_output_line(path, |l| builder.push_line(l))?;
    builder.finish(Some(&path.display().to_string()))
}
