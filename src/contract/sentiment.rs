//! Sentiment and voice types of the output: the clause sentiment, the
//! overall sentiment of turns and records, the voice type (pain / itch /
//! delight / neutral) and its counts. How they are computed is
//! [`crate::neural::sentiment`].

use serde::Serialize;

/// The three sentiment classes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// A complaint, a problem, a negative experience.
    Negative,
    /// Neither (a question, a fact, a request).
    Neutral,
    /// A positive experience.
    Positive,
}

impl Polarity {
    /// The serialized name: `negative`, `neutral` or `positive`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The polarity named by [`as_str`](Self::as_str) (`None` for others).
    pub fn parse(s: &str) -> Option<Polarity> {
        s.parse().ok()
    }
}

/// The sentiment of one clause.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    /// The most probable class.
    pub label: Polarity,
    /// Its probability.
    pub confidence: f32,
    /// p(positive) − p(negative), −1…1.
    pub polarity: f32,
    /// Probabilities of negative, neutral, positive.
    pub probs: Probs,
}

/// Class probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Probs {
    /// p(negative).
    pub negative: f32,
    /// p(neutral).
    pub neutral: f32,
    /// p(positive).
    pub positive: f32,
}

/// The sentiment of a turn or a record: its overall label and the clause
/// evidence (see [`crate::neural::sentiment`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AggregateSentiment {
    /// How the customer feels overall: the most probable class of `overall`.
    pub label: Polarity,
    /// p(`label`) in `overall`.
    pub confidence: f32,
    /// Overall class probabilities (the trained combination of the
    /// whole-text and the clause evidence).
    pub overall: Probs,
    /// Class probabilities of the unit's whole text, when it was read as
    /// evidence: units of two or more encoded clauses whose clauses alone
    /// leave the label open (the model's `text_gate`; a one-clause unit's
    /// text is its clause).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Probs>,
    /// Mean clause polarity, weighted by clause length.
    pub polarity: f32,
    /// The most negative clause polarity.
    pub min_polarity: f32,
    /// The most positive clause polarity.
    pub max_polarity: f32,
    /// A strong complaint and a strong praise in the same unit.
    pub mixed: bool,
    /// The most negative clause, when any clause is labelled negative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<WorstClause>,
    /// Mean clause class probabilities, weighted by clause length.
    pub probs: Probs,
    /// Clauses aggregated.
    pub clauses: usize,
}

impl AggregateSentiment {
    /// A unit sentiment whose overall label is given by its polarity alone
    /// (for tests and callers without clause evidence): `probs` and
    /// `overall` are empty, `confidence` is 1.
    pub fn from_polarity(label: Polarity, polarity: f32) -> AggregateSentiment {
        AggregateSentiment {
            label,
            confidence: 1.0,
            overall: Probs::default(),
            text: None,
            polarity,
            min_polarity: polarity,
            max_polarity: polarity,
            mixed: false,
            worst: None,
            probs: Probs::default(),
            clauses: 1,
        }
    }
}

/// The most negative clause of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorstClause {
    /// Index of the clause in the record's `clauses`.
    pub clause: usize,
    /// Its turn (`null` for text records).
    pub turn: Option<usize>,
    /// Start of its span in the original text (chars).
    pub start: usize,
    /// End of its span (chars, exclusive).
    pub end: usize,
    /// Its p(negative).
    pub negative: f32,
}

/// The voice type of a customer clause.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum VoiceType {
    /// A complaint or problem (痛点).
    Pain,
    /// A wish, suggestion or unmet need (痒点).
    Itch,
    /// Praise (悦点).
    Delight,
    /// A question, request or plain fact.
    Neutral,
}

impl VoiceType {
    /// All four, in output order.
    pub const ALL: [VoiceType; 4] = [
        VoiceType::Pain,
        VoiceType::Itch,
        VoiceType::Delight,
        VoiceType::Neutral,
    ];

    /// The serialized name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The type named by [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<VoiceType> {
        s.parse().ok()
    }
}

/// Probabilities of the four voice types.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct VoiceProbs {
    /// p(pain).
    pub pain: f32,
    /// p(itch).
    pub itch: f32,
    /// p(delight).
    pub delight: f32,
    /// p(neutral).
    pub neutral: f32,
}

impl VoiceProbs {
    /// The probability of one voice type.
    pub fn of(&self, label: VoiceType) -> f32 {
        match label {
            VoiceType::Pain => self.pain,
            VoiceType::Itch => self.itch,
            VoiceType::Delight => self.delight,
            VoiceType::Neutral => self.neutral,
        }
    }
}

/// The voice type of a customer clause (see [`crate::neural::sentiment`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Voice {
    /// The voice type.
    pub label: VoiceType,
    /// Its probability.
    pub confidence: f32,
    /// All four probabilities.
    pub probs: VoiceProbs,
    /// A wish cue of the clause's language matched.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cue: bool,
}

/// Counts of the voice types of a record's customer clauses; with a
/// codebook, also the pains and itches that no code caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct VoiceCounts {
    /// Pain clauses.
    pub pain: usize,
    /// Itch clauses.
    pub itch: usize,
    /// Delight clauses.
    pub delight: usize,
    /// Neutral clauses.
    pub neutral: usize,
    /// Pain clauses without a code (engines with a codebook).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncoded_pain: Option<usize>,
    /// Itch clauses without a code (engines with a codebook).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncoded_itch: Option<usize>,
}

impl VoiceCounts {
    /// Counts one clause of this type.
    pub fn add(&mut self, v: VoiceType) {
        match v {
            VoiceType::Pain => self.pain += 1,
            VoiceType::Itch => self.itch += 1,
            VoiceType::Delight => self.delight += 1,
            VoiceType::Neutral => self.neutral += 1,
        }
    }

    /// The record's one voice for scoring against a one-label gold: itch if
    /// any clause is an itch, else pain, else delight, else neutral.
    pub fn dominant(&self) -> VoiceType {
        if self.itch > 0 {
            VoiceType::Itch
        } else if self.pain > 0 {
            VoiceType::Pain
        } else if self.delight > 0 {
            VoiceType::Delight
        } else {
            VoiceType::Neutral
        }
    }
}
