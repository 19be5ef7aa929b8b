//! The clauses to cluster, collected from analyzed records or from a store:
//! their embeddings, and what the report needs about each ([`ItemMeta`]).

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::hotness::week_index;
use super::report::ItemMeta;
use super::vectors::Vectors;
use crate::error::{Error, Result};
use crate::language::Language;
use crate::output::Analysis;
use crate::output::TokenOut;
use crate::record::Role;
use crate::sentiment::Polarity;
use crate::tokens::{Segment, Token, TokenKind};

/// File of the items beside a saved model (JSON Lines, one per vector).
pub const ITEMS_FILE: &str = "clusters.items.jsonl";

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
    skipped: usize,
    /// Loaded from a model directory: metadata only.
    vectorless: bool,
}

/// One line of [`ITEMS_FILE`].
#[derive(Serialize, Deserialize)]
struct SavedItem {
    id: String,
    clause: usize,
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

/// What the keyword filter reads of a token, from the engine's kept tokens
/// ([`TokenOut`]) or from segmenting a stored clause again ([`Token`]).
struct Word<'a> {
    kind: TokenKind,
    pos: Option<&'a str>,
    stop: bool,
    negator: bool,
    negated: bool,
    norm: &'a str,
    stem: &'a str,
}

impl<'a> Word<'a> {
    fn of_token(t: &'a Token<'_>) -> Word<'a> {
        Word {
            kind: t.kind,
            pos: t.pos,
            stop: t.stop,
            negator: t.negator,
            negated: t.negated,
            norm: &t.norm,
            stem: t.stem(),
        }
    }

    fn of_out(t: &'a TokenOut) -> Word<'a> {
        Word {
            kind: t.kind,
            pos: t.pos,
            stop: t.stop,
            negator: t.negator,
            negated: t.negated,
            norm: &t.norm,
            stem: t.stem.as_deref().unwrap_or(&t.norm),
        }
    }
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
                crate::normalize::fold_str(t.norm)
            } else if t.norm.ends_with("n't") || t.norm.ends_with("n’t") {
                "not".to_string()
            } else {
                t.norm.to_string()
            };
            negator = Some(n);
            continue;
        }
        if !crate::keywords::is_content_word(t.kind, t.pos, t.stop, t.negator, t.norm) {
            continue;
        }
        let (key, surface) = if zh {
            // Traditional and simplified spellings count as one term.
            let key = crate::normalize::fold_str(t.norm);
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

    /// Clauses gathered.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no clause was gathered.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
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
        if self.vectorless {
            return Err(Error::Config(
                "these cluster items were loaded from a model directory: their vectors are the model's".into(),
            ));
        }
        if self.items.is_empty() {
            return Vectors::new(Vec::new(), self.dim.max(1));
        }
        Vectors::new(self.data.clone(), self.dim)
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

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        terms: impl FnOnce() -> Vec<(String, String)>,
        id: String,
        clause: usize,
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
            return Err(Error::Config(format!(
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
    pub fn add_analysis(&mut self, a: &Analysis, seg: &dyn Segment) -> Result<()> {
        let period = a.time.as_ref().map(week_index);
        for (n, c) in a.clauses.iter().enumerate() {
            if !self.all_speakers && c.role != Role::Customer {
                continue;
            }
            let emb: &[f32] = match &c.embedding {
                #[cfg(feature = "onnx")]
                Some(e) => e.embedding.as_slice(),
                #[cfg(not(feature = "onnx"))]
                Some(e) => e.as_slice(),
                None => &[],
            };
            let codes = c.codes.iter().map(|x| x.code.to_string()).collect();
            // The engine's own tokens when it kept them (`tokens(true)`),
            // else the clause segmented here.
            let terms = || match &c.tokens {
                Some(t) => content_terms(t.iter().map(Word::of_out), c.language),
                None => segmented_terms(seg, &c.text, c.language),
            };
            self.push(
                terms,
                a.id.to_string(),
                n,
                &c.text,
                c.language,
                c.sentiment.map(|s| s.label),
                codes,
                period,
                emb,
            )?;
        }
        Ok(())
    }

    /// Adds the clauses of one stored record (see `analyze --store`). Failed records have no clauses. The clause texts are segmented
    /// again for the keywords (the store keeps stems, not the part of
    /// speech and stopword flags the keyword filter reads).
    #[cfg(feature = "store")]
    pub fn add_stored(&mut self, r: &crate::store::StoredRecord, seg: &dyn Segment) -> Result<()> {
        if r.error.is_some() || r.clauses.is_empty() {
            return Ok(());
        }
        let period = r
            .time
            .as_deref()
            .and_then(crate::record::Timestamp::parse)
            .as_ref()
            .map(week_index);
        for c in &r.clauses {
            if !self.all_speakers && !c.customer {
                continue;
            }
            let n = c.clause as usize;
            let lang = Language::from_code(&c.language).unwrap_or(Language::UND);
            self.push(
                || segmented_terms(seg, &c.text, lang),
                r.id.clone(),
                n,
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

    /// Appends the items of `other` (same embedding dimension).
    pub fn append(&mut self, other: ClusterItems) -> Result<()> {
        if other.is_empty() {
            self.skipped += other.skipped;
            return Ok(());
        }
        if self.dim != 0 && other.dim != self.dim {
            return Err(Error::Config(format!(
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
    use crate::tokens::JiebaSegmenter;

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
