//! `vocmine analyze`: records in, one JSON line per record out, plus the
//! sinks the options ask for (store, alert stream, point summary).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use vocmine::io::sink::create_file;

use vocmine::{CodebookSpec, Error};

use vocmine::io::resume::AnalyzeJob;
use vocmine::io::run::{Progress, RunOptions};

use super::common::{encoder, engine_builder, progress_bar, source, CommonArgs, ModelArgs};

#[derive(Args)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Output file (`-` for stdout).
    #[arg(long, short, default_value = "-")]
    pub(crate) output: PathBuf,
    /// Run only the stages that need no neural model (no embeddings, no
    /// sentiment); needs no model files.
    #[arg(long)]
    pub(crate) no_model: bool,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Include the tokens of each clause.
    #[arg(long)]
    pub(crate) tokens: bool,
    /// Tag Chinese tokens with jieba part-of-speech tags (`pos`; slower).
    #[arg(long)]
    pub(crate) pos: bool,
    /// Also write the end-of-run summary as JSON to this file.
    #[arg(long)]
    pub(crate) summary_json: Option<PathBuf>,
    /// Code customer clauses with this codebook (YAML, CSV or XLSX).
    #[arg(long)]
    pub(crate) codebook: Option<PathBuf>,
    /// Also keep the results (records, clauses, tokens, sentiment,
    /// embeddings) in this directory as Parquet files, for `reclassify`,
    /// pandas, polars, DuckDB or Spark.
    #[arg(long)]
    pub(crate) store: Option<PathBuf>,
    /// Evaluate these alert rules (YAML, e.g. corpora/alerts.yaml) on every
    /// record and write the alerts as JSON Lines while records are processed.
    #[arg(long)]
    pub(crate) alerts: Option<PathBuf>,
    /// Where the alerts go (default: the output path with its extension
    /// replaced by `.alerts.jsonl`; `-` for stdout when the output is a file).
    #[arg(long, requires = "alerts")]
    pub(crate) alerts_out: Option<PathBuf>,
    /// Continue a run that was interrupted (killed, its machine lost) from
    /// its last checkpoint, with the same arguments: the output, alerts and
    /// store end up as an uninterrupted run writes them. Without a
    /// checkpoint the run starts from the first record.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Records between two checkpoints of a run writing an output file or a
    /// store (each is a part file of the store); what a killed run did after
    /// its last checkpoint is done again on --resume.
    #[arg(long, default_value_t = vocmine::io::resume::DEFAULT_CHECKPOINT_RECORDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) checkpoint_every: u64,
}

/// The command line a checkpoint belongs to: the arguments without
/// `--resume`.
fn command_line() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| a != "--resume")
        .collect()
}

pub(crate) fn analyze(a: AnalyzeArgs) -> Result<(), Error> {
    let alerts_path = match &a.alerts {
        Some(_) => Some(super::analytics::alerts_out_path(
            &a.output,
            a.alerts_out.as_deref(),
        )?),
        None => None,
    };
    let alert_spec = match &a.alerts {
        Some(path) => Some(vocmine::stages::alerts::AlertSpec::load(path)?),
        None => None,
    };
    let enc = if a.no_model {
        None
    } else {
        Some(encoder(&a.model)?)
    };
    let mut b = engine_builder(&a.common, a.tokens, a.pos);
    if let Some(e) = &enc {
        b = b.encoder(e.clone());
    }
    if let Some(path) = &a.codebook {
        b = b.codebook(CodebookSpec::load(path)?);
    }
    if let Some(spec) = alert_spec {
        b = b.alerts(spec);
    }
    // embeddings only where something reads them (a codebook, a store):
    // the sentiment and voice types are the same, the model does less
    let engine = b
        .keep_terms(a.store.is_some())
        .embeddings(vocmine::neural::stage::Embeddings::WhenRead)
        .build()?;
    let job = AnalyzeJob::new(&engine, &a.output)
        .alerts(alerts_path)
        .store(a.store.clone())
        .options(RunOptions {
            strict: a.common.strict,
            ..RunOptions::default()
        })
        .checkpoint_every(a.checkpoint_every)
        .command(command_line());
    let from = if a.resume {
        let ck = job.last_checkpoint()?;
        if let (None, false, Some(p)) = (&ck, a.common.quiet, job.checkpoint_path()) {
            eprintln!(
                "vocmine analyze: no checkpoint at {}: starting from the first record",
                p.display()
            );
        }
        ck
    } else {
        None
    };
    let pb = progress_bar(&a.common);
    let result = job.run(source(&a.common)?, from, &mut |p: Progress| {
        if let Some(pb) = &pb {
            pb.set_position(p.bytes);
            pb.set_message(format!("{} records", p.records));
        }
    });
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let (summary, tally) = result?;
    if let Some(path) = &a.summary_json {
        let mut f = create_file(path)?;
        serde_json::to_writer_pretty(&mut f, &summary)?;
        writeln!(f).map_err(|e| Error::io(path, e))?;
    }
    if !a.common.quiet {
        eprintln!("vocmine analyze {}", a.common.input.display());
        eprintln!("{summary}");
        if let Some(e) = &enc {
            let s = e.stats();
            eprintln!(
                "encoder    {} · {} clauses · {} encoded · {} cache hits · {} truncated · {} tokens in {} batches",
                e.config().name, s.texts, s.encoded, s.cache_hits, s.truncated, s.tokens, s.batches
            );
        }
        if let (Some(cb), Some(points)) = (engine.codebook(), &tally.points) {
            eprint!("{}", points.report(cb.name(), 5));
        }
        if let (Some(m), Some(dir)) = (&tally.store, &a.store) {
            eprintln!(
                "store      {} · {} records · {} clauses · embeddings {}",
                dir.display(),
                m.records,
                m.clauses,
                if m.dim > 0 {
                    format!("float32[{}]", m.dim)
                } else {
                    "none".into()
                }
            );
        }
        if let Some(s) = &tally.alerts {
            eprint!("{s}");
        }
        if a.output.as_os_str() != "-" {
            eprintln!("output     {}", a.output.display());
        }
    }
    Ok(())
}
