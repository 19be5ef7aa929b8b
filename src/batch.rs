//! What flows through the batch stages: each record's [`Analysis`] (the
//! output contract) beside its working state ([`Work`]: clause embeddings
//! and terms, the whole-text embedding), which the stages pass on to each
//! other and which is never serialized.
//!
//! ```text
//! Record ─▶ per-record stages ─▶ Outcome::Ok(Analyzed { analysis, work })
//!                                 │ batch stages read work, fill analysis
//!                                 ▼
//!           sinks: JSON Lines (analysis only), store (analysis + work), …
//! ```
//!
//! Every batch stage implements [`Stage`]; the engine runs them in order.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::contract::output::{Analysis, Failure};
use crate::error::{RecordError, Result};
pub use crate::neural::encoded::Embedding;
use crate::text::terms::ClauseTerms;
use crate::text::tokens::Segment;

/// The working state of one clause, index-aligned with
/// [`Analysis::clauses`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClauseWork {
    /// The clause's encoding, when the engine has an encoder (customer
    /// clauses, or every clause with `encode_all_speakers`).
    pub embedding: Option<Embedding>,
    /// What the codebook, conversation and alert stages match: kept when a
    /// stage of the engine needs it or the engine keeps terms (a store).
    pub terms: Option<Arc<ClauseTerms>>,
}

/// The working state of one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Work {
    /// One entry per clause of the analysis, in the same order.
    pub clauses: Vec<ClauseWork>,
    /// The encoding of the whole text: text records of two or more encoded
    /// customer clauses, from the encoder input that gives the record
    /// sentiment its whole-text evidence (`None` otherwise: a record of one
    /// clause has that clause's embedding). Kept in a store; what clustering
    /// uses for a record clustered whole
    /// ([`crate::corpus::cluster::ClusterLevel`]).
    pub text: Option<Embedding>,
}

impl Work {
    /// The working state of clause `i` (`None` past the end).
    pub fn clause(&self, i: usize) -> Option<&ClauseWork> {
        self.clauses.get(i)
    }

    /// The embedding of clause `i`, if it was encoded.
    pub fn embedding(&self, i: usize) -> Option<&Embedding> {
        self.clause(i).and_then(|c| c.embedding.as_ref())
    }

    /// The kept terms of clause `i`.
    pub fn terms(&self, i: usize) -> Option<&ClauseTerms> {
        self.clause(i).and_then(|c| c.terms.as_deref())
    }
}

/// An analysis with its working state. Dereferences to the [`Analysis`];
/// serializes as the analysis alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyzed {
    /// The output of the record.
    pub analysis: Analysis,
    /// What the batch stages pass on to each other.
    pub work: Work,
}

impl Analyzed {
    /// An analysis without working state (for analyses built in code).
    pub fn new(analysis: Analysis) -> Analyzed {
        let work = Work {
            clauses: vec![ClauseWork::default(); analysis.clauses.len()],
            text: None,
        };
        Analyzed { analysis, work }
    }

    /// The analysis, without its working state.
    pub fn into_analysis(self) -> Analysis {
        self.analysis
    }
}

impl Deref for Analyzed {
    type Target = Analysis;

    fn deref(&self) -> &Analysis {
        &self.analysis
    }
}

impl DerefMut for Analyzed {
    fn deref_mut(&mut self) -> &mut Analysis {
        &mut self.analysis
    }
}

impl Serialize for Analyzed {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.analysis.serialize(s)
    }
}

/// The output of one record: an analysis or a failure. Serialized without a
/// tag: a failure is recognized by its `error` field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// The record was analyzed.
    Ok(Box<Analyzed>),
    /// The record could not be analyzed.
    Err(Failure),
}

impl Outcome {
    /// The record's input line.
    pub fn line(&self) -> u64 {
        match self {
            Outcome::Ok(a) => a.line,
            Outcome::Err(f) => f.line,
        }
    }

    /// The analysis, if the record was analyzed.
    pub fn analysis(&self) -> Option<&Analysis> {
        match self {
            Outcome::Ok(a) => Some(&a.analysis),
            Outcome::Err(_) => None,
        }
    }

    /// The analysis with its working state, if the record was analyzed.
    pub fn analyzed(&self) -> Option<&Analyzed> {
        match self {
            Outcome::Ok(a) => Some(a),
            Outcome::Err(_) => None,
        }
    }

    /// The error, if the record failed.
    pub fn error(&self) -> Option<&RecordError> {
        match self {
            Outcome::Ok(_) => None,
            Outcome::Err(f) => Some(&f.error),
        }
    }
}

/// What the engine lends a batch stage.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The engine's segmenter, for clauses whose terms were not kept.
    pub segmenter: &'a dyn Segment,
    /// Whether the encoder stage computes embeddings (clauses' and whole
    /// texts'): some stage reads them ([`Stage::needs_embeddings`]), the
    /// engine keeps them (a store) or was built to always compute them
    /// ([`crate::neural::stage::Embeddings`]). Without, an encoded clause
    /// has its sentiment and voice type and an empty embedding.
    pub embeddings: bool,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

/// A stage that runs over analyzed records, after the per-record text
/// stages: the encoder (embeddings, sentiment, voice type), the codebook
/// and points, the conversation features, the alerts, and any stage a
/// caller registers ([`crate::EngineBuilder::stage`]). The engine runs them
/// in that order, each over the whole batch, in its thread pool; a stage
/// reads what earlier stages wrote (into the [`Analysis`] or the [`Work`])
/// and must give the same result whatever the thread count.
pub trait Stage: Send + Sync + fmt::Debug {
    /// A short name (`encoder`, `codebook`, ...), for errors and logs.
    fn name(&self) -> &'static str;

    /// Whether the text stages must keep each clause's terms
    /// ([`ClauseWork::terms`]) for this stage: for every record, or
    /// (`conversation`) for conversation records only. Terms cost memory,
    /// so they are kept only when some stage reads them.
    fn needs_terms(&self, conversation: bool) -> bool {
        let _ = conversation;
        false
    }

    /// Whether this stage reads the embeddings of clauses
    /// ([`ClauseWork::embedding`]) or of whole texts ([`Work::text`]):
    /// with [`crate::neural::stage::Embeddings::WhenRead`] the encoder
    /// computes them only when some stage does. Default `true`, so that a
    /// stage that reads them and does not say so still gets them.
    fn needs_embeddings(&self) -> bool {
        true
    }

    /// Runs the stage over one record: what [`crate::Engine::analyze`]
    /// runs. A stage that needs a whole batch (the encoder, which sorts
    /// and deduplicates texts across records) leaves the record as it is.
    fn run(&self, a: &mut Analyzed, cx: &Context<'_>);

    /// Runs the stage over a batch (failed records are skipped). The
    /// default runs [`Stage::run`] on each record in parallel; a stage that
    /// works across records overrides it. An error fails the whole batch.
    fn run_batch(&self, outcomes: &mut [Outcome], cx: &Context<'_>) -> Result<()> {
        outcomes.par_iter_mut().for_each(|o| {
            if let Outcome::Ok(a) = o {
                self.run(a, cx);
            }
        });
        Ok(())
    }
}
