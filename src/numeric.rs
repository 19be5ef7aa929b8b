//! Small numeric helpers shared by the stages (one definition each).

/// The logistic function, 1 / (1 + e^−z).
#[inline]
pub(crate) fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}
