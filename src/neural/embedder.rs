//! The seam between the pipeline and a model: an [`Embedder`] turns texts
//! into [`Embedding`]s (a vector and the heads' logits). The ONNX
//! [`crate::neural::encoder::Encoder`] (cargo feature `onnx`) is one; tests
//! and callers can plug in another without the feature.

use std::fmt;

use crate::error::Result;
use crate::neural::encoded::Embedding;
use crate::neural::sentiment::{LabelMap, RecordModel};

/// Encodes texts for the encoder stage ([`crate::neural::stage::EncoderStage`]).
pub trait Embedder: Send + Sync + fmt::Debug {
    /// Encodes clauses, one result per text, in order (cut at the model's
    /// clause limit).
    fn encode(&self, texts: &[&str]) -> Result<Vec<Embedding>>;

    /// Encodes whole texts (a record's or a turn's), cut at the model's
    /// limit for whole texts.
    fn encode_whole(&self, texts: &[&str]) -> Result<Vec<Embedding>>;

    /// Where `negative`, `neutral` and `positive` sit in the logits, when
    /// the model has a three-class sentiment head (`None`: no sentiment).
    fn sentiment_labels(&self) -> Option<LabelMap>;

    /// The trained combiner of whole-text and clause evidence into the
    /// record sentiment, when the model has one.
    fn record_model(&self) -> Option<&RecordModel>;
}

#[cfg(feature = "onnx")]
impl Embedder for crate::neural::encoder::Encoder {
    fn encode(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        crate::neural::encoder::Encoder::encode(self, texts)
    }

    fn encode_whole(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        let c = self.config();
        self.encode_max(texts, c.text_max_length.unwrap_or(c.max_length))
    }

    fn sentiment_labels(&self) -> Option<LabelMap> {
        let c = self.config();
        c.outputs
            .logits
            .as_ref()
            .and_then(|_| LabelMap::from_labels(&c.labels))
    }

    fn record_model(&self) -> Option<&RecordModel> {
        self.config().record_sentiment.as_ref()
    }
}
