//! Trends per period: records, negative share, point mix, and each code's
//! frequency.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::metrics::share;
use super::observation::Observation;
use super::period::Period;
use crate::stages::codebook::PointKind;

/// At most this many periods are laid out gap-free; beyond it (a stray
/// date decades away) only the periods with records are listed.
pub const MAX_FILLED_PERIODS: usize = 10_000;

/// Counts of (record, matched code) pairs by the record's point on the code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PointMix {
    /// Pain points.
    pub pain: u64,
    /// Itch points.
    pub itch: u64,
    /// Delight points.
    pub delight: u64,
    /// Mentions.
    pub mention: u64,
}

impl PointMix {
    /// Adds one point.
    pub fn add(&mut self, kind: PointKind) {
        match kind {
            PointKind::Pain => self.pain += 1,
            PointKind::Itch => self.itch += 1,
            PointKind::Delight => self.delight += 1,
            PointKind::Mention => self.mention += 1,
        }
    }

    /// All points.
    pub fn total(&self) -> u64 {
        self.pain + self.itch + self.delight + self.mention
    }
}

/// One period of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodStats {
    /// The period key (`2026-09-14`, `2026-W38`, `2026-09`).
    pub key: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period (inclusive).
    pub end: NaiveDate,
    /// Records in the period.
    pub records: u64,
    /// Negative records: a pain point on any code, or a negative sentiment.
    pub negative: u64,
    /// `negative / records` (0 for an empty period).
    pub negative_share: f64,
    /// Points of the matched (not rolled-up) codes of the period's records.
    pub points: PointMix,
}

/// One code over the periods; every vector is aligned with
/// [`Trends::periods`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeTrend {
    /// The code id.
    pub code: String,
    /// Its owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Records with the code over all periods.
    pub total: u64,
    /// Records with the code, per period.
    pub records: Vec<u64>,
    /// Records with the code / records of the period.
    pub share: Vec<f64>,
    /// Records with a pain point on the code, per period.
    pub pain: Vec<u64>,
    /// Records with the code that are negative about it (a pain point on it,
    /// or a negative sentiment), per period.
    pub negative: Vec<u64>,
}

/// Trends over periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trends {
    /// The period length.
    pub period: Period,
    /// The periods from the first record's to the last record's, with no
    /// gaps (empty periods included) up to [`MAX_FILLED_PERIODS`].
    pub periods: Vec<PeriodStats>,
    /// Codes (matched or rolled up), by total records (largest first), ties by code.
    pub codes: Vec<CodeTrend>,
    /// Records without a time (not in any period).
    pub untimed: u64,
}

#[derive(Default)]
struct CodeAcc<'a> {
    owner: Option<&'a str>,
    records: BTreeMap<NaiveDate, (u64, u64, u64)>,
}

/// Trends of `observations` per `period`.
pub fn trends(observations: &[Observation], period: Period) -> Trends {
    let mut untimed = 0u64;
    // period start → (records, negative, points)
    let mut per: BTreeMap<NaiveDate, (u64, u64, PointMix)> = BTreeMap::new();
    let mut codes: BTreeMap<&str, CodeAcc> = BTreeMap::new();
    for o in observations {
        let Some(date) = o.date() else {
            untimed += 1;
            continue;
        };
        let start = period.start(date);
        let e = per.entry(start).or_default();
        e.0 += 1;
        e.1 += u64::from(o.is_negative());
        let mut seen: Vec<&str> = Vec::with_capacity(o.codes.len());
        for c in &o.codes {
            if !c.rolled_up {
                e.2.add(c.point);
            }
            if seen.contains(&c.code.as_str()) {
                continue;
            }
            seen.push(&c.code);
            let acc = codes.entry(&c.code).or_default();
            if acc.owner.is_none() {
                acc.owner = c.owner.as_deref();
            }
            let r = acc.records.entry(start).or_default();
            r.0 += 1;
            r.1 += u64::from(c.point == PointKind::Pain);
            r.2 += u64::from(o.is_negative_on(c));
        }
    }
    // The period starts, gap-free when reasonable.
    let starts: Vec<NaiveDate> = match (per.keys().next(), per.keys().next_back()) {
        (Some(&first), Some(&last)) => {
            let mut all = vec![first];
            let mut cur = first;
            let mut ok = true;
            while cur < last {
                match period.next_start(cur) {
                    Some(n) if all.len() < MAX_FILLED_PERIODS => {
                        all.push(n);
                        cur = n;
                    }
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                all
            } else {
                per.keys().copied().collect()
            }
        }
        _ => Vec::new(),
    };
    let periods: Vec<PeriodStats> = starts
        .iter()
        .map(|&start| {
            let (records, negative, points) = per.get(&start).copied().unwrap_or_default();
            PeriodStats {
                key: period.key(start),
                start,
                end: period.end(start),
                records,
                negative,
                negative_share: share(negative, records),
                points,
            }
        })
        .collect();
    let mut code_trends: Vec<CodeTrend> = codes
        .into_iter()
        .map(|(code, acc)| {
            let mut t = CodeTrend {
                code: code.to_owned(),
                owner: acc.owner.map(str::to_owned),
                total: 0,
                records: Vec::with_capacity(starts.len()),
                share: Vec::with_capacity(starts.len()),
                pain: Vec::with_capacity(starts.len()),
                negative: Vec::with_capacity(starts.len()),
            };
            for (start, p) in starts.iter().zip(&periods) {
                let (n, pain, neg) = acc.records.get(start).copied().unwrap_or_default();
                t.total += n;
                t.records.push(n);
                t.share.push(share(n, p.records));
                t.pain.push(pain);
                t.negative.push(neg);
            }
            t
        })
        .collect();
    code_trends.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.code.cmp(&b.code)));
    Trends {
        period,
        periods,
        codes: code_trends,
        untimed,
    }
}

impl Trends {
    /// The trend of one code, if any record has it.
    pub fn code(&self, code: &str) -> Option<&CodeTrend> {
        self.codes.iter().find(|c| c.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural::sentiment::Polarity;

    #[test]
    fn weekly_trends_fill_gaps_and_cross_the_year() {
        let mut neg =
            Observation::new("3")
                .at("2026-01-01")
                .with_code("app", PointKind::Mention, None);
        neg.sentiment = Some(Polarity::Negative);
        let data = vec![
            Observation::new("1").at("2025-12-22").with_code(
                "wait",
                PointKind::Pain,
                Some("service"),
            ),
            Observation::new("2")
                .at("2025-12-28T23:59:00+08:00")
                .with_code("wait", PointKind::Delight, Some("service")),
            neg,
            Observation::new("4").at("2026-01-13"),
            Observation::new("5"),
        ];
        let t = trends(&data, Period::Week);
        let keys: Vec<_> = t.periods.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["2025-W52", "2026-W01", "2026-W02", "2026-W03"]);
        assert_eq!(t.untimed, 1);
        let records: Vec<_> = t.periods.iter().map(|p| p.records).collect();
        assert_eq!(records, [2, 1, 0, 1]);
        assert_eq!(t.periods[0].negative, 1);
        assert_eq!(t.periods[0].negative_share, 0.5);
        assert_eq!(t.periods[1].negative_share, 1.0);
        assert_eq!(t.periods[2].negative_share, 0.0);
        assert_eq!(
            t.periods[0].points,
            PointMix {
                pain: 1,
                itch: 0,
                delight: 1,
                mention: 0
            }
        );
        assert_eq!(t.periods[1].start.to_string(), "2025-12-29");
        assert_eq!(t.periods[1].end.to_string(), "2026-01-04");
        let wait = t.code("wait").unwrap();
        assert_eq!(wait.total, 2);
        assert_eq!(wait.records, [2, 0, 0, 0]);
        assert_eq!(wait.pain, [1, 0, 0, 0]);
        assert_eq!(wait.share[0], 1.0);
        let app = t.code("app").unwrap();
        assert_eq!(app.negative, [0, 1, 0, 0]);
        assert_eq!(t.codes[0].code, "wait");

        let m = trends(&data, Period::Month);
        let keys: Vec<_> = m.periods.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["2025-12", "2026-01"]);
        assert!(trends(&[], Period::Day).periods.is_empty());
    }
}
