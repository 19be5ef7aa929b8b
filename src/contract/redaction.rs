//! Redactions: what PII redaction ([`crate::text::redact`]) replaced, as
//! the output reports it.
//!
//! With redaction on, every text the engine writes is the *redacted* text:
//! each detected span is replaced by a typed placeholder (`[PHONE]`,
//! `[EMAIL]`, …) before the text is cut into clauses, so every span of
//! the output (clauses, tokens, evidence, points) is an offset into the
//! redacted text, and a [`Redaction`] gives the placeholder's span there.

use serde::Serialize;

/// A kind of personal data.
///
/// The order is the priority when two detections overlap (an e-mail wins
/// over a phone number inside it; an ID number over a card number).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PiiKind {
    /// An e-mail address.
    Email,
    /// A Chinese resident identity card number (18 characters, ISO 7064
    /// MOD 11-2 check character, valid birth date).
    IdCn,
    /// A bank card number (13–19 digits of a known issuer range, Luhn check digit).
    Card,
    /// A Russian SNILS (insurance number, check number).
    Snils,
    /// A Russian INN (taxpayer number, check digits).
    Inn,
    /// A Russian passport number (series and number).
    PassportRu,
    /// A phone number: Chinese mobile and landline, Russian, North
    /// American, international (`+` and 8–15 digits).
    Phone,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A Chinese or Russian licence plate.
    Plate,
    /// A person's name introduced by a cue (我叫…, меня зовут…, my name is…)
    /// or a title (王先生, Mr Smith).
    Name,
}

impl PiiKind {
    /// Every kind, in priority order.
    pub const ALL: [PiiKind; 10] = [
        PiiKind::Email,
        PiiKind::IdCn,
        PiiKind::Card,
        PiiKind::Snils,
        PiiKind::Inn,
        PiiKind::PassportRu,
        PiiKind::Phone,
        PiiKind::Ip,
        PiiKind::Plate,
        PiiKind::Name,
    ];

    /// The snake_case name (`phone`, `id_cn`, …).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The placeholder that replaces a span of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::IdCn => "[ID_CN]",
            PiiKind::Card => "[CARD]",
            PiiKind::Snils => "[SNILS]",
            PiiKind::Inn => "[INN]",
            PiiKind::PassportRu => "[PASSPORT]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Ip => "[IP]",
            PiiKind::Plate => "[PLATE]",
            PiiKind::Name => "[NAME]",
        }
    }

    /// The kind whose placeholder starts `s` (`[PHONE]…` or a pseudonym
    /// `[PHONE:3fa9…]`), and the placeholder's length in bytes.
    pub fn placeholder_at(s: &str) -> Option<(PiiKind, usize)> {
        let rest = s.strip_prefix('[')?;
        let close = rest.find(']')?;
        let inner = &rest[..close];
        let name = inner.split_once(':').map_or(inner, |(n, _)| n);
        let kind = PiiKind::ALL
            .into_iter()
            .find(|k| &k.placeholder()[1..k.placeholder().len() - 1] == name)?;
        if let Some((_, tag)) = inner.split_once(':') {
            if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
        }
        Some((kind, close + 2))
    }
}

impl std::fmt::Display for PiiKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One redacted span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redaction {
    /// What was redacted.
    pub kind: PiiKind,
    /// Char offset of the placeholder in the redacted text (of the turn,
    /// the record's text, or `field`).
    pub start: usize,
    /// Char offset one past the placeholder.
    pub end: usize,
    /// The field the span is in, when it is not the text itself (`id`,
    /// `customer`, `channel`, `touchpoint`, `speaker`, `meta.contact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
