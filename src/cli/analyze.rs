//! `vocmine analyze`: records in, one JSON line per record out, plus the
//! sinks the options ask for (store, alert stream, point summary).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use vocmine::io::sink::create_file;

use vocmine::io::sink::AnalyzeSinks;
use vocmine::{CodebookSpec, Error};

use vocmine::io::resume::Checkpoint;

use super::common::{encoder, engine_builder, progress_bar, runner, source, CommonArgs, ModelArgs};

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

/// Where the checkpoints of a run go: in the store's `.partial` folder, else
/// beside a regular output file (`OUT.checkpoint.json`); none when the
/// output is standard output or a device and there is no store.
fn checkpoint_path(a: &AnalyzeArgs) -> Option<PathBuf> {
    if let Some(dir) = &a.store {
        return Some(
            dir.join(vocmine::io::store::PARTIAL_DIR)
                .join(vocmine::io::store::CHECKPOINT_FILE),
        );
    }
    if a.output.as_os_str() == "-" {
        return None;
    }
    match std::fs::metadata(&a.output) {
        Ok(m) if !m.is_file() => None,
        _ => {
            let mut p = a.output.clone().into_os_string();
            p.push(".checkpoint.json");
            Some(PathBuf::from(p))
        }
    }
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
    let engine = b.keep_terms(a.store.is_some()).build()?;
    let ck_path = checkpoint_path(&a);
    let command = command_line();
    let ck = match (&ck_path, a.resume) {
        (None, true) => {
            return Err(Error::Config(
                "--resume needs an output file (-o FILE) or a store (--store DIR) to continue"
                    .into(),
            ))
        }
        (Some(p), true) => {
            let ck = Checkpoint::read(p)?;
            match &ck {
                Some(ck) => ck.check_command(&command, p)?,
                None if !a.common.quiet => eprintln!(
                    "vocmine analyze: no checkpoint at {}: starting from the first record",
                    p.display()
                ),
                None => {}
            }
            ck
        }
        _ => None,
    };
    let (mut out, out_offset): (Box<dyn Write + Send>, u64) = match &ck {
        Some(ck) if a.output.as_os_str() != "-" => (
            Box::new(std::io::BufWriter::with_capacity(
                1 << 20,
                vocmine::io::resume::reopen_at(&a.output, ck.output_bytes)?,
            )),
            ck.output_bytes,
        ),
        _ => (create_file(&a.output)?, 0),
    };
    let (alerts_path, store) = (alerts_path.as_deref(), a.store.as_deref());
    let mut sinks = match &ck {
        Some(ck) => AnalyzeSinks::resume(&engine, alerts_path, store, &ck.sinks)?,
        None => AnalyzeSinks::create(&engine, alerts_path, store)?,
    };
    if let (Some(p), None) = (&ck_path, &ck) {
        // A stale checkpoint beside an output file belongs to another run.
        if let Err(e) = std::fs::remove_file(p) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::io(p, e));
            }
        }
    }
    let summary = match &ck {
        Some(ck) if ck.complete => ck.summary.clone(),
        _ => {
            let pb = progress_bar(&a.common);
            let mut sinks_v = sinks.sinks();
            let mut r = runner(&engine, &a.common, &pb).output(&mut *out, &a.output);
            for s in sinks_v.iter_mut() {
                r = r.sink(&mut **s);
            }
            if let Some(p) = &ck_path {
                let command = command.clone();
                r = r.checkpoints(a.checkpoint_every, move |st| {
                    Checkpoint::new(command.clone(), st, out_offset).write(p)
                });
            }
            if let Some(ck) = &ck {
                r = r.resume(ck.resume_from());
            }
            let result = r.run(source(&a.common)?);
            if let Some(pb) = pb {
                pb.finish_and_clear();
            }
            result?
        }
    };
    let tally = sinks.finish()?;
    drop(out);
    if let Some(p) = &ck_path {
        // Everything is written: nothing is left to resume.
        if let Err(e) = std::fs::remove_file(p) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::io(p, e));
            }
        }
    }
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
