//! NPS, CSAT and CES with 95% confidence intervals, overall and sliced by
//! channel, touchpoint, period, owner or code.

use std::collections::BTreeMap;

use serde::Serialize;

use super::observation::Observation;
use super::period::Period;
use super::stats::{self, Interval, SampleSummary, Z95};

/// Net Promoter Score of the records with an NPS answer.
///
/// `NPS = 100 · (P − D) / n` with promoters P (9–10), passives (7–8) and
/// detractors D (0–6). With `p = P/n`, `d = D/n`, the variance of `p − d`
/// (a difference of two proportions of one multinomial sample) is
/// `(p + d − (p − d)²) / n`, so `se = 100 · √((p + d − (p − d)²) / n)` and
/// the interval is `NPS ± 1.96 · se`, cut to −100…100. This normal
/// approximation collapses to a point when every answer is in one group
/// (all detractors: `−100 [−100, −100]`); read small slices with care.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NpsStat {
    /// Records with an NPS answer.
    pub responses: u64,
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
    /// The score, −100…100.
    pub nps: f64,
    /// Standard error, in NPS points.
    pub se: f64,
    /// 95% confidence interval, in NPS points.
    pub ci: Interval,
}

impl NpsStat {
    /// From the three counts; `None` when all are zero.
    pub fn from_counts(promoters: u64, passives: u64, detractors: u64) -> Option<NpsStat> {
        let n = promoters + passives + detractors;
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let (p, d) = (promoters as f64 / nf, detractors as f64 / nf);
        let var = ((p + d - (p - d).powi(2)) / nf).max(0.0);
        let se = 100.0 * var.sqrt();
        let nps = 100.0 * (p - d);
        Some(NpsStat {
            responses: n,
            promoters,
            passives,
            detractors,
            nps,
            se,
            ci: Interval::around(nps, Z95 * se).clamped(-100.0, 100.0),
        })
    }

    /// From answers 0–10 (other values are ignored).
    pub fn from_answers(answers: &[u8]) -> Option<NpsStat> {
        let mut acc = Accumulator::default();
        for &a in answers {
            acc.nps(a);
        }
        NpsStat::from_counts(acc.promoters, acc.passives, acc.detractors)
    }

    /// Share of detractors, 0–1.
    pub fn detractor_share(&self) -> f64 {
        self.detractors as f64 / self.responses as f64
    }
}

/// Customer satisfaction: the share of satisfied answers (4–5 on 1–5).
///
/// `CSAT = 100 · S / n`; the interval is the Wilson score interval of
/// `S / n` at z = 1.96, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CsatStat {
    /// Records with a CSAT answer.
    pub responses: u64,
    /// Answers 4–5.
    pub satisfied: u64,
    /// Answers 3.
    pub neutral: u64,
    /// Answers 1–2.
    pub dissatisfied: u64,
    /// Mean answer, 1–5.
    pub mean: f64,
    /// The score, percent satisfied (0–100).
    pub csat: f64,
    /// 95% Wilson interval, in percent.
    pub ci: Interval,
}

impl CsatStat {
    /// From answers 1–5 (other values are ignored).
    pub fn from_answers(answers: &[u8]) -> Option<CsatStat> {
        let mut acc = Accumulator::default();
        for &a in answers {
            acc.csat(a);
        }
        acc.csat_stat()
    }
}

/// Customer effort score: the mean answer on 1–7.
///
/// `se = s / √n` with the sample standard deviation `s`; the interval is
/// `mean ± t(0.975, n − 1) · se` (Student's t), cut to 1…7; no interval for
/// one answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CesStat {
    /// Records with a CES answer.
    pub responses: u64,
    /// Mean answer, 1–7.
    pub mean: f64,
    /// Sample standard deviation (0 for one answer).
    pub sd: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// 95% confidence interval of the mean (`None` for a single answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
}

impl CesStat {
    /// From answers 1–7 (other values are ignored).
    pub fn from_answers(answers: &[u8]) -> Option<CesStat> {
        let mut acc = Accumulator::default();
        for &a in answers {
            acc.ces(a);
        }
        acc.ces_stat()
    }

    /// The sample summary used by Welch's t-test.
    pub fn summary(&self) -> SampleSummary {
        SampleSummary {
            n: self.responses,
            mean: self.mean,
            variance: self.sd * self.sd,
        }
    }
}

/// The metrics of a set of records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Records in the set.
    pub records: u64,
    /// Negative records: a pain point on any code, or a negative sentiment.
    pub negative: u64,
    /// NPS (`None` without answers).
    pub nps: Option<NpsStat>,
    /// CSAT (`None` without answers).
    pub csat: Option<CsatStat>,
    /// CES (`None` without answers).
    pub ces: Option<CesStat>,
}

impl Metrics {
    /// The metrics of `observations`.
    pub fn of<'a>(observations: impl IntoIterator<Item = &'a Observation>) -> Metrics {
        let mut acc = Accumulator::default();
        for o in observations {
            acc.add(o);
        }
        acc.finish()
    }

    /// Share of negative records, 0–1 (0 for an empty set).
    pub fn negative_share(&self) -> f64 {
        share(self.negative, self.records)
    }
}

pub(crate) fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

/// Running counts behind [`Metrics`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Accumulator {
    records: u64,
    negative: u64,
    promoters: u64,
    passives: u64,
    detractors: u64,
    csat: [u64; 5],
    ces_n: u64,
    ces_sum: u64,
    ces_sq: u64,
}

impl Accumulator {
    pub(crate) fn add(&mut self, o: &Observation) {
        self.records += 1;
        if o.is_negative() {
            self.negative += 1;
        }
        if let Some(v) = o.nps {
            self.nps(v);
        }
        if let Some(v) = o.csat {
            self.csat(v);
        }
        if let Some(v) = o.ces {
            self.ces(v);
        }
    }

    fn nps(&mut self, v: u8) {
        match v {
            9..=10 => self.promoters += 1,
            7..=8 => self.passives += 1,
            0..=6 => self.detractors += 1,
            _ => {}
        }
    }

    fn csat(&mut self, v: u8) {
        if (1..=5).contains(&v) {
            self.csat[usize::from(v - 1)] += 1;
        }
    }

    fn ces(&mut self, v: u8) {
        if (1..=7).contains(&v) {
            self.ces_n += 1;
            self.ces_sum += u64::from(v);
            self.ces_sq += u64::from(v) * u64::from(v);
        }
    }

    fn csat_stat(&self) -> Option<CsatStat> {
        let n: u64 = self.csat.iter().sum();
        if n == 0 {
            return None;
        }
        let satisfied = self.csat[3] + self.csat[4];
        let total: u64 = self
            .csat
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u64 + 1) * c)
            .sum();
        let ci = stats::wilson(satisfied, n, Z95)?.scaled(100.0);
        Some(CsatStat {
            responses: n,
            satisfied,
            neutral: self.csat[2],
            dissatisfied: self.csat[0] + self.csat[1],
            mean: total as f64 / n as f64,
            csat: 100.0 * satisfied as f64 / n as f64,
            ci,
        })
    }

    fn ces_stat(&self) -> Option<CesStat> {
        let n = self.ces_n;
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let mean = self.ces_sum as f64 / nf;
        // Exact integer numerator: n·Σx² − (Σx)² = n(n−1)·s².
        let (sum, sq, n128) = (
            u128::from(self.ces_sum),
            u128::from(self.ces_sq),
            u128::from(n),
        );
        let var = if n < 2 {
            0.0
        } else {
            (n128 * sq).saturating_sub(sum * sum) as f64 / (nf * (nf - 1.0))
        };
        let sd = var.sqrt();
        let se = sd / nf.sqrt();
        let ci = (n >= 2).then(|| {
            let q = stats::student_t_quantile(1.0 - (1.0 - stats::CONFIDENCE) / 2.0, nf - 1.0);
            Interval::around(mean, q * se).clamped(1.0, 7.0)
        });
        Some(CesStat {
            responses: n,
            mean,
            sd,
            se,
            ci,
        })
    }

    pub(crate) fn finish(&self) -> Metrics {
        Metrics {
            records: self.records,
            negative: self.negative,
            nps: NpsStat::from_counts(self.promoters, self.passives, self.detractors),
            csat: self.csat_stat(),
            ces: self.ces_stat(),
        }
    }
}

/// What to slice metrics by. Serialized as its [`Slice::as_str`] name
/// (`channel`, `touchpoint`, `day`, `week`, `month`, `owner`, `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    /// The record's channel.
    Channel,
    /// The record's touchpoint.
    Touchpoint,
    /// The period of the record's time.
    Period(Period),
    /// The owners of the record's matched codes (a record counts once for
    /// each owner; rolled-up ancestors do not add owners).
    Owner,
    /// The record's codes, matched or rolled up (a record counts once for
    /// each code).
    Code,
}

impl Serialize for Slice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::str::FromStr for Slice {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "channel" => Ok(Slice::Channel),
            "touchpoint" => Ok(Slice::Touchpoint),
            "owner" => Ok(Slice::Owner),
            "code" => Ok(Slice::Code),
            other => other.parse::<Period>().map(Slice::Period).map_err(|_| {
                crate::error::Error::Config(format!(
                    "unknown slice `{other}` (expected channel, touchpoint, day, week, month, owner or code)"
                ))
            }),
        }
    }
}

impl Slice {
    /// The slice name: the dimension, or the period length for periods.
    pub fn as_str(&self) -> &'static str {
        match self {
            Slice::Period(p) => p.as_str(),
            other => other.name(),
        }
    }

    /// The name of the slice dimension.
    pub fn name(&self) -> &'static str {
        match self {
            Slice::Channel => "channel",
            Slice::Touchpoint => "touchpoint",
            Slice::Period(_) => "period",
            Slice::Owner => "owner",
            Slice::Code => "code",
        }
    }

    /// The keys of the slices an observation falls into (`None`: the
    /// record has no value for the dimension).
    pub fn keys(&self, o: &Observation) -> Vec<Option<String>> {
        match self {
            Slice::Channel => vec![o.channel.clone()],
            Slice::Touchpoint => vec![o.touchpoint.clone()],
            Slice::Period(p) => vec![o.date().map(|d| p.key(d))],
            Slice::Owner => {
                let mut owners: Vec<Option<String>> = o
                    .codes
                    .iter()
                    .filter(|c| !c.rolled_up)
                    .filter_map(|c| c.owner.clone())
                    .map(Some)
                    .collect();
                owners.sort();
                owners.dedup();
                if owners.is_empty() {
                    owners.push(None);
                }
                owners
            }
            Slice::Code => {
                let mut codes: Vec<Option<String>> =
                    o.codes.iter().map(|c| Some(c.code.clone())).collect();
                codes.sort();
                codes.dedup();
                if codes.is_empty() {
                    codes.push(None);
                }
                codes
            }
        }
    }
}

/// The metrics of one slice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliceMetrics {
    /// The slice key (a channel, a period key, an owner, a code); `None` for
    /// the records without a value (no channel, no time, no code).
    pub key: Option<String>,
    /// The metrics of the records in the slice.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Metrics overall and per slice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlicedMetrics {
    /// The slice dimension.
    pub by: Slice,
    /// All records.
    pub overall: Metrics,
    /// One row per key: periods, channels and touchpoints in key order; codes
    /// and owners by record count, largest first; the row without a value last.
    pub slices: Vec<SliceMetrics>,
}

/// Metrics of all observations.
pub fn metrics(observations: &[Observation]) -> Metrics {
    Metrics::of(observations)
}

/// Metrics overall and per slice of `by`.
pub fn metrics_by(observations: &[Observation], by: Slice) -> SlicedMetrics {
    let mut overall = Accumulator::default();
    let mut groups: BTreeMap<Option<String>, Accumulator> = BTreeMap::new();
    for o in observations {
        overall.add(o);
        for key in by.keys(o) {
            groups.entry(key).or_default().add(o);
        }
    }
    let mut slices: Vec<SliceMetrics> = groups
        .into_iter()
        .map(|(key, acc)| SliceMetrics {
            key,
            metrics: acc.finish(),
        })
        .collect();
    // BTreeMap order puts `None` first and keys in order; move `None` last.
    slices.sort_by(|a, b| {
        let by_count = matches!(by, Slice::Owner | Slice::Code);
        a.key
            .is_none()
            .cmp(&b.key.is_none())
            .then_with(|| {
                if by_count {
                    b.metrics.records.cmp(&a.metrics.records)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then_with(|| a.key.cmp(&b.key))
    });
    SlicedMetrics {
        by,
        overall: overall.finish(),
        slices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::codebook::PointKind;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    #[test]
    fn nps_by_hand() {
        // [10, 9, 8, 3, 0]: 2 promoters, 1 passive, 2 detractors → (2 − 2)/5 = 0.
        let s = NpsStat::from_answers(&[10, 9, 8, 3, 0]).unwrap();
        assert_eq!((s.promoters, s.passives, s.detractors), (2, 1, 2));
        close(s.nps, 0.0, 1e-12);
        // var = (0.4 + 0.4 − 0²)/5 = 0.16 → se = 40 points.
        close(s.se, 40.0, 1e-12);
        close(s.ci.low, -78.398_559_381_602_16, 1e-6);
        close(s.ci.high, 78.398_559_381_602_16, 1e-6);

        // 6 promoters, 3 passives, 1 detractor: NPS 50; var = (0.7 − 0.25)/10.
        let s = NpsStat::from_counts(6, 3, 1).unwrap();
        close(s.nps, 50.0, 1e-12);
        close(s.se, 100.0 * 0.045f64.sqrt(), 1e-12);
        close(
            s.ci.low,
            50.0 - 1.959_963_984_540_054 * 21.213_203_435_596_427,
            1e-9,
        );
        close(s.ci.low, 8.422_885_269_509_663, 1e-6);
        close(s.ci.high, 91.577_114_730_490_34, 1e-6);

        // All promoters: NPS 100, se 0, interval [100, 100].
        let s = NpsStat::from_counts(4, 0, 0).unwrap();
        assert_eq!(
            (s.nps, s.se, s.ci.low, s.ci.high),
            (100.0, 0.0, 100.0, 100.0)
        );
        // Wide intervals are cut to −100…100.
        let s = NpsStat::from_counts(1, 0, 1).unwrap();
        assert_eq!((s.ci.low, s.ci.high), (-100.0, 100.0));
        assert!(NpsStat::from_answers(&[]).is_none());
        assert!(NpsStat::from_answers(&[11, 200]).is_none());
    }

    #[test]
    fn csat_by_hand() {
        // [5, 4, 4, 3, 1]: 3 of 5 satisfied = 60%; Wilson(3, 5).
        let s = CsatStat::from_answers(&[5, 4, 4, 3, 1]).unwrap();
        assert_eq!((s.satisfied, s.neutral, s.dissatisfied), (3, 1, 1));
        close(s.csat, 60.0, 1e-12);
        close(s.mean, 3.4, 1e-12);
        // (0.6 + z²/10)/(1 + z²/5) ∓ z/(1 + z²/5)·√(0.048 + z²/100).
        close(s.ci.low, 23.072_428_127_601_28, 1e-6);
        close(s.ci.high, 88.237_922_576_735_2, 1e-6);
        assert!(CsatStat::from_answers(&[0, 6]).is_none());
    }

    #[test]
    fn ces_by_hand() {
        // [2, 4, 4, 4, 5, 5, 7, 9→ignored]: mean 31/7, s² = (151 − 137.2857)/6.
        let s = CesStat::from_answers(&[2, 4, 4, 4, 5, 5, 7, 9]).unwrap();
        assert_eq!(s.responses, 7);
        close(s.mean, 31.0 / 7.0, 1e-12);
        let var = (7.0 * 151.0 - 31.0 * 31.0) / 42.0;
        close(s.sd, f64::sqrt(var), 1e-12);
        close(s.sd, 1.511_857_892_036_909_7, 1e-9);
        // t(0.975, 6) = 2.446911851144970 (mpmath).
        let half = 2.446_911_851_144_97 * s.sd / 7f64.sqrt();
        let ci = s.ci.unwrap();
        close(ci.low, 31.0 / 7.0 - half, 1e-6);
        close(ci.high, 5.826_806_772_082_84, 1e-6);
        let one = CesStat::from_answers(&[3]).unwrap();
        assert_eq!((one.mean, one.sd, one.ci), (3.0, 0.0, None));
        // Three answers, wide interval: cut to the 1–7 scale.
        let few = CesStat::from_answers(&[1, 7, 6]).unwrap();
        let ci = few.ci.unwrap();
        assert_eq!((ci.low, ci.high), (1.0, 7.0));
    }

    fn obs(id: &str, channel: &str, nps: u8) -> Observation {
        let mut o = Observation::new(id);
        o.channel = Some(channel.to_owned());
        o.nps = Some(nps);
        o
    }

    #[test]
    fn slices_by_channel_owner_code_and_period() {
        let data = vec![
            obs("1", "chat", 10)
                .at("2026-09-21")
                .with_code("a.x", PointKind::Pain, Some("team_a"))
                .with_code("b", PointKind::Mention, Some("team_b")),
            obs("2", "chat", 3)
                .at("2026-09-27")
                .with_code("a.x", PointKind::Pain, Some("team_a")),
            obs("3", "survey", 8).at("2026-09-28"),
            Observation::new("4"),
        ];
        let m = metrics_by(&data, Slice::Channel);
        assert_eq!(m.overall.records, 4);
        let keys: Vec<_> = m.slices.iter().map(|s| s.key.as_deref()).collect();
        assert_eq!(keys, [Some("chat"), Some("survey"), None]);
        assert_eq!(m.slices[0].metrics.nps.unwrap().nps, 0.0);
        assert_eq!(m.slices[1].metrics.nps.unwrap().nps, 0.0);
        assert!(m.slices[2].metrics.nps.is_none());

        let m = metrics_by(&data, Slice::Owner);
        let keys: Vec<_> = m.slices.iter().map(|s| s.key.as_deref()).collect();
        assert_eq!(keys, [Some("team_a"), Some("team_b"), None]);
        assert_eq!(m.slices[0].metrics.records, 2);
        assert_eq!(m.slices[0].metrics.negative, 2);
        close(m.slices[0].metrics.nps.unwrap().nps, 0.0, 1e-12);

        let m = metrics_by(&data, Slice::Code);
        assert_eq!(m.slices[0].key.as_deref(), Some("a.x"));
        assert_eq!(m.slices[0].metrics.records, 2);

        let m = metrics_by(&data, Slice::Period(Period::Week));
        let keys: Vec<_> = m.slices.iter().map(|s| s.key.as_deref()).collect();
        assert_eq!(keys, [Some("2026-W39"), Some("2026-W40"), None]);
        assert_eq!(m.slices[0].metrics.records, 2);
    }
}
