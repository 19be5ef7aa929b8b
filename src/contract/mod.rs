//! The contract: what goes in ([`record`]) and what comes out ([`output`],
//! one JSON object per record; its JSON Schema is
//! [`crate::OUTPUT_SCHEMA`]), with the types the stages fill in
//! ([`language`], [`sentiment`], [`codes`], [`conversation`], [`alert`],
//! [`redaction`]).
//!
//! This layer holds types and their accessors, no stage logic, and depends
//! on no stage: every stage depends on it.

pub mod alert;
pub mod codes;
pub mod conversation;
pub mod language;
pub mod output;
pub mod record;
pub mod redaction;
pub mod sentiment;
