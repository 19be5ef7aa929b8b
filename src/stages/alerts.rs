//! Alerts: rules that turn an analyzed record into routed, time-boxed
//! alerts (churn risk, regulator or legal threats, safety issues,
//! escalations).
//!
//! Rules live in a YAML file of their own (`corpora/alerts.yaml` holds the
//! defaults). [`AlertSpec`] is the file as written, validated with file,
//! line and rule in every error; [`AlertRules`] is the compiled form;
//! [`AlertRules::evaluate`] reads one [`Analysis`] (and, for conversations,
//! its [`ConversationInsights`]) and returns its alerts.
//!
//! ## Format
//!
//! ```yaml
//! version: "1"
//! default_owner: cx_ops        # owner when neither the rule nor a pain code has one
//! deadlines: {critical: 2, high: 4, medium: 24, low: 72}   # hours (these are the defaults)
//! raise:                       # raisers for every rule
//!   - meta: {customer_value: [vip, high]}
//! conversation:                # optional: conversation cues (see ConversationCues)
//!   escalation: {en: [speak to a manager]}
//! rules:
//!   - id: churn                # letters, digits, `_`, `-`, `.`; unique
//!     severity: high           # critical | high | medium | low
//!     owner: retention         # optional
//!     description: Churn risk  # optional, starts the reason
//!     cues:                    # per language (zh, ru, en, … or any)
//!       zh: [退车, 退款, 不买了, 换别家]
//!       en: [cancel my account, switching to, refund]
//!     when:                    # optional; every part given must hold
//!       sentiment: {label: negative, polarity_max: -0.3, min_polarity_max: -0.5}
//!       codes: [billing, delivery.*]      # any of; `*` at the end: prefix
//!       scores: {nps_max: 6, csat_max: 2, ces_min: 5}
//!       meta: {customer_value: [vip, high], order_value: {min: 1000}, region: EU}
//!       conversation: [repeat_contact, unresolved_at_end]   # any of
//!     raise:                   # each one that holds raises the severity
//!       - scores: {nps_max: 3}
//!         by: 1                # levels (default 1)
//! ```
//!
//! A rule with cues fires when a cue occurs, not negated, in a **customer**
//! clause (agent, bot and system turns never trigger: an agent's
//! 您可以申请退款 is no churn cue) and its `when` holds. A rule without cues
//! fires when its `when` holds (it must have one). Cues match like
//! conversation cues (see [`crate::stages::conversation`]): Chinese as folded
//! characters, Russian and English as stemmed whole tokens.
//!
//! **Negation.** A cue whose first token lies in a negation scope does not
//! fire: "I will not cancel my account", 我不会退车, "не буду расторгать
//! договор" raise nothing. This trades recall for precision: "I can't
//! believe I have to cancel" is also negated (the scope reaches 3 content
//! words) and is missed. Cues that contain their own negator (不买了) match
//! from the negator on and are unaffected.
//!
//! **Conditions** on data the record does not have fail: a `sentiment`
//! condition without the encoder, a `scores` bound on a missing score, a
//! `meta` test on a missing field, a `conversation` condition without
//! insights.
//!
//! **Meta tests**: a list (any of, case-insensitive; numbers compare as
//! numbers; a list value matches when one of its items does), a scalar
//! (equals), or `{in, not_in, min, max, exists}`. Field names may be dotted
//! paths into nested objects (`customer.tier`); a leading `meta.` is
//! ignored.
//!
//! **Severity** is the rule's, raised by each raiser that holds (the
//! file's `raise`, then the rule's), at most to `critical`. The **owner** is
//! the rule's, else the owner of the record's first pain point (codebook),
//! else `default_owner`. The **deadline** is `deadline_hours` after the
//! record's `time` (date-only times count from midnight UTC), or after the
//! time of the first triggering turn when the record has none; it is `null`
//! without either.
//!
//! Alerts come sorted by severity (critical first), then by rule order in
//! the file; triggers by turn and position.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::batch::{Analyzed, Context, Stage, Work};
pub use crate::contract::alert::{Alert, Severity, Trigger, TriggerSource};
use crate::contract::output::Analysis;
use crate::contract::record::Role;
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;
use crate::stages::codebook::PointKind;
use crate::stages::conversation::{
    cue_list_problems, default_segmenter, ConversationCues, ConversationFeature,
    ConversationInsights, CueHit, CueList, CueMatcher,
};
use crate::text::language::Language;
use crate::text::tokens::Segment;

// ------------------------------------------------------------------ the file

/// Response deadline per severity, in hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Deadlines {
    /// Hours for critical alerts (default 2).
    pub critical: f64,
    /// Hours for high alerts (default 4).
    pub high: f64,
    /// Hours for medium alerts (default 24).
    pub medium: f64,
    /// Hours for low alerts (default 72).
    pub low: f64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            critical: 2.0,
            high: 4.0,
            medium: 24.0,
            low: 72.0,
        }
    }
}

impl Deadlines {
    /// The deadline of a severity, in hours.
    pub fn hours(&self, severity: Severity) -> f64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }
}

/// A sentiment label in conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    /// `negative`.
    Negative,
    /// `neutral`.
    Neutral,
    /// `positive`.
    Positive,
}

impl SentimentLabel {
    fn matches(self, p: Polarity) -> bool {
        matches!(
            (self, p),
            (SentimentLabel::Negative, Polarity::Negative)
                | (SentimentLabel::Neutral, Polarity::Neutral)
                | (SentimentLabel::Positive, Polarity::Positive)
        )
    }

    fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }
}

/// A condition on the record's (customer) sentiment; every bound given
/// must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentCondition {
    /// The record's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<SentimentLabel>,
    /// The record's mean polarity is at or below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polarity_max: Option<f32>,
    /// The most negative customer clause is at or below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_polarity_max: Option<f32>,
}

/// Bounds on survey scores; every bound given must hold (a missing score
/// fails its bound).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreCondition {
    /// NPS (0–10) at or below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_max: Option<u8>,
    /// CSAT (1–5) at or below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_max: Option<u8>,
    /// Customer effort (1–7) at or above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces_min: Option<u8>,
}

/// A test on one `meta` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetaTest {
    /// The value is one of these.
    AnyOf(Vec<Value>),
    /// A structured test.
    Test(MetaRange),
    /// The value equals this scalar.
    Equals(Value),
}

/// A structured `meta` test; every part given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaRange {
    /// The value is one of these.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<Value>>,
    /// The value is none of these (a missing field passes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_in: Option<Vec<Value>>,
    /// The value is a number at or above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The value is a number at or below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The field is present and not null (`true`) or absent or null (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

/// Conditions on a record; every part given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The record's customer sentiment (needs the encoder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentCondition>,
    /// Any of these record codes (a trailing `*` makes a prefix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Survey score bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoreCondition>,
    /// Tests on `meta` fields (all must hold).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, MetaTest>,
    /// Any of these conversation features (needs insights).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversation: Vec<ConversationFeature>,
}

impl Condition {
    /// Whether no part is given (the condition always holds).
    pub fn is_empty(&self) -> bool {
        self.sentiment.is_none()
            && self.codes.is_empty()
            && self.scores.is_none()
            && self.meta.is_empty()
            && self.conversation.is_empty()
    }
}

fn one() -> u32 {
    1
}

/// A severity raiser: when its condition holds, the severity rises by `by`
/// levels. Same parts as [`Condition`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raise {
    /// See [`Condition::sentiment`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentCondition>,
    /// See [`Condition::codes`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// See [`Condition::scores`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoreCondition>,
    /// See [`Condition::meta`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, MetaTest>,
    /// See [`Condition::conversation`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversation: Vec<ConversationFeature>,
    /// Levels to raise (default 1).
    #[serde(default = "one")]
    pub by: u32,
}

impl Raise {
    /// The condition part.
    pub fn condition(&self) -> Condition {
        Condition {
            sentiment: self.sentiment.clone(),
            codes: self.codes.clone(),
            scores: self.scores.clone(),
            meta: self.meta.clone(),
            conversation: self.conversation.clone(),
        }
    }
}

/// One alert rule as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleSpec {
    /// Unique id (letters, digits, `_`, `-`, `.`).
    pub id: String,
    /// Base severity.
    pub severity: Severity,
    /// Owning team (else the first pain code's owner, else `default_owner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What the rule detects; starts the alert's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Cue terms per language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cues: CueList,
    /// Conditions that must hold.
    #[serde(default, skip_serializing_if = "Condition::is_empty")]
    pub when: Condition,
    /// Severity raisers of this rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raise: Vec<Raise>,
}

/// An alert rules file as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSpec {
    /// Free-text version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What the rules cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owner when neither the rule nor a pain code names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_owner: Option<String>,
    /// Response deadline per severity.
    #[serde(default)]
    pub deadlines: Deadlines,
    /// Severity raisers applied to every rule (before the rule's own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raise: Vec<Raise>,
    /// Conversation cues for [`crate::stages::conversation::ConversationAnalyzer`]
    /// (the built-in ones when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationCues>,
    /// The rules, in evaluation order.
    #[serde(default)]
    pub rules: Vec<AlertRuleSpec>,
    /// The file the rules were read from (not part of the YAML).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// The source text (for line numbers in errors).
    #[serde(skip)]
    pub source: Option<String>,
}

/// One problem found in an alert rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleProblem {
    /// 1-based line in the file (0 when unknown).
    pub line: u64,
    /// The rule concerned, if any.
    pub rule: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(r) => write!(f, "line {}: rule `{r}`: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

fn problems_error(path: &Path, problems: &[RuleProblem]) -> Error {
    crate::error::problems_error(path, "alert rules", problems, |p| p.line)
}

impl AlertSpec {
    /// Reads and validates an alert rules file (YAML).
    pub fn load(path: impl AsRef<Path>) -> Result<AlertSpec> {
        let path = path.as_ref();
        let text = crate::io::yaml::read_config(path, "alert rules")?;
        let spec = AlertSpec::from_yaml_str(&text, path)?;
        let problems = spec.problems();
        if !problems.is_empty() {
            return Err(problems_error(path, &problems));
        }
        Ok(spec)
    }

    /// Parses YAML text (`path` names it in errors); not yet validated.
    pub fn from_yaml_str(text: &str, path: &Path) -> Result<AlertSpec> {
        crate::io::yaml::check_yaml_depth(text, path, "alert rules")?;
        let mut spec: AlertSpec =
            serde_yaml_ng::from_str(text).map_err(|e| Error::yaml(path, "alert rules YAML", e))?;
        spec.path = Some(path.to_owned());
        spec.source = Some(text.to_owned());
        Ok(spec)
    }

    /// Where the entries of the source are (empty without a source).
    fn lines(&self) -> crate::io::yaml::YamlLines {
        self.source
            .as_deref()
            .map(crate::io::yaml::YamlLines::of)
            .unwrap_or_default()
    }

    /// Every problem of the file (empty when valid): no rules, duplicate or
    /// malformed ids, unknown cue languages, empty cues, rules that could
    /// fire on every record, bad bounds, deadlines and raisers.
    pub fn problems(&self) -> Vec<RuleProblem> {
        // one parse of the source for every line asked below
        let lines = self.lines();
        let mut out = Vec::new();
        if self.rules.is_empty() {
            out.push(RuleProblem {
                line: lines.key("rules"),
                rule: None,
                message: "the file has no rules (`rules:`)".into(),
            });
        }
        let d = &self.deadlines;
        for s in Severity::ALL {
            let h = d.hours(s);
            if !(h.is_finite() && h > 0.0 && h <= 24.0 * 366.0 * 10.0) {
                out.push(RuleProblem {
                    line: lines.key("deadlines"),
                    rule: None,
                    message: format!("deadlines.{s} must be a positive number of hours, got {h}"),
                });
            }
        }
        let top_line = lines.key("raise");
        for (i, r) in self.raise.iter().enumerate() {
            for m in raise_problems(r) {
                out.push(RuleProblem {
                    line: top_line,
                    rule: None,
                    message: format!("raise #{}: {m}", i + 1),
                });
            }
        }
        if let Some(c) = &self.conversation {
            let line = lines.key("conversation");
            for m in c.problems() {
                out.push(RuleProblem {
                    line,
                    rule: None,
                    message: m,
                });
            }
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            let id = r.id.as_str();
            let n = seen.entry(id).or_insert(0);
            let line = lines.nth_id(id, *n);
            *n += 1;
            let mut p = |message: String| {
                out.push(RuleProblem {
                    line,
                    rule: (!id.is_empty()).then(|| id.to_owned()),
                    message,
                })
            };
            if id.trim().is_empty() {
                p(format!("rule #{} has an empty id", i + 1));
            } else if !id
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                p("id may contain only letters, digits, `_`, `-`, `.`".into());
            }
            if *n > 1 {
                p("duplicate id".into());
            }
            for m in cue_list_problems("cues", &r.cues) {
                p(m);
            }
            let has_cues = r.cues.values().flatten().any(|t| !t.trim().is_empty());
            if !has_cues && r.when.is_empty() {
                p(
                    "the rule has no cues and no `when` condition: it would fire on every record"
                        .into(),
                );
            }
            for m in condition_problems(&r.when) {
                p(format!("when: {m}"));
            }
            for (j, raise) in r.raise.iter().enumerate() {
                for m in raise_problems(raise) {
                    p(format!("raise #{}: {m}", j + 1));
                }
            }
            if r.owner.as_deref().is_some_and(|o| o.trim().is_empty()) {
                p("empty owner".into());
            }
        }
        out
    }
}

fn raise_problems(r: &Raise) -> Vec<String> {
    let c = r.condition();
    let mut out = condition_problems(&c);
    if c.is_empty() {
        out.push(
            "a raiser needs a condition (sentiment, codes, scores, meta or conversation)".into(),
        );
    }
    if !(1..=3).contains(&r.by) {
        out.push(format!("`by` must be 1, 2 or 3 levels, got {}", r.by));
    }
    out
}

fn condition_problems(c: &Condition) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = &c.sentiment {
        if s.label.is_none() && s.polarity_max.is_none() && s.min_polarity_max.is_none() {
            out.push(
                "empty `sentiment` condition (give label, polarity_max or min_polarity_max)".into(),
            );
        }
        for (name, v) in [
            ("polarity_max", s.polarity_max),
            ("min_polarity_max", s.min_polarity_max),
        ] {
            if let Some(v) = v {
                if !(-1.0..=1.0).contains(&v) {
                    out.push(format!("sentiment.{name} must be in -1..1, got {v}"));
                }
            }
        }
    }
    for code in &c.codes {
        if code.trim().trim_end_matches('*').is_empty() {
            out.push(format!("bad code pattern `{code}`"));
        }
    }
    if let Some(s) = &c.scores {
        if s.nps_max.is_none() && s.csat_max.is_none() && s.ces_min.is_none() {
            out.push("empty `scores` condition (give nps_max, csat_max or ces_min)".into());
        }
        if s.nps_max.is_some_and(|v| v > 10) {
            out.push("scores.nps_max must be in 0..10".into());
        }
        if s.csat_max.is_some_and(|v| !(1..=5).contains(&v)) {
            out.push("scores.csat_max must be in 1..5".into());
        }
        if s.ces_min.is_some_and(|v| !(1..=7).contains(&v)) {
            out.push("scores.ces_min must be in 1..7".into());
        }
    }
    for (field, test) in &c.meta {
        if field.trim().trim_start_matches("meta.").is_empty() {
            out.push("empty meta field name".into());
        }
        match test {
            MetaTest::AnyOf(list) if list.is_empty() => {
                out.push(format!("meta.{field}: empty list"));
            }
            MetaTest::AnyOf(list) if list.iter().any(|v| v.is_array() || v.is_object()) => {
                out.push(format!("meta.{field}: list items must be scalars"));
            }
            MetaTest::Equals(v) if v.is_object() || v.is_null() => {
                out.push(format!(
                    "meta.{field}: expected a value, a list of values or {{in, not_in, min, max, exists}}"
                ));
            }
            MetaTest::Test(t) => {
                if t.any_of.is_none()
                    && t.not_in.is_none()
                    && t.min.is_none()
                    && t.max.is_none()
                    && t.exists.is_none()
                {
                    out.push(format!("meta.{field}: empty test"));
                }
                if let (Some(lo), Some(hi)) = (t.min, t.max) {
                    if lo > hi {
                        out.push(format!("meta.{field}: min {lo} is above max {hi}"));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

// ------------------------------------------------------------------ alerts

/// Compiled alert rules.
#[derive(Debug)]
pub struct AlertRules {
    spec: AlertSpec,
    matcher: CueMatcher,
    /// Per rule: whether it has cues; its raisers (global first).
    rules: Vec<(bool, Vec<(Condition, u32)>)>,
}

/// What a condition found when it held.
#[derive(Debug, Default)]
struct Met {
    reasons: Vec<String>,
    triggers: Vec<Trigger>,
}

impl AlertRules {
    /// Reads, validates and compiles an alert rules file, with the default
    /// segmenter (Snowball stems and jieba's default dictionary; the same
    /// as the engine's unless it has a custom segmenter: then use
    /// [`AlertSpec::load`] + [`AlertRules::compile`]).
    pub fn load(path: impl AsRef<Path>) -> Result<AlertRules> {
        AlertRules::compile(AlertSpec::load(path)?, default_segmenter())
    }

    /// Compiles validated rules. `segmenter` cuts Russian and English cues
    /// exactly as clauses are cut ([`crate::Engine::segmenter`]); Chinese
    /// cues match as characters and are not added to its dictionary.
    pub fn compile(spec: AlertSpec, segmenter: &dyn Segment) -> Result<AlertRules> {
        let problems = spec.problems();
        if !problems.is_empty() {
            let path = spec.path.clone().unwrap_or_else(|| PathBuf::from("-"));
            return Err(problems_error(&path, &problems));
        }
        let mut matcher = CueMatcher::default();
        let mut rules = Vec::with_capacity(spec.rules.len());
        for (i, r) in spec.rules.iter().enumerate() {
            let group =
                u32::try_from(i).map_err(|_| Error::Config("too many alert rules".into()))?;
            for (lang, terms) in &r.cues {
                let language = Language::from_code(lang).filter(|l| !l.is_und());
                for t in terms {
                    matcher.add(group, t, language, segmenter);
                }
            }
            let has_cues = r.cues.values().flatten().any(|t| !t.trim().is_empty());
            let raisers = spec
                .raise
                .iter()
                .chain(&r.raise)
                .map(|x| (x.condition(), x.by))
                .collect();
            rules.push((has_cues, raisers));
        }
        matcher.build()?;
        Ok(AlertRules {
            spec,
            matcher,
            rules,
        })
    }

    /// The rules as written.
    pub fn spec(&self) -> &AlertSpec {
        &self.spec
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.spec.rules.len()
    }

    /// Whether there are no rules (never true for a valid file).
    pub fn is_empty(&self) -> bool {
        self.spec.rules.is_empty()
    }

    /// The conversation cues of the file (the built-in ones when it has
    /// none), for [`crate::stages::conversation::ConversationAnalyzer::compile`].
    pub fn conversation_cues(&self) -> ConversationCues {
        self.spec.conversation.clone().unwrap_or_default()
    }

    /// Whether any rule or raiser reads conversation features.
    pub fn uses_conversation(&self) -> bool {
        self.spec
            .rules
            .iter()
            .any(|r| !r.when.conversation.is_empty())
            || self
                .rules
                .iter()
                .any(|(_, rs)| rs.iter().any(|(c, _)| !c.conversation.is_empty()))
    }

    /// The alerts of one record. Clauses without kept terms are cut with
    /// the default segmenter; see [`AlertRules::evaluate_with`].
    pub fn evaluate(&self, a: &Analysis, insights: Option<&ConversationInsights>) -> Vec<Alert> {
        self.evaluate_with(a, insights, default_segmenter())
    }

    /// The alerts of one record, cutting clauses without kept terms with
    /// `segmenter` (the engine's: [`crate::Engine::segmenter`]).
    pub fn evaluate_with(
        &self,
        a: &Analysis,
        insights: Option<&ConversationInsights>,
        segmenter: &dyn Segment,
    ) -> Vec<Alert> {
        self.evaluate_work(a, &Work::default(), insights, segmenter)
    }

    /// [`AlertRules::evaluate_with`], reading the clauses' kept terms from
    /// `work` (the engine's batch stage).
    pub fn evaluate_work(
        &self,
        a: &Analysis,
        work: &Work,
        insights: Option<&ConversationInsights>,
        segmenter: &dyn Segment,
    ) -> Vec<Alert> {
        let n = self.spec.rules.len();
        let mut cue_hits: Vec<Vec<CueHit>> = vec![Vec::new(); n];
        let mut hits = Vec::new();
        for (i, c) in a.clauses.iter().enumerate() {
            if c.role != Role::Customer {
                continue;
            }
            self.matcher.find(c, work.terms(i), segmenter, &mut hits);
            for h in hits.drain(..) {
                if let Some(v) = cue_hits.get_mut(h.group as usize) {
                    v.push(h);
                }
            }
        }
        let mut alerts: Vec<(usize, Alert)> = Vec::new();
        for (ri, (rule, (has_cues, raisers))) in self.spec.rules.iter().zip(&self.rules).enumerate()
        {
            let cues = cue_hits.get(ri).map(Vec::as_slice).unwrap_or(&[]);
            if *has_cues && cues.is_empty() {
                continue;
            }
            if !*has_cues && rule.when.is_empty() {
                continue;
            }
            let Some(met) = check(&rule.when, a, insights) else {
                continue;
            };
            let mut severity = rule.severity;
            let mut raised = Vec::new();
            for (cond, by) in raisers {
                if let Some(m) = check(cond, a, insights) {
                    severity = severity.raised(*by);
                    raised.push(format!("+{by}: {}", m.reasons.join(", ")));
                }
            }
            let mut triggers: Vec<Trigger> = cues
                .iter()
                .map(|h| Trigger {
                    source: TriggerSource::Cue,
                    turn: h.turn,
                    start: h.start,
                    end: h.end,
                    text: h.text.clone(),
                    cue: Some(h.cue.clone()),
                    feature: None,
                    polarity: None,
                })
                .collect();
            triggers.extend(met.triggers);
            triggers.sort_by(|x, y| {
                (x.turn, x.start, x.end, &x.cue, x.feature)
                    .partial_cmp(&(y.turn, y.start, y.end, &y.cue, y.feature))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            triggers.dedup();

            let mut parts = Vec::new();
            if !cues.is_empty() {
                let mut said: Vec<String> = Vec::new();
                for h in cues {
                    let s = match h.turn {
                        Some(t) => format!("\"{}\" (turn {t})", h.text),
                        None => format!("\"{}\"", h.text),
                    };
                    if !said.contains(&s) {
                        said.push(s);
                    }
                }
                parts.push(format!("customer said {}", said.join(", ")));
            }
            parts.extend(met.reasons);
            let head = rule.description.as_deref().unwrap_or(&rule.id);
            let reason = format!("{head}: {}", parts.join("; "));

            let owner = rule
                .owner
                .clone()
                .or_else(|| pain_owner(a).map(str::to_owned))
                .or_else(|| self.spec.default_owner.clone());
            let hours = self.spec.deadlines.hours(severity);
            let start = a
                .time
                .as_ref()
                .map(|t| t.instant())
                .or_else(|| first_trigger_time(a, &triggers));
            let deadline = start.and_then(|t| add_hours(t, hours));
            alerts.push((
                ri,
                Alert {
                    record: a.id.clone(),
                    line: a.line,
                    rule: rule.id.clone(),
                    severity,
                    base_severity: rule.severity,
                    owner,
                    deadline,
                    deadline_hours: hours,
                    reason,
                    raised,
                    triggers,
                    customer: a.customer.clone(),
                    channel: a.channel.clone(),
                    time: a.time.as_ref().map(|t| t.as_str().to_owned()),
                },
            ));
        }
        alerts.sort_by_key(|(ri, al)| (al.severity, *ri));
        alerts.into_iter().map(|(_, al)| al).collect()
    }
}

/// The owner of the record's first pain point (in clause order), else of
/// its first pain code (direct codes before rolled-up ones).
fn pain_owner(a: &Analysis) -> Option<&str> {
    a.record_points()
        .iter()
        .find(|p| p.point == PointKind::Pain && p.owner.is_some())
        .and_then(|p| p.owner.as_deref())
        .or_else(|| {
            a.record_codes()
                .iter()
                .filter(|c| c.point == PointKind::Pain && c.owner.is_some())
                .min_by_key(|c| c.rolled_up)
                .and_then(|c| c.owner.as_deref())
        })
}

/// The time of the turn of the first trigger that has one.
fn first_trigger_time(a: &Analysis, triggers: &[Trigger]) -> Option<DateTime<FixedOffset>> {
    let turns = a.turns.as_ref()?;
    triggers.iter().filter_map(|t| t.turn).find_map(|t| {
        turns
            .get(t)
            .and_then(|x| x.time.as_ref())
            .map(|x| x.instant())
    })
}

/// `t + hours`, RFC 3339 in `t`'s offset (`Z` for UTC); `None` on overflow.
fn add_hours(t: DateTime<FixedOffset>, hours: f64) -> Option<String> {
    let ms = hours * 3_600_000.0;
    if !ms.is_finite() || ms.abs() > 1e15 {
        return None;
    }
    let d = TimeDelta::try_milliseconds(ms.round() as i64)?;
    t.checked_add_signed(d)
        .map(|x| x.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Checks a condition; `Some` with its reasons and triggers when it holds.
fn check(c: &Condition, a: &Analysis, insights: Option<&ConversationInsights>) -> Option<Met> {
    let mut met = Met::default();
    if let Some(s) = &c.sentiment {
        let agg = a.sentiment.as_ref()?;
        let mut why = Vec::new();
        if let Some(l) = s.label {
            if !l.matches(agg.label) {
                return None;
            }
            why.push(l.as_str().to_owned());
        }
        if let Some(max) = s.polarity_max {
            if agg.polarity > max {
                return None;
            }
            why.push(format!("polarity {:.2} ≤ {max}", agg.polarity));
        }
        if let Some(max) = s.min_polarity_max {
            if agg.min_polarity > max {
                return None;
            }
            why.push(format!(
                "most negative clause {:.2} ≤ {max}",
                agg.min_polarity
            ));
        }
        met.reasons.push(format!("sentiment {}", why.join(", ")));
    }
    if !c.codes.is_empty() {
        let hit: Vec<&str> = a
            .record_codes()
            .iter()
            .map(|rc| &*rc.code)
            .filter(|code| c.codes.iter().any(|p| code_matches(p, code)))
            .collect();
        if hit.is_empty() {
            return None;
        }
        met.reasons.push(format!("code {}", hit.join(", ")));
    }
    if let Some(s) = &c.scores {
        let sc = &a.scores;
        if let Some(max) = s.nps_max {
            let v = sc.nps.filter(|&v| v <= max)?;
            met.reasons.push(format!("NPS {v} ≤ {max}"));
        }
        if let Some(max) = s.csat_max {
            let v = sc.csat.filter(|&v| v <= max)?;
            met.reasons.push(format!("CSAT {v} ≤ {max}"));
        }
        if let Some(min) = s.ces_min {
            let v = sc.ces.filter(|&v| v >= min)?;
            met.reasons.push(format!("CES {v} ≥ {min}"));
        }
    }
    for (field, test) in &c.meta {
        let v = meta_field(a.meta.as_ref(), field);
        let why = meta_test(test, v)?;
        let name = field.strip_prefix("meta.").unwrap_or(field);
        met.reasons.push(format!("meta.{name} {why}"));
    }
    if !c.conversation.is_empty() {
        let i = insights?;
        let present: Vec<ConversationFeature> = c
            .conversation
            .iter()
            .copied()
            .filter(|&f| i.has(f))
            .collect();
        if present.is_empty() {
            return None;
        }
        for f in present {
            let evidence = i.evidence(f, a);
            let shown: Vec<String> = evidence
                .iter()
                .take(3)
                .map(|e| match (&e.cue, e.turn, e.polarity) {
                    (Some(_), Some(t), _) => format!("\"{}\" (turn {t})", e.text),
                    (Some(_), None, _) => format!("\"{}\"", e.text),
                    (None, Some(t), Some(p)) => format!("turn {t} polarity {p:.2}"),
                    _ => String::new(),
                })
                .filter(|x| !x.is_empty())
                .collect();
            met.reasons.push(if shown.is_empty() {
                format!("conversation: {f}")
            } else {
                format!("conversation: {f} {}", shown.join(", "))
            });
            for e in evidence {
                met.triggers.push(Trigger {
                    source: TriggerSource::Conversation,
                    turn: e.turn,
                    start: e.start,
                    end: e.end,
                    text: e.text,
                    cue: e.cue,
                    feature: Some(f),
                    polarity: e.polarity,
                });
            }
        }
    }
    Some(met)
}

/// Whether a record code matches a pattern (`x` exactly, `x*` as a prefix).
fn code_matches(pattern: &str, code: &str) -> bool {
    let p = pattern.trim();
    match p.strip_suffix('*') {
        Some(prefix) => code.starts_with(prefix),
        None => code == p,
    }
}

/// A `meta` field by name: the key itself, else a dotted path.
fn meta_field<'a>(meta: Option<&'a Value>, field: &str) -> Option<&'a Value> {
    let meta = meta?;
    let name = field.trim();
    let name = name.strip_prefix("meta.").unwrap_or(name);
    if let Some(v) = meta.get(name) {
        return Some(v).filter(|v| !v.is_null());
    }
    let mut cur = meta;
    for part in name.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur).filter(|v| !v.is_null())
}

/// A scalar as a number (numbers and numeric strings).
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// Two scalars are equal: as numbers when both are numeric, else as
/// trimmed, case-insensitive text.
fn scalar_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
        return (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_lowercase()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    matches!((text(a), text(b)), (Some(x), Some(y)) if x == y)
}

/// Whether a value (or, for a list, one of its items) is one of `list`.
fn one_of<'a>(v: &'a Value, list: &[Value]) -> Option<&'a Value> {
    match v {
        Value::Array(items) => items.iter().find(|x| list.iter().any(|y| scalar_eq(x, y))),
        _ => list.iter().any(|y| scalar_eq(v, y)).then_some(v),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Applies a meta test; `Some(why)` when it holds.
fn meta_test(test: &MetaTest, v: Option<&Value>) -> Option<String> {
    match test {
        MetaTest::AnyOf(list) => one_of(v?, list).map(|x| format!("= {}", show(x))),
        MetaTest::Equals(want) => {
            one_of(v?, std::slice::from_ref(want)).map(|x| format!("= {}", show(x)))
        }
        MetaTest::Test(t) => {
            let mut why = Vec::new();
            if let Some(exists) = t.exists {
                if v.is_some() != exists {
                    return None;
                }
                why.push(if exists { "exists" } else { "is absent" }.to_owned());
            }
            if let Some(list) = &t.any_of {
                let x = one_of(v?, list)?;
                why.push(format!("= {}", show(x)));
            }
            if let Some(list) = &t.not_in {
                if v.is_some_and(|x| one_of(x, list).is_some()) {
                    return None;
                }
                why.push("not excluded".to_owned());
            }
            if t.min.is_some() || t.max.is_some() {
                let x = as_number(v?)?;
                if t.min.is_some_and(|m| x < m) || t.max.is_some_and(|m| x > m) {
                    return None;
                }
                why.push(format!("= {x}"));
            }
            Some(why.join(", "))
        }
    }
}

impl Stage for AlertRules {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn needs_terms(&self, _conversation: bool) -> bool {
        true
    }

    fn needs_embeddings(&self) -> bool {
        false
    }

    /// Reads the codes, the sentiment and the conversation features, so it
    /// runs after their stages.
    fn run(&self, a: &mut Analyzed, cx: &Context<'_>) {
        let alerts = self.evaluate_work(
            &a.analysis,
            &a.work,
            a.analysis.conversation.as_ref(),
            cx.segmenter,
        );
        a.analysis.alerts = alerts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::record::{Record, Timestamp, Turn};
    use crate::neural::sentiment::AggregateSentiment;
    use crate::stages::codebook::CodebookSpec;
    use crate::stages::conversation::ConversationAnalyzer;
    use crate::Engine;
    use serde_json::json;

    const RULES: &str = r#"
default_owner: cx_ops
raise:
  - meta: {customer_value: [vip, high]}
rules:
  - id: safety
    severity: critical
    owner: product_safety
    cues:
      zh: [安全隐患, 刹车失灵, 起火]
      ru: [опасно, отказали тормоза]
      en: [unsafe, brakes failed, caught fire]
  - id: legal
    severity: high
    owner: legal
    cues:
      zh: [律师, 起诉, 法院]
      ru: [в суд, юрист, иск]
      en: [lawyer, sue, to court]
  - id: regulator
    severity: high
    owner: compliance
    cues:
      zh: ["12315", 曝光, 媒体]
      ru: [Роспотребнадзор, ЦБ]
      en: [regulator, BBB]
  - id: churn
    severity: high
    cues:
      zh: [退车, 退款, 不买了, 换别家]
      ru: [расторгну договор, уйду к другому оператору, верните деньги]
      en: [cancel my account, switching to, refund]
    raise:
      - scores: {nps_max: 3}
  - id: escalation
    severity: medium
    when:
      conversation: [escalation_request]
    raise:
      - conversation: [repeat_contact]
"#;

    fn engine() -> Engine {
        Engine::builder().build().expect("engine")
    }

    fn rules(e: &Engine) -> AlertRules {
        let spec = AlertSpec::from_yaml_str(RULES, Path::new("alerts.yaml")).expect("yaml");
        AlertRules::compile(spec, e.segmenter()).expect("compile")
    }

    fn text(e: &Engine, t: &str) -> Analysis {
        e.analyze(&Record::text("r", t)).expect("analysis")
    }

    fn call(_e: &Engine, turns: &[(&str, &str)]) -> Record {
        Record::conversation("c", turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect())
    }

    fn fired(e: &Engine, r: &AlertRules, t: &str) -> Vec<String> {
        r.evaluate_with(&text(e, t), None, e.segmenter())
            .into_iter()
            .map(|a| a.rule)
            .collect()
    }

    #[test]
    fn every_rule_fires_in_three_languages() {
        let e = engine();
        let r = rules(&e);
        let cases: &[(&str, &str)] = &[
            ("safety", "开到一半刹车失灵了"),
            ("safety", "у меня на трассе отказали тормоза"),
            ("safety", "The brakes failed on the motorway"),
            ("legal", "我已经找了律师"),
            ("legal", "я подам в суд на ваш салон"),
            ("legal", "I'm going to sue you"),
            ("regulator", "再不处理我就打12315"),
            ("regulator", "напишу жалобу в Роспотребнадзор"),
            ("regulator", "I'm reporting you to the BBB"),
            ("churn", "这车我要退车"),
            ("churn", "я расторгну договор"),
            ("churn", "I want to cancel my account"),
        ];
        for (rule, t) in cases {
            let got = fired(&e, &r, t);
            assert!(
                got.iter().any(|g| g == rule),
                "{t}: expected {rule}, got {got:?}"
            );
        }
        assert!(fired(&e, &r, "车很好开 服务也不错").is_empty());
        assert!(fired(&e, &r, "Great service, thanks").is_empty());
    }

    #[test]
    fn alert_fields_and_spans() {
        let e = engine();
        let r = rules(&e);
        let a = text(&e, "服务太差了，我要退车！");
        let alerts = r.evaluate_with(&a, None, e.segmenter());
        assert_eq!(alerts.len(), 1);
        let al = &alerts[0];
        assert_eq!(al.rule, "churn");
        assert_eq!(al.severity, Severity::High);
        assert_eq!(al.owner.as_deref(), Some("cx_ops"), "default owner");
        assert_eq!(al.deadline_hours, 4.0);
        assert_eq!(al.deadline, None, "no time, no deadline");
        let t = &al.triggers[0];
        assert_eq!((t.turn, t.start, t.end), (None, 8, 10));
        assert_eq!(t.text, "退车");
        assert_eq!(t.cue.as_deref(), Some("退车"));
        assert!(al.reason.contains("退车"), "{}", al.reason);
        let json = serde_json::to_value(al).expect("json");
        assert_eq!(json["severity"], "high");
        assert_eq!(json["triggers"][0]["source"], "cue");
    }

    #[test]
    fn negated_cues_do_not_fire() {
        // Decision: a cue in a negation scope raises nothing.
        let e = engine();
        let r = rules(&e);
        for t in [
            "I will not cancel my account",
            "I'm not going to sue anyone",
            "я не буду расторгать договор, я не уйду к другому оператору",
            "我不会退车的 放心",
            "没有安全隐患",
        ] {
            assert!(fired(&e, &r, t).is_empty(), "{t}: {:?}", fired(&e, &r, t));
        }
        // Cues carrying their own negator still fire.
        assert_eq!(fired(&e, &r, "这车我不买了"), ["churn"]);
    }

    #[test]
    fn agent_turns_never_trigger() {
        let e = engine();
        let r = rules(&e);
        let rec = call(
            &e,
            &[
                ("customer", "订单一直没发货"),
                ("agent", "您可以申请退款，也可以打12315，我们有律师团队"),
                ("bot", "If the brakes failed, call 911"),
                ("system", "客户要求退车"),
            ],
        );
        let a = e.analyze(&rec).expect("analysis");
        assert!(r.evaluate_with(&a, None, e.segmenter()).is_empty());
        // The same words from the customer do fire.
        let rec = call(&e, &[("agent", "您好"), ("customer", "我要申请退款")]);
        let a = e.analyze(&rec).expect("analysis");
        let alerts = r.evaluate_with(&a, None, e.segmenter());
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].triggers[0].turn, Some(1));
        assert_eq!(alerts[0].triggers[0].start, 4);
    }

    #[test]
    fn meta_value_raises_severity() {
        let e = engine();
        let r = rules(&e);
        let mut rec = Record::text("v", "I want a refund");
        rec.meta = Some(json!({"customer_value": "VIP"}));
        let a = e.analyze(&rec).expect("analysis");
        let al = &r.evaluate_with(&a, None, e.segmenter())[0];
        assert_eq!(al.base_severity, Severity::High);
        assert_eq!(al.severity, Severity::Critical);
        assert_eq!(al.deadline_hours, 2.0);
        assert_eq!(al.raised.len(), 1);
        assert!(al.raised[0].contains("customer_value"), "{:?}", al.raised);

        rec.meta = Some(json!({"customer_value": "standard"}));
        let a = e.analyze(&rec).expect("analysis");
        assert_eq!(
            r.evaluate_with(&a, None, e.segmenter())[0].severity,
            Severity::High
        );

        // Two raisers: VIP and NPS ≤ 3 — still at most critical.
        rec.meta = Some(json!({"customer_value": "high"}));
        rec.scores.nps = Some(1);
        let a = e.analyze(&rec).expect("analysis");
        let al = &r.evaluate_with(&a, None, e.segmenter())[0];
        assert_eq!(al.severity, Severity::Critical);
        assert_eq!(al.raised.len(), 2);
    }

    #[test]
    fn deadline_from_record_time() {
        let e = engine();
        let r = rules(&e);
        let mut rec = Record::text("d", "刹车失灵了，差点出事");
        rec.time = Timestamp::parse("2026-09-14T10:32:00+08:00");
        let a = e.analyze(&rec).expect("analysis");
        let al = &r.evaluate_with(&a, None, e.segmenter())[0];
        assert_eq!(al.rule, "safety");
        assert_eq!(al.owner.as_deref(), Some("product_safety"));
        assert_eq!(al.deadline.as_deref(), Some("2026-09-14T12:32:00+08:00"));
        assert_eq!(al.time.as_deref(), Some("2026-09-14T10:32:00+08:00"));

        // Date-only: from midnight UTC; custom deadlines.
        let y = RULES.replace(
            "default_owner: cx_ops",
            "default_owner: cx_ops\ndeadlines: {high: 1.5}",
        );
        let spec = AlertSpec::from_yaml_str(&y, Path::new("a.yaml")).expect("yaml");
        let r2 = AlertRules::compile(spec, e.segmenter()).expect("compile");
        let mut rec = Record::text("d", "I'll get a lawyer");
        rec.time = Timestamp::parse("2026-09-14");
        let a = e.analyze(&rec).expect("analysis");
        let al = &r2.evaluate_with(&a, None, e.segmenter())[0];
        assert_eq!(al.deadline_hours, 1.5);
        assert_eq!(al.deadline.as_deref(), Some("2026-09-14T01:30:00Z"));

        // No record time: the triggering turn's time.
        let mut t = Turn::new("customer", "верните деньги");
        t.time = Timestamp::parse("2026-08-04T19:12:00+03:00");
        let rec = Record::conversation("c", vec![Turn::new("agent", "добрый день"), t]);
        let a = e.analyze(&rec).expect("analysis");
        let al = &r.evaluate_with(&a, None, e.segmenter())[0];
        assert_eq!(al.deadline.as_deref(), Some("2026-08-04T23:12:00+03:00"));
    }

    #[test]
    fn escalation_from_conversation_features() {
        let e = engine();
        let r = rules(&e);
        let az =
            ConversationAnalyzer::compile(r.conversation_cues(), e.segmenter()).expect("analyzer");
        let cases: &[&[(&str, &str)]] = &[
            &[
                ("customer", "我这是第三次打电话了 钱还是没到"),
                ("agent", "抱歉给您带来不便"),
                ("customer", "找你们领导来"),
            ],
            &[
                ("customer", "я уже третий раз звоню"),
                ("agent", "приносим извинения"),
                ("customer", "позовите руководителя"),
            ],
            &[
                ("customer", "This is the third time calling"),
                ("agent", "I'm sorry"),
                ("customer", "Let me speak to a manager"),
            ],
        ];
        for turns in cases {
            let a = e.analyze(&call(&e, turns)).expect("analysis");
            let i = az.analyze_with(&a, e.segmenter()).expect("insights");
            // Without insights the rule cannot fire.
            assert!(r.evaluate_with(&a, None, e.segmenter()).is_empty());
            let alerts = r.evaluate_with(&a, Some(&i), e.segmenter());
            assert_eq!(alerts.len(), 1, "{turns:?}: {alerts:?}");
            let al = &alerts[0];
            assert_eq!(al.rule, "escalation");
            assert_eq!(al.severity, Severity::High, "raised by repeat_contact");
            let t = &al.triggers[0];
            assert_eq!(t.source, TriggerSource::Conversation);
            assert_eq!(t.feature, Some(ConversationFeature::EscalationRequest));
            assert_eq!(t.turn, Some(2));
            assert!(al.reason.contains("escalation_request"), "{}", al.reason);
        }
    }

    #[test]
    fn owner_from_first_pain_code() {
        let cb = r#"
codebook: t
codes:
  - id: delivery
    owner: logistics
    rules: {zh: [发货]}
    point: pain
  - id: billing
    owner: finance
    rules: {zh: [扣款]}
    point: pain
"#;
        let spec = CodebookSpec::from_yaml_str(cb, Path::new("cb.yaml")).expect("codebook");
        let e = Engine::builder().codebook(spec).build().expect("engine");
        let r = rules(&e);
        let a = e
            .analyze(&Record::text("o", "一直不发货，重复扣款，我要退款"))
            .expect("analysis");
        assert!(!a.record_points().is_empty());
        let al = &r.evaluate(&a, None)[0];
        assert_eq!(al.rule, "churn");
        assert_eq!(al.owner.as_deref(), Some("logistics"));
    }

    #[test]
    fn conditions_gate_rules() {
        let e = engine();
        let y = r#"
rules:
  - id: vip_refund
    severity: low
    cues: {en: [refund]}
    when:
      codes: ["billing*"]
      scores: {nps_max: 6}
      meta: {customer_value: [vip], order_value: {min: 1000}, "account.tier": gold}
  - id: angry
    severity: medium
    when:
      sentiment: {label: negative, polarity_max: -0.5}
"#;
        let spec = AlertSpec::from_yaml_str(y, Path::new("c.yaml")).expect("yaml");
        let r = AlertRules::compile(spec, e.segmenter()).expect("compile");
        let mut rec = Record::text("g", "I want a refund");
        rec.scores.nps = Some(5);
        rec.meta = Some(
            json!({"customer_value": "vip", "order_value": "2300", "account": {"tier": "Gold"}}),
        );
        let mut a = e.analyze(&rec).expect("analysis");
        assert!(r.evaluate(&a, None).is_empty(), "no billing code");
        a.codes
            .get_or_insert_with(Vec::new)
            .push(crate::stages::codebook::RecordCode {
                code: "billing.refund".into(),
                clauses: 1,
                point: PointKind::Pain,
                owner: None,
                rolled_up: false,
            });
        let alerts = r.evaluate(&a, None);
        assert_eq!(alerts.len(), 1);
        assert!(
            alerts[0].reason.contains("billing.refund"),
            "{}",
            alerts[0].reason
        );
        assert!(
            alerts[0].reason.contains("meta.account.tier"),
            "{}",
            alerts[0].reason
        );
        a.scores.nps = Some(8);
        assert!(r.evaluate(&a, None).is_empty(), "NPS too high");
        a.scores.nps = None;
        assert!(r.evaluate(&a, None).is_empty(), "missing NPS fails");

        // Sentiment: absent fails; negative enough fires.
        a.scores.nps = Some(5);
        assert_eq!(r.evaluate(&a, None).len(), 1);
        a.sentiment = Some(AggregateSentiment {
            min_polarity: -0.9,
            max_polarity: -0.2,
            ..AggregateSentiment::from_polarity(Polarity::Negative, -0.7)
        });
        let alerts = r.evaluate(&a, None);
        assert_eq!(
            alerts.iter().map(|x| x.rule.as_str()).collect::<Vec<_>>(),
            ["angry", "vip_refund"],
            "sorted by severity"
        );
        assert!(alerts[0].triggers.is_empty());
    }

    #[test]
    fn load_errors_name_file_line_and_rule() {
        let dir = std::env::temp_dir().join(format!("vocmine-alerts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("bad.yaml");
        let y = "rules:\n  - id: a\n    severity: high\n    cues: {en: [x]}\n  - id: a\n    severity: low\n    cues: {xx: [y]}\n  - id: b\n    severity: medium\n";
        std::fs::write(&p, y).expect("write");
        let err = AlertRules::load(&p).expect_err("invalid").to_string();
        assert!(err.contains("bad.yaml"), "{err}");
        assert!(err.contains("line 5: rule `a`: duplicate id"), "{err}");
        assert!(err.contains("unknown language `xx`"), "{err}");
        assert!(err.contains("line 8: rule `b`"), "{err}");

        std::fs::write(&p, "rules:\n  - id: a\n    severity: urgent\n").expect("write");
        let err = AlertRules::load(&p).expect_err("bad severity").to_string();
        assert!(err.contains("bad.yaml:3"), "{err}");

        std::fs::write(&p, "rules:\n  - id: a\n    severity: low\n    cues: {en: [x]}\n    raise:\n      - meta: {tier: gold}\n        by: 9\n")
            .expect("write");
        let err = AlertRules::load(&p).expect_err("bad raise").to_string();
        assert!(err.contains("rule `a`: raise #1"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn shipped_rules_load_and_fire() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/alerts.yaml");
        let r = AlertRules::load(&path).expect("corpora/alerts.yaml");
        assert!(r.len() >= 5);
        let e = engine();
        let az =
            ConversationAnalyzer::compile(r.conversation_cues(), e.segmenter()).expect("analyzer");
        let line = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/sample.jsonl"),
        )
        .expect("sample");
        let mut fired = BTreeMap::<String, usize>::new();
        for (i, l) in line.lines().enumerate() {
            let Ok(rec) = Record::from_json_str(l, i as u64 + 1) else {
                continue;
            };
            let Ok(a) = e.analyze(&rec) else { continue };
            let ins = az.analyze_with(&a, e.segmenter());
            for al in r.evaluate_with(&a, ins.as_ref(), e.segmenter()) {
                for t in &al.triggers {
                    // Spans point at the original text.
                    let src = match t.turn {
                        Some(k) => a.turns.as_ref().map(|ts| ts[k].text.clone()),
                        None => a.text.clone(),
                    }
                    .unwrap_or_default();
                    let s: String = src.chars().skip(t.start).take(t.end - t.start).collect();
                    assert_eq!(s, t.text, "{al:?}");
                    if let Some(k) = t.turn {
                        let turns = a.turns.as_ref().expect("turns");
                        assert_eq!(turns[k].role, Role::Customer, "{al:?}");
                    }
                }
                *fired.entry(al.rule.clone()).or_default() += 1;
            }
        }
        for rule in ["churn", "regulator", "escalation"] {
            assert!(fired.get(rule).is_some_and(|&n| n > 0), "{rule}: {fired:?}");
        }
    }

    #[test]
    fn compiled_rules_are_shareable() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<AlertRules>();
        send_sync::<ConversationAnalyzer>();
    }

    #[test]
    fn severity_raising_saturates() {
        assert_eq!(Severity::Low.raised(1), Severity::Medium);
        assert_eq!(Severity::Low.raised(3), Severity::Critical);
        assert_eq!(Severity::High.raised(5), Severity::Critical);
        assert_eq!(Severity::Medium.raised(0), Severity::Medium);
    }
}
