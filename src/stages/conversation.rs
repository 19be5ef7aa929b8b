//! Conversation features: what a whole call or chat tells beyond its
//! clauses.
//!
//! [`ConversationAnalyzer::analyze`] reads an analyzed conversation (a
//! `turns` record) and returns [`ConversationInsights`]:
//!
//! * `trajectory`: polarity of the first and the last customer turn that
//!   have a sentiment (with the neural encoder), their change, and
//!   `improved` / `worsened` flags; `null` without sentiment or with fewer
//!   than two customer turns carrying one;
//! * `unresolved_at_end`: the last customer turn is negative (label
//!   `negative`, or polarity at or below `unresolved_polarity`) or contains
//!   an unresolved cue (还是没解决, 没用, 算了; всё равно не решили,
//!   бесполезно; still not fixed, useless …);
//! * `escalation_request`: a customer asks for a manager or a complaint
//!   (找你们领导, 我要投诉; позовите руководителя, жалобу; let me speak to a
//!   manager, supervisor, file a complaint …);
//! * `repeat_contact`: the customer says this is not their first contact
//!   (第三次打电话了, 又打来; уже третий раз звоню, снова звоню; third time
//!   calling, called again, keep calling …);
//! * `agent_apology` / `agent_empathy`: an agent apologizes (抱歉, 不好意思;
//!   извините, приношу извинения; sorry, apologize) or shows understanding
//!   (理解您的心情; понимаю вас; I understand how frustrating …).
//!
//! Customer features read customer turns only, agent features agent turns
//! only (bots, systems and other speakers count for neither). Every feature
//! carries its evidence: turn, char span in the turn's original text,
//! matched text and cue.
//!
//! ## Cues
//!
//! Cues are configurable ([`ConversationCues`], YAML, with built-in
//! defaults) and matched like codebook terms ([`TermSet`]): Chinese cues as
//! folded characters (traditional and Cantonese text is folded to
//! simplified first, so write simplified forms), Russian and English cues as
//! sequences of whole Snowball-stemmed tokens (`called again` also matches
//! `calling again`). A cue whose first token lies in a negation scope does
//! not count: "I'm not going to file a complaint", 我不是要投诉 and
//! "не буду жаловаться" are no escalation requests. Cues that contain their
//! own negator (没用, не решили, still not fixed) start before or at the
//! negator and are not affected. In Chinese a negator does not reach across
//! a space (call transcripts separate phrases with spaces, not punctuation:
//! in 还是没解决 算了, 算了 is not negated). Overlapping occurrences of one
//! feature count once (我要投诉你们 is one escalation cue).
//!
//! Matching reuses the terms the engine kept for each clause of a
//! conversation ([`crate::batch::ClauseWork::terms`], read by
//! [`ConversationAnalyzer::analyze_work`], the engine's stage); clauses
//! without them are cut again with the segmenter given to
//! [`ConversationAnalyzer::analyze_with`] (or a default jieba segmenter,
//! built once per process).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::batch::{Analyzed, Context, Stage, Work};
use crate::contract::conversation::turn_evidence;
pub use crate::contract::conversation::{
    ConversationFeature, ConversationInsights, Evidence, Feature, Trajectory,
};
use crate::contract::output::{Analysis, Clause, RecordKind};
use crate::contract::record::Role;
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;
use crate::stages::codebook::{ClauseTerms, Hit, TermSet};
use crate::text::language::Language;
use crate::text::normalize::{fold_str, is_han, Normalizer};
use crate::text::tokens::{JiebaSegmenter, Segment, Token};

/// Cue terms per language: `zh`, `ru`, `en` (any language code vocmine
/// knows) or `any`.
pub type CueList = BTreeMap<String, Vec<String>>;

/// The cues and thresholds of the conversation features.
///
/// Every section is optional in YAML; a section that is given replaces the
/// built-in list of that feature (it does not extend it).
///
/// ```yaml
/// escalation:
///   zh: [找你们领导, 我要投诉]
///   en: [speak to a manager, supervisor]
/// unresolved_polarity: -0.3
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversationCues {
    /// Cues that the customer's problem is still open (checked in the last
    /// customer turn(s) only).
    pub unresolved: CueList,
    /// Cues of a request for a manager or a formal complaint.
    pub escalation: CueList,
    /// Cues that the customer has contacted before about the same thing.
    pub repeat_contact: CueList,
    /// Agent apology cues.
    pub apology: CueList,
    /// Agent empathy cues.
    pub empathy: CueList,
    /// A customer turn whose polarity is at or below this is negative
    /// (besides a `negative` label). Default −0.3.
    pub unresolved_polarity: f32,
    /// How many of the last customer turns `unresolved_at_end` reads
    /// (default 1: the last one).
    pub unresolved_last_turns: usize,
    /// Polarity change from the first to the last customer turn that counts
    /// as improved (≥ this) or worsened (≤ −this). Default 0.2.
    pub trajectory_min_change: f32,
}

impl Default for ConversationCues {
    /// The built-in cues: each language pack's `conversation.yaml`
    /// (`src/lang/<code>/`).
    fn default() -> Self {
        // Each pack's file parsed once. The packs are embedded and parsed
        // by a test: a pack that failed would leave its language without cues.
        let packs: Vec<(&str, BTreeMap<String, Vec<String>>)> = crate::lang::PACKS
            .iter()
            .map(|p| {
                let cues = serde_yaml_ng::from_str(p.conversation).unwrap_or_default();
                (p.language.code(), cues)
            })
            .collect();
        let feature = |name: &str| -> CueList {
            packs
                .iter()
                .filter_map(|(code, cues)| Some(((*code).to_owned(), cues.get(name)?.clone())))
                .collect()
        };
        ConversationCues {
            unresolved: feature("unresolved"),
            escalation: feature("escalation"),
            repeat_contact: feature("repeat_contact"),
            apology: feature("apology"),
            empathy: feature("empathy"),
            unresolved_polarity: -0.3,
            unresolved_last_turns: 1,
            trajectory_min_change: 0.2,
        }
    }
}

impl ConversationCues {
    /// Reads cues from a YAML file (missing sections keep their defaults).
    pub fn load(path: impl AsRef<Path>) -> Result<ConversationCues> {
        let path = path.as_ref();
        let text = crate::io::yaml::read_config(path, "conversation cues")?;
        let cues = ConversationCues::from_yaml_str(&text, path)?;
        let problems = cues.problems();
        if !problems.is_empty() {
            return Err(Error::Resource {
                path: path.to_owned(),
                line: 0,
                message: problems.join("; "),
            });
        }
        Ok(cues)
    }

    /// Parses YAML text (`path` names it in errors); not yet validated.
    pub fn from_yaml_str(text: &str, path: &Path) -> Result<ConversationCues> {
        crate::io::yaml::check_yaml_depth(text, path, "conversation cues")?;
        serde_yaml_ng::from_str(text).map_err(|e| Error::yaml(path, "conversation cues", e))
    }

    /// The cue sections with their names, in a fixed order.
    fn sections(&self) -> [(&'static str, &CueList); 5] {
        [
            ("unresolved", &self.unresolved),
            ("escalation", &self.escalation),
            ("repeat_contact", &self.repeat_contact),
            ("apology", &self.apology),
            ("empathy", &self.empathy),
        ]
    }

    /// Every problem of the cues (empty when valid): unknown language
    /// codes, empty terms, thresholds out of range.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, list) in self.sections() {
            out.extend(cue_list_problems(&format!("conversation.{name}"), list));
        }
        if !(-1.0..=1.0).contains(&self.unresolved_polarity) {
            out.push(format!(
                "unresolved_polarity must be in -1..1, got {}",
                self.unresolved_polarity
            ));
        }
        if self.unresolved_last_turns == 0 {
            out.push("unresolved_last_turns must be at least 1".into());
        }
        if !(0.0..=2.0).contains(&self.trajectory_min_change) {
            out.push(format!(
                "trajectory_min_change must be in 0..2, got {}",
                self.trajectory_min_change
            ));
        }
        out
    }
}

/// Problems of one cue list: unknown language keys and empty terms.
pub(crate) fn cue_list_problems(what: &str, list: &CueList) -> Vec<String> {
    let mut out = Vec::new();
    for (lang, terms) in list {
        if lang != "any" && Language::from_code(lang).is_none() {
            out.push(format!(
                "{what}: unknown language `{lang}` (use an ISO 639-1 code or `any`)"
            ));
        }
        for t in terms {
            if t.trim().is_empty() {
                out.push(format!("{what}.{lang}: empty cue"));
            }
        }
    }
    out
}

// ------------------------------------------------------------------ matching

/// A segmenter that cuts nothing: the last resort when no jieba segmenter
/// can be built (Chinese cues, matched as characters, still match).
#[derive(Debug)]
struct NoTokens;

impl Segment for NoTokens {
    fn segment<'a>(&self, _text: &'a str, _language: Language) -> Vec<Token<'a>> {
        Vec::new()
    }
}

/// The default segmenter (jieba, default dictionary), built once per
/// process; used when no segmenter is given and a clause kept no terms.
pub(crate) fn default_segmenter() -> &'static dyn Segment {
    static SEG: OnceLock<Option<JiebaSegmenter>> = OnceLock::new();
    match SEG
        .get_or_init(|| JiebaSegmenter::builder().build().ok())
        .as_ref()
    {
        Some(s) => s,
        None => &NoTokens,
    }
}

/// What is known about one compiled term.
#[derive(Debug, Clone, Default)]
struct TermInfo {
    /// Groups (features, rules) the term belongs to.
    groups: Vec<u32>,
    /// The folded character pattern of a Chinese term.
    han: Option<String>,
    /// Number of tokens of a token-matched term.
    tokens: usize,
}

/// Cue terms of several groups (features or alert rules), compiled into one
/// [`TermSet`].
#[derive(Debug, Default)]
pub(crate) struct CueMatcher {
    terms: TermSet,
    info: Vec<TermInfo>,
}

/// One non-negated cue occurrence in a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CueHit {
    /// The group of the cue.
    pub group: u32,
    /// The cue as written.
    pub cue: String,
    /// Turn of the clause.
    pub turn: Option<usize>,
    /// Char offset in the turn's (or the record's) original text.
    pub start: usize,
    /// Char offset one past the occurrence.
    pub end: usize,
    /// The original text of the occurrence.
    pub text: String,
}

impl CueMatcher {
    /// Adds every term of a cue list to `group`.
    pub(crate) fn add_list(&mut self, group: u32, list: &CueList, segmenter: &dyn Segment) {
        for (lang, terms) in list {
            let language = Language::from_code(lang).filter(|l| !l.is_und());
            for t in terms {
                self.add(group, t, language, segmenter);
            }
        }
    }

    /// Adds one term to `group`.
    pub(crate) fn add(
        &mut self,
        group: u32,
        term: &str,
        language: Option<Language>,
        segmenter: &dyn Segment,
    ) {
        if term.trim().is_empty() {
            return;
        }
        let id = self.terms.add(term, language, segmenter) as usize;
        if id >= self.info.len() {
            let folded = fold_str(term.trim()).to_lowercase();
            let mut info = TermInfo::default();
            if folded.chars().any(is_han) {
                info.han = Some(folded.chars().filter(|c| !c.is_whitespace()).collect());
            } else {
                let lang = language.unwrap_or(if folded.chars().any(|c| c.is_ascii_alphabetic()) {
                    Language::EN
                } else if folded.chars().any(|c| matches!(c, '\u{0400}'..='\u{04ff}')) {
                    Language::RU
                } else {
                    Language::EN
                });
                info.tokens = segmenter.segment(&folded, lang).len().max(1);
            }
            self.info.resize(id + 1, TermInfo::default());
            self.info[id] = info;
        }
        if let Some(info) = self.info.get_mut(id) {
            if !info.groups.contains(&group) {
                info.groups.push(group);
            }
        }
    }

    /// Builds the automata.
    pub(crate) fn build(&mut self) -> Result<()> {
        self.terms.build()
    }

    /// Every non-negated cue occurrence of a clause, per group, sorted by
    /// (group, start, end); within a group, overlapping occurrences are
    /// merged into the longest (then leftmost) one.
    pub(crate) fn find(
        &self,
        clause: &Clause,
        kept: Option<&ClauseTerms>,
        segmenter: &dyn Segment,
        out: &mut Vec<CueHit>,
    ) {
        out.clear();
        if self.terms.is_empty() {
            return;
        }
        let norm = Normalizer::new().normalize(&clause.text);
        let folded = norm.folded();
        let lower = folded.to_lowercase();
        let owned;
        let terms: &ClauseTerms = match kept {
            Some(t) if t.folded == lower => t,
            _ => {
                let tokens = segmenter.segment(folded, clause.language);
                owned = ClauseTerms::new(folded, &tokens);
                &owned
            }
        };
        let mut hits: Vec<Hit> = Vec::new();
        self.terms.find(terms, &mut hits);
        if hits.is_empty() {
            return;
        }
        // (term, start, end) in chars of the folded clause.
        let mut spans: Vec<(u32, usize, usize)> = Vec::new();
        let toks = &terms.tokens;
        for h in &hits {
            let Some(info) = self.info.get(h.term as usize) else {
                continue;
            };
            let t = h.token as usize;
            if h.negated && !(info.han.is_some() && negator_across_space(terms, t)) {
                continue;
            }
            match &info.han {
                Some(p) if !p.is_empty() => {
                    // The automaton reports the token at the match start;
                    // find the occurrences that start in that token (or in
                    // the gap before it).
                    let lo = if t == 0 {
                        0
                    } else {
                        toks.get(t - 1).map(|x| x.end as usize).unwrap_or(0)
                    };
                    let hi = toks.get(t).map(|x| x.end as usize).unwrap_or(usize::MAX);
                    let len = p.chars().count();
                    for (b, _) in terms.folded.match_indices(p.as_str()) {
                        let c = terms
                            .folded
                            .get(..b)
                            .map(|s| s.chars().count())
                            .unwrap_or(0);
                        if c >= lo && c < hi {
                            spans.push((h.term, c, c + len));
                        }
                    }
                }
                Some(_) => {}
                None => {
                    let Some(first) = toks.get(t) else { continue };
                    let last_i = (t + info.tokens.max(1) - 1).min(toks.len() - 1);
                    let last = toks.get(last_i).unwrap_or(first);
                    spans.push((
                        h.term,
                        first.start as usize,
                        last.end.max(first.end) as usize,
                    ));
                }
            }
        }
        spans.sort_unstable();
        spans.dedup();
        let chars: Vec<char> = clause.text.chars().collect();
        let mut found: Vec<CueHit> = Vec::new();
        for (term, s, e) in spans {
            let Some(info) = self.info.get(term as usize) else {
                continue;
            };
            let (os, oe) = norm.original_span(s, e);
            let (os, oe) = (os.min(chars.len()), oe.min(chars.len()));
            let text: String = chars.get(os..oe.max(os)).unwrap_or(&[]).iter().collect();
            for &g in &info.groups {
                found.push(CueHit {
                    group: g,
                    cue: self.terms.name(term).to_owned(),
                    turn: clause.turn,
                    start: clause.start + os,
                    end: clause.start + oe.max(os),
                    text: text.clone(),
                });
            }
        }
        // Overlapping occurrences of one group are one occurrence: the
        // longest wins, then the leftmost (我要投诉你们 is 我要投诉, not also
        // 投诉你们 and 投诉).
        found.sort_by(|a, b| {
            (a.group, std::cmp::Reverse(a.end - a.start), a.start, &a.cue).cmp(&(
                b.group,
                std::cmp::Reverse(b.end - b.start),
                b.start,
                &b.cue,
            ))
        });
        let mut kept: Vec<CueHit> = Vec::with_capacity(found.len());
        for h in found {
            let overlaps = kept.iter().any(|k| {
                k.group == h.group
                    && k.start < h.end.max(h.start + 1)
                    && h.start < k.end.max(k.start + 1)
            });
            if !overlaps {
                kept.push(h);
            }
        }
        kept.sort_by_key(|h| (h.group, h.start, h.end));
        *out = kept;
    }
}

/// Whether the negation scope that covers token `t` starts across a space:
/// Chinese call transcripts separate phrases with spaces instead of
/// punctuation, and a negator does not reach into the next phrase
/// (还是没解决 算了: 算了 is not negated).
fn negator_across_space(terms: &ClauseTerms, t: usize) -> bool {
    let toks = &terms.tokens;
    if t >= toks.len() {
        return false;
    }
    let mut i = t;
    // Walk back to the first negated token of the scope; the negator is the
    // token before it.
    while i > 0 && toks.get(i - 1).is_some_and(|x| x.negated) {
        i -= 1;
    }
    let (Some(negator), Some(hit)) = (i.checked_sub(1).and_then(|j| toks.get(j)), toks.get(t))
    else {
        return false;
    };
    let (from, to) = (negator.end as usize, hit.start as usize);
    to > from
        && terms
            .folded
            .chars()
            .skip(from)
            .take(to - from)
            .any(char::is_whitespace)
}

// ------------------------------------------------------------------ features

impl Feature {
    fn from_evidence(evidence: Vec<Evidence>) -> Feature {
        Feature {
            present: !evidence.is_empty(),
            evidence,
        }
    }
}

const UNRESOLVED: u32 = 0;
const ESCALATION: u32 = 1;
const REPEAT: u32 = 2;
const APOLOGY: u32 = 3;
const EMPATHY: u32 = 4;

/// Compiled conversation cues; computes [`ConversationInsights`].
#[derive(Debug)]
pub struct ConversationAnalyzer {
    cues: ConversationCues,
    matcher: CueMatcher,
}

impl ConversationAnalyzer {
    /// The analyzer with the built-in cues, compiled with the default
    /// segmenter.
    pub fn new() -> Result<ConversationAnalyzer> {
        ConversationAnalyzer::compile(ConversationCues::default(), default_segmenter())
    }

    /// Compiles cues. `segmenter` cuts Russian and English cues exactly as
    /// clauses are cut (pass [`crate::Engine::segmenter`]); Chinese cues are
    /// matched as characters and are not added to its dictionary.
    pub fn compile(
        cues: ConversationCues,
        segmenter: &dyn Segment,
    ) -> Result<ConversationAnalyzer> {
        let problems = cues.problems();
        if !problems.is_empty() {
            return Err(Error::Config(format!(
                "conversation cues: {}",
                problems.join("; ")
            )));
        }
        let mut matcher = CueMatcher::default();
        matcher.add_list(UNRESOLVED, &cues.unresolved, segmenter);
        matcher.add_list(ESCALATION, &cues.escalation, segmenter);
        matcher.add_list(REPEAT, &cues.repeat_contact, segmenter);
        matcher.add_list(APOLOGY, &cues.apology, segmenter);
        matcher.add_list(EMPATHY, &cues.empathy, segmenter);
        matcher.build()?;
        Ok(ConversationAnalyzer { cues, matcher })
    }

    /// The cues compiled.
    pub fn cues(&self) -> &ConversationCues {
        &self.cues
    }

    /// The features of a conversation (`None` for text records). Clauses
    /// without kept terms are cut with the default segmenter.
    pub fn analyze(&self, a: &Analysis) -> Option<ConversationInsights> {
        self.analyze_with(a, default_segmenter())
    }

    /// [`ConversationAnalyzer::analyze`], cutting clauses without kept terms
    /// with `segmenter` (the engine's: [`crate::Engine::segmenter`]).
    pub fn analyze_with(
        &self,
        a: &Analysis,
        segmenter: &dyn Segment,
    ) -> Option<ConversationInsights> {
        self.analyze_work(a, &Work::default(), segmenter)
    }

    /// [`ConversationAnalyzer::analyze_with`], reading the clauses' kept
    /// terms from `work` (the engine's batch stage).
    pub fn analyze_work(
        &self,
        a: &Analysis,
        work: &Work,
        segmenter: &dyn Segment,
    ) -> Option<ConversationInsights> {
        if a.kind != RecordKind::Conversation {
            return None;
        }
        let turns = a.turns.as_deref()?;
        let customer: Vec<usize> = turns
            .iter()
            .filter(|t| t.role == Role::Customer && !t.text.trim().is_empty())
            .map(|t| t.turn)
            .collect();
        let agent_turns = turns.iter().filter(|t| t.role == Role::Agent).count();
        let last_n = self.cues.unresolved_last_turns.max(1);
        let final_turns: Vec<usize> = customer.iter().rev().take(last_n).copied().collect();

        let mut unresolved = Vec::new();
        let mut escalation = Vec::new();
        let mut repeat = Vec::new();
        let mut apology = Vec::new();
        let mut empathy = Vec::new();
        let mut hits = Vec::new();
        for (i, c) in a.clauses.iter().enumerate() {
            let customer_clause = c.role == Role::Customer;
            if !(customer_clause || c.role == Role::Agent) {
                continue;
            }
            self.matcher.find(c, work.terms(i), segmenter, &mut hits);
            for h in hits.drain(..) {
                let target = match (h.group, customer_clause) {
                    (UNRESOLVED, true) if h.turn.is_some_and(|t| final_turns.contains(&t)) => {
                        &mut unresolved
                    }
                    (ESCALATION, true) => &mut escalation,
                    (REPEAT, true) => &mut repeat,
                    (APOLOGY, false) => &mut apology,
                    (EMPATHY, false) => &mut empathy,
                    _ => continue,
                };
                target.push(Evidence {
                    turn: h.turn,
                    start: h.start,
                    end: h.end,
                    text: h.text,
                    cue: Some(h.cue),
                    polarity: None,
                });
            }
        }
        // A negative final customer turn is unresolved too.
        for &t in final_turns.iter().rev() {
            let Some(s) = turns.get(t).and_then(|x| x.sentiment.as_ref()) else {
                continue;
            };
            if s.label == Polarity::Negative || s.polarity <= self.cues.unresolved_polarity {
                unresolved.push(turn_evidence(a, t, s.polarity));
            }
        }
        let by_position = |e: &Evidence| (e.turn, e.start, e.end);
        unresolved.sort_by_key(by_position);

        let with_sentiment: Vec<(usize, f32, Polarity)> = customer
            .iter()
            .filter_map(|&t| {
                turns
                    .get(t)
                    .and_then(|x| x.sentiment.as_ref())
                    .map(|s| (t, s.polarity, s.label))
            })
            .collect();
        let trajectory = match (with_sentiment.first(), with_sentiment.last()) {
            (Some(&(ft, fp, fl)), Some(&(lt, lp, ll))) if ft != lt => {
                let change = ((lp - fp) * 10_000.0).round() / 10_000.0;
                let min = self.cues.trajectory_min_change;
                Some(Trajectory {
                    first_turn: ft,
                    first_polarity: fp,
                    first_label: fl,
                    last_turn: lt,
                    last_polarity: lp,
                    last_label: ll,
                    change,
                    improved: change >= min && change > 0.0,
                    worsened: change <= -min && change < 0.0,
                })
            }
            _ => None,
        };
        Some(ConversationInsights {
            turns: turns.len(),
            customer_turns: customer.len(),
            agent_turns,
            last_customer_turn: customer.last().copied(),
            trajectory,
            unresolved_at_end: Feature::from_evidence(unresolved),
            escalation_request: Feature::from_evidence(escalation),
            repeat_contact: Feature::from_evidence(repeat),
            agent_apology: Feature::from_evidence(apology),
            agent_empathy: Feature::from_evidence(empathy),
        })
    }
}

impl Stage for ConversationAnalyzer {
    fn name(&self) -> &'static str {
        "conversation"
    }

    /// The cues are matched on the clauses of conversation records.
    fn needs_terms(&self, conversation: bool) -> bool {
        conversation
    }

    fn needs_embeddings(&self) -> bool {
        false
    }

    fn run(&self, a: &mut Analyzed, cx: &Context<'_>) {
        a.analysis.conversation = self.analyze_work(&a.analysis, &a.work, cx.segmenter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::record::{Record, Turn};
    use crate::neural::sentiment::AggregateSentiment;
    use crate::Engine;

    fn engine() -> Engine {
        Engine::builder().build().expect("engine")
    }

    fn call(engine: &Engine, turns: &[(&str, &str)]) -> Analysis {
        let rec = Record::conversation("c", turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect());
        engine.analyze(&rec).expect("analysis")
    }

    fn insights(turns: &[(&str, &str)]) -> (Analysis, ConversationInsights) {
        let e = engine();
        let a = call(&e, turns);
        let az = ConversationAnalyzer::compile(ConversationCues::default(), e.segmenter())
            .expect("compile");
        let i = az.analyze_with(&a, e.segmenter()).expect("insights");
        (a, i)
    }

    fn cues_of(f: &Feature) -> Vec<&str> {
        f.evidence.iter().filter_map(|e| e.cue.as_deref()).collect()
    }

    fn sentiment(polarity: f32) -> AggregateSentiment {
        let label = if polarity <= -0.3 {
            Polarity::Negative
        } else if polarity >= 0.3 {
            Polarity::Positive
        } else {
            Polarity::Neutral
        };
        AggregateSentiment::from_polarity(label, polarity)
    }

    #[test]
    fn text_records_have_no_conversation_features() {
        let e = engine();
        let a = e.analyze(&Record::text("t", "我要投诉")).expect("analysis");
        let az = ConversationAnalyzer::new().expect("analyzer");
        assert!(az.analyze(&a).is_none());
    }

    #[test]
    fn escalation_in_three_languages() {
        let (a, i) = insights(&[
            ("agent", "您好"),
            ("customer", "你们这样不行 我要找你们领导"),
        ]);
        assert!(i.escalation_request.present);
        let ev = &i.escalation_request.evidence[0];
        assert_eq!(ev.turn, Some(1));
        assert_eq!(ev.text, "找你们领导");
        let turn = &a.turns.as_ref().expect("turns")[1].text;
        let span: String = turn
            .chars()
            .skip(ev.start)
            .take(ev.end - ev.start)
            .collect();
        assert_eq!(span, ev.text);

        let (_, i) = insights(&[
            ("customer", "знаете что позовите руководителя"),
            ("agent", "хорошо"),
        ]);
        assert_eq!(cues_of(&i.escalation_request), ["позовите руководителя"]);

        let (_, i) = insights(&[
            ("customer", "This is ridiculous, let me speak to a manager."),
            ("agent", "Of course."),
        ]);
        assert_eq!(
            cues_of(&i.escalation_request),
            ["let me speak to a manager"]
        );
        let ev = &i.escalation_request.evidence[0];
        assert_eq!(ev.text, "let me speak to a manager");
        assert_eq!((ev.start, ev.end), (20, 45));
    }

    #[test]
    fn nested_cues_give_one_occurrence() {
        let (_, i) = insights(&[("customer", "我要投诉你们")]);
        assert_eq!(i.escalation_request.evidence.len(), 1, "{i:?}");
    }

    #[test]
    fn negated_escalation_is_not_a_request() {
        let (_, i) = insights(&[("customer", "I'm not going to file a complaint, just fix it")]);
        assert!(!i.escalation_request.present, "{i:?}");
        let (_, i) = insights(&[("customer", "я не буду жаловаться")]);
        assert!(!i.escalation_request.present, "{i:?}");
        let (_, i) = insights(&[("customer", "我不投诉 就是想问一下")]);
        assert!(!i.escalation_request.present, "{i:?}");
    }

    #[test]
    fn repeat_contact_in_three_languages() {
        let (_, i) = insights(&[("customer", "喂 我这是第三次打电话了啊")]);
        assert!(i.repeat_contact.present, "{i:?}");
        let (_, i) = insights(&[("customer", "алло я уже третий раз звоню по поводу машины")]);
        assert_eq!(cues_of(&i.repeat_contact), ["уже третий раз звоню"]);
        let (_, i) = insights(&[("customer", "This is the third time calling about my card")]);
        assert_eq!(cues_of(&i.repeat_contact), ["third time calling"]);
        let (_, i) = insights(&[("customer", "I have called again and again")]);
        assert!(i.repeat_contact.present, "stemmed: called/calling");
        // Cantonese, folded from traditional.
        let (_, i) = insights(&[("customer", "我已經第三次打嚟啦")]);
        assert!(i.repeat_contact.present, "{i:?}");
    }

    #[test]
    fn unresolved_at_end_reads_the_last_customer_turn() {
        let (_, i) = insights(&[
            ("customer", "车机又死机了"),
            ("agent", "我们帮您重启一下"),
            ("customer", "还是没解决 算了"),
            ("agent", "非常抱歉"),
        ]);
        assert!(i.unresolved_at_end.present);
        assert_eq!(cues_of(&i.unresolved_at_end), ["还是没解决", "算了"]);
        assert_eq!(i.last_customer_turn, Some(2));

        // The cue in an earlier turn does not count.
        let (_, i) = insights(&[
            ("customer", "还是没解决"),
            ("agent", "已为您处理"),
            ("customer", "好的 谢谢"),
        ]);
        assert!(!i.unresolved_at_end.present, "{i:?}");

        let (_, i) = insights(&[
            ("customer", "интернет не работает"),
            ("agent", "перезагрузите роутер"),
            ("customer", "всё равно не решили, бесполезно"),
        ]);
        assert_eq!(
            cues_of(&i.unresolved_at_end),
            ["всё равно не решили", "бесполезно"]
        );

        let (_, i) = insights(&[
            ("customer", "My app crashes"),
            ("agent", "Please reinstall"),
            ("customer", "It's still not fixed. Useless."),
        ]);
        assert_eq!(
            cues_of(&i.unresolved_at_end),
            ["still not fixed", "useless"]
        );
    }

    #[test]
    fn negative_last_turn_is_unresolved() {
        let e = engine();
        let mut a = call(
            &e,
            &[
                ("customer", "the car is making a noise"),
                ("agent", "we will check it"),
                ("customer", "ok whatever"),
            ],
        );
        let az = ConversationAnalyzer::compile(ConversationCues::default(), e.segmenter())
            .expect("compile");
        let i = az.analyze_with(&a, e.segmenter()).expect("insights");
        assert!(!i.unresolved_at_end.present);
        assert!(i.trajectory.is_none(), "no sentiment, no trajectory");
        if let Some(turns) = a.turns.as_mut() {
            turns[0].sentiment = Some(sentiment(0.1));
            turns[2].sentiment = Some(sentiment(-0.6));
        }
        let i = az.analyze_with(&a, e.segmenter()).expect("insights");
        assert!(i.unresolved_at_end.present);
        let ev = &i.unresolved_at_end.evidence[0];
        assert_eq!((ev.turn, ev.polarity), (Some(2), Some(-0.6)));
        assert_eq!(ev.text, "ok whatever");
        let t = i.trajectory.as_ref().expect("trajectory");
        assert_eq!((t.first_turn, t.last_turn), (0, 2));
        assert!(t.worsened && !t.improved);
        assert!(i.has(ConversationFeature::SentimentWorsened));
        assert_eq!(
            i.evidence(ConversationFeature::SentimentWorsened, &a).len(),
            2
        );
    }

    #[test]
    fn trajectory_improved() {
        let e = engine();
        let mut a = call(
            &e,
            &[
                ("customer", "卡被冻结了 刷不了"),
                ("agent", "已为您解冻"),
                ("customer", "哦 那还好 谢谢啊"),
            ],
        );
        if let Some(turns) = a.turns.as_mut() {
            turns[0].sentiment = Some(sentiment(-0.7));
            turns[1].sentiment = Some(sentiment(0.9)); // an agent turn: ignored
            turns[2].sentiment = Some(sentiment(0.5));
        }
        let az = ConversationAnalyzer::new().expect("analyzer");
        let i = az.analyze(&a).expect("insights");
        let t = i.trajectory.as_ref().expect("trajectory");
        assert!(t.improved && !t.worsened);
        assert_eq!(t.change, 1.2);
        assert!(!i.unresolved_at_end.present);
        let json = serde_json::to_value(&i).expect("json");
        assert_eq!(json["trajectory"]["improved"], true);
        // Only one customer turn with sentiment: no trajectory (null in JSON).
        if let Some(turns) = a.turns.as_mut() {
            turns[0].sentiment = None;
        }
        let i = az.analyze(&a).expect("insights");
        assert!(i.trajectory.is_none());
        let json = serde_json::to_value(&i).expect("json");
        assert!(json["trajectory"].is_null());
    }

    #[test]
    fn agent_features_in_three_languages() {
        let (_, i) = insights(&[
            ("customer", "等了三个小时了"),
            ("agent", "非常抱歉让您久等了 我理解您的心情"),
        ]);
        assert_eq!(cues_of(&i.agent_apology), ["抱歉"]);
        assert_eq!(cues_of(&i.agent_empathy), ["理解您的心情"]);
        let (_, i) = insights(&[
            ("customer", "никто не перезвонил"),
            ("agent", "приносим извинения, понимаю вас"),
        ]);
        assert_eq!(cues_of(&i.agent_apology), ["приносим извинения"]);
        assert_eq!(cues_of(&i.agent_empathy), ["понимаю вас"]);
        let (_, i) = insights(&[
            ("customer", "nobody looked at the car"),
            (
                "agent",
                "I'm really sorry, I understand how frustrating that is",
            ),
        ]);
        assert_eq!(cues_of(&i.agent_apology), ["sorry"]);
        assert_eq!(cues_of(&i.agent_empathy), ["i understand how frustrating"]);
        // 不好意思 starts with a negator and still is an apology.
        let (_, i) = insights(&[("customer", "嗯"), ("agent", "不好意思 让您久等了")]);
        assert!(i.agent_apology.present, "{i:?}");
    }

    #[test]
    fn roles_are_kept_apart() {
        // A customer's "sorry" is no agent apology; an agent's 投诉 is no
        // escalation request; a bot counts for neither.
        let (_, i) = insights(&[
            ("customer", "sorry, I understand"),
            ("agent", "您可以投诉 也可以找我们领导"),
            ("bot", "抱歉 我没听懂"),
        ]);
        assert!(!i.agent_apology.present);
        assert!(!i.agent_empathy.present);
        assert!(!i.escalation_request.present);
        assert_eq!((i.customer_turns, i.agent_turns), (1, 1));
    }

    #[test]
    fn uses_kept_terms_when_present() {
        let e = Engine::builder().keep_terms(true).build().expect("engine");
        let rec = Record::conversation(
            "c",
            vec![Turn::new("customer", "Let me speak to a manager")],
        );
        let a = e.analyze_record(&rec).expect("analysis");
        assert!(a.work.terms(0).is_some());
        let az = ConversationAnalyzer::compile(ConversationCues::default(), e.segmenter())
            .expect("compile");
        let i = az.analyze_work(&a, &a.work, &NoTokens).expect("insights");
        assert!(i.escalation_request.present);
    }

    #[test]
    fn cues_from_yaml_replace_sections() {
        let y = "escalation:\n  en: [ombudsman]\nunresolved_last_turns: 2\n";
        let cues = ConversationCues::from_yaml_str(y, Path::new("c.yaml")).expect("yaml");
        assert_eq!(cues.escalation["en"], ["ombudsman"]);
        assert_eq!(cues.unresolved_last_turns, 2);
        assert_eq!(cues.apology, ConversationCues::default().apology);
        let e = engine();
        let az = ConversationAnalyzer::compile(cues, e.segmenter()).expect("compile");
        let a = call(&e, &[("customer", "I will go to the ombudsman. Manager!")]);
        let i = az.analyze_with(&a, e.segmenter()).expect("insights");
        assert_eq!(cues_of(&i.escalation_request), ["ombudsman"]);

        let bad = "escalation:\n  xx: [a]\nunknown_key: 1\n";
        let err = ConversationCues::from_yaml_str(bad, Path::new("c.yaml"))
            .expect_err("unknown key")
            .to_string();
        assert!(
            err.contains("c.yaml:2") || err.contains("c.yaml:3"),
            "{err}"
        );
        let bad = ConversationCues {
            unresolved_last_turns: 0,
            ..ConversationCues::default()
        };
        assert!(ConversationAnalyzer::compile(bad, e.segmenter()).is_err());
    }
}
