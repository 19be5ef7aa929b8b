//! The neural stages: one encoder pass per text gives the clause embedding,
//! sentiment and voice type, and the record's whole-text evidence.
//!
//! * [`encoder`] (cargo feature `onnx`): ONNX Runtime (`ort`, loaded
//!   dynamically) + `tokenizers`, sorted dynamic batches, a dedup cache;
//! * [`sentiment`]: clause probabilities, turn and record aggregation (the
//!   trained combiner), voice type (pain / itch / delight / neutral);
//! * [`voice`]: the wish cues that back the itch head in every language;
//! * [`sentiment_eval`]: record sentiment and voice type scored through the
//!   product (`vocmine eval --records`).

#[cfg(feature = "onnx")]
pub mod encoder;
pub mod sentiment;
pub mod sentiment_eval;
pub mod voice;
