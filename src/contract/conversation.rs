//! Conversation features as the output carries them: the customer's
//! sentiment trajectory and the yes/no features with their evidence spans.
//! How they are found is [`crate::stages::conversation`].

use serde::{Deserialize, Serialize};

use crate::contract::output::Analysis;
use crate::contract::sentiment::Polarity;

/// A conversation feature, by name (as alert conditions refer to them).
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
pub enum ConversationFeature {
    /// The last customer turn is negative or says the problem is not solved.
    UnresolvedAtEnd,
    /// The customer asks for a manager or a complaint.
    EscalationRequest,
    /// The customer has contacted before about the same thing.
    RepeatContact,
    /// An agent apologizes.
    AgentApology,
    /// An agent shows understanding.
    AgentEmpathy,
    /// Customer polarity rose from the first to the last turn.
    SentimentImproved,
    /// Customer polarity fell from the first to the last turn.
    SentimentWorsened,
}

impl ConversationFeature {
    /// Every feature, in output order.
    pub const ALL: [ConversationFeature; 7] = [
        ConversationFeature::UnresolvedAtEnd,
        ConversationFeature::EscalationRequest,
        ConversationFeature::RepeatContact,
        ConversationFeature::AgentApology,
        ConversationFeature::AgentEmpathy,
        ConversationFeature::SentimentImproved,
        ConversationFeature::SentimentWorsened,
    ];

    /// The name used in JSON and YAML.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Where a feature was seen: a cue occurrence, or a turn's sentiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Index of the turn in `turns`.
    pub turn: Option<usize>,
    /// Char offset in the turn's original text.
    pub start: usize,
    /// Char offset one past the evidence.
    pub end: usize,
    /// The original text (the cue occurrence, or the whole turn for
    /// sentiment evidence).
    pub text: String,
    /// The cue as written (cue evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cue: Option<String>,
    /// The turn's polarity (sentiment evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polarity: Option<f32>,
}

/// A yes/no feature with its evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Feature {
    /// Whether the feature is present.
    pub present: bool,
    /// Why (empty when absent).
    pub evidence: Vec<Evidence>,
}

/// How the customer's sentiment moved over the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trajectory {
    /// The first customer turn with a sentiment.
    pub first_turn: usize,
    /// Its polarity (−1…1).
    pub first_polarity: f32,
    /// Its label.
    pub first_label: Polarity,
    /// The last customer turn with a sentiment.
    pub last_turn: usize,
    /// Its polarity.
    pub last_polarity: f32,
    /// Its label.
    pub last_label: Polarity,
    /// `last_polarity − first_polarity`.
    pub change: f32,
    /// The change reaches `trajectory_min_change`.
    pub improved: bool,
    /// The change reaches `−trajectory_min_change`.
    pub worsened: bool,
}

/// The conversation features of one `turns` record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationInsights {
    /// Number of turns.
    pub turns: usize,
    /// Number of customer turns.
    pub customer_turns: usize,
    /// Number of agent turns.
    pub agent_turns: usize,
    /// The last customer turn, if any.
    pub last_customer_turn: Option<usize>,
    /// Customer sentiment from the first to the last turn (`null` without
    /// sentiment, or with fewer than two customer turns that have one).
    pub trajectory: Option<Trajectory>,
    /// The conversation ends with an unresolved or negative customer turn.
    pub unresolved_at_end: Feature,
    /// The customer asks for a manager or a complaint.
    pub escalation_request: Feature,
    /// The customer has contacted before.
    pub repeat_contact: Feature,
    /// An agent apologizes.
    pub agent_apology: Feature,
    /// An agent shows understanding.
    pub agent_empathy: Feature,
}

impl ConversationInsights {
    /// Whether a feature is present.
    pub fn has(&self, feature: ConversationFeature) -> bool {
        match feature {
            ConversationFeature::SentimentImproved => {
                self.trajectory.as_ref().is_some_and(|t| t.improved)
            }
            ConversationFeature::SentimentWorsened => {
                self.trajectory.as_ref().is_some_and(|t| t.worsened)
            }
            f => self.feature(f).is_some_and(|x| x.present),
        }
    }

    /// The yes/no feature of that name (`None` for the trajectory flags).
    pub fn feature(&self, feature: ConversationFeature) -> Option<&Feature> {
        match feature {
            ConversationFeature::UnresolvedAtEnd => Some(&self.unresolved_at_end),
            ConversationFeature::EscalationRequest => Some(&self.escalation_request),
            ConversationFeature::RepeatContact => Some(&self.repeat_contact),
            ConversationFeature::AgentApology => Some(&self.agent_apology),
            ConversationFeature::AgentEmpathy => Some(&self.agent_empathy),
            ConversationFeature::SentimentImproved | ConversationFeature::SentimentWorsened => None,
        }
    }

    /// The evidence of a present feature (for the trajectory flags: the
    /// first and the last customer turn, with their polarity); empty when
    /// the feature is absent.
    pub fn evidence(&self, feature: ConversationFeature, a: &Analysis) -> Vec<Evidence> {
        if !self.has(feature) {
            return Vec::new();
        }
        if let Some(f) = self.feature(feature) {
            return f.evidence.clone();
        }
        let Some(t) = &self.trajectory else {
            return Vec::new();
        };
        [
            (t.first_turn, t.first_polarity),
            (t.last_turn, t.last_polarity),
        ]
        .into_iter()
        .map(|(turn, polarity)| turn_evidence(a, turn, polarity))
        .collect()
    }
}

/// Evidence spanning a whole turn, with its polarity.
pub(crate) fn turn_evidence(a: &Analysis, turn: usize, polarity: f32) -> Evidence {
    let text = a
        .turns
        .as_ref()
        .and_then(|ts| ts.get(turn))
        .map(|t| t.text.clone())
        .unwrap_or_default();
    Evidence {
        turn: Some(turn),
        start: 0,
        end: text.chars().count(),
        text,
        cue: None,
        polarity: Some(polarity),
    }
}
