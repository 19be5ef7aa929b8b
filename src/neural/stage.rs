//! The encoder stage: one pass of the [`Embedder`] over a batch gives every
//! encoded clause its embedding, sentiment and voice type, and every unit
//! (record or turn) of two or more encoded clauses whose clauses leave its
//! sentiment open ([`WholeText`]) its whole-text evidence; the turn and
//! record sentiment and the record's voice counts follow.

use std::sync::Arc;

use crate::batch::{Analyzed, Context, Outcome, Stage};
use crate::contract::output::{Analysis, Clause};
use crate::contract::record::Role;
use crate::error::Result;
use crate::neural::embedder::Embedder;
use crate::neural::sentiment::{
    aggregate, text_probs, unit_evidence, LabelMap, Probs, Voice, VoiceCounts,
};
use crate::neural::voice::WishCues;

/// When a unit's whole text is one more encoder input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WholeText {
    /// When the clause evidence alone does not decide the unit's sentiment:
    /// the model's combiner, given the clause mean in the whole text's
    /// place, is less sure than its `text_gate`
    /// ([`crate::neural::sentiment::RecordModel::text_gate`]). A model
    /// without a gate encodes every unit of two or more clauses whole.
    #[default]
    WhenUndecided,
    /// Every unit of two or more encoded clauses, for callers that keep the
    /// whole-text embedding (a store's record embedding, clustering whole
    /// records); the sentiment is the same as with
    /// [`WholeText::WhenUndecided`]: where the clauses decide, the whole
    /// text is encoded for its embedding, not read as evidence.
    Always,
    /// Every unit of two or more encoded clauses, its whole text always
    /// read as evidence (no gate): what the combiner is trained on
    /// (`vocmine eval --evidence`).
    AlwaysAsEvidence,
}

/// When the encoder stage computes embeddings, the clauses' and the whole
/// texts' ([`crate::batch::Context::embeddings`]). Sentiment and voice
/// types are the same either way: a graph whose heads do not read the
/// embedding (`inputs.embedding_wanted` in its config) skips the layers
/// only the embedding needs, 25–31% of the encoder's time per text
/// with the default model (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Embeddings {
    /// Always: what a caller that reads [`crate::batch::ClauseWork::embedding`]
    /// or [`crate::batch::Work::text`] itself needs.
    #[default]
    Always,
    /// Only when something of the engine reads them: a stage
    /// ([`crate::batch::Stage::needs_embeddings`]: a codebook, a stage the
    /// caller registered), kept terms (a store), or whole texts encoded
    /// [`WholeText::Always`]. `vocmine analyze` without `--store` and
    /// `vocmine eval` run so.
    WhenRead,
}

/// The encoder stage (see the module documentation).
#[derive(Debug, Clone)]
pub struct EncoderStage {
    embedder: Arc<dyn Embedder>,
    labels: Option<LabelMap>,
    wish_cues: WishCues,
    all_speakers: bool,
    whole_text: WholeText,
}

impl EncoderStage {
    /// The stage over `embedder`; `all_speakers`: encode every clause, not
    /// only the customer's.
    pub fn new(embedder: Arc<dyn Embedder>, all_speakers: bool) -> Result<EncoderStage> {
        Ok(EncoderStage {
            labels: embedder.sentiment_labels(),
            embedder,
            wish_cues: WishCues::builtin()?,
            all_speakers,
            whole_text: WholeText::default(),
        })
    }

    /// When units are encoded whole (default [`WholeText::WhenUndecided`]).
    pub fn with_whole_text(mut self, whole_text: WholeText) -> EncoderStage {
        self.whole_text = whole_text;
        self
    }

    /// The embedder.
    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    fn encoded(&self, c: &Clause) -> bool {
        self.all_speakers || c.role == Role::Customer
    }
}

impl Stage for EncoderStage {
    fn name(&self) -> &'static str {
        "encoder"
    }

    /// Only where it encodes every whole text for its embedding
    /// ([`WholeText::Always`]: a store, clustering records whole).
    fn needs_embeddings(&self) -> bool {
        self.whole_text == WholeText::Always
    }

    /// The encoder needs a batch: a single record is left as it is.
    fn run(&self, _a: &mut Analyzed, _cx: &Context<'_>) {}

    fn run_batch(&self, outcomes: &mut [Outcome], cx: &Context<'_>) -> Result<()> {
        let texts: Vec<&str> = outcomes
            .iter()
            .filter_map(Outcome::analysis)
            .flat_map(|a| a.clauses.iter())
            .filter(|c| self.encoded(c))
            .map(|c| c.text.as_str())
            .collect();
        if texts.is_empty() {
            return Ok(());
        }
        let encoded = if cx.embeddings {
            self.embedder.encode(&texts)?
        } else {
            self.embedder.encode_heads(&texts)?
        };
        let mut it = encoded.into_iter();
        for o in outcomes.iter_mut() {
            if let Outcome::Ok(a) = o {
                let Analyzed { analysis, work } = &mut **a;
                for (c, w) in analysis
                    .clauses
                    .iter_mut()
                    .zip(work.clauses.iter_mut())
                    .filter(|(c, _)| self.encoded(c))
                {
                    w.embedding = it.next();
                    if let (Some(map), Some(e)) = (self.labels, &w.embedding) {
                        c.sentiment = e.logits.as_deref().and_then(|l| map.sentiment(l));
                        if c.role == Role::Customer {
                            c.voice = c.sentiment.as_ref().map(|s| {
                                let q = e.itch.map(crate::numeric::sigmoid);
                                Voice::new(s, q, self.wish_cues.matches(c.language, &c.text))
                            });
                        }
                    }
                }
            }
        }
        // The whole text of a unit of two or more encoded clauses is one
        // more input (a separate call, so the clause batches and their int8
        // embeddings stay as they were), unless its clauses decide.
        let Some(map) = self.labels else {
            return Ok(());
        };
        let gate = match self.whole_text {
            WholeText::AlwaysAsEvidence => None,
            WholeText::WhenUndecided | WholeText::Always => self
                .embedder
                .record_model()
                .and_then(|m| m.text_gate.map(|g| (m, g))),
        };
        // per unit: its text when it is encoded, and whether its
        // probabilities are evidence (not when its clauses decide)
        let units: Vec<Vec<(Option<String>, bool)>> = outcomes
            .iter()
            .map(|o| {
                let Outcome::Ok(a) = o else {
                    return Vec::new();
                };
                unit_texts(a, self.all_speakers)
                    .into_iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let decided = t.is_some()
                            && gate.is_some_and(|(m, g)| decided_by_clauses(a, k, m, g));
                        let keep = !decided || self.whole_text != WholeText::WhenUndecided;
                        (t.filter(|_| keep), !decided)
                    })
                    .collect()
            })
            .collect();
        let whole: Vec<&str> = units
            .iter()
            .flatten()
            .filter_map(|(t, _)| t.as_deref())
            .collect();
        let encoded = if whole.is_empty() {
            Vec::new()
        } else if cx.embeddings {
            self.embedder.encode_whole(&whole)?
        } else {
            self.embedder.encode_whole_heads(&whole)?
        };
        let mut it = encoded.into_iter();
        for (o, texts) in outcomes.iter_mut().zip(&units) {
            if let Outcome::Ok(a) = o {
                let mut record_text = None;
                let probs: Vec<Option<Probs>> = texts
                    .iter()
                    .enumerate()
                    .map(|(k, (t, used))| {
                        let e = t.as_ref().and_then(|_| it.next())?;
                        let p = e.logits.as_deref().and_then(|l| text_probs(&map, l));
                        // the record's own text (turns are not kept)
                        if k == 0 && a.turns.is_none() {
                            record_text = Some(e.clone());
                        }
                        p.filter(|_| *used)
                    })
                    .collect();
                a.work.text = record_text;
                aggregate_sentiment(&mut a.analysis, &probs, self.embedder.record_model());
            }
        }
        Ok(())
    }
}

/// The whole texts of an analysis' units that get their own encoder input:
/// the record first, then each turn (`None`: fewer than two encoded clauses,
/// the unit's text is its one clause). A conversation record has no whole
/// text of its own (its turns do): joined turns would cost a long input and
/// be cut at the model's limit, losing the end of the call.
fn unit_texts(a: &Analysis, all: bool) -> Vec<Option<String>> {
    let encoded = |c: &&Clause| c.sentiment.is_some();
    let customer = a
        .clauses
        .iter()
        .filter(|c| c.role == Role::Customer)
        .filter(encoded)
        .count();
    let mut out = Vec::with_capacity(1 + a.turns.as_ref().map_or(0, Vec::len));
    out.push(a.text.clone().filter(|_| customer >= 2));
    if let Some(turns) = &a.turns {
        for t in turns {
            let n = a
                .clauses
                .iter()
                .filter(|c| c.turn == Some(t.turn))
                .filter(encoded)
                .count();
            out.push((n >= 2 && (all || t.role == Role::Customer)).then(|| t.text.clone()));
        }
    }
    out
}

/// Whether the clause evidence of unit `k` (0: the record's customer
/// clauses; `k` ≥ 1: turn `k - 1`) decides its sentiment without the whole
/// text: the combiner, given the clause mean in its place, is at least
/// `gate` sure.
fn decided_by_clauses(
    a: &Analysis,
    k: usize,
    model: &crate::neural::sentiment::RecordModel,
    gate: f32,
) -> bool {
    unit_evidence(a, k)
        .and_then(|(items, language)| aggregate(items, None, language, Some(model)))
        .is_some_and(|s| s.confidence >= gate)
}

/// Fills the turn and record sentiment from the clause sentiments and the
/// whole-text probabilities (`texts`: the record's, then each turn's, as
/// [`unit_texts`] lists them), and counts the record's voice types.
fn aggregate_sentiment(
    a: &mut Analysis,
    texts: &[Option<Probs>],
    model: Option<&crate::neural::sentiment::RecordModel>,
) {
    let text = |k: usize| texts.get(k).copied().flatten();
    let unit = |a: &Analysis, k: usize| {
        unit_evidence(a, k).and_then(|(items, language)| aggregate(items, text(k), language, model))
    };
    a.sentiment = unit(a, 0);
    for k in 0..a.turns.as_ref().map_or(0, Vec::len) {
        let s = unit(a, k + 1);
        if let Some(t) = a.turns.as_mut().and_then(|turns| turns.get_mut(k)) {
            t.sentiment = s;
        }
    }
    let mut counts = VoiceCounts::default();
    let mut any = false;
    for v in a.clauses.iter().filter_map(|c| c.voice.as_ref()) {
        counts.add(v.label);
        any = true;
    }
    a.voices = any.then_some(counts);
}
