//! What an encoder gives for one text: the embedding and the heads' logits
//! (sentiment, itch), shared between the stages that read them. Defined
//! without the `onnx` feature, so that the batch stages and their tests can
//! carry encodings from any embedder.

use std::sync::Arc;

/// The result of encoding one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// The sentence embedding (L2-normalized when the config says so); empty
    /// for classifiers without an embedding output, and where the text was
    /// encoded for its heads alone
    /// ([`crate::neural::embedder::Embedder::encode_heads`]).
    pub embedding: Vec<f32>,
    /// Logits over the config's labels, if the model has them.
    pub logits: Option<Vec<f32>>,
    /// The itch logit, if the model has `outputs.itch`.
    pub itch: Option<f32>,
    /// Whether the text was cut at `max_length` tokens.
    pub truncated: bool,
}

/// A shared encoding of one clause or text (see [`Encoded`]).
pub type Embedding = Arc<Encoded>;
