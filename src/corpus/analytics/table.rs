//! Plain-text tables of the analytics results (for terminals and reports).

use std::fmt;

use super::compare::{CodeChange, Comparison, Share};
use super::drivers::Drivers;
use super::metrics::{CesStat, CsatStat, Metrics, NpsStat, SlicedMetrics};
use super::stats::Test;
use super::trends::Trends;

/// Rows under a header, columns padded to their widest cell.
struct Table {
    head: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table; a column whose header starts with `>` is right-aligned.
    fn new(head: &[&str]) -> Table {
        Table {
            head: head
                .iter()
                .map(|h| h.trim_start_matches('>').to_owned())
                .collect(),
            right: head.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let cols = self.head.len();
        let mut width: Vec<usize> = self.head.iter().map(|h| display_width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(display_width(c));
            }
        }
        let line = |cells: &[String], out: &mut String| {
            let mut s = String::new();
            for (i, w) in width.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = w.saturating_sub(display_width(c));
                if i > 0 {
                    s.push_str("  ");
                }
                if self.right[i] {
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i + 1 < cols {
                        s.extend(std::iter::repeat_n(' ', pad));
                    }
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&self.head, out);
        let total: usize = width.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
        out.extend(std::iter::repeat_n('-', total));
        out.push('\n');
        for r in &self.rows {
            line(r, out);
        }
    }
}

/// Terminal columns of a string (East Asian wide characters count 2,
/// combining marks 0), by `unicode-width`.
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` padded with spaces on the right to `width` terminal columns (as
/// `{:<width}` does for characters), so that columns of CJK text line up.
pub fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    let mut out = String::with_capacity(s.len() + width.saturating_sub(w));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn signed(x: f64, decimals: usize) -> String {
    let s = format!("{x:+.decimals$}");
    // No "-0.0".
    if s.trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        format!("{:.decimals$}", 0.0)
    } else {
        s
    }
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_owned()
    } else {
        format!("{p:.3}")
    }
}

fn nps_cell(s: &Option<NpsStat>) -> (String, String) {
    match s {
        Some(s) => (
            format!(
                "{} [{}, {}]",
                signed(s.nps, 1),
                signed(s.ci.low, 1),
                signed(s.ci.high, 1)
            ),
            s.responses.to_string(),
        ),
        None => ("-".into(), "0".into()),
    }
}

fn csat_cell(s: &Option<CsatStat>) -> (String, String) {
    match s {
        Some(s) => (
            format!("{:.1}% [{:.1}, {:.1}]", s.csat, s.ci.low, s.ci.high),
            s.responses.to_string(),
        ),
        None => ("-".into(), "0".into()),
    }
}

fn ces_cell(s: &Option<CesStat>) -> (String, String) {
    match s {
        Some(s) => (
            match s.ci {
                Some(ci) => format!("{:.2} [{:.2}, {:.2}]", s.mean, ci.low, ci.high),
                None => format!("{:.2}", s.mean),
            },
            s.responses.to_string(),
        ),
        None => ("-".into(), "0".into()),
    }
}

fn metrics_row(key: &str, m: &Metrics) -> Vec<String> {
    let (nps, nps_n) = nps_cell(&m.nps);
    let (csat, csat_n) = csat_cell(&m.csat);
    let (ces, ces_n) = ces_cell(&m.ces);
    vec![
        key.to_owned(),
        m.records.to_string(),
        pct(m.negative_share()),
        nps,
        nps_n,
        csat,
        csat_n,
        ces,
        ces_n,
    ]
}

const METRIC_HEAD: [&str; 8] = [
    ">records",
    ">negative",
    ">NPS [95% CI]",
    ">n",
    ">CSAT [95% CI]",
    ">n",
    ">CES [95% CI]",
    ">n",
];

impl Metrics {
    /// A one-row table.
    pub fn to_table(&self) -> String {
        let mut head = vec![""];
        head.extend(METRIC_HEAD);
        let mut t = Table::new(&head);
        t.row(metrics_row("all", self));
        let mut out = String::new();
        t.render(&mut out);
        out
    }
}

impl SlicedMetrics {
    /// One row per slice, then the total.
    pub fn to_table(&self) -> String {
        let mut head = vec![self.by.as_str()];
        head.extend(METRIC_HEAD);
        let mut t = Table::new(&head);
        for s in &self.slices {
            t.row(metrics_row(
                s.key.as_deref().unwrap_or("(none)"),
                &s.metrics,
            ));
        }
        t.row(metrics_row("(all records)", &self.overall));
        let mut out = String::new();
        t.render(&mut out);
        out
    }
}

fn share_cell(s: &Share) -> String {
    format!("{} ({})", pct(s.share), s.count)
}

fn test_cells(t: &Option<Test>, unit: &str, decimals: usize) -> [String; 3] {
    match t {
        Some(t) => [
            format!("{}{unit}", signed(t.diff, decimals)),
            format!(
                "[{}, {}]",
                signed(t.ci.low, decimals),
                signed(t.ci.high, decimals)
            ),
            format!(
                "{}{}",
                p_value(t.p_value),
                if t.significant { " *" } else { "" }
            ),
        ],
        None => ["-".into(), "-".into(), "-".into()],
    }
}

/// A share test in percent points.
fn pp(t: &Option<Test>) -> Option<Test> {
    t.map(|t| Test {
        diff: t.diff * 100.0,
        se: t.se * 100.0,
        ci: t.ci.scaled(100.0),
        ..t
    })
}

impl Comparison {
    /// The comparison as text: the metrics, then every code.
    pub fn to_table(&self) -> String {
        self.to_table_top(usize::MAX)
    }

    /// The comparison as text with at most `max_codes` codes (the smallest
    /// p-values).
    pub fn to_table_top(&self, max_codes: usize) -> String {
        let mut out = format!(
            "before {}: {} records · after {}: {} records",
            self.before_range, self.before.records, self.after_range, self.after.records
        );
        if self.untimed + self.outside > 0 {
            out.push_str(&format!(
                " ({} without time, {} outside both ranges)",
                self.untimed, self.outside
            ));
        }
        out.push_str("\n\n");
        let mut t = Table::new(&[
            "metric", ">before", ">n", ">after", ">n", ">diff", ">95% CI", ">p",
        ]);
        let (nb, nb_n) = nps_cell(&self.before.nps);
        let (na, na_n) = nps_cell(&self.after.nps);
        let [d, ci, p] = test_cells(&self.changes.nps, "", 1);
        t.row(vec!["NPS".into(), nb, nb_n, na, na_n, d, ci, p]);
        let (cb, cb_n) = csat_cell(&self.before.csat);
        let (ca, ca_n) = csat_cell(&self.after.csat);
        let [d, ci, p] = test_cells(&self.changes.csat, " pp", 1);
        t.row(vec!["CSAT".into(), cb, cb_n, ca, ca_n, d, ci, p]);
        let (eb, eb_n) = ces_cell(&self.before.ces);
        let (ea, ea_n) = ces_cell(&self.after.ces);
        let [d, ci, p] = test_cells(&self.changes.ces, "", 2);
        t.row(vec!["CES".into(), eb, eb_n, ea, ea_n, d, ci, p]);
        let [d, ci, p] = test_cells(&pp(&self.changes.negative), " pp", 1);
        t.row(vec![
            "negative".into(),
            share_cell(&Share::new(self.before.negative, self.before.records)),
            self.before.records.to_string(),
            share_cell(&Share::new(self.after.negative, self.after.records)),
            self.after.records.to_string(),
            d,
            ci,
            p,
        ]);
        t.render(&mut out);
        out.push('\n');
        let mut t = Table::new(&[
            "code",
            "owner",
            ">before",
            ">after",
            ">diff",
            ">p",
            ">q",
            ">pain before",
            ">pain after",
            ">diff",
            ">p",
        ]);
        for c in self.codes.iter().take(max_codes) {
            t.row(code_change_row(c));
        }
        t.render(&mut out);
        if self.codes.len() > max_codes {
            out.push_str(&format!("… {} more codes\n", self.codes.len() - max_codes));
        }
        out.push_str("* p < 0.05 (two-sided); q: Benjamini–Hochberg over all codes\n");
        out
    }
}

fn code_change_row(c: &CodeChange) -> Vec<String> {
    let [d, _, p] = test_cells(&pp(&c.test), " pp", 1);
    let [pd, _, ppv] = test_cells(&pp(&c.pain_test), " pp", 1);
    vec![
        c.code.clone(),
        c.owner.clone().unwrap_or_default(),
        share_cell(&c.before),
        share_cell(&c.after),
        d,
        p,
        c.q_value.map(p_value).unwrap_or_else(|| "-".into()),
        share_cell(&c.pain_before),
        share_cell(&c.pain_after),
        pd,
        ppv,
    ]
}

impl Drivers {
    /// The drivers as text, at most `max_rows` codes.
    pub fn to_table_top(&self, max_rows: usize) -> String {
        let what = match self.target {
            super::drivers::DriverTarget::Detractor => "detractors (NPS 0-6)",
            super::drivers::DriverTarget::LowCsat => "low CSAT (1-2)",
        };
        let mut out = format!(
            "{what}: {} of {} answers ({}); codes with at least {} answering records\n\n",
            self.outcomes,
            self.responses,
            pct(self.base_rate),
            self.min_records
        );
        let mut t = Table::new(&[
            "code",
            "owner",
            ">records",
            ">rate with",
            ">rate without",
            ">diff",
            ">ratio",
            ">impact",
            ">p",
            ">q",
        ]);
        for d in self.drivers.iter().take(max_rows) {
            t.row(vec![
                d.code.clone(),
                d.owner.clone().unwrap_or_default(),
                d.with.to_string(),
                pct(d.rate_with),
                pct(d.rate_without),
                format!("{} pp", signed(100.0 * d.diff, 1)),
                d.ratio
                    .map(|r| format!("{r:.2}"))
                    .unwrap_or_else(|| "-".into()),
                format!("{} pp", signed(100.0 * d.impact, 1)),
                d.test
                    .map(|t| {
                        format!(
                            "{}{}",
                            p_value(t.p_value),
                            if t.significant { " *" } else { "" }
                        )
                    })
                    .unwrap_or_else(|| "-".into()),
                d.q_value.map(p_value).unwrap_or_else(|| "-".into()),
            ]);
        }
        t.render(&mut out);
        out
    }

    /// The drivers as text (all codes).
    pub fn to_table(&self) -> String {
        self.to_table_top(usize::MAX)
    }
}

impl Trends {
    /// The periods, then records per period for the `max_codes` most
    /// frequent codes (`records/pain`).
    pub fn to_table_top(&self, max_codes: usize) -> String {
        let mut out = String::new();
        let mut t = Table::new(&[
            self.period.as_str(),
            "start",
            ">records",
            ">negative",
            ">pain",
            ">itch",
            ">delight",
            ">mention",
        ]);
        for p in &self.periods {
            t.row(vec![
                p.key.clone(),
                p.start.to_string(),
                p.records.to_string(),
                pct(p.negative_share),
                p.points.pain.to_string(),
                p.points.itch.to_string(),
                p.points.delight.to_string(),
                p.points.mention.to_string(),
            ]);
        }
        t.render(&mut out);
        if self.untimed > 0 {
            out.push_str(&format!("{} records without time\n", self.untimed));
        }
        if self.codes.is_empty() || max_codes == 0 {
            return out;
        }
        out.push_str("\nrecords with the code / with a pain point on it, per period\n");
        let keys: Vec<String> = self
            .periods
            .iter()
            .map(|p| format!(">{}", short_key(&p.key)))
            .collect();
        let mut head: Vec<&str> = vec!["code", ">total"];
        head.extend(keys.iter().map(String::as_str));
        let mut t = Table::new(&head);
        for c in self.codes.iter().take(max_codes) {
            let mut row = vec![c.code.clone(), c.total.to_string()];
            for (n, pain) in c.records.iter().zip(&c.pain) {
                row.push(if *n == 0 {
                    ".".into()
                } else {
                    format!("{n}/{pain}")
                });
            }
            t.row(row);
        }
        t.render(&mut out);
        out
    }

    /// The periods and the 15 most frequent codes.
    pub fn to_table(&self) -> String {
        self.to_table_top(15)
    }
}

/// `2026-W38` → `W38`, `2026-09` stays, `2026-09-14` → `09-14`.
fn short_key(key: &str) -> &str {
    if let Some(i) = key.find("-W") {
        return &key[i + 1..];
    }
    if key.len() == 10 {
        return key.get(5..).unwrap_or(key);
    }
    key
}

macro_rules! display_as_table {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_table())
            }
        }
    )*};
}

display_as_table!(Metrics, SlicedMetrics, Comparison, Drivers, Trends);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_with_wide_characters() {
        let mut t = Table::new(&["key", ">n"]);
        t.row(vec!["客服".into(), "12".into()]);
        t.row(vec!["chat".into(), "3".into()]);
        let mut out = String::new();
        t.render(&mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "key    n");
        assert_eq!(lines[2], "客服  12");
        assert_eq!(lines[3], "chat   3");
        assert_eq!(signed(-0.04, 1), "0.0");
        assert_eq!(signed(2.26, 1), "+2.3");
        assert_eq!(p_value(0.0004), "<0.001");
        assert_eq!(short_key("2026-W38"), "W38");
    }
}
