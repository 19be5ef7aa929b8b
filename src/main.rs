//! The `vocmine` command-line interface: the subcommands live in `cli/`,
//! one file each, thin over the library.

/// mimalloc: the binary frees and allocates many short-lived buffers per
/// store part (decoded columns, clause texts); glibc's allocator returned
/// and re-faulted their pages each time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use vocmine::Error;

mod cli;
use cli::{
    analytics, analyze, cluster, codebook, embed, eval, keywords, reclassify, report, review,
};

#[derive(Parser)]
#[command(
    name = "vocmine",
    version,
    about = "Conversational text mining for voice-of-customer analytics (zh, ru, en)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze records: one JSON object per input record, in input order.
    Analyze(analyze::AnalyzeArgs),
    /// NPS, CSAT and CES with 95% intervals, per slice, drivers and trends
    /// over the output of `analyze`.
    Metrics(analytics::MetricsArgs),
    /// Before/after comparison of two date ranges: each code's share and
    /// each metric, with significance tests.
    Compare(analytics::CompareArgs),
    /// Top terms per language over a corpus (TF-IDF; TextRank for Chinese).
    Keywords(keywords::KeywordsArgs),
    /// Clause embeddings as a NumPy `.npy` matrix plus a JSON Lines index.
    Embed(embed::EmbedArgs),
    /// Print the JSON Schema of one output line of `analyze`.
    Schema,
    /// Codebook tools: check, learn, draft, review.
    #[command(subcommand)]
    Codebook(CodebookCommand),
    /// Re-run only the codebook and points stages over a store written by
    /// `analyze --store` (no segmentation, no encoder over the corpus).
    Reclassify(reclassify::ReclassifyArgs),
    /// Score a codebook against gold labels (per-code precision, recall, F1;
    /// micro and macro averages; point confusion).
    Eval(eval::EvalArgs),
    /// Hot issues: cluster clause embeddings (a store from `analyze --store`,
    /// or records analyzed on the fly) into CLUSTERS.json: labels per
    /// language, representatives, hotness, emerging issues, codebook gaps.
    Cluster(cluster::ClusterArgs),
    /// The CX report: one self-contained HTML file (overview with NPS / CSAT /
    /// CES and intervals, journey map, points per owner, drivers, alerts,
    /// drill-down to the verbatims) over the output of `analyze` or a store.
    Report(report::ReportArgs),
}

#[derive(Subcommand)]
enum CodebookCommand {
    /// Validate a codebook (YAML, CSV or XLSX) and print its tree.
    Check(codebook::CheckArgs),
    /// Fit the learned per-code classifiers from gold labels.
    Learn(codebook::LearnArgs),
    /// Draft a two-level codebook from the clusters of a corpus or a store
    /// (codes with labels per language, a description from their keywords
    /// and exemplars; owners left to fill).
    Draft(Box<cluster::DraftArgs>),
    /// Pick the clauses of a store whose labels would most improve a
    /// codebook (disagreeing evidence, uncoded pains and itches, uncertain
    /// codes) into a sheet to fill (XLSX, CSV); the filled sheet is gold
    /// for `eval` and `learn`.
    Review(review::ReviewArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(a) => analyze::analyze(a),
        Command::Metrics(m) => analytics::metrics(m),
        Command::Cluster(c) => cluster::cluster(c),
        Command::Compare(c) => analytics::compare(c),
        Command::Keywords(k) => keywords::keywords(k),
        Command::Embed(e) => embed::embed(e),
        Command::Schema => {
            use std::io::Write as _;
            writeln!(io::stdout(), "{}", vocmine::OUTPUT_SCHEMA.trim_end())
                .map_err(|e| Error::io("-", e))
        }
        Command::Codebook(CodebookCommand::Check(c)) => codebook::codebook_check(c),
        Command::Codebook(CodebookCommand::Learn(l)) => codebook::codebook_learn(l),
        Command::Codebook(CodebookCommand::Draft(d)) => cluster::draft(*d),
        Command::Codebook(CodebookCommand::Review(r)) => review::review(r),
        Command::Eval(e) => eval::eval(e),
        Command::Reclassify(r) => reclassify::reclassify(r),
        Command::Report(r) => report::report(r),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`vocmine ... | head`) is not an error.
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vocmine: error: {e}");
            ExitCode::from(2)
        }
    }
}
