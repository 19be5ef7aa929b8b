//! `vocmine keywords`: top themes and terms per language over a corpus.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use vocmine::corpus::analytics::table::pad;
use vocmine::io::sink::create_file;

use vocmine::corpus::keywords::{KeywordCollector, Ranking};
use vocmine::Error;

use super::common::{engine, run_with_progress, CommonArgs};

#[derive(Args)]
pub(crate) struct KeywordsArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Terms per language.
    #[arg(long, default_value_t = 20)]
    pub(crate) top: usize,
    /// Ranking of the terms: tfidf, or textrank (over each language's
    /// co-occurrence graph). Themes (phrases and nouns, the word cloud's
    /// entries) are ranked by mentions × idf either way.
    #[arg(long, default_value = "textrank")]
    pub(crate) rank: String,
    /// Write the keywords as JSON to this file (`-` for stdout instead of the table).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Count agent, bot and system turns too (default: customer voice only).
    #[arg(long)]
    pub(crate) all_speakers: bool,
}

pub(crate) fn keywords(k: KeywordsArgs) -> Result<(), Error> {
    let ranking = match k.rank.as_str() {
        "tfidf" => Ranking::TfIdf,
        "textrank" => Ranking::TextRank,
        other => {
            return Err(Error::Config(format!(
                "unknown ranking `{other}` (use tfidf or textrank)"
            )))
        }
    };
    let engine = engine(&k.common, true, true)?;
    let mut collector = KeywordCollector::new().all_speakers(k.all_speakers);
    let summary = run_with_progress(&engine, &k.common, None, &mut [&mut collector])?;
    let report = collector.report(k.top, ranking);
    match &k.json {
        Some(path) if path.as_os_str() == "-" => {
            let mut out = create_file(path)?;
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out).map_err(|e| Error::io(path, e))?;
            return Ok(());
        }
        Some(path) => {
            let mut out = create_file(path)?;
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out).map_err(|e| Error::io(path, e))?;
        }
        None => {}
    }
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let werr = |e| Error::io("-", e);
    writeln!(
        w,
        "keywords of {} ({} records, {} errors; ranking: {})",
        k.common.input.display(),
        summary.records,
        summary.error_count(),
        report.ranking
    )
    .map_err(werr)?;
    for lang in &report.languages {
        writeln!(
            w,
            "\n[{}] {} records, {} distinct terms",
            lang.language, lang.documents, lang.vocabulary
        )
        .map_err(werr)?;
        let themes: Vec<&str> = lang.themes.iter().map(|t| t.term.as_str()).collect();
        writeln!(w, "  themes: {}", themes.join(" · ")).map_err(werr)?;
        writeln!(
            w,
            "  {:<24} {:>7} {:>7} {:>9} {:>9}",
            "term", "count", "df", "tfidf", "textrank"
        )
        .map_err(werr)?;
        for t in &lang.terms {
            let tr = t
                .textrank
                .map(|x| format!("{x:.3}"))
                .unwrap_or_else(|| "-".into());
            writeln!(
                w,
                "  {} {:>7} {:>7} {:>9.2} {:>9}",
                pad(&t.term, 24),
                t.count,
                t.df,
                t.tfidf,
                tr
            )
            .map_err(werr)?;
        }
    }
    Ok(())
}
