//! Clause splitting: sentence punctuation, line breaks, Chinese commas and
//! contrast connectives.
//!
//! One review often holds a pain and a delight at once (`菜很好吃，但是等了一个小时`,
//! `Еда вкусная, но официант грубил`, `Great food but slow service`), so a
//! clause is cut
//!
//! * after sentence punctuation (`。！？；… . ! ? ;`) and at line breaks;
//! * at a comma between Chinese characters (`，` and `、` are the usual
//!   clause separators of Chinese; configurable);
//! * before a contrast connective (但是, 不过, 可是, 然而, 只是, 但; но, однако,
//!   зато, хотя; but, however, although, though, whereas), which starts the
//!   next clause.
//!
//! A period between digits (`3.5`) or inside a word (`shopnow.com`, `e.g.`)
//! does not cut, nothing is cut inside a URL, and a cut never leaves a clause
//! without a letter, digit or emoji. Spans are in the normalized text; the
//! engine maps them back to the original.

use std::fmt;

use crate::error::{Error, Result};
use crate::text::normalize::{is_alnum, is_han, is_letter};

/// A clause span in the normalized text: byte and char offsets, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClauseSpan {
    /// Byte offset of the first byte.
    pub byte_start: usize,
    /// Byte offset one past the last byte.
    pub byte_end: usize,
    /// Char offset of the first char.
    pub char_start: usize,
    /// Char offset one past the last char.
    pub char_end: usize,
}

/// A clause splitter: one stage of the pipeline, replaceable through
/// [`crate::EngineBuilder::clause_splitter`].
pub trait ClauseSplit: Send + Sync + fmt::Debug {
    /// Splits a normalized text into clause spans, in order, non-overlapping,
    /// trimmed of surrounding whitespace and commas.
    fn split(&self, text: &str) -> Vec<ClauseSpan>;
}

/// The default contrast connectives: every language pack's
/// `connectives.txt` (`src/lang/<code>/`), in pack order.
pub fn default_connectives() -> impl Iterator<Item = &'static str> {
    crate::lang::PACKS
        .iter()
        .flat_map(|p| crate::lang::entries(p.connectives))
}

/// Builds a [`RuleClauseSplitter`].
#[derive(Debug, Clone)]
pub struct ClauseSplitterBuilder {
    connectives: Vec<String>,
    split_cjk_commas: bool,
}

impl Default for ClauseSplitterBuilder {
    fn default() -> Self {
        ClauseSplitterBuilder {
            connectives: default_connectives().map(str::to_owned).collect(),
            split_cjk_commas: true,
        }
    }
}

impl ClauseSplitterBuilder {
    /// Replaces the contrast connectives.
    pub fn connectives<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.connectives = words.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    /// Adds contrast connectives to the current list.
    pub fn add_connectives<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.connectives
            .extend(words.into_iter().map(|s| s.as_ref().to_owned()));
        self
    }

    /// Whether a comma between Chinese characters cuts (default true).
    pub fn split_cjk_commas(mut self, yes: bool) -> Self {
        self.split_cjk_commas = yes;
        self
    }

    /// Validates and builds the splitter.
    pub fn build(self) -> Result<RuleClauseSplitter> {
        let mut connectives: Vec<Connective> = Vec::new();
        for w in &self.connectives {
            let w = w.trim();
            if w.is_empty() {
                return Err(Error::Config("a contrast connective is empty".into()));
            }
            if w.chars().any(char::is_whitespace) {
                return Err(Error::Config(format!(
                    "contrast connective `{w}` contains whitespace; give single words"
                )));
            }
            let lower = w.to_lowercase();
            let cjk = lower.chars().all(is_han);
            if !connectives.iter().any(|c| c.word == lower) {
                connectives.push(Connective { word: lower, cjk });
            }
        }
        // Longest first, so that 但是 wins over 但.
        connectives.sort_by(|a, b| b.word.len().cmp(&a.word.len()).then(a.word.cmp(&b.word)));
        let mut first_chars: Vec<char> = connectives
            .iter()
            .filter_map(|c| c.word.chars().next())
            .collect();
        first_chars.sort_unstable();
        first_chars.dedup();
        Ok(RuleClauseSplitter {
            connectives,
            first_chars,
            split_cjk_commas: self.split_cjk_commas,
        })
    }
}

#[derive(Debug, Clone)]
struct Connective {
    word: String,
    cjk: bool,
}

/// The default rule-based clause splitter.
#[derive(Debug, Clone)]
pub struct RuleClauseSplitter {
    connectives: Vec<Connective>,
    /// Lowercase first characters of the connectives (a cheap pre-filter).
    first_chars: Vec<char>,
    split_cjk_commas: bool,
}

impl RuleClauseSplitter {
    /// A builder with the default connectives.
    pub fn builder() -> ClauseSplitterBuilder {
        ClauseSplitterBuilder::default()
    }

    /// Finds a connective starting at byte `i` of `text`; returns its byte length.
    fn connective_at(&self, text: &str, i: usize, prev: Option<char>) -> Option<usize> {
        let rest = &text[i..];
        let first = rest.chars().next()?;
        let lower = if first.is_ascii() {
            first.to_ascii_lowercase()
        } else {
            first.to_lowercase().next().unwrap_or(first)
        };
        if self.first_chars.binary_search(&lower).is_err() {
            return None;
        }
        for c in &self.connectives {
            if c.cjk {
                if !rest.starts_with(c.word.as_str()) {
                    continue;
                }
                let next = rest[c.word.len()..].chars().next();
                if cjk_exception(&c.word, prev, next) {
                    continue;
                }
                return Some(c.word.len());
            }
            if !is_letter(first) || prev.is_some_and(is_alnum) {
                continue;
            }
            // Case-insensitive word match at a word boundary.
            let mut matched = 0usize;
            let mut ok = true;
            let mut wchars = c.word.chars();
            for tc in rest.chars() {
                match wchars.next() {
                    None => break,
                    Some(wc) => {
                        if tc.to_lowercase().eq(std::iter::once(wc)) {
                            matched += tc.len_utf8();
                        } else {
                            ok = false;
                            break;
                        }
                    }
                }
            }
            if !ok || wchars.next().is_some() {
                continue;
            }
            let after = rest[matched..].chars().next();
            if after.is_some_and(|a| is_alnum(a) || a == '\'' || a == '-') {
                continue;
            }
            return Some(matched);
        }
        None
    }
}

/// Chinese connectives that are not contrastive in context:
/// 不但 (not only), 但愿 (hope), 但凡; 不过分 (not excessive), 再好不过 (couldn't be better);
/// 不只是 / 而只是 / 就只是 (just).
fn cjk_exception(word: &str, prev: Option<char>, next: Option<char>) -> bool {
    match word {
        "但" => prev == Some('不') || matches!(next, Some('愿' | '凡')),
        "不过" => {
            matches!(next, Some('分' | '来' | '去' | '如'))
                || matches!(prev, Some('再' | '好' | '最' | '只' | '又' | '也' | '太'))
        }
        "只是" => matches!(prev, Some('不' | '而' | '就' | '也' | '都' | '还')),
        "可是" => prev == Some('可'),
        _ => false,
    }
}

fn is_terminator(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '；' | '…' | '!' | '?' | ';' | '\n' | '｡' | '⋯'
    )
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '}' | '”' | '’' | '）' | '」' | '』' | '】' | '》' | '〉' | '»'
    )
}

/// Letters, digits and emoji count as clause content.
fn is_content(c: char) -> bool {
    is_alnum(c) || is_emoji(c)
}

/// Whether `c` is an emoji or pictograph.
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF)
}

impl ClauseSplit for RuleClauseSplitter {
    fn split(&self, text: &str) -> Vec<ClauseSpan> {
        let mut out = Vec::new();
        // Cut points as (byte, char) positions; a clause runs between consecutive cuts.
        let mut cuts: Vec<(usize, usize)> = vec![(0, 0)];
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len();
        let mut i = 0usize;
        let mut prev: Option<char> = None;
        let mut has_content = false; // content since the last cut
        let mut has_alpha = false; // letters or emoji since the last cut
        let mut in_url = false;
        while i < n {
            let (b, c) = chars[i];
            if in_url {
                let next_ends = chars.get(i + 1).is_none_or(|x| x.1.is_whitespace());
                if c.is_whitespace()
                    || (matches!(c, '.' | ';' | '!' | '?' | ',' | ')') && next_ends)
                {
                    in_url = false;
                } else {
                    prev = Some(c);
                    i += 1;
                    continue;
                }
            }
            if is_letter(c) && !prev.is_some_and(is_alnum) {
                let rest = &text.as_bytes()[b..];
                if starts_ci(rest, b"http://")
                    || starts_ci(rest, b"https://")
                    || starts_ci(rest, b"www.")
                {
                    in_url = true;
                    has_content = true;
                    prev = Some(c);
                    i += 1;
                    continue;
                }
            }
            // Contrast connective: cut before it.
            if has_content && (is_letter(c)) {
                if let Some(len) = self.connective_at(text, b, prev) {
                    // Only cut if something follows the connective in this sentence.
                    let after = b + len;
                    let follows = text[after..]
                        .chars()
                        .take_while(|&x| !is_terminator(x))
                        .any(is_content);
                    if follows {
                        cuts.push((b, i));
                    }
                    has_alpha = true;
                    // Skip over the connective.
                    let skip = text[b..after].chars().count();
                    has_content = true;
                    prev = text[b..after].chars().last();
                    i += skip;
                    continue;
                }
            }
            let terminal = is_terminator(c)
                || (c == '.' && has_alpha && period_ends(&chars, i))
                || (self.split_cjk_commas && (c == ',' || c == '、') && cjk_comma(&chars, i));
            if terminal {
                // Absorb following terminators, periods and closing quotes.
                let mut j = i + 1;
                while j < n
                    && (is_terminator(chars[j].1) || chars[j].1 == '.' || is_closer(chars[j].1))
                {
                    j += 1;
                }
                if has_content {
                    let (bj, _) = if j < n { chars[j] } else { (text.len(), ' ') };
                    cuts.push((bj, j));
                    has_content = false;
                    has_alpha = false;
                }
                prev = Some(chars[j - 1].1);
                i = j;
                continue;
            }
            if is_content(c) {
                has_content = true;
                has_alpha |= !c.is_numeric();
            }
            prev = Some(c);
            i += 1;
        }
        cuts.push((text.len(), n));
        for w in cuts.windows(2) {
            let ((bs, cs), (be, ce)) = (w[0], w[1]);
            if let Some(span) = trim(text, bs, cs, be, ce) {
                out.push(span);
            }
        }
        out
    }
}

fn starts_ci(b: &[u8], p: &[u8]) -> bool {
    b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
}

/// A period ends a sentence unless it sits between letters/digits
/// (`3.5`, `shopnow.com`, `e.g`).
fn period_ends(chars: &[(usize, char)], i: usize) -> bool {
    let prev = if i > 0 { Some(chars[i - 1].1) } else { None };
    let next = chars.get(i + 1).map(|x| x.1);
    !matches!((prev, next), (Some(p), Some(nx)) if is_alnum(p) && is_alnum(nx) && !is_han(nx))
}

/// A comma cuts in Chinese context: a Han character right before or after it.
fn cjk_comma(chars: &[(usize, char)], i: usize) -> bool {
    let prev = chars[..i]
        .iter()
        .rev()
        .map(|x| x.1)
        .find(|c| !c.is_whitespace());
    let next = chars[i + 1..]
        .iter()
        .map(|x| x.1)
        .find(|c| !c.is_whitespace());
    // Digits around a comma are a number (1,000).
    if prev.is_some_and(|c| c.is_ascii_digit()) && next.is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    prev.is_some_and(is_han) || next.is_some_and(is_han)
}

/// Trims whitespace and separators; returns None if no content remains.
fn trim(text: &str, bs: usize, cs: usize, be: usize, ce: usize) -> Option<ClauseSpan> {
    let slice = &text[bs..be];
    let is_sep =
        |c: char| c.is_whitespace() || matches!(c, ',' | '、' | '，' | '-' | '—' | '–' | ':');
    let lead: Vec<char> = slice.chars().take_while(|&c| is_sep(c)).collect();
    let lead_b: usize = lead.iter().map(|c| c.len_utf8()).sum();
    let rest = &slice[lead_b..];
    let trail: Vec<char> = rest.chars().rev().take_while(|&c| is_sep(c)).collect();
    let trail_b: usize = trail.iter().map(|c| c.len_utf8()).sum();
    let body = &rest[..rest.len() - trail_b];
    if !body.chars().any(is_content) {
        return None;
    }
    Some(ClauseSpan {
        byte_start: bs + lead_b,
        byte_end: be - trail_b,
        char_start: cs + lead.len(),
        char_end: ce - trail.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<&str> {
        let sp = RuleClauseSplitter::builder().build().unwrap();
        sp.split(s)
            .iter()
            .map(|c| &s[c.byte_start..c.byte_end])
            .collect()
    }

    #[test]
    fn chinese() {
        assert_eq!(
            split("菜很好吃,但是等了一个小时。服务员态度差!"),
            ["菜很好吃", "但是等了一个小时。", "服务员态度差!"]
        );
        assert_eq!(
            split("环境不错,菜品一般,服务太差"),
            ["环境不错", "菜品一般", "服务太差"]
        );
        assert_eq!(split("不但便宜而且好吃"), ["不但便宜而且好吃"]);
        assert_eq!(split("价格不过分"), ["价格不过分"]);
        assert_eq!(split("好的"), ["好的"]);
    }

    #[test]
    fn russian() {
        assert_eq!(
            split("Еда вкусная, но официант грубил."),
            ["Еда вкусная", "но официант грубил."]
        );
        assert_eq!(split("Однако, всё хорошо"), ["Однако, всё хорошо"]);
        assert_eq!(split("Новое меню"), ["Новое меню"]);
    }

    #[test]
    fn english() {
        assert_eq!(
            split("Great food but slow service. Would come back!"),
            ["Great food", "but slow service.", "Would come back!"]
        );
        assert_eq!(
            split("It costs 3.5 dollars at shopnow.com"),
            ["It costs 3.5 dollars at shopnow.com"]
        );
        assert_eq!(
            split("The butter was great, however the bread was stale"),
            ["The butter was great", "however the bread was stale"]
        );
        assert_eq!(split("Nice place though."), ["Nice place though."]);
        assert_eq!(split("Why?!! Really..."), ["Why?!!", "Really..."]);
        assert_eq!(
            split("1. Slow delivery 2. Rude courier"),
            ["1. Slow delivery 2.", "Rude courier"]
        );
    }

    #[test]
    fn urls_are_not_cut() {
        assert_eq!(
            split("see https://x.example/a.b?c=1; bad"),
            ["see https://x.example/a.b?c=1;", "bad"]
        );
    }

    #[test]
    fn nothing_without_content() {
        assert!(split("...!!").is_empty());
        assert_eq!(split("👍👍"), ["👍👍"]);
    }

    #[test]
    fn char_offsets() {
        let sp = RuleClauseSplitter::builder().build().unwrap();
        let s = "好吃。但是贵";
        let spans = sp.split(s);
        assert_eq!((spans[1].char_start, spans[1].char_end), (3, 6));
    }
}
