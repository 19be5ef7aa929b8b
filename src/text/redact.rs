//! PII redaction: phone numbers, e-mail addresses, ID, card, SNILS, INN and
//! passport numbers, IP addresses, licence plates and names found in a
//! text are replaced by typed placeholders (`[PHONE]`, `[EMAIL]`, …).
//!
//! Redaction is the first step of a record's analysis (before clauses are
//! cut), so every text the engine writes afterwards — output lines,
//! clause and token texts, the store, alerts, keywords, cluster labels,
//! the report — is built from the redacted text, and every span points
//! into it. [`Redactor::redact_record`] redacts every field a record
//! brings: the text or each turn's text and speaker, the channel, the
//! touchpoint, every string (and number) inside `meta`, the warnings'
//! messages, and the identifiers (`id`, `customer`), where a detected span
//! becomes a keyed pseudonym (`[PHONE:9c1e…]`, HMAC-SHA-256 under the
//! caller's key) so that records of one caller still group together, or
//! the plain placeholder when no key is given.
//!
//! Detection runs on the normalized text ([`crate::text::normalize`]:
//! full-width digits, zero-width characters and odd spaces inside a number
//! do not hide it) with traditional Chinese folded, and the spans are
//! mapped back to the original. Each kind is a pattern with checks:
//!
//! | kind | pattern | checks |
//! |---|---|---|
//! | `email` | `local@domain.tld` | |
//! | `id_cn` | 18 characters (region, birth date, sequence, check) | ISO 7064 MOD 11-2 check character, valid date |
//! | `card` | 13–19 digits, in groups of 4 or not | Luhn; a known issuer range (Visa, Mastercard, UnionPay, Mir, Amex, JCB, Discover, Maestro) and its lengths |
//! | `snils` | `123-456-789 01`, or 11 digits after СНИЛС | check number (formatted ones) |
//! | `inn` | 10 or 12 digits after ИНН / INN; 12 digits alone | check digits (12 digits alone) |
//! | `passport_ru` | `45 12 345678` (spaced), or 10 digits after паспорт / серия | |
//! | `phone` | Chinese mobile (`1[3-9]…`, with `+86`), landline with an area code and separator, Russian (`+7`, `8 9xx`, `8 (495) …`), North American, international `+` with 8–15 digits | digits not part of a longer number, word or decimal |
//! | `ip` | IPv4 dotted quad; IPv6 | octets ≤ 255, not inside a version number; IPv6 parsed |
//! | `plate` | 粤B12345, 京A·D12345; А123ВС77 | ≥ 3 digits (Chinese); Russian plate letters, one of them Cyrillic |
//! | `name` | after a cue of the language packs' `pii.txt` (我叫…, 我姓…, меня зовут…, my name is…) or a title (王先生, Mr Smith) | a Chinese name starts with a known surname; a Latin / Cyrillic one is not a stopword (after weak cues and titles: capitalized) |
//!
//! What is *not* redacted: order numbers, prices, dates, times, versions
//! and other numbers that fail these checks, company hotlines (400 / 800
//! numbers without a mobile or area-code shape), and names without a cue
//! or title. `scripts/pii_eval.py` measures precision and recall per kind
//! on a generated labelled set, and false positives on real corpora.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use aho_corasick::{AhoCorasick, MatchKind};
use hmac::{Hmac, Mac};
use regex::Regex;
use rustc_hash::FxHashSet;
use serde_json::Value;
use sha2::Sha256;

use crate::contract::record::{Body, Record, RecordId};
use crate::contract::redaction::{PiiKind, Redaction};
use crate::error::{Error, Result};
use crate::lang::{entries, PACKS};
use crate::text::normalize::Normalizer;

/// Builds a [`Redactor`]: which kinds to redact, and the key of the
/// identifiers' pseudonyms.
#[derive(Debug, Clone)]
pub struct RedactorBuilder {
    kinds: Vec<PiiKind>,
    names: Option<String>,
    key: Option<Vec<u8>>,
    key_file: Option<std::path::PathBuf>,
}

impl Default for RedactorBuilder {
    fn default() -> Self {
        RedactorBuilder {
            kinds: PiiKind::ALL.to_vec(),
            names: None,
            key: None,
            key_file: None,
        }
    }
}

impl RedactorBuilder {
    /// A builder that redacts every kind.
    pub fn new() -> Self {
        Self::default()
    }

    /// Redacts only these kinds.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = PiiKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// Redacts the kinds named in a comma-separated list (`phone,email`;
    /// `all` for every kind); an unknown name fails at [`RedactorBuilder::build`].
    pub fn kinds_str(mut self, list: &str) -> Self {
        self.names = Some(list.to_owned());
        self
    }

    /// The key of the identifiers' pseudonyms (`id`, `customer`): a
    /// detected span there becomes `[KIND:` + 12 hex digits of
    /// HMAC-SHA-256(key, digits) + `]`, the same for the same number in
    /// every run with this key. Without a key it becomes the plain
    /// placeholder.
    pub fn key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Reads the key of [`RedactorBuilder::key`] from a file at `build()`
    /// (its bytes, a trailing line break removed).
    pub fn key_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.key_file = Some(path.into());
        self
    }

    /// Compiles the patterns. Fails when a kind's name is unknown, no kind
    /// is selected, the key file cannot be read or the key is empty.
    pub fn build(mut self) -> Result<Redactor> {
        if let Some(path) = &self.key_file {
            let mut key = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            while key.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                key.pop();
            }
            self.key = Some(key);
        }
        if let Some(list) = &self.names {
            self.kinds = parse_kinds(list)?;
        }
        if self.kinds.is_empty() {
            return Err(Error::Config("no PII kind selected to redact".into()));
        }
        if self.key.as_ref().is_some_and(|k| k.is_empty()) {
            return Err(Error::Config("the redaction key is empty".into()));
        }
        let mut on = [false; PiiKind::ALL.len()];
        for k in &self.kinds {
            on[*k as usize] = true;
        }
        Ok(Redactor {
            on,
            patterns: Patterns::compile()?,
            names: NameRules::compile()?,
            key: self.key,
            normalizer: Normalizer::new(),
        })
    }
}

/// The kinds of a comma-separated list (`all` for every kind).
fn parse_kinds(list: &str) -> Result<Vec<PiiKind>> {
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "all" {
            kinds.extend(PiiKind::ALL);
            continue;
        }
        let kind = name.parse::<PiiKind>().map_err(|_| {
            let known: Vec<&str> = PiiKind::ALL.iter().map(|k| k.as_str()).collect();
            Error::Config(format!(
                "unknown PII kind `{name}` in `{list}` (known: all, {})",
                known.join(", ")
            ))
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// Finds and replaces personal data (see the [module docs](self)).
/// Cheap to share across threads.
#[derive(Debug)]
pub struct Redactor {
    on: [bool; PiiKind::ALL.len()],
    patterns: Patterns,
    names: NameRules,
    key: Option<Vec<u8>>,
    normalizer: Normalizer,
}

/// A redacted text: the text with placeholders, and where they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    /// The text with every detected span replaced by its placeholder.
    pub text: Cow<'a, str>,
    /// The placeholders' spans in `text` (chars), in order.
    pub redactions: Vec<Redaction>,
}

/// A record with its fields redacted, and the redactions per place.
#[derive(Debug, Clone)]
pub struct RedactedRecord {
    /// The record, every field redacted.
    pub record: Record,
    /// Redactions in the text of a text record, then in the other fields
    /// (with `field` set).
    pub record_redactions: Vec<Redaction>,
    /// Redactions per turn (text, and the speaker with `field`).
    pub turn_redactions: Vec<Vec<Redaction>>,
}

/// A detection in the scanned text (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Found {
    kind: PiiKind,
    start: usize,
    end: usize,
}

impl Redactor {
    /// A redactor of every kind, without a key.
    pub fn new() -> Result<Redactor> {
        RedactorBuilder::new().build()
    }

    /// Whether `kind` is redacted.
    pub fn redacts(&self, kind: PiiKind) -> bool {
        self.on[kind as usize]
    }

    /// The kinds redacted, in priority order.
    pub fn kinds(&self) -> impl Iterator<Item = PiiKind> + '_ {
        PiiKind::ALL.into_iter().filter(|k| self.redacts(*k))
    }

    /// Redacts one text.
    pub fn redact<'a>(&self, text: &'a str) -> Redacted<'a> {
        self.replace(text, None, false)
    }

    /// Redacts an identifier: detected spans become keyed pseudonyms when
    /// the redactor has a key.
    pub fn redact_identifier<'a>(&self, text: &'a str) -> Redacted<'a> {
        self.replace(text, self.key.as_deref(), true)
    }

    /// The spans of personal data in `text` (char offsets of `text`), kind
    /// and span, in order, without replacing them.
    pub fn detect(&self, text: &str) -> Vec<Redaction> {
        let mut out = Vec::new();
        let norm = self.normalizer.normalize(text);
        let found = self.find(norm.folded());
        if found.is_empty() {
            return out;
        }
        let chars = char_offsets(norm.folded());
        for f in found {
            let (s, e) = norm.original_span(chars.of(f.start), chars.of(f.end));
            out.push(Redaction {
                kind: f.kind,
                start: s,
                end: e,
                field: None,
            });
        }
        out
    }

    fn replace<'a>(&self, text: &'a str, key: Option<&[u8]>, identifier: bool) -> Redacted<'a> {
        // In an identifier (`call-13812345678-2`) `-` and `_` separate
        // parts; read as spaces (same length), they do not join a number
        // to its neighbours.
        let spans = if identifier && text.contains(['-', '_']) {
            self.detect(&text.replace(['-', '_'], " "))
        } else {
            self.detect(text)
        };
        if spans.is_empty() {
            return Redacted {
                text: Cow::Borrowed(text),
                redactions: Vec::new(),
            };
        }
        let bytes = char_offsets(text);
        let mut out = String::with_capacity(text.len());
        let mut redactions = Vec::with_capacity(spans.len());
        let mut at_byte = 0usize;
        let mut out_chars = 0usize;
        for r in spans {
            let bs = bytes.byte(r.start).max(at_byte);
            let be = bytes.byte(r.end).max(bs);
            let before = &text[at_byte..bs];
            out.push_str(before);
            out_chars += before.chars().count();
            let placeholder: Cow<'static, str> = match key {
                Some(key) => Cow::Owned(pseudonym(r.kind, &text[bs..be], key)),
                None => Cow::Borrowed(r.kind.placeholder()),
            };
            let len = placeholder.chars().count();
            out.push_str(&placeholder);
            redactions.push(Redaction {
                kind: r.kind,
                start: out_chars,
                end: out_chars + len,
                field: None,
            });
            out_chars += len;
            at_byte = be;
        }
        out.push_str(&text[at_byte..]);
        Redacted {
            text: Cow::Owned(out),
            redactions,
        }
    }

    /// Redacts a message (a warning or error text): the text only.
    pub fn redact_message(&self, message: &str) -> String {
        self.redact(message).text.into_owned()
    }

    /// Whether any field of a record holds personal data (what
    /// [`Redactor::redact_record`] would change), without copying it.
    pub fn finds_in_record(&self, record: &Record) -> bool {
        let finds = |s: &str| !self.detect(s).is_empty();
        let finds_id = |s: &str| {
            if s.contains(['-', '_']) {
                finds(&s.replace(['-', '_'], " "))
            } else {
                finds(s)
            }
        };
        let body = match &record.body {
            Body::Text(t) => finds(t),
            Body::Turns(turns) => turns.iter().any(|t| {
                finds(&t.text)
                    || finds(&t.speaker)
                    || (self.redacts(PiiKind::Name)
                        && crate::contract::record::role_label_prefix(&t.speaker).is_some())
            }),
        };
        body || match &record.id {
            RecordId::Str(s) => finds_id(s),
            RecordId::Num(n) => finds(&n.to_string()),
        } || [&record.customer]
            .into_iter()
            .flatten()
            .any(|s| finds_id(s))
            || [&record.channel, &record.touchpoint]
                .into_iter()
                .flatten()
                .any(|s| finds(s))
            || record
                .meta
                .as_ref()
                .is_some_and(|m| self.finds_in_value(m, 0))
            || record.warnings.iter().any(|w| finds(&w.message))
    }

    fn finds_in_value(&self, v: &Value, depth: usize) -> bool {
        if depth > 256 {
            return false;
        }
        match v {
            Value::String(s) => !self.detect(s).is_empty(),
            Value::Number(n) => !self.detect(&n.to_string()).is_empty(),
            Value::Array(items) => items.iter().any(|x| self.finds_in_value(x, depth + 1)),
            Value::Object(map) => map.values().any(|x| self.finds_in_value(x, depth + 1)),
            Value::Null | Value::Bool(_) => false,
        }
    }

    /// Redacts every field of a record (see the [module docs](self)).
    pub fn redact_record(&self, record: &Record) -> RedactedRecord {
        let mut rec = record.clone();
        let mut record_redactions = Vec::new();
        let mut turn_redactions = Vec::new();
        match &mut rec.body {
            Body::Text(t) => record_redactions.extend(self.in_place(t)),
            Body::Turns(turns) => {
                for turn in turns.iter_mut() {
                    let mut rs = self.in_place(&mut turn.text);
                    self.field(&mut turn.speaker, "speaker", false, &mut rs);
                    self.speaker_name(&mut turn.speaker, &mut rs);
                    turn_redactions.push(rs);
                }
            }
        }
        if let RecordId::Str(id) = &mut rec.id {
            self.field(id, "id", true, &mut record_redactions);
        } else if let RecordId::Num(n) = &rec.id {
            let mut s = n.to_string();
            let before = record_redactions.len();
            self.field(&mut s, "id", true, &mut record_redactions);
            if record_redactions.len() > before {
                rec.id = RecordId::Str(s);
            }
        }
        if let Some(c) = &mut rec.customer {
            self.field(c, "customer", true, &mut record_redactions);
        }
        if let Some(c) = &mut rec.channel {
            self.field(c, "channel", false, &mut record_redactions);
        }
        if let Some(c) = &mut rec.touchpoint {
            self.field(c, "touchpoint", false, &mut record_redactions);
        }
        if let Some(meta) = &mut rec.meta {
            let mut path = String::from("meta");
            self.value(meta, &mut path, &mut record_redactions, 0);
        }
        for w in &mut rec.warnings {
            w.message = self.redact_message(&w.message);
        }
        RedactedRecord {
            record: rec,
            record_redactions,
            turn_redactions,
        }
    }

    /// Redacts a text in place; its redactions.
    fn in_place(&self, text: &mut String) -> Vec<Redaction> {
        let r = self.redact(text);
        let redactions = r.redactions;
        if let Cow::Owned(s) = r.text {
            *text = s;
        }
        redactions
    }

    /// A speaker label that is a role label and more (`agent Anna`,
    /// `坐席-张三`): the rest, when it has letters, is the speaker's name.
    fn speaker_name(&self, speaker: &mut String, out: &mut Vec<Redaction>) {
        if !self.redacts(PiiKind::Name) {
            return;
        }
        let Some(len) = crate::contract::record::role_label_prefix(speaker) else {
            return;
        };
        let rest = &speaker[len..];
        let name_start =
            len + (rest.len() - rest.trim_start_matches([' ', '-', '_', ':', '：']).len());
        let name = &speaker[name_start..];
        if !name.chars().any(char::is_alphabetic)
            || PiiKind::placeholder_at(name).is_some_and(|(_, l)| l == name.len())
        {
            return;
        }
        let start = speaker[..name_start].chars().count();
        let placeholder = PiiKind::Name.placeholder();
        speaker.truncate(name_start);
        speaker.push_str(placeholder);
        out.push(Redaction {
            kind: PiiKind::Name,
            start,
            end: start + placeholder.chars().count(),
            field: Some("speaker".into()),
        });
    }

    /// Redacts one field in place, appending its redactions with `name`.
    fn field(&self, value: &mut String, name: &str, identifier: bool, out: &mut Vec<Redaction>) {
        let r = if identifier {
            self.redact_identifier(value)
        } else {
            self.redact(value)
        };
        if r.redactions.is_empty() {
            return;
        }
        out.extend(r.redactions.into_iter().map(|mut x| {
            x.field = Some(name.to_owned());
            x
        }));
        *value = r.text.into_owned();
    }

    /// Redacts the strings (and numbers) inside a JSON value.
    fn value(&self, v: &mut Value, path: &mut String, out: &mut Vec<Redaction>, depth: usize) {
        // `meta` comes from a parsed record, whose depth serde_json bounds
        // (128); the guard keeps values built in code from recursing deeper.
        if depth > 256 {
            return;
        }
        match v {
            Value::String(s) => self.field(s, path, false, out),
            Value::Number(n) => {
                let mut s = n.to_string();
                let before = out.len();
                self.field(&mut s, path, false, out);
                if out.len() > before {
                    *v = Value::String(s);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    self.value(item, path, out, depth + 1);
                    path.truncate(len);
                }
            }
            Value::Object(map) => {
                for (k, item) in map.iter_mut() {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    self.value(item, path, out, depth + 1);
                    path.truncate(len);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// Every detection in a normalized, folded text, overlaps resolved
    /// (the kind first in [`PiiKind::ALL`] wins, then the longer span),
    /// in text order.
    fn find(&self, text: &str) -> Vec<Found> {
        let mut found = Vec::new();
        let p = &self.patterns;
        let has_digit = text.bytes().any(|b| b.is_ascii_digit());
        if self.redacts(PiiKind::Email) && text.contains('@') {
            for m in p.email.find_iter(text) {
                found.push(Found {
                    kind: PiiKind::Email,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        if self.redacts(PiiKind::Email) {
            for c in p.email_spelled.captures_iter(text) {
                let (Some(m), Some(domain)) = (c.get(0), c.get(1)) else {
                    continue;
                };
                // ` at ` is also a word (`look at google.com`): spelled with
                // a plain `at`, only a mail provider's domain counts.
                let bracketed = m.as_str().contains(['[', '(', '{', '<', '@']);
                let provider =
                    MAIL_PROVIDERS.contains(&domain.as_str().to_ascii_lowercase().as_str());
                if bracketed || provider {
                    found.push(Found {
                        kind: PiiKind::Email,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if has_digit {
            p.numbers(text, &self.on, &mut found);
        }
        if text.chars().any(is_chinese_digit) {
            p.chinese_numerals(text, &self.on, &mut found);
        }
        if self.redacts(PiiKind::Ip) {
            p.ips(text, has_digit, &mut found);
        }
        if self.redacts(PiiKind::Plate) && has_digit {
            p.plates(text, &mut found);
        }
        if self.redacts(PiiKind::Name) {
            self.names.find(text, &mut found);
        }
        found.retain(|f| !(is_number_kind(f.kind) && self.names.after_order_cue(text, f.start)));
        // Placeholders already in the text (a corpus redacted before) stay;
        // numbers and names inside a URL are its path (a post or order id),
        // while an e-mail or IP address there is still one.
        found.retain(|f| !inside_placeholder(text, f.start));
        // An @mention of digits is an account name, not a phone number.
        found.retain(|f| f.kind != PiiKind::Phone || !text[..f.start].ends_with('@'));
        if found
            .iter()
            .any(|f| !matches!(f.kind, PiiKind::Email | PiiKind::Ip))
            && (text.contains("://") || text.contains("www."))
        {
            let urls: Vec<(usize, usize)> = p
                .url
                .find_iter(text)
                .map(|m| (m.start(), m.end()))
                .collect();
            found.retain(|f| {
                matches!(f.kind, PiiKind::Email | PiiKind::Ip)
                    || !urls.iter().any(|&(s, e)| f.start >= s && f.end <= e)
            });
        }
        resolve(found)
    }
}

/// Mail domains for e-mail addresses spelled with a plain ` at `.
const MAIL_PROVIDERS: [&str; 24] = [
    "gmail", "qq", "163", "126", "yeah", "sina", "sohu", "foxmail", "aliyun", "mail", "yandex",
    "ya", "rambler", "bk", "inbox", "list", "outlook", "hotmail", "live", "yahoo", "icloud", "me",
    "aol", "proton",
];

/// A digit as Chinese speech recognition writes it (幺 for 1 in phone numbers).
fn is_chinese_digit(c: char) -> bool {
    chinese_digit(c).is_some()
}

fn chinese_digit(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' => b'0',
        '一' | '幺' => b'1',
        '二' | '两' => b'2',
        '三' => b'3',
        '四' => b'4',
        '五' => b'5',
        '六' => b'6',
        '七' => b'7',
        '八' => b'8',
        '九' => b'9',
        _ => return None,
    })
}

/// Kinds that are numbers (an order or ticket number is none of them).
fn is_number_kind(kind: PiiKind) -> bool {
    matches!(
        kind,
        PiiKind::IdCn
            | PiiKind::Card
            | PiiKind::Snils
            | PiiKind::Inn
            | PiiKind::PassportRu
            | PiiKind::Phone
    )
}

/// Keeps non-overlapping detections: by kind priority, then longer first,
/// then earlier; returned in text order.
fn resolve(mut found: Vec<Found>) -> Vec<Found> {
    if found.len() <= 1 {
        return found;
    }
    found.sort_by_key(|f| (f.kind, std::cmp::Reverse(f.end - f.start), f.start));
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.iter().all(|k| f.end <= k.start || f.start >= k.end) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.start);
    kept
}

/// Whether byte `at` lies inside a placeholder (`[PHONE]`) of the text.
fn inside_placeholder(text: &str, at: usize) -> bool {
    let Some(open) = text[..at.min(text.len())].rfind('[') else {
        return false;
    };
    PiiKind::placeholder_at(&text[open..]).is_some_and(|(_, len)| open + len > at)
}

/// `[KIND:` + 12 hex digits of HMAC-SHA-256(key, kind + the span's
/// letters and digits, lowercased) + `]`.
fn pseudonym(kind: PiiKind, span: &str, key: &[u8]) -> String {
    let name = kind.placeholder();
    let name = &name[1..name.len() - 1];
    let canonical: String = span
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let tag = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(name.as_bytes());
            mac.update(b":");
            mac.update(canonical.as_bytes());
            let bytes = mac.finalize().into_bytes();
            bytes[..6].iter().map(|b| format!("{b:02x}")).collect()
        }
        // HMAC takes keys of any length; kept for the type's sake.
        Err(_) => String::new(),
    };
    if tag.is_empty() {
        return kind.placeholder().to_owned();
    }
    format!("[{name}:{tag}]")
}

/// Char ↔ byte offsets of a string.
struct CharOffsets {
    /// Byte offset of each char, plus the length (None: ASCII).
    bytes: Option<Vec<usize>>,
    len: usize,
}

fn char_offsets(s: &str) -> CharOffsets {
    if s.is_ascii() {
        return CharOffsets {
            bytes: None,
            len: s.len(),
        };
    }
    let mut v: Vec<usize> = s.char_indices().map(|(b, _)| b).collect();
    v.push(s.len());
    CharOffsets {
        bytes: Some(v),
        len: s.len(),
    }
}

impl CharOffsets {
    /// The char index of byte offset `b` (a char boundary).
    fn of(&self, b: usize) -> usize {
        match &self.bytes {
            None => b.min(self.len),
            Some(v) => v.partition_point(|&x| x < b),
        }
    }

    /// The byte offset of char index `c`.
    fn byte(&self, c: usize) -> usize {
        match &self.bytes {
            None => c.min(self.len),
            Some(v) => v[c.min(v.len() - 1)],
        }
    }
}

// ---------------------------------------------------------------------------
// Numbers, addresses, plates
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Patterns {
    url: Regex,
    email: Regex,
    /// `name [at] domain [dot] com`, `name (at) gmail.com`, `name at qq dot com`.
    email_spelled: Regex,
    id_cn: Regex,
    card: Regex,
    snils: Regex,
    /// СНИЛС / ИНН / паспорт / серия, then the number after it.
    cued: Regex,
    passport_spaced: Regex,
    inn12: Regex,
    phones: Vec<Regex>,
    ipv4: Regex,
    ipv6: Regex,
    plate_cn: Regex,
    plate_ru: Regex,
    plate_ru_lower: Regex,
}

fn rx(pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| Error::Config(format!("redaction pattern `{pattern}`: {e}")))
}

impl Patterns {
    fn compile() -> Result<Patterns> {
        Ok(Patterns {
            url: rx(r#"(?i)(?:[a-z][a-z0-9+.\-]*://|www\.)[^\s<>"'，。！？、）)]+"#)?,
            email: rx(
                r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.(?:[a-zA-Z]{2,24}|рф|рус|中国|公司|网络)",
            )?,
            email_spelled: rx(
                r"(?i)[a-z0-9][a-z0-9._%+\-]*\s*(?:[\[({<]\s*at\s*[\])}>]|\s+at\s+|\s*@\s+|\s+@\s*)\s*([a-z0-9\-]+)(?:\s*(?:[\[({<]\s*dot\s*[\])}>]|\s+dot\s+|\.)\s*[a-z0-9\-]+)*\s*(?:[\[({<]\s*dot\s*[\])}>]|\s+dot\s+|\.)\s*(?:com|net|org|ru|cn|uk|de|io|edu|gov|info|biz|рф)\b",
            )?,
            id_cn: rx(
                r"[1-8]\d{5} ?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]) ?\d{3}[\dXx]",
            )?,
            card: rx(r"\d(?:[ \-]?\d){12,22}")?,
            snils: rx(r"\d{3}-\d{3}-\d{3}[ \-]\d{2}")?,
            cued: rx(
                r"(?i)(снилс|snils|инн|inn|паспорт\p{L}*|passport|серия|серии)[^\d\n]{0,24}?(\d(?:[ \-]?(?:№|n|номер|no\.?)?[ \-]?\d){9,13})",
            )?,
            passport_spaced: rx(r"\d{2} \d{2} \d{6}|\d{4} \d{6}")?,
            inn12: rx(r"\d{12}")?,
            phones: [
                // Chinese mobile, with +86 / 0086.
                r"(?:(?:\+|00) ?86[ \-]?)?1[3-9]\d(?:[ \-.]?\d){8}",
                // Chinese landline: area code in parentheses or with a separator.
                r"(?:\+86[ \-]?(?:\(0?\d{2,3}\)|0?\d{2,3})[ \-]?|\(0\d{2,3}\) ?|0\d{2,3}[ \-])\d{7,8}(?:-\d{1,5})?",
                // Russian: +7 / 8 / 7, then a 3-digit code and 7 digits.
                r"(?:\+7|8|7)[ \-]?\(?\d{3}\)?[ \-]?\d{3}[ \-]?\d{2}[ \-]?\d{2}",
                // North American.
                r"(?:\+?1[ .\-]?)?\(?[2-9]\d{2}\)?[ .\-]\d{3}[ .\-]\d{4}",
                // International with +.
                r"\+\d{1,3}(?:[ \-]?\(?\d{1,5}\)?){1,5}",
            ]
            .into_iter()
            .map(rx)
            .collect::<Result<_>>()?,
            ipv4: rx(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")?,
            ipv6: rx(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")?,
            plate_cn: rx(
                r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Za-hj-np-z][·•・.\- ]?[A-HJ-NP-Za-hj-np-z0-9]{5,6}",
            )?,
            plate_ru: rx(
                r"[АВЕКМНОРСТУХABEKMHOPCTYX] ?\d{3} ?[АВЕКМНОРСТУХABEKMHOPCTYX]{2} ?\d{2,3}",
            )?,
            plate_ru_lower: rx(r"[авекмнорстух]\d{3}[авекмнорстух]{2}\d{2,3}")?,
        })
    }

    /// ID, card, SNILS, INN, passport and phone numbers.
    fn numbers(&self, text: &str, on: &[bool], found: &mut Vec<Found>) {
        let want = |k: PiiKind| on[k as usize];
        if want(PiiKind::IdCn) {
            for m in self.id_cn.find_iter(text) {
                let digits: Vec<u8> = m.as_str().bytes().filter(|b| *b != b' ').collect();
                if digit_bounded(text, m.start(), m.end()) && id_cn_valid(&digits) {
                    found.push(Found {
                        kind: PiiKind::IdCn,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if want(PiiKind::Card) {
            for m in self.card.find_iter(text) {
                if let Some(end) = card_end(text, m.start(), m.end()) {
                    found.push(Found {
                        kind: PiiKind::Card,
                        start: m.start(),
                        end,
                    });
                }
            }
        }
        if want(PiiKind::Snils) {
            for m in self.snils.find_iter(text) {
                if digit_bounded(text, m.start(), m.end()) && snils_valid(&digits_of(m.as_str())) {
                    found.push(Found {
                        kind: PiiKind::Snils,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        for c in self.cued.captures_iter(text) {
            let (Some(cue), Some(num)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let cue = cue.as_str().to_lowercase();
            let digits = digits_of(num.as_str());
            let kind = if cue.starts_with("снилс") || cue.starts_with("snils") {
                (digits.len() == 11).then_some(PiiKind::Snils)
            } else if cue.starts_with("инн") || cue.starts_with("inn") {
                matches!(digits.len(), 10 | 12).then_some(PiiKind::Inn)
            } else {
                (digits.len() == 10).then_some(PiiKind::PassportRu)
            };
            if let Some(kind) = kind.filter(|k| want(*k)) {
                if digit_bounded(text, num.start(), num.end()) {
                    found.push(Found {
                        kind,
                        start: num.start(),
                        end: num.end(),
                    });
                }
            }
        }
        if want(PiiKind::PassportRu) {
            for m in self.passport_spaced.find_iter(text) {
                if digit_bounded(text, m.start(), m.end()) {
                    found.push(Found {
                        kind: PiiKind::PassportRu,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if want(PiiKind::Inn) {
            for m in self.inn12.find_iter(text) {
                if digit_bounded(text, m.start(), m.end()) && inn_valid(&digits_of(m.as_str())) {
                    found.push(Found {
                        kind: PiiKind::Inn,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if want(PiiKind::Phone) {
            for (i, re) in self.phones.iter().enumerate() {
                for m in re.find_iter(text) {
                    let s = m.as_str();
                    if !digit_bounded(text, m.start(), m.end()) {
                        continue;
                    }
                    let digits = digits_of(s);
                    let ok = match i {
                        // Chinese mobile with dots only as 3-4-4 (not an IP address).
                        0 if s.contains('.') => {
                            let groups: Vec<usize> =
                                s.split('.').map(|g| digits_of(g).len()).collect();
                            groups == [3, 4, 4]
                        }
                        // Russian: +7, a mobile code (9xx), or a separator / parentheses.
                        // Bare 11 digits need a Russian area code: 3xx, 4xx, 8xx, 9xx.
                        2 => {
                            s.starts_with('+')
                                || digits
                                    .get(1)
                                    .is_some_and(|d| matches!(d, b'3' | b'4' | b'8' | b'9'))
                                || s.bytes().any(|b| matches!(b, b' ' | b'-' | b'('))
                        }
                        // North American: separators agree (a date 2021.05.17 has 4 digits first).
                        // (N00 codes: toll-free and service numbers, 400-820-8820, are not personal).
                        3 => {
                            let area = if digits.len() == 11 {
                                &digits[1..4]
                            } else {
                                &digits[..3]
                            };
                            (!s.starts_with('+') || digits.len() == 11) && &area[1..] != b"00"
                        }
                        4 => (8..=15).contains(&digits.len()),
                        _ => true,
                    };
                    if ok {
                        found.push(Found {
                            kind: PiiKind::Phone,
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
    }

    /// Numbers spoken in Chinese digits (`幺三八幺二三四五六七八`, as
    /// speech recognition writes them): runs of seven or more digit
    /// characters are read as ASCII digits and checked as numbers are.
    fn chinese_numerals(&self, text: &str, on: &[bool], found: &mut Vec<Found>) {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (is_chinese_digit(c), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    runs.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        for (s, e) in runs {
            let run = &text[s..e];
            if run.chars().count() < 7 {
                continue;
            }
            // One ASCII digit per character; every digit character is 3 bytes.
            let ascii: String = run
                .chars()
                .filter_map(chinese_digit)
                .map(char::from)
                .collect();
            let mut inner = Vec::new();
            self.numbers(&ascii, on, &mut inner);
            for f in inner {
                found.push(Found {
                    kind: f.kind,
                    start: s + f.start * 3,
                    end: s + f.end * 3,
                });
            }
        }
    }

    fn ips(&self, text: &str, has_digit: bool, found: &mut Vec<Found>) {
        if has_digit && text.contains('.') {
            for m in self.ipv4.find_iter(text) {
                let s = m.as_str();
                let octets_ok = s
                    .split('.')
                    .all(|o| o.parse::<u16>().is_ok_and(|n| n <= 255));
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                let after2 = text[m.end()..].chars().nth(1);
                let versionish = before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
                    || after.is_some_and(|c| c.is_ascii_alphanumeric())
                    || (after == Some('.') && after2.is_some_and(|c| c.is_ascii_digit()));
                let tail: String = text[..m.start()]
                    .chars()
                    .rev()
                    .take(16)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<String>()
                    .to_lowercase();
                let tail = tail.trim_end_matches([' ', ':', '：']);
                let version_word = VERSION_WORDS.iter().any(|w| tail.ends_with(w));
                if octets_ok && !versionish && !version_word {
                    found.push(Found {
                        kind: PiiKind::Ip,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if text.matches(':').nth(1).is_some() {
            for m in self.ipv6.find_iter(text) {
                let s = m.as_str();
                let hex = s.bytes().filter(u8::is_ascii_hexdigit).count();
                let colons = s.bytes().filter(|b| *b == b':').count();
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                let bounded = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == ':')
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == ':');
                if bounded
                    && hex >= 4
                    && (s.contains("::") || colons == 7)
                    && s.parse::<Ipv6Addr>().is_ok()
                {
                    found.push(Found {
                        kind: PiiKind::Ip,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
    }

    fn plates(&self, text: &str, found: &mut Vec<Found>) {
        for m in self.plate_cn.find_iter(text) {
            let tail = &m.as_str()[m.as_str().len().min(4)..];
            let digits = tail.bytes().filter(u8::is_ascii_digit).count();
            let after = text[m.end()..].chars().next();
            if digits >= 3 && !after.is_some_and(|c| c.is_ascii_alphanumeric()) {
                found.push(Found {
                    kind: PiiKind::Plate,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        for re in [&self.plate_ru, &self.plate_ru_lower] {
            for m in re.find_iter(text) {
                let before = text[..m.start()].chars().next_back();
                let after = text[m.end()..].chars().next();
                let cyrillic = m
                    .as_str()
                    .chars()
                    .any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
                if cyrillic
                    && !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
                {
                    found.push(Found {
                        kind: PiiKind::Plate,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
    }
}

/// Words before a dotted quad that make it a version, not an address.
const VERSION_WORDS: [&str; 22] = [
    "version",
    "ver",
    "ver.",
    "build",
    "firmware",
    "ios",
    "android",
    "update",
    "updated to",
    "upgrade",
    "upgraded to",
    "версия",
    "версии",
    "прошивка",
    "обновление",
    "обновления",
    "обновился до",
    "版本",
    "版本号",
    "升级到",
    "更新到",
    "升级",
];

/// The ASCII digits of a string.
fn digits_of(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).collect()
}

/// A number at `[start, end)` stands alone: no letter or digit touches it,
/// and it is not part of a decimal, a date, a range or a longer number
/// (`.`, `-`, `/`, `:` between it and another digit; `,` only as a
/// thousands separator, with 1–3 digits before it or 3 after it: a
/// full-width comma, normalized to `,`, often sits between a date and a
/// phone number).
fn digit_bounded(text: &str, start: usize, end: usize) -> bool {
    let mut before = text[..start].chars().rev();
    let b1 = before.next();
    let b2 = before.next();
    let mut after = text[end..].chars();
    let a1 = after.next();
    let a2 = after.next();
    let joins = |c: char| matches!(c, '.' | '-' | '/' | ':' | '_');
    let touches = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '+');
    let joined = |c: Option<char>, d: Option<char>| {
        c.is_some_and(joins) && d.is_some_and(|d| d.is_ascii_digit())
    };
    // Digit runs beyond a comma (bytes: `,` is one byte, so the slices
    // are taken only when it is there).
    let bytes = text.as_bytes();
    let run_before = if b1 == Some(',') {
        bytes[..start - 1]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count()
    } else {
        0
    };
    let run_after = if a1 == Some(',') {
        bytes[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    } else {
        0
    };
    let thousands_before = b1 == Some(',') && (1..=3).contains(&run_before);
    let thousands_after = a1 == Some(',') && run_after == 3;
    let starts_plus = text[start..].starts_with('+');
    !(touches(b1) && !(starts_plus && b1 != Some('+')))
        && !a1.is_some_and(|c| c.is_ascii_alphanumeric())
        && !joined(b1, b2)
        && !joined(a1, a2)
        && !thousands_before
        && !thousands_after
}

/// ISO 7064 MOD 11-2 check of an 18-character Chinese ID number.
fn id_cn_valid(digits: &[u8]) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if digits.len() != 18 || !digits[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let year: u32 = digits[6..10]
        .iter()
        .fold(0, |a, d| a * 10 + u32::from(d - b'0'));
    let month: u32 = digits[10..12]
        .iter()
        .fold(0, |a, d| a * 10 + u32::from(d - b'0'));
    let day: u32 = digits[12..14]
        .iter()
        .fold(0, |a, d| a * 10 + u32::from(d - b'0'));
    let date_ok = chrono::NaiveDate::from_ymd_opt(year as i32, month, day).is_some();
    date_ok && CHECK[(sum % 11) as usize] == digits[17].to_ascii_uppercase()
}

/// The Luhn check.
fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Whether a card number of this length belongs to a known issuer range.
fn card_issuer(digits: &[u8]) -> bool {
    let n = digits.len();
    let prefix = |k: usize| -> u32 {
        digits[..k.min(n)]
            .iter()
            .fold(0, |a, d| a * 10 + u32::from(d - b'0'))
    };
    let p2 = prefix(2);
    let p4 = prefix(4);
    match digits[0] {
        b'4' => matches!(n, 13 | 16 | 19),          // Visa
        b'5' if (51..=55).contains(&p2) => n == 16, // Mastercard
        b'5' if p2 == 50 || (56..=58).contains(&p2) => (12..=19).contains(&n), // Maestro
        b'2' if (2221..=2720).contains(&p4) => n == 16, // Mastercard
        b'2' if (2200..=2204).contains(&p4) => (16..=19).contains(&n), // Mir
        b'3' if p2 == 34 || p2 == 37 => n == 15,    // Amex
        b'3' if (3528..=3589).contains(&p4) => (16..=19).contains(&n), // JCB
        b'6' if p2 == 62 => (16..=19).contains(&n), // UnionPay
        b'6' if p4 == 6011 || p2 == 65 => (16..=19).contains(&n), // Discover
        b'6' if p2 == 67 || p2 == 63 => (12..=19).contains(&n), // Maestro
        _ => false,
    }
}

/// The end of a card number starting at `start` within the digit run
/// `[start, end)`: the whole run, or the longest prefix of its groups,
/// that is bounded, of a known issuer and Luhn-valid.
fn card_end(text: &str, start: usize, end: usize) -> Option<usize> {
    let run = &text[start..end];
    // Group ends: after each separator-delimited group.
    let mut ends: Vec<usize> = run
        .char_indices()
        .filter(|(_, c)| *c == ' ' || *c == '-')
        .map(|(i, _)| start + i)
        .collect();
    ends.push(end);
    let grouped = ends.len() > 1;
    for &e in ends.iter().rev() {
        let s = &text[start..e];
        let digits = digits_of(s);
        if !(13..=19).contains(&digits.len()) {
            continue;
        }
        if grouped {
            // Groups of 4 (the last may be shorter), or 4-6-5 / 4-6-4 (Amex, Diners).
            let groups: Vec<usize> = s.split([' ', '-']).map(str::len).collect();
            let fours = groups[..groups.len() - 1].iter().all(|&g| g == 4)
                && (1..=4).contains(groups.last().unwrap_or(&0));
            let amex = groups.len() == 3 && groups[0] == 4 && groups[1] == 6;
            let single = groups.len() == 1;
            if !(fours || amex || single) {
                continue;
            }
        }
        if digit_bounded(text, start, e) && card_issuer(&digits) && luhn(&digits) {
            return Some(e);
        }
    }
    None
}

/// SNILS check number: Σ digit × (9 − i) over the first nine digits,
/// mod 101 (100 → 00).
fn snils_valid(d: &[u8]) -> bool {
    if d.len() != 11 {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, x)| u32::from(x - b'0') * (9 - i as u32))
        .sum();
    let check = match sum % 101 {
        100 => 0,
        s => s,
    };
    let given = u32::from(d[9] - b'0') * 10 + u32::from(d[10] - b'0');
    check == given
}

/// INN check digits (10 digits: one; 12 digits: two).
fn inn_valid(d: &[u8]) -> bool {
    let check = |weights: &[u32]| -> u8 {
        let sum: u32 = weights
            .iter()
            .zip(d)
            .map(|(w, x)| w * u32::from(x - b'0'))
            .sum();
        ((sum % 11) % 10) as u8 + b'0'
    };
    match d.len() {
        10 => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
        12 => {
            check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// Name cues of the language packs (`src/lang/<code>/pii.txt`).
#[derive(Debug)]
struct NameRules {
    /// Words after which a number is an order or ticket number (lowercase).
    not_after: Vec<String>,
    /// Chinese cues: (cue, surname only, only at the start of a text or
    /// after a non-Han character: `^姓`).
    han: AhoCorasick,
    han_surname_only: Vec<bool>,
    han_start_only: Vec<bool>,
    /// The name must end the clause (`我是杜娟，…`; not 我是张家口的).
    han_pause_after: Vec<bool>,
    /// Chinese titles after a surname (先生, 女士).
    han_titles: AhoCorasick,
    surnames: AhoCorasick,
    address_skip: FxHashSet<char>,
    /// Latin / Cyrillic cues, case-insensitive: strong, weak, surname, title.
    words: Regex,
    /// The same cues, lowercase, for the lowercased text.
    word_ac: AhoCorasick,
    word_kinds: Vec<CueKind>,
    stopwords: FxHashSet<String>,
    word: Regex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueKind {
    Strong,
    Weak,
    Surname,
    Title,
}

/// Characters that end a Chinese given name (particles, pronouns, verbs
/// that follow a name in speech).
const GIVEN_STOP: &str = "的了是在我你他她它吗呢啊吧和就也都还不没有个这那您们啦哈嗯哦呀，。！？、先女打来去说要想给跟找请谢位一几某";

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

impl NameRules {
    fn compile() -> Result<NameRules> {
        let mut han = Vec::new();
        let mut han_surname_only = Vec::new();
        let mut han_start_only = Vec::new();
        let mut han_pause_after = Vec::new();
        let mut han_titles = Vec::new();
        let mut surnames = Vec::new();
        let mut address_skip = FxHashSet::default();
        let mut words: Vec<(String, CueKind)> = Vec::new();
        let mut stopwords = FxHashSet::default();
        let mut not_after = Vec::new();
        for pack in PACKS {
            for w in entries(pack.stopwords).chain(entries(pack.negators)) {
                stopwords.insert(w.to_lowercase());
            }
            for line in entries(pack.pii) {
                let Some((kind, value)) = line.split_once(':') else {
                    return Err(Error::Config(format!(
                        "src/lang/{}/pii.txt: `{line}` is not `kind: value`",
                        pack.language
                    )));
                };
                let value = value.trim();
                let han_cue = value.chars().any(is_han);
                match kind.trim() {
                    "cue" | "surname_cue" if han_cue => {
                        han.push(
                            value
                                .trim_start_matches('^')
                                .trim_end_matches('$')
                                .to_owned(),
                        );
                        han_surname_only.push(kind.trim() == "surname_cue");
                        han_start_only.push(value.starts_with('^'));
                        han_pause_after.push(value.ends_with('$'));
                    }
                    "cue" => words.push((value.to_lowercase(), CueKind::Strong)),
                    "weak_cue" => words.push((value.to_lowercase(), CueKind::Weak)),
                    "surname_cue" => words.push((value.to_lowercase(), CueKind::Surname)),
                    "title" => words.push((value.to_lowercase(), CueKind::Title)),
                    "title_after" => han_titles.push(value.to_owned()),
                    "surnames" => surnames.extend(value.split_whitespace().map(str::to_owned)),
                    "address_skip" => address_skip.extend(value.chars().filter(|c| is_han(*c))),
                    "not_after" => not_after.push(value.to_lowercase()),
                    other => {
                        return Err(Error::Config(format!(
                            "src/lang/{}/pii.txt: unknown kind `{other}`",
                            pack.language
                        )))
                    }
                }
            }
        }
        // Longer cues first, so `my name is` wins over `name is`.
        words.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let alternation: Vec<String> = words
            .iter()
            .map(|(w, _)| {
                let mut p = regex::escape(w).replace(' ', r"\s+");
                if w.ends_with(|c: char| c.is_alphanumeric()) {
                    p.push_str(r"\b");
                }
                format!("({p})")
            })
            .collect();
        let pattern = format!(r"(?i)(?:^|[^\p{{L}}\p{{N}}])(?:{})", alternation.join("|"));
        let ac = |pats: &[String]| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .start_kind(aho_corasick::StartKind::Both)
                .build(pats)
                .map_err(|e| Error::Config(format!("name cues: {e}")))
        };
        Ok(NameRules {
            not_after,
            han: ac(&han)?,
            han_surname_only,
            han_start_only,
            han_pause_after,
            han_titles: ac(&han_titles)?,
            surnames: ac(&surnames)?,
            address_skip,
            words: rx(&pattern)?,
            word_ac: ac(&words.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>())?,
            word_kinds: words.iter().map(|(_, k)| *k).collect(),
            stopwords,
            word: rx(r"^\p{L}[\p{L}'’\-]*")?,
        })
    }

    fn find(&self, text: &str, found: &mut Vec<Found>) {
        if text.chars().any(is_han) {
            self.find_han(text, found);
        }
        if text.bytes().any(|b| b.is_ascii_alphabetic())
            || text.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
        {
            self.find_words(text, found);
        }
    }

    /// Whether the text right before byte `at` (spaces, `:`, `#`, `№`
    /// skipped) ends with an order / ticket / tracking word (`订单号`,
    /// `заказ`, `order no.`) that is not the end of a longer word.
    fn after_order_cue(&self, text: &str, at: usize) -> bool {
        let punct = |c: char| {
            c.is_whitespace() || matches!(c, ':' | '：' | '#' | '№' | '-' | '.' | '(' | '（')
        };
        let mut before = text[..at].trim_end_matches(punct);
        // `№` is `No` after NFKC: `договор № 123` reads `договор No 123`.
        for no in ["No", "no", "NO", "nr", "Nr"] {
            if let Some(rest) = before.strip_suffix(no) {
                if rest.ends_with(punct) || rest.is_empty() {
                    before = rest.trim_end_matches(punct);
                }
                break;
            }
        }
        let tail: String = before
            .chars()
            .rev()
            .take(24)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let tail = tail.to_lowercase();
        self.not_after.iter().any(|cue| {
            tail.strip_suffix(cue.as_str()).is_some_and(|rest| {
                cue.chars().next().is_some_and(is_han)
                    || !rest.chars().next_back().is_some_and(char::is_alphanumeric)
            })
        })
    }

    /// The surname starting at `at`, if any (its byte length).
    fn surname_at(&self, text: &str, at: usize) -> Option<usize> {
        let input = aho_corasick::Input::new(text)
            .span(at..text.len())
            .anchored(aho_corasick::Anchored::Yes);
        // The automaton is built for anchored searches, so this cannot fail.
        self.surnames
            .try_find(input)
            .ok()
            .flatten()
            .map(|m| m.end() - at)
    }

    fn find_han(&self, text: &str, found: &mut Vec<Found>) {
        for m in self.han.find_iter(text) {
            let surname_only = self.han_surname_only[m.pattern().as_usize()];
            if self.han_start_only[m.pattern().as_usize()]
                && text[..m.start()].chars().next_back().is_some_and(is_han)
            {
                continue;
            }
            let mut at = m.end();
            // A colon or space may follow the cue (姓名：张三).
            while let Some(c) = text[at..].chars().next() {
                if matches!(c, ' ' | ':' | '：') {
                    at += c.len_utf8();
                } else {
                    break;
                }
            }
            let Some(len) = self.surname_at(text, at) else {
                continue;
            };
            let mut end = at + len;
            if !surname_only {
                for _ in 0..2 {
                    let Some(c) = text[end..].chars().next() else {
                        break;
                    };
                    if !is_han(c) || GIVEN_STOP.contains(c) || self.title_at(text, end) {
                        break;
                    }
                    end += c.len_utf8();
                }
            }
            if self.han_pause_after[m.pattern().as_usize()] {
                let next = text[end..].chars().next();
                let pause = next.is_none_or(|c| !is_han(c) || "啊呀呢吧哈".contains(c));
                if !pause || end == at + len {
                    continue;
                }
            }
            found.push(Found {
                kind: PiiKind::Name,
                start: at,
                end,
            });
        }
        // A surname, or a full name, addressed with a title: 王先生,
        // 快递小哥廖锦辉先生. The longest surname + up to two given
        // characters that ends right before the title wins; a surname that
        // is also a common word (向, 和, 谢) does not start one.
        for t in self.han_titles.find_iter(text) {
            let before = &text[..t.start()];
            let mut best = None;
            let tail: Vec<(usize, char)> = before.char_indices().rev().take(4).collect();
            for &(i, _) in &tail {
                let Some(len) = self.surname_at(text, i) else {
                    continue;
                };
                let given = &text[i + len..t.start()];
                let given_ok = given.chars().count() <= 2
                    && given.chars().all(|c| is_han(c) && !GIVEN_STOP.contains(c));
                let first = text[i..].chars().next().unwrap_or(' ');
                let common_word = len == first.len_utf8() && self.address_skip.contains(&first);
                if given_ok && !common_word && i + len <= t.start() {
                    best = Some(i);
                }
            }
            let Some(start) = best else { continue };
            found.push(Found {
                kind: PiiKind::Name,
                start,
                end: t.start(),
            });
        }
    }

    fn title_at(&self, text: &str, at: usize) -> bool {
        let input = aho_corasick::Input::new(text)
            .span(at..text.len())
            .anchored(aho_corasick::Anchored::Yes);
        self.han_titles.try_find(input).ok().flatten().is_some()
    }

    fn find_words(&self, text: &str, found: &mut Vec<Found>) {
        // Fast path: the cues' literals over the lowercased text, when
        // lowercasing keeps every byte offset (it does for Latin and
        // Cyrillic); the case-insensitive regex otherwise.
        let lower = text.to_lowercase();
        if lower.len() == text.len() && lower.is_char_boundary(0) {
            for m in self.word_ac.find_iter(&lower) {
                let (s, e) = (m.start(), m.end());
                if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
                    continue;
                }
                let before = text[..s].chars().next_back();
                if before.is_some_and(char::is_alphanumeric) {
                    continue;
                }
                let cue = &text[s..e];
                let after = text[e..].chars().next();
                if cue.ends_with(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
                {
                    continue;
                }
                let kind = self.word_kinds[m.pattern().as_usize()];
                self.name_after_cue(text, kind, cue, e, found);
            }
            return;
        }
        for c in self.words.captures_iter(text) {
            let Some((i, cue)) = c
                .iter()
                .skip(1)
                .enumerate()
                .find_map(|(i, m)| m.map(|m| (i, m)))
            else {
                continue;
            };
            self.name_after_cue(text, self.word_kinds[i], cue.as_str(), cue.end(), found);
        }
    }

    /// The name after a cue that ends at byte `cue_end`, if any.
    fn name_after_cue(
        &self,
        text: &str,
        kind: CueKind,
        cue: &str,
        cue_end: usize,
        found: &mut Vec<Found>,
    ) {
        {
            // A Latin title is written as one (Mr, Ms., Miss): `miss` is a
            // verb and `MS Office` a brand.
            if kind == CueKind::Title && cue.is_ascii() {
                let letters: Vec<char> = cue.chars().filter(char::is_ascii_alphabetic).collect();
                let capitalized = letters.first().is_some_and(char::is_ascii_uppercase);
                let all_caps = letters.len() > 1 && letters.iter().all(char::is_ascii_uppercase);
                if !capitalized || all_caps && !cue.ends_with('.') {
                    return;
                }
            }
            let mut at = cue_end;
            let mut start = None;
            let mut end = at;
            let max_words = match kind {
                CueKind::Surname => 1,
                _ => 3,
            };
            for n in 0..max_words {
                // Skip spaces, a colon or a comma before the first word; single spaces after.
                let mut gap = at;
                while let Some(ch) = text[gap..].chars().next() {
                    let allowed = if n == 0 {
                        matches!(ch, ' ' | ':' | ',' | '—' | '-' | '\u{a0}')
                    } else {
                        ch == ' '
                    };
                    if !allowed || gap - at > 3 {
                        break;
                    }
                    gap += ch.len_utf8();
                }
                if n > 0 && gap == at {
                    break;
                }
                let Some(w) = self.word.find(&text[gap..]) else {
                    break;
                };
                let word = w.as_str();
                let capitalized = word.chars().next().is_some_and(char::is_uppercase)
                    && !word.chars().skip(1).any(char::is_uppercase);
                let stop = self.stopwords.contains(&word.to_lowercase());
                let first_ok = match kind {
                    CueKind::Strong | CueKind::Surname => !stop,
                    CueKind::Weak | CueKind::Title => capitalized && !stop,
                };
                let ok = if n == 0 {
                    first_ok
                } else {
                    capitalized && !stop
                };
                if !ok {
                    break;
                }
                start.get_or_insert(gap);
                end = gap + w.end();
                at = end;
            }
            if let Some(start) = start {
                found.push(Found {
                    kind: PiiKind::Name,
                    start,
                    end,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(text: &str) -> String {
        Redactor::new().unwrap().redact(text).text.into_owned()
    }

    #[test]
    fn checksums() {
        assert!(id_cn_valid(b"11010519491231002X"));
        assert!(!id_cn_valid(b"110105194912310021"));
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(snils_valid(b"11223344595"));
        assert!(!snils_valid(b"11223344596"));
        assert!(inn_valid(b"7707083893"));
        assert!(inn_valid(b"500100732259"));
        assert!(!inn_valid(b"500100732258"));
    }

    #[test]
    fn each_kind() {
        assert_eq!(
            red("我的手机是138-1234-5678，谢谢"),
            "我的手机是[PHONE]，谢谢"
        );
        assert_eq!(red("电话13812345678"), "电话[PHONE]");
        assert_eq!(red("电话幺三八幺二三四五六七八好的"), "电话[PHONE]好的");
        assert_eq!(red("手机139.9494.1586"), "手机[PHONE]");
        assert_eq!(
            red("write to ivan_petrov [at] mail.ru now"),
            "write to [EMAIL] now"
        );
        assert_eq!(red("john at gmail dot com"), "[EMAIL]");
        assert_eq!(red("座机 010-62345678 转 8"), "座机 [PHONE] 转 8");
        assert_eq!(red("звоните +7 (916) 123-45-67"), "звоните [PHONE]");
        assert_eq!(red("мой 89161234567"), "мой [PHONE]");
        assert_eq!(
            red("身份证330106197903272069，2025-05-17到货"),
            "身份证[ID_CN]，2025-05-17到货"
        );
        assert_eq!(red("IP地址52.182.10.8"), "IP地址[IP]");
        assert_eq!(red("logged in from 192.168.164.13"), "logged in from [IP]");
        assert_eq!(red("call (415) 555-0132 now"), "call [PHONE] now");
        assert_eq!(red("mail me: a.b-c@example.co.uk."), "mail me: [EMAIL].");
        assert_eq!(red("身份证11010519491231002X"), "身份证[ID_CN]");
        assert_eq!(red("card 4111 1111 1111 1111 please"), "card [CARD] please");
        assert_eq!(red("СНИЛС 112-233-445 95"), "СНИЛС [SNILS]");
        assert_eq!(red("ИНН 7707083893"), "ИНН [INN]");
        assert_eq!(
            red("паспорт серия 45 12 номер 345678"),
            "паспорт серия [PASSPORT]"
        );
        assert_eq!(
            red("from 192.168.1.20 and 2001:db8::8a2e:370:7334"),
            "from [IP] and [IP]"
        );
        assert_eq!(red("车牌粤B12345被刮"), "车牌[PLATE]被刮");
        assert_eq!(red("номер А123ВС77"), "номер [PLATE]");
        assert_eq!(red("我叫王小明，手机坏了"), "我叫[NAME]，手机坏了");
        assert_eq!(red("免贵姓欧阳"), "免贵姓[NAME]");
        assert_eq!(red("喂，我是杜娟，上周买的"), "喂，我是[NAME]，上周买的");
        assert_eq!(red("姓林 林小姐"), "姓[NAME] [NAME]小姐");
        assert_eq!(red("李女士您好"), "[NAME]女士您好");
        assert_eq!(red("快递小哥廖锦辉先生很好"), "快递小哥[NAME]先生很好");
        assert_eq!(red("感谢王先生"), "感谢[NAME]先生");
        assert_eq!(red("这位张先生"), "这位[NAME]先生");
        assert_eq!(
            red("Здравствуйте, меня зовут Анна Петрова."),
            "Здравствуйте, меня зовут [NAME]."
        );
        assert_eq!(red("hi, my name is john and"), "hi, my name is [NAME] and");
        assert_eq!(red("ask Mrs. Jones"), "ask Mrs. [NAME]");
        // Full-width digits are found, and the original span replaced.
        assert_eq!(red("电话１３８１２３４５６７８"), "电话[PHONE]");
    }

    #[test]
    fn not_pii() {
        for text in [
            "订单号 202311231234567890 还没发货",
            "价格 1299.00 元，2023-11-23 下单",
            "version 1.2.3.4 is out",
            "我叫了外卖",
            "my name is not important",
            "向女士道歉",
            "за 3500 рублей 12.05.2023",
            "12:30:45 arrived",
            "400-820-8820 客服",
            "the 2021 model, 15 km",
            "[PHONE] already",
            "老百姓都说好",
            "Don't miss Paris, MS Office works",
            "出身康师傅，服务过蒙牛",
            "辛苦师傅了",
            "蒙牛一经理被抓",
            "look at google.com",
            "我是张家口的客户",
            "我是新用户，我是学生",
            "一二三四五六",
            "第一二三四五六七八九章",
            "多谢师傅",
            "系统升级到3.0.5.49以后很卡",
            "@79161234567 hi",
            "https://m.weibo.cn/status/5012846390127745",
            "订单号：13812345678 还没到",
            "order no. 4111111111111111 arrived",
            "договор № 456804695148 от 2021 года",
            "1,380,000 и 12,345",
        ] {
            assert_eq!(red(text), text, "{text}");
        }
    }

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let r = RedactorBuilder::new().key(b"k1".to_vec()).build().unwrap();
        let a = r.redact_identifier("13812345678").text.into_owned();
        assert!(r
            .redact_identifier("call-13812345678-2")
            .text
            .starts_with("call-[PHONE:"));
        let b = r.redact_identifier("138-1234-5678").text.into_owned();
        assert!(
            a.starts_with("[PHONE:") && a.len() == "[PHONE:]".len() + 12,
            "{a}"
        );
        assert_eq!(a, b);
        let r2 = RedactorBuilder::new().key(b"k2".to_vec()).build().unwrap();
        assert_ne!(a, r2.redact_identifier("13812345678").text);
        assert_eq!(PiiKind::placeholder_at(&a), Some((PiiKind::Phone, a.len())));
    }

    #[test]
    fn spans_point_at_placeholders() {
        let r = Redactor::new().unwrap();
        let out = r.redact("王先生说：我的邮箱是 wang@qq.com，电话13812345678。");
        let chars: Vec<char> = out.text.chars().collect();
        for x in &out.redactions {
            let s: String = chars[x.start..x.end].iter().collect();
            assert_eq!(s, x.kind.placeholder());
        }
        assert_eq!(out.redactions.len(), 3);
    }

    #[test]
    fn random_texts_do_not_panic_and_spans_hold() {
        // Characters that sit on the patterns' edges, in random strings.
        let palette: Vec<char> = "0123456789１２３,，.:：-+()[]@#№ \n是话姓叫王李先生я зовут Анна my name is ИНН СНИЛС паспорт粤BАВЕ订单号x".chars().collect();
        let r = Redactor::new().unwrap();
        let keyed = RedactorBuilder::new().key(b"k".to_vec()).build().unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(palette[(state % palette.len() as u64) as usize]);
            }
            for out in [r.redact(&text), keyed.redact_identifier(&text)] {
                let chars: Vec<char> = out.text.chars().collect();
                for x in &out.redactions {
                    let s: String = chars[x.start..x.end].iter().collect();
                    assert_eq!(
                        PiiKind::placeholder_at(&s).map(|p| p.0),
                        Some(x.kind),
                        "{text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn kinds_are_selectable() {
        let r = RedactorBuilder::new().kinds_str("email").build().unwrap();
        assert_eq!(r.redact("a@b.com 13812345678").text, "[EMAIL] 13812345678");
        let e = RedactorBuilder::new()
            .kinds_str("phone,nope")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`nope`"), "{e}");
        assert!(RedactorBuilder::new().kinds(Vec::new()).build().is_err());
    }
}
