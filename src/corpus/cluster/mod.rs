//! Hot-issue discovery: clusters of clause embeddings, their labels,
//! hotness, emerging issues and codebook-gap suggestions.
//!
//! # Pipeline
//!
//! 1. **Vectors** ([`Vectors`]): the encoder's unit embeddings (rows that
//!    cannot be normalized are kept, never clustered, and reported as
//!    invalid outliers); with languages, each language's mean is
//!    subtracted first ([`LanguageCentering`]), which is what puts the same
//!    issue in zh, ru and en into one cluster; in a corpus of one language
//!    (500+ items) the leading principal direction of the centred vectors
//!    (the corpus's broadest contrast) is then projected out
//!    (`remove_principal`), so that the neighbours follow finer issues.
//! 2. **kNN** (`k` = 15): exact, by blocked `sgemm`, up to 4,096 vectors;
//!    up to `exact_limit` (20,000), candidates from a 128-dimensional
//!    principal projection re-ranked exactly (a third of the products,
//!    recall@15 0.9965); above, NN-descent from a forest of 8
//!    random-projection trees (leaves of ≤ 32 rows), refined twice over
//!    the neighbours of each row's neighbours and reverse neighbours
//!    (recall@15 0.990 on 100,000 vectors; `knn::descent`). Every step is
//!    parallel and reads only the previous one, so the graph — and all
//!    that follows — is the same whatever the thread count. Clustering
//!    builds no index: the HNSW index ([`VectorIndex`], `hnsw_rs`, serial
//!    insertion) that assigns new vectors is built when a model is first
//!    extended (or assigned many vectors) and saved with it.
//! 3. **Graph** ([`Weighting`]): UMAP's fuzzy simplicial set over the kNN
//!    links (local-density-adapted weights, fuzzy union of both directions).
//! 4. **Communities**: Leiden (modularity with resolution γ, seeded node
//!    order, refinement so every community is connected), as the consensus
//!    of `consensus_runs` (9) seeded runs: edges whose ends share a
//!    community in fewer than half of the runs are dropped, the others
//!    weighted by that share, and one more run on that graph is the
//!    partition. A single run at γ = 5 rests on near-ties: another seed
//!    gives an ARI of 0.74–0.76 with it on the sample corpus, 0.88 on
//!    banking77; the consensus 0.80–0.84 and 0.95–0.96 (`cluster_eval
//!    stability`; EVALUATION.md).
//! 5. **Small communities** (< `min_size`) join the large cluster their
//!    members have the most kNN similarity to (the nearest centroid when
//!    they have no link to a large cluster).
//! 6. **One issue split by language** becomes one cluster (with languages,
//!    `language_merge`): two clusters of different language mixes that are
//!    each other's nearest, with a centroid cosine of at least 0.9 of the
//!    lower cohesion, are merged, one round (see `merge.rs`). Single-language
//!    data is never merged.
//! 7. **Far clauses**: every clause has k neighbours in the graph, so a
//!    clause unlike any other still lands in some community; it becomes an
//!    outlier when its similarity to its nearest co-member is below Tukey's
//!    far-out fence (`Q1 − 3·IQR`) of that similarity over all clustered
//!    clauses. A small community far from every large cluster thus ends up
//!    as outliers, one near a cluster joins it.
//!    The same fence decides whether a new vector joins a cluster. Outliers
//!    are counted and reported, never dropped.
//! 8. **Summaries** ([`ClusterModel::report`]): size, c-TF-IDF keywords and
//!    labels per language, the clauses closest to the centroid, languages,
//!    sentiment mix, dominant codes, hotness and emerging flags, and codebook
//!    gaps as YAML snippets.
//! 9. **Codebook drafts** ([`draft()`]): the largest clusters become the
//!    leaf codes of a two-level codebook (labels and description from their
//!    keywords, exemplars from their representatives), grouped under parent
//!    codes by average linkage of their centroids.
//!
//! New vectors are assigned through the index ([`ClusterModel::assign`],
//! [`ClusterModel::extend`]); the model is saved beside a store
//! ([`ClusterModel::save`], [`ClusterModel::load`]).
//!
//! # From analyzed records to a report
//!
//! ```no_run
//! use vocmine::corpus::cluster::{ClusterConfig, ClusterItems, ClusterModel, ReportOptions};
//! use vocmine::neural::encoder::Encoder;
//! use vocmine::{Engine, Record};
//!
//! let engine = Engine::builder()
//!     .pos_tags(true) // Chinese keywords keep nouns, verbs, adjectives
//!     .encoder(Encoder::builder("models/multilingual-e5-small").build()?)
//!     .build()?;
//! let records = vec![
//!     Record::text("a", "车机又卡死了"),
//!     Record::text("b", "Мультимедиа постоянно зависает"),
//!     Record::text("c", "The screen freezes every morning"),
//! ];
//! let mut items = ClusterItems::new(); // customer clauses only
//! for outcome in engine.analyze_batch(&records)? {
//!     if let Some(a) = outcome.analyzed() {
//!         items.add_analysis(a, engine.segmenter())?;
//!     }
//! }
//! let languages = items.languages();
//! let model = ClusterModel::fit_with_languages(items.vectors()?, &languages, ClusterConfig::default())?;
//! let options = ReportOptions {
//!     forms: Some(std::sync::Arc::new(items.forms())),
//!     ..ReportOptions::default()
//! };
//! let report = model.report(items.items(), &options, None)?;
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The choices (UMAP weights + Leiden against UMAP + HDBSCAN, k-means,
//! resolution) were made on banking77; the figures are in
//! `benches/compare/cluster_vs_bertopic.py` and `examples/cluster_eval.rs`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod centering;
mod ctfidf;
mod draft;
mod gaps;
mod graph;
mod hotness;
mod index;
mod io;
mod items;
mod knn;
mod leiden;
mod merge;
mod metrics;
mod model;
mod report;
mod rng;
mod sample;
#[cfg(feature = "store")]
mod table;
mod vectors;

pub use centering::LanguageCentering;
pub use draft::{draft, without_sentiment, Draft, DraftOptions};
pub use graph::Weighting;
pub use hotness::{week_index, Hotness, HotnessParams};
pub use index::{HnswParams, UnitCosine, VectorIndex};
pub use io::read_npy;
pub use items::{ClusterItems, ClusterLevel, AUTO_MAX_CLAUSES, ITEMS_FILE};
pub use metrics::{ari, nmi};
pub use model::{Assignment, ClusterModel, Extension, INDEX_BASENAME, MODEL_FILE, VECTORS_FILE};
pub use report::{
    AssignmentOut, ClusterReport, ClusterSummary, CodeShare, ItemMeta, Keyword, ReportOptions,
    ReportSummary, Representative, SentimentMix,
};
pub use sample::{fit_items, fit_sample, FittedItems, Placement, Sample};
#[cfg(feature = "store")]
pub use table::{items_schema, DecodedItems, ItemColumns};
pub use vectors::Vectors;

/// The most principal directions `remove_principal` may project out.
pub const MAX_REMOVED_DIRECTIONS: usize = 16;

/// Clustering settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Neighbours per point in the kNN graph (2..=100).
    pub k: usize,
    /// Edge weights of the kNN graph.
    pub weighting: Weighting,
    /// Leiden resolution γ (> 0): higher gives more, smaller clusters. The
    /// default 5 agrees best, or within 0.01, with banking77's 77 intents
    /// on 3,000 and 10,003 texts (NMI 0.777 / 0.796; γ = 1: 0.679 / 0.753;
    /// γ = 3: 0.755 / 0.788; γ = 8: 0.786 / 0.792 with 24–29% more
    /// clusters; `cluster_eval eval … --resolution 1,3,5,8`; one Leiden
    /// run, on another machine's embeddings; with the consensus, on this
    /// project's AVX2-only machine, γ = 5 gives 0.773 / 0.792, within 0.01
    /// of the best, γ = 8's 0.777 at 3k).
    pub resolution: f64,
    /// Full Leiden passes, each starting from the previous result.
    pub iterations: usize,
    /// Communities smaller than this are attached to a cluster or become
    /// outliers (≥ 1).
    pub min_size: usize,
    /// Seed of the node order and of the refinement step.
    pub seed: u64,
    /// Up to this many vectors the kNN graph is exact (or exactly
    /// re-ranked); above, it comes from NN-descent.
    pub exact_limit: usize,
    /// HNSW parameters.
    pub hnsw: HnswParams,
    /// Subtract each language's mean vector before clustering when the
    /// languages are given ([`ClusterModel::fit_with_languages`]).
    pub center_languages: bool,
    /// With language centering: the leading principal directions of the
    /// centred vectors projected out before clustering (0 = none; see
    /// [`LanguageCentering`]; nothing is removed under
    /// [`LanguageCentering::PRINCIPAL_MIN_ITEMS`] items or when more than
    /// one language has a mean of its own). Removing the
    /// first lifts banking77's NMI through the CLI by 0.011–0.026 on six
    /// samples of 3,080 and by 0.017 on the 10,003; removing two gains less.
    pub remove_principal: usize,
    /// Outlier fence: a clause whose similarity to its nearest co-member is
    /// below `Q1 − outlier_iqr · (Q3 − Q1)` of that similarity over all
    /// clustered clauses (Tukey's fence) is an outlier; a new vector must
    /// reach the same fence to be assigned. ≥ 0; a large value turns
    /// outliers off.
    pub outlier_iqr: f32,
    /// Leiden runs (seeds) whose consensus is the partition (1 = a single
    /// run); see `consensus_threshold`.
    pub consensus_runs: usize,
    /// A kNN edge is kept for the final run when its ends share a community
    /// in at least this share of the runs (0.5..=1).
    pub consensus_threshold: f64,
    /// With languages: two clusters of different language mixes that are
    /// each other's nearest (centroid cosine) are merged when that
    /// cosine reaches this share of the less cohesive one's mean
    /// member–centroid cosine (0 = never; see the module documentation).
    pub language_merge: f64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            k: 15,
            weighting: Weighting::Umap,
            resolution: 5.0,
            iterations: 2,
            min_size: 10,
            seed: 42,
            exact_limit: 20_000,
            hnsw: HnswParams::default(),
            center_languages: true,
            remove_principal: 1,
            outlier_iqr: 3.0,
            consensus_runs: 9,
            consensus_threshold: 0.5,
            language_merge: 0.9,
        }
    }
}

impl ClusterConfig {
    /// Checks every setting (`Error::Config` naming the first bad one).
    pub fn validate(&self) -> Result<()> {
        if !(2..=100).contains(&self.k) {
            return Err(Error::Config(format!(
                "k must be in 2..=100, got {}",
                self.k
            )));
        }
        if !(self.resolution.is_finite() && self.resolution > 0.0) {
            return Err(Error::Config(format!(
                "resolution must be a positive number, got {}",
                self.resolution
            )));
        }
        if self.iterations == 0 || self.iterations > 100 {
            return Err(Error::Config(format!(
                "iterations must be in 1..=100, got {}",
                self.iterations
            )));
        }
        if self.remove_principal > MAX_REMOVED_DIRECTIONS {
            return Err(Error::Config(format!(
                "remove_principal must be in 0..={MAX_REMOVED_DIRECTIONS}, got {}",
                self.remove_principal
            )));
        }
        if self.min_size == 0 {
            return Err(Error::Config("min_size must be at least 1".into()));
        }
        if !(self.outlier_iqr.is_finite() && self.outlier_iqr >= 0.0) {
            return Err(Error::Config(format!(
                "outlier_iqr must be a number ≥ 0, got {}",
                self.outlier_iqr
            )));
        }
        if !(self.language_merge.is_finite() && (0.0..=2.0).contains(&self.language_merge)) {
            return Err(Error::Config(format!(
                "language_merge must be in 0..=2, got {}",
                self.language_merge
            )));
        }
        if self.consensus_runs == 0 || self.consensus_runs > 256 {
            return Err(Error::Config(format!(
                "consensus_runs must be in 1..=256, got {}",
                self.consensus_runs
            )));
        }
        if !(0.5..=1.0).contains(&self.consensus_threshold) {
            return Err(Error::Config(format!(
                "consensus_threshold must be in 0.5..=1, got {}",
                self.consensus_threshold
            )));
        }
        if self.exact_limit > u32::MAX as usize {
            return Err(Error::Config("exact_limit is too large".into()));
        }
        self.hnsw.validate()
    }
}

/// How the kNN graph was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnMethod {
    /// Exact (blocked matrix products).
    #[default]
    Exact,
    /// Candidates from a 128-dimensional principal projection (3k per
    /// point), re-ranked by their exact similarity (recall@15 0.9965 on
    /// banking77).
    Projected,
    /// Through the HNSW index (models fitted before clustering used
    /// NN-descent above `exact_limit`).
    Hnsw,
    /// NN-descent from a random-projection forest (no index).
    Descent,
}

/// Seconds per stage of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Building the HNSW index (0 since fitting builds none; kept for
    /// models saved before).
    pub index: f64,
    /// The kNN search.
    pub knn: f64,
    /// Edge weights.
    pub graph: f64,
    /// Leiden.
    pub leiden: f64,
    /// Attaching small communities.
    pub attach: f64,
    /// Everything.
    pub total: f64,
}

/// Counts of a clustering.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClusterStats {
    /// Items given.
    pub items: usize,
    /// Items whose vector could not be normalized (outliers).
    pub invalid: usize,
    /// Items in a cluster.
    pub clustered: usize,
    /// Items in no cluster (including the invalid ones).
    pub outliers: usize,
    /// `outliers / items`.
    pub outlier_share: f64,
    /// Clusters.
    pub clusters: usize,
    /// Leiden communities before small ones were attached.
    pub communities: usize,
    /// Clusters merged into another of a different language mix.
    #[serde(default)]
    pub merged_across_languages: usize,
    /// Communities smaller than `min_size`.
    pub small_communities: usize,
    /// Items of small communities attached to a cluster.
    pub attached: usize,
    /// Items left out as far from their cluster (below the outlier fence).
    pub far: usize,
    /// The outlier fence (similarity to the nearest co-member).
    pub fence: f32,
    /// Modularity (at the resolution used) of the Leiden partition.
    pub modularity: f64,
    /// How the kNN graph was computed.
    pub knn: KnnMethod,
    /// Seconds per stage.
    pub seconds: Timings,
}

/// Clusters `vectors`: the cluster of every row (`None` for outliers) and
/// the counts. [`ClusterModel::fit`] does the same and keeps what
/// assigning, growing and saving need.
pub fn cluster(
    vectors: &Vectors,
    config: &ClusterConfig,
) -> Result<(Vec<Option<u32>>, ClusterStats)> {
    let f = model::fit(vectors, config, None, None)?;
    Ok((f.labels, f.stats))
}

#[cfg(test)]
mod tests;
