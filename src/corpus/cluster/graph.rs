//! The weighted, undirected kNN graph the communities are found on.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::knn::Knn;

/// How kNN links become edge weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// UMAP's fuzzy simplicial set: `exp(−(dᵢⱼ − ρᵢ)/σᵢ)` with `d = 1 − cos`,
    /// `ρᵢ` the distance to the nearest neighbour and `σᵢ` chosen so that the
    /// weights of a row sum to `log₂ k`; the two directions are combined as a
    /// fuzzy union `a + b − ab`. Adapts to local density.
    #[default]
    Umap,
    /// Shared nearest neighbours: `|N(i) ∩ N(j)| / k` for every kNN link
    /// (each list including the point itself), at least `1/k`.
    Snn,
    /// 1 for every kNN link (either direction).
    Binary,
}

/// An undirected graph in compressed rows, without self-loops; the weighted
/// degree of each node is kept apart (it includes the self-loops that
/// aggregation creates).
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub offsets: Vec<usize>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
    pub degree: Vec<f64>,
    /// Sum of all degrees (2m).
    pub total: f64,
}

impl Graph {
    pub(crate) fn len(&self) -> usize {
        self.degree.len()
    }

    pub(crate) fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[v]..self.offsets[v + 1];
        self.targets[r.clone()]
            .iter()
            .zip(&self.weights[r])
            .map(|(t, w)| (*t as usize, *w))
    }

    /// From directed `(a, b, w)` entries that already hold both directions
    /// of every edge; duplicates are summed. `self_loops[v]` is added to the
    /// degree of `v` only.
    pub(crate) fn from_entries(
        n: usize,
        mut entries: Vec<(u32, u32, f64)>,
        self_loops: &[f64],
    ) -> Graph {
        entries.par_sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        let mut offsets = vec![0usize; n + 1];
        let mut targets = Vec::with_capacity(entries.len());
        let mut weights: Vec<f64> = Vec::with_capacity(entries.len());
        let mut degree = vec![0f64; n];
        let mut last: Option<(u32, u32)> = None;
        for (a, b, w) in entries {
            if a == b {
                continue;
            }
            if last == Some((a, b)) {
                if let Some(x) = weights.last_mut() {
                    *x += w;
                }
            } else {
                targets.push(b);
                weights.push(w);
                offsets[a as usize + 1] += 1;
                last = Some((a, b));
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        for v in 0..n {
            let s: f64 = weights[offsets[v]..offsets[v + 1]].iter().sum();
            degree[v] = s + self_loops.get(v).copied().unwrap_or(0.0);
        }
        let total = degree.iter().sum();
        Graph {
            offsets,
            targets,
            weights,
            degree,
            total,
        }
    }
}

/// UMAP's per-point smooth kNN distances: (ρ, σ).
fn smooth_knn(dists: &[f32]) -> (f64, f64) {
    let ds: Vec<f64> = dists
        .iter()
        .filter(|d| d.is_finite())
        .map(|d| f64::from(*d).max(0.0))
        .collect();
    if ds.is_empty() {
        return (0.0, 1.0);
    }
    let rho = ds.iter().copied().fold(f64::INFINITY, f64::min);
    let target = (ds.len() as f64).log2();
    let (mut lo, mut hi, mut mid) = (0.0f64, f64::INFINITY, 1.0f64);
    for _ in 0..64 {
        let s: f64 = ds
            .iter()
            .map(|d| {
                let x = d - rho;
                if x > 0.0 {
                    (-x / mid).exp()
                } else {
                    1.0
                }
            })
            .sum();
        if (s - target).abs() < 1e-5 {
            break;
        }
        if s > target {
            hi = mid;
            mid = (lo + hi) / 2.0;
        } else {
            lo = mid;
            mid = if hi.is_infinite() {
                mid * 2.0
            } else {
                (lo + hi) / 2.0
            };
        }
    }
    // UMAP's floor: σ at least 1e-3 of the mean distance.
    let mean = ds.iter().sum::<f64>() / ds.len() as f64;
    (rho, mid.max(1e-3 * mean).max(1e-12))
}

/// The weighted undirected graph of a kNN table.
pub(crate) fn build(knn: &Knn, weighting: Weighting) -> Graph {
    let n = knn.len();
    let k = knn.k;
    let directed: Vec<Vec<(u32, f64)>> = match weighting {
        Weighting::Umap => (0..n)
            .into_par_iter()
            .map(|i| {
                let row: Vec<(usize, f32)> = knn.row(i).collect();
                let dists: Vec<f32> = row.iter().map(|(_, s)| 1.0 - s).collect();
                let (rho, sigma) = smooth_knn(&dists);
                row.iter()
                    .map(|&(j, s)| {
                        let x = (f64::from(1.0 - s).max(0.0) - rho).max(0.0);
                        (j as u32, (-x / sigma).exp())
                    })
                    .collect()
            })
            .collect(),
        Weighting::Snn => (0..n)
            .into_par_iter()
            .map(|i| {
                let mut mine: Vec<usize> = knn.row(i).map(|x| x.0).collect();
                mine.push(i);
                mine.sort_unstable();
                knn.row(i)
                    .map(|(j, _)| {
                        let shared = knn
                            .row(j)
                            .map(|x| x.0)
                            .chain(std::iter::once(j))
                            .filter(|x| mine.binary_search(x).is_ok())
                            .count();
                        (
                            j as u32,
                            (shared as f64 / (k + 1) as f64).max(1.0 / (k + 1) as f64),
                        )
                    })
                    .collect()
            })
            .collect(),
        Weighting::Binary => (0..n)
            .into_par_iter()
            .map(|i| knn.row(i).map(|(j, _)| (j as u32, 1.0)).collect())
            .collect(),
    };
    // Symmetrize: look up the reverse weight of each link.
    let mut entries: Vec<(u32, u32, f64)> = Vec::with_capacity(2 * n * k);
    for (i, row) in directed.iter().enumerate() {
        for &(j, w) in row {
            let back = directed[j as usize]
                .iter()
                .find(|x| x.0 as usize == i)
                .map(|x| x.1);
            let w = match (weighting, back) {
                (Weighting::Umap, Some(b)) => w + b - w * b,
                (Weighting::Umap, None) => w,
                (_, Some(b)) => w.max(b),
                (_, None) => w,
            };
            if w <= 0.0 {
                continue;
            }
            // Each undirected edge once from each side; mutual links are
            // seen twice (from i and from j) with the same combined weight,
            // so only the lower id adds them.
            if back.is_some() && (j as usize) < i {
                continue;
            }
            entries.push((i as u32, j, w));
            entries.push((j, i as u32, w));
        }
    }
    Graph::from_entries(n, entries, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knn() -> Knn {
        // 0-1 mutual, 2 → 1 one-way.
        Knn {
            n: 3,
            k: 1,
            ids: vec![1, 0, 1],
            sims: vec![0.9, 0.9, 0.5],
        }
    }

    #[test]
    fn symmetric_and_summed() {
        for w in [Weighting::Umap, Weighting::Snn, Weighting::Binary] {
            let g = build(&knn(), w);
            assert_eq!(g.len(), 3);
            let n1: Vec<usize> = g.neighbours(1).map(|x| x.0).collect();
            assert_eq!(n1, vec![0, 2], "{w:?}");
            let n0: Vec<usize> = g.neighbours(0).map(|x| x.0).collect();
            assert_eq!(n0, vec![1]);
            assert!((g.total - g.degree.iter().sum::<f64>()).abs() < 1e-12);
            for v in 0..3 {
                for (u, x) in g.neighbours(v) {
                    let back = g.neighbours(u).find(|y| y.0 == v).unwrap().1;
                    assert_eq!(x, back);
                }
            }
        }
    }

    #[test]
    fn smooth_knn_hits_target() {
        let d = [0.05f32, 0.06, 0.08, 0.1, 0.12, 0.2, 0.3, 0.4];
        let (rho, sigma) = smooth_knn(&d);
        assert!((rho - 0.05).abs() < 1e-6);
        let s: f64 = d
            .iter()
            .map(|x| (-((f64::from(*x) - rho).max(0.0)) / sigma).exp())
            .sum();
        assert!((s - 8f64.log2()).abs() < 1e-3, "{s}");
    }
}
