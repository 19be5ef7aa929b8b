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
use std::sync::OnceLock;

use serde::Serialize;

use crate::contract::language::Language;
use crate::contract::output::{Analysis, TokenOut};
use crate::contract::record::Role;
use crate::text::tokens::{Segment, Token, TokenKind};

/// How terms are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ranking {
    /// TF-IDF.
    #[default]
    TfIdf,
    /// TextRank over the co-occurrence graph of each language.
    TextRank,
}

/// What the keyword filters read of a token: the engine's kept tokens
/// ([`TokenOut`]) or a stored clause segmented again ([`Token`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Word<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) pos: Option<&'a str>,
    pub(crate) stop: bool,
    pub(crate) negator: bool,
    pub(crate) negated: bool,
    pub(crate) norm: &'a str,
    pub(crate) stem: &'a str,
    /// Char offsets in the clause.
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl<'a> Word<'a> {
    pub(crate) fn of_token(t: &'a Token<'_>) -> Word<'a> {
        Word {
            kind: t.kind,
            pos: t.pos,
            stop: t.stop,
            negator: t.negator,
            negated: t.negated,
            norm: &t.norm,
            stem: t.stem(),
            start: t.start,
            end: t.end,
        }
    }

    pub(crate) fn of_out(t: &'a TokenOut) -> Word<'a> {
        Word {
            kind: t.kind,
            pos: t.pos,
            stop: t.stop,
            negator: t.negator,
            negated: t.negated,
            norm: &t.norm,
            stem: t.stem.as_deref().unwrap_or(&t.norm),
            start: t.start,
            end: t.end,
        }
    }

    fn is_content(&self) -> bool {
        is_content_word(self.kind, self.pos, self.stop, self.negator, self.norm)
    }

    /// A jieba noun tag (`n…`, `vn`, `an`) or a foreign word.
    fn is_noun(&self) -> bool {
        matches!(self.pos, Some(p) if p.starts_with('n') || matches!(p, "vn" | "an" | "eng"))
    }
}

/// A clause a term or phrase was said in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Example {
    /// The record.
    pub id: String,
    /// The clause.
    pub text: String,
    /// Char span of the term in `text`.
    pub span: (usize, usize),
}

#[derive(Debug, Default)]
struct TermStats {
    count: u64,
    df: u64,
    examples: Vec<Example>,
    /// Occurrences tagged as nouns (Chinese).
    nouns: u64,
    forms: HashMap<String, u64>,
}

/// A pair of adjacent content words.
#[derive(Debug, Default)]
struct PairStats {
    count: u64,
    df: u64,
    examples: Vec<Example>,
    /// The majority surface form (Boyer–Moore vote: exact when one form
    /// has more than half of the occurrences).
    form: String,
    votes: i64,
}

#[derive(Debug, Default)]
struct LangStats {
    documents: u64,
    terms: HashMap<String, TermStats>,
    /// Term ids (for the co-occurrence graph and the pairs).
    ids: HashMap<String, u32>,
    keys: Vec<String>,
    /// Co-occurrence weights between term ids within the window.
    edges: HashMap<(u32, u32), f64>,
    /// Adjacent content-word pairs, in order.
    pairs: HashMap<(u32, u32), PairStats>,
    /// Pairs in all, and per term as first and as second word.
    pair_total: u64,
    first: HashMap<u32, u64>,
    second: HashMap<u32, u64>,
}

impl LangStats {
    fn id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.ids.insert(key.to_owned(), id);
        self.keys.push(key.to_owned());
        id
    }
}

/// Streams over analyzed records and collects keyword statistics.
#[derive(Debug, Default)]
pub struct KeywordCollector {
    langs: BTreeMap<String, LangStats>,
    records: u64,
    all_speakers: bool,
    examples: usize,
    kept: usize,
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
    /// TextRank score (with [`Ranking::TextRank`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub textrank: Option<f64>,
}

/// A theme: a noun phrase or a single word worth drawing in a word cloud.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Theme {
    /// The theme in its most frequent form ("waiting time", "зарядная
    /// станция", 车机卡顿).
    pub term: String,
    /// Words in it (1 or 2).
    pub words: usize,
    /// Occurrences.
    pub count: u64,
    /// Records containing it.
    pub df: u64,
    /// `words × count × idf` (idf as in [`Keyword::tfidf`]): a phrase counts
    /// once per word.
    pub score: f64,
    /// Log-likelihood ratio (G²) of the two words' association (phrases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g2: Option<f64>,
    /// Clauses it was said in (see [`KeywordCollector::examples`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
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
    /// The top terms (single content words, filler left out), best first.
    pub terms: Vec<Keyword>,
    /// The top themes (phrases and nouns), best first: what a word cloud
    /// draws.
    pub themes: Vec<Theme>,
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
/// Least occurrences of a phrase.
const MIN_PHRASE: u64 = 3;
/// G² of a phrase's two words at p < 0.001 (χ², one degree of freedom).
const MIN_G2: f64 = 10.83;

/// Content words: not stopwords or negators; Chinese words only when jieba
/// tags them as nouns, verbs, adjectives or foreign words (TextRank's usual
/// filter: adverbs such as 直接, time words such as 现在 and numerals such
/// as 两次 are left out). Shared with the cluster labels.
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

/// The filler of a language (its pack's `filler.txt` and `generic.txt`),
/// as term keys (stems in Russian and English).
#[derive(Debug, Default)]
struct Filler {
    /// Never a theme, alone or in a phrase.
    never: HashSet<String>,
    /// A theme only inside a phrase.
    generic: HashSet<String>,
}

fn filler(language: &str) -> Option<&'static Filler> {
    static FILLERS: OnceLock<HashMap<&'static str, Filler>> = OnceLock::new();
    FILLERS
        .get_or_init(|| {
            crate::lang::PACKS
                .iter()
                .map(|p| {
                    let code = p.language.code();
                    let key = |w: &str| term_key(code, &w.to_lowercase().replace('ё', "е"), None);
                    let set = |text: &'static str| {
                        crate::lang::entries(text).map(&key).collect::<HashSet<_>>()
                    };
                    (
                        code,
                        Filler {
                            never: set(p.filler),
                            generic: set(p.generic),
                        },
                    )
                })
                .collect()
        })
        .get(language)
}

/// Whether a word (as written) is one of its language's filler words
/// (`filler.txt`): never a theme, nor a label.
pub(crate) fn is_filler(language: &str, word: &str) -> bool {
    filler(language).is_some_and(|f| {
        f.never.contains(&term_key(
            language,
            &word.to_lowercase().replace('ё', "е"),
            None,
        ))
    })
}

/// A term's key: Chinese words folded to simplified, other words by stem
/// (`stem` when the token has one, else stemmed here for Russian and
/// English).
fn term_key(language: &str, norm: &str, stem: Option<&str>) -> String {
    use rust_stemmers::{Algorithm, Stemmer};
    static STEMMERS: OnceLock<(Stemmer, Stemmer)> = OnceLock::new();
    if language == "zh" {
        return crate::text::normalize::fold_str(norm);
    }
    if let Some(s) = stem {
        return s.to_owned();
    }
    let (en, ru) = STEMMERS.get_or_init(|| {
        (
            Stemmer::create(Algorithm::English),
            Stemmer::create(Algorithm::Russian),
        )
    });
    match language {
        "en" => en.stem(norm).into_owned(),
        "ru" => ru.stem(norm).into_owned(),
        _ => norm.to_owned(),
    }
}

/// Whether a single Russian or English word is shaped like an adjective,
/// adverb or verb form rather than a noun (a theme alone is a noun; these
/// still count inside phrases: "зарядная станция").
fn modifier_shaped(language: &str, form: &str, stem: &str) -> bool {
    match language {
        "ru" => {
            const ADJ: [&str; 20] = [
                "ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому", "ему",
                "ым", "ым", "ых", "их", "ую", "юю", "ими",
            ];
            const VERB: [&str; 8] = ["ли", "ла", "лось", "лся", "лась", "ть", "ться", "ешь"];
            form.chars().count() > 3
                && (ADJ.iter().any(|e| form.ends_with(e)) || VERB.iter().any(|e| form.ends_with(e)))
        }
        "en" => {
            // a suffix the stemmer took off: friend-ly, purchas-ed, use-d
            let derived = |suffix: &str| {
                form.strip_suffix(suffix).is_some_and(|base| {
                    stem == base
                        || base.strip_suffix('e') == Some(stem)
                        || format!("{stem}e") == base
                })
            };
            derived("ly")
                || derived("ed")
                || derived("d")
                || form.ends_with("ous")
                || form.ends_with("ful")
        }
        _ => false,
    }
}

/// G² (Dunning's log-likelihood ratio) of `a` then `b` occurring together
/// `k11` times among `n` pairs, `a` first in `r1`, `b` second in `c1`.
fn g2(k11: u64, r1: u64, c1: u64, n: u64) -> f64 {
    let k = [
        k11 as f64,
        r1.saturating_sub(k11) as f64,
        c1.saturating_sub(k11) as f64,
        (n + k11).saturating_sub(r1 + c1) as f64,
    ];
    let n = n as f64;
    let rows = [k[0] + k[1], k[2] + k[3]];
    let cols = [k[0] + k[2], k[1] + k[3]];
    let mut s = 0.0;
    for (i, &kij) in k.iter().enumerate() {
        let e = rows[i / 2] * cols[i % 2] / n;
        if kij > 0.0 && e > 0.0 {
            s += kij * (kij / e).ln();
        }
    }
    2.0 * s
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

/// What one record adds, for its document frequencies.
#[derive(Default)]
struct RecordSeen {
    terms: HashSet<(&'static str, u32)>,
    pairs: HashSet<(&'static str, (u32, u32))>,
    langs: HashSet<&'static str>,
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

    /// Keeps up to `n` example clauses per term and phrase (from its
    /// third occurrence on, so that the rare ones cost nothing), for a
    /// drill-down from a theme to the customers' words. Default 0.
    pub fn examples(mut self, n: usize) -> Self {
        self.examples = n;
        self
    }

    /// Example clauses kept so far (a caller that keeps more about each
    /// record can tell whether the last one gave an example).
    pub fn examples_kept(&self) -> usize {
        self.kept
    }

    /// Adds one analyzed record (its clauses must carry tokens).
    pub fn add(&mut self, analysis: &Analysis) {
        self.records += 1;
        let mut seen = RecordSeen::default();
        for clause in &analysis.clauses {
            let Some(tokens) = &clause.tokens else {
                continue;
            };
            if !self.all_speakers && clause.role != Role::Customer {
                continue;
            }
            let words: Vec<Word<'_>> = tokens.iter().map(Word::of_out).collect();
            let id = analysis.id.to_string();
            self.add_words(
                &mut seen,
                &id,
                clause.language,
                &clause.text,
                clause.start,
                &words,
            );
        }
        self.close_record(seen);
    }

    /// Adds one record given as its clauses (text, language, role), which
    /// `seg` segments: for stored or written results that kept no tokens.
    pub fn add_clauses<'c>(
        &mut self,
        seg: &dyn Segment,
        id: &str,
        clauses: impl IntoIterator<Item = (&'c str, Language, Role)>,
    ) {
        self.records += 1;
        let mut seen = RecordSeen::default();
        for (text, language, role) in clauses {
            if !self.all_speakers && role != Role::Customer {
                continue;
            }
            // segmented as the engine segments: traditional characters
            // folded to simplified (one char for one, so spans still hold)
            let folded = crate::text::normalize::fold_str(text);
            let tokens = seg.segment(&folded, language);
            let words: Vec<Word<'_>> = tokens.iter().map(Word::of_token).collect();
            self.add_words(&mut seen, id, language, text, 0, &words);
        }
        self.close_record(seen);
    }

    fn close_record(&mut self, seen: RecordSeen) {
        for l in &seen.langs {
            if let Some(s) = self.langs.get_mut(*l) {
                s.documents += 1;
            }
        }
        for (l, id) in seen.terms {
            if let Some(s) = self.langs.get_mut(l) {
                if let Some(t) = s.keys.get(id as usize).and_then(|k| s.terms.get_mut(k)) {
                    t.df += 1;
                }
            }
        }
        for (l, pair) in seen.pairs {
            if let Some(p) = self.langs.get_mut(l).and_then(|s| s.pairs.get_mut(&pair)) {
                p.df += 1;
            }
        }
    }

    /// Counts the words of one clause; `base` is the char offset of `text`
    /// in the text the words' offsets count from.
    fn add_words(
        &mut self,
        seen: &mut RecordSeen,
        id: &str,
        language: Language,
        text: &str,
        base: usize,
        words: &[Word<'_>],
    ) {
        if language.is_und() {
            return;
        }
        let lang = language.code();
        if !self.langs.contains_key(lang) {
            self.langs.insert(lang.to_owned(), LangStats::default());
        }
        let Some(stats) = self.langs.get_mut(lang) else {
            return;
        };
        seen.langs.insert(lang);
        let chinese = lang == "zh";
        // char offset -> byte offset, to read the gap between two words
        let bytes: Vec<usize> = text
            .char_indices()
            .map(|(b, _)| b)
            .chain(std::iter::once(text.len()))
            .collect();
        let gap_is_space = |from: usize, to: usize| {
            let (from, to) = (from.saturating_sub(base), to.saturating_sub(base));
            match (bytes.get(from), bytes.get(to)) {
                (Some(&a), Some(&b)) if a <= b => text[a..b].chars().all(char::is_whitespace),
                _ => false,
            }
        };
        let keep = self.examples;
        let kept = &mut self.kept;
        let example = |from: usize, to: usize| Example {
            id: id.to_owned(),
            text: text.to_owned(),
            span: (from.saturating_sub(base), to.saturating_sub(base)),
        };
        let mut window: Vec<u32> = Vec::new();
        let mut prev: Option<(u32, usize, usize, &str)> = None; // id, start, end, norm
        let mut form = String::new();
        for t in words {
            if !t.is_content() {
                prev = None;
                continue;
            }
            let key = term_key(lang, t.norm, (!chinese).then_some(t.stem));
            let tid = stats.id(&key);
            let e = stats.terms.entry(key).or_default();
            e.count += 1;
            if e.count >= MIN_PHRASE && e.examples.len() < keep {
                e.examples.push(example(t.start, t.end));
                *kept += 1;
            }
            if t.is_noun() {
                e.nouns += 1;
            }
            *e.forms.entry(t.norm.to_owned()).or_default() += 1;
            seen.terms.insert((lang, tid));
            if let Some((pid, pstart, pend, pnorm)) = prev {
                if gap_is_space(pend, t.start) && pid != tid {
                    stats.pair_total += 1;
                    *stats.first.entry(pid).or_default() += 1;
                    *stats.second.entry(tid).or_default() += 1;
                    form.clear();
                    form.push_str(pnorm);
                    if !(chinese && !(pnorm.is_ascii() && t.norm.is_ascii())) {
                        form.push(' ');
                    }
                    form.push_str(t.norm);
                    let p = stats.pairs.entry((pid, tid)).or_default();
                    p.count += 1;
                    if p.count >= MIN_PHRASE && p.examples.len() < keep {
                        p.examples.push(example(pstart, t.end));
                        *kept += 1;
                    }
                    if p.form == form {
                        p.votes += 1;
                    } else if p.votes <= 0 {
                        p.form.clone_from(&form);
                        p.votes = 1;
                    } else {
                        p.votes -= 1;
                    }
                    seen.pairs.insert((lang, (pid, tid)));
                }
            }
            prev = Some((tid, t.start, t.end, t.norm));
            if !chinese || t.norm.chars().count() >= 2 {
                for &other in &window {
                    if other != tid {
                        let k = (other.min(tid), other.max(tid));
                        *stats.edges.entry(k).or_default() += 1.0;
                    }
                }
                window.push(tid);
                if window.len() >= WINDOW {
                    window.remove(0);
                }
            }
        }
    }

    /// The top `k` terms and themes per language.
    pub fn report(&self, k: usize, ranking: Ranking) -> KeywordReport {
        let mut languages: Vec<LanguageKeywords> = self
            .langs
            .iter()
            .map(|(lang, s)| language_keywords(lang, s, k, ranking))
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

fn most_frequent_form(st: &TermStats, key: &str) -> String {
    st.forms
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(f, _)| f.clone())
        .unwrap_or_else(|| key.to_owned())
}

fn language_keywords(lang: &str, s: &LangStats, k: usize, ranking: Ranking) -> LanguageKeywords {
    let n = s.documents as f64;
    let idf = |df: u64| ((1.0 + n) / (1.0 + df as f64)).ln() + 1.0;
    let none = Filler::default();
    let filler = filler(lang).unwrap_or(&none);
    let textrank = (ranking == Ranking::TextRank).then(|| pagerank(&s.ids, &s.edges));
    let mut terms: Vec<Keyword> = s
        .terms
        .iter()
        .filter(|(key, _)| !filler.never.contains(*key))
        .map(|(key, st)| Keyword {
            term: most_frequent_form(st, key),
            count: st.count,
            df: st.df,
            tfidf: round4(st.count as f64 * idf(st.df)),
            textrank: textrank
                .as_ref()
                .map(|tr| round4(tr.get(key).copied().unwrap_or(0.0))),
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
    let vocabulary = s.terms.len();
    terms.truncate(k);

    // themes: phrases of two associated words, and nouns alone
    let chinese = lang == "zh";
    let key_of = |id: u32| s.keys.get(id as usize).map(String::as_str).unwrap_or("");
    let mut themes: Vec<(Theme, [&str; 2], &[Example])> = Vec::new();
    for (&(a, b), p) in &s.pairs {
        let (ka, kb) = (key_of(a), key_of(b));
        let plain = |k: &str| filler.never.contains(k) || filler.generic.contains(k);
        if p.count < MIN_PHRASE
            || filler.never.contains(ka)
            || filler.never.contains(kb)
            || (plain(ka) && plain(kb))
        {
            continue;
        }
        let (r1, c1) = (
            s.first.get(&a).copied().unwrap_or(0),
            s.second.get(&b).copied().unwrap_or(0),
        );
        let g = g2(p.count, r1, c1, s.pair_total);
        // associated, and more often together than by chance
        let expected = r1 as f64 * c1 as f64 / s.pair_total.max(1) as f64;
        if g < MIN_G2 || (p.count as f64) <= expected {
            continue;
        }
        if chinese {
            // a Chinese phrase names something: one of its words is a noun,
            // and neither is a single character (jieba's 问, 人, 店 are
            // often mis-tagged fragments)
            let noun = |key: &str| s.terms.get(key).is_some_and(|t| t.nouns * 2 >= t.count);
            let short = |key: &str| key.chars().count() < 2;
            if (!noun(ka) && !noun(kb)) || short(ka) || short(kb) {
                continue;
            }
        }
        themes.push((
            Theme {
                term: p.form.clone(),
                words: 2,
                count: p.count,
                df: p.df,
                // a phrase says more than a word: counted once per word
                score: round4(2.0 * p.count as f64 * idf(p.df)),
                g2: Some(round4(g)),
                examples: Vec::new(),
            },
            [ka, kb],
            &p.examples,
        ));
    }
    for (key, st) in &s.terms {
        if filler.never.contains(key) || filler.generic.contains(key) {
            continue;
        }
        let form = most_frequent_form(st, key);
        let theme_alone = if chinese {
            st.nouns * 2 >= st.count && key.chars().count() >= 2
        } else {
            !modifier_shaped(lang, &form, key)
        };
        if !theme_alone {
            continue;
        }
        themes.push((
            Theme {
                term: form,
                words: 1,
                count: st.count,
                df: st.df,
                score: round4(st.count as f64 * idf(st.df)),
                g2: None,
                examples: Vec::new(),
            },
            [key.as_str(), ""],
            &st.examples,
        ));
    }
    let order = |x: &Theme, y: &Theme| {
        y.score
            .total_cmp(&x.score)
            .then(y.count.cmp(&x.count))
            .then(x.term.cmp(&y.term))
    };
    themes.sort_by(|x, y| order(&x.0, &y.0));
    // a word said mostly inside one of the phrases gives way to it
    let word_count = |key: &str| s.terms.get(key).map_or(0, |t| t.count);
    let subsumed: HashSet<&str> = themes
        .iter()
        .filter(|(t, _, _)| t.words == 2)
        .flat_map(|(t, keys, _)| keys.iter().filter(move |k| t.count * 2 >= word_count(k)))
        .copied()
        .collect();
    let out: Vec<Theme> = themes
        .into_iter()
        .filter(|(t, keys, _)| t.words == 2 || !subsumed.contains(keys[0]))
        .take(k)
        .map(|(t, _, examples)| Theme {
            examples: examples.to_vec(),
            ..t
        })
        .collect();
    LanguageKeywords {
        language: lang.to_owned(),
        documents: s.documents,
        vocabulary,
        terms,
        themes: out,
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
        // TextRank ranks every language now
        assert!(en.terms[0].textrank.is_some() && ru.terms[0].textrank.is_some());
    }

    #[test]
    fn themes_are_phrases_and_nouns_without_filler() {
        let engine = Engine::builder()
            .tokens(true)
            .pos_tags(true)
            .build()
            .unwrap();
        let texts = [
            "The waiting time was great, really great",
            "Waiting time at the service center is too long",
            "I like the new app but the waiting time is long",
            "Great app, the charging station was broken",
            "The charging station near home was broken again",
            "Charging station broken, waiting time long, like always",
            "Service center staff were great",
            "The app crashes at the charging station",
            "Зарядная станция не работает, зарядная станция сломана",
            "Где зарядная станция? Хорошо, спасибо",
            "Зарядная станция опять занята",
            "Курьер опоздал на два часа, курьер грубил",
            "Мобильное приложение банка зависает постоянно",
            "Мультимедиа зависает после обновления прошивки",
            "Оператор колл центра положил трубку",
            "Менеджер салона обещал перезвонить",
            "车机卡顿，车机卡顿太严重",
            "车机卡顿，售后不管",
            "又是车机卡顿",
            "客服态度很差，售后服务太慢",
            "充电桩坏了，导航系统经常死机",
            "保养价格太贵，配件价格也贵",
            "销售顾问很专业，试驾体验很好",
        ];
        let mut c = KeywordCollector::new().examples(2);
        for (i, t) in texts.iter().enumerate() {
            c.add(&engine.analyze(&Record::text(i as u64, *t)).unwrap());
        }
        let r = c.report(5, Ranking::TfIdf);
        let themes = |lang: &str| -> Vec<Theme> {
            r.languages
                .iter()
                .find(|l| l.language == lang)
                .unwrap()
                .themes
                .clone()
        };
        let en = themes("en");
        let names: Vec<&str> = en.iter().map(|t| t.term.as_str()).collect();
        assert!(names.contains(&"waiting time"), "{names:?}");
        assert!(names.contains(&"charging station"), "{names:?}");
        // filler never, generic words only inside phrases, and a word said
        // mostly inside a phrase gives way to it
        for never in ["great", "like", "time", "station", "waiting"] {
            assert!(!names.contains(&never), "{never} in {names:?}");
        }
        let wt = en.iter().find(|t| t.term == "waiting time").unwrap();
        assert_eq!((wt.words, wt.count, wt.df), (2, 4, 4));
        assert!(wt.g2.unwrap() > MIN_G2);
        // examples from the third mention on, the phrase marked
        assert_eq!(wt.examples.len(), 2);
        let e = &wt.examples[0];
        let marked: String = e
            .text
            .chars()
            .skip(e.span.0)
            .take(e.span.1 - e.span.0)
            .collect();
        assert_eq!(marked.to_lowercase(), "waiting time");
        let ru: Vec<String> = themes("ru").into_iter().map(|t| t.term).collect();
        assert_eq!(
            ru.first().map(String::as_str),
            Some("зарядная станция"),
            "{ru:?}"
        );
        assert!(
            !ru.iter().any(|t| t == "хорошо" || t == "спасибо"),
            "{ru:?}"
        );
        let zh: Vec<String> = themes("zh").into_iter().map(|t| t.term).collect();
        assert!(zh.contains(&"车机卡顿".to_owned()), "{zh:?}");
    }

    #[test]
    fn g2_is_large_for_associated_words_and_small_for_independent_ones() {
        // a and b always together vs independent at their base rates
        assert!(g2(10, 10, 10, 1000) > 100.0);
        assert!(g2(1, 10, 100, 1000) < 1.0);
        assert_eq!(g2(0, 0, 0, 10), 0.0);
    }
}
