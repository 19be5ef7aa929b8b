//! The text stages: what is read from a record's characters before any
//! model runs.
//!
//! ```text
//! text ─▶ (redact) ─▶ normalize ─▶ clauses (spans) ─▶ language ─▶ tokens
//! ```
//!
//! * [`redact`] (when asked for): personal data replaced by typed
//!   placeholders in every field of the record, before anything else reads it;
//! * [`normalize`]: NFKC, width, whitespace and traditional→simplified
//!   folding for matching, with every character mapped back to the original;
//! * [`clauses`]: sentence punctuation and contrast connectives, spans in
//!   the original text;
//! * [`language`]: script rules + whatlang over an allowlist, per clause and
//!   per record;
//! * [`tokens`]: jieba-rs for Chinese, Snowball stems for Russian and
//!   English, emoji, stopwords, negation scope;
//! * [`terms`]: a clause's terms (folded text and stems) and the compiled
//!   term sets that the codebook, conversation and alert stages match on
//!   them (Aho-Corasick).
//!
//! Each stage is a trait ([`clauses::ClauseSplit`],
//! [`language::LanguageIdentifier`], [`tokens::Segment`]) with a default
//! implementation that the [`crate::EngineBuilder`] can replace.

pub mod clauses;
pub mod language;
pub mod normalize;
pub mod redact;
pub mod terms;
pub mod tokens;
