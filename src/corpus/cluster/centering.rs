//! Per-language centering: the same issue in Chinese, Russian and English
//! lands in one cluster.
//!
//! Multilingual sentence embeddings carry a strong language component: with
//! multilingual-e5-small, 96 paraphrases of 4 banking issues in zh, ru and
//! en cluster into 6 groups where Chinese forms clusters of its own (NMI
//! with the issue 0.68, with the language 0.46). Subtracting each
//! language's mean vector and re-normalizing removes that component
//! (Libovický et al. 2020, "On the language neutrality of pre-trained
//! multilingual representations"): the same data gives 5 clusters, each
//! with all three languages (NMI with the issue 0.85, with the language
//! 0.00; `examples/cluster_eval crosslingual`). On one language it only
//! removes the common mean, which left banking77 unchanged (NMI 0.779 vs
//! 0.777 on 3k, 0.796 vs 0.796 on 10k; `cluster_eval eval … --center en`).
//!
//! Languages with fewer than [`LanguageCentering::MIN_ITEMS`] items, and
//! unknown ones, are centred on the mean of all items.
//!
//! # The leading principal direction
//!
//! In a corpus of one language, after the mean, the direction along which
//! the centred items vary most can also be projected out ([`LanguageCentering::removing_principal`];
//! `ClusterConfig::remove_principal`, default 1), as "All-but-the-top"
//! (Mu & Viswanath 2018) does for word vectors. That direction is a
//! corpus's broadest contrast (on banking77: card questions against
//! transfer questions), which weighs on every kNN distance; without it the
//! neighbours follow the finer issues that hot-issue discovery is after.
//! Through the CLI on banking77 (EVALUATION.md) NMI goes from 0.757–0.770
//! to 0.777–0.781 on three samples of 3,080 (0.777–0.794 on six) and from
//! 0.787 to 0.800 on the 10,003; removing two directions gains less. Sets
//! nothing was chosen on gain too (`benches/compare/cluster_sets.py`, mean
//! of 3 seeds): SemEval-2016 restaurant sentences by category, en +0.010
//! and ru +0.008; Chinese online-shopping reviews by product type +0.007.
//!
//! A small set holds few themes, and its leading direction is one of them:
//! on the 96 texts of the cross-lingual check (4 issues in 3 languages,
//! `cluster_eval crosslingual`) removing it merges two issues (NMI with the
//! issue 0.85 → 0.63), and 361 single-intent nlupp turns lost 0.020.
//! Below [`LanguageCentering::PRINCIPAL_MIN_ITEMS`] (500) items nothing is
//! removed.
//!
//! Nor is anything removed when more than one language has a mean of its
//! own: on the sample corpus (zh / ru / en) the infotainment-freeze issue
//! then came apart by language more often under perturbation (one cluster
//! holding at least a third of each language's clauses in 4 of 8 runs at
//! noise 0.05 and at 0.1, against 7 of 8 without; `cluster_eval
//! stability`, EVALUATION.md). Keeping one issue in one cluster across languages
//! comes first.
//!
//! The direction comes from at most [`LanguageCentering::PRINCIPAL_ROWS`]
//! evenly spaced items: their Gram matrix is summed over fixed row blocks
//! in a fixed order, so it is the same whatever the thread count, and its
//! top eigenvector found by the subspace iteration of the kNN projection.
//! It is kept with the means and applied to every vector the model later
//! assigns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::vectors::Vectors;
use crate::error::{Error, Result};

/// Mean vectors per language, subtracted before clustering, and the unit
/// directions projected out after them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageCentering {
    means: BTreeMap<String, Vec<f32>>,
    global: Vec<f32>,
    /// Unit directions projected out after the mean is subtracted (none in
    /// models saved before they were introduced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removed: Vec<Vec<f32>>,
}

/// Subspace-iteration steps on the Gram matrix of the centred rows.
const STEPS: usize = 300;

/// The `count` leading right singular vectors of the row-major matrix
/// `rows` (`dim` columns): the top eigenvectors of `XᵀX`, by the same
/// subspace iteration as the kNN projection. Each sign is fixed so that the
/// largest component is positive; directions along which nothing varies are
/// dropped.
fn leading_directions(rows: &[f32], dim: usize, count: usize) -> Vec<Vec<f64>> {
    let c = super::knn::gram_of(rows, dim);
    let q = super::knn::top_subspace(&c, dim, count, STEPS, 0x5EED);
    let mut found = Vec::with_capacity(count);
    for mut u in q.chunks_exact(dim).map(<[f64]>::to_vec) {
        // Rayleigh quotient uᵀCu: nothing left to remove when it is 0 (also
        // when u is 0).
        let spread: f64 = (0..dim)
            .map(|i| {
                u[i] * c[i * dim..(i + 1) * dim]
                    .iter()
                    .zip(&u)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
            })
            .sum();
        if spread.is_nan() || spread <= 0.0 {
            break;
        }
        let big = u
            .iter()
            .copied()
            .fold(0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if big < 0.0 {
            u.iter_mut().for_each(|x| *x = -*x);
        }
        found.push(u);
    }
    found
}

fn mean_of(v: &Vectors, rows: impl Iterator<Item = usize>) -> (Vec<f32>, usize) {
    let mut sum = vec![0f64; v.dim()];
    let mut n = 0usize;
    for i in rows {
        if !v.is_valid(i) {
            continue;
        }
        for (s, x) in sum.iter_mut().zip(v.row(i)) {
            *s += f64::from(*x);
        }
        n += 1;
    }
    let m = if n == 0 {
        vec![0.0; v.dim()]
    } else {
        sum.iter().map(|s| (s / n as f64) as f32).collect()
    };
    (m, n)
}

fn check_len(v: &Vectors, languages: &[&str]) -> Result<()> {
    if languages.len() != v.len() {
        return Err(Error::Data(format!(
            "{} languages for {} vectors",
            languages.len(),
            v.len()
        )));
    }
    Ok(())
}

impl LanguageCentering {
    /// Languages with fewer items use the mean of all items.
    pub const MIN_ITEMS: usize = 20;

    /// The means of `v` per language (`languages[i]` is the language of row `i`).
    pub fn fit(v: &Vectors, languages: &[&str]) -> Result<LanguageCentering> {
        check_len(v, languages)?;
        let (global, _) = mean_of(v, 0..v.len());
        let mut rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, l) in languages.iter().enumerate() {
            rows.entry(l).or_default().push(i);
        }
        let mut means = BTreeMap::new();
        for (lang, r) in rows {
            let (m, n) = mean_of(v, r.into_iter());
            if n >= Self::MIN_ITEMS {
                means.insert(lang.to_string(), m);
            }
        }
        Ok(LanguageCentering {
            means,
            global,
            removed: Vec::new(),
        })
    }

    /// Items the principal directions are computed from at most (evenly
    /// spaced over the valid rows).
    pub const PRINCIPAL_ROWS: usize = 20_000;

    /// Fewer valid items than this: no direction is removed (see the module
    /// documentation).
    pub const PRINCIPAL_MIN_ITEMS: usize = 500;

    /// The same centering, which also projects out the `count` leading
    /// principal directions of `v` once centred (`languages` as for
    /// [`fit`](Self::fit); see the module documentation). `count` 0, fewer
    /// than [`PRINCIPAL_MIN_ITEMS`](Self::PRINCIPAL_MIN_ITEMS) valid items,
    /// or more than one language with a mean of its own removes none;
    /// `count` must be below the dimension.
    pub fn removing_principal(
        mut self,
        v: &Vectors,
        languages: &[&str],
        count: usize,
    ) -> Result<LanguageCentering> {
        check_len(v, languages)?;
        if count == 0 || v.is_empty() {
            self.removed.clear();
            return Ok(self);
        }
        if count >= v.dim() || v.dim() != self.global.len() {
            return Err(Error::Config(format!(
                "cannot remove {count} principal directions of {}-dimensional vectors (centering of dimension {})",
                v.dim(),
                self.global.len()
            )));
        }
        let valid: Vec<usize> = (0..v.len()).filter(|&i| v.is_valid(i)).collect();
        if valid.len() < Self::PRINCIPAL_MIN_ITEMS || self.means.len() > 1 {
            self.removed.clear();
            return Ok(self);
        }
        let step = valid.len().div_ceil(Self::PRINCIPAL_ROWS).max(1);
        let mut rows: Vec<f32> = Vec::with_capacity(valid.len().div_ceil(step) * v.dim());
        for &i in valid.iter().step_by(step) {
            let mean = self.means.get(languages[i]).unwrap_or(&self.global);
            rows.extend(v.row(i).iter().zip(mean).map(|(x, m)| x - m));
        }
        self.removed = leading_directions(&rows, v.dim(), count)
            .into_iter()
            .map(|u| u.into_iter().map(|x| x as f32).collect())
            .collect();
        Ok(self)
    }

    /// How many principal directions are projected out.
    pub fn removed_directions(&self) -> usize {
        self.removed.len()
    }

    /// The languages with a mean of their own.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.means.keys().map(String::as_str)
    }

    /// `v` with each row's language mean subtracted, re-normalized. Without
    /// `languages`, every row is centred on the mean of all items.
    pub fn apply(&self, v: &Vectors, languages: Option<&[&str]>) -> Result<Vectors> {
        if let Some(l) = languages {
            check_len(v, l)?;
        }
        if v.is_empty() {
            return Ok(v.clone());
        }
        if v.dim() != self.global.len() {
            return Err(Error::Data(format!(
                "vectors have dimension {}, the centering {}",
                v.dim(),
                self.global.len()
            )));
        }
        let mut data = Vec::with_capacity(v.len() * v.dim());
        for i in 0..v.len() {
            let row = v.row(i);
            if !v.is_valid(i) {
                data.extend_from_slice(row);
                continue;
            }
            let mean = languages
                .and_then(|l| self.means.get(l[i]))
                .unwrap_or(&self.global);
            let start = data.len();
            data.extend(row.iter().zip(mean).map(|(x, m)| x - m));
            let x = &mut data[start..];
            for u in &self.removed {
                let p = super::vectors::dot(x, u);
                for (a, b) in x.iter_mut().zip(u) {
                    *a -= p * b;
                }
            }
        }
        Vectors::new(data, v.dim())
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    #[test]
    fn removes_the_language_offset() {
        // Two topics (axes 0 and 1) in two languages (offset on axis 2 or 3).
        let mut data = Vec::new();
        let mut langs = Vec::new();
        for i in 0..80 {
            let topic = i % 2;
            let zh = i >= 40;
            let mut v = vec![0.0f32; 4];
            v[topic] = 0.5;
            v[if zh { 2 } else { 3 }] = 1.0;
            data.extend_from_slice(&v);
            langs.push(if zh { "zh" } else { "en" });
        }
        let v = Vectors::new(data, 4).unwrap();
        let c = LanguageCentering::fit(&v, &langs).unwrap();
        assert_eq!(c.languages().collect::<Vec<_>>(), vec!["en", "zh"]);
        let out = c.apply(&v, Some(&langs)).unwrap();
        // Same topic, different languages: now identical.
        assert!((super::super::vectors::dot(out.row(0), out.row(40)) - 1.0).abs() < 1e-5);
        // Different topics: opposite after centering.
        assert!(super::super::vectors::dot(out.row(0), out.row(1)) < 0.0);
        assert!(c.apply(&v, Some(&langs[..3])).is_err());
        assert_eq!(c.apply(&v, None).unwrap().len(), 80);
        assert!(LanguageCentering::fit(&v, &langs[..2]).is_err());
    }

    /// 600 rows in 4 dimensions: the centred rows vary most along axis 1,
    /// less along axes 2 and 3; axis 0 is a common offset.
    fn spread(n: usize) -> (Vectors, Vec<&'static str>) {
        let mut rng = Rng::new(7);
        let mut data = Vec::new();
        for _ in 0..n {
            let g = |r: &mut Rng, s: f64| ((r.next_f64() - 0.5) * s) as f32;
            data.extend_from_slice(&[2.0, g(&mut rng, 3.0), g(&mut rng, 1.0), g(&mut rng, 0.5)]);
        }
        (Vectors::new(data, 4).unwrap(), vec!["en"; n])
    }

    #[test]
    fn removes_the_leading_principal_direction() {
        let (v, langs) = spread(600);
        let c = LanguageCentering::fit(&v, &langs)
            .unwrap()
            .removing_principal(&v, &langs, 1)
            .unwrap();
        assert_eq!(c.removed_directions(), 1);
        let u = &c.removed[0];
        assert!(u[1] > 0.99, "{u:?}");
        let out = c.apply(&v, Some(&langs)).unwrap();
        for i in 0..out.len() {
            assert!(super::super::vectors::dot(out.row(i), u).abs() < 1e-4);
        }
        // The same direction, bit for bit, on 1 thread and on 3.
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    LanguageCentering::fit(&v, &langs)
                        .unwrap()
                        .removing_principal(&v, &langs, 2)
                        .unwrap()
                })
        };
        assert_eq!(on(1), on(3));
        assert_eq!(on(1).removed_directions(), 2);
        // Too few items: none removed; too many directions: an error.
        let (small, sl) = spread(LanguageCentering::PRINCIPAL_MIN_ITEMS - 1);
        let c = LanguageCentering::fit(&small, &sl).unwrap();
        assert_eq!(
            c.clone()
                .removing_principal(&small, &sl, 1)
                .unwrap()
                .removed_directions(),
            0
        );
        assert!(c.removing_principal(&small, &sl, 4).is_err());
        // Two languages with means of their own: none removed.
        let two: Vec<&str> = (0..600)
            .map(|i| if i % 2 == 0 { "en" } else { "zh" })
            .collect();
        let c = LanguageCentering::fit(&v, &two)
            .unwrap()
            .removing_principal(&v, &two, 1)
            .unwrap();
        assert_eq!(c.removed_directions(), 0);
    }

    #[test]
    fn a_centering_saved_without_directions_loads() {
        let json = r#"{"means":{"en":[0.5,0.0]},"global":[0.5,0.0]}"#;
        let c: LanguageCentering = serde_json::from_str(json).unwrap();
        assert_eq!(c.removed_directions(), 0);
        let back = serde_json::to_string(&c).unwrap();
        assert!(!back.contains("removed"), "{back}");
        // With a direction: written and read back bit for bit.
        let (v, langs) = spread(600);
        let c = LanguageCentering::fit(&v, &langs)
            .unwrap()
            .removing_principal(&v, &langs, 1)
            .unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("removed"));
        let back: LanguageCentering = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
