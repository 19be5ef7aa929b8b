//! Fitting, assigning, extending and persisting a clustering.

use std::borrow::Cow;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::centering::LanguageCentering;
use super::graph;
use super::index::VectorIndex;
use super::knn::{self, Knn};
use super::leiden;
use super::merge;
use super::vectors::{centroid, dot, Vectors};
use super::{ClusterConfig, ClusterStats, KnnMethod, Timings};
use crate::error::{Error, Result};

/// File names inside a model directory.
pub const MODEL_FILE: &str = "clusters.model.json";
/// The vectors of the clustered items (`.npy`).
pub const VECTORS_FILE: &str = "clusters.vectors.npy";
/// Base name of the `hnsw_rs` dump (`.hnsw.graph`, `.hnsw.data`).
pub const INDEX_BASENAME: &str = "clusters.index";

/// Above this many vectors (and up to `exact_limit`), kNN candidates come
/// from a 128-dimensional principal projection and are re-ranked exactly.
const PROJECT_ABOVE: usize = 4096;
const PROJECTION: usize = 128;

/// Above `exact_limit`: NN-descent from this many random-projection trees
/// with leaves of at most `DESCENT_LEAF` rows, refined `DESCENT_ROUNDS`
/// times (`knn::descent`; recall@15 in its documentation).
const DESCENT_TREES: usize = 8;
const DESCENT_LEAF: usize = 32;
const DESCENT_ROUNDS: usize = 2;

/// Assigning more vectors than this to a model of more than `exact_limit`
/// items without an index builds one for the call (brute force below).
const ASSIGN_BRUTE_MAX: usize = 256;

const FORMAT: &str = "vocmine-clusters";
const FORMAT_VERSION: u32 = 1;

/// Where a new vector goes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assignment {
    /// The cluster, or `None` when the vector is far from every cluster (or
    /// cannot be normalized).
    pub cluster: Option<u32>,
    /// Cosine similarity to the nearest member of the chosen cluster (to the
    /// nearest clustered item when none was chosen; 0 for invalid vectors).
    pub similarity: f32,
}

/// The result of [`ClusterModel::extend`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extension {
    /// Cluster of each new vector, in input order.
    pub labels: Vec<Option<u32>>,
    /// New vectors that joined an existing cluster.
    pub assigned: usize,
    /// Ids of the clusters opened for vectors far from every existing one.
    pub opened: Vec<u32>,
    /// New vectors left as outliers.
    pub outliers: usize,
}

/// The outcome of clustering one set of vectors (before the model keeps it).
pub(crate) struct Fit {
    pub labels: Vec<Option<u32>>,
    pub index: Option<VectorIndex>,
    pub assign_threshold: f32,
    pub stats: ClusterStats,
}

fn quantile(mut xs: Vec<f32>, q: f32) -> Option<f32> {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let pos = ((xs.len() - 1) as f64 * f64::from(q.clamp(0.0, 1.0))).floor() as usize;
    Some(xs[pos])
}

/// Builds an index over the valid rows `rows` of `v` (serial insertion in
/// that order, so the index is the same whatever the thread count).
fn build_index(v: &Vectors, rows: &[usize], cfg: &ClusterConfig) -> Result<VectorIndex> {
    let mut idx = VectorIndex::new(v.dim(), rows.len(), cfg.hnsw)?;
    for &r in rows {
        idx.insert(v.row(r))?;
    }
    Ok(idx)
}

/// Clusters `v` (see the module documentation for the steps).
/// `fence`: the outlier fence to use instead of computing one (extending a
/// model keeps its fence). `groups`: the language group of each row (`None`
/// for a row in no group), for merging one issue split by language.
pub(crate) fn fit(
    v: &Vectors,
    cfg: &ClusterConfig,
    fence: Option<f32>,
    groups: Option<&[Option<u32>]>,
) -> Result<Fit> {
    cfg.validate()?;
    let start = Instant::now();
    let valid_rows: Vec<usize> = (0..v.len()).filter(|&i| v.is_valid(i)).collect();
    let sub: Cow<'_, Vectors> = if valid_rows.len() == v.len() {
        Cow::Borrowed(v)
    } else {
        Cow::Owned(v.select(&valid_rows))
    };
    let n = sub.len();
    let mut timings = Timings::default();

    // 1. kNN.
    let t = Instant::now();
    let (knn, index, method): (Knn, Option<VectorIndex>, KnnMethod) = if n > cfg.exact_limit {
        let knn = knn::descent(
            &sub,
            cfg.k,
            DESCENT_TREES,
            DESCENT_LEAF,
            DESCENT_ROUNDS,
            cfg.seed,
        );
        (knn, None, KnnMethod::Descent)
    } else if n > PROJECT_ABOVE && sub.dim() > 2 * PROJECTION {
        let knn = knn::projected(&sub, cfg.k, PROJECTION, 3 * cfg.k, cfg.seed);
        (knn, None, KnnMethod::Projected)
    } else {
        (knn::exact(&sub, cfg.k), None, KnnMethod::Exact)
    };
    timings.knn = t.elapsed().as_secs_f64() - timings.index;

    // 2. Graph and communities.
    let t = Instant::now();
    let g = graph::build(&knn, cfg.weighting);
    timings.graph = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let comm = leiden::consensus(
        &g,
        cfg.resolution,
        cfg.iterations,
        cfg.seed,
        cfg.consensus_runs,
        cfg.consensus_threshold,
    );
    let modularity = leiden::modularity(&g, &comm, cfg.resolution);
    drop(g);
    timings.leiden = t.elapsed().as_secs_f64();

    // 3. Small communities join the large cluster their members link to
    // most (kNN similarity summed), else the one with the nearest centroid.
    let t = Instant::now();
    let ncomm = comm.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); ncomm];
    for (i, &c) in comm.iter().enumerate() {
        members[c as usize].push(i);
    }
    let is_large: Vec<bool> = members.iter().map(|m| m.len() >= cfg.min_size).collect();
    let large: Vec<usize> = (0..ncomm).filter(|&c| is_large[c]).collect();
    let small: Vec<usize> = (0..ncomm).filter(|&c| !is_large[c]).collect();
    let large_centroids: Vec<Vec<f32>> = if small.is_empty() {
        Vec::new()
    } else {
        large
            .par_iter()
            .map(|&c| centroid(&sub, members[c].iter().copied()))
            .collect()
    };
    let small_targets: Vec<Option<usize>> = small
        .par_iter()
        .map(|&c| {
            let mut links: Vec<(usize, f32)> = Vec::new();
            for &i in &members[c] {
                for (j, s) in knn.row(i) {
                    let cj = comm[j] as usize;
                    if is_large[cj] {
                        match links.iter_mut().find(|x| x.0 == cj) {
                            Some(x) => x.1 += s,
                            None => links.push((cj, s)),
                        }
                    }
                }
            }
            let by_links = links.into_iter().reduce(|a, b| {
                if b.1 > a.1 || (b.1 == a.1 && b.0 < a.0) {
                    b
                } else {
                    a
                }
            });
            if let Some((l, _)) = by_links {
                return Some(l);
            }
            let cen = centroid(&sub, members[c].iter().copied());
            let mut best: Option<(usize, f32)> = None;
            for (k, &l) in large.iter().enumerate() {
                let s = dot(&cen, &large_centroids[k]);
                if best.is_none_or(|b| s > b.1) {
                    best = Some((l, s));
                }
            }
            best.map(|b| b.0)
        })
        .collect();
    // target[c] = the large community that c ends up in.
    let mut target: Vec<Option<usize>> = (0..ncomm).map(|c| is_large[c].then_some(c)).collect();
    for (&c, t) in small.iter().zip(&small_targets) {
        target[c] = *t;
    }
    let mut prov: Vec<Option<usize>> = comm.iter().map(|&c| target[c as usize]).collect();
    // 3b. One issue split by language becomes one cluster.
    let merged = match groups {
        Some(gr) if cfg.language_merge > 0.0 && gr.len() == v.len() => {
            let sub_groups: Vec<Option<u32>> = valid_rows.iter().map(|&r| gr[r]).collect();
            merge::across_languages(&sub, &mut prov, &sub_groups, ncomm, cfg.language_merge).len()
        }
        _ => 0,
    };
    let mut cluster_members: Vec<Vec<usize>> = vec![Vec::new(); ncomm];
    for (i, p) in prov.iter().enumerate() {
        if let Some(c) = p {
            cluster_members[*c].push(i);
        }
    }
    timings.attach = t.elapsed().as_secs_f64();

    // 4. Far clauses: similarity to the nearest co-member (among the kNN,
    // or over the whole cluster when no neighbour is a co-member) below
    // Tukey's fence.
    let nearest_same: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| {
            let Some(l) = prov[i] else { return f32::NAN };
            if let Some((_, s)) = knn.row(i).find(|(j, _)| prov[*j] == Some(l)) {
                return s;
            }
            cluster_members[l]
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| dot(sub.row(i), sub.row(j)))
                .fold(f32::NAN, f32::max)
        })
        .collect();
    let q1 = quantile(nearest_same.clone(), 0.25);
    let q3 = quantile(nearest_same.clone(), 0.75);
    let fence = match (fence, q1, q3) {
        (Some(f), _, _) => f,
        (None, Some(a), Some(b)) => a - cfg.outlier_iqr * (b - a),
        _ => f32::NEG_INFINITY,
    };
    let mut far = 0usize;
    let mut attached = 0usize;
    for i in 0..n {
        // NaN (no co-member at all) counts as far.
        let close = nearest_same[i]
            .partial_cmp(&fence)
            .is_some_and(|o| o.is_ge());
        if prov[i].is_some() && !close {
            prov[i] = None;
            far += 1;
        } else if prov[i].is_some() && !is_large[comm[i] as usize] {
            attached += 1;
        }
    }

    // Final ids: by size, then by first member.
    let mut final_size = vec![0usize; ncomm];
    let mut first = vec![usize::MAX; ncomm];
    for (i, p) in prov.iter().enumerate() {
        if let Some(c) = p {
            final_size[*c] += 1;
            first[*c] = first[*c].min(i);
        }
    }
    let mut order: Vec<usize> = (0..ncomm).filter(|&c| final_size[c] > 0).collect();
    order.sort_by(|&a, &b| {
        final_size[b]
            .cmp(&final_size[a])
            .then(first[a].cmp(&first[b]))
    });
    let mut id_of = vec![u32::MAX; ncomm];
    for (id, &c) in order.iter().enumerate() {
        id_of[c] = id as u32;
    }
    let sub_labels: Vec<Option<u32>> = prov.iter().map(|p| p.map(|c| id_of[c])).collect();
    let assign_threshold = if fence.is_finite() { fence } else { -1.0 };

    let mut labels: Vec<Option<u32>> = vec![None; v.len()];
    for (k, &r) in valid_rows.iter().enumerate() {
        labels[r] = sub_labels[k];
    }
    let clustered = labels.iter().filter(|l| l.is_some()).count();
    timings.total = start.elapsed().as_secs_f64();
    let items = v.len();
    let stats = ClusterStats {
        items,
        invalid: items - n,
        clustered,
        outliers: items - clustered,
        outlier_share: if items == 0 {
            0.0
        } else {
            (items - clustered) as f64 / items as f64
        },
        clusters: order.len(),
        communities: ncomm,
        merged_across_languages: merged,
        small_communities: small.len(),
        attached,
        far,
        fence: assign_threshold,
        modularity,
        knn: method,
        seconds: timings,
    };
    Ok(Fit {
        labels,
        index,
        assign_threshold,
        stats,
    })
}

/// A clustering of vectors that can assign new vectors, grow, and be saved
/// beside a store.
///
/// ```
/// use vocmine::corpus::cluster::{ClusterConfig, ClusterModel, Vectors};
///
/// // Three groups of 20 unit vectors around the axes of 3-D space.
/// let mut data = Vec::new();
/// for i in 0..60 {
///     let mut v = [0.05 * ((i * 7 % 11) as f32 / 11.0), 0.05 * ((i * 3 % 5) as f32 / 5.0), 0.0];
///     v[i / 20] += 1.0;
///     data.extend_from_slice(&v);
/// }
/// let cfg = ClusterConfig { k: 5, min_size: 5, resolution: 1.0, ..ClusterConfig::default() };
/// let model = ClusterModel::fit(Vectors::new(data, 3)?, cfg)?;
/// assert_eq!(model.stats().outliers, 0);
/// // A new vector next to the first group joins the cluster of its members.
/// let near = model.assign(&Vectors::new(vec![1.0, 0.02, 0.01], 3)?)?;
/// assert_eq!(near[0].cluster, model.labels()[0]);
/// // One unlike anything clustered is left for a new cluster.
/// let far = model.assign(&Vectors::new(vec![-1.0, -1.0, -1.0], 3)?)?;
/// assert_eq!(far[0].cluster, None);
/// # Ok::<(), vocmine::Error>(())
/// ```
pub struct ClusterModel {
    config: ClusterConfig,
    vectors: Vectors,
    labels: Vec<Option<u32>>,
    centroids: Vec<Vec<f32>>,
    sizes: Vec<usize>,
    assign_threshold: f32,
    index: Option<VectorIndex>,
    /// Index id → row (the valid rows in order).
    index_rows: Vec<u32>,
    stats: ClusterStats,
    centering: Option<LanguageCentering>,
}

impl std::fmt::Debug for ClusterModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterModel")
            .field("items", &self.vectors.len())
            .field("clusters", &self.centroids.len())
            .field("assign_threshold", &self.assign_threshold)
            .field("index", &self.index)
            .finish()
    }
}

/// What `clusters.model.json` holds (the vectors and the index are files of
/// their own; centroids and sizes are recomputed on load).
#[derive(Serialize, Deserialize)]
struct Saved {
    format: String,
    version: u32,
    vocmine: String,
    dim: usize,
    items: usize,
    config: ClusterConfig,
    assign_threshold: f32,
    clusters: usize,
    labels: Vec<Option<u32>>,
    stats: ClusterStats,
    #[serde(default)]
    centering: Option<LanguageCentering>,
}

impl ClusterModel {
    /// Clusters `vectors` with `config` (one language, or no centering).
    pub fn fit(vectors: Vectors, config: ClusterConfig) -> Result<ClusterModel> {
        Self::fit_centered(vectors, None, None, config)
    }

    /// Clusters multilingual `vectors`: with `config.center_languages`
    /// (the default), each language's mean is subtracted first (see
    /// [`LanguageCentering`]) so that the same issue in different languages
    /// lands in one cluster; the means are kept for `assign` and `extend`.
    /// `languages[i]` is the language code of row `i`.
    pub fn fit_with_languages(
        vectors: Vectors,
        languages: &[&str],
        config: ClusterConfig,
    ) -> Result<ClusterModel> {
        config.validate()?;
        if !config.center_languages {
            if languages.len() != vectors.len() {
                return Err(Error::Data(format!(
                    "{} languages for {} vectors",
                    languages.len(),
                    vectors.len()
                )));
            }
            return Self::fit(vectors, config);
        }
        let c = LanguageCentering::fit(&vectors, languages)?.removing_principal(
            &vectors,
            languages,
            config.remove_principal,
        )?;
        let centred = c.apply(&vectors, Some(languages))?;
        // the model keeps the centred rows: one copy in memory, not two
        drop(vectors);
        // Language groups: the languages with a mean of their own.
        let own: Vec<&str> = c.languages().collect();
        let groups: Vec<Option<u32>> = languages
            .iter()
            .map(|l| own.iter().position(|x| x == l).map(|p| p as u32))
            .collect();
        Self::fit_centered(centred, Some(c), Some(&groups), config)
    }

    fn fit_centered(
        vectors: Vectors,
        centering: Option<LanguageCentering>,
        groups: Option<&[Option<u32>]>,
        config: ClusterConfig,
    ) -> Result<ClusterModel> {
        let f = fit(&vectors, &config, None, groups)?;
        let clusters = f.stats.clusters;
        let index_rows: Vec<u32> = (0..vectors.len())
            .filter(|&i| vectors.is_valid(i))
            .map(|i| i as u32)
            .collect();
        let mut m = ClusterModel {
            config,
            vectors,
            labels: f.labels,
            centroids: Vec::new(),
            sizes: Vec::new(),
            assign_threshold: f.assign_threshold,
            index: f.index,
            index_rows,
            stats: f.stats,
            centering,
        };
        m.recompute(clusters);
        Ok(m)
    }

    /// The language means subtracted before clustering, if any.
    pub fn centering(&self) -> Option<&LanguageCentering> {
        self.centering.as_ref()
    }

    /// New vectors in the model's space (centred like the clustered ones).
    fn prepare<'a>(
        &self,
        new: &'a Vectors,
        languages: Option<&[&str]>,
    ) -> Result<Cow<'a, Vectors>> {
        if let Some(l) = languages {
            if l.len() != new.len() {
                return Err(Error::Data(format!(
                    "{} languages for {} vectors",
                    l.len(),
                    new.len()
                )));
            }
        }
        if !self.vectors.is_empty() && !new.is_empty() && new.dim() != self.vectors.dim() {
            return Err(Error::Data(format!(
                "vectors have dimension {}, the model {}",
                new.dim(),
                self.vectors.dim()
            )));
        }
        match &self.centering {
            Some(c) => Ok(Cow::Owned(c.apply(new, languages)?)),
            None => Ok(Cow::Borrowed(new)),
        }
    }

    /// `new` (with the language of each row) in the model's space, owned.
    pub(crate) fn prepare_for(&self, new: &Vectors, languages: &[&str]) -> Result<Vectors> {
        Ok(self.prepare(new, Some(languages))?.into_owned())
    }

    fn recompute(&mut self, clusters: usize) {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); clusters];
        for (i, l) in self.labels.iter().enumerate() {
            if let Some(l) = l {
                if let Some(m) = members.get_mut(*l as usize) {
                    m.push(i);
                }
            }
        }
        self.sizes = members.iter().map(Vec::len).collect();
        let v = &self.vectors;
        self.centroids = members
            .par_iter()
            .map(|m| centroid(v, m.iter().copied()))
            .collect();
    }

    /// The settings it was fitted with.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Counts, outlier share and timings of the fit (updated by `extend`).
    pub fn stats(&self) -> &ClusterStats {
        &self.stats
    }

    /// The cluster of every item (`None` for outliers), in input order.
    pub fn labels(&self) -> &[Option<u32>] {
        &self.labels
    }

    /// The vectors of all items (centred when the model was fitted with
    /// languages).
    pub fn vectors(&self) -> &Vectors {
        &self.vectors
    }

    /// Number of clusters (ids are `0..len`, largest first at fit time).
    pub fn clusters(&self) -> usize {
        self.centroids.len()
    }

    /// Items per cluster.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Unit centroid of cluster `id`.
    pub fn centroid(&self, id: u32) -> Option<&[f32]> {
        self.centroids.get(id as usize).map(Vec::as_slice)
    }

    /// Minimum similarity to a cluster member for [`assign`](Self::assign):
    /// the outlier fence of the fit.
    pub fn assign_threshold(&self) -> f32 {
        self.assign_threshold
    }

    /// Whether the HNSW index has been built ([`build_index`](Self::build_index),
    /// [`extend`](Self::extend), or [`load`](Self::load) of a model saved
    /// with one). Fitting builds none: its kNN graph needs no index.
    pub fn has_index(&self) -> bool {
        self.index.is_some()
    }

    /// Builds the HNSW index over the clustered vectors if it is missing;
    /// returns the seconds it took (0 when it existed).
    pub fn build_index(&mut self) -> Result<f64> {
        if self.index.is_some() {
            return Ok(0.0);
        }
        let t = Instant::now();
        let rows: Vec<usize> = self.index_rows.iter().map(|&r| r as usize).collect();
        self.index = Some(build_index(&self.vectors, &rows, &self.config)?);
        Ok(t.elapsed().as_secs_f64())
    }

    /// The `k` nearest items (row, similarity) of `q`: through `index` when
    /// given, by brute force otherwise.
    fn neighbours(&self, q: &[f32], k: usize, index: Option<&VectorIndex>) -> Vec<(usize, f32)> {
        match index {
            Some(idx) => {
                // Similarities recomputed exactly, so that index and brute
                // force give the same numbers.
                let mut out: Vec<(usize, f32)> = idx
                    .search(q, k)
                    .into_iter()
                    .filter_map(|(id, _)| self.index_rows.get(id as usize))
                    .map(|&r| (r as usize, dot(q, self.vectors.row(r as usize))))
                    .collect();
                out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                out
            }
            None => {
                let mut all: Vec<(usize, f32)> = self
                    .index_rows
                    .iter()
                    .map(|&r| (r as usize, dot(q, self.vectors.row(r as usize))))
                    .collect();
                let k = k.min(all.len());
                if k == 0 {
                    return Vec::new();
                }
                all.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                all.truncate(k);
                all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                all
            }
        }
    }

    /// Assigns new vectors: the `k` nearest clustered items vote (weighted
    /// by similarity); the winner is kept when its nearest member is at
    /// least [`assign_threshold`](Self::assign_threshold) similar, else the
    /// vector is far from every cluster (`None`: a candidate for a new one).
    ///
    /// A model fitted with languages centres `new` on the mean of all
    /// items; [`assign_with_languages`](Self::assign_with_languages) uses
    /// each vector's language.
    pub fn assign(&self, new: &Vectors) -> Result<Vec<Assignment>> {
        let new = self.prepare(new, None)?;
        self.assign_prepared(&new)
    }

    /// [`assign`](Self::assign) with the language of each new vector.
    pub fn assign_with_languages(
        &self,
        new: &Vectors,
        languages: &[&str],
    ) -> Result<Vec<Assignment>> {
        let new = self.prepare(new, Some(languages))?;
        self.assign_prepared(&new)
    }

    pub(crate) fn assign_prepared(&self, new: &Vectors) -> Result<Vec<Assignment>> {
        let k = self.config.k;
        // A large model without an index: one for this call when there is
        // much to assign, brute force otherwise.
        let built;
        let index = match &self.index {
            Some(i) => Some(i),
            None if self.index_rows.len() > self.config.exact_limit
                && new.len() > ASSIGN_BRUTE_MAX =>
            {
                let rows: Vec<usize> = self.index_rows.iter().map(|&r| r as usize).collect();
                built = build_index(&self.vectors, &rows, &self.config)?;
                Some(&built)
            }
            None => None,
        };
        Ok((0..new.len())
            .into_par_iter()
            .map(|i| {
                if !new.is_valid(i) {
                    return Assignment {
                        cluster: None,
                        similarity: 0.0,
                    };
                }
                let nb = self.neighbours(new.row(i), k, index);
                let mut votes: Vec<(u32, f32, f32)> = Vec::new(); // (cluster, sum, max)
                for &(r, s) in &nb {
                    if let Some(l) = self.labels[r] {
                        match votes.iter_mut().find(|v| v.0 == l) {
                            Some(v) => {
                                v.1 += s;
                                v.2 = v.2.max(s);
                            }
                            None => votes.push((l, s, s)),
                        }
                    }
                }
                let best = votes.iter().copied().reduce(|a, b| {
                    if b.1 > a.1 || (b.1 == a.1 && b.0 < a.0) {
                        b
                    } else {
                        a
                    }
                });
                match best {
                    Some((l, _, max)) if max >= self.assign_threshold => Assignment {
                        cluster: Some(l),
                        similarity: max,
                    },
                    Some((_, _, max)) => Assignment {
                        cluster: None,
                        similarity: max,
                    },
                    None => Assignment {
                        cluster: None,
                        similarity: nb.first().map(|x| x.1).unwrap_or(0.0),
                    },
                }
            })
            .collect())
    }

    /// Adds new vectors: each is assigned to an existing cluster when close
    /// enough; those far from all are clustered among themselves (same
    /// settings), and their clusters of at least `min_size` open as new
    /// clusters (ids after the existing ones). Every new vector joins the
    /// index (built first if missing). A model fitted with languages
    /// centres `new` on the mean of all items; see
    /// [`extend_with_languages`](Self::extend_with_languages).
    pub fn extend(&mut self, new: Vectors) -> Result<Extension> {
        let new = self.prepare(&new, None)?.into_owned();
        self.extend_prepared(new)
    }

    /// [`extend`](Self::extend) with the language of each new vector.
    pub fn extend_with_languages(&mut self, new: Vectors, languages: &[&str]) -> Result<Extension> {
        let new = self.prepare(&new, Some(languages))?.into_owned();
        self.extend_prepared(new)
    }

    fn extend_prepared(&mut self, new: Vectors) -> Result<Extension> {
        if new.is_empty() {
            return Ok(Extension {
                labels: Vec::new(),
                assigned: 0,
                opened: Vec::new(),
                outliers: 0,
            });
        }
        if !self.vectors.is_empty() && new.dim() != self.vectors.dim() {
            return Err(Error::Data(format!(
                "vectors have dimension {}, the model {}",
                new.dim(),
                self.vectors.dim()
            )));
        }
        self.build_index()?;
        let assigned = self.assign_prepared(&new)?;
        let mut labels: Vec<Option<u32>> = assigned.iter().map(|a| a.cluster).collect();
        let n_assigned = labels.iter().filter(|l| l.is_some()).count();
        let far: Vec<usize> = (0..new.len())
            .filter(|&i| labels[i].is_none() && new.is_valid(i))
            .collect();
        let base = self.centroids.len() as u32;
        let mut opened = Vec::new();
        if far.len() >= self.config.min_size {
            let sub = new.select(&far);
            let f = fit(&sub, &self.config, Some(self.assign_threshold), None)?;
            for (k, &i) in far.iter().enumerate() {
                if let Some(l) = f.labels[k] {
                    labels[i] = Some(base + l);
                }
            }
            opened = (0..f.stats.clusters as u32).map(|l| base + l).collect();
        }
        let start = self.vectors.len();
        self.vectors.append(&new)?;
        if let Some(idx) = self.index.as_mut() {
            for i in 0..new.len() {
                if new.is_valid(i) {
                    idx.insert(new.row(i))?;
                    self.index_rows.push((start + i) as u32);
                }
            }
        }
        self.labels.extend_from_slice(&labels);
        let total = base as usize + opened.len();
        self.recompute(total);
        let items = self.labels.len();
        let clustered = self.labels.iter().filter(|l| l.is_some()).count();
        let s = &mut self.stats;
        s.items = items;
        s.invalid = items - self.index_rows.len();
        s.clustered = clustered;
        s.outliers = items - clustered;
        s.outlier_share = if items == 0 {
            0.0
        } else {
            s.outliers as f64 / items as f64
        };
        s.clusters = total;
        let outliers = labels.iter().filter(|l| l.is_none()).count();
        Ok(Extension {
            labels,
            assigned: n_assigned,
            opened,
            outliers,
        })
    }

    /// Writes the model into `dir` (created if missing): `clusters.model.json`,
    /// `clusters.vectors.npy` and, when the index has been built, its dump
    /// `clusters.index.hnsw.*` (an index of an earlier model there is
    /// removed). A model saved without its index builds it when it is
    /// first extended (and saved again) or assigned many vectors.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let vpath = dir.join(VECTORS_FILE);
        let mut w = crate::io::npy::NpyWriter::create(&vpath, self.vectors.dim())?;
        for i in 0..self.vectors.len() {
            w.push(self.vectors.row(i))?;
        }
        w.finish()?;
        match &self.index {
            Some(idx) => idx.save(dir, INDEX_BASENAME)?,
            None => VectorIndex::remove(dir, INDEX_BASENAME)?,
        }
        let saved = Saved {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            vocmine: env!("CARGO_PKG_VERSION").into(),
            dim: self.vectors.dim(),
            items: self.vectors.len(),
            config: self.config.clone(),
            assign_threshold: self.assign_threshold,
            clusters: self.centroids.len(),
            labels: self.labels.clone(),
            stats: self.stats.clone(),
            centering: self.centering.clone(),
        };
        let mpath = dir.join(MODEL_FILE);
        let tmp = dir.join(format!("{MODEL_FILE}.tmp"));
        let json = serde_json::to_vec(&saved)?;
        std::fs::write(&tmp, json).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &mpath).map_err(|e| Error::io(&mpath, e))?;
        Ok(())
    }

    /// Whether `dir` holds a saved model.
    pub fn exists(dir: &Path) -> bool {
        dir.join(MODEL_FILE).is_file()
    }

    /// Reads a model written by [`save`](Self::save).
    pub fn load(dir: &Path) -> Result<ClusterModel> {
        let mpath = dir.join(MODEL_FILE);
        let bytes = std::fs::read(&mpath).map_err(|e| Error::io(&mpath, e))?;
        let bad = |message: String| Error::Resource {
            path: mpath.clone(),
            line: 0,
            message,
        };
        let saved: Saved =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a cluster model: {e}")))?;
        if saved.format != FORMAT || saved.version != FORMAT_VERSION {
            return Err(bad(format!(
                "format {} version {} is not {FORMAT} version {FORMAT_VERSION}",
                saved.format, saved.version
            )));
        }
        saved.config.validate()?;
        let vectors = super::io::read_saved_npy(&dir.join(VECTORS_FILE))?;
        if vectors.len() != saved.items
            || saved.labels.len() != saved.items
            || (saved.items > 0 && vectors.dim() != saved.dim)
        {
            return Err(bad(format!(
                "the model has {} items of dimension {}, the vectors file {} of {}",
                saved.items,
                saved.dim,
                vectors.len(),
                vectors.dim()
            )));
        }
        if saved
            .labels
            .iter()
            .flatten()
            .any(|&l| l as usize >= saved.clusters)
        {
            return Err(bad("a label is not below the cluster count".into()));
        }
        let index_rows: Vec<u32> = (0..vectors.len())
            .filter(|&i| vectors.is_valid(i))
            .map(|i| i as u32)
            .collect();
        // saved without its index when none had been built
        let index = if VectorIndex::exists(dir, INDEX_BASENAME) {
            Some(VectorIndex::load(
                dir,
                INDEX_BASENAME,
                index_rows.len(),
                saved.dim,
                saved.config.hnsw,
            )?)
        } else {
            None
        };
        let mut m = ClusterModel {
            config: saved.config,
            vectors,
            labels: saved.labels,
            centroids: Vec::new(),
            sizes: Vec::new(),
            assign_threshold: saved.assign_threshold,
            index,
            index_rows,
            stats: saved.stats,
            centering: saved.centering,
        };
        m.recompute(saved.clusters);
        Ok(m)
    }
}
