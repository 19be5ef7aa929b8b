//! Hotness of a cluster and emerging issues.
//!
//! Periods are week indices ([`week_index`]); the current period `P` is the
//! latest one in the data unless given. For a cluster with `cur` items in
//! `P` and `prev` in `P − 1`, out of `N_P` and `N_{P−1}` items of any cluster
//! (outliers included):
//!
//! * `volume_share = cur / N_P`
//! * `negative_share` = negative clauses / clauses with a sentiment, in `P`
//! * `expected = prev · N_P / N_{P−1}` (the previous share at today's volume)
//! * `growth = (cur + 1) / (expected + 1)` (add-one smoothing: a cluster
//!   going from 0 to 1 item is not infinitely hot)
//! * **`score = 100 · volume_share · (1 + negative_share) · growth`**
//!
//! so a cluster with 10% of this week's clauses, half of them negative, and
//! twice its usual share scores about 30. Without periods (no item has a
//! time), `volume_share` is the cluster's share of all items, the negative
//! share is over all its items, and `growth` is 1.
//!
//! A cluster is **new** when none of its items is older than `P` and it has
//! at least `min_count` items in `P`; it is **emerging** when new, or when
//! its growth is at least `min_growth` with at least `min_count` items and
//! significant: `P(X ≥ cur) < p_value` for `X ~ Poisson(N_P · p₀)`,
//! `p₀ = (prev + ½) / (N_{P−1} + 1)` (one-sided test of "same share as last
//! period"; Poisson as the binomial limit for small shares).

use serde::{Deserialize, Serialize};

use crate::contract::record::Timestamp;
use crate::corpus::analytics::period::Period;

/// Settings of the hotness score and the emerging test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HotnessParams {
    /// The period scored (default: the latest period in the data).
    pub current: Option<i64>,
    /// Significance level of the growth test.
    pub p_value: f64,
    /// Minimum smoothed growth for "emerging".
    pub min_growth: f64,
    /// Minimum items in the current period for "new" or "emerging".
    pub min_count: usize,
}

impl Default for HotnessParams {
    fn default() -> Self {
        HotnessParams {
            current: None,
            p_value: 0.01,
            min_growth: 1.5,
            min_count: 5,
        }
    }
}

/// The hotness of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotness {
    /// `100 · volume_share · (1 + negative_share) · growth`.
    pub score: f64,
    /// The period scored (week index), when items have times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    /// Items in the current period (all items without periods).
    pub current: usize,
    /// Items in the previous period.
    pub previous: usize,
    /// Share of the current period's items.
    pub volume_share: f64,
    /// Negative share of its clauses with a sentiment (current period).
    pub negative_share: f64,
    /// Smoothed growth against the previous period (1 without periods).
    pub growth: f64,
    /// One-sided p-value of the growth (Poisson), when there is a previous period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// No item before the current period.
    pub new: bool,
    /// New, or significantly growing.
    pub emerging: bool,
}

/// Week index of a time: weeks since the week of 1970-01-05, on the
/// analytics' calendar ([`Period::Week`]: ISO weeks, Monday to Sunday, of
/// the date in the time's own offset), so a hot issue's weeks are the
/// weeks of `vocmine metrics --period week`.
pub fn week_index(ts: &Timestamp) -> i64 {
    let monday = Period::Week.start(ts.instant().date_naive());
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or_default();
    (monday - epoch).num_days().div_euclid(7)
}

/// Per-cluster counts the score needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// All items of the cluster.
    pub size: usize,
    /// Items in the current period, the previous one, and before `P`.
    pub current: usize,
    pub previous: usize,
    pub before: usize,
    /// Negative / with a sentiment: in the current period (all items
    /// without periods).
    pub negative: usize,
    pub with_sentiment: usize,
}

/// Totals over all items.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub items: usize,
    pub current: usize,
    pub previous: usize,
    /// The current period; `None` when no item has a period.
    pub period: Option<i64>,
}

fn ln_factorial(n: u64) -> f64 {
    if n < 30 {
        (2..=n).map(|i| (i as f64).ln()).sum()
    } else {
        let x = n as f64;
        x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
            - 1.0 / (360.0 * x * x * x)
    }
}

fn ln_pmf(i: u64, lambda: f64) -> f64 {
    i as f64 * lambda.ln() - lambda - ln_factorial(i)
}

/// `P(X ≥ n)` for `X ~ Poisson(λ)`.
pub(crate) fn poisson_sf(n: u64, lambda: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0.0;
    }
    if n as f64 > lambda {
        // Σ_{i ≥ n} pmf(i) = pmf(n) · (1 + λ/(n+1) + λ²/((n+1)(n+2)) + …)
        let (mut s, mut t, mut i) = (1.0f64, 1.0f64, n);
        while i < n + 10_000_000 {
            t *= lambda / (i + 1) as f64;
            s += t;
            i += 1;
            if t < 1e-16 * s {
                break;
            }
        }
        (ln_pmf(n, lambda).exp() * s).clamp(0.0, 1.0)
    } else {
        // 1 − Σ_{i ≤ n−1} pmf(i), summed downwards from n − 1.
        let top = n - 1;
        let (mut s, mut t, mut i) = (1.0f64, 1.0f64, top);
        while i > 0 {
            t *= i as f64 / lambda;
            s += t;
            i -= 1;
            if t < 1e-16 * s {
                break;
            }
        }
        (1.0 - ln_pmf(top, lambda).exp() * s).clamp(0.0, 1.0)
    }
}

pub(crate) fn score(c: &Counts, t: &Totals, p: &HotnessParams) -> Hotness {
    let negative_share = if c.with_sentiment == 0 {
        0.0
    } else {
        c.negative as f64 / c.with_sentiment as f64
    };
    let Some(period) = t.period else {
        let volume_share = if t.items == 0 {
            0.0
        } else {
            c.size as f64 / t.items as f64
        };
        return Hotness {
            score: 100.0 * volume_share * (1.0 + negative_share),
            period: None,
            current: c.size,
            previous: 0,
            volume_share,
            negative_share,
            growth: 1.0,
            p_value: None,
            new: false,
            emerging: false,
        };
    };
    let volume_share = if t.current == 0 {
        0.0
    } else {
        c.current as f64 / t.current as f64
    };
    let expected = if t.previous == 0 {
        c.current as f64
    } else {
        c.previous as f64 * t.current as f64 / t.previous as f64
    };
    let growth = if t.previous == 0 {
        1.0
    } else {
        (c.current as f64 + 1.0) / (expected + 1.0)
    };
    let p_value = (t.previous > 0).then(|| {
        let p0 = (c.previous as f64 + 0.5) / (t.previous as f64 + 1.0);
        poisson_sf(c.current as u64, t.current as f64 * p0)
    });
    let enough = c.current >= p.min_count;
    let new = c.before == 0 && enough;
    let growing = enough && growth >= p.min_growth && p_value.is_some_and(|pv| pv < p.p_value);
    Hotness {
        score: 100.0 * volume_share * (1.0 + negative_share) * growth,
        period: Some(period),
        current: c.current,
        previous: c.previous,
        volume_share,
        negative_share,
        growth,
        p_value,
        new,
        emerging: new || growing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_score() {
        // 30 of 200 items this week (15 of them negative, all with a
        // sentiment), 10 of 100 last week: share 0.15, expected 20,
        // growth 31/21, score = 100 · 0.15 · 1.5 · 31/21 = 33.2142857…
        let c = Counts {
            size: 60,
            current: 30,
            previous: 10,
            before: 30,
            negative: 15,
            with_sentiment: 30,
        };
        let t = Totals {
            items: 400,
            current: 200,
            previous: 100,
            period: Some(2900),
        };
        let h = score(&c, &t, &HotnessParams::default());
        assert!((h.volume_share - 0.15).abs() < 1e-12);
        assert!((h.growth - 31.0 / 21.0).abs() < 1e-12);
        assert!((h.score - 33.214_285_714_285_7).abs() < 1e-9, "{}", h.score);
        assert!(!h.new);
        // λ = 200 · 10.5/101 = 20.79; P(X ≥ 30) ≈ 0.034: not significant at 0.01.
        let pv = h.p_value.unwrap();
        assert!(pv > 0.02 && pv < 0.05, "{pv}");
        assert!(!h.emerging);
        // Without periods: share of all items, growth 1.
        let h = score(
            &c,
            &Totals {
                items: 400,
                ..Totals::default()
            },
            &HotnessParams::default(),
        );
        assert!((h.score - 100.0 * 0.15 * 1.5).abs() < 1e-12);
        // A new cluster.
        let c = Counts {
            size: 8,
            current: 8,
            ..Counts::default()
        };
        assert!(score(&c, &t, &HotnessParams::default()).emerging);
    }

    #[test]
    fn poisson_tail() {
        // P(X ≥ 1) = 1 − e^{−λ}
        assert!((poisson_sf(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        // P(X ≥ 3 | λ = 1) = 1 − e^{−1}(1 + 1 + 1/2) = 0.0803013970713942
        assert!((poisson_sf(3, 1.0) - 0.080_301_397_071_394_2).abs() < 1e-12);
        // Large counts stay finite: P(X ≥ 150 | λ = 100) ≈ 1.2e-6.
        let p = poisson_sf(150, 100.0);
        assert!(p > 1e-7 && p < 1e-5, "{p}");
        assert!((poisson_sf(50, 100.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn weeks() {
        let a = Timestamp::parse("1970-01-05").unwrap();
        let b = Timestamp::parse("1970-01-11T23:00:00Z").unwrap();
        let c = Timestamp::parse("1970-01-12").unwrap();
        assert_eq!((week_index(&a), week_index(&b), week_index(&c)), (0, 0, 1));
        assert_eq!(week_index(&Timestamp::parse("1970-01-04").unwrap()), -1);
    }
}
