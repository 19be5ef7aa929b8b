//! # vocmine
//!
//! Conversational text mining for voice-of-customer (VoC) analytics in
//! Chinese (simplified and traditional), Russian and English.
//!
//! One pipeline, one folder per stage kind, each stage small and replaceable:
//!
//! ```text
//! record ─▶ normalize ─▶ clauses ─▶ language ─▶ tokens ─▶ encoder ─▶ codebook + points ─▶ conversation ─▶ alerts
//!           └──────────────── text/ ────────────────┘   neural/    └──────────────── stages/ ────────────┘
//! corpus:   clusters ─▶ hotness, gaps, drafts · metrics, drivers, trends, compare · keywords   (corpus/)
//! ```
//!
//! * [`contract`]: what goes in ([`contract::record`]: a text or a
//!   conversation, validated) and what comes out ([`contract::output`]: the
//!   [`Analysis`] of each record, one JSON object per record, and the
//!   types the stages fill in); it depends on no stage;
//! * [`batch`]: what flows through the batch stages, each analysis beside
//!   its working state (clause embeddings and terms; never serialized);
//! * [`text`]: normalize, clauses, language, tokens;
//! * [`neural`]: the ONNX encoder (cargo feature `onnx`), sentiment and
//!   voice type;
//! * [`stages`]: codebook and points, conversation features, alerts;
//! * [`engine`]: the [`Engine`] that runs the stages on a record and on a
//!   batch of records;
//! * [`corpus`]: clusters (hot issues), analytics (NPS / CSAT / CES,
//!   drivers, trends, compare), keywords;
//! * [`io`]: streaming input, runs in input order, the Parquet store and
//!   reclassification (cargo feature `store`), `.npy` files;
//! * [`lang`]: language packs, what vocmine knows about each language as
//!   data files (stopwords, negators, wish cues, conversation cues);
//! * [`error`]: one error type, and the per-record error written in place of
//!   a result.
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

pub mod batch;
pub mod contract;
pub mod corpus;
pub mod engine;
pub mod error;
pub mod io;
pub mod lang;
pub mod neural;
mod numeric;
pub mod stages;
pub mod text;

pub use batch::{Analyzed, ClauseWork, Outcome, Work};
pub use contract::output::{Analysis, Clause, TokenOut};
pub use contract::record::{Body, Record, RecordId, Role, Scores, Timestamp, Turn};
pub use engine::{Engine, EngineBuilder};
pub use error::{Error, RecordError, RecordErrorKind, Result, TableError};
pub use stages::codebook::{Codebook, CodebookSpec, PointKind};
pub use text::language::{Language, Script};

/// The JSON Schema of one output line of `vocmine analyze`.
pub const OUTPUT_SCHEMA: &str = include_str!("../schemas/record.schema.json");
