//! CX analytics over analyzed records: NPS, CSAT and CES with confidence
//! intervals, key drivers, trends, and before/after comparisons.
//!
//! The input is a slice of [`Observation`]s — the few fields of an analyzed
//! record that the analytics read — built from [`crate::Analysis`] values
//! ([`Observation::from_analysis`]) or from the JSON Lines that
//! `vocmine analyze --codebook …` writes ([`Dataset::read`],
//! [`Observation::from_value`]; failure lines are skipped and counted).
//!
//! * [`metrics()`] / [`metrics_by`]: NPS, CSAT and CES with counts and 95%
//!   intervals, overall and per channel, touchpoint, period, owner or code
//!   ([`Slice`]);
//! * [`drivers()`]: per code, the detractor (or low-CSAT) rate of its records
//!   against the others: difference, ratio, impact, z-test;
//! * [`trends()`]: per day, ISO week or month ([`Period`]): records,
//!   negative share, point mix, and each code's frequency;
//! * [`compare()`]: two disjoint date ranges ([`DateRange`], `FROM..TO`):
//!   each code's share (and pain share) before and after, and each metric,
//!   with two-sided tests;
//! * [`metrics_report`] / [`compare_report`]: the whole reports of
//!   `vocmine metrics --json` and `vocmine compare --json` (and of the
//!   Python `vocmine.metrics` / `vocmine.compare`).
//!
//! Every result derives `Serialize` (JSON for dashboards) and renders as a
//! plain-text table (`to_table`, `Display`).
//!
//! # Formulas
//!
//! * NPS = 100·(P − D)/n; `se = 100·√((p + d − (p − d)²)/n)` (the variance
//!   of a difference of two proportions of one multinomial sample);
//!   interval `NPS ± 1.96·se`, cut to −100…100.
//! * CSAT = 100·S/n with S the answers 4–5; Wilson score interval.
//! * CES = mean of 1–7; `mean ± t(0.975, n−1)·s/√n`.
//! * Shares before/after, driver rates: two-proportion z-test with the pooled
//!   standard error, two-sided; the interval of a difference uses the
//!   unpooled standard error. Benjamini–Hochberg q-values are given next to
//!   the p-values because many codes are tested at once.
//! * NPS before/after: `z = ΔNPS/√(se₁² + se₂²)`; CES: Welch's t-test with
//!   Welch–Satterthwaite degrees of freedom.
//!
//! Significance is `p < 0.05`. Records are taken as independent: several
//! records of one customer, or one survey wave, make the intervals too
//! narrow.
//!
//! ```
//! use vocmine::corpus::analytics::{compare, Dataset};
//!
//! let lines = r#"{"id": "a", "time": "2026-09-01", "scores": {"nps": 3}, "codes": [{"code": "wait", "point": "pain", "clauses": 1}]}
//! {"id": "b", "time": "2026-10-01", "scores": {"nps": 10}}
//! {"id": "c", "line": 3, "error": {"kind": "empty_text", "line": 3, "message": "empty"}}"#;
//! let data = Dataset::read(lines.as_bytes())?;
//! assert_eq!((data.observations.len(), data.failures), (2, 1));
//! let c = compare(
//!     &data.observations,
//!     "2026-08-01..2026-09-20".parse()?,
//!     "2026-09-21..".parse()?,
//! )?;
//! assert_eq!(c.code("wait").map(|w| (w.before.count, w.after.count)), Some((1, 0)));
//! println!("{c}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod compare;
pub mod drivers;
pub mod metrics;
pub mod observation;
pub mod period;
pub mod report;
pub mod stats;
pub mod table;
pub mod trends;

pub use compare::{compare, CodeChange, Comparison, MetricChanges, Share};
pub use drivers::{drivers, Driver, DriverTarget, Drivers};
pub use metrics::{
    metrics, metrics_by, CesStat, CsatStat, Metrics, NpsStat, Slice, SliceMetrics, SlicedMetrics,
};
pub use observation::{Dataset, Observation, ObservedCode, Skip};
pub use period::{DateRange, Period};
pub use report::{
    compare_report, metrics_report, CompareReport, InputSummary, InvalidLine, MetricsOptions,
    MetricsReport,
};
pub use stats::{Interval, Test};
pub use trends::{trends, CodeTrend, PeriodStats, PointMix, Trends};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::record::Record;
    use crate::stages::codebook::{PointKind, RecordCode};
    use crate::Engine;

    /// An `Analysis` and its JSON output line give the same observation.
    #[test]
    fn analysis_and_output_line_agree() {
        let engine = Engine::new().unwrap();
        let record = Record::from_json_str(
            r#"{"id": 42, "text": "waited two hours for the repair", "channel": "survey",
                "touchpoint": "repair", "time": "2026-09-14T10:32:00+08:00",
                "scores": {"nps": 4, "csat": 2, "ces": 6}}"#,
            1,
        )
        .unwrap();
        let mut a = engine.analyze(&record).unwrap();
        a.codes = Some(vec![
            RecordCode {
                code: "after_sales".into(),
                clauses: 1,
                point: PointKind::Pain,
                owner: Some("service_center".into()),
                rolled_up: true,
            },
            RecordCode {
                code: "after_sales.repair.waiting".into(),
                clauses: 1,
                point: PointKind::Pain,
                owner: Some("service_center".into()),
                rolled_up: false,
            },
        ]);
        let from_analysis = Observation::from_analysis(&a);
        let line = serde_json::to_value(&a).unwrap();
        let from_line = Observation::from_value(&line).unwrap();
        assert_eq!(from_analysis, from_line);
        assert_eq!(from_line.id, "42");
        assert_eq!(
            from_line.date().map(|d| d.to_string()).as_deref(),
            Some("2026-09-14")
        );
        assert_eq!(
            (from_line.nps, from_line.csat, from_line.ces),
            (Some(4), Some(2), Some(6))
        );
        assert!(from_line.codes[0].rolled_up);

        let mut ds = Dataset::new();
        ds.push_outcome(&crate::Outcome::Ok(Box::new(crate::Analyzed::new(a))));
        assert_eq!(ds.observations, vec![from_analysis]);
    }

    /// The sample corpus, coded by the automotive codebook's rules (no
    /// model): the planted drop of service waiting-time complaints after
    /// 2026-09-21 is significant.
    #[test]
    fn sample_corpus_shows_the_waiting_time_drop() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let spec =
            crate::CodebookSpec::load(root.join("corpora/codebooks/automotive.yaml")).unwrap();
        let engine = Engine::new().unwrap().with_codebook(spec).unwrap();
        let text = std::fs::read_to_string(root.join("corpora/sample.jsonl")).unwrap();
        let records: Vec<Record> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| Record::from_json_str(l, i as u64 + 1).ok())
            .collect();
        let outcomes = engine.analyze_batch(&records).unwrap();
        let data = Dataset::from_outcomes(&outcomes);
        assert_eq!(data.observations.len(), 359);
        let c = compare(
            &data.observations,
            "2026-08-03..2026-09-20".parse().unwrap(),
            "2026-09-21..2026-10-31".parse().unwrap(),
        )
        .unwrap();
        let wait = c.code("after_sales.repair.waiting").unwrap();
        assert!(wait.after.share < wait.before.share / 1.5, "{wait:?}");
        assert!(wait.test.unwrap().significant, "{wait:?}");
        // (Without the model, pain points come from cues only and are few;
        // with the sentiment model most of these records are pain points.)
        // Weekly trends cover weeks 32–44 without gaps.
        let t = trends(&data.observations, Period::Week);
        assert_eq!(t.periods.first().map(|p| p.key.as_str()), Some("2026-W32"));
        assert_eq!(t.untimed, 0);
        assert!(t
            .periods
            .windows(2)
            .all(|w| w[1].start - w[0].start == chrono::Duration::days(7)));
        if std::env::var_os("VOCMINE_SHOW").is_some() {
            println!("{}", c.to_table_top(25));
            println!("{}", metrics_by(&data.observations, Slice::Channel));
            println!(
                "{}",
                drivers(&data.observations, DriverTarget::Detractor, 5).to_table_top(10)
            );
            println!("{}", t.to_table_top(10));
        }
    }

    /// Every result serializes to JSON and renders as a table.
    #[test]
    fn results_serialize_and_render() {
        let mut data = Vec::new();
        for i in 0..40u8 {
            let date = if i < 20 { "2026-09-01" } else { "2026-10-01" };
            let mut o = Observation::new(format!("r{i}")).at(date);
            o.channel = Some(if i % 2 == 0 { "chat" } else { "电话" }.to_owned());
            o.nps = Some(i % 11);
            o.csat = Some(1 + i % 5);
            o.ces = Some(1 + i % 7);
            if i % 3 == 0 && i < 20 {
                o = o.with_code("wait", PointKind::Pain, Some("service"));
            }
            data.push(o);
        }
        let sliced = metrics_by(&data, Slice::Channel);
        let table = sliced.to_table();
        assert!(
            table.contains("电话") && table.contains("(all records)"),
            "{table}"
        );
        let c = compare(
            &data,
            "..2026-09-30".parse().unwrap(),
            "2026-10-01..".parse().unwrap(),
        )
        .unwrap();
        let table = c.to_table();
        assert!(table.contains("wait") && table.contains("NPS"), "{table}");
        let d = drivers(&data, DriverTarget::Detractor, 1);
        assert!(d.to_table().contains("wait"));
        let t = trends(&data, Period::Week);
        assert!(t.to_table().contains("2026-W36"));
        for v in [
            serde_json::to_value(&sliced).unwrap(),
            serde_json::to_value(&c).unwrap(),
            serde_json::to_value(&d).unwrap(),
            serde_json::to_value(&t).unwrap(),
        ] {
            assert!(v.is_object());
        }
        let v = serde_json::to_value(&sliced).unwrap();
        assert_eq!(v["by"], "channel");
        assert_eq!(
            serde_json::to_value(Slice::Period(Period::Week)).unwrap(),
            "week"
        );
        assert_eq!(
            "month".parse::<Slice>().unwrap(),
            Slice::Period(Period::Month)
        );
        assert!(v["slices"][0]["nps"]["ci"]["low"].is_number());
    }
}
