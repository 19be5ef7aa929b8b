//! The `vocmine` command-line interface.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use vocmine::input::{self, InputFormat, ReadOptions};
use vocmine::keywords::{KeywordCollector, Ranking};
use vocmine::run::{self, Progress, RunOptions, Summary};
use vocmine::{Engine, Error, Outcome};

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
    Analyze(AnalyzeArgs),
    /// Top terms per language over a corpus (TF-IDF; TextRank for Chinese).
    Keywords(KeywordsArgs),
    /// Clause embeddings as a NumPy `.npy` matrix plus a JSON Lines index.
    Embed(EmbedArgs),
    /// Print the JSON Schema of one output line of `analyze`.
    Schema,
}

#[derive(Args)]
struct ModelArgs {
    /// Model directory (model.onnx + tokenizer.json + config.json).
    #[arg(
        long,
        env = "VOCMINE_MODEL",
        default_value = "models/multilingual-e5-small"
    )]
    model: PathBuf,
    /// Texts per inference batch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// ONNX Runtime intra-op threads per session (default 1).
    #[arg(long)]
    intra_threads: Option<usize>,
    /// Model sessions running batches side by side (default: available cores).
    #[arg(long)]
    sessions: Option<usize>,
}

#[derive(Args)]
struct EmbedArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Output `.npy` file (float32, one row per clause); the index of rows
    /// goes to the same path with `.index.jsonl`.
    #[arg(long, short)]
    output: PathBuf,
    /// Embed the clauses of every speaker, not only the customer's.
    #[arg(long)]
    all_speakers: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

#[derive(Args)]
struct CommonArgs {
    /// Input file (JSON Lines or CSV; `-` for stdin).
    input: PathBuf,
    /// Input format (default: from the file extension; `.csv` is CSV, anything else JSON Lines).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// CSV: the column holding the text.
    #[arg(long, default_value = "text")]
    text_column: String,
    /// CSV: the column holding the record id.
    #[arg(long, default_value = "id")]
    id_column: String,
    /// Records larger than this many bytes become `too_large` errors.
    #[arg(long, default_value_t = input::DEFAULT_MAX_RECORD_BYTES)]
    max_record_bytes: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Language allowlist: ISO 639-1 codes separated by commas, or `all`.
    #[arg(long, value_delimiter = ',', default_value = "zh,ru,en")]
    languages: Vec<String>,
    /// Turn jieba's HMM for unknown Chinese words off.
    #[arg(long)]
    no_hmm: bool,
    /// jieba user dictionary (`word [freq] [tag]` per line); repeatable.
    #[arg(long)]
    user_dict: Vec<PathBuf>,
    /// Stop at the first bad record, with its error.
    #[arg(long)]
    strict: bool,
    /// Do not print the summary or a progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Output file (`-` for stdout).
    #[arg(long, short, default_value = "-")]
    output: PathBuf,
    /// Run only the stages that need no neural model (no embeddings, no
    /// sentiment); needs no model files.
    #[arg(long)]
    no_model: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// Include the tokens of each clause.
    #[arg(long)]
    tokens: bool,
    /// Tag Chinese tokens with jieba part-of-speech tags (`pos`; slower).
    #[arg(long)]
    pos: bool,
    /// Also write the end-of-run summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
}

#[derive(Args)]
struct KeywordsArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Terms per language.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Ranking: tfidf, or textrank (TextRank for Chinese, TF-IDF for the others).
    #[arg(long, default_value = "textrank")]
    rank: String,
    /// Write the keywords as JSON to this file (`-` for stdout instead of the table).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Count agent, bot and system turns too (default: customer voice only).
    #[arg(long)]
    all_speakers: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Keywords(k) => keywords(k),
        Command::Embed(e) => embed(e),
        Command::Schema => {
            println!("{}", vocmine::OUTPUT_SCHEMA.trim_end());
            Ok(())
        }
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

fn engine(common: &CommonArgs, tokens: bool, pos: bool) -> Result<Engine, Error> {
    engine_builder(common, tokens, pos).build()
}

fn engine_builder(common: &CommonArgs, tokens: bool, pos: bool) -> vocmine::EngineBuilder {
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
    b
}

fn encoder(m: &ModelArgs) -> Result<vocmine::encoder::Encoder, Error> {
    let root = m
        .model
        .parent()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut b = vocmine::encoder::Encoder::builder(&m.model)
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

fn embed(e: EmbedArgs) -> Result<(), Error> {
    let enc = encoder(&e.model)?;
    let dim = enc.config().dimension.unwrap_or(0);
    let mut b = Engine::builder()
        .languages(&e.common.languages)
        .hmm(!e.common.no_hmm)
        .encode_all_speakers(e.all_speakers)
        .encoder(enc.clone());
    if let Some(n) = e.common.threads {
        b = b.threads(n);
    }
    let engine = b.build()?;
    let index_path = e.output.with_extension("index.jsonl");
    let mut npy: Option<vocmine::npy::NpyWriter> = None;
    let mut index = output(&index_path)?;
    let mut failed: Option<Error> = None;
    let mut row = 0u64;
    let mut write_rows = |o: &Outcome| {
        if failed.is_some() {
            return;
        }
        let Some(a) = o.analysis() else { return };
        for (ci, c) in a.clauses.iter().enumerate() {
            let Some(emb) = &c.embedding else { continue };
            let result = (|| -> Result<(), Error> {
                if npy.is_none() {
                    let d = if dim > 0 { dim } else { emb.embedding.len() };
                    npy = Some(vocmine::npy::NpyWriter::create(&e.output, d)?);
                }
                if let Some(w) = npy.as_mut() {
                    w.push(&emb.embedding)?;
                }
                let line = serde_json::json!({
                    "row": row, "id": a.id, "line": a.line, "turn": c.turn, "clause": ci,
                    "start": c.start, "end": c.end, "role": c.role, "language": c.language,
                    "truncated": emb.truncated, "text": c.text,
                });
                serde_json::to_writer(&mut index, &line)?;
                writeln!(index).map_err(|err| Error::io(&index_path, err))?;
                Ok(())
            })();
            if let Err(err) = result {
                failed = Some(err);
                return;
            }
            row += 1;
        }
    };
    let mut sink = io::sink();
    let summary = run_with_progress(
        &engine,
        &e.common,
        &mut sink,
        Path::new("-"),
        Some(&mut write_rows),
    )?;
    if let Some(err) = failed {
        return Err(err);
    }
    let rows = match npy {
        Some(w) => w.finish()?,
        None => vocmine::npy::NpyWriter::create(&e.output, dim)?.finish()?,
    };
    index.flush().map_err(|err| Error::io(&index_path, err))?;
    if !e.common.quiet {
        let s = enc.stats();
        eprintln!("vocmine embed {}", e.common.input.display());
        eprintln!("{summary}");
        eprintln!(
            "encoder    {} clauses embedded · {} unique encoded · {} cache hits · {} truncated · {} tokens in {} batches",
            rows, s.encoded, s.cache_hits, s.truncated, s.tokens, s.batches
        );
        eprintln!(
            "output     {} (float32 [{rows}, {}]) · {}",
            e.output.display(),
            enc.config().dimension.unwrap_or(0),
            index_path.display()
        );
    }
    Ok(())
}

fn source(common: &CommonArgs) -> Result<Box<dyn input::Source>, Error> {
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

fn progress_bar(common: &CommonArgs) -> Option<ProgressBar> {
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

fn output(path: &Path) -> Result<Box<dyn Write + Send>, Error> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufWriter::with_capacity(1 << 20, io::stdout())));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let f = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 20, f)))
}

fn run_with_progress(
    engine: &Engine,
    common: &CommonArgs,
    out: &mut (dyn Write + Send),
    out_path: &Path,
    on_outcome: Option<&mut dyn FnMut(&Outcome)>,
) -> Result<Summary, Error> {
    let pb = progress_bar(common);
    let opts = RunOptions {
        strict: common.strict,
        ..RunOptions::default()
    };
    let result = run::run(
        engine,
        source(common)?,
        out,
        out_path,
        &opts,
        on_outcome,
        |p: Progress| {
            if let Some(pb) = &pb {
                pb.set_position(p.bytes);
                pb.set_message(format!("{} records", p.records));
            }
        },
    );
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    result
}

fn analyze(a: AnalyzeArgs) -> Result<(), Error> {
    let enc = if a.no_model {
        None
    } else {
        Some(encoder(&a.model)?)
    };
    let mut b = engine_builder(&a.common, a.tokens, a.pos);
    if let Some(e) = &enc {
        b = b.encoder(e.clone());
    }
    let engine = b.build()?;
    let mut out = output(&a.output)?;
    let summary = run_with_progress(&engine, &a.common, &mut *out, &a.output, None)?;
    drop(out);
    if let Some(path) = &a.summary_json {
        let mut f = output(path)?;
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
        if a.output.as_os_str() != "-" {
            eprintln!("output     {}", a.output.display());
        }
    }
    Ok(())
}

fn keywords(k: KeywordsArgs) -> Result<(), Error> {
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
    let mut sink = io::sink();
    let mut collect = |o: &Outcome| {
        if let Some(a) = o.analysis() {
            collector.add(a);
        }
    };
    let summary = run_with_progress(
        &engine,
        &k.common,
        &mut sink,
        Path::new("-"),
        Some(&mut collect),
    )?;
    let report = collector.report(k.top, ranking);
    match &k.json {
        Some(path) if path.as_os_str() == "-" => {
            let mut out = output(path)?;
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out).map_err(|e| Error::io(path, e))?;
            return Ok(());
        }
        Some(path) => {
            let mut out = output(path)?;
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
                "  {:<24} {:>7} {:>7} {:>9.2} {:>9}",
                t.term, t.count, t.df, t.tfidf, tr
            )
            .map_err(werr)?;
        }
    }
    Ok(())
}
