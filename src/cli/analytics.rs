//! The analytics commands of the CLI (`metrics`, `compare`) and where the
//! alert stream of `analyze --alerts` goes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use vocmine::io::sink::create_file;

use vocmine::corpus::analytics::{
    compare_report, metrics_report, Dataset, DateRange, MetricsOptions, Period, Slice,
};
use vocmine::Error;

// ------------------------------------------------------------------ metrics

#[derive(Args)]
pub struct MetricsArgs {
    /// Output of `vocmine analyze` (JSON Lines; `-` for stdin), or a
    /// result store's directory (`analyze --store`, `vocmine.spark`).
    input: PathBuf,
    /// Slices, separated by commas: channel, touchpoint, period, owner, code
    /// (or day, week, month).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "channel,touchpoint,period"
    )]
    by: Vec<String>,
    /// Period of the `period` slice and of the trends: day, week or month.
    #[arg(long, default_value = "week")]
    period: String,
    /// Also compute key drivers (per code: detractor and low-CSAT rates with
    /// and without it, z-test, BH q-value).
    #[arg(long)]
    drivers: bool,
    /// Drivers: the fewest answering records a code needs to be listed.
    #[arg(long, default_value_t = 5)]
    min_records: u64,
    /// Codes shown in the trend and driver tables.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Also write everything as JSON (for dashboards) to this file (`-`:
    /// stdout, instead of the tables).
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args)]
pub struct CompareArgs {
    /// Output of `vocmine analyze` (JSON Lines; `-` for stdin), or a
    /// result store's directory (`analyze --store`, `vocmine.spark`).
    input: PathBuf,
    /// The first date range, `FROM..TO` (inclusive; either end may be
    /// left open: `..TO`, `FROM..`).
    #[arg(long)]
    before: String,
    /// The second date range, `FROM..TO`; must not overlap `--before`.
    #[arg(long)]
    after: String,
    /// Codes shown in the table (by p-value).
    #[arg(long, default_value_t = 25)]
    top: usize,
    /// Also write the comparison as JSON to this file (`-`: stdout, instead
    /// of the table).
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Reads the analyzed records; warns (stderr) about invalid lines with
/// file and line.
fn read(path: &Path) -> Result<(Dataset, String), Error> {
    let ds = Dataset::open(path)?;
    if let Some((line, message)) = &ds.first_invalid {
        eprintln!(
            "vocmine: warning: {}:{line}: {message} ({} invalid line{} skipped in all)",
            path.display(),
            ds.invalid,
            if ds.invalid == 1 { "" } else { "s" }
        );
    }
    Ok((ds, path.display().to_string()))
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    let mut f = create_file(path)?;
    serde_json::to_writer_pretty(&mut f, value)?;
    writeln!(f)
        .and_then(|_| f.flush())
        .map_err(|e| Error::io(path, e))
}

pub fn metrics(m: MetricsArgs) -> Result<(), Error> {
    let period: Period = m.period.parse()?;
    let opts = MetricsOptions {
        by: MetricsOptions::slices(&m.by, period)?,
        period,
        drivers: m.drivers.then_some(m.min_records),
    };
    let (ds, file) = read(&m.input)?;
    let report = metrics_report(&ds, Some(&file), &opts);
    let to_stdout = m.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if let Some(path) = &m.json {
        write_json(path, &report)?;
    }
    if to_stdout {
        return Ok(());
    }
    let mut s = String::new();
    s.push_str(&format!("metrics of {}\n\n", report.input));
    s.push_str("overall\n");
    s.push_str(&report.overall.to_table());
    for sliced in &report.slices {
        let name = match sliced.by {
            Slice::Period(p) => format!("by period ({p})"),
            other => format!("by {}", other.name()),
        };
        s.push_str(&format!("\n{name}\n"));
        s.push_str(&sliced.to_table());
    }
    s.push_str(&format!("\ntrends per {period}\n"));
    s.push_str(&report.trends.to_table_top(m.top));
    if let Some(d) = &report.drivers {
        for (name, table) in d {
            s.push_str(&format!("\ndrivers of {name}\n"));
            s.push_str(&table.to_table_top(m.top));
        }
    }
    print_stdout(&s)
}

fn print_stdout(s: &str) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut w = stdout.lock();
    w.write_all(s.as_bytes())
        .and_then(|_| w.flush())
        .map_err(|e| Error::io("-", e))
}

// ------------------------------------------------------------------ compare

pub fn compare(c: CompareArgs) -> Result<(), Error> {
    let before: DateRange = c
        .before
        .parse()
        .map_err(|e: Error| Error::Config(format!("--before: {}", config_message(e))))?;
    let after: DateRange = c
        .after
        .parse()
        .map_err(|e: Error| Error::Config(format!("--after: {}", config_message(e))))?;
    let (ds, file) = read(&c.input)?;
    let report = compare_report(&ds, Some(&file), before, after)?;
    let to_stdout = c.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if let Some(path) = &c.json {
        write_json(path, &report)?;
    }
    if to_stdout {
        return Ok(());
    }
    let cmp = &report.comparison;
    let mut s = format!("compare {}\n", report.input);
    s.push_str(&format!(
        "{} records without a time and {} outside both ranges are left out\n",
        cmp.untimed, cmp.outside
    ));
    s.push_str(&cmp.to_table_top(c.top));
    print_stdout(&s)
}

fn config_message(e: Error) -> String {
    match e {
        Error::Config(m) => m,
        other => other.to_string(),
    }
}

// ------------------------------------------------------------------ alerts

/// The alerts file of `analyze --alerts`: `--alerts-out`, else the output
/// path with the extension replaced by `.alerts.jsonl`; an error when the
/// output is stdout and no `--alerts-out` is given, or when both are stdout.
pub fn alerts_out_path(output: &Path, alerts_out: Option<&Path>) -> Result<PathBuf, Error> {
    let stdout = |p: &Path| p.as_os_str() == "-";
    match alerts_out {
        Some(p) if stdout(p) && stdout(output) => Err(Error::Config(
            "--alerts-out - and the analysis output both go to stdout; write one of them to a file (-o OUT.jsonl or --alerts-out ALERTS.jsonl)".into(),
        )),
        Some(p) => Ok(p.to_owned()),
        None if stdout(output) => Err(Error::Config(
            "--alerts needs --alerts-out ALERTS.jsonl when the analysis goes to stdout (or give -o OUT.jsonl: the alerts then go to OUT.alerts.jsonl)".into(),
        )),
        None => Ok(output.with_extension("alerts.jsonl")),
    }
}
