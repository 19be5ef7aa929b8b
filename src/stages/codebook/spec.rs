//! The codebook as written: YAML (or a CSV / XLSX table), parsed and
//! validated, before compilation. See `corpora/codebooks/FORMAT.md`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::contract::codes::PointKind;
use crate::error::{Error, Result};
use crate::io::yaml::YamlLines;

/// A whole codebook as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodebookSpec {
    /// Name of the codebook.
    pub codebook: String,
    /// Free-text version, echoed in outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What the codebook covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Languages the rules cover.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Matching settings.
    #[serde(default)]
    pub settings: Settings,
    /// Point cues.
    #[serde(default)]
    pub points: PointCues,
    /// The codes, parents before or after children (any order).
    #[serde(default)]
    pub codes: Vec<CodeSpec>,
    /// The file the codebook was read from (not part of the YAML).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// The source text (for line numbers in errors).
    #[serde(skip)]
    pub source: Option<String>,
}

/// Matching settings of a codebook.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Minimum combined score for a code on a clause.
    pub threshold: f32,
    /// Evidence of one matching rule (0..1).
    pub rule_weight: f32,
    /// Centred cosine similarity at which the exemplar evidence of a code
    /// that also has rules is 0.5.
    pub exemplar_threshold: f32,
    /// Centred cosine similarity at which the exemplar evidence of a code
    /// without rules (a zero-shot code: labels, description, exemplars) is
    /// 0.5. When not set, it is `zero_shot_ratio` times the centred
    /// similarity of the codebook's own exemplars to their codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_shot_threshold: Option<f32>,
    /// The threshold of codes without rules as a fraction of the mean
    /// centred similarity of each exemplar to its own code's prototype
    /// (computed without that exemplar): the codebook calibrates itself,
    /// whether its codes are close together or far apart.
    pub zero_shot_ratio: f32,
    /// Width of the exemplar evidence ramp (centred cosine units).
    pub exemplar_scale: f32,
    /// Evidence of a code's label (in the clause's language) found in a
    /// clause, for codes without rules: their labels act as a rule of this
    /// weight (0 turns it off).
    pub label_weight: f32,
    /// Codes compete on a clause: a code's exemplar evidence counts only
    /// when its centred similarity is within this margin of the best
    /// code's (0: only the nearest code). When not set, the margin is
    /// `exemplar_margin_ratio` of the best code's own centred similarity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemplar_margin: Option<f32>,
    /// The margin within which codes compete, as a fraction of the best
    /// code's centred similarity on the clause: with 0.2, a code counts
    /// when it is at least 0.8 of the best. Relative, so the same setting
    /// fits codebooks whose codes lie close together or far apart.
    pub exemplar_margin_ratio: f32,
    /// Learned classifier file, relative to the codebook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learned: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: 0.5,
            rule_weight: 0.9,
            exemplar_threshold: 0.06,
            zero_shot_threshold: None,
            zero_shot_ratio: 0.5,
            exemplar_scale: 0.02,
            exemplar_margin: None,
            exemplar_margin_ratio: 0.2,
            label_weight: 0.9,
            learned: None,
        }
    }
}

/// Terms (per language, `any` for all) and regular expressions that cue a
/// point type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CueSpec {
    /// Regular expressions per language, over the folded clause.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub regex: BTreeMap<String, Vec<String>>,
    /// Terms per language.
    #[serde(flatten)]
    pub terms: BTreeMap<String, Vec<String>>,
}

/// Sentiment thresholds for points.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SentimentCues {
    /// Clause polarity at or below which a code is a pain.
    pub pain_below: f32,
    /// Clause polarity at or above which a code is a delight.
    pub delight_above: f32,
}

impl Default for SentimentCues {
    fn default() -> Self {
        SentimentCues {
            pain_below: -0.3,
            delight_above: 0.6,
        }
    }
}

/// The `points` section: cues for pain, itch and delight.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PointCues {
    /// Wishes, suggestions, unmet expectations.
    pub itch: CueSpec,
    /// Clearly positive experiences.
    pub delight: CueSpec,
    /// Lexical pain cues (used without a sentiment model, and to confirm
    /// weakly negative clauses).
    pub pain: CueSpec,
    /// Sentiment thresholds.
    pub sentiment: SentimentCues,
}

/// One code as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeSpec {
    /// Unique id (letters, digits, `_`, `-`, `.`).
    pub id: String,
    /// Parent code id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Labels per language.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Owning department (inherited from the parent when missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What the code means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rules per language (`any` for all languages).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RulesSpec>,
    /// Example sentences (embedding evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exemplars: Vec<String>,
    /// Point hint: every match of this code has this point type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<PointKind>,
    /// Score threshold for this code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// Centred exemplar similarity at which this code's exemplar evidence
    /// is 0.5 (default: `settings.exemplar_threshold` for a code with
    /// rules, the zero-shot threshold for one without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemplar_threshold: Option<f32>,
}

/// The rules of one language: one rule, a list of rules, or a bare term list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RulesSpec {
    /// A list of rules and bare terms (bare terms form one `any` rule).
    List(Vec<RuleItem>),
    /// One rule.
    One(RuleSpec),
}

/// An item of a rule list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuleItem {
    /// A bare term.
    Term(String),
    /// A rule.
    Rule(RuleSpec),
}

impl RulesSpec {
    /// The rules, bare terms gathered into one `any` rule (first).
    pub fn rules(&self) -> Vec<RuleSpec> {
        match self {
            RulesSpec::One(r) => vec![r.clone()],
            RulesSpec::List(items) => {
                let terms: Vec<String> = items
                    .iter()
                    .filter_map(|i| match i {
                        RuleItem::Term(t) => Some(t.clone()),
                        RuleItem::Rule(_) => None,
                    })
                    .collect();
                let mut out = Vec::new();
                if !terms.is_empty() {
                    out.push(RuleSpec {
                        any: terms,
                        ..RuleSpec::default()
                    });
                }
                out.extend(items.iter().filter_map(|i| match i {
                    RuleItem::Rule(r) => Some(r.clone()),
                    RuleItem::Term(_) => None,
                }));
                out
            }
        }
    }
}

/// One rule: all of its parts must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// At least one of these terms (when given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<String>,
    /// Every one of these terms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<String>,
    /// None of these terms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not: Vec<String>,
    /// Pairs of terms within a window of tokens: `[a, b, window]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub near: Vec<(String, String, usize)>,
    /// Regular expressions over the folded, lowercased clause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
    /// Evidence weight of this rule (default: the codebook's `rule_weight`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f32>,
}

impl RuleSpec {
    /// Whether the rule has a positive part (any, all, near or regex).
    pub fn is_positive(&self) -> bool {
        !(self.any.is_empty()
            && self.all.is_empty()
            && self.near.is_empty()
            && self.regex.is_empty())
    }
}

/// One problem found in a codebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line in the codebook file (0 when unknown).
    pub line: u64,
    /// The code concerned, if any.
    pub code: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(c) => write!(f, "line {}: code `{c}`: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Builds the error for a list of problems.
pub(crate) fn problems_error(path: &Path, problems: &[Problem]) -> Error {
    crate::error::problems_error(path, "codebook", problems, |p| p.line)
}

impl CodebookSpec {
    /// Reads a codebook: YAML (`.yaml`, `.yml`), or a table (`.csv`, `.tsv`,
    /// `.xlsx`). The result is validated.
    pub fn load(path: impl AsRef<Path>) -> Result<CodebookSpec> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_lowercase();
        crate::io::yaml::check_config_size(path, "codebook")?;
        let mut spec = match ext.as_str() {
            "csv" | "tsv" => super::table::read_csv(path, ext == "tsv")?,
            "xlsx" | "xlsm" | "xls" | "ods" => super::table::read_xlsx(path)?,
            _ => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                CodebookSpec::from_yaml_str(&text, path)?
            }
        };
        spec.path = Some(path.to_owned());
        let problems = spec.problems();
        if !problems.is_empty() {
            return Err(problems_error(path, &problems));
        }
        Ok(spec)
    }

    /// Parses YAML text (`path` names it in errors); not yet validated.
    pub fn from_yaml_str(text: &str, path: &Path) -> Result<CodebookSpec> {
        crate::io::yaml::check_yaml_depth(text, path, "codebook")?;
        let mut spec: CodebookSpec =
            serde_yaml_ng::from_str(text).map_err(|e| Error::yaml(path, "codebook YAML", e))?;
        spec.source = Some(text.to_owned());
        spec.path = Some(path.to_owned());
        Ok(spec)
    }

    /// Writes the codebook as YAML (e.g. after a table import).
    pub fn to_yaml(&self) -> Result<String> {
        serde_yaml_ng::to_string(self).map_err(|e| Error::Config(format!("codebook to YAML: {e}")))
    }

    /// The directory relative paths of the codebook refer to.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_owned)
            .unwrap_or_default()
    }

    /// The path of the learned classifier named in the settings.
    pub fn learned_path(&self) -> Option<PathBuf> {
        self.settings
            .learned
            .as_ref()
            .map(|l| self.base_dir().join(l))
    }

    /// The 1-based line where code `id` is defined (0 when unknown).
    pub fn line_of(&self, id: &str) -> u64 {
        self.lines().nth_id(id, 0)
    }

    /// Where the entries of the source are (empty without a source).
    fn lines(&self) -> YamlLines {
        self.source
            .as_deref()
            .map(YamlLines::of)
            .unwrap_or_default()
    }

    /// Every problem of the codebook (empty when valid): duplicate ids,
    /// unknown parents, cycles, bad regular expressions, bad thresholds,
    /// empty rules, codes that can never match.
    pub fn problems(&self) -> Vec<Problem> {
        // one parse of the source for every line asked below
        let lines = self.lines();
        let mut out = Vec::new();
        let mut p = |code: Option<&str>, message: String| {
            out.push(Problem {
                line: code.map(|c| lines.nth_id(c, 0)).unwrap_or(0),
                code: code.map(str::to_owned),
                message,
            })
        };
        if self.codebook.trim().is_empty() {
            p(None, "the codebook has no name (`codebook:`)".into());
        }
        if self.codes.is_empty() {
            p(None, "the codebook has no codes".into());
        }
        let s = &self.settings;
        for (name, v) in [
            ("threshold", s.threshold),
            ("rule_weight", s.rule_weight),
            ("label_weight", s.label_weight),
        ] {
            if !(0.0..=1.0).contains(&v) {
                p(None, format!("settings.{name} must be in 0..1, got {v}"));
            }
        }
        if s.exemplar_scale <= 0.0 {
            p(None, "settings.exemplar_scale must be > 0".into());
        }
        if s.zero_shot_ratio <= 0.0 {
            p(None, "settings.zero_shot_ratio must be > 0".into());
        }
        if s.exemplar_margin.is_some_and(|m| m.is_nan() || m < 0.0) {
            p(None, "settings.exemplar_margin must be >= 0".into());
        }
        if !(0.0..=1.0).contains(&s.exemplar_margin_ratio) {
            p(
                None,
                "settings.exemplar_margin_ratio must be between 0 and 1".into(),
            );
        }
        for (kind, cue) in [
            ("itch", &self.points.itch),
            ("delight", &self.points.delight),
            ("pain", &self.points.pain),
        ] {
            for (lang, list) in &cue.regex {
                for r in list {
                    if let Err(e) = regex::Regex::new(r) {
                        p(
                            None,
                            format!("points.{kind}.regex.{lang}: bad regex `{r}`: {e}"),
                        );
                    }
                }
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut dup_count: HashMap<&str, usize> = HashMap::new();
        let mut out_dups: Vec<Problem> = Vec::new();
        let mut has_children: HashSet<&str> = HashSet::new();
        for c in &self.codes {
            if let Some(parent) = &c.parent {
                has_children.insert(parent.as_str());
            }
        }
        for (i, c) in self.codes.iter().enumerate() {
            let id = c.id.as_str();
            if id.is_empty() {
                p(None, format!("code #{} has an empty id", i + 1));
                continue;
            }
            if !id
                .chars()
                .all(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '-' | '.'))
            {
                p(
                    Some(id),
                    "id may contain only letters, digits, `_`, `-`, `.`".into(),
                );
            }
            let n = dup_count.entry(id).or_insert(0usize);
            *n += 1;
            if seen.insert(id, i).is_some() {
                out_dups.push(Problem {
                    line: lines.nth_id(id, *n - 1),
                    code: Some(id.to_owned()),
                    message: "duplicate id".into(),
                });
            }
            if let Some(t) = c.threshold {
                if !(0.0..=1.0).contains(&t) {
                    p(Some(id), format!("threshold must be in 0..1, got {t}"));
                }
            }
            for (lang, rules) in &c.rules {
                for (j, r) in rules.rules().iter().enumerate() {
                    if !r.is_positive() {
                        p(
                            Some(id),
                            format!(
                                "rule {} of `{lang}` has no any / all / near / regex part",
                                j + 1
                            ),
                        );
                    }
                    if let Some(w) = r.weight {
                        if !(0.0..=1.0).contains(&w) {
                            p(Some(id), format!("rule weight must be in 0..1, got {w}"));
                        }
                    }
                    for t in r.any.iter().chain(&r.all).chain(&r.not) {
                        if t.trim().is_empty() {
                            p(Some(id), format!("empty term in a `{lang}` rule"));
                        }
                    }
                    for (a, b, w) in &r.near {
                        if a.trim().is_empty() || b.trim().is_empty() || *w == 0 {
                            p(Some(id), format!("bad near [{a}, {b}, {w}] in `{lang}`"));
                        }
                    }
                    for re in &r.regex {
                        if let Err(e) = regex::Regex::new(re) {
                            p(Some(id), format!("bad regex `{re}` in `{lang}`: {e}"));
                        }
                    }
                }
            }
            let matchable = !c.rules.is_empty()
                || !c.exemplars.is_empty()
                || !c.labels.is_empty()
                || c.description.is_some();
            if !matchable && !has_children.contains(id) && self.settings.learned.is_none() {
                p(
                    Some(id),
                    "code has no rule, exemplar, label or description and no children: it can never match"
                        .into(),
                );
            }
        }
        out.append(&mut out_dups);
        let mut p = |code: Option<&str>, message: String| {
            out.push(Problem {
                line: code.map(|c| lines.nth_id(c, 0)).unwrap_or(0),
                code: code.map(str::to_owned),
                message,
            })
        };
        for c in &self.codes {
            if let Some(parent) = &c.parent {
                if parent == &c.id {
                    p(Some(&c.id), "code is its own parent".into());
                } else if !seen.contains_key(parent.as_str()) {
                    p(Some(&c.id), format!("unknown parent `{parent}`"));
                }
            }
        }
        // Cycles: follow parents from every code.
        let parent_of: HashMap<&str, &str> = self
            .codes
            .iter()
            .filter_map(|c| c.parent.as_deref().map(|p| (c.id.as_str(), p)))
            .filter(|(c, p)| c != p)
            .collect();
        let mut reported: HashSet<&str> = HashSet::new();
        for c in &self.codes {
            let mut cur = c.id.as_str();
            let mut path = vec![cur];
            while let Some(&next) = parent_of.get(cur) {
                if next == c.id {
                    if path.iter().all(|x| !reported.contains(x)) {
                        path.push(next);
                        p(
                            Some(&c.id),
                            format!("cycle of parents: {}", path.join(" → ")),
                        );
                        reported.extend(path.iter().copied());
                    }
                    break;
                }
                if path.len() > self.codes.len() {
                    break;
                }
                path.push(next);
                cur = next;
            }
        }
        out
    }

    /// Renders the code tree with, per code, its owner, rule count, exemplar
    /// count and — when `counts` is given — a count per code (e.g. matches).
    pub fn tree(&self, counts: Option<&BTreeMap<String, u64>>) -> String {
        let mut children: BTreeMap<Option<&str>, Vec<&CodeSpec>> = BTreeMap::new();
        for c in &self.codes {
            children.entry(c.parent.as_deref()).or_default().push(c);
        }
        let mut out = String::new();
        fn walk(
            spec: &CodebookSpec,
            children: &BTreeMap<Option<&str>, Vec<&CodeSpec>>,
            parent: Option<&str>,
            depth: usize,
            counts: Option<&BTreeMap<String, u64>>,
            out: &mut String,
        ) {
            let Some(list) = children.get(&parent) else {
                return;
            };
            for c in list {
                let label = c
                    .labels
                    .get("en")
                    .or_else(|| c.labels.values().next())
                    .map(String::as_str)
                    .unwrap_or("");
                let rules: usize = c.rules.values().map(|r| r.rules().len()).sum();
                let langs: Vec<&str> = c.rules.keys().map(String::as_str).collect();
                out.push_str(&format!(
                    "{:indent$}{}  {}  [owner {}; {} rules {}; {} exemplars{}]\n",
                    "",
                    c.id,
                    label,
                    spec.owner_of(&c.id).unwrap_or("-"),
                    rules,
                    if langs.is_empty() {
                        String::new()
                    } else {
                        format!("({})", langs.join(","))
                    },
                    c.exemplars.len(),
                    counts
                        .map(|m| format!("; {} matches", m.get(&c.id).copied().unwrap_or(0)))
                        .unwrap_or_default(),
                    indent = depth * 2
                ));
                walk(spec, children, Some(&c.id), depth + 1, counts, out);
            }
        }
        walk(self, &children, None, 0, counts, &mut out);
        out
    }

    /// The owner of a code: its own, or the nearest ancestor's.
    pub fn owner_of(&self, id: &str) -> Option<&str> {
        let by_id: HashMap<&str, &CodeSpec> =
            self.codes.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut cur = by_id.get(id)?;
        for _ in 0..=self.codes.len() {
            if let Some(o) = &cur.owner {
                return Some(o);
            }
            cur = by_id.get(cur.parent.as_deref()?)?;
        }
        None
    }
}
