//! The HNSW index over unit vectors (`hnsw_rs`), with a deterministic build
//! and dump/reload beside a store: what assigns new vectors to a model's
//! clusters (`ClusterModel::extend`, `assign`). Fitting does not need it
//! (its kNN graph comes from `knn.rs`), so it is built when first needed.
//!
//! * **Distance**: `1 − a·b` on unit vectors ([`UnitCosine`]). `hnsw_rs`'s own
//!   `DistDot` asserts `a·b ≤ 1`, which rounding breaks for near-duplicates
//!   (it panics on real embeddings), so the index uses its own distance,
//!   clamped at 0.
//! * **Determinism**: points are inserted one by one in row order. `hnsw_rs`
//!   draws the layer of each point from a generator with a fixed seed, so a
//!   serial build gives the same graph on every run and every thread count;
//!   its `parallel_insert` does not (the draws and the links depend on thread
//!   timing). Searches only read the graph, so they run in parallel and stay
//!   deterministic.
//! * **Files**: `hnsw_rs`'s dump, `BASENAME.hnsw.graph` and
//!   `BASENAME.hnsw.data`. A dump is written under a temporary name and then
//!   renamed, so a failed save leaves the previous index in place. `hnsw_rs`
//!   panics on some I/O and format errors; they are caught and returned as
//!   [`Error::Resource`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use hnsw_rs::prelude::{AnnT, Distance, Hnsw, HnswIo};
use serde::{Deserialize, Serialize};

use super::vectors::dot;
use crate::error::{Error, Result};

/// Extensions of a saved index's files (`hnsw_rs`'s dump), graph first.
const FILES: [&str; 2] = ["hnsw.graph", "hnsw.data"];

/// `1 − a·b` for unit vectors, never below 0.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, va: &[f32], vb: &[f32]) -> f32 {
        (1.0 - dot(va, vb)).max(0.0)
    }
}

/// HNSW parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HnswParams {
    /// Links per point and layer (`M`; layer 0 keeps twice as many); 4..=128.
    pub m: usize,
    /// Candidate list while inserting (`efConstruction`).
    pub ef_construction: usize,
    /// Candidate list while searching (`ef`); at least the number of
    /// neighbours asked for.
    pub ef_search: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 12,
            ef_construction: 64,
            ef_search: 48,
        }
    }
}

impl HnswParams {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(4..=128).contains(&self.m) {
            return Err(Error::Config(format!(
                "hnsw m must be in 4..=128, got {}",
                self.m
            )));
        }
        if self.ef_construction < 8 || self.ef_construction > 4096 {
            return Err(Error::Config(format!(
                "hnsw ef_construction must be in 8..=4096, got {}",
                self.ef_construction
            )));
        }
        if self.ef_search == 0 || self.ef_search > 4096 {
            return Err(Error::Config(format!(
                "hnsw ef_search must be in 1..=4096, got {}",
                self.ef_search
            )));
        }
        Ok(())
    }
}

/// An HNSW index of unit vectors; point ids are the caller's row numbers.
pub struct VectorIndex {
    hnsw: Hnsw<'static, f32, UnitCosine>,
    len: usize,
    dim: usize,
    pub(crate) params: HnswParams,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("len", &self.len)
            .field("dim", &self.dim)
            .field("params", &self.params)
            .finish()
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown failure".to_string()
    }
}

fn load_static(
    loader: &'static mut HnswIo,
) -> std::result::Result<Hnsw<'static, f32, UnitCosine>, String> {
    loader
        .load_hnsw::<f32, UnitCosine>()
        .map_err(|e| e.to_string())
}

impl VectorIndex {
    /// An empty index for vectors of `dim` values, sized for `capacity` points.
    pub fn new(dim: usize, capacity: usize, params: HnswParams) -> Result<VectorIndex> {
        params.validate()?;
        if dim == 0 {
            return Err(Error::Config("index dimension must be at least 1".into()));
        }
        let hnsw = Hnsw::new(
            params.m,
            capacity.max(1),
            16,
            params.ef_construction,
            UnitCosine,
        );
        Ok(VectorIndex {
            hnsw,
            len: 0,
            dim,
            params,
        })
    }

    /// Inserts one unit vector with the next id (`len()` before the call),
    /// and returns that id.
    pub fn insert(&mut self, v: &[f32]) -> Result<usize> {
        if v.len() != self.dim {
            return Err(Error::Data(format!(
                "vector has {} values, the index {}",
                v.len(),
                self.dim
            )));
        }
        let id = self.len;
        self.hnsw.insert_slice((v, id));
        self.len += 1;
        Ok(id)
    }

    /// Points in the index.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The parameters it was built with.
    pub fn params(&self) -> HnswParams {
        self.params
    }

    /// The (approximate) `k` nearest points: `(id, similarity)`, most
    /// similar first, ties by id.
    pub fn search(&self, q: &[f32], k: usize) -> Vec<(u32, f32)> {
        if self.len == 0 || k == 0 || q.len() != self.dim {
            return Vec::new();
        }
        let ef = self.params.ef_search.max(k);
        let mut out: Vec<(u32, f32)> = self
            .hnsw
            .search(q, k, ef)
            .into_iter()
            .map(|n| (n.d_id as u32, 1.0 - n.distance))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        out
    }

    /// The links of every point (all layers, deduplicated, sorted), by id.
    pub fn links(&self) -> Vec<Vec<u32>> {
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); self.len];
        for point in self.hnsw.get_point_indexation() {
            let id = point.get_origin_id();
            let Some(slot) = out.get_mut(id) else {
                continue;
            };
            for layer in point.get_neighborhood_id() {
                slot.extend(
                    layer
                        .iter()
                        .map(|n| n.d_id)
                        .filter(|&d| d < self.len && d != id)
                        .map(|d| d as u32),
                );
            }
            slot.sort_unstable();
            slot.dedup();
        }
        out
    }

    /// The files of an index saved as `basename` in `dir`.
    fn files(dir: &Path, basename: &str) -> [std::path::PathBuf; 2] {
        FILES.map(|ext| dir.join(format!("{basename}.{ext}")))
    }

    /// Whether an index was saved as `basename` in `dir` (its graph file
    /// exists; [`load`](Self::load) checks the rest).
    pub fn exists(dir: &Path, basename: &str) -> bool {
        Self::files(dir, basename)[0].exists()
    }

    /// Removes the files of an index saved as `basename` in `dir`, if any.
    pub fn remove(dir: &Path, basename: &str) -> Result<()> {
        for p in Self::files(dir, basename) {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        Ok(())
    }

    /// Writes `BASENAME.hnsw.graph` and `BASENAME.hnsw.data` into `dir`
    /// (which must exist), replacing earlier files of that name.
    pub fn save(&self, dir: &Path, basename: &str) -> Result<()> {
        let tmp = format!("{basename}.tmp");
        Self::remove(dir, &tmp)?;
        let dumped = catch_unwind(AssertUnwindSafe(|| self.hnsw.file_dump(dir, &tmp)))
            .map_err(|p| Error::Resource {
                path: dir.join(&tmp),
                line: 0,
                message: format!("cannot write the HNSW index: {}", panic_message(p)),
            })?
            .map_err(|e| Error::Resource {
                path: dir.join(&tmp),
                line: 0,
                message: format!("cannot write the HNSW index: {e}"),
            })?;
        for (from, to) in Self::files(dir, &dumped)
            .into_iter()
            .zip(Self::files(dir, basename))
        {
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
        Ok(())
    }

    /// Reads an index written by [`save`](Self::save); `len` and `dim` are
    /// checked against what the caller expects.
    ///
    /// `hnsw_rs` ties a reloaded index to the lifetime of its loader; the
    /// loader (a few paths and options, no data) is leaked once per load so
    /// that the index can be owned.
    pub fn load(
        dir: &Path,
        basename: &str,
        len: usize,
        dim: usize,
        params: HnswParams,
    ) -> Result<VectorIndex> {
        let files = Self::files(dir, basename);
        let graph = files[0].clone();
        for p in &files {
            if !p.is_file() {
                return Err(Error::io(
                    p,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "index file missing"),
                ));
            }
        }
        let bad = |message: String| Error::Resource {
            path: graph.clone(),
            line: 0,
            message,
        };
        let loader = Box::new(HnswIo::new(dir, basename));
        let hnsw = catch_unwind(AssertUnwindSafe(move || load_static(Box::leak(loader))))
            .map_err(|p| bad(format!("broken HNSW index: {}", panic_message(p))))?
            .map_err(|e| bad(format!("cannot read the HNSW index: {e}")))?;
        let found = hnsw.get_nb_point();
        if found != len {
            return Err(bad(format!(
                "the index holds {found} points, the model {len}"
            )));
        }
        if len > 0 && hnsw.get_point_indexation().get_data_dimension() != dim {
            return Err(bad(format!(
                "the index has dimension {}, the model {dim}",
                hnsw.get_point_indexation().get_data_dimension()
            )));
        }
        Ok(VectorIndex {
            hnsw,
            len,
            dim,
            params,
        })
    }
}
