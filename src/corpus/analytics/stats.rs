//! Small statistics, implemented here so that the crate needs no numerics
//! dependency: the normal and Student t distributions, the Wilson interval,
//! the two-proportion z-test, Welch's t-test, and the Benjamini–Hochberg
//! adjustment.
//!
//! Accuracy: `erfc` uses a positive-term series below 2.5 and a continued
//! fraction above (relative error around 1e-14 over the range that matters
//! for p-values); the normal quantile refines Acklam's rational
//! approximation with one Halley step (about 1e-15); the t distribution goes
//! through the regularized incomplete beta function (continued fraction)
//! and a Lanczos log-gamma (about 1e-14).
//!
//! Why not `statrs`: tried on 2026-12-05 (statrs 0.18) for issue 15, its
//! `erfc(0.5)` is 0.4795001222363462 against the correctly rounded
//! 0.4795001221869535 (relative error 1e-10, where this module's is below
//! 1e-12), and Φ(Φ⁻¹(0.975)) came back as 0.975000000001123; the tests
//! below caught both. p-values and intervals are printed in full, so the
//! more accurate code stays.

use serde::Serialize;

/// The two-sided 95% normal quantile, Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The confidence level of every interval in [`crate::corpus::analytics`].
pub const CONFIDENCE: f64 = 0.95;

/// The significance level of every test in [`crate::corpus::analytics`].
pub const ALPHA: f64 = 0.05;

const SQRT_PI: f64 = 1.772_453_850_905_516;
const SQRT_2: f64 = std::f64::consts::SQRT_2;

/// A closed interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// `center ± half`.
    pub fn around(center: f64, half: f64) -> Interval {
        Interval {
            low: center - half,
            high: center + half,
        }
    }

    /// The interval scaled by `k` (e.g. 100 for percent).
    pub fn scaled(self, k: f64) -> Interval {
        Interval {
            low: self.low * k,
            high: self.high * k,
        }
    }

    /// The interval cut to `[min, max]`.
    pub fn clamped(self, min: f64, max: f64) -> Interval {
        Interval {
            low: self.low.clamp(min, max),
            high: self.high.clamp(min, max),
        }
    }

    /// Whether `x` lies in the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The result of a test of a difference between two groups (`after −
/// before`, or `with − without` for drivers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Test {
    /// The difference of the statistic (second group minus first), in the
    /// unit of the compared quantity (a share 0–1, NPS points, a mean).
    pub diff: f64,
    /// The standard error the statistic is divided by.
    pub se: f64,
    /// `diff / se`: a z score, or a t score when `df` is set.
    pub statistic: f64,
    /// Degrees of freedom (Welch's t-test); `None` for z-tests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// `p_value < ALPHA` (0.05).
    pub significant: bool,
    /// 95% confidence interval of `diff` (unpooled standard error for
    /// proportions).
    pub ci: Interval,
}

impl Test {
    /// A z-test of `diff` with standard error `se` (and `ci_se` for the
    /// interval). `None` when `se` is zero while `diff` is not, or when
    /// anything is not finite.
    pub fn z(diff: f64, se: f64, ci_se: f64) -> Option<Test> {
        if !(diff.is_finite() && se.is_finite() && ci_se.is_finite()) || se < 0.0 {
            return None;
        }
        let ci = Interval::around(diff, Z95 * ci_se);
        if se == 0.0 {
            // Both groups are constant: no evidence of a difference when the
            // values agree, no test possible when they do not.
            return (diff == 0.0).then_some(Test {
                diff,
                se,
                statistic: 0.0,
                df: None,
                p_value: 1.0,
                significant: false,
                ci,
            });
        }
        let statistic = diff / se;
        let p_value = two_sided_normal_p(statistic);
        Some(Test {
            diff,
            se,
            statistic,
            df: None,
            p_value,
            significant: p_value < ALPHA,
            ci,
        })
    }
}

/// The complementary error function, erfc(x) = 1 − erf(x).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        return 1.0 - erf_series(x);
    }
    if x > 27.0 {
        return 0.0;
    }
    // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    // evaluated with the modified Lentz method.
    let tiny = 1e-300;
    let mut f = x;
    let mut c = f;
    let mut d = 0.0;
    for k in 1..2000 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (SQRT_PI * f)
}

/// erf(x) for 0 ≤ x < 2.5: 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!!, all
/// terms positive (no cancellation).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    for n in 1..200 {
        term *= 2.0 * x2 / (2 * n + 1) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    2.0 / SQRT_PI * (-x2).exp() * sum
}

/// The error function.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.abs() < 2.5 {
        return x.signum() * erf_series(x.abs());
    }
    1.0 - erfc(x)
}

/// The standard normal CDF, Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// The two-sided p-value of a z score, 2·(1 − Φ(|z|)).
pub fn two_sided_normal_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    erfc(z.abs() / SQRT_2).min(1.0)
}

/// The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (±∞ at 0 and 1, NaN
/// outside).
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // Acklam's rational approximation (relative error 1.15e-9).
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b), for a, b > 0 and
/// 0 ≤ x ≤ 1.
pub fn beta_regularized(a: f64, b: f64, x: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..20_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Degrees of freedom from which the t distribution is taken as normal.
const T_AS_NORMAL: f64 = 1e7;

/// The CDF of Student's t distribution with `df` > 0 degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if df > T_AS_NORMAL {
        return normal_cdf(t);
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let x = df / (df + t * t);
    let tail = 0.5 * beta_regularized(df / 2.0, 0.5, x);
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The two-sided p-value of a t score with `df` degrees of freedom.
pub fn two_sided_t_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if df > T_AS_NORMAL {
        return two_sided_normal_p(t);
    }
    if t.is_infinite() {
        return 0.0;
    }
    beta_regularized(df / 2.0, 0.5, df / (df + t * t)).min(1.0)
}

/// The quantile of Student's t distribution: the `t` with
/// `student_t_cdf(t, df) = p` (bisection to full precision).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if df > T_AS_NORMAL {
        return normal_quantile(p);
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (0.0f64, normal_quantile(p).max(1.0));
    while student_t_cdf(hi, df) < p {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The Wilson score interval of a proportion `successes / n` at the normal
/// quantile `z` (use [`Z95`] for 95%); `None` when `n` is 0.
///
/// `center = (p̂ + z²/2n) / (1 + z²/n)`,
/// `half = z / (1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²)`.
pub fn wilson(successes: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval::around(center, half).clamped(0.0, 1.0))
}

/// The two-proportion z-test of `x2/n2 − x1/n1`, with the pooled standard
/// error `√(p(1−p)(1/n1 + 1/n2))`, `p = (x1+x2)/(n1+n2)`, for the statistic
/// and the unpooled `√(p1q1/n1 + p2q2/n2)` for the interval. `None` when a
/// group is empty.
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<Test> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (f1, f2) = (n1 as f64, n2 as f64);
    let (p1, p2) = (x1 as f64 / f1, x2 as f64 / f2);
    let pooled = (x1 + x2) as f64 / (f1 + f2);
    let se = (pooled * (1.0 - pooled) * (1.0 / f1 + 1.0 / f2)).sqrt();
    let ci_se = (p1 * (1.0 - p1) / f1 + p2 * (1.0 - p2) / f2).sqrt();
    Test::z(p2 - p1, se, ci_se)
}

/// Summary of a sample: size, mean and sample variance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SampleSummary {
    /// Sample size.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Sample variance (divisor n − 1; 0 when n < 2).
    pub variance: f64,
}

/// Welch's t-test of `b.mean − a.mean`: `t = diff / √(s₁²/n₁ + s₂²/n₂)`,
/// Welch–Satterthwaite degrees of freedom
/// `(v₁+v₂)² / (v₁²/(n₁−1) + v₂²/(n₂−1))` with `vᵢ = sᵢ²/nᵢ`, and a t-based
/// interval. `None` when a group has fewer than 2 values, or when both
/// variances are zero while the means differ.
pub fn welch(a: SampleSummary, b: SampleSummary) -> Option<Test> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let diff = b.mean - a.mean;
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let se = (va + vb).sqrt();
    if !(diff.is_finite() && se.is_finite()) {
        return None;
    }
    if se == 0.0 {
        return Test::z(diff, 0.0, 0.0);
    }
    let df = (va + vb).powi(2) / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let statistic = diff / se;
    let p_value = two_sided_t_p(statistic, df);
    let q = student_t_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0, df);
    Some(Test {
        diff,
        se,
        statistic,
        df: Some(df),
        p_value,
        significant: p_value < ALPHA,
        ci: Interval::around(diff, q * se),
    })
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the input order:
/// `q₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎ · m / j` for the ascending p-values.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let v = (p[i] * m as f64 / (rank + 1) as f64).min(1.0);
        running = running.min(v);
        q[i] = running;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values: Python's math.erfc (correctly rounded libm).
        for (x, want) in [
            (0.0, 1.0),
            (0.1, 0.887_537_083_981_715),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 0.004_677_734_981_047_266),
            (2.4999, 0.000_407_169_900_333_451_4),
            (2.5, 0.000_406_952_017_444_959),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_034_8e-12),
            (-1.0, 1.842_700_792_949_715),
        ] {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "erfc({x}) = {got}, want {want}"
            );
        }
        close(erf(0.5), 0.520_499_877_813_046_5, 1e-15);
        close(erf(-3.0), -0.999_977_909_503_001_4, 1e-15);
    }

    #[test]
    fn normal_cdf_and_quantile() {
        close(normal_cdf(0.0), 0.5, 1e-16);
        close(normal_cdf(1.959_963_984_540_054), 0.975, 1e-15);
        close(normal_cdf(-1.0), 0.158_655_253_931_457_05, 1e-15);
        close(normal_quantile(0.975), Z95, 1e-13);
        close(normal_quantile(0.5), 0.0, 1e-15);
        close(normal_quantile(0.01), -2.326_347_874_040_841, 1e-12);
        close(normal_quantile(1e-10), -6.361_340_902_404_056, 1e-9);
        close(two_sided_normal_p(1.959_963_984_540_054), 0.05, 1e-15);
        close(two_sided_normal_p(-2.575_829_303_548_901), 0.01, 1e-14);
    }

    #[test]
    fn student_t_against_closed_forms_and_tables() {
        // df = 1 is Cauchy: F(t) = 1/2 + atan(t)/π; df = 2: F = 1/2 + t/(2√(2+t²)).
        for t in [-3.0, -0.5, 0.0, 0.7, 2.0, 10.0] {
            close(
                student_t_cdf(t, 1.0),
                0.5 + f64::atan(t) / std::f64::consts::PI,
                1e-13,
            );
            close(
                student_t_cdf(t, 2.0),
                0.5 + t / (2.0 * (2.0 + t * t).sqrt()),
                1e-13,
            );
        }
        // Quantiles of the usual t table.
        close(student_t_quantile(0.975, 1.0), 12.706_204_736_174_7, 1e-9);
        close(student_t_quantile(0.975, 2.0), 4.302_652_729_749_464, 1e-10);
        close(
            student_t_quantile(0.975, 10.0),
            2.228_138_851_986_275,
            1e-10,
        );
        close(
            student_t_quantile(0.975, 30.0),
            2.042_272_456_301_238,
            1e-10,
        );
        close(
            student_t_quantile(0.025, 10.0),
            -2.228_138_851_986_275,
            1e-10,
        );
        close(two_sided_t_p(2.228_138_851_986_275, 10.0), 0.05, 1e-12);
        // Large df tends to the normal.
        close(student_t_quantile(0.975, 1e8), Z95, 1e-12);
        close(ln_gamma(0.5), 0.5 * std::f64::consts::PI.ln(), 1e-14);
        close(ln_gamma(10.0), 362_880f64.ln(), 1e-12);
    }

    #[test]
    fn wilson_known_values() {
        // Newcombe (1998), Statistics in Medicine 17:857–872, table I.
        let w = wilson(81, 263, Z95).unwrap();
        close(w.low, 0.2553, 5e-5);
        close(w.high, 0.3662, 5e-5);
        let w = wilson(15, 148, Z95).unwrap();
        close(w.low, 0.0624, 5e-5);
        close(w.high, 0.1605, 5e-5);
        let w = wilson(0, 20, Z95).unwrap();
        close(w.low, 0.0, 1e-12);
        close(w.high, 0.1611, 5e-5);
        let w = wilson(1, 29, Z95).unwrap();
        close(w.low, 0.0061, 5e-5);
        close(w.high, 0.1718, 5e-5);
        // The formula, to 1e-9: 8 of 10.
        let w = wilson(8, 10, Z95).unwrap();
        close(w.low, 0.490_162_471_536_641_8, 1e-9);
        close(w.high, 0.943_317_848_545_624_8, 1e-9);
        assert!(wilson(0, 0, Z95).is_none());
        assert!(wilson(3, 2, Z95).is_none());
    }

    #[test]
    fn two_proportion_known_values() {
        // 45/100 vs 30/100: pooled p = 0.375, se = √(0.375·0.625·0.02).
        let t = two_proportion_z(45, 100, 30, 100).unwrap();
        close(t.diff, -0.15, 1e-15);
        close(t.se, 0.068_465_319_688_145_77, 1e-12);
        close(t.statistic, -2.190_890_230_020_664_6, 1e-9);
        close(t.p_value, 0.028_459_736_916_310_5, 1e-9);
        assert!(t.significant);
        // Unpooled interval: −0.15 ± 1.96·√(0.45·0.55/100 + 0.3·0.7/100).
        close(
            t.ci.low,
            -0.15 - Z95 * (0.002_475f64 + 0.0021).sqrt(),
            1e-12,
        );
        close(t.ci.low, -0.282_569_506_692_435_2, 1e-9);
        // No change.
        let t = two_proportion_z(10, 50, 20, 100).unwrap();
        close(t.statistic, 0.0, 1e-15);
        close(t.p_value, 1.0, 1e-15);
        assert!(!t.significant);
        // Both groups at zero: p = 1; an empty group: no test.
        assert_eq!(two_proportion_z(0, 10, 0, 20).unwrap().p_value, 1.0);
        assert!(two_proportion_z(0, 0, 1, 2).is_none());
    }

    #[test]
    fn welch_known_values() {
        // a = [1, 2, 3, 4, 5] (mean 3, var 2.5), b = [2, 4, 6, 8] (mean 5,
        // var 20/3): t = 2/√(0.5 + 5/3), df by Welch–Satterthwaite.
        let a = SampleSummary {
            n: 5,
            mean: 3.0,
            variance: 2.5,
        };
        let b = SampleSummary {
            n: 4,
            mean: 5.0,
            variance: 20.0 / 3.0,
        };
        let t = welch(a, b).unwrap();
        let se = (0.5f64 + 5.0 / 3.0).sqrt();
        close(t.se, se, 1e-15);
        close(t.statistic, 2.0 / se, 1e-12);
        let df = (0.5f64 + 5.0 / 3.0).powi(2) / (0.25 / 4.0 + (25.0 / 9.0) / 3.0);
        close(t.df.unwrap(), df, 1e-12);
        close(df, 4.749_414_519_906_323, 1e-9);
        // p-value: mpmath, 2·(1 − F_t(1.3587324409735149; 4.749414519906323)).
        close(t.p_value, 0.235_194_111_389_405_6, 1e-9);
        assert!(!t.significant);
        assert!(welch(a, SampleSummary { n: 1, ..b }).is_none());
    }

    #[test]
    fn bh_adjustment() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        // Sorted: 0.01·4/1 = 0.04, 0.03·4/2 = 0.06, 0.04·4/3 = 0.0533, 0.5.
        close(q[0], 0.04, 1e-15);
        close(q[2], 0.053_333_333_333_333_33, 1e-15);
        close(q[1], 0.053_333_333_333_333_33, 1e-15);
        close(q[3], 0.5, 1e-15);
        assert!(benjamini_hochberg(&[]).is_empty());
    }
}
