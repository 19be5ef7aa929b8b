//! Alerts as the output carries them: the rule that fired, its severity,
//! owner and deadline, and every trigger with its span. How rules fire is
//! [`crate::stages::alerts`].

use serde::{Deserialize, Serialize};

use crate::contract::conversation::ConversationFeature;
use crate::contract::record::RecordId;

/// How urgent an alert is. Ordered from the most urgent.
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
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Act now (default deadline 2 h).
    Critical,
    /// Act today (4 h).
    High,
    /// Act within a day (24 h).
    Medium,
    /// Act within three days (72 h).
    Low,
}

impl Severity {
    /// Every severity, most urgent first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The name used in YAML and JSON.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn rank(self) -> u32 {
        match self {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        }
    }

    /// The severity `levels` levels more urgent (at most critical).
    pub fn raised(self, levels: u32) -> Severity {
        let r = self.rank().saturating_sub(levels);
        Severity::ALL
            .get(r as usize)
            .copied()
            .unwrap_or(Severity::Critical)
    }
}

/// What triggered an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSource {
    /// A cue in a customer clause.
    Cue,
    /// A conversation feature of a `conversation` condition.
    Conversation,
}

/// One trigger of an alert, with its span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    /// A cue or a conversation feature.
    pub source: TriggerSource,
    /// Turn (`null` for text records).
    pub turn: Option<usize>,
    /// Char offset in the turn's (or the record's) original text.
    pub start: usize,
    /// Char offset one past the trigger.
    pub end: usize,
    /// The original text of the span.
    pub text: String,
    /// The cue as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cue: Option<String>,
    /// The conversation feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<ConversationFeature>,
    /// The turn's polarity (sentiment evidence of a feature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polarity: Option<f32>,
}

/// One alert: one rule that fired on one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// The record's id.
    pub record: RecordId,
    /// The record's input line (0 for records built in code).
    pub line: u64,
    /// The rule id.
    pub rule: String,
    /// Severity after raising.
    pub severity: Severity,
    /// The rule's severity before raising.
    pub base_severity: Severity,
    /// Who must act.
    pub owner: Option<String>,
    /// Response deadline, RFC 3339 (`null` when the record has no time).
    pub deadline: Option<String>,
    /// Response deadline in hours.
    pub deadline_hours: f64,
    /// Why the alert fired, in words.
    pub reason: String,
    /// The raisers that held, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub raised: Vec<String>,
    /// Every trigger with its span.
    pub triggers: Vec<Trigger>,
    /// Customer id, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Channel, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The record's time, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}
