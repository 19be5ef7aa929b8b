//! Seeded perturbation of embeddings, shared by the clustering contract
//! tests and `examples/cluster_eval.rs stability`: the same seed gives the
//! same noise on every machine.

#![allow(dead_code)]

/// Row-major `data` (rows of `dim` values) moved by isotropic Gaussian
/// noise of expected norm `eps` per row (SplitMix64 uniforms, Box–Muller).
pub fn perturb(data: &[f32], dim: usize, eps: f64, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let sd = eps / (dim.max(1) as f64).sqrt();
    data.iter()
        .map(|x| {
            let (u, v) = (uniform(), uniform());
            let g = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
            (f64::from(*x) + sd * g) as f32
        })
        .collect()
}
