//! Normalization: Unicode NFKC, full-width to half-width, whitespace, and
//! traditional-to-simplified folding for matching — with every character
//! mapped back to its span in the original text.
//!
//! The original text is never changed: [`Normalized`] keeps, for each
//! character of the normalized text, the character span of the original text
//! it came from, so that every later result (clause, token, code, point) can
//! point at the original.
//!
//! * NFKC is applied per cluster (a base character and the combining marks
//!   after it), which composes accents and turns compatibility forms
//!   (full-width `ＡＰＰ`, `４Ｓ店`, `，`, the ideographic space) into their
//!   plain forms.
//! * Runs of whitespace become one space, or one newline if they contain a
//!   line break; leading and trailing whitespace is dropped; control and
//!   zero-width characters (except the emoji joiner) are removed.
//! * [`Normalized::folded`] is the normalized text with traditional Chinese
//!   characters folded to simplified ones. The folding maps one character to
//!   one character of the same UTF-8 length, so byte and character offsets
//!   of `text` and `folded` are identical.

use std::sync::OnceLock;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A normalized text with its mapping back to the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    folded: String,
    /// For each char of `text`: `[start, end)` char span in the original.
    /// `None` when the normalized text equals the original (identity map).
    spans: Option<Vec<(u32, u32)>>,
    /// Number of chars in `text`.
    chars: usize,
}

impl Normalized {
    /// The normalized text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The normalized text with traditional Chinese folded to simplified
    /// (same byte and char layout as [`Normalized::text`]).
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Number of characters of the normalized text.
    pub fn char_len(&self) -> usize {
        self.chars
    }

    /// Maps a char range `[start, end)` of the normalized text to the char
    /// range of the original text it came from.
    ///
    /// Out-of-range positions are clamped; an empty range maps to an empty range.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        match &self.spans {
            None => (start.min(self.chars), end.min(self.chars)),
            Some(spans) => {
                if spans.is_empty() {
                    return (0, 0);
                }
                let s = start.min(spans.len() - 1);
                if end <= start {
                    let at = spans[s].0 as usize;
                    return (at, at);
                }
                let e = (end - 1).min(spans.len() - 1);
                (spans[s].0 as usize, spans[e].1 as usize)
            }
        }
    }
}

/// The normalizer. Stateless and cheap to share.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    _private: (),
}

impl Normalizer {
    /// Creates a normalizer.
    pub fn new() -> Self {
        Normalizer { _private: () }
    }

    /// Normalizes `original`.
    pub fn normalize(&self, original: &str) -> Normalized {
        if is_already_normal(original) {
            return Normalized {
                text: original.to_owned(),
                folded: fold_str(original),
                spans: None,
                chars: original.chars().count(),
            };
        }
        let mut out = Builder::with_capacity(original.len());
        let mut cluster = String::new();
        let mut cluster_start = 0u32;
        let mut idx = 0u32;
        for c in original.chars() {
            if is_combining_mark(c) && !cluster.is_empty() {
                cluster.push(c);
            } else {
                out.flush_cluster(&cluster, cluster_start, idx);
                cluster.clear();
                cluster.push(c);
                cluster_start = idx;
            }
            idx += 1;
        }
        out.flush_cluster(&cluster, cluster_start, idx);
        let (text, spans) = out.finish();
        Normalized {
            folded: fold_str(&text),
            chars: spans.len(),
            text,
            spans: Some(spans),
        }
    }
}

/// Fast check: plain text needing no change (no compatibility forms, no
/// whitespace to collapse, no controls, no leading/trailing whitespace).
fn is_already_normal(s: &str) -> bool {
    let mut prev_space = true; // leading whitespace is not normal
    for c in s.chars() {
        let space = c.is_whitespace();
        if space {
            if prev_space || c != ' ' {
                return false;
            }
        } else if !is_stable_char(c) {
            return false;
        }
        prev_space = space;
    }
    !prev_space || s.is_empty()
}

/// Characters known to be unchanged by NFKC and not special for whitespace.
fn is_stable_char(c: char) -> bool {
    let u = c as u32;
    match u {
        0x21..=0x7E => true,
        0x00..=0x20 | 0x7F..=0x9F => false,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => true,
        // Cyrillic (no compatibility forms in this block).
        0x0400..=0x04FF => true,
        // Latin-1 letters and × ÷ (U+00A0..U+00BF hold compatibility forms).
        0xC0..=0xFF => true,
        // CJK punctuation: 、。〃〄々〆〇〈〉《》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟
        0x3001..=0x3011 | 0x3014..=0x301F => true,
        // Dashes and quotes (the one/two-dot leaders and … are compatibility forms).
        0x2010 | 0x2012..=0x2016 | 0x2018..=0x2023 | 0x2027 => true,
        _ => false,
    }
}

struct Builder {
    text: String,
    spans: Vec<(u32, u32)>,
    /// Pending whitespace: (start, end, contains newline), not yet emitted.
    pending_space: Option<(u32, u32, bool)>,
}

impl Builder {
    fn with_capacity(n: usize) -> Self {
        Builder {
            text: String::with_capacity(n),
            spans: Vec::with_capacity(n),
            pending_space: None,
        }
    }

    fn flush_cluster(&mut self, cluster: &str, start: u32, end: u32) {
        if cluster.is_empty() {
            return;
        }
        let mut chars = cluster.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if is_stable_char(c) {
                self.push(c, start, end);
                return;
            }
        }
        for c in cluster.nfkc() {
            self.push(c, start, end);
        }
    }

    fn push(&mut self, c: char, start: u32, end: u32) {
        if c.is_whitespace() {
            let newline = matches!(
                c,
                '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{0B}' | '\u{0C}'
            );
            self.pending_space = Some(match self.pending_space {
                Some((s, _, nl)) => (s, end, nl || newline),
                None => (start, end, newline),
            });
            return;
        }
        if is_removed(c) {
            return;
        }
        if let Some((s, e, nl)) = self.pending_space.take() {
            if !self.text.is_empty() {
                self.text.push(if nl { '\n' } else { ' ' });
                self.spans.push((s, e));
            }
        }
        self.text.push(c);
        self.spans.push((start, end));
    }

    fn finish(self) -> (String, Vec<(u32, u32)>) {
        // Trailing whitespace (a pending space) is dropped.
        (self.text, self.spans)
    }
}

/// Control and zero-width characters removed by normalization. The zero-width
/// joiner (U+200D) is kept because it binds emoji sequences.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    ) || (c.is_control() && c != '\n' && c != '\t')
}

/// Dense traditional→simplified table over the CJK blocks that have
/// traditional forms. Entry 0 means "unchanged".
struct FoldTable {
    map: Vec<u32>,
}

const FOLD_START: u32 = 0x3400;
const FOLD_END: u32 = 0xA000;

/// Characters that fold but are also standard in simplified text; they are
/// folded for matching but not counted as evidence of traditional script.
const AMBIGUOUS_TRADITIONAL: &[char] = &['乾', '著', '藉', '瞭', '覆', '夥', '幺', '麽', '於'];

fn fold_table() -> &'static FoldTable {
    static TABLE: OnceLock<FoldTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = vec![0u32; (FOLD_END - FOLD_START) as usize];
        let mut buf = [0u8; 4];
        for u in FOLD_START..FOLD_END {
            let Some(c) = char::from_u32(u) else { continue };
            let converted = fast2s::convert(c.encode_utf8(&mut buf));
            let mut it = converted.chars();
            if let (Some(s), None) = (it.next(), it.next()) {
                if s != c && s.len_utf8() == c.len_utf8() {
                    map[(u - FOLD_START) as usize] = s as u32;
                }
            }
        }
        FoldTable { map }
    })
}

/// Folds one character from traditional to simplified Chinese (identity for
/// anything else). The result always has the same UTF-8 length.
pub fn fold_char(c: char) -> char {
    let u = c as u32;
    if !(FOLD_START..FOLD_END).contains(&u) {
        return c;
    }
    match fold_table().map[(u - FOLD_START) as usize] {
        0 => c,
        s => char::from_u32(s).unwrap_or(c),
    }
}

/// `char::is_alphabetic` with fast paths for ASCII, Han and Cyrillic (the
/// standard library's table lookup dominates text scans otherwise).
#[inline]
pub fn is_letter(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return c.is_ascii_alphabetic();
    }
    if (0x4E00..=0x9FFF).contains(&u)
        || (0x400..=0x481).contains(&u)
        || (0x48A..=0x52F).contains(&u)
    {
        return true;
    }
    c.is_alphabetic()
}

/// `char::is_alphanumeric` with the fast paths of [`is_letter`].
#[inline]
pub fn is_alnum(c: char) -> bool {
    if c.is_ascii_digit() {
        return true;
    }
    let u = c as u32;
    if u < 0x80 {
        return c.is_ascii_alphabetic();
    }
    if is_letter(c) {
        return true;
    }
    // Punctuation and symbol blocks hold no digits.
    if (0x2000..=0x206F).contains(&u)
        || (0x3000..=0x303F).contains(&u)
        || (0xFF00..=0xFF0F).contains(&u)
        || u >= 0x1F000
    {
        return false;
    }
    c.is_numeric()
}

/// Whether `c` is a Han character.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Whether `c` is a traditional-only Han character (it folds to another
/// character and is not also a standard simplified form).
pub fn is_traditional_only(c: char) -> bool {
    fold_char(c) != c && !AMBIGUOUS_TRADITIONAL.contains(&c)
}

/// Folds traditional Chinese characters of `s` to simplified ones (one char
/// for one char, same UTF-8 length), e.g. for matching user-supplied terms.
pub fn fold_str(s: &str) -> String {
    if !s.chars().any(|c| fold_char(c) != c) {
        return s.to_owned();
    }
    s.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Normalized {
        Normalizer::new().normalize(s)
    }

    #[test]
    fn plain_text_is_identity() {
        let x = n("Great service, fast delivery.");
        assert_eq!(x.text(), "Great service, fast delivery.");
        assert_eq!(x.original_span(6, 13), (6, 13));
    }

    #[test]
    fn full_width_and_spaces() {
        let x = n("  这个ＡＰＰ　太卡了，４Ｓ店\n\n  不管  ");
        assert_eq!(x.text(), "这个APP 太卡了,4S店\n不管");
        // "APP" maps back to the full-width letters at chars 4..7 of the original.
        let start = x.text().chars().position(|c| c == 'A').unwrap();
        assert_eq!(x.original_span(start, start + 3), (4, 7));
        // The last char maps to the last non-space original char.
        let last = x.char_len() - 1;
        assert_eq!(x.original_span(last, last + 1), (20, 21));
    }

    #[test]
    fn combining_marks_compose() {
        let x = n("cafe\u{301} ok");
        assert_eq!(x.text(), "café ok");
        assert_eq!(x.original_span(3, 4), (3, 5));
        assert_eq!(x.original_span(5, 7), (6, 8));
    }

    #[test]
    fn traditional_folds_with_same_layout() {
        let x = n("維修服務態度很差");
        assert_eq!(x.folded(), "维修服务态度很差");
        assert_eq!(x.folded().len(), x.text().len());
        let trad = x.text().chars().filter(|&c| is_traditional_only(c)).count();
        assert_eq!(trad, 3, "維 務 態");
        assert!(!"维修服务态度很差".chars().any(is_traditional_only));
    }

    #[test]
    fn zero_width_and_controls_removed() {
        let x = n("a\u{200B}b\u{0007}c");
        assert_eq!(x.text(), "abc");
        assert_eq!(x.original_span(2, 3), (4, 5));
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert_eq!(n("").text(), "");
        assert_eq!(n("   \n ").text(), "");
        assert_eq!(n("   ").original_span(0, 0), (0, 0));
    }
}
