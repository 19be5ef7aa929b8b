//! Key drivers: for each code, how much more often its records are
//! detractors (or dissatisfied) than the records without it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::metrics::share;
use super::observation::Observation;
use super::stats::{self, Test};

/// The bad outcome a driver analysis explains.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Default,
    strum::IntoStaticStr,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DriverTarget {
    /// An NPS detractor (0–6), among records with an NPS answer.
    #[default]
    Detractor,
    /// A low CSAT (1–2), among records with a CSAT answer.
    LowCsat,
}

impl DriverTarget {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the record answered the question behind the target, and if
    /// so whether the answer is the bad outcome.
    pub fn outcome(self, o: &Observation) -> Option<bool> {
        match self {
            DriverTarget::Detractor => o.nps.map(|v| v <= 6),
            DriverTarget::LowCsat => o.csat.map(|v| v <= 2),
        }
    }
}

impl std::str::FromStr for DriverTarget {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace('-', "_").as_str() {
            "detractor" | "detractors" | "nps" => Ok(DriverTarget::Detractor),
            "low_csat" | "csat" => Ok(DriverTarget::LowCsat),
            other => Err(crate::error::Error::Config(format!(
                "unknown driver target `{other}` (expected detractor or low_csat)"
            ))),
        }
    }
}

/// One code as a driver of the target outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    /// The code id.
    pub code: String,
    /// Its owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Answering records with the code.
    pub with: u64,
    /// … of which had the outcome.
    pub with_outcome: u64,
    /// `with_outcome / with`.
    pub rate_with: f64,
    /// Answering records without the code.
    pub without: u64,
    /// … of which had the outcome.
    pub without_outcome: u64,
    /// `without_outcome / without` (0 when `without` is 0).
    pub rate_without: f64,
    /// `rate_with − rate_without`.
    pub diff: f64,
    /// `rate_with / rate_without` (`None` when `rate_without` is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// `diff × with / responses`: how much the overall outcome rate would
    /// fall if the code's records had the rate of the others. The sort key.
    pub impact: f64,
    /// Two-proportion z-test of `rate_with − rate_without` (`None` when
    /// every answering record has the code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<Test>,
    /// Benjamini–Hochberg q-value of `test` over all listed drivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_value: Option<f64>,
}

/// The drivers of one outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drivers {
    /// The outcome.
    pub target: DriverTarget,
    /// Records that answered the question behind the target.
    pub responses: u64,
    /// … of which had the outcome.
    pub outcomes: u64,
    /// `outcomes / responses`.
    pub base_rate: f64,
    /// Smallest `with` of a listed code.
    pub min_records: u64,
    /// Codes with at least `min_records` answering records, by impact
    /// (largest first), ties by code.
    pub drivers: Vec<Driver>,
}

/// For each code (matched or rolled up) with at least `min_records`
/// answering records: the outcome rates with and without it, their
/// difference, ratio, impact and a two-proportion z-test; sorted by impact.
pub fn drivers(observations: &[Observation], target: DriverTarget, min_records: u64) -> Drivers {
    let mut responses = 0u64;
    let mut outcomes = 0u64;
    // code → (owner, with, with_outcome)
    let mut codes: BTreeMap<&str, (Option<&str>, u64, u64)> = BTreeMap::new();
    for o in observations {
        let Some(bad) = target.outcome(o) else {
            continue;
        };
        responses += 1;
        outcomes += u64::from(bad);
        let mut seen: Vec<&str> = Vec::with_capacity(o.codes.len());
        for c in &o.codes {
            if seen.contains(&c.code.as_str()) {
                continue;
            }
            seen.push(&c.code);
            let e = codes.entry(&c.code).or_insert((None, 0, 0));
            if e.0.is_none() {
                e.0 = c.owner.as_deref();
            }
            e.1 += 1;
            e.2 += u64::from(bad);
        }
    }
    let mut list: Vec<Driver> = codes
        .into_iter()
        .filter(|(_, (_, with, _))| *with >= min_records.max(1))
        .map(|(code, (owner, with, with_outcome))| {
            let without = responses - with;
            let without_outcome = outcomes - with_outcome;
            let rate_with = share(with_outcome, with);
            let rate_without = share(without_outcome, without);
            let diff = rate_with - rate_without;
            Driver {
                code: code.to_owned(),
                owner: owner.map(str::to_owned),
                with,
                with_outcome,
                rate_with,
                without,
                without_outcome,
                rate_without,
                diff,
                ratio: (without > 0 && rate_without > 0.0).then(|| rate_with / rate_without),
                impact: diff * share(with, responses),
                test: stats::two_proportion_z(without_outcome, without, with_outcome, with),
                q_value: None,
            }
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
        b.impact
            .total_cmp(&a.impact)
            .then_with(|| a.code.cmp(&b.code))
    });
    Drivers {
        target,
        responses,
        outcomes,
        base_rate: share(outcomes, responses),
        min_records: min_records.max(1),
        drivers: list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::codebook::PointKind;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    fn rec(id: &str, nps: Option<u8>, codes: &[&str]) -> Observation {
        let mut o = Observation::new(id);
        o.nps = nps;
        for c in codes {
            o = o.with_code(c, PointKind::Pain, Some("owner"));
        }
        o
    }

    #[test]
    fn drivers_on_a_tiny_hand_example() {
        // 10 NPS answers (4 detractors) and one record without NPS.
        // "wait" on 4 records, 3 of them detractors: 3/4 vs 1/6.
        // "app" on 3 records, 1 detractor: 1/3 vs 3/7.
        let data = vec![
            rec("1", Some(2), &["wait"]),
            rec("2", Some(5), &["wait", "app"]),
            rec("3", Some(6), &["wait"]),
            rec("4", Some(9), &["wait"]),
            rec("5", Some(10), &["app"]),
            rec("6", Some(8), &["app"]),
            rec("7", Some(0), &[]),
            rec("8", Some(9), &[]),
            rec("9", Some(10), &[]),
            rec("10", Some(7), &[]),
            rec("11", None, &["wait", "wait"]),
        ];
        let d = drivers(&data, DriverTarget::Detractor, 1);
        assert_eq!((d.responses, d.outcomes), (10, 4));
        close(d.base_rate, 0.4, 1e-15);
        assert_eq!(d.drivers.len(), 2);
        let wait = &d.drivers[0];
        assert_eq!(wait.code, "wait");
        assert_eq!((wait.with, wait.with_outcome), (4, 3));
        assert_eq!((wait.without, wait.without_outcome), (6, 1));
        close(wait.rate_with, 0.75, 1e-15);
        close(wait.rate_without, 1.0 / 6.0, 1e-15);
        close(wait.diff, 0.75 - 1.0 / 6.0, 1e-15);
        close(wait.ratio.unwrap(), 4.5, 1e-12);
        close(wait.impact, (0.75 - 1.0 / 6.0) * 0.4, 1e-15);
        // Pooled p = 0.4: se = √(0.24 · (1/6 + 1/4)), z = 0.58333/0.31623.
        let t = wait.test.unwrap();
        close(t.se, (0.24f64 * (1.0 / 6.0 + 0.25)).sqrt(), 1e-15);
        close(t.statistic, 1.844_661_968_431_554_6, 1e-9);
        close(t.p_value, 0.065_086_726_492_766_8, 1e-9);
        assert!(!t.significant);
        let app = &d.drivers[1];
        assert_eq!((app.with, app.with_outcome), (3, 1));
        close(app.diff, 1.0 / 3.0 - 3.0 / 7.0, 1e-15);
        assert!(app.impact < 0.0);
        // min_records filters rare codes.
        assert_eq!(drivers(&data, DriverTarget::Detractor, 4).drivers.len(), 1);
        // No CSAT answers: nothing to explain.
        let d = drivers(&data, DriverTarget::LowCsat, 1);
        assert_eq!((d.responses, d.drivers.len()), (0, 0));
    }
}
