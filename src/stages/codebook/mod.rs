//! The codebook stage (码框): hierarchical codes with owners, matched by
//! rules, exemplars and learned classifiers; and the points stage (pain,
//! itch, delight) on every (clause, code).
//!
//! A [`CodebookSpec`] is what the user writes (YAML, CSV or XLSX; see
//! `corpora/codebooks/FORMAT.md`); [`Codebook::compile`] turns it into
//! automata, exemplar prototypes and classifier weights once; then
//! [`Codebook::classify`] codes one clause from its [`ClauseTerms`], its
//! embedding and its sentiment — no segmentation and no encoder are needed
//! at that point, which is what makes reclassification of a store fast.
//!
//! Evidence combines by noisy-OR: `score = 1 − Π (1 − pᵢ)` over
//! * rules: `p = rule weight` (0.9 by default) when any rule of the code matches;
//! * exemplars: `p = crate::numeric::sigmoid((c − t) / s)`, where `c` is the cosine of the
//!   clause to the code's prototype (the unit sum of the unit means of its
//!   exemplars, labels and description) minus the clause's mean cosine over
//!   all prototypes (centring removes the 0.92–0.97 similarity every
//!   prototype has to every clause), `t` = `exemplar_threshold` for codes
//!   with rules and, for codes without, `zero_shot_threshold` or else
//!   `zero_shot_ratio` × the mean centred similarity of the codebook's own
//!   exemplars to their codes (leave-one-out), `s` = `exemplar_scale`;
//!   only codes within a margin of the clause's best code get it (codes
//!   compete): `exemplar_margin` when set, else `exemplar_margin_ratio` of
//!   the best code's centred similarity;
//! * labels: a leaf code without rules has one rule per label (weight
//!   `label_weight`);
//! * learned: `p = crate::numeric::sigmoid(w · e + b)` of the code's classifier.
//!
//! A code is kept when its score reaches its threshold.

mod cache;
mod eval;
mod learned;
mod review;
pub(crate) mod spec;
mod table;

pub use crate::text::terms::{ClauseTerms, Hit, TermSet, TermToken};
pub use cache::{cache_dir, cached_embeddings};
pub use eval::{evaluate, read_gold, CodeScore, EvalReport, Evaluator, GoldCode, GoldItem};
#[cfg(feature = "onnx")]
pub use eval::{learn, learn_points};
pub use learned::{
    lexical_features, train_points, LearnedCode, LearnedModel, LearnedPoints, PointExample,
    RecordEvidence, TrainOptions,
};
pub use review::{
    is_review_sheet, read_review, review_gold, write_review, ReviewClause, ReviewOptions,
    ReviewPicker, ReviewReason, ReviewRow, REVIEW_COLUMNS,
};
pub use spec::{
    CodeSpec, CodebookSpec, CueSpec, PointCues, PointKind, Problem, RuleItem, RuleSpec, RulesSpec,
    SentimentCues, Settings,
};
pub use table::{read_csv, read_xlsx};

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::batch::{Analyzed, Context, Stage, Work};
pub use crate::contract::codes::{ClauseCode, Evidence, Point, RecordCode};
use crate::contract::output::Analysis;
use crate::contract::record::Role;
use crate::error::{Error, Result};
use crate::neural::sentiment::{Sentiment, Voice, VoiceType};
use crate::text::language::Language;
use crate::text::tokens::Segment;

/// A code's evidence on a clause before the threshold
/// ([`Codebook::candidates`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The code id.
    pub code: Arc<str>,
    /// Combined score, 0..1 (the code is kept when it reaches `threshold`).
    pub score: f32,
    /// The code's threshold.
    pub threshold: f32,
    /// A rule (or a label used as one) matched.
    pub rule: bool,
    /// Exemplar evidence, 0..1 (0: none, or the code lost the competition).
    pub exemplar: f32,
    /// Probability from the learned classifier, if the code has one.
    pub learned: Option<f32>,
}

/// A coded clause, as [`Codebook::roll_up`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct ClauseRef<'a> {
    /// Turn index.
    pub turn: Option<usize>,
    /// Char offset of the clause.
    pub start: usize,
    /// Char offset one past the clause.
    pub end: usize,
    /// The clause text.
    pub text: &'a str,
    /// Its codes.
    pub codes: &'a [ClauseCode],
}

#[derive(Debug)]
struct Code {
    id: Arc<str>,
    parent: Option<u32>,
    owner: Option<Arc<str>>,
    point: Option<PointKind>,
    threshold: f32,
    exemplar_threshold: f32,
}

#[derive(Debug)]
struct Rule {
    code: u32,
    weight: f32,
    any: Vec<u32>,
    all: Vec<u32>,
    not: Vec<u32>,
    near: Vec<(u32, u32, u32)>,
    regex: Vec<Regex>,
    /// What to show as evidence when only a regex matched.
    regex_name: Option<String>,
}

/// The evidence for one code on one clause.
#[derive(Debug, Default)]
struct CodeEvidence {
    rule: f32,
    exemplar: f32,
    centred: f32,
    learned: Option<f32>,
    shown: Evidence,
}

const CUE_ITCH: u8 = 1;
const CUE_DELIGHT: u8 = 2;
const CUE_PAIN: u8 = 4;

/// Row-major matrix of unit vectors with the code each row scores.
#[derive(Debug, Clone)]
struct Matrix {
    codes: Vec<u32>,
    rows: Vec<f32>,
    bias: Vec<f32>,
    /// Rule and exemplar feature weights (learned classifiers).
    extra: Vec<[f32; 2]>,
}

/// A compiled codebook.
#[derive(Debug)]
pub struct Codebook {
    spec: CodebookSpec,
    codes: Vec<Code>,
    index: FxHashMap<Arc<str>, u32>,
    terms: TermSet,
    rules: Vec<Rule>,
    term_rules: Vec<Vec<u32>>,
    regex_rules: Vec<u32>,
    term_cues: Vec<u8>,
    cue_regex: Vec<(u8, Regex)>,
    prototypes: Option<Matrix>,
    learned: Option<Matrix>,
    lexical: Option<LexicalWeights>,
    points: Option<PointHead>,
    dim: usize,
}

/// The learned classifiers' lexical features, compiled: each term's weight
/// on every learned row (term-major: one row of weights per term, as long
/// as the learned rows), so a clause adds the rows of the terms it has.
#[derive(Debug, Clone)]
struct LexicalWeights {
    index: FxHashMap<Box<str>, u32>,
    w: Vec<f32>,
}

impl LexicalWeights {
    /// Adds the clause's lexical evidence to the learned rows' logits `z`
    /// (one per learned row; each matched term worth `1 / sqrt(count)`).
    fn add(&self, clause: &ClauseTerms, z: &mut [f32]) {
        let rows = z.len();
        let mut found: Vec<u32> = learned::lexical_features(clause)
            .into_iter()
            .filter_map(|f| self.index.get(f).copied())
            .collect();
        if found.is_empty() {
            return;
        }
        found.sort_unstable();
        let v = 1.0 / (found.len() as f32).sqrt();
        for t in found {
            let t = t as usize;
            for (zk, wk) in z.iter_mut().zip(&self.w[t * rows..(t + 1) * rows]) {
                *zk += v * wk;
            }
        }
    }
}

/// The learned point head, compiled: weights and a bias per code index.
#[derive(Debug, Clone)]
struct PointHead {
    w: Vec<f32>,
    voice_w: Vec<f32>,
    bias: Vec<[f32; 3]>,
}

/// Embeds texts (the encoder, or anything that maps texts to unit vectors).
pub type EmbedFn<'a> = &'a dyn Fn(&[&str]) -> Result<Vec<Vec<f32>>>;

impl Codebook {
    /// Compiles a codebook. `segmenter` cuts the terms exactly as clauses
    /// are cut (its dictionary learns the Chinese terms); `embed`, when
    /// given, embeds the exemplars (`encoder` names the model, checked
    /// against the learned classifier file).
    pub fn compile(
        spec: CodebookSpec,
        segmenter: &dyn Segment,
        embed: Option<(EmbedFn<'_>, &str)>,
    ) -> Result<Codebook> {
        let problems = spec.problems();
        if !problems.is_empty() {
            let path = spec.path.clone().unwrap_or_default();
            return Err(spec::problems_error(&path, &problems));
        }
        let s = &spec.settings;
        let mut index: FxHashMap<Arc<str>, u32> = FxHashMap::default();
        for (i, c) in spec.codes.iter().enumerate() {
            index.insert(Arc::from(c.id.as_str()), i as u32);
        }
        let mut codes: Vec<Code> = spec
            .codes
            .iter()
            .map(|c| Code {
                id: Arc::from(c.id.as_str()),
                parent: c.parent.as_deref().and_then(|p| index.get(p).copied()),
                owner: spec.owner_of(&c.id).map(Arc::from),
                point: c.point,
                threshold: c.threshold.unwrap_or(s.threshold),
                // Codes without rules get theirs once the prototypes exist.
                exemplar_threshold: c.exemplar_threshold.unwrap_or(s.exemplar_threshold),
            })
            .collect();
        let parents: std::collections::BTreeSet<&str> = spec
            .codes
            .iter()
            .filter_map(|c| c.parent.as_deref())
            .collect();
        // Chinese terms become jieba words, so they segment as one token.
        let mut han_terms = Vec::new();
        let mut all_terms = |list: &[String]| {
            for t in list {
                if t.chars().any(crate::text::normalize::is_han) {
                    han_terms.push(t.clone());
                }
            }
        };
        for c in &spec.codes {
            for r in c.rules.values().flat_map(RulesSpec::rules) {
                all_terms(&r.any);
                all_terms(&r.all);
                all_terms(&r.not);
            }
            if c.rules.is_empty() && !parents.contains(c.id.as_str()) && s.label_weight > 0.0 {
                let labels: Vec<String> = c.labels.values().cloned().collect();
                all_terms(&labels);
            }
        }
        segmenter.add_words(&han_terms);

        let mut terms = TermSet::default();
        let mut rules = Vec::new();
        for (ci, c) in spec.codes.iter().enumerate() {
            for (lang, rs) in &c.rules {
                let language = Language::from_code(lang);
                for r in rs.rules() {
                    let mut add = |t: &String| terms.add(t, language, segmenter);
                    let any = r.any.iter().map(&mut add).collect();
                    let all = r.all.iter().map(&mut add).collect();
                    let not = r.not.iter().map(&mut add).collect();
                    let near = r
                        .near
                        .iter()
                        .map(|(a, b, w)| (add(a), add(b), *w as u32))
                        .collect();
                    let regex = r
                        .regex
                        .iter()
                        .map(|x| compile_regex(x, &spec, Some(&c.id)))
                        .collect::<Result<Vec<_>>>()?;
                    rules.push(Rule {
                        code: ci as u32,
                        weight: r.weight.unwrap_or(s.rule_weight),
                        any,
                        all,
                        not,
                        near,
                        regex,
                        regex_name: r.regex.first().map(|x| format!("/{x}/")),
                    });
                }
            }
        }
        // A leaf code without rules: each label is a rule in its language.
        let label_rules = |c: &CodeSpec| {
            s.label_weight > 0.0 && c.rules.is_empty() && !parents.contains(c.id.as_str())
        };
        if s.label_weight > 0.0 {
            for (ci, c) in spec.codes.iter().enumerate() {
                if !label_rules(c) {
                    continue;
                }
                for (lang, label) in &c.labels {
                    if label.trim().is_empty() {
                        continue;
                    }
                    let t = terms.add(label, Language::from_code(lang), segmenter);
                    rules.push(Rule {
                        code: ci as u32,
                        weight: s.label_weight,
                        any: vec![t],
                        all: Vec::new(),
                        not: Vec::new(),
                        near: Vec::new(),
                        regex: Vec::new(),
                        regex_name: None,
                    });
                }
            }
        }
        let mut term_cues = Vec::new();
        let mut cue_regex = Vec::new();
        for (flag, cue) in [
            (CUE_ITCH, &spec.points.itch),
            (CUE_DELIGHT, &spec.points.delight),
            (CUE_PAIN, &spec.points.pain),
        ] {
            for (lang, list) in &cue.terms {
                let language = Language::from_code(lang);
                for t in list {
                    let id = terms.add(t, language, segmenter) as usize;
                    if term_cues.len() <= id {
                        term_cues.resize(id + 1, 0);
                    }
                    term_cues[id] |= flag;
                }
            }
            for list in cue.regex.values() {
                for r in list {
                    cue_regex.push((flag, compile_regex(r, &spec, None)?));
                }
            }
        }
        term_cues.resize(terms.len(), 0);
        terms.build()?;
        let mut term_rules = vec![Vec::new(); terms.len()];
        let mut regex_rules = Vec::new();
        for (ri, r) in rules.iter().enumerate() {
            let mut positive: Vec<u32> = r.any.iter().chain(&r.all).copied().collect();
            positive.extend(r.near.iter().flat_map(|&(a, b, _)| [a, b]));
            if positive.is_empty() {
                regex_rules.push(ri as u32);
            }
            positive.sort_unstable();
            positive.dedup();
            for t in positive {
                term_rules[t as usize].push(ri as u32);
            }
        }

        let mut dim = 0;
        let mut prototypes = None;
        if let Some((embed, _)) = embed {
            let (m, own) = prototype_matrix(&spec, &parents, embed)?;
            if let Some(m) = &m {
                dim = m.rows.len() / m.codes.len().max(1);
            }
            prototypes = m;
            let zero_shot = s
                .zero_shot_threshold
                .unwrap_or_else(|| own.map_or(ZERO_SHOT_FALLBACK, |o| s.zero_shot_ratio * o));
            for (code, c) in codes.iter_mut().zip(&spec.codes) {
                if c.rules.is_empty() && c.exemplar_threshold.is_none() {
                    code.exemplar_threshold = zero_shot;
                }
            }
        }
        let mut learned = None;
        let mut lexical = None;
        let mut points = None;
        if let Some(path) = spec.learned_path() {
            let model = LearnedModel::load(&path)?;
            if let Some((_, name)) = embed {
                if model.encoder != name {
                    return Err(Error::Resource {
                        path: path.clone(),
                        line: 0,
                        message: format!(
                            "learned with encoder `{}`, but the engine uses `{name}`; re-run `vocmine codebook learn`",
                            model.encoder
                        ),
                    });
                }
            }
            if dim != 0 && model.dim != dim {
                return Err(Error::Resource {
                    path,
                    line: 0,
                    message: format!(
                        "learned on {}-dimensional embeddings, the encoder gives {dim}",
                        model.dim
                    ),
                });
            }
            dim = model.dim;
            let mut m = Matrix {
                codes: Vec::new(),
                rows: Vec::new(),
                bias: Vec::new(),
                extra: Vec::new(),
            };
            for c in &model.codes {
                let Some(&ci) = index.get(c.code.as_str()) else {
                    return Err(Error::Resource {
                        path,
                        line: 0,
                        message: format!("unknown code `{}` (not in the codebook)", c.code),
                    });
                };
                m.codes.push(ci);
                m.rows.extend_from_slice(&c.w);
                m.bias.push(c.b);
                m.extra.push([c.rule_w, c.exemplar_w]);
            }
            if !model.terms.is_empty() {
                let rows = model.codes.len();
                let mut w = vec![0f32; model.terms.len() * rows];
                for (k, c) in model.codes.iter().enumerate() {
                    for (t, &x) in c.term_w.iter().enumerate() {
                        w[t * rows + k] = x;
                    }
                }
                lexical = Some(LexicalWeights {
                    index: model
                        .terms
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (Box::from(t.as_str()), i as u32))
                        .collect(),
                    w,
                });
            }
            learned = Some(m);
            if let Some(p) = &model.points {
                if p.w.len() != model.dim * 3 || p.voice_w.len() != 12 {
                    return Err(Error::Resource {
                        path,
                        line: 0,
                        message: format!(
                            "the point head has {} embedding and {} voice weights, expected {} and 12",
                            p.w.len(),
                            p.voice_w.len(),
                            model.dim * 3
                        ),
                    });
                }
                let mut bias = vec![p.bias; codes.len()];
                for (code, b) in &p.code_bias {
                    let Some(&ci) = index.get(code.as_str()) else {
                        return Err(Error::Resource {
                            path,
                            line: 0,
                            message: format!(
                                "point head: unknown code `{code}` (not in the codebook)"
                            ),
                        });
                    };
                    bias[ci as usize] = *b;
                }
                points = Some(PointHead {
                    w: p.w.clone(),
                    voice_w: p.voice_w.clone(),
                    bias,
                });
            }
        }
        Ok(Codebook {
            spec,
            codes,
            index,
            terms,
            rules,
            term_rules,
            regex_rules,
            term_cues,
            cue_regex,
            prototypes,
            learned,
            lexical,
            points,
            dim,
        })
    }

    /// The codebook as written.
    pub fn spec(&self) -> &CodebookSpec {
        &self.spec
    }

    /// The codebook's name.
    pub fn name(&self) -> &str {
        &self.spec.codebook
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the codebook has no codes (never true for a valid one).
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Whether exemplar or learned evidence is available (needs embeddings).
    pub fn uses_embeddings(&self) -> bool {
        self.prototypes.is_some() || self.learned.is_some()
    }

    /// Whether a learned classifier file was loaded.
    pub fn has_learned(&self) -> bool {
        self.learned.is_some()
    }

    /// Code ids, in codebook order.
    pub fn code_ids(&self) -> impl Iterator<Item = &str> {
        self.codes.iter().map(|c| &*c.id)
    }

    /// Ids of leaf codes (codes without children).
    pub fn leaf_ids(&self) -> Vec<&str> {
        let mut has_child = vec![false; self.codes.len()];
        for c in &self.codes {
            if let Some(p) = c.parent {
                has_child[p as usize] = true;
            }
        }
        self.codes
            .iter()
            .zip(has_child)
            .filter(|(_, h)| !h)
            .map(|(c, _)| &*c.id)
            .collect()
    }

    /// The owner of a code.
    pub fn owner(&self, code: &str) -> Option<&str> {
        let i = *self.index.get(code)?;
        self.codes[i as usize].owner.as_deref()
    }

    /// The ancestors of a code, nearest first.
    pub fn ancestors(&self, code: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let Some(&i) = self.index.get(code) else {
            return out;
        };
        let mut cur = self.codes[i as usize].parent;
        while let Some(p) = cur {
            if out.len() > self.codes.len() {
                break;
            }
            out.push(&*self.codes[p as usize].id);
            cur = self.codes[p as usize].parent;
        }
        out
    }

    /// Codes one clause. `embedding` (unit length) enables exemplar and
    /// learned evidence; `sentiment` decides pain and delight.
    pub fn classify(
        &self,
        clause: &ClauseTerms,
        embedding: Option<&[f32]>,
        sentiment: Option<&Sentiment>,
    ) -> Vec<ClauseCode> {
        self.classify_voiced(clause, embedding, sentiment, None)
    }

    /// Codes one clause like [`Codebook::classify`]; with the clause's
    /// voice type (the encoder's pain / itch / delight / neutral), each
    /// code's point follows it unless the code fixes its point or the
    /// codebook's own itch cue matches: a pain is a pain, a wish an itch,
    /// praise a delight, and a neutral clause a mention (a pain or delight
    /// cue of the codebook still counts when the clause leans that way).
    pub fn classify_voiced(
        &self,
        clause: &ClauseTerms,
        embedding: Option<&[f32]>,
        sentiment: Option<&Sentiment>,
        voice: Option<&Voice>,
    ) -> Vec<ClauseCode> {
        let mut hits = Vec::new();
        self.terms.find(clause, &mut hits);
        let evidence = self.evidence(clause, &hits, embedding);
        if evidence.is_empty() {
            return Vec::new();
        }
        let cues = self.cues(clause, &hits);
        let mut out = Vec::new();
        for (ci, e) in evidence {
            let code = &self.codes[ci as usize];
            // A learned classifier already weighs the rule and exemplar
            // features; otherwise the evidence combines by noisy-OR.
            let score = match e.learned {
                Some(p) => p,
                None => 1.0 - (1.0 - e.rule) * (1.0 - e.exemplar),
            };
            if score < code.threshold {
                continue;
            }
            out.push(ClauseCode {
                code: code.id.clone(),
                score: round3(score),
                point: self.point_of(ci, code.point, cues, sentiment, voice, embedding),
                owner: code.owner.clone(),
                evidence: e.shown,
            });
        }
        out
    }

    /// Every code with some evidence on a clause, kept or not, with its
    /// combined score and threshold: what [`Codebook::classify`] decides
    /// from, for review tools (`codebook review`) that look for clauses
    /// near a decision or with disagreeing evidence. Sorted by score, then
    /// code order.
    pub fn candidates(&self, clause: &ClauseTerms, embedding: Option<&[f32]>) -> Vec<Candidate> {
        let mut hits = Vec::new();
        self.terms.find(clause, &mut hits);
        let mut out: Vec<(u32, Candidate)> = self
            .evidence(clause, &hits, embedding)
            .into_iter()
            .map(|(ci, e)| {
                let code = &self.codes[ci as usize];
                let score = match e.learned {
                    Some(p) => p,
                    None => 1.0 - (1.0 - e.rule) * (1.0 - e.exemplar),
                };
                (
                    ci,
                    Candidate {
                        code: code.id.clone(),
                        score,
                        threshold: code.threshold,
                        rule: e.rule > 0.0,
                        exemplar: e.exemplar,
                        learned: e.learned,
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
        out.into_iter().map(|x| x.1).collect()
    }

    /// The rule and exemplar features of every code on a text (rule: 1 when
    /// a rule matches; exemplar: centred similarity, 0 without exemplars),
    /// as the learned classifiers read them. Indexed like the codes.
    pub fn features(&self, clause: &ClauseTerms, embedding: Option<&[f32]>) -> Vec<[f32; 2]> {
        let mut hits = Vec::new();
        self.terms.find(clause, &mut hits);
        let mut out = vec![[0.0f32; 2]; self.codes.len()];
        for (ci, e) in self.evidence(clause, &hits, embedding) {
            out[ci as usize] = [if e.rule > 0.0 { 1.0 } else { 0.0 }, e.centred];
        }
        if let (Some(emb), Some(m)) = (embedding, &self.prototypes) {
            if emb.len() == self.dim {
                for (ci, c) in m.codes.iter().zip(self.centred(m, emb)) {
                    out[*ci as usize][1] = c;
                }
            }
        }
        out
    }

    fn centred(&self, m: &Matrix, emb: &[f32]) -> Vec<f32> {
        let mut sims = Vec::with_capacity(m.codes.len());
        learned::dots(&m.rows, emb, &mut sims);
        let mean = sims.iter().sum::<f32>() / sims.len().max(1) as f32;
        sims.into_iter().map(|s| s - mean).collect()
    }

    fn evidence(
        &self,
        clause: &ClauseTerms,
        hits: &[Hit],
        embedding: Option<&[f32]>,
    ) -> BTreeMap<u32, CodeEvidence> {
        let mut matched: Vec<u32> = hits.iter().map(|h| h.term).collect();
        matched.sort_unstable();
        matched.dedup();
        let has = |t: u32| matched.binary_search(&t).is_ok();
        let mut evidence: BTreeMap<u32, CodeEvidence> = BTreeMap::new();
        let mut candidates: Vec<u32> = matched
            .iter()
            .flat_map(|&t| self.term_rules[t as usize].iter().copied())
            .chain(self.regex_rules.iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for ri in candidates {
            let r = &self.rules[ri as usize];
            let ok = (r.any.is_empty() || r.any.iter().any(|&t| has(t)))
                && r.all.iter().all(|&t| has(t))
                && !r.not.iter().any(|&t| has(t))
                && r.near.iter().all(|&(a, b, w)| near(hits, a, b, w))
                && r.regex.iter().all(|x| x.is_match(&clause.folded));
            if !ok {
                continue;
            }
            let e = evidence.entry(r.code).or_default();
            if r.weight > e.rule {
                e.rule = r.weight;
                e.shown.rule = r
                    .any
                    .iter()
                    .chain(&r.all)
                    .copied()
                    .find(|&t| has(t))
                    .map(|t| self.terms.name(t).to_owned())
                    .or_else(|| {
                        r.near.first().map(|&(a, b, _)| {
                            format!("{}…{}", self.terms.name(a), self.terms.name(b))
                        })
                    })
                    .or_else(|| r.regex_name.clone());
            }
        }
        let Some(emb) = embedding.filter(|e| e.len() == self.dim && self.dim > 0) else {
            return evidence;
        };
        let mut centred = vec![0.0f32; self.codes.len()];
        if let Some(m) = &self.prototypes {
            let s = &self.spec.settings;
            let sims = self.centred(m, emb);
            let best = sims.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            for (&ci, c) in m.codes.iter().zip(sims) {
                centred[ci as usize] = c;
                let margin = s
                    .exemplar_margin
                    .unwrap_or(s.exemplar_margin_ratio * best.max(0.0));
                if c < best - margin {
                    continue;
                }
                let t = self.codes[ci as usize].exemplar_threshold;
                let p = crate::numeric::sigmoid((c - t) / s.exemplar_scale);
                if p < 0.05 {
                    continue;
                }
                let e = evidence.entry(ci).or_default();
                e.shown.exemplar = Some(round3(c));
                e.exemplar = p;
                e.centred = c;
            }
        }
        if let Some(m) = &self.learned {
            let mut z = Vec::with_capacity(m.codes.len());
            learned::dots(&m.rows, emb, &mut z);
            if let Some(lx) = &self.lexical {
                lx.add(clause, &mut z);
            }
            for (((&ci, wx), &b), ex) in m.codes.iter().zip(z).zip(&m.bias).zip(&m.extra) {
                let rule = evidence
                    .get(&ci)
                    .map(|e| if e.rule > 0.0 { 1.0 } else { 0.0 })
                    .unwrap_or(0.0);
                let z = wx + b + ex[0] * rule + ex[1] * centred[ci as usize];
                let p = crate::numeric::sigmoid(z);
                if p < 0.05 && !evidence.contains_key(&ci) {
                    continue;
                }
                let e = evidence.entry(ci).or_default();
                e.shown.learned = Some(round3(p));
                e.learned = Some(p);
            }
        }
        evidence
    }

    /// Point cues present (not negated) in a clause.
    fn cues(&self, clause: &ClauseTerms, hits: &[Hit]) -> u8 {
        let mut f = 0;
        for h in hits {
            let c = self.term_cues.get(h.term as usize).copied().unwrap_or(0);
            if c != 0 && !h.negated {
                f |= c;
            } else if c & CUE_DELIGHT != 0 && h.negated {
                // "not pleasantly surprised" is no delight, and a little pain.
                f |= CUE_PAIN;
            }
        }
        for (flag, re) in &self.cue_regex {
            if f & flag == 0 && re.is_match(&clause.folded) {
                f |= flag;
            }
        }
        f
    }

    /// The point of code `ci` on a clause: with a learned point head (and the
    /// clause's embedding and voice type), the head decides pain, mention or
    /// delight, after the code's hint, the codebook's itch cue and an itch
    /// voice type; otherwise [`Codebook::point`].
    fn point_of(
        &self,
        ci: u32,
        hint: Option<PointKind>,
        cues: u8,
        sentiment: Option<&Sentiment>,
        voice: Option<&Voice>,
        embedding: Option<&[f32]>,
    ) -> PointKind {
        if let (Some(h), Some(v), Some(e), None) = (&self.points, voice, embedding, hint) {
            if e.len() * 3 == h.w.len() && cues & CUE_ITCH == 0 && v.label != VoiceType::Itch {
                let p = &v.probs;
                let bias = h.bias.get(ci as usize).copied().unwrap_or([0.0; 3]);
                let z = learned::point_scores(
                    &h.w,
                    &h.voice_w,
                    bias,
                    e,
                    [p.pain, p.itch, p.delight, p.neutral],
                );
                return learned::POINT_CLASSES[learned::argmax(&z)];
            }
        }
        self.point(hint, cues, sentiment, voice)
    }

    /// The point of a coded clause: the code's hint, else the codebook's
    /// itch cue, else the clause's voice type (a neutral clause is a mention
    /// unless a pain / delight cue matched and it leans that way), else,
    /// without a voice type, the sentiment thresholds and cues.
    fn point(
        &self,
        hint: Option<PointKind>,
        cues: u8,
        sentiment: Option<&Sentiment>,
        voice: Option<&Voice>,
    ) -> PointKind {
        if let Some(p) = hint {
            return p;
        }
        if cues & CUE_ITCH != 0 {
            return PointKind::Itch;
        }
        if let Some(v) = voice {
            let polarity = sentiment.map_or(0.0, |s| s.polarity);
            return match v.label {
                VoiceType::Pain => PointKind::Pain,
                VoiceType::Itch => PointKind::Itch,
                VoiceType::Delight => PointKind::Delight,
                VoiceType::Neutral if cues & CUE_PAIN != 0 && polarity < 0.0 => PointKind::Pain,
                VoiceType::Neutral if cues & CUE_DELIGHT != 0 && polarity > 0.0 => {
                    PointKind::Delight
                }
                VoiceType::Neutral => PointKind::Mention,
            };
        }
        let s = &self.spec.points.sentiment;
        match sentiment {
            Some(sent) => {
                if sent.polarity <= s.pain_below || (cues & CUE_PAIN != 0 && sent.polarity < 0.0) {
                    PointKind::Pain
                } else if (cues & CUE_DELIGHT != 0 && sent.polarity > 0.0)
                    || sent.polarity >= s.delight_above
                {
                    PointKind::Delight
                } else {
                    PointKind::Mention
                }
            }
            None => {
                if cues & CUE_PAIN != 0 {
                    PointKind::Pain
                } else if cues & CUE_DELIGHT != 0 {
                    PointKind::Delight
                } else {
                    PointKind::Mention
                }
            }
        }
    }

    /// Codes the customer clauses of an analysis (from their kept terms,
    /// embeddings, sentiment and voice type) and fills the record's codes
    /// and points; with voice types, the record's voice counts also get the
    /// pains and itches that no code caught. Clauses without terms are left
    /// uncoded.
    pub fn code_analysis(&self, a: &mut Analysis, work: &Work) {
        for (i, c) in a.clauses.iter_mut().enumerate() {
            if c.role != Role::Customer {
                c.codes = Vec::new();
                continue;
            }
            let Some(terms) = work.terms(i) else {
                continue;
            };
            let emb = work.embedding(i).map(|e| e.embedding.as_slice());
            c.codes = self.classify_voiced(terms, emb, c.sentiment.as_ref(), c.voice.as_ref());
        }
        // pains and itches that no code caught: the raw material of
        // codebook-gap suggestions
        if let Some(counts) = a.voices.as_mut() {
            let (mut pain, mut itch) = (0, 0);
            for c in a.clauses.iter().filter(|c| c.codes.is_empty()) {
                match c.voice.as_ref().map(|v| v.label) {
                    Some(VoiceType::Pain) => pain += 1,
                    Some(VoiceType::Itch) => itch += 1,
                    _ => {}
                }
            }
            counts.uncoded_pain = Some(pain);
            counts.uncoded_itch = Some(itch);
        }
        let (codes, points) = self.roll_up(a.clauses.iter().map(|c| ClauseRef {
            turn: c.turn,
            start: c.start,
            end: c.end,
            text: &c.text,
            codes: &c.codes,
        }));
        a.codes = Some(codes);
        a.points = Some(points);
    }

    /// Record codes (with ancestors) and points from coded clauses.
    pub fn roll_up<'a>(
        &self,
        clauses: impl IntoIterator<Item = ClauseRef<'a>>,
    ) -> (Vec<RecordCode>, Vec<Point>) {
        // code index -> (clauses, score per point kind, direct)
        let mut acc: BTreeMap<u32, (u32, [f32; 4], bool)> = BTreeMap::new();
        let mut points = Vec::new();
        for c in clauses {
            let mut seen: Vec<u32> = Vec::new();
            for cc in c.codes {
                let Some(&ci) = self.index.get(&cc.code) else {
                    continue;
                };
                if cc.point != PointKind::Mention {
                    points.push(Point {
                        code: cc.code.clone(),
                        point: cc.point,
                        owner: cc.owner.clone(),
                        turn: c.turn,
                        start: c.start,
                        end: c.end,
                        text: c.text.to_owned(),
                    });
                }
                let mut cur = Some(ci);
                let mut direct = true;
                let mut steps = 0;
                while let Some(k) = cur {
                    let e = acc.entry(k).or_insert((0, [0.0; 4], false));
                    if !seen.contains(&k) {
                        e.0 += 1;
                        seen.push(k);
                    }
                    e.1[cc.point as usize] += cc.score;
                    e.2 |= direct;
                    direct = false;
                    cur = self.codes[k as usize].parent;
                    steps += 1;
                    if steps > self.codes.len() {
                        break;
                    }
                }
            }
        }
        let codes = acc
            .into_iter()
            .map(|(k, (n, votes, direct))| {
                let c = &self.codes[k as usize];
                // The point most of the code's evidence carries (scores
                // summed over its clauses); ties go to pain, itch, delight.
                let mut point = PointKind::Mention;
                let mut best = f32::NEG_INFINITY;
                for kind in PointKind::ALL {
                    if votes[kind as usize] > best {
                        best = votes[kind as usize];
                        point = kind;
                    }
                }
                RecordCode {
                    code: c.id.clone(),
                    clauses: n,
                    point,
                    owner: c.owner.clone(),
                    rolled_up: !direct,
                }
            })
            .collect();
        (codes, points)
    }
}

/// The zero-shot threshold of codes without rules when the codebook has no
/// exemplars to calibrate it (centred cosine).
const ZERO_SHOT_FALLBACK: f32 = 0.015;

/// The prototype of each code that has exemplars, or is a leaf with labels
/// or a description: the unit sum of the unit means of its exemplars, its
/// labels (all languages) and its description, each group embedded once.
/// Also the mean centred similarity of each exemplar to its own code's
/// prototype rebuilt without it (the codebook's own scale; `None` without
/// exemplars or with one prototype).
fn prototype_matrix(
    spec: &CodebookSpec,
    parents: &std::collections::BTreeSet<&str>,
    embed: EmbedFn<'_>,
) -> Result<(Option<Matrix>, Option<f32>)> {
    // (code, group) of each text: 0 exemplars, 1 labels, 2 description.
    let mut texts = Vec::new();
    let mut owners: Vec<(u32, usize)> = Vec::new();
    for (ci, c) in spec.codes.iter().enumerate() {
        let leaf = !parents.contains(c.id.as_str());
        if c.exemplars.is_empty() && !leaf {
            continue;
        }
        for e in &c.exemplars {
            texts.push(e.as_str());
            owners.push((ci as u32, 0));
        }
        for l in c.labels.values() {
            texts.push(l.as_str());
            owners.push((ci as u32, 1));
        }
        if let Some(d) = c
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            texts.push(d);
            owners.push((ci as u32, 2));
        }
    }
    if texts.is_empty() {
        return Ok((None, None));
    }
    let vecs = embed(&texts)?;
    let dim = vecs.first().map(Vec::len).unwrap_or(0);
    let mut sums: BTreeMap<u32, [Vec<f32>; 3]> = BTreeMap::new();
    for (v, &(ci, g)) in vecs.iter().zip(&owners) {
        let s = sums
            .entry(ci)
            .or_insert_with(|| [vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]]);
        for (a, b) in s[g].iter_mut().zip(v) {
            *a += b;
        }
    }
    let unit = |v: &mut Vec<f32>| {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 1e-12 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
    };
    let mut m = Matrix {
        codes: Vec::new(),
        rows: Vec::new(),
        bias: Vec::new(),
        extra: Vec::new(),
    };
    let combine = |groups: &[Vec<f32>; 3]| {
        let mut v = vec![0.0f32; dim];
        for g in groups {
            let mut g = g.clone();
            unit(&mut g);
            for (a, b) in v.iter_mut().zip(&g) {
                *a += b;
            }
        }
        unit(&mut v);
        v
    };
    for (&ci, groups) in &sums {
        m.codes.push(ci);
        m.rows.extend(combine(groups));
        m.bias.push(0.0);
    }
    // Leave-one-out: each exemplar against all prototypes, its own code's
    // rebuilt without it.
    let k = m.codes.len();
    let mut own = Vec::new();
    if k > 1 {
        for (v, &(ci, g)) in vecs.iter().zip(&owners) {
            let Some(row) = m.codes.iter().position(|&c| c == ci) else {
                continue;
            };
            if g != 0 {
                continue;
            }
            let mut groups = sums[&ci].clone();
            for (a, b) in groups[0].iter_mut().zip(v) {
                *a -= b;
            }
            let without = combine(&groups);
            let mut total = 0.0;
            let mut mine = 0.0;
            for (r, p) in m.rows.chunks_exact(dim.max(1)).enumerate() {
                let s = if r == row {
                    mine = learned::dot(&without, v);
                    mine
                } else {
                    learned::dot(p, v)
                };
                total += s;
            }
            own.push(mine - total / k as f32);
        }
    }
    let own = (!own.is_empty()).then(|| own.iter().sum::<f32>() / own.len() as f32);
    Ok((Some(m), own))
}

fn near(hits: &[Hit], a: u32, b: u32, window: u32) -> bool {
    hits.iter().filter(|h| h.term == a).any(|ha| {
        hits.iter()
            .filter(|h| h.term == b)
            .any(|hb| ha.token.abs_diff(hb.token) <= window)
    })
}

/// Writes a score with three decimals, the same through `serde_json::Value`
/// (which widens `f32` to `f64`) as directly.
fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn compile_regex(r: &str, spec: &CodebookSpec, code: Option<&str>) -> Result<Regex> {
    regex::RegexBuilder::new(r)
        .case_insensitive(true)
        .build()
        .map_err(|e| Error::Resource {
            path: spec.path.clone().unwrap_or_default(),
            line: code.map(|c| spec.line_of(c)).unwrap_or(0),
            message: format!(
                "{}bad regex `{r}`: {e}",
                code.map(|c| format!("code `{c}`: ")).unwrap_or_default()
            ),
        })
}

impl Stage for Codebook {
    fn name(&self) -> &'static str {
        "codebook"
    }

    fn needs_terms(&self, _conversation: bool) -> bool {
        true
    }

    fn run(&self, a: &mut Analyzed, _cx: &Context<'_>) {
        let Analyzed { analysis, work } = a;
        self.code_analysis(analysis, work);
    }
}
