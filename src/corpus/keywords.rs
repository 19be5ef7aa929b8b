//! Corpus keywords: the top terms per language over a run — the data behind
//! a word cloud.
//!
//! [`KeywordCollector`] streams over analyzed records (with tokens) and keeps
//! per language:
//!
//! * `count` (occurrences) and `df` (records containing the term) of every
//!   content word (stopwords, negators, numbers, URLs and mentions left out);
//!   Russian and English words are grouped by stem and shown in their most
//!   frequent form;
//! * `tfidf` = `count × (ln((1 + N) / (1 + df)) + 1)` over the N records of
//!   that language (the smoothed idf of scikit-learn);
//! * for Chinese, `textrank`: PageRank (damping 0.85) over the co-occurrence
//!   graph of words of two or more characters within a window of 5 tokens in
//!   a clause, on jieba-rs segmentation, accumulated over the whole run.
//!
//! Memory grows with the vocabulary and the co-occurring pairs, not with the
//! number of records. Results are sorted by score, ties by term, so they do
//! not depend on the thread count.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::contract::output::{Analysis, TokenOut};
use crate::contract::record::Role;
use crate::text::tokens::TokenKind;

/// How terms are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ranking {
    /// TF-IDF (all languages).
    #[default]
    TfIdf,
    /// TextRank for Chinese, TF-IDF for the others.
    TextRank,
}

#[derive(Debug, Default)]
struct TermStats {
    count: u64,
    df: u64,
    forms: HashMap<String, u64>,
}

#[derive(Debug, Default)]
struct LangStats {
    documents: u64,
    terms: HashMap<String, TermStats>,
    /// Co-occurrence weights between term ids (Chinese only).
    edges: HashMap<(u32, u32), f64>,
    ids: HashMap<String, u32>,
}

/// Streams over analyzed records and collects keyword statistics.
#[derive(Debug, Default)]
pub struct KeywordCollector {
    langs: BTreeMap<String, LangStats>,
    records: u64,
    all_speakers: bool,
}

/// One keyword of a language.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Keyword {
    /// The term in its most frequent form.
    pub term: String,
    /// Occurrences.
    pub count: u64,
    /// Records containing it.
    pub df: u64,
    /// TF-IDF score.
    pub tfidf: f64,
    /// TextRank score (Chinese only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub textrank: Option<f64>,
}

/// Keywords of one language.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LanguageKeywords {
    /// The language code.
    pub language: String,
    /// Records (clauses grouped by record) in this language.
    pub documents: u64,
    /// Distinct terms seen.
    pub vocabulary: usize,
    /// The top terms, best first.
    pub terms: Vec<Keyword>,
}

/// The keywords of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeywordReport {
    /// Records seen.
    pub records: u64,
    /// How terms were ranked (`tfidf` or `textrank`).
    pub ranking: &'static str,
    /// Per language, most documents first.
    pub languages: Vec<LanguageKeywords>,
}

const WINDOW: usize = 5;

/// Content words: not stopwords or negators; Chinese words only when jieba
/// tags them as nouns, verbs, adjectives or foreign words (TextRank's usual
/// filter: adverbs such as 直接, time words such as 现在 and numerals such
/// as 两次 are left out).
fn is_content(t: &TokenOut) -> bool {
    is_content_word(t.kind, t.pos, t.stop, t.negator, &t.norm)
}

/// [`is_content`] over the fields of a token (shared with the cluster
/// labels, which segment stored clause texts again).
pub(crate) fn is_content_word(
    kind: TokenKind,
    pos: Option<&str>,
    stop: bool,
    negator: bool,
    norm: &str,
) -> bool {
    let pos_ok = match pos {
        None => true,
        Some(p) => {
            matches!(p.as_bytes().first(), Some(b'n'))
                || matches!(p, "v" | "vn" | "vi" | "a" | "an" | "eng")
        }
    };
    pos_ok
        && (kind == TokenKind::Word || kind == TokenKind::Hashtag)
        && !stop
        && !negator
        && norm.chars().any(char::is_alphabetic)
        && (norm.chars().count() >= 2 || norm.chars().any(crate::text::normalize::is_han))
}

impl crate::io::sink::Sink for KeywordCollector {
    /// Adds the analysis of each record; failures are skipped.
    fn push(&mut self, outcome: &crate::Outcome) -> crate::Result<()> {
        if let Some(a) = outcome.analysis() {
            self.add(a);
        }
        Ok(())
    }
}

impl KeywordCollector {
    /// An empty collector over customer clauses (text records and the
    /// customer turns of conversations).
    pub fn new() -> Self {
        KeywordCollector::default()
    }

    /// Counts the clauses of every speaker (agents, bots, system) too.
    pub fn all_speakers(mut self, yes: bool) -> Self {
        self.all_speakers = yes;
        self
    }

    /// Adds one analyzed record (its clauses must carry tokens).
    pub fn add(&mut self, analysis: &Analysis) {
        self.records += 1;
        // Which languages this record contributes to, for df.
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        let mut langs_in_record: HashSet<&str> = HashSet::new();
        for clause in &analysis.clauses {
            let Some(tokens) = &clause.tokens else {
                continue;
            };
            if !self.all_speakers && clause.role != Role::Customer {
                continue;
            }
            let lang = clause.language.code();
            if clause.language.is_und() {
                continue;
            }
            let stats = self.langs.entry(lang.to_owned()).or_default();
            langs_in_record.insert(lang);
            let chinese = lang == "zh";
            let mut window: Vec<u32> = Vec::new();
            for t in tokens.iter().filter(|t| is_content(t)) {
                let key = if chinese {
                    t.norm.clone()
                } else {
                    t.stem.clone().unwrap_or_else(|| t.norm.clone())
                };
                let e = stats.terms.entry(key.clone()).or_default();
                e.count += 1;
                *e.forms.entry(t.norm.clone()).or_default() += 1;
                if seen.insert((lang, key.clone())) {
                    e.df += 1;
                }
                if chinese && t.norm.chars().count() >= 2 {
                    let next = stats.ids.len() as u32;
                    let id = *stats.ids.entry(key).or_insert(next);
                    for &other in &window {
                        if other != id {
                            let k = (other.min(id), other.max(id));
                            *stats.edges.entry(k).or_default() += 1.0;
                        }
                    }
                    window.push(id);
                    if window.len() >= WINDOW {
                        window.remove(0);
                    }
                }
            }
        }
        for l in langs_in_record {
            if let Some(s) = self.langs.get_mut(l) {
                s.documents += 1;
            }
        }
    }

    /// The top `k` terms per language.
    pub fn report(&self, k: usize, ranking: Ranking) -> KeywordReport {
        let mut languages: Vec<LanguageKeywords> = self
            .langs
            .iter()
            .map(|(lang, s)| {
                let n = s.documents as f64;
                let textrank = (ranking == Ranking::TextRank && lang == "zh")
                    .then(|| pagerank(&s.ids, &s.edges));
                let mut terms: Vec<Keyword> = s
                    .terms
                    .iter()
                    .map(|(key, st)| {
                        let term = st
                            .forms
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                            .map(|(f, _)| f.clone())
                            .unwrap_or_else(|| key.clone());
                        let idf = ((1.0 + n) / (1.0 + st.df as f64)).ln() + 1.0;
                        Keyword {
                            term,
                            count: st.count,
                            df: st.df,
                            tfidf: round4(st.count as f64 * idf),
                            textrank: textrank
                                .as_ref()
                                .map(|tr| round4(tr.get(key).copied().unwrap_or(0.0))),
                        }
                    })
                    .collect();
                terms.sort_by(|a, b| {
                    let (x, y) = match (a.textrank, b.textrank) {
                        (Some(x), Some(y)) => (x, y),
                        _ => (a.tfidf, b.tfidf),
                    };
                    y.total_cmp(&x)
                        .then(b.count.cmp(&a.count))
                        .then(a.term.cmp(&b.term))
                });
                let vocabulary = terms.len();
                terms.truncate(k);
                LanguageKeywords {
                    language: lang.clone(),
                    documents: s.documents,
                    vocabulary,
                    terms,
                }
            })
            .collect();
        languages.sort_by(|a, b| {
            b.documents
                .cmp(&a.documents)
                .then(a.language.cmp(&b.language))
        });
        KeywordReport {
            records: self.records,
            ranking: match ranking {
                Ranking::TfIdf => "tfidf",
                Ranking::TextRank => "textrank",
            },
            languages,
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Weighted PageRank over an undirected graph; scores scaled so the best is 1.
fn pagerank(ids: &HashMap<String, u32>, edges: &HashMap<(u32, u32), f64>) -> HashMap<String, f64> {
    let n = ids.len();
    if n == 0 {
        return HashMap::new();
    }
    // Deterministic adjacency: sorted edge list.
    let mut list: Vec<(u32, u32, f64)> = edges.iter().map(|(&(a, b), &w)| (a, b, w)).collect();
    list.sort_by_key(|x| (x.0, x.1));
    let mut out_w = vec![0.0f64; n];
    for &(a, b, w) in &list {
        out_w[a as usize] += w;
        out_w[b as usize] += w;
    }
    let d = 0.85;
    let mut score = vec![1.0f64 / n as f64; n];
    for _ in 0..30 {
        let mut next = vec![(1.0 - d) / n as f64; n];
        for &(a, b, w) in &list {
            let (a, b) = (a as usize, b as usize);
            if out_w[a] > 0.0 {
                next[b] += d * w / out_w[a] * score[a];
            }
            if out_w[b] > 0.0 {
                next[a] += d * w / out_w[b] * score[b];
            }
        }
        score = next;
    }
    let max = score
        .iter()
        .cloned()
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    ids.iter()
        .map(|(term, &id)| (term.clone(), score[id as usize] / max))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Record};

    #[test]
    fn top_terms_per_language() {
        let engine = Engine::builder()
            .tokens(true)
            .pos_tags(true)
            .build()
            .unwrap();
        let texts = [
            "快递太慢了,客服不回复",
            "快递很快,包装完好",
            "快递员态度差",
            "Delivery was late again",
            "The delivery driver was rude",
            "Доставка опоздала на два дня",
        ];
        let mut c = KeywordCollector::new();
        for (i, t) in texts.iter().enumerate() {
            c.add(&engine.analyze(&Record::text(i as u64, *t)).unwrap());
        }
        let r = c.report(3, Ranking::TextRank);
        assert_eq!(r.records, 6);
        let zh = r.languages.iter().find(|l| l.language == "zh").unwrap();
        assert_eq!(zh.documents, 3);
        assert_eq!(zh.terms[0].term, "快递");
        assert!(zh.terms[0].textrank.is_some());
        let en = r.languages.iter().find(|l| l.language == "en").unwrap();
        assert_eq!(en.terms[0].term, "delivery");
        assert_eq!(en.terms[0].count, 2);
        let ru = r.languages.iter().find(|l| l.language == "ru").unwrap();
        assert!(ru.terms.iter().any(|t| t.term == "доставка"));
    }
}
