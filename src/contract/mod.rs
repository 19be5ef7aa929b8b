//! The contract: what goes in ([`record`]) and what comes out ([`output`],
//! one JSON object per record; its JSON Schema is
//! [`crate::OUTPUT_SCHEMA`]).

pub mod output;
pub mod record;
