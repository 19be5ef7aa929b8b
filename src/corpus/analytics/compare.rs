//! Before/after comparison of two date ranges: did a fix work?

use std::collections::BTreeMap;

use serde::Serialize;

use super::metrics::{share, Accumulator, Metrics};
use super::observation::Observation;
use super::period::DateRange;
use super::stats::{self, Test};
use crate::error::{Error, Result};
use crate::stages::codebook::PointKind;

/// A count out of a total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    /// Records with the property.
    pub count: u64,
    /// Records in the range.
    pub total: u64,
    /// `count / total`, 0–1 (0 for an empty range).
    pub share: f64,
}

impl Share {
    /// `count` of `total`.
    pub fn new(count: u64, total: u64) -> Share {
        Share {
            count,
            total,
            share: share(count, total),
        }
    }
}

/// One code before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeChange {
    /// The code id.
    pub code: String,
    /// Its owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Records with the code (matched or rolled up), before.
    pub before: Share,
    /// Records with the code, after.
    pub after: Share,
    /// Two-proportion z-test of `after.share − before.share`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<Test>,
    /// Benjamini–Hochberg q-value of `test` over all codes of the comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_value: Option<f64>,
    /// Records with a pain point on the code, before.
    pub pain_before: Share,
    /// Records with a pain point on the code, after.
    pub pain_after: Share,
    /// Two-proportion z-test of `pain_after.share − pain_before.share`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pain_test: Option<Test>,
}

/// The metrics of both ranges and the tests of their differences (`after −
/// before`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChanges {
    /// NPS: `z = (NPS₂ − NPS₁) / √(se₁² + se₂²)` (points).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<Test>,
    /// CSAT: two-proportion z-test of the satisfied shares (percent points).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<Test>,
    /// CES: Welch's t-test of the means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<Test>,
    /// Negative records: two-proportion z-test of the shares (0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative: Option<Test>,
}

/// A before/after comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The first range.
    pub before_range: DateRange,
    /// The second range.
    pub after_range: DateRange,
    /// Metrics of the records in the first range.
    pub before: Metrics,
    /// Metrics of the records in the second range.
    pub after: Metrics,
    /// The tests of the metric differences.
    pub changes: MetricChanges,
    /// Codes seen in either range, by p-value of the share test (smallest
    /// first; untested last), ties by code.
    pub codes: Vec<CodeChange>,
    /// Records without a time (in neither range).
    pub untimed: u64,
    /// Records with a time outside both ranges.
    pub outside: u64,
}

impl Comparison {
    /// The change of one code, if it was seen in either range.
    pub fn code(&self, code: &str) -> Option<&CodeChange> {
        self.codes.iter().find(|c| c.code == code)
    }
}

/// Per code: its owner, records with it and records with a pain point on
/// it, before and after.
type CodeCounts<'a> = (Option<&'a str>, [u64; 2], [u64; 2]);

/// Compares the records dated in `before` with those dated in `after`.
///
/// The ranges must not overlap (the tests assume two independent samples).
pub fn compare(
    observations: &[Observation],
    before: DateRange,
    after: DateRange,
) -> Result<Comparison> {
    if before.overlaps(&after) {
        return Err(Error::Config(format!(
            "the ranges {before} and {after} overlap; a before/after comparison needs disjoint ranges"
        )));
    }
    let mut acc = [Accumulator::default(), Accumulator::default()];
    let mut untimed = 0u64;
    let mut outside = 0u64;
    let mut codes: BTreeMap<&str, CodeCounts> = BTreeMap::new();
    for o in observations {
        let Some(date) = o.date() else {
            untimed += 1;
            continue;
        };
        let side = if before.contains(date) {
            0
        } else if after.contains(date) {
            1
        } else {
            outside += 1;
            continue;
        };
        acc[side].add(o);
        let mut seen: Vec<&str> = Vec::with_capacity(o.codes.len());
        for c in &o.codes {
            if seen.contains(&c.code.as_str()) {
                continue;
            }
            seen.push(&c.code);
            let e = codes.entry(&c.code).or_default();
            if e.0.is_none() {
                e.0 = c.owner.as_deref();
            }
            e.1[side] += 1;
            e.2[side] += u64::from(c.point == PointKind::Pain);
        }
    }
    let (m1, m2) = (acc[0].finish(), acc[1].finish());
    let (n1, n2) = (m1.records, m2.records);
    let mut list: Vec<CodeChange> = codes
        .into_iter()
        .map(|(code, (owner, with, pain))| CodeChange {
            code: code.to_owned(),
            owner: owner.map(str::to_owned),
            before: Share::new(with[0], n1),
            after: Share::new(with[1], n2),
            test: stats::two_proportion_z(with[0], n1, with[1], n2),
            q_value: None,
            pain_before: Share::new(pain[0], n1),
            pain_after: Share::new(pain[1], n2),
            pain_test: stats::two_proportion_z(pain[0], n1, pain[1], n2),
        })
        .collect();
    let tested: Vec<usize> = (0..list.len())
        .filter(|&i| list[i].test.is_some())
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .filter_map(|&i| list[i].test.map(|t| t.p_value))
        .collect();
    for (&i, q) in tested.iter().zip(stats::benjamini_hochberg(&p)) {
        list[i].q_value = Some(q);
    }
    list.sort_by(|a, b| {
        let pa = a.test.map_or(f64::INFINITY, |t| t.p_value);
        let pb = b.test.map_or(f64::INFINITY, |t| t.p_value);
        pa.total_cmp(&pb).then_with(|| a.code.cmp(&b.code))
    });
    let changes = MetricChanges {
        nps: match (m1.nps, m2.nps) {
            (Some(a), Some(b)) => Test::z(b.nps - a.nps, a.se.hypot(b.se), a.se.hypot(b.se)),
            _ => None,
        },
        csat: match (m1.csat, m2.csat) {
            (Some(a), Some(b)) => {
                stats::two_proportion_z(a.satisfied, a.responses, b.satisfied, b.responses)
                    .map(percent)
            }
            _ => None,
        },
        ces: match (m1.ces, m2.ces) {
            (Some(a), Some(b)) => stats::welch(a.summary(), b.summary()),
            _ => None,
        },
        negative: stats::two_proportion_z(m1.negative, n1, m2.negative, n2),
    };
    Ok(Comparison {
        before_range: before,
        after_range: after,
        before: m1,
        after: m2,
        changes,
        codes: list,
        untimed,
        outside,
    })
}

/// A test of shares (0–1) expressed in percent points.
fn percent(t: Test) -> Test {
    Test {
        diff: t.diff * 100.0,
        se: t.se * 100.0,
        ci: t.ci.scaled(100.0),
        ..t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    /// `n` records on `date`, the first `k` with a pain on `code`, scores
    /// cycling through `nps` and `ces`.
    fn batch(
        out: &mut Vec<Observation>,
        date: &str,
        n: usize,
        code: &str,
        k: usize,
        nps: &[u8],
        ces: &[u8],
    ) {
        for i in 0..n {
            let mut o = Observation::new(format!("{date}-{code}-{i}")).at(date);
            if i < k {
                o = o.with_code(code, PointKind::Pain, Some("service_center"));
            }
            o.nps = Some(nps[i % nps.len()]);
            o.ces = Some(ces[i % ces.len()]);
            out.push(o);
        }
    }

    #[test]
    fn a_significant_drop_and_a_non_significant_change() {
        let mut data = Vec::new();
        // "wait": 40 of 200 before, 10 of 200 after (20% → 5%).
        batch(
            &mut data,
            "2026-09-01",
            200,
            "wait",
            40,
            &[3, 9, 10, 8],
            &[3, 4, 5],
        );
        batch(
            &mut data,
            "2026-10-01",
            200,
            "wait",
            10,
            &[9, 10, 8, 3],
            &[4, 5, 6],
        );
        // "app": 10 of 100 before, 12 of 100 after — noise.
        batch(&mut data, "2026-09-02", 100, "app", 10, &[7], &[4]);
        batch(&mut data, "2026-10-02", 100, "app", 12, &[7], &[4]);
        // Outside both ranges, and without time.
        batch(&mut data, "2026-09-25", 5, "app", 5, &[0], &[1]);
        data.push(Observation::new("untimed").with_code("wait", PointKind::Pain, None));

        let before: DateRange = "2026-09-01..2026-09-20".parse().unwrap();
        let after: DateRange = "2026-09-28..2026-10-31".parse().unwrap();
        let c = compare(&data, before, after).unwrap();
        assert_eq!((c.before.records, c.after.records), (300, 300));
        assert_eq!((c.untimed, c.outside), (1, 5));

        let wait = c.code("wait").unwrap();
        assert_eq!((wait.before.count, wait.after.count), (40, 10));
        close(wait.before.share, 40.0 / 300.0, 1e-15);
        let t = wait.test.unwrap();
        // Pooled p = 50/600: se = √(p(1−p)(2/300)), z = −0.1/se.
        let p = 50.0 / 600.0;
        let se = f64::sqrt(p * (1.0 - p) * (2.0 / 300.0));
        close(t.se, se, 1e-15);
        close(t.statistic, -0.1 / se, 1e-12);
        close(t.statistic, -4.431_293_675_255_979, 1e-9);
        assert!(t.p_value < 1e-4 && t.significant);
        assert!(wait.pain_test.unwrap().significant);
        assert!(wait.q_value.unwrap() < 0.05);

        let app = c.code("app").unwrap();
        assert_eq!((app.before.count, app.after.count), (10, 12));
        let t = app.test.unwrap();
        // p = 22/600, se = √(p(1−p)(2/300)), z = (2/300)/se.
        let p = 22.0 / 600.0;
        close(
            t.statistic,
            (2.0 / 300.0) / f64::sqrt(p * (1.0 - p) * (2.0 / 300.0)),
            1e-12,
        );
        close(t.p_value, 0.663_968_552_237_104_6, 1e-9);
        assert!(!t.significant);
        assert_eq!(c.codes[0].code, "wait");

        // Metrics: NPS before: 50 detractors, 150 promoters/passives …
        let (a, b) = (c.before.nps.unwrap(), c.after.nps.unwrap());
        let nps = c.changes.nps.unwrap();
        close(nps.diff, b.nps - a.nps, 1e-12);
        close(nps.se, f64::sqrt(a.se * a.se + b.se * b.se), 1e-12);
        close(
            nps.p_value,
            stats::two_sided_normal_p(nps.diff / nps.se),
            1e-15,
        );
        // … the same answers in another order after: no change at all.
        close(nps.diff, 0.0, 1e-12);
        assert!(!nps.significant);
        // CES rose by about 2/3 of a point on 200 answers: significant (Welch).
        let ces = c.changes.ces.unwrap();
        assert!(ces.df.unwrap() > 100.0);
        assert!(ces.diff > 0.6 && ces.significant);
        assert!(c.changes.csat.is_none());
        assert!(c.changes.negative.unwrap().significant);

        // Overlapping ranges are refused.
        let bad: DateRange = "2026-09-20..2026-10-31".parse().unwrap();
        assert!(compare(&data, before, bad).is_err());
    }

    #[test]
    fn nps_change_by_hand() {
        // Before: 2 promoters, 1 passive, 2 detractors (NPS 0, se 40);
        // after: 6/3/1 (NPS 50, se √0.045·100).
        let mut data = Vec::new();
        for (i, v) in [10u8, 9, 8, 3, 0].into_iter().enumerate() {
            let mut o = Observation::new(format!("b{i}")).at("2026-01-05");
            o.nps = Some(v);
            data.push(o);
        }
        for (i, v) in [10u8, 10, 9, 9, 9, 10, 7, 8, 7, 2].into_iter().enumerate() {
            let mut o = Observation::new(format!("a{i}")).at("2026-02-05");
            o.nps = Some(v);
            data.push(o);
        }
        let c = compare(
            &data,
            "..2026-01-31".parse().unwrap(),
            "2026-02-01..".parse().unwrap(),
        )
        .unwrap();
        let t = c.changes.nps.unwrap();
        close(t.diff, 50.0, 1e-12);
        let se = f64::sqrt(1600.0 + 450.0);
        close(t.se, se, 1e-12);
        close(t.statistic, 50.0 / se, 1e-12);
        close(t.p_value, 0.269_456_405_159_777_26, 1e-9);
        assert!(!t.significant);
    }
}
