//! Compiled term matching: one Aho-Corasick automaton over the stems of a
//! clause (whole tokens only) and one over its folded characters (Chinese
//! terms, which also match inside longer words).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text::language::Language;
use crate::text::normalize::{fold_str, is_han};
use crate::text::tokens::{Segment, Token};

/// Separator between stems in the token stream.
const SEP: char = '\u{1f}';

/// One token of a clause, as the codebook sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermToken {
    /// The stem (or the normalized form when stemming does not change it).
    pub stem: String,
    /// Char offset of the token in the folded clause.
    pub start: u32,
    /// Char offset one past the token.
    pub end: u32,
    /// Whether the token lies in a negation scope.
    pub negated: bool,
}

/// What the codebook stage needs of a clause: its folded, lowercased text
/// and its tokens. Kept (not serialized) in each clause's
/// [`crate::batch::ClauseWork`] when a stage reads them or a
/// store is used, and stored in the `clauses` table of a store so that
/// reclassification needs no segmentation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClauseTerms {
    /// The clause, normalized, folded to simplified Chinese and lowercased.
    pub folded: String,
    /// Its tokens.
    pub tokens: Vec<TermToken>,
}

impl ClauseTerms {
    /// Builds the terms of a clause from its folded text and its tokens.
    pub fn new(folded: &str, tokens: &[Token<'_>]) -> ClauseTerms {
        ClauseTerms {
            folded: folded.to_lowercase(),
            tokens: tokens
                .iter()
                .map(|t| TermToken {
                    stem: t.stem().to_owned(),
                    start: t.start as u32,
                    end: t.end as u32,
                    negated: t.negated,
                })
                .collect(),
        }
    }

    /// Segments a text with `segmenter` (for tests and tools).
    pub fn segment(text: &str, language: Language, segmenter: &dyn Segment) -> ClauseTerms {
        let folded = fold_str(text);
        let tokens = segmenter.segment(&folded, language);
        ClauseTerms::new(&folded, &tokens)
    }
}

/// An occurrence of a term in a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The term.
    pub term: u32,
    /// Index of the first token of the occurrence.
    pub token: u32,
    /// Whether that token is negated.
    pub negated: bool,
}

/// A set of terms compiled into automata.
#[derive(Debug, Default)]
pub struct TermSet {
    /// Display form of each term (as written).
    names: Vec<String>,
    /// Term ids by their compiled key (dedup).
    keys: FxHashMap<String, u32>,
    /// Token-stream patterns and their terms.
    token_patterns: Vec<String>,
    token_terms: Vec<u32>,
    /// Character patterns (Chinese) and their terms.
    char_patterns: Vec<String>,
    char_terms: Vec<u32>,
    token_ac: Option<AhoCorasick>,
    char_ac: Option<AhoCorasick>,
}

impl TermSet {
    /// Adds a term written for `language` (`None`: any language) and returns
    /// its id. Terms are folded and lowercased; Chinese terms match as
    /// characters, others as stems of whole tokens.
    pub fn add(&mut self, term: &str, language: Option<Language>, segmenter: &dyn Segment) -> u32 {
        let folded = fold_str(term.trim()).to_lowercase();
        let key = folded.clone();
        if let Some(&id) = self.keys.get(&key) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(term.trim().to_owned());
        self.keys.insert(key, id);
        if folded.chars().any(is_han) {
            let pattern: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
            self.char_patterns.push(pattern);
            self.char_terms.push(id);
            return id;
        }
        // Stems depend on the stemmer of the clause language; compile the
        // term under every language whose clauses may contain it.
        let mut langs = Vec::new();
        if let Some(l) = language {
            langs.push(l);
        }
        if folded.chars().any(|c| c.is_ascii_alphabetic()) {
            langs.extend([Language::EN, Language::ZH]);
        }
        if folded.chars().any(|c| matches!(c, '\u{0400}'..='\u{04ff}')) {
            langs.push(Language::RU);
        }
        if langs.is_empty() {
            langs.push(Language::EN);
        }
        let mut seen = Vec::new();
        for l in langs {
            let tokens = segmenter.segment(&folded, l);
            if tokens.is_empty() {
                continue;
            }
            let mut p = String::new();
            p.push(SEP);
            for t in &tokens {
                p.push_str(t.stem());
                p.push(SEP);
            }
            if !seen.contains(&p) {
                seen.push(p.clone());
                self.token_patterns.push(p);
                self.token_terms.push(id);
            }
        }
        id
    }

    /// The display form of a term.
    pub fn name(&self, term: u32) -> &str {
        self.names
            .get(term as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Builds the automata.
    pub fn build(&mut self) -> Result<()> {
        let build = |patterns: &[String]| -> Result<Option<AhoCorasick>> {
            if patterns.is_empty() {
                return Ok(None);
            }
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(patterns)
                .map(Some)
                .map_err(|e| Error::Config(format!("codebook terms: {e}")))
        };
        self.token_ac = build(&self.token_patterns)?;
        self.char_ac = build(&self.char_patterns)?;
        Ok(())
    }

    /// Every occurrence of every term in a clause (overlapping), in no
    /// particular order.
    pub fn find(&self, clause: &ClauseTerms, hits: &mut Vec<Hit>) {
        hits.clear();
        let toks = &clause.tokens;
        if let Some(ac) = &self.token_ac {
            if !toks.is_empty() {
                let mut stream =
                    String::with_capacity(toks.iter().map(|t| t.stem.len() + 1).sum::<usize>() + 1);
                let mut starts = Vec::with_capacity(toks.len());
                stream.push(SEP);
                for t in toks {
                    starts.push(stream.len() - SEP.len_utf8());
                    stream.push_str(&t.stem);
                    stream.push(SEP);
                }
                for m in ac.find_overlapping_iter(stream.as_str()) {
                    let token = starts.partition_point(|&s| s < m.start());
                    let term = self.token_terms[m.pattern().as_usize()];
                    hits.push(Hit {
                        term,
                        token: token as u32,
                        negated: toks.get(token).is_some_and(|t| t.negated),
                    });
                }
            }
        }
        if let Some(ac) = &self.char_ac {
            let text = clause.folded.as_str();
            let mut char_at = None::<Vec<usize>>;
            for m in ac.find_overlapping_iter(text) {
                let map = char_at.get_or_insert_with(|| {
                    let mut v = vec![0usize; text.len() + 1];
                    for (ci, (b, _)) in text.char_indices().enumerate() {
                        v[b] = ci;
                    }
                    v
                });
                let c = map[m.start()] as u32;
                let token = toks.partition_point(|t| t.end <= c);
                hits.push(Hit {
                    term: self.char_terms[m.pattern().as_usize()],
                    token: token as u32,
                    negated: toks.get(token).is_some_and(|t| t.negated),
                });
            }
        }
    }
}
