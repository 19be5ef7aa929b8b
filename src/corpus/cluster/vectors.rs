//! Unit vectors in one flat buffer, and the dot product every stage uses.

use crate::error::{Error, Result};

/// `n` vectors of `dim` floats, row-major, each scaled to unit length.
///
/// Rows that cannot be normalized (all zeros, NaN or infinite values) are
/// kept (so row numbers stay aligned with the caller's items) but marked
/// invalid: they are never clustered and end up as outliers, counted in
/// [`ClusterStats::invalid`](super::ClusterStats::invalid).
#[derive(Debug, Clone, PartialEq)]
pub struct Vectors {
    data: Vec<f32>,
    dim: usize,
    valid: Vec<bool>,
}

impl Vectors {
    /// Takes `data` (`n × dim`, row-major) and normalizes every row.
    ///
    /// `Error::Config` when `dim` is 0 or `data.len()` is not a multiple of it.
    pub fn new(mut data: Vec<f32>, dim: usize) -> Result<Vectors> {
        if dim == 0 {
            return Err(Error::Data("vectors need a dimension of at least 1".into()));
        }
        if data.len() % dim != 0 {
            return Err(Error::Data(format!(
                "{} values are not a whole number of rows of {dim}",
                data.len()
            )));
        }
        let mut valid = Vec::with_capacity(data.len() / dim);
        for row in data.chunks_exact_mut(dim) {
            let norm = row
                .iter()
                .map(|x| f64::from(*x) * f64::from(*x))
                .sum::<f64>();
            let ok = norm.is_finite() && norm > 0.0;
            if ok {
                let inv = (1.0 / norm.sqrt()) as f32;
                row.iter_mut().for_each(|x| *x *= inv);
            } else {
                row.iter_mut().for_each(|x| *x = 0.0);
            }
            valid.push(ok);
        }
        Ok(Vectors { data, dim, valid })
    }

    /// Takes rows that are already this type's (unit rows, invalid rows
    /// all zeros: what a saved model wrote) as they are, bit for bit:
    /// normalizing them again would move their last bits, and a loaded
    /// model would then place items differently from the one saved.
    pub(crate) fn from_normalized(data: Vec<f32>, dim: usize) -> Result<Vectors> {
        if dim == 0 || data.len() % dim != 0 {
            return Vectors::new(data, dim);
        }
        let valid = data
            .chunks_exact(dim)
            .map(|row| row.iter().all(|x| x.is_finite()) && row.iter().any(|&x| x != 0.0))
            .collect();
        Ok(Vectors { data, dim, valid })
    }

    /// From rows of equal length (`Error::Config` when they differ).
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Vectors> {
        let dim = rows.first().map(|r| r.as_ref().len()).unwrap_or(0);
        let mut data = Vec::with_capacity(rows.len() * dim);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            if r.len() != dim {
                return Err(Error::Data(format!(
                    "vector {i} has {} values, the first has {dim}",
                    r.len()
                )));
            }
            data.extend_from_slice(r);
        }
        if rows.is_empty() {
            return Ok(Vectors {
                data,
                dim: 1,
                valid: Vec::new(),
            });
        }
        Vectors::new(data, dim)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.valid.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.valid.is_empty()
    }

    /// Values per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i` (unit length, or zeros when invalid). Panics when out of range.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Whether row `i` could be normalized.
    pub fn is_valid(&self, i: usize) -> bool {
        self.valid.get(i).copied().unwrap_or(false)
    }

    /// The flat buffer.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// Rows `idx` in that order, as new vectors.
    pub(crate) fn select(&self, idx: &[usize]) -> Vectors {
        let mut data = Vec::with_capacity(idx.len() * self.dim);
        let mut valid = Vec::with_capacity(idx.len());
        for &i in idx {
            data.extend_from_slice(self.row(i));
            valid.push(self.valid[i]);
        }
        Vectors {
            data,
            dim: self.dim,
            valid,
        }
    }

    /// Appends the rows of `other` (same dimension).
    pub(crate) fn append(&mut self, other: &Vectors) -> Result<()> {
        if other.is_empty() {
            return Ok(());
        }
        if self.is_empty() {
            *self = other.clone();
            return Ok(());
        }
        if other.dim != self.dim {
            return Err(Error::Data(format!(
                "vectors of dimension {} cannot join an index of dimension {}",
                other.dim, self.dim
            )));
        }
        self.data.extend_from_slice(&other.data);
        self.valid.extend_from_slice(&other.valid);
        Ok(())
    }
}

#[inline(always)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    // 16 independent sums: the compiler keeps them in vector registers. The
    // order of additions is fixed, so the result does not depend on the CPU
    // path (no FMA contraction is allowed without fast-math).
    let mut acc = [0f32; 16];
    let ca = a.chunks_exact(16);
    let cb = b.chunks_exact(16);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = 0f32;
    for v in acc {
        s += v;
    }
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_portable(a, b)
}

/// Dot product of two equally long slices.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_portable(a, b)
}

/// The normalized mean of some rows (zeros when they cancel out).
pub(crate) fn centroid(v: &Vectors, rows: impl Iterator<Item = usize>) -> Vec<f32> {
    let mut c = vec![0f64; v.dim()];
    for i in rows {
        for (s, x) in c.iter_mut().zip(v.row(i)) {
            *s += f64::from(*x);
        }
    }
    let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        c.iter().map(|x| (x / norm) as f32).collect()
    } else {
        vec![0.0; v.dim()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_flags_bad_rows() {
        let v = Vectors::new(vec![3.0, 4.0, 0.0, 0.0, f32::NAN, 1.0], 2).unwrap();
        assert_eq!(v.len(), 3);
        assert!((v.row(0)[0] - 0.6).abs() < 1e-6);
        assert!(v.is_valid(0) && !v.is_valid(1) && !v.is_valid(2));
        assert!(Vectors::new(vec![1.0; 5], 2).is_err());
        assert!(Vectors::new(vec![], 0).is_err());
        assert!(Vectors::from_rows(&[vec![1.0, 0.0], vec![1.0]]).is_err());
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..37).map(|i| (i as f32 * 0.11).cos()).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
        assert_eq!(dot(&a, &b), dot_portable(&a, &b));
    }
}
