//! # vocmine
//!
//! Conversational text mining for voice-of-customer (VoC) analytics in
//! Chinese (simplified and traditional), Russian and English.
//!
//! One pipeline, one module per stage, each stage small and replaceable:
//!
//! ```text
//! record ─▶ normalize ─▶ language ─▶ clauses (spans) ─▶ tokens ─▶ … later stages
//!           normalize.rs  language.rs  clauses.rs         tokens.rs
//!           (encoder, codebook, points, alerts; then clusters, metrics over a corpus)
//! ```
//!
//! * [`record`]: input records (a text or a conversation) and their validation;
//! * [`input`]: streaming JSON Lines and CSV readers with bounded memory;
//! * [`normalize`]: NFKC, width, whitespace, traditional→simplified folding
//!   for matching, with every character mapped back to the original;
//! * [`language`]: script rules + whatlang over an allowlist;
//! * [`clauses`]: sentence punctuation and contrast connectives;
//! * [`tokens`]: jieba-rs for Chinese, Snowball stems for Russian and
//!   English, emoji, negation scope;
//! * [`engine`]: the [`Engine`] that runs the stages on a record;
//! * [`output`]: the output contract ([`Analysis`], one JSON object per record);
//! * [`run`]: streaming runs in input order, whatever the thread count;
//! * [`voice`]: wish cues of the voice type (pain, itch, delight, neutral);
//! * [`codebook`]: the codebook (码框) and points stages: rules, exemplars
//!   and learned classifiers; pain, itch and delight per (clause, code);
//! * [`conversation`]: conversation features (sentiment trajectory,
//!   unresolved end, escalation request, repeat contact, agent apology and
//!   empathy) with their evidence;
//! * [`alerts`]: alert rules (YAML): churn, regulator, legal, safety and
//!   escalation alerts with severity, owner, deadline and trigger spans;
//! * `store` (cargo feature `store`): the Parquet result store and
//!   reclassification input;
//! * [`keywords`]: corpus keywords (TF-IDF, TextRank for Chinese);
//! * [`analytics`]: NPS, CSAT and CES with 95% intervals, key drivers, trends, before/after tests;
//! * [`cluster`]: hot issues: HNSW kNN graph + Leiden clusters, labels, hotness, codebook gaps.
//!
//! ```
//! use vocmine::{Engine, Record, Turn};
//!
//! let engine = Engine::new()?;
//! let call = Record::conversation("c1", vec![
//!     Turn::new("agent", "您好，请问有什么可以帮您？"),
//!     Turn::new("customer", "车机又死机了，这已经是第三次了"),
//!     Turn::new("customer", "好的"),
//! ]);
//! let out = engine.analyze(&call)?;
//! assert_eq!(out.language.code(), "zh");
//! // The agent's greeting is two clauses; the customer's first clause follows.
//! let c = out.clauses.iter().find(|c| c.role == vocmine::Role::Customer).unwrap();
//! assert_eq!((c.turn, c.start, c.end), (Some(1), 0, 6));
//! assert_eq!(c.text, "车机又死机了");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod alerts;
pub mod analytics;
pub mod clauses;
pub mod cluster;
pub mod codebook;
pub mod conversation;
#[cfg(feature = "onnx")]
pub mod encoder;
pub mod engine;
pub mod error;
pub mod input;
pub mod keywords;
pub mod language;
pub mod normalize;
pub mod npy;
pub mod output;
#[cfg(feature = "store")]
pub mod reclassify;
pub mod record;
pub mod run;
pub mod sentiment;
pub mod sentiment_eval;
#[cfg(feature = "store")]
pub mod store;
pub mod tokens;
pub mod voice;

pub use codebook::{Codebook, CodebookSpec, PointKind};
pub use engine::{Engine, EngineBuilder};
pub use error::{Error, RecordError, RecordErrorKind, Result};
pub use language::{Language, Script};
pub use output::{Analysis, Clause, Outcome, TokenOut};
pub use record::{Body, Record, RecordId, Role, Scores, Timestamp, Turn};

/// The JSON Schema of one output line of `vocmine analyze`.
pub const OUTPUT_SCHEMA: &str = include_str!("../schemas/record.schema.json");
