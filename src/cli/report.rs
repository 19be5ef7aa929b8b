//! `vocmine report`: the CX report as one self-contained HTML file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use vocmine::corpus::report::{html, parse_split, report_data, ReportOptions, UiLanguage};
use vocmine::io::sink::create_file;
use vocmine::Error;

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// Output of `vocmine analyze` (JSON Lines; `-` for stdin), or a result
    /// store's directory (`analyze --store`).
    input: PathBuf,
    /// The HTML file to write.
    #[arg(long, short)]
    output: PathBuf,
    /// Title at the top of the page.
    #[arg(long, default_value = "Voice of the customer")]
    title: String,
    /// Language of the labels: en, zh or ru (the data stays as written).
    #[arg(long, default_value = "en")]
    lang: String,
    /// Touchpoints in journey order, comma-separated (others follow by volume).
    #[arg(long, value_delimiter = ',')]
    journey: Vec<String>,
    /// Verbatims kept per code (the page's size does not grow with the corpus).
    #[arg(long, default_value_t = 20)]
    verbatims: usize,
    /// Output of `vocmine cluster` (JSON): adds the hot issues.
    #[arg(long)]
    clusters: Option<PathBuf>,
    /// A before/after split `FROM..TO,FROM..TO` (dates YYYY-MM-DD; either
    /// end may be open); repeat for several.
    #[arg(long)]
    compare: Vec<String>,
    /// Themes per language in the keywords section (0: none).
    #[arg(long, default_value_t = 30)]
    keywords: usize,
    /// Do not print the summary.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn report(r: ReportArgs) -> Result<(), Error> {
    let language: UiLanguage = r.lang.parse().map_err(|_| {
        Error::Config(format!(
            "unknown report language `{}`; use en, zh or ru",
            r.lang
        ))
    })?;
    let compare = r
        .compare
        .iter()
        .map(|s| parse_split(s))
        .collect::<Result<Vec<_>, Error>>()?;
    let opts = ReportOptions {
        title: r.title,
        language,
        journey: r.journey.into_iter().map(|s| s.trim().to_owned()).collect(),
        verbatims_per_code: r.verbatims,
        keywords: r.keywords,
        clusters: r.clusters,
        compare,
        ..ReportOptions::default()
    };
    let data = report_data(&r.input, opts.clone())?;
    let page = html::render(&data, &opts)?;
    let mut f = create_file(&r.output)?;
    f.write_all(page.as_bytes())
        .and_then(|_| f.flush())
        .map_err(|e| Error::io(&r.output, e))?;
    if !r.quiet {
        eprintln!(
            "report of {} records ({} verbatims, {} alerts) -> {} ({} KB)",
            data.metrics.input.analyzed,
            data.verbatims.len(),
            data.alerts_total,
            r.output.display(),
            page.len() / 1024
        );
    }
    Ok(())
}
