//! Arguments and helpers every subcommand shares: input, model, engine, the run with its progress bar.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use vocmine::io::input::{self, InputFormat, ReadOptions};
use vocmine::io::run::{Progress, RunOptions, Runner, Summary};
use vocmine::io::sink::Sink;
use vocmine::{Engine, Error};

#[derive(Args)]
pub(crate) struct ModelArgs {
    /// Model directory (model.onnx + tokenizer.json + config.json).
    /// Default: `models/multilingual-e5-small` under the current directory,
    /// else the per-user one built by `python -m vocmine.model`
    /// (`VOCMINE_HOME`, else `~/.cache/vocmine`).
    #[arg(long, env = "VOCMINE_MODEL", default_value_os_t = vocmine::neural::encoder::default_model_dir())]
    pub(crate) model: PathBuf,
    /// Texts per inference batch. At 1 (the default) every text is encoded
    /// alone and its results do not depend on the other records of the
    /// input; larger batches are faster on long texts, but the int8 model
    /// then gives slightly different numbers (and ≈ 3% of clause labels)
    /// depending on the texts batched together.
    #[arg(long, default_value_t = 1)]
    pub(crate) batch_size: usize,
    /// ONNX Runtime intra-op threads per session (default 1).
    #[arg(long)]
    pub(crate) intra_threads: Option<usize>,
    /// Model sessions running batches side by side (default: available cores).
    #[arg(long)]
    pub(crate) sessions: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Jsonl,
    Csv,
}

#[derive(Args)]
pub(crate) struct CommonArgs {
    /// Input file (JSON Lines or CSV; `-` for stdin).
    pub(crate) input: PathBuf,
    /// Input format (default: from the file extension; `.csv` is CSV, anything else JSON Lines).
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// CSV: the column holding the text.
    #[arg(long, default_value = "text")]
    pub(crate) text_column: String,
    /// CSV: the column holding the record id.
    #[arg(long, default_value = "id")]
    pub(crate) id_column: String,
    /// Records larger than this many bytes become `too_large` errors.
    #[arg(long, default_value_t = input::DEFAULT_MAX_RECORD_BYTES)]
    pub(crate) max_record_bytes: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Language allowlist: ISO 639-1 codes separated by commas, or `all`.
    #[arg(long, value_delimiter = ',', default_value = "zh,ru,en")]
    pub(crate) languages: Vec<String>,
    /// Turn jieba's HMM for unknown Chinese words off.
    #[arg(long)]
    pub(crate) no_hmm: bool,
    /// jieba user dictionary (`word [freq] [tag]` per line); repeatable.
    #[arg(long)]
    pub(crate) user_dict: Vec<PathBuf>,
    /// Stop at the first bad record, with its error.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Redact personal data in every field of every record before it is
    /// analyzed: `--redact` for every kind, `--redact=phone,email` for some
    /// (phone, email, id_cn, card, snils, inn, passport_ru, ip, plate,
    /// name). Every output holds typed placeholders ([PHONE]) instead, with
    /// a `redactions` list per text and turn.
    #[arg(long, value_name = "KINDS", num_args = 0..=1, require_equals = true, default_missing_value = "all")]
    pub(crate) redact: Option<String>,
    /// With --redact: a file holding the key of the identifiers'
    /// pseudonyms (`id`, `customer`: [PHONE:9c1e…], the same for the same
    /// number under the same key). Without a key they get the plain
    /// placeholder.
    #[arg(long, env = "VOCMINE_REDACT_KEY_FILE")]
    pub(crate) redact_key_file: Option<PathBuf>,
    /// Do not print the summary or a progress bar.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

pub(crate) fn engine(common: &CommonArgs, tokens: bool, pos: bool) -> Result<Engine, Error> {
    engine_builder(common, tokens, pos).build()
}

pub(crate) fn engine_builder(
    common: &CommonArgs,
    tokens: bool,
    pos: bool,
) -> vocmine::EngineBuilder {
    let mut b = Engine::builder()
        .languages(&common.languages)
        .hmm(!common.no_hmm)
        .pos_tags(pos)
        .tokens(tokens);
    for d in &common.user_dict {
        b = b.user_dict(d);
    }
    if let Some(n) = common.threads {
        b = b.threads(n);
    }
    if let Some(kinds) = &common.redact {
        let mut r = vocmine::text::redact::RedactorBuilder::new().kinds_str(kinds);
        if let Some(path) = &common.redact_key_file {
            r = r.key_file(path);
        }
        b = b.redact(r);
    }
    b
}

pub(crate) fn encoder(m: &ModelArgs) -> Result<vocmine::neural::encoder::Encoder, Error> {
    let root = m
        .model
        .parent()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut b = vocmine::neural::encoder::Encoder::builder(&m.model)
        .project_root(root)
        .batch_size(m.batch_size);
    if let Some(n) = m.intra_threads {
        b = b.intra_threads(n);
    }
    if let Some(n) = m.sessions {
        b = b.sessions(n);
    }
    b.build()
}

pub(crate) fn source(common: &CommonArgs) -> Result<Box<dyn input::Source>, Error> {
    let format = match common.format {
        Some(FormatArg::Jsonl) => InputFormat::Jsonl,
        Some(FormatArg::Csv) => InputFormat::Csv,
        None => InputFormat::from_path(&common.input),
    };
    let opts = ReadOptions {
        max_record_bytes: common.max_record_bytes,
        text_column: common.text_column.clone(),
        id_column: common.id_column.clone(),
    };
    input::open(&common.input, format, &opts)
}

pub(crate) fn progress_bar(common: &CommonArgs) -> Option<ProgressBar> {
    if common.quiet || !io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(&common.input)
        .map(|m| m.len())
        .unwrap_or(0);
    let pb = if len > 0 {
        ProgressBar::new(len)
    } else {
        ProgressBar::no_length()
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(pb)
}

/// A runner of `engine` with the options of `common` that moves the
/// progress bar `pb`.
pub(crate) fn runner<'a>(
    engine: &'a Engine,
    common: &CommonArgs,
    pb: &'a Option<ProgressBar>,
) -> Runner<'a> {
    Runner::new(engine)
        .options(RunOptions {
            strict: common.strict,
            ..RunOptions::default()
        })
        .progress(move |p: Progress| {
            if let Some(pb) = pb {
                pb.set_position(p.bytes);
                pb.set_message(format!("{} records", p.records));
            }
        })
}

/// Runs the engine over the input of `common` with a progress bar: one JSON
/// line per record to `out` (a writer and its path) when given, every
/// outcome to `sinks`.
pub(crate) fn run_with_progress(
    engine: &Engine,
    common: &CommonArgs,
    out: Option<(&mut (dyn Write + Send), &Path)>,
    sinks: &mut [&mut dyn Sink],
) -> Result<Summary, Error> {
    let pb = progress_bar(common);
    let mut runner = runner(engine, common, &pb);
    if let Some((w, path)) = out {
        runner = runner.output(w, path);
    }
    for s in sinks.iter_mut() {
        runner = runner.sink(&mut **s);
    }
    let result = runner.run(source(common)?);
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    result
}
