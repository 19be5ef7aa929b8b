//! Whole reports over a [`Dataset`]: what `vocmine metrics --json` and
//! `vocmine compare --json` write and what the Python `vocmine.metrics` and
//! `vocmine.compare` return (the same JSON).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::compare::{compare, Comparison};
use super::drivers::{drivers, DriverTarget, Drivers};
use super::metrics::{metrics_by, Metrics, Slice, SlicedMetrics};
use super::observation::Dataset;
use super::period::{DateRange, Period};
use super::trends::{trends, Trends};
use crate::error::Result;

/// What was read: the input lines and what became of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSummary {
    /// The file read (`None` for records given in code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Non-blank lines (or records) read.
    pub lines: u64,
    /// Analyzed records (observations).
    pub analyzed: usize,
    /// Failure lines (records that were not analyzed), skipped.
    pub failures: u64,
    /// Lines that are not JSON objects, skipped.
    pub invalid: u64,
    /// The first invalid line: its 1-based line number and what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_invalid: Option<InvalidLine>,
}

/// An input line that is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidLine {
    /// 1-based line number (blank lines counted).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl InputSummary {
    /// The summary of a dataset read from `file`.
    pub fn of(ds: &Dataset, file: Option<&str>) -> InputSummary {
        InputSummary {
            file: file.map(str::to_owned),
            lines: ds.lines,
            analyzed: ds.observations.len(),
            failures: ds.failures,
            invalid: ds.invalid,
            first_invalid: ds
                .first_invalid
                .as_ref()
                .map(|(line, message)| InvalidLine {
                    line: *line,
                    message: message.clone(),
                }),
        }
    }
}

impl fmt::Display for InputSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        write!(
            f,
            "{} lines · {} analyzed records · {} failure lines skipped · {} invalid lines skipped",
            self.lines, self.analyzed, self.failures, self.invalid
        )
    }
}

/// What [`metrics_report`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsOptions {
    /// The slices (default channel, touchpoint, week).
    pub by: Vec<Slice>,
    /// The period of the trends (default week).
    pub period: Period,
    /// Key drivers of detractors and low CSAT, for codes with at least this
    /// many answering records (`None`: no drivers).
    pub drivers: Option<u64>,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            by: vec![
                Slice::Channel,
                Slice::Touchpoint,
                Slice::Period(Period::Week),
            ],
            period: Period::Week,
            drivers: None,
        }
    }
}

impl MetricsOptions {
    /// Parses slice names (`channel`, `touchpoint`, `period`, `owner`,
    /// `code`, `day`, `week`, `month`); `period` is the slice of `period`.
    /// Duplicates are dropped; an unknown name is an error naming it.
    pub fn slices<S: AsRef<str>>(names: &[S], period: Period) -> Result<Vec<Slice>> {
        let mut out = Vec::new();
        for name in names.iter().map(|n| n.as_ref().trim()) {
            if name.is_empty() {
                continue;
            }
            let slice = if name.eq_ignore_ascii_case("period") {
                Slice::Period(period)
            } else {
                name.parse::<Slice>()?
            };
            if !out.contains(&slice) {
                out.push(slice);
            }
        }
        Ok(out)
    }
}

/// Metrics overall, per slice, trends, and (optionally) drivers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsReport {
    /// What was read.
    pub input: InputSummary,
    /// Every analyzed record.
    pub overall: Metrics,
    /// One entry per slice dimension asked for.
    pub slices: Vec<SlicedMetrics>,
    /// Trends per period.
    pub trends: Trends,
    /// Drivers by target (`detractor`, `low_csat`), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drivers: Option<BTreeMap<&'static str, Drivers>>,
}

/// Computes a [`MetricsReport`] over a dataset read from `file`.
pub fn metrics_report(ds: &Dataset, file: Option<&str>, opts: &MetricsOptions) -> MetricsReport {
    let obs = &ds.observations;
    MetricsReport {
        input: InputSummary::of(ds, file),
        overall: Metrics::of(obs),
        slices: opts.by.iter().map(|&s| metrics_by(obs, s)).collect(),
        trends: trends(obs, opts.period),
        drivers: opts.drivers.map(|min| {
            [DriverTarget::Detractor, DriverTarget::LowCsat]
                .into_iter()
                .map(|t| (t.as_str(), drivers(obs, t, min)))
                .collect()
        }),
    }
}

/// A before/after comparison with what was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareReport {
    /// What was read.
    pub input: InputSummary,
    /// The comparison (its fields at the top level of the JSON).
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// Compares the records of a dataset read from `file` in two disjoint date
/// ranges (see [`compare`]).
pub fn compare_report(
    ds: &Dataset,
    file: Option<&str>,
    before: DateRange,
    after: DateRange,
) -> Result<CompareReport> {
    Ok(CompareReport {
        input: InputSummary::of(ds, file),
        comparison: compare(&ds.observations, before, after)?,
    })
}
