//! Agreement between two labelings: normalized mutual information (NMI,
//! arithmetic-mean normalization, as scikit-learn's default) and the
//! adjusted Rand index (ARI).
//!
//! Outliers (`None`) form one group of their own, which is how scikit-learn
//! scores HDBSCAN's `-1` labels, so both sides of a comparison are scored the
//! same way.

use std::collections::HashMap;
use std::hash::Hash;

/// Row sums, column sums and the non-zero cells of the contingency table.
type Table = (Vec<f64>, Vec<f64>, HashMap<(usize, usize), f64>);

fn contingency<A: Hash + Eq + Clone, B: Hash + Eq + Clone>(a: &[A], b: &[B]) -> Table {
    let mut ia: HashMap<A, usize> = HashMap::new();
    let mut ib: HashMap<B, usize> = HashMap::new();
    let mut ca: Vec<f64> = Vec::new();
    let mut cb: Vec<f64> = Vec::new();
    let mut joint: HashMap<(usize, usize), f64> = HashMap::new();
    for (x, y) in a.iter().zip(b) {
        let nx = ia.len();
        let i = *ia.entry(x.clone()).or_insert(nx);
        let ny = ib.len();
        let j = *ib.entry(y.clone()).or_insert(ny);
        if i == ca.len() {
            ca.push(0.0);
        }
        if j == cb.len() {
            cb.push(0.0);
        }
        ca[i] += 1.0;
        cb[j] += 1.0;
        *joint.entry((i, j)).or_insert(0.0) += 1.0;
    }
    (ca, cb, joint)
}

fn entropy(counts: &[f64], n: f64) -> f64 {
    counts
        .iter()
        .filter(|c| **c > 0.0)
        .map(|c| {
            let p = c / n;
            -p * p.ln()
        })
        .sum()
}

/// Normalized mutual information `I(A;B) / ((H(A) + H(B)) / 2)`; 1 when both
/// labelings are a single group; over the first `min(len)` items.
pub fn nmi<A: Hash + Eq + Clone, B: Hash + Eq + Clone>(a: &[A], b: &[B]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 1.0;
    }
    let (ca, cb, joint) = contingency(&a[..n], &b[..n]);
    let nf = n as f64;
    let (ha, hb) = (entropy(&ca, nf), entropy(&cb, nf));
    if ha == 0.0 && hb == 0.0 {
        return 1.0;
    }
    // Summed in a fixed order, so the value does not depend on hashing.
    let mut cells: Vec<((usize, usize), f64)> = joint.into_iter().collect();
    cells.sort_by_key(|c| c.0);
    let mut mi = 0.0;
    for &((i, j), c) in &cells {
        mi += c / nf * ((c * nf) / (ca[i] * cb[j])).ln();
    }
    let denom = (ha + hb) / 2.0;
    if denom <= 0.0 {
        0.0
    } else {
        (mi / denom).clamp(0.0, 1.0)
    }
}

/// Adjusted Rand index (1 for identical partitions, about 0 for random ones).
pub fn ari<A: Hash + Eq + Clone, B: Hash + Eq + Clone>(a: &[A], b: &[B]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let (ca, cb, joint) = contingency(&a[..n], &b[..n]);
    let c2 = |x: f64| x * (x - 1.0) / 2.0;
    let mut cells: Vec<((usize, usize), f64)> = joint.into_iter().collect();
    cells.sort_by_key(|c| c.0);
    let index: f64 = cells.iter().map(|&(_, c)| c2(c)).sum();
    let sa: f64 = ca.iter().map(|&c| c2(c)).sum();
    let sb: f64 = cb.iter().map(|&c| c2(c)).sum();
    let expected = sa * sb / c2(n as f64);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // Identical up to renaming.
        assert!((nmi(&[0, 0, 1, 1], &[5, 5, 9, 9]) - 1.0).abs() < 1e-12);
        assert!((ari(&[0, 0, 1, 1], &[5, 5, 9, 9]) - 1.0).abs() < 1e-12);
        // a = [0,0,1,1], b = [0,0,0,1]:
        // H(a) = ln 2, H(b) = −(3/4 ln 3/4 + 1/4 ln 1/4) = 0.562335,
        // I = 1/2 ln(4/3) + 1/4 ln 2 = 0.215762; NMI = I / ((H(a)+H(b))/2).
        let v = nmi(&[0, 0, 1, 1], &[0, 0, 0, 1]);
        let want = 0.215_761_6 / ((std::f64::consts::LN_2 + 0.562_335_1) / 2.0);
        assert!((v - want).abs() < 1e-6, "{v} vs {want}");
        // ARI: pairs within joint cells: C(2,2) + C(1,2) + C(1,2) = 1;
        // Σa = 2, Σb = 3, expected = 2·3/6 = 1, max = 2.5 → (1−1)/(2.5−1) = 0.
        assert!(ari(&[0, 0, 1, 1], &[0, 0, 0, 1]).abs() < 1e-12);
        // scikit-learn: adjusted_rand_score([0,0,1,2],[0,0,1,1]) = 0.5714285714
        assert!((ari(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.571_428_571_4).abs() < 1e-9);
        // scikit-learn: normalized_mutual_info_score([0,0,1,2],[0,0,1,1]) = 0.8
        assert!((nmi(&[0, 0, 1, 2], &[0, 0, 1, 1]) - 0.8).abs() < 1e-9);
        // Outliers as a group of their own.
        let pred = [Some(0u32), Some(0), None, None];
        assert!((nmi(&[1, 1, 2, 2], &pred) - 1.0).abs() < 1e-12);
    }
}
