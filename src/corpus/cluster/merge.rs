//! Cross-language merging: one issue voiced in several languages is one
//! cluster even where the kNN graph split it by language.
//!
//! Even after [`LanguageCentering`](super::LanguageCentering), a clause's
//! nearest neighbours are mostly in its own language (on the sample corpus
//! 84% of the 15 neighbours of the Chinese infotainment-freeze clauses are
//! Chinese, and their nearest Russian or English clause about the same
//! freeze is, at the median, the 15th), so whether the kNN graph links the Chinese and the
//! Russian / English halves of one issue, and Leiden keeps them together,
//! turns on the last bits of the embeddings: int8 kernels of another CPU
//! split the issue in two.
//!
//! Cluster centroids average many clauses, so their similarities move far
//! less than single kNN links: on the sample, in every one of 17 runs where
//! the issue came out split (seeded noise, other seeds, the fp32 graph), the
//! two halves were each other's nearest cluster of another main language.
//!
//! The rule: two clusters whose language mixes differ (histogram
//! intersection of their language shares below 0.75) are merged when each
//! is the other's nearest such cluster (centroid cosine) and that cosine
//! reaches `ratio` (default 0.9) of the less cohesive cluster's mean
//! member–centroid cosine — the two halves are about as close as the
//! members of one of them. One round: every cluster takes part in at most
//! one merge, so merges do not chain (an issue split three ways keeps one
//! part apart). Clusters with the same language mix are never merged, so
//! single-language data is unchanged. Measured on the sample (`cluster_eval
//! stability`, 21 perturbed runs): the infotainment-freeze issue is one
//! cluster holding most of its clauses in each language in 21 of 21 runs
//! (0 of 21 without the merge).

use rayon::prelude::*;

use super::vectors::{centroid, dot, Vectors};

/// Pairs whose language mixes overlap this much or more (histogram
/// intersection of the language shares) are never merged.
const MAX_OVERLAP: f64 = 0.75;

/// Histogram intersection of two clusters' language counts (1 = the same
/// mix; a cluster without language counts counts as the same).
fn overlap(a: &[usize], b: &[usize]) -> f64 {
    let (ta, tb) = (
        a.iter().sum::<usize>() as f64,
        b.iter().sum::<usize>() as f64,
    );
    if ta == 0.0 || tb == 0.0 {
        return 1.0;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 / ta).min(*y as f64 / tb))
        .sum()
}

/// Merges clusters of `labels` (cluster of each row of `v`, `None` for rows
/// in none; ids below `clusters`) that split one issue by language (see the
/// module documentation). `groups[i]`: the language group of row `i`;
/// `ratio`: the share of the lower cohesion the centroid cosine must reach.
/// Returns the merges made as `(kept, absorbed)` pairs, in order; `labels`
/// are rewritten to the kept ids.
pub(crate) fn across_languages(
    v: &Vectors,
    labels: &mut [Option<usize>],
    groups: &[Option<u32>],
    clusters: usize,
    ratio: f64,
) -> Vec<(usize, usize)> {
    let ngroups = groups
        .iter()
        .flatten()
        .map(|g| *g as usize + 1)
        .max()
        .unwrap_or(0);
    if ngroups < 2 || groups.len() != labels.len() || clusters < 2 {
        return Vec::new();
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); clusters];
    let mut langs: Vec<Vec<usize>> = vec![vec![0; ngroups]; clusters];
    for (i, l) in labels.iter().enumerate() {
        let Some(c) = *l else { continue };
        if c >= clusters || !v.is_valid(i) {
            continue;
        }
        members[c].push(i);
        if let Some(g) = groups[i] {
            langs[c][g as usize] += 1;
        }
    }
    let live: Vec<usize> = (0..clusters).filter(|&c| !members[c].is_empty()).collect();
    // Unit centroids and cohesion (mean member–centroid cosine).
    let cent: Vec<Vec<f32>> = (0..clusters)
        .into_par_iter()
        .map(|c| centroid(v, members[c].iter().copied()))
        .collect();
    let cohesion: Vec<f64> = (0..clusters)
        .into_par_iter()
        .map(|c| {
            let m = &members[c];
            let s: f64 = m.iter().map(|&i| f64::from(dot(v.row(i), &cent[c]))).sum();
            s / m.len().max(1) as f64
        })
        .collect();
    // Nearest live cluster of another language mix (ties: lower id). Each
    // row is computed on its own, so the thread count changes nothing.
    let mut nearest: Vec<Option<(usize, f32)>> = vec![None; clusters];
    let found: Vec<Option<(usize, f32)>> = live
        .par_iter()
        .map(|&a| {
            let mut best: Option<(usize, f32)> = None;
            for &b in &live {
                if a == b || overlap(&langs[a], &langs[b]) >= MAX_OVERLAP {
                    continue;
                }
                let s = dot(&cent[a], &cent[b]);
                if best.is_none_or(|(_, t)| s > t) {
                    best = Some((b, s));
                }
            }
            best
        })
        .collect();
    for (&a, f) in live.iter().zip(found) {
        nearest[a] = f;
    }
    // One round: mutual nearest pairs are disjoint, so every cluster takes
    // part in at most one merge and merges never chain (repeated rounds
    // grew a 150-clause catch-all on the sample).
    let mut into: Vec<usize> = (0..clusters).collect();
    let mut merges = Vec::new();
    for &a in &live {
        let Some((b, s)) = nearest[a] else { continue };
        if a >= b || nearest[b].map(|x| x.0) != Some(a) {
            continue;
        }
        if f64::from(s) >= ratio * cohesion[a].min(cohesion[b]) {
            let (keep, gone) = if members[a].len() >= members[b].len() {
                (a, b)
            } else {
                (b, a)
            };
            into[gone] = keep;
            merges.push((keep, gone));
        }
    }
    for l in labels.iter_mut().flatten() {
        if *l < clusters {
            *l = into[*l];
        }
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows near `axis` with a small offset in a language-specific axis.
    fn rows(axis: usize, lang_axis: usize, n: usize, tilt: f32) -> Vec<Vec<f32>> {
        (0..n)
            .map(|i| {
                let mut r = vec![0f32; 8];
                r[axis] = 1.0;
                r[lang_axis] = tilt;
                r[7] = 0.05 * (i % 5) as f32;
                r
            })
            .collect()
    }

    #[test]
    fn merges_one_issue_split_by_language_only() {
        // Issue on axis 0 in language 0 (cluster 0) and language 1
        // (cluster 1); another issue on axis 1 in language 0 (cluster 2).
        let mut data = rows(0, 5, 10, 0.3);
        data.extend(rows(0, 6, 10, 0.3));
        data.extend(rows(1, 5, 10, 0.3));
        let v = Vectors::from_rows(&data).unwrap();
        let mut labels: Vec<Option<usize>> = (0..30).map(|i| Some(i / 10)).collect();
        let groups: Vec<Option<u32>> = (0..30)
            .map(|i| Some(if (10..20).contains(&i) { 1 } else { 0 }))
            .collect();
        // Centroid cosine 0.92, cohesion 1.0: below a ratio of 1, above 0.9.
        let mut strict = labels.clone();
        assert!(across_languages(&v, &mut strict, &groups, 3, 1.0).is_empty());
        let merges = across_languages(&v, &mut labels, &groups, 3, 0.9);
        assert_eq!(merges.len(), 1, "{merges:?}");
        assert!(labels[..20].iter().all(|l| *l == labels[0]));
        assert!(labels[20..].iter().all(|l| *l == Some(2)));
    }

    #[test]
    fn one_language_is_never_merged() {
        let mut data = rows(0, 5, 10, 0.3);
        data.extend(rows(0, 6, 10, 0.3));
        let v = Vectors::from_rows(&data).unwrap();
        let mut labels: Vec<Option<usize>> = (0..20).map(|i| Some(i / 10)).collect();
        let before = labels.clone();
        let groups = vec![Some(0u32); 20];
        assert!(across_languages(&v, &mut labels, &groups, 2, 1.0).is_empty());
        assert_eq!(labels, before);
    }
}
