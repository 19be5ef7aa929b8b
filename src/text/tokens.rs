//! Segmentation: Chinese words with jieba-rs, Russian and English (and other
//! alphabetic) words with Snowball stems, emoji, URLs, mentions and hashtags
//! as tokens of their own; stopword flags and negation scope.
//!
//! Tokens borrow the text they were cut from and carry char offsets into it.
//! The engine cuts the *folded* clause text (traditional Chinese folded to
//! simplified, same layout as the normalized text), so Chinese dictionary
//! words match whatever the script, and maps offsets back to the original.
//!
//! ## Negation
//!
//! Negators (不 没 没有 别 未 无 …; не нет ни без …; not no never n't …) mark
//! the next content words as `negated`, up to 2 content words in Chinese and
//! 3 in other languages, and never across punctuation. Chinese words that
//! begin with a negator (不满意, 没有人, 无法) are cut into the negator and the
//! rest, so that 不满意, не доволен and not happy all come out as a negator
//! followed by a negated "satisfied"; lexicalized words (不错, 不过, 无论, 未来, …)
//! stay whole.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::path::Path;
use std::sync::{OnceLock, RwLock};

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

pub use crate::contract::output::TokenKind;
use crate::contract::redaction::PiiKind;
use crate::error::{Error, Result};
use crate::text::clauses::is_emoji;
use crate::text::language::Language;
use crate::text::normalize::{fold_str, is_alnum, is_han, is_letter};

/// One token, borrowing the text it was cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token as it appears in the segmented text.
    pub text: &'a str,
    /// Char offset of the first char in the segmented text.
    pub start: usize,
    /// Char offset one past the last char in the segmented text.
    pub end: usize,
    /// What the token is.
    pub kind: TokenKind,
    /// Normalized form used for matching: lowercase, `ё` → `е`, `’` → `'`.
    pub norm: Cow<'a, str>,
    /// Snowball stem of `norm` when it differs (Russian, English, ...).
    pub stem: Option<String>,
    /// Whether `norm` is a stopword of its language.
    pub stop: bool,
    /// Whether the token is a negator (不, не, not, n't, ...).
    pub negator: bool,
    /// Whether the token lies in a negation scope.
    pub negated: bool,
    /// jieba part-of-speech tag of Chinese words (`n`, `v`, `a`, `d`, `eng`, ...).
    pub pos: Option<&'static str>,
}

impl Token<'_> {
    /// The stem, or the normalized form when stemming does not change it.
    pub fn stem(&self) -> &str {
        self.stem.as_deref().unwrap_or(&self.norm)
    }
}

/// A segmenter: one stage of the pipeline, replaceable through
/// [`crate::EngineBuilder::segmenter`].
pub trait Segment: Send + Sync + fmt::Debug {
    /// Cuts `text` (a normalized, folded clause) into tokens. `language` is
    /// the clause's language; it picks the stemmer for alphabetic words.
    fn segment<'a>(&self, text: &'a str, language: Language) -> Vec<Token<'a>>;

    /// Adds words to the segmenter's dictionary at run time (e.g. codebook
    /// terms, so that they come out as one token). Segmenters without a
    /// dictionary ignore this.
    fn add_words(&self, _words: &[String]) {}
}

/// Builds a [`JiebaSegmenter`].
#[derive(Debug, Clone, Default)]
pub struct SegmenterBuilder {
    hmm: Option<bool>,
    pos: bool,
    user_dicts: Vec<std::path::PathBuf>,
    words: Vec<String>,
}

impl SegmenterBuilder {
    /// Whether jieba's HMM guesses unknown Chinese words (default true).
    pub fn hmm(mut self, yes: bool) -> Self {
        self.hmm = Some(yes);
        self
    }

    /// Whether Chinese words get jieba part-of-speech tags (default false;
    /// tagging guesses tags of unknown words with a second HMM and roughly
    /// halves the speed of Chinese segmentation).
    pub fn pos(mut self, yes: bool) -> Self {
        self.pos = yes;
        self
    }

    /// Adds a jieba user dictionary file: one entry per line, `word [freq] [tag]`.
    pub fn user_dict(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.user_dicts.push(path.into());
        self
    }

    /// Adds words to the Chinese dictionary.
    pub fn words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.words
            .extend(words.into_iter().map(|w| w.as_ref().to_owned()));
        self
    }

    /// Loads the dictionaries and builds the segmenter.
    pub fn build(self) -> Result<JiebaSegmenter> {
        let mut jieba = Jieba::new();
        for path in &self.user_dicts {
            load_user_dict(&mut jieba, path)?;
        }
        for w in &self.words {
            let w = fold_str(w.trim());
            if !w.is_empty() {
                jieba.add_word(&w, None, None);
            }
        }
        Ok(JiebaSegmenter {
            jieba: RwLock::new(jieba),
            hmm: self.hmm.unwrap_or(true),
            pos: self.pos,
            stemmers: Stemmers::new(),
        })
    }
}

fn load_user_dict(jieba: &mut Jieba, path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = std::io::BufReader::new(file);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let word = parts.next().unwrap_or_default();
        let freq = match parts.next() {
            None => None,
            Some(f) => Some(f.parse::<usize>().map_err(|_| Error::Resource {
                path: path.to_path_buf(),
                line: i as u64 + 1,
                message: format!("frequency `{f}` of `{word}` is not a whole number"),
            })?),
        };
        let tag = parts.next();
        jieba.add_word(&fold_str(word), freq, tag);
    }
    Ok(())
}

struct Stemmers {
    en: Stemmer,
    ru: Stemmer,
    others: Vec<(&'static str, Stemmer)>,
}

impl Stemmers {
    fn new() -> Self {
        let others = [
            ("fr", Algorithm::French),
            ("de", Algorithm::German),
            ("es", Algorithm::Spanish),
            ("pt", Algorithm::Portuguese),
            ("it", Algorithm::Italian),
            ("nl", Algorithm::Dutch),
            ("sv", Algorithm::Swedish),
            ("da", Algorithm::Danish),
            ("nb", Algorithm::Norwegian),
            ("fi", Algorithm::Finnish),
            ("hu", Algorithm::Hungarian),
            ("ro", Algorithm::Romanian),
            ("tr", Algorithm::Turkish),
            ("el", Algorithm::Greek),
            ("ar", Algorithm::Arabic),
        ]
        .into_iter()
        .map(|(c, a)| (c, Stemmer::create(a)))
        .collect();
        Stemmers {
            en: Stemmer::create(Algorithm::English),
            ru: Stemmer::create(Algorithm::Russian),
            others,
        }
    }

    /// The stemmer for a word of the given script in a clause of `lang`.
    fn for_word(&self, word: &str, lang: Language) -> Option<&Stemmer> {
        let first = word.chars().find(|&c| is_letter(c))?;
        let u = first as u32;
        if (0x400..=0x52F).contains(&u) {
            return Some(&self.ru);
        }
        if first.is_ascii_alphabetic() || (0xC0..=0x24F).contains(&u) {
            return match lang.code() {
                "en" | "zh" | "ru" | "ja" | "ko" | "und" => Some(&self.en),
                code => self.others.iter().find(|(c, _)| *c == code).map(|(_, s)| s),
            };
        }
        self.others
            .iter()
            .find(|(c, _)| *c == lang.code())
            .map(|(_, s)| s)
    }
}

impl fmt::Debug for Stemmers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stemmers")
    }
}

/// The default segmenter: jieba-rs for Chinese, a Unicode word scanner for
/// alphabetic scripts.
#[derive(Debug)]
pub struct JiebaSegmenter {
    jieba: RwLock<Jieba>,
    hmm: bool,
    pos: bool,
    stemmers: Stemmers,
}

impl JiebaSegmenter {
    /// A builder (HMM on, default dictionary).
    pub fn builder() -> SegmenterBuilder {
        SegmenterBuilder::default()
    }

    /// Cuts a Chinese text with jieba only (no stems, flags or negation);
    /// the raw cut that `benches/compare` measures against Python jieba.
    pub fn cut_chinese<'a>(&self, text: &'a str) -> Vec<&'a str> {
        match self.jieba.read() {
            Ok(j) => j.cut(text, self.hmm).into_iter().map(|t| t.word).collect(),
            Err(poisoned) => poisoned
                .into_inner()
                .cut(text, self.hmm)
                .into_iter()
                .map(|t| t.word)
                .collect(),
        }
    }
}

struct Pending<'a> {
    tokens: Vec<Token<'a>>,
    /// Punctuation was seen right before each token (ends negation scope).
    boundary: Vec<bool>,
}

impl Segment for JiebaSegmenter {
    fn segment<'a>(&self, text: &'a str, language: Language) -> Vec<Token<'a>> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len();
        let byte_at = |i: usize| if i < n { chars[i].0 } else { text.len() };
        let mut out = Pending {
            tokens: Vec::new(),
            boundary: Vec::new(),
        };
        let mut boundary = false;
        let mut i = 0;
        // Pushes the token chars[i..j] and moves on to j.
        macro_rules! emit {
            ($kind:expr, $j:expr) => {{
                let j = $j;
                self.push(
                    &mut out,
                    text,
                    byte_at(i),
                    byte_at(j),
                    i,
                    j,
                    $kind,
                    language,
                    boundary,
                );
                boundary = false;
                i = j;
                continue;
            }};
        }
        while i < n {
            let c = chars[i].1;
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            // Redaction placeholders ([PHONE], [NAME]) are one token, never a word.
            if c == '[' {
                if let Some((_, len)) = PiiKind::placeholder_at(&text[chars[i].0..]) {
                    let end_byte = chars[i].0 + len;
                    let mut j = i;
                    while j < n && chars[j].0 < end_byte {
                        j += 1;
                    }
                    emit!(TokenKind::Redacted, j);
                }
            }
            let word_start = i == 0 || !is_alnum(chars[i - 1].1);
            // URLs.
            if word_start && starts_url(&text.as_bytes()[chars[i].0..]) {
                let mut j = i;
                while j < n && !chars[j].1.is_whitespace() {
                    j += 1;
                }
                while j > i + 1 && matches!(chars[j - 1].1, '.' | ',' | ';' | '!' | '?' | ')') {
                    j -= 1;
                }
                emit!(TokenKind::Url, j);
            }
            // Mentions and Latin/Cyrillic hashtags.
            if (c == '@' || c == '#') && chars.get(i + 1).is_some_and(|x| is_alnum(x.1)) {
                let cjk_tag = c == '#' && is_han(chars[i + 1].1);
                if !cjk_tag {
                    let mut j = i + 1;
                    while j < n && (is_alnum(chars[j].1) || matches!(chars[j].1, '_' | '-' | '.')) {
                        j += 1;
                    }
                    while j > i + 1 && matches!(chars[j - 1].1, '.' | '-') {
                        j -= 1;
                    }
                    let kind = if c == '@' {
                        TokenKind::Mention
                    } else {
                        TokenKind::Hashtag
                    };
                    emit!(kind, j);
                }
            }
            if is_emoji(c) {
                let mut j = i + 1;
                while j < n {
                    let x = chars[j].1;
                    if matches!(x as u32, 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3) {
                        j += 1;
                    } else if x == '\u{200D}' && chars.get(j + 1).is_some_and(|y| is_emoji(y.1)) {
                        j += 2;
                    } else {
                        break;
                    }
                }
                emit!(TokenKind::Emoji, j);
            }
            if is_han(c) || is_kana(c) {
                // A CJK run (Han, kana and the ASCII letters/digits inside it) goes to jieba.
                let mut j = i + 1;
                while j < n {
                    let x = chars[j].1;
                    if is_han(x) || is_kana(x) || x.is_ascii_alphanumeric() {
                        j += 1;
                    } else {
                        break;
                    }
                }
                self.push_cjk(&mut out, text, byte_at(i), byte_at(j), i, boundary);
                boundary = false;
                i = j;
                continue;
            }
            if is_alnum(c) {
                let mut j = i + 1;
                while j < n {
                    let x = chars[j].1;
                    if is_alnum(x) && !is_han(x) && !is_kana(x) || x == '\u{301}' {
                        j += 1;
                    } else if matches!(x, '\'' | '’' | '-' | '.' | ',')
                        && j + 1 < n
                        && is_alnum(chars[j + 1].1)
                        && !is_han(chars[j + 1].1)
                        && (x != '.' && x != ','
                            || chars[j - 1].1.is_ascii_digit() && chars[j + 1].1.is_ascii_digit())
                    {
                        j += 2;
                    } else {
                        break;
                    }
                }
                let slice = &text[byte_at(i)..byte_at(j)];
                let kind = if slice
                    .chars()
                    .all(|x| x.is_numeric() || x == '.' || x == ',')
                {
                    TokenKind::Number
                } else {
                    TokenKind::Word
                };
                emit!(kind, j);
            }
            // Punctuation and symbols end a negation scope.
            if !matches!(c, '\'' | '"' | '«' | '»' | '“' | '”' | '(' | ')') {
                boundary = true;
            }
            i += 1;
        }
        mark_negation(&mut out, language);
        out.tokens
    }

    fn add_words(&self, words: &[String]) {
        let mut jieba = match self.jieba.write() {
            Ok(j) => j,
            Err(poisoned) => poisoned.into_inner(),
        };
        for w in words {
            let w = fold_str(w.trim());
            if w.chars().any(is_han) {
                jieba.add_word(&w, None, None);
            }
        }
    }
}

impl JiebaSegmenter {
    #[allow(clippy::too_many_arguments)]
    fn push<'a>(
        &self,
        out: &mut Pending<'a>,
        text: &'a str,
        bs: usize,
        be: usize,
        cs: usize,
        ce: usize,
        kind: TokenKind,
        language: Language,
        boundary: bool,
    ) {
        let surface = &text[bs..be];
        let norm = normalize_word(surface, kind);
        let (stem, stop, negator) = match kind {
            TokenKind::Word => {
                let stem = self
                    .stemmers
                    .for_word(&norm, language)
                    .map(|s| s.stem(&norm).into_owned())
                    .filter(|s| s != norm.as_ref() && !s.is_empty());
                let f = flags(&norm);
                (
                    stem,
                    f & STOP != 0,
                    f & NEGATOR != 0 || norm.ends_with("n't"),
                )
            }
            _ => (None, false, false),
        };
        out.tokens.push(Token {
            text: surface,
            start: cs,
            end: ce,
            kind,
            norm,
            stem,
            stop,
            negator,
            negated: false,
            pos: None,
        });
        out.boundary.push(boundary);
    }

    /// Sets the POS tag of the last `n` tokens pushed (no-op for an empty tag).
    fn tag_last(out: &mut Pending<'_>, n: usize, tag: &'static str) {
        if tag.is_empty() {
            return;
        }
        let len = out.tokens.len();
        for t in &mut out.tokens[len.saturating_sub(n)..] {
            t.pos = Some(tag);
        }
    }

    fn push_cjk<'a>(
        &self,
        out: &mut Pending<'a>,
        text: &'a str,
        bs: usize,
        be: usize,
        cs: usize,
        mut boundary: bool,
    ) {
        let run = &text[bs..be];
        let guard = match self.jieba.read() {
            Ok(j) => j,
            Err(poisoned) => poisoned.into_inner(),
        };
        // (char start, char end, byte start, byte end, POS tag) within the run.
        let words: Vec<(usize, usize, usize, usize, &'static str)> = if self.pos {
            guard
                .tag(run, self.hmm)
                .into_iter()
                .map(|t| (t.start, t.end, t.byte_start, t.byte_end, intern_pos(t.tag)))
                .collect()
        } else {
            guard
                .cut(run, self.hmm)
                .into_iter()
                .map(|t| (t.start, t.end, t.byte_start, t.byte_end, ""))
                .collect()
        };
        drop(guard);
        for (ts, te, tbs, tbe, tag) in words {
            let start = cs + ts;
            let end = cs + te;
            let wb = bs + tbs;
            let we = bs + tbe;
            let word = &text[wb..we];
            if word.chars().all(|c| c.is_ascii_alphanumeric()) {
                let kind = if word.chars().all(|c| c.is_ascii_digit()) {
                    TokenKind::Number
                } else {
                    TokenKind::Word
                };
                self.push(out, text, wb, we, start, end, kind, Language::ZH, boundary);
                Self::tag_last(out, 1, tag);
                boundary = false;
                continue;
            }
            // Cut a leading negator off words like 不满意 / 没有人 / 无法.
            if let Some(prefix) = negation_prefix(word) {
                let pc = prefix.chars().count();
                let pb = prefix.len();
                self.push(
                    out,
                    text,
                    wb,
                    wb + pb,
                    start,
                    start + pc,
                    TokenKind::Word,
                    Language::ZH,
                    boundary,
                );
                self.push(
                    out,
                    text,
                    wb + pb,
                    we,
                    start + pc,
                    end,
                    TokenKind::Word,
                    Language::ZH,
                    false,
                );
                // The negator is an adverb; the rest keeps the word's tag.
                Self::tag_last(out, 1, tag);
                if !tag.is_empty() {
                    let n = out.tokens.len();
                    out.tokens[n - 2].pos = Some("d");
                }
                boundary = false;
                continue;
            }
            self.push(
                out,
                text,
                wb,
                we,
                start,
                end,
                TokenKind::Word,
                Language::ZH,
                boundary,
            );
            Self::tag_last(out, 1, tag);
            boundary = false;
        }
    }
}

/// jieba's tag set as static strings (unknown tags become `x`).
fn intern_pos(tag: &str) -> &'static str {
    match tag {
        "a" => "a",
        "ad" => "ad",
        "ag" => "ag",
        "an" => "an",
        "b" => "b",
        "c" => "c",
        "d" => "d",
        "df" => "df",
        "dg" => "dg",
        "e" => "e",
        "eng" => "eng",
        "f" => "f",
        "g" => "g",
        "h" => "h",
        "i" => "i",
        "j" => "j",
        "k" => "k",
        "l" => "l",
        "m" => "m",
        "mg" => "mg",
        "mq" => "mq",
        "n" => "n",
        "ng" => "ng",
        "nr" => "nr",
        "nrfg" => "nrfg",
        "nrt" => "nrt",
        "ns" => "ns",
        "nt" => "nt",
        "nz" => "nz",
        "o" => "o",
        "p" => "p",
        "q" => "q",
        "r" => "r",
        "rg" => "rg",
        "rr" => "rr",
        "rz" => "rz",
        "s" => "s",
        "t" => "t",
        "tg" => "tg",
        "u" => "u",
        "ud" => "ud",
        "ug" => "ug",
        "uj" => "uj",
        "ul" => "ul",
        "uv" => "uv",
        "uz" => "uz",
        "v" => "v",
        "vd" => "vd",
        "vg" => "vg",
        "vi" => "vi",
        "vn" => "vn",
        "vq" => "vq",
        "x" => "x",
        "y" => "y",
        "z" => "z",
        "zg" => "zg",
        _ => "x",
    }
}

fn starts_url(b: &[u8]) -> bool {
    let ci = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
    ci(b"http://") || ci(b"https://") || ci(b"www.")
}

fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x309F | 0x30A1..=0x30FA | 0x31F0..=0x31FF)
}

fn normalize_word(surface: &str, kind: TokenKind) -> Cow<'_, str> {
    match kind {
        TokenKind::Url | TokenKind::Emoji => Cow::Borrowed(surface),
        _ => {
            let needs = surface
                .chars()
                .any(|c| c.is_uppercase() || matches!(c, 'ё' | 'Ё' | '’' | '\u{301}'));
            if !needs {
                return Cow::Borrowed(surface);
            }
            Cow::Owned(
                surface
                    .chars()
                    .filter(|&c| c != '\u{301}')
                    .flat_map(char::to_lowercase)
                    .map(|c| match c {
                        'ё' => 'е',
                        '’' => '\'',
                        other => other,
                    })
                    .collect(),
            )
        }
    }
}

const STOP: u8 = 1;
const NEGATOR: u8 = 2;
const LEXICAL: u8 = 4;

/// One lookup table for stopwords, negators and lexicalized Chinese words.
fn lexicon() -> &'static FxHashMap<&'static str, u8> {
    static MAP: OnceLock<FxHashMap<&'static str, u8>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map: FxHashMap<&'static str, u8> = FxHashMap::default();
        for pack in crate::lang::PACKS {
            for (text, flag) in [
                (pack.stopwords, STOP),
                (pack.negators, NEGATOR),
                (pack.lexicalized, LEXICAL),
            ] {
                for w in crate::lang::entries(text) {
                    *map.entry(w).or_default() |= flag;
                }
            }
        }
        map
    })
}

fn flags(norm: &str) -> u8 {
    lexicon().get(norm).copied().unwrap_or(0)
}

/// Whether a normalized word is a stopword (English, Russian or Chinese list).
pub fn is_stopword(norm: &str) -> bool {
    flags(norm) & STOP != 0
}

/// Whether a normalized word is a negator.
pub fn is_negator(norm: &str) -> bool {
    flags(norm) & NEGATOR != 0 || norm.ends_with("n't")
}

/// If `word` starts with a negator it should be cut at, returns that prefix.
fn negation_prefix(word: &str) -> Option<&'static str> {
    let first = word.chars().next()?;
    if !matches!(first, '不' | '没' | '未' | '无' | '从' | '并' | '毫' | '绝')
        || word.len() <= first.len_utf8()
    {
        return None;
    }
    if flags(word) & (LEXICAL | NEGATOR) != 0 {
        return None;
    }
    [
        "没有", "从未", "从不", "并不", "毫无", "绝不", "不", "没", "未", "无",
    ]
    .into_iter()
    .find(|p| word.starts_with(p) && word.len() > p.len())
}

fn mark_negation(p: &mut Pending<'_>, language: Language) {
    let window = if language == Language::ZH { 2 } else { 3 };
    let mut remaining = 0usize;
    for (t, &boundary) in p.tokens.iter_mut().zip(&p.boundary) {
        if boundary {
            remaining = 0;
        }
        if t.negator {
            remaining = window;
            continue;
        }
        if remaining > 0 && t.kind == TokenKind::Word {
            t.negated = true;
            if !t.stop {
                remaining -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str, lang: Language) -> Vec<(String, bool, bool)> {
        let s = JiebaSegmenter::builder().build().unwrap();
        s.segment(text, lang)
            .into_iter()
            .map(|t| (t.norm.into_owned(), t.negator, t.negated))
            .collect()
    }

    fn words(text: &str, lang: Language) -> Vec<String> {
        seg(text, lang).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn chinese_negation() {
        let t = seg("我对服务不满意", Language::ZH);
        let i = t.iter().position(|x| x.0 == "不").unwrap();
        assert!(t[i].1);
        assert_eq!(t[i + 1], ("满意".to_string(), false, true));
        let t = seg("不错,很好", Language::ZH);
        assert!(t.iter().all(|x| !x.1 && !x.2), "{t:?}");
    }

    #[test]
    fn russian_and_english_negation() {
        let t = seg("Я не доволен сервисом", Language::RU);
        assert_eq!(t[1], ("не".into(), true, false));
        assert_eq!(t[2], ("доволен".into(), false, true));
        let t = seg("I'm not happy, great food", Language::EN);
        assert!(t.iter().any(|x| x.0 == "happy" && x.2));
        assert!(t.iter().any(|x| x.0 == "great" && !x.2), "{t:?}");
        let t = seg("They didn't fix it", Language::EN);
        assert!(t.iter().any(|x| x.0 == "didn't" && x.1));
        assert!(t.iter().any(|x| x.0 == "fix" && x.2));
    }

    #[test]
    fn special_tokens() {
        let s = JiebaSegmenter::builder().build().unwrap();
        let toks = s.segment(
            "@ShopNow_help 快递太慢了😡😡 https://t.example/x #fail",
            Language::ZH,
        );
        let kinds: Vec<_> = toks.iter().map(|t| (t.text, t.kind)).collect();
        assert_eq!(kinds[0], ("@ShopNow_help", TokenKind::Mention));
        assert!(kinds.contains(&("😡", TokenKind::Emoji)));
        assert!(kinds.contains(&("https://t.example/x", TokenKind::Url)));
        assert!(kinds.contains(&("#fail", TokenKind::Hashtag)));
        assert!(kinds.contains(&("快递", TokenKind::Word)));
    }

    #[test]
    fn offsets_are_chars() {
        let s = JiebaSegmenter::builder().build().unwrap();
        let text = "维修 Wi-Fi 很慢";
        for t in s.segment(text, Language::ZH) {
            let sub: String = text.chars().skip(t.start).take(t.end - t.start).collect();
            assert_eq!(sub, t.text);
        }
    }

    #[test]
    fn stems_and_stopwords() {
        let s = JiebaSegmenter::builder().build().unwrap();
        let toks = s.segment("The deliveries were delayed", Language::EN);
        let d = toks.iter().find(|t| t.text == "delayed").unwrap();
        assert_eq!(d.stem(), "delay");
        assert!(toks[0].stop);
        let toks = s.segment("Доставки задерживаются, ёлки", Language::RU);
        assert_eq!(toks[0].stem(), "доставк");
        assert_eq!(toks[2].norm, "елки");
    }

    #[test]
    fn numbers_and_compounds() {
        assert_eq!(
            words("It costs 3.5 dollars, Wi-Fi isn't free", Language::EN),
            ["it", "costs", "3.5", "dollars", "wi-fi", "isn't", "free"]
        );
    }

    #[test]
    fn pos_tags_only_when_asked() {
        let plain = JiebaSegmenter::builder().build().unwrap();
        assert!(plain
            .segment("我要投诉", Language::ZH)
            .iter()
            .all(|t| t.pos.is_none()));
        let tagged = JiebaSegmenter::builder().pos(true).build().unwrap();
        let toks = tagged.segment("客服不满意", Language::ZH);
        let pos: Vec<_> = toks.iter().map(|t| (t.text, t.pos)).collect();
        assert_eq!(pos[0], ("客服", Some("n")));
        assert_eq!(pos[1], ("不", Some("d")));
    }

    #[test]
    fn user_words_segment_as_one() {
        let s = JiebaSegmenter::builder()
            .words(["续航焦虑"])
            .build()
            .unwrap();
        let toks = s.segment("我有续航焦虑", Language::ZH);
        assert!(toks.iter().any(|t| t.text == "续航焦虑"));
        s.add_words(&["车机卡顿".to_string()]);
        let toks = s.segment("车机卡顿严重", Language::ZH);
        assert!(toks.iter().any(|t| t.text == "车机卡顿"));
    }
}
