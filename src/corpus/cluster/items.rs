//! The clauses to cluster, collected from analyzed records or from a store:
//! their embeddings, and what the report needs about each ([`ItemMeta`]).

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::hotness::week_index;
use super::report::ItemMeta;
use super::vectors::Vectors;
use crate::batch::{Analyzed, Embedding};
use crate::contract::record::Role;
use crate::corpus::keywords::{is_content_word, Word};
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;
use crate::text::language::Language;
use crate::text::tokens::Segment;

/// File of the items beside a saved model (JSON Lines, one per vector).
pub const ITEMS_FILE: &str = "clusters.items.jsonl";

/// Text records of at most this many customer clauses may be clustered
/// whole under [`ClusterLevel::Auto`].
pub const AUTO_MAX_CLAUSES: usize = 4;

/// What one clustered item is: a clause, or a whole text record.
///
/// A short customer text usually states one issue in a few clauses ("I
/// ordered my card | but it still isn't here", "Is my card lost? | What
/// should I do?"); clustered clause by clause, its generic clauses ("what
/// should I do?") form clusters of their own and its issue is split. A
/// review that praises one thing and blames another holds two issues.
/// On the banking77 queries given as records (10,003, 77 intents; 21% split
/// into 2–9 clauses) the record-level NMI is 0.746 by clause and 0.793 with
/// [`Auto`](Self::Auto) (`benches/compare/cluster_levels.py`).
///
/// Conversations are always clustered by clause (a call holds several
/// issues, and turns have no whole-text embedding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterLevel {
    /// Every customer clause is an item.
    Clause,
    /// Every text record is one item.
    Record,
    /// A text record is one item when it reads as one issue: at most
    /// [`AUTO_MAX_CLAUSES`] customer clauses, no clause positive while
    /// another is negative, and no two clauses with disjoint codes; every
    /// clause of the others is an item.
    #[default]
    Auto,
}

impl ClusterLevel {
    /// Parses `clause`, `record` or `auto`.
    pub fn parse(s: &str) -> Option<ClusterLevel> {
        match s {
            "clause" => Some(ClusterLevel::Clause),
            "record" => Some(ClusterLevel::Record),
            "auto" => Some(ClusterLevel::Auto),
            _ => None,
        }
    }

    /// Whether a text record whose customer clauses are `parts` is one item.
    fn whole(self, parts: &[Part<'_>]) -> bool {
        let n = parts.len();
        match self {
            ClusterLevel::Clause => false,
            ClusterLevel::Record => n >= 2,
            ClusterLevel::Auto => {
                if !(2..=AUTO_MAX_CLAUSES).contains(&n) {
                    return false;
                }
                let has = |x: Polarity| parts.iter().any(|p| p.sentiment == Some(x));
                if has(Polarity::Positive) && has(Polarity::Negative) {
                    return false;
                }
                let coded: Vec<&[String]> = parts
                    .iter()
                    .filter(|p| !p.codes.is_empty())
                    .map(|p| p.codes)
                    .collect();
                coded.iter().enumerate().all(|(i, a)| {
                    coded[i + 1..]
                        .iter()
                        .all(|b| a.iter().any(|x| b.contains(x)))
                })
            }
        }
    }
}

/// One customer clause of a text record, as [`ClusterItems::push_whole`]
/// reads it (its keyword terms are computed only when the record is
/// clustered whole).
struct Part<'a> {
    n: usize,
    text: &'a str,
    language: Language,
    sentiment: Option<Polarity>,
    codes: &'a [String],
    embedding: &'a [f32],
}

/// Clauses gathered for clustering: one vector and one [`ItemMeta`] per
/// clause, in the order added.
///
/// Only customer clauses are taken (text records, and the customer turns
/// of conversations) unless [`all_speakers`](Self::all_speakers) is set:
/// an agent's apology is not a customer issue. Clauses without an
/// embedding are counted in [`skipped`](Self::skipped) and left out.
///
/// Keyword tokens are the stems of content words (Russian and English
/// inflections count as one term; Chinese words as segmented), and the most
/// frequent surface form of each stem is what labels show
/// ([`forms`](Self::forms)).
#[derive(Debug, Default, Clone)]
pub struct ClusterItems {
    dim: usize,
    data: Vec<f32>,
    items: Vec<ItemMeta>,
    surfaces: Vec<Vec<String>>,
    all_speakers: bool,
    level: ClusterLevel,
    skipped: usize,
    /// Loaded from a model directory: metadata only.
    vectorless: bool,
}

/// One line of [`ITEMS_FILE`].
#[derive(Serialize, Deserialize)]
struct SavedItem {
    id: String,
    clause: usize,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    clauses: usize,
    text: String,
    language: String,
    tokens: Vec<String>,
    surface: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sentiment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    codes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<i64>,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// Content words as (key, surface): the stem (Chinese: the word, folded to
/// simplified) and the normalized form. A word in a negation scope carries
/// its negator (不满意, "не работает", "not fixed"), so that a cluster of
/// complaints is not labelled with the words they negate.
fn content_terms<'a>(
    words: impl IntoIterator<Item = Word<'a>>,
    language: Language,
) -> Vec<(String, String)> {
    let zh = language == Language::ZH;
    let mut negator: Option<String> = None;
    let mut out = Vec::new();
    for t in words {
        if t.negator {
            let n = if zh {
                crate::text::normalize::fold_str(t.norm)
            } else if t.norm.ends_with("n't") || t.norm.ends_with("n’t") {
                "not".to_string()
            } else {
                t.norm.to_string()
            };
            negator = Some(n);
            continue;
        }
        if !is_content_word(t.kind, t.pos, t.stop, t.negator, t.norm) {
            continue;
        }
        let (key, surface) = if zh {
            // Traditional and simplified spellings count as one term.
            let key = crate::text::normalize::fold_str(t.norm);
            (key.clone(), key)
        } else {
            (t.stem.to_string(), t.norm.to_string())
        };
        match (t.negated, &negator) {
            (true, Some(n)) if zh => out.push((format!("{n}{key}"), format!("{n}{surface}"))),
            (true, Some(n)) => out.push((format!("{n} {key}"), format!("{n} {surface}"))),
            _ => out.push((key, surface)),
        }
    }
    out
}

/// [`content_terms`] of `text`, segmented by `seg`.
fn segmented_terms(seg: &dyn Segment, text: &str, language: Language) -> Vec<(String, String)> {
    let tokens = seg.segment(text, language);
    content_terms(tokens.iter().map(Word::of_token), language)
}

impl ClusterItems {
    /// An empty collection (customer clauses only).
    pub fn new() -> ClusterItems {
        ClusterItems::default()
    }

    /// Takes the clauses of every speaker (agents, bots, system) too.
    pub fn all_speakers(mut self, yes: bool) -> ClusterItems {
        self.all_speakers = yes;
        self
    }

    /// What an item is (default [`ClusterLevel::Auto`]).
    pub fn level(mut self, level: ClusterLevel) -> ClusterItems {
        self.level = level;
        self
    }

    /// Clauses gathered.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no clause was gathered.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items that are a whole record ([`ClusterLevel`]).
    pub fn whole_records(&self) -> usize {
        self.items.iter().filter(|m| m.clauses > 1).count()
    }

    /// Clauses left out because they had no embedding.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// What the report needs about each clause, in order.
    pub fn items(&self) -> &[ItemMeta] {
        &self.items
    }

    /// Language code of each clause, in order.
    pub fn languages(&self) -> Vec<&str> {
        self.items.iter().map(|m| m.language.as_str()).collect()
    }

    /// The embeddings as [`Vectors`] (unit rows; rows that cannot be
    /// normalized are kept and become outliers).
    pub fn vectors(&self) -> Result<Vectors> {
        self.vectors_of(self.data.clone())
    }

    /// The embeddings as [`Vectors`], moved out (no copy: a million
    /// 384-d items hold 1.5 GB); the items keep their metadata for the
    /// report and [`save`](Self::save), and [`vectors`](Self::vectors)
    /// fails afterwards.
    pub fn take_vectors(&mut self) -> Result<Vectors> {
        let data = std::mem::take(&mut self.data);
        let v = self.vectors_of(data)?;
        self.vectorless = true;
        Ok(v)
    }

    fn vectors_of(&self, data: Vec<f32>) -> Result<Vectors> {
        if self.vectorless {
            return Err(Error::Data(
                "these cluster items were loaded from a model directory or their vectors were taken: their vectors are the model's".into(),
            ));
        }
        if self.items.is_empty() {
            return Vectors::new(Vec::new(), self.dim.max(1));
        }
        Vectors::new(data, self.dim)
    }

    /// The most frequent surface form of every (language, stem) key, for
    /// [`ReportOptions::forms`](super::ReportOptions::forms).
    pub fn forms(&self) -> HashMap<(String, String), String> {
        let mut counts: HashMap<(String, String), HashMap<&str, usize>> = HashMap::new();
        for (m, surf) in self.items.iter().zip(&self.surfaces) {
            // every form counts, the key's own too: "food" seen 90 times
            // and "foods" twice is shown as "food"
            for (key, form) in m.tokens.iter().zip(surf) {
                *counts
                    .entry((m.language.clone(), key.clone()))
                    .or_default()
                    .entry(form.as_str())
                    .or_insert(0) += 1;
            }
        }
        counts
            .into_iter()
            .filter_map(|(k, forms)| {
                forms
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                    .filter(|(f, _)| *f != k.1)
                    .map(|(f, _)| (k, f.to_string()))
            })
            .collect()
    }

    /// Pushes a text record's customer clauses `parts` as one item when
    /// the level says it is one ([`ClusterLevel`]), with the whole text's
    /// embedding when there is one, else the length-weighted mean of the
    /// clause embeddings; `terms` gives the keyword terms of a part.
    /// `false` (nothing pushed) when the record is not one item or a clause
    /// has no embedding: its clauses are then items of their own.
    fn push_whole(
        &mut self,
        id: &str,
        text: Option<&str>,
        parts: &[Part<'_>],
        whole: Option<&[f32]>,
        period: Option<i64>,
        terms: impl Fn(&Part<'_>) -> Vec<(String, String)>,
    ) -> Result<bool> {
        if !self.level.whole(parts) {
            return Ok(false);
        }
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return Ok(false);
        };
        let dim = first.embedding.len();
        if dim == 0 || parts.iter().any(|p| p.embedding.len() != dim) {
            return Ok(false);
        }
        let embedding: Vec<f32> = match whole.filter(|w| w.len() == dim) {
            Some(w) => w.to_vec(),
            None => {
                let mut sum = vec![0f32; dim];
                for p in parts {
                    let w = p.text.chars().count().max(1) as f32;
                    for (s, x) in sum.iter_mut().zip(p.embedding) {
                        *s += w * x;
                    }
                }
                let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    sum.iter_mut().for_each(|x| *x /= norm);
                }
                sum
            }
        };
        // the language of the most text
        let mut chars: Vec<(Language, usize)> = Vec::new();
        for p in parts {
            let c = p.text.chars().count();
            match chars.iter_mut().find(|(l, _)| *l == p.language) {
                Some(e) => e.1 += c,
                None => chars.push((p.language, c)),
            }
        }
        let language = chars
            .iter()
            .max_by_key(|(_, c)| *c)
            .map_or(first.language, |(l, _)| *l);
        let has = |x: Polarity| parts.iter().any(|p| p.sentiment == Some(x));
        let sentiment = [Polarity::Negative, Polarity::Positive, Polarity::Neutral]
            .into_iter()
            .find(|&x| has(x));
        let mut codes: Vec<String> = Vec::new();
        for p in parts {
            for c in p.codes {
                if !codes.contains(c) {
                    codes.push(c.clone());
                }
            }
        }
        let joined;
        let text = match text {
            Some(t) => t,
            None => {
                let sep = if language == Language::ZH { "" } else { " " };
                joined = parts.iter().map(|p| p.text).collect::<Vec<_>>().join(sep);
                &joined
            }
        };
        let (clause, clauses) = (first.n, last.n + 1 - first.n);
        self.push(
            || parts.iter().flat_map(terms).collect(),
            id.to_string(),
            (clause, clauses),
            text,
            language,
            sentiment,
            codes,
            period,
            &embedding,
        )?;
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        terms: impl FnOnce() -> Vec<(String, String)>,
        id: String,
        (clause, clauses): (usize, usize),
        text: &str,
        language: Language,
        sentiment: Option<Polarity>,
        codes: Vec<String>,
        period: Option<i64>,
        embedding: &[f32],
    ) -> Result<()> {
        if embedding.is_empty() {
            self.skipped += 1;
            return Ok(());
        }
        if self.dim == 0 {
            self.dim = embedding.len();
        } else if embedding.len() != self.dim {
            return Err(Error::Data(format!(
                "record {id} clause {clause}: embedding of dimension {}, earlier ones {}",
                embedding.len(),
                self.dim
            )));
        }
        let (tokens, surface): (Vec<String>, Vec<String>) = terms().into_iter().unzip();
        self.data.extend_from_slice(embedding);
        self.items.push(ItemMeta {
            id,
            clause,
            clauses,
            text: text.to_string(),
            language: language.code().to_string(),
            tokens,
            sentiment,
            codes,
            period,
        });
        self.surfaces.push(surface);
        Ok(())
    }

    /// Adds the clauses of one analyzed record (they need embeddings: the
    /// engine must have an encoder). Keywords come from the clauses' tokens
    /// when the engine kept them (`tokens(true)`, with `pos_tags(true)` for
    /// Chinese); otherwise `seg` (the engine's
    /// [`segmenter`](crate::Engine::segmenter)) segments the clauses.
    pub fn add_analysis(&mut self, analyzed: &Analyzed, seg: &dyn Segment) -> Result<()> {
        let Analyzed { analysis: a, work } = analyzed;
        let period = a.time.as_ref().map(week_index);
        fn embedding(e: Option<&Embedding>) -> &[f32] {
            e.map_or(&[], |e| e.embedding.as_slice())
        }
        // The engine's own tokens when it kept them (`tokens(true)`), else
        // the clause segmented here.
        let terms = |c: &crate::contract::output::Clause| match &c.tokens {
            Some(t) => content_terms(t.iter().map(Word::of_out), c.language),
            None => segmented_terms(seg, &c.text, c.language),
        };
        let codes: Vec<Vec<String>> = a
            .clauses
            .iter()
            .map(|c| c.codes.iter().map(|x| x.code.to_string()).collect())
            .collect();
        if a.turns.is_none() {
            let parts: Vec<Part<'_>> = (0..a.clauses.len())
                .filter(|&n| a.clauses[n].role == Role::Customer)
                .map(|n| {
                    let c = &a.clauses[n];
                    Part {
                        n,
                        text: &c.text,
                        language: c.language,
                        sentiment: c.sentiment.map(|s| s.label),
                        codes: &codes[n],
                        embedding: embedding(work.embedding(n)),
                    }
                })
                .collect();
            let whole = Some(embedding(work.text.as_ref())).filter(|e| !e.is_empty());
            let id = a.id.to_string();
            if self.push_whole(&id, a.text.as_deref(), &parts, whole, period, |p| {
                terms(&a.clauses[p.n])
            })? {
                return Ok(());
            }
        }
        for (n, (c, codes)) in a.clauses.iter().zip(codes).enumerate() {
            if !self.all_speakers && c.role != Role::Customer {
                continue;
            }
            self.push(
                || terms(c),
                a.id.to_string(),
                (n, 1),
                &c.text,
                c.language,
                c.sentiment.map(|s| s.label),
                codes,
                period,
                embedding(work.embedding(n)),
            )?;
        }
        Ok(())
    }

    /// Adds the clauses of one stored record (see `analyze --store`). Failed records have no clauses. The clause texts are segmented
    /// again for the keywords (the store keeps stems, not the part of
    /// speech and stopword flags the keyword filter reads).
    #[cfg(feature = "store")]
    pub fn add_stored(
        &mut self,
        r: &crate::io::store::StoredRecord,
        seg: &dyn Segment,
    ) -> Result<()> {
        if r.error.is_some() || r.clauses.is_empty() {
            return Ok(());
        }
        let period = r
            .time
            .as_deref()
            .and_then(crate::contract::record::Timestamp::parse)
            .as_ref()
            .map(week_index);
        let language = |c: &crate::io::store::StoredClause| {
            Language::from_code(&c.language).unwrap_or(Language::UND)
        };
        if r.clauses.iter().all(|c| c.turn.is_none()) {
            let parts: Vec<Part<'_>> = r
                .clauses
                .iter()
                .filter(|c| c.customer)
                .map(|c| Part {
                    n: c.clause as usize,
                    text: &c.text,
                    language: language(c),
                    sentiment: c.sentiment.map(|s| s.label),
                    codes: &c.codes,
                    embedding: c.embedding.as_deref().unwrap_or(&[]),
                })
                .collect();
            let whole = r.embedding.as_deref();
            if self.push_whole(&r.id, None, &parts, whole, period, |p| {
                segmented_terms(seg, p.text, p.language)
            })? {
                return Ok(());
            }
        }
        for c in &r.clauses {
            if !self.all_speakers && !c.customer {
                continue;
            }
            let n = c.clause as usize;
            let lang = language(c);
            self.push(
                || segmented_terms(seg, &c.text, lang),
                r.id.clone(),
                (n, 1),
                &c.text,
                lang,
                c.sentiment.map(|s| s.label),
                c.codes.clone(),
                period,
                c.embedding.as_deref().unwrap_or(&[]),
            )?;
        }
        Ok(())
    }

    /// The items without their vectors (the metadata a report needs).
    pub fn without_vectors(mut self) -> ClusterItems {
        self.data = Vec::new();
        self.vectorless = true;
        self
    }

    #[cfg(any(feature = "store", test))]
    /// The surface forms of each item's tokens, in order.
    pub(crate) fn surfaces(&self) -> &[Vec<String>] {
        &self.surfaces
    }

    /// The embedding dimension (0 before the first item).
    pub fn dim(&self) -> usize {
        self.dim
    }

    #[cfg(any(feature = "store", test))]
    /// The vectors as they were given (row after row), unless the items
    /// were loaded without them.
    pub(crate) fn raw_vectors(&self) -> Result<&[f32]> {
        if self.vectorless {
            return Err(Error::Data("these cluster items carry no vectors".into()));
        }
        Ok(&self.data)
    }

    #[cfg(any(feature = "store", test))]
    /// Adds one item read back from a table (`vector`: `None` when the
    /// table has none; items with and without vectors do not mix).
    pub(crate) fn push_decoded(
        &mut self,
        meta: ItemMeta,
        surface: Vec<String>,
        vector: Option<&[f32]>,
    ) -> Result<()> {
        match vector {
            Some(v) => {
                if self.vectorless && !self.items.is_empty() {
                    return Err(Error::Data(format!(
                        "record {} clause {}: an item with a vector after items without",
                        meta.id, meta.clause
                    )));
                }
                if self.dim == 0 {
                    self.dim = v.len();
                } else if v.len() != self.dim {
                    return Err(Error::Data(format!(
                        "record {} clause {}: embedding of dimension {}, earlier ones {}",
                        meta.id,
                        meta.clause,
                        v.len(),
                        self.dim
                    )));
                }
                self.vectorless = false;
                self.data.extend_from_slice(v);
            }
            None => {
                if !self.vectorless && !self.items.is_empty() {
                    return Err(Error::Data(format!(
                        "record {} clause {}: an item without a vector after items with",
                        meta.id, meta.clause
                    )));
                }
                self.vectorless = true;
            }
        }
        self.items.push(meta);
        self.surfaces.push(surface);
        Ok(())
    }

    /// The items at `rows` (positions, in the order given), with their
    /// vectors when these items have them.
    pub fn select(&self, rows: &[usize]) -> Result<ClusterItems> {
        let mut out = ClusterItems {
            dim: self.dim,
            data: Vec::new(),
            items: Vec::with_capacity(rows.len()),
            surfaces: Vec::with_capacity(rows.len()),
            all_speakers: self.all_speakers,
            level: self.level,
            skipped: 0,
            vectorless: self.vectorless,
        };
        for &r in rows {
            let (Some(m), Some(s)) = (self.items.get(r), self.surfaces.get(r)) else {
                return Err(Error::Data(format!(
                    "item {r} of {} selected",
                    self.items.len()
                )));
            };
            out.items.push(m.clone());
            out.surfaces.push(s.clone());
            if !self.vectorless {
                let row = self
                    .data
                    .get(r * self.dim..(r + 1) * self.dim)
                    .ok_or_else(|| Error::Data(format!("item {r} has no vector")))?;
                out.data.extend_from_slice(row);
            }
        }
        Ok(out)
    }

    /// Appends the items of `other` (same embedding dimension).
    pub fn append(&mut self, other: ClusterItems) -> Result<()> {
        if other.is_empty() {
            self.skipped += other.skipped;
            return Ok(());
        }
        if self.dim != 0 && other.dim != self.dim {
            return Err(Error::Data(format!(
                "embeddings of dimension {}, the existing items {}",
                other.dim, self.dim
            )));
        }
        self.dim = other.dim;
        self.vectorless |= other.vectorless;
        self.data.extend(other.data);
        self.items.extend(other.items);
        self.surfaces.extend(other.surfaces);
        self.skipped += other.skipped;
        Ok(())
    }

    /// Writes the items (not the vectors: the model keeps those) to
    /// `dir/clusters.items.jsonl`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(ITEMS_FILE);
        let tmp = dir.join(format!("{ITEMS_FILE}.tmp"));
        let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut w = BufWriter::new(f);
        for (m, surf) in self.items.iter().zip(&self.surfaces) {
            let s = SavedItem {
                id: m.id.clone(),
                clause: m.clause,
                clauses: m.clauses.max(1),
                text: m.text.clone(),
                language: m.language.clone(),
                tokens: m.tokens.clone(),
                surface: surf.clone(),
                sentiment: m.sentiment.map(|p| p.as_str().to_string()),
                codes: m.codes.clone(),
                period: m.period,
            };
            serde_json::to_writer(&mut w, &s)?;
            w.write_all(b"\n").map_err(|e| Error::io(&tmp, e))?;
        }
        w.flush().map_err(|e| Error::io(&tmp, e))?;
        drop(w);
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        Ok(())
    }

    /// Reads the items saved beside a model of `expected` vectors. Loaded
    /// items carry no vectors (the model has them): [`vectors`](Self::vectors)
    /// fails on them, [`append`](Self::append) and the report work.
    pub fn load(dir: &Path, expected: usize) -> Result<ClusterItems> {
        let path = dir.join(ITEMS_FILE);
        let f = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut out = ClusterItems::new();
        for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| Error::io(&path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let s: SavedItem = serde_json::from_str(&line).map_err(|e| Error::Resource {
                path: path.clone(),
                line: n as u64 + 1,
                message: format!("not a cluster item: {e}"),
            })?;
            out.items.push(ItemMeta {
                id: s.id,
                clause: s.clause,
                clauses: s.clauses,
                text: s.text,
                language: s.language,
                tokens: s.tokens,
                sentiment: s.sentiment.as_deref().and_then(Polarity::parse),
                codes: s.codes,
                period: s.period,
            });
            out.surfaces.push(s.surface);
        }
        if out.items.len() != expected {
            return Err(Error::Resource {
                path,
                line: 0,
                message: format!(
                    "{} items for a model of {} vectors",
                    out.items.len(),
                    expected
                ),
            });
        }
        out.vectorless = true;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokens::JiebaSegmenter;

    #[test]
    fn a_record_is_whole_when_it_reads_as_one_issue() {
        use Polarity::{Negative as N, Neutral as U, Positive as P};
        let s = |x: &[&str]| x.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let whole = |level: ClusterLevel, cl: &[(Option<Polarity>, Vec<String>)]| {
            let parts: Vec<Part<'_>> = cl
                .iter()
                .enumerate()
                .map(|(n, (p, c))| Part {
                    n,
                    text: "",
                    language: Language::EN,
                    sentiment: *p,
                    codes: c,
                    embedding: &[],
                })
                .collect();
            level.whole(&parts)
        };
        let two = [(Some(U), s(&[])), (Some(N), s(&[]))];
        assert!(whole(ClusterLevel::Auto, &two));
        assert!(whole(ClusterLevel::Record, &two));
        assert!(!whole(ClusterLevel::Clause, &two));
        // one clause is an item either way
        assert!(!whole(ClusterLevel::Auto, &two[..1]));
        assert!(!whole(ClusterLevel::Record, &two[..1]));
        // praise beside a complaint: two issues
        let mixed = [(Some(P), s(&[])), (Some(N), s(&[]))];
        assert!(!whole(ClusterLevel::Auto, &mixed));
        assert!(whole(ClusterLevel::Record, &mixed));
        // too long for auto
        let five = vec![(Some(U), s(&[])); AUTO_MAX_CLAUSES + 1];
        assert!(!whole(ClusterLevel::Auto, &five));
        assert!(whole(ClusterLevel::Auto, &five[..AUTO_MAX_CLAUSES]));
        // disjoint codes are two issues; shared or missing codes are not
        let disjoint = [(Some(N), s(&["a"])), (Some(N), s(&["b"]))];
        assert!(!whole(ClusterLevel::Auto, &disjoint));
        let shared = [
            (Some(N), s(&["a"])),
            (Some(N), s(&["b", "a"])),
            (None, s(&[])),
        ];
        assert!(whole(ClusterLevel::Auto, &shared));
        assert_eq!(ClusterLevel::parse("auto"), Some(ClusterLevel::Auto));
        assert_eq!(ClusterLevel::parse("records"), None);
    }

    #[test]
    fn a_whole_record_is_one_item_with_its_text_embedding_or_the_clause_mean() {
        let mut items = ClusterItems::new();
        let part =
            |n: usize, text: &'static str, e: &'static [f32], codes: &'static [String]| Part {
                n,
                text,
                language: Language::EN,
                sentiment: Some(Polarity::Neutral),
                codes,
                embedding: e,
            };
        let terms = |p: &Part<'_>| vec![(p.text.to_string(), p.text.to_string())];
        let parts = vec![
            part(0, "abc", &[1.0, 0.0], &[]),
            part(1, "d", &[0.0, 1.0], &[]),
        ];
        assert!(items
            .push_whole("r1", None, &parts, None, Some(3), terms)
            .unwrap());
        let parts = vec![
            part(0, "x", &[1.0, 0.0], &[]),
            part(1, "y", &[0.0, 1.0], &[]),
        ];
        assert!(items
            .push_whole("r2", Some("x, y"), &parts, Some(&[0.6, 0.8]), None, terms)
            .unwrap());
        // a clause without an embedding: not whole (its clauses are items)
        let parts = vec![part(0, "x", &[1.0, 0.0], &[]), part(1, "y", &[], &[])];
        assert!(!items
            .push_whole("r3", None, &parts, None, None, terms)
            .unwrap());
        assert_eq!(items.len(), 2);
        assert_eq!(items.whole_records(), 2);
        let m = &items.items()[0];
        assert_eq!((m.clause, m.clauses, m.text.as_str()), (0, 2, "abc d"));
        assert_eq!(m.tokens, vec!["abc".to_string(), "d".to_string()]);
        assert_eq!(m.period, Some(3));
        assert_eq!(items.items()[1].text, "x, y");
        let v = items.vectors().unwrap();
        // length-weighted mean (3 : 1), normalized
        let n = (0.75f32 * 0.75 + 0.25 * 0.25).sqrt();
        assert!((v.row(0)[0] - 0.75 / n).abs() < 1e-6, "{:?}", v.row(0));
        assert_eq!(v.row(1), &[0.6, 0.8]);
    }

    #[test]
    fn negated_words_keep_their_negator_and_stems_show_their_form() {
        let seg = JiebaSegmenter::builder().pos(true).build().unwrap();
        let keys = |text: &str, lang: Language| -> Vec<String> {
            segmented_terms(&seg, text, lang)
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert!(keys("我很不满意", Language::ZH).contains(&"不满意".to_string()));
        assert!(!keys("我很不满意", Language::ZH).contains(&"满意".to_string()));
        assert!(keys("車機很卡", Language::ZH).contains(&"车机".to_string()));
        let ru = segmented_terms(&seg, "приложение не работает", Language::RU);
        assert!(
            ru.iter()
                .any(|(k, f)| k == "не работа" && f == "не работает"),
            "{ru:?}"
        );
        let en = keys("the screen isn't working", Language::EN);
        assert!(en.contains(&"not work".to_string()), "{en:?}");
    }
}
