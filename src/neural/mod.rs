//! The neural stages: one encoder pass per text gives the clause embedding,
//! sentiment and voice type, and the record's whole-text evidence.
//!
//! * [`encoder`] (cargo feature `onnx`): ONNX Runtime (`ort`, loaded
//!   dynamically) + `tokenizers`, sorted dynamic batches, a dedup cache;
//! * [`encoded`]: what the encoder gives for one text (embedding, logits),
//!   defined without the `onnx` feature;
//! * [`embedder`]: the [`embedder::Embedder`] trait, the seam between the
//!   pipeline and a model (the ONNX encoder implements it; tests plug in
//!   another without the feature);
//! * [`stage`]: the encoder stage over a batch (embedding, sentiment and
//!   voice type per clause; whole-text evidence; turn and record sentiment);
//! * [`sentiment`]: clause probabilities, turn and record aggregation (the
//!   trained combiner), voice type (pain / itch / delight / neutral);
//! * [`voice`]: the wish cues that back the itch head in every language;
//! * [`sentiment_eval`]: record sentiment and voice type scored through the
//!   product (`vocmine eval --records`).

pub mod embedder;
pub mod encoded;
#[cfg(feature = "onnx")]
pub mod encoder;
pub mod sentiment;
pub mod sentiment_eval;
pub mod stage;
pub mod voice;
