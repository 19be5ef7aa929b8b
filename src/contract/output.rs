//! The output contract: one JSON object per input record.
//!
//! These types are what [`crate::Engine::analyze`] returns and what
//! `vocmine analyze` writes, one per line, in input order. The JSON Schema in
//! `schemas/record.schema.json` describes the same shape. Later pipeline
//! stages add fields (`sentiment`, `codes`, `points`, `conversation`,
//! `alerts`) to records and clauses; consumers must ignore fields they do not
//! know.

use serde::Serialize;
use serde_json::Value;

use crate::contract::alert::Alert;
use crate::contract::codes::{ClauseCode, Point, RecordCode};
use crate::contract::conversation::ConversationInsights;
use crate::contract::language::{Language, LanguageShare, Script};
use crate::contract::record::{RecordId, Role, Scores, Timestamp};
use crate::contract::redaction::Redaction;
use crate::contract::sentiment::{AggregateSentiment, Sentiment, Voice, VoiceCounts};
use crate::error::RecordError;

/// Whether a record is a single text or a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A single piece of feedback (`text`).
    Text,
    /// A conversation (`turns`).
    Conversation,
}

/// The analysis of one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The record's id (its line number when the input has none).
    pub id: RecordId,
    /// 1-based input line (0 for records built in code).
    pub line: u64,
    /// Text or conversation.
    pub kind: RecordKind,
    /// Record language: the language carrying most letters of the customer's
    /// clauses (of all clauses when no turn is the customer's).
    pub language: Language,
    /// Script of the record language (`Hans`/`Hant` for Chinese).
    pub script: Script,
    /// Share of each language in the record, largest first (more than one
    /// entry for mixed-language records).
    pub languages: Vec<LanguageShare>,
    /// Channel, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Touchpoint (journey stage), as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    /// Time, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Customer id, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Survey scores (valid ones only).
    #[serde(skip_serializing_if = "Scores::is_empty")]
    pub scores: Scores,
    /// `meta`, passed through unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    /// The original text (text records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The turns (conversation records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turns: Option<Vec<TurnAnalysis>>,
    /// Overall sentiment of the customer (with the neural encoder): the
    /// label a rater would give, with the clause evidence and the worst clause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<AggregateSentiment>,
    /// Counts of the voice types of the customer's clauses (with the neural
    /// encoder); with a codebook also the uncoded pains and itches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voices: Option<VoiceCounts>,
    /// Clauses in order of appearance.
    pub clauses: Vec<Clause>,
    /// Codes of the record: the codes of its customer clauses and their
    /// ancestors. Present exactly when a codebook ran (`[]` when it found
    /// nothing), as `analyze --codebook` and `reclassify` write it; absent
    /// without a codebook. [`Analysis::record_codes`] reads it as a slice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<RecordCode>>,
    /// Pain, itch and delight points of the record, one per (clause, code),
    /// each with its owner and span. Present exactly when a codebook ran,
    /// like `codes`. [`Analysis::record_points`] reads it as a slice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<Point>>,
    /// Conversation features (`turns` records only): customer sentiment
    /// trajectory, unresolved end, escalation request, repeat contact,
    /// agent apology and empathy, each with its evidence (turn and span).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationInsights>,
    /// Alerts of the record (engines with alert rules), most severe first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
    /// Problems with optional fields that were dropped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<RecordError>,
    /// Personal data redacted (engines that redact): the placeholders'
    /// spans in the record's `text`, then those in other fields (with
    /// `field`: `id`, `customer`, `channel`, `touchpoint`, `meta.…`).
    /// A turn's are in its own `redactions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redactions: Vec<Redaction>,
}

impl Analysis {
    /// The record's codes (empty when no codebook ran or it found nothing).
    pub fn record_codes(&self) -> &[RecordCode] {
        self.codes.as_deref().unwrap_or_default()
    }

    /// The record's points (empty when no codebook ran or it found none).
    pub fn record_points(&self) -> &[Point] {
        self.points.as_deref().unwrap_or_default()
    }
}

/// One analyzed turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnAnalysis {
    /// Index in the input `turns` list.
    pub turn: usize,
    /// Speaker label as given.
    pub speaker: String,
    /// The speaker's role.
    pub role: Role,
    /// Language of the turn.
    pub language: Language,
    /// Script of the turn.
    pub script: Script,
    /// Time of the turn, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Sentiment of the turn's clauses, aggregated (turns whose clauses were encoded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<AggregateSentiment>,
    /// The turn's original text (redacted, when the engine redacts).
    pub text: String,
    /// Personal data redacted in the turn (engines that redact): the
    /// placeholders' spans in `text`, and in the `speaker` (with `field`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redactions: Vec<Redaction>,
}

/// One clause, pointing at its span in the original text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    /// The clause text, exactly `original[start..end]` (in chars).
    pub text: String,
    /// Index of the turn in `turns`; `null` for text records.
    pub turn: Option<usize>,
    /// Speaker label of the turn; `null` for text records.
    pub speaker: Option<String>,
    /// Role of the speaker (`customer` for text records).
    pub role: Role,
    /// Char (Unicode scalar) offset of the clause start in the turn's (or the record's) original text.
    pub start: usize,
    /// Char offset one past the clause end.
    pub end: usize,
    /// Language of the clause.
    pub language: Language,
    /// Script of the clause.
    pub script: Script,
    /// Tokens, when requested (`--tokens`, [`crate::EngineBuilder::tokens`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<TokenOut>>,
    /// Sentiment of the clause (with the neural encoder; customer clauses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Voice type of the clause: pain, itch, delight or neutral (with the
    /// neural encoder; customer clauses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<Voice>,
    /// Codes of the clause (with a codebook; customer clauses only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<ClauseCode>,
}

/// A token in the output (owned; see [`crate::text::tokens::Token`] for the borrowing form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenOut {
    /// The original surface text, `original[start..end]`.
    pub text: String,
    /// Normalized form used for matching (lowercase, simplified Chinese, ё→е).
    pub norm: String,
    /// Snowball stem, when it differs from `norm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stem: Option<String>,
    /// What the token is.
    pub kind: TokenKind,
    /// Char offset of the token start in the turn's original text.
    pub start: usize,
    /// Char offset one past the token end.
    pub end: usize,
    /// Stopword of its language.
    pub stop: bool,
    /// A negator (不, не, not, ...).
    pub negator: bool,
    /// Inside a negation scope.
    pub negated: bool,
    /// jieba part-of-speech tag (Chinese words only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pos: Option<&'static str>,
}

/// The output line of a record that could not be analyzed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The record's id, or its line number when the id could not be read.
    pub id: RecordId,
    /// 1-based input line.
    pub line: u64,
    /// What went wrong.
    pub error: RecordError,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A word (Chinese word, or a run of letters and digits).
    Word,
    /// A number.
    Number,
    /// An emoji (with its modifiers and joiners).
    Emoji,
    /// A URL.
    Url,
    /// An `@mention`.
    Mention,
    /// A `#hashtag`.
    Hashtag,
    /// A redaction placeholder (`[PHONE]`, `[NAME]`): personal data that
    /// was removed; never a word, a term or a keyword.
    Redacted,
}
