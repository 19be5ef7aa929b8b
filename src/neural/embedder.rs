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

    /// Like [`Embedder::encode`], for a caller that reads only the heads'
    /// outputs (logits, itch): the embedding may come back empty, sparing
    /// the model the work only the embedding needs. The heads' outputs are
    /// the same as [`Embedder::encode`]'s. Default: [`Embedder::encode`].
    fn encode_heads(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        self.encode(texts)
    }

    /// [`Embedder::encode_whole`] for the heads' outputs only (see
    /// [`Embedder::encode_heads`]). Default: [`Embedder::encode_whole`].
    fn encode_whole_heads(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        self.encode_whole(texts)
    }

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
        self.encode_max(texts, self.config().whole_text_max_length())
    }

    fn encode_heads(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        crate::neural::encoder::Encoder::encode_heads(self, texts, self.config().max_length)
    }

    fn encode_whole_heads(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        let max = self.config().whole_text_max_length();
        crate::neural::encoder::Encoder::encode_heads(self, texts, max)
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
