//! Codes and points as the output carries them: the codes of a clause and of
//! a record, the pain / itch / delight points with their spans. How they are
//! given is [`crate::stages::codebook`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Why a code was given to a clause.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Evidence {
    /// The term (or regex) of the first matching rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Centred similarity to the code's exemplars.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt3")]
    pub exemplar: Option<f32>,
    /// Probability from the learned classifier.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt3")]
    pub learned: Option<f32>,
}

/// A code on a clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseCode {
    /// The code id.
    pub code: Arc<str>,
    /// Combined evidence score, 0..1.
    #[serde(serialize_with = "ser3")]
    pub score: f32,
    /// Pain, itch, delight or mention.
    pub point: PointKind,
    /// The owning department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Arc<str>>,
    /// The evidence.
    pub evidence: Evidence,
}

/// A code of a record: clause codes and their ancestors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordCode {
    /// The code id.
    pub code: Arc<str>,
    /// Customer clauses carrying the code (or one of its descendants).
    pub clauses: u32,
    /// The record's point on this code: the point most of its evidence carries
    /// (clause scores summed per point; ties go to pain, then itch, delight).
    pub point: PointKind,
    /// The owning department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Arc<str>>,
    /// True when the code is here only as the ancestor of a matched code.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rolled_up: bool,
}

/// A pain, itch or delight point of a record, with its span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The code id.
    pub code: Arc<str>,
    /// Pain, itch or delight.
    pub point: PointKind,
    /// The owning department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Arc<str>>,
    /// Turn of the clause (`null` for text records).
    pub turn: Option<usize>,
    /// Char offset of the clause in its turn's (or the record's) text.
    pub start: usize,
    /// Char offset one past the clause.
    pub end: usize,
    /// The clause text.
    pub text: String,
}

fn ser3<S: serde::Serializer>(x: &f32, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*x) * 1000.0).round() / 1000.0)
}

fn ser_opt3<S: serde::Serializer>(x: &Option<f32>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match x {
        Some(v) => ser3(v, s),
        None => s.serialize_none(),
    }
}

/// A point type: what a (clause, code) pair tells the owner.
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
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    /// A negative experience or problem (痛点).
    Pain,
    /// A wish, suggestion or unmet expectation (痒点).
    Itch,
    /// A clearly positive experience, especially beyond expectation (悦点).
    Delight,
    /// The code is mentioned without a pain, itch or delight.
    Mention,
}

impl PointKind {
    /// All kinds, in output order.
    pub const ALL: [PointKind; 4] = [
        PointKind::Pain,
        PointKind::Itch,
        PointKind::Delight,
        PointKind::Mention,
    ];

    /// The name used in JSON (`pain`, `itch`, `delight`, `mention`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a point name.
    pub fn parse(s: &str) -> Option<PointKind> {
        s.trim().to_lowercase().parse().ok()
    }
}
