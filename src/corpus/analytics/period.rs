//! Periods (day, ISO week, month) and inclusive date ranges.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::error::Error;

/// The length of a trend period.
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
pub enum Period {
    /// A calendar day: key `2026-09-14`.
    Day,
    /// An ISO 8601 week (Monday to Sunday, numbered within its ISO year):
    /// key `2026-W38`. 2021-01-03 is in `2020-W53`, 2024-12-30 in `2025-W01`.
    #[default]
    Week,
    /// A calendar month: key `2026-09`.
    Month,
}

impl Period {
    /// The name used on the command line and in JSON (`day`, `week`, `month`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The first day of the period containing `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date
                .checked_sub_signed(Duration::days(i64::from(
                    date.weekday().num_days_from_monday(),
                )))
                .unwrap_or(date),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The first day of the period after the one starting at `start`
    /// (`None` past the end of the calendar).
    pub fn next_start(self, start: NaiveDate) -> Option<NaiveDate> {
        let start = self.start(start);
        match self {
            Period::Day => start.succ_opt(),
            Period::Week => start.checked_add_signed(Duration::days(7)),
            Period::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year().checked_add(1)?, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
            }
        }
    }

    /// The last day of the period containing `date`.
    pub fn end(self, date: NaiveDate) -> NaiveDate {
        let start = self.start(date);
        self.next_start(start)
            .and_then(|n| n.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// The key of the period containing `date`; keys sort chronologically.
    pub fn key(self, date: NaiveDate) -> String {
        match self {
            Period::Day => date.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let w = date.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            Period::Month => format!("{:04}-{:02}", date.year(), date.month()),
        }
    }
}

impl FromStr for Period {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_lowercase().as_str() {
            "day" | "daily" | "d" => Ok(Period::Day),
            "week" | "weekly" | "w" => Ok(Period::Week),
            "month" | "monthly" | "m" => Ok(Period::Month),
            other => Err(Error::Config(format!(
                "unknown period `{other}` (expected day, week or month)"
            ))),
        }
    }
}

/// An inclusive range of calendar dates; either end may be open.
///
/// Written `FROM..TO` (`2026-08-03..2026-09-20`), `FROM..` or `..TO`; a
/// single date `D` is the range `D..D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateRange {
    /// First day (inclusive); `None` for no lower bound.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive); `None` for no upper bound.
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// The range `from..=to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> DateRange {
        DateRange {
            from: Some(from),
            to: Some(to),
        }
    }

    /// Whether `date` lies in the range.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= date) && self.to.is_none_or(|t| date <= t)
    }

    /// Whether the two ranges share at least one day.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        let starts_before_other_ends = match (self.from, other.to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.from, self.to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = self.from {
            write!(f, "{}", d.format("%Y-%m-%d"))?;
        }
        f.write_str("..")?;
        if let Some(d) = self.to {
            write!(f, "{}", d.format("%Y-%m-%d"))?;
        }
        Ok(())
    }
}

impl FromStr for DateRange {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let date = |part: &str| -> Result<Option<NaiveDate>, Error> {
            let part = part.trim();
            if part.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(part, "%Y-%m-%d")
                .map(Some)
                .map_err(|e| {
                    Error::Config(format!(
                        "date range `{s}`: `{part}` is not a YYYY-MM-DD date ({e})"
                    ))
                })
        };
        let range = match s.split_once("..") {
            Some((a, b)) => DateRange {
                from: date(a)?,
                to: date(b)?,
            },
            None => {
                let d = date(s)?.ok_or_else(|| {
                    Error::Config("empty date range (expected FROM..TO)".to_owned())
                })?;
                DateRange::new(d, d)
            }
        };
        if let (Some(f), Some(t)) = (range.from, range.to) {
            if f > t {
                return Err(Error::Config(format!(
                    "date range `{s}` ends before it starts"
                )));
            }
        }
        Ok(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn iso_weeks_across_year_boundaries() {
        // 2026-01-01 is a Thursday: its week is week 1 of 2026.
        assert_eq!(Period::Week.key(d("2026-01-01")), "2026-W01");
        assert_eq!(Period::Week.start(d("2026-01-01")), d("2025-12-29"));
        assert_eq!(Period::Week.key(d("2025-12-29")), "2026-W01");
        assert_eq!(Period::Week.key(d("2025-12-28")), "2025-W52");
        // 2024-12-30 (Monday) starts 2025-W01.
        assert_eq!(Period::Week.key(d("2024-12-30")), "2025-W01");
        // 2021-01-03 (Sunday) belongs to 2020-W53.
        assert_eq!(Period::Week.key(d("2021-01-03")), "2020-W53");
        assert_eq!(Period::Week.start(d("2021-01-03")), d("2020-12-28"));
        assert_eq!(Period::Week.end(d("2020-12-28")), d("2021-01-03"));
        assert_eq!(
            Period::Week.next_start(d("2020-12-28")),
            Some(d("2021-01-04"))
        );
        assert_eq!(Period::Week.key(d("2021-01-04")), "2021-W01");
        // The sample corpus: 2026-09-21 is a Monday, week 39.
        assert_eq!(Period::Week.key(d("2026-09-21")), "2026-W39");
        assert_eq!(Period::Week.key(d("2026-09-20")), "2026-W38");
    }

    #[test]
    fn days_and_months() {
        assert_eq!(Period::Day.key(d("2026-09-14")), "2026-09-14");
        assert_eq!(Period::Month.key(d("2026-09-14")), "2026-09");
        assert_eq!(Period::Month.start(d("2026-09-14")), d("2026-09-01"));
        assert_eq!(Period::Month.end(d("2026-02-14")), d("2026-02-28"));
        assert_eq!(Period::Month.end(d("2024-02-14")), d("2024-02-29"));
        assert_eq!(
            Period::Month.next_start(d("2026-12-05")),
            Some(d("2027-01-01"))
        );
        assert_eq!(
            Period::Day.next_start(d("2026-12-31")),
            Some(d("2027-01-01"))
        );
        assert_eq!("Week".parse::<Period>().unwrap(), Period::Week);
        assert!("fortnight".parse::<Period>().is_err());
    }

    #[test]
    fn date_ranges() {
        let r: DateRange = "2026-08-03..2026-09-20".parse().unwrap();
        assert_eq!(r, DateRange::new(d("2026-08-03"), d("2026-09-20")));
        assert!(r.contains(d("2026-08-03")) && r.contains(d("2026-09-20")));
        assert!(!r.contains(d("2026-09-21")) && !r.contains(d("2026-08-02")));
        assert_eq!(r.to_string(), "2026-08-03..2026-09-20");
        let open: DateRange = "2026-09-21..".parse().unwrap();
        assert_eq!(open.to, None);
        assert!(open.contains(d("2030-01-01")));
        assert!(!r.overlaps(&open));
        assert!(r.overlaps(&"2026-09-20..".parse().unwrap()));
        assert!(r.overlaps(&"..2026-08-03".parse().unwrap()));
        let one: DateRange = "2026-09-01".parse().unwrap();
        assert_eq!(one, DateRange::new(d("2026-09-01"), d("2026-09-01")));
        assert!("2026-09-20..2026-08-03".parse::<DateRange>().is_err());
        assert!("2026-13-01..".parse::<DateRange>().is_err());
        assert!("".parse::<DateRange>().is_err());
    }
}
