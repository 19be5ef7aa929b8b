//! The `vocmine` command-line interface.

/// mimalloc: the binary frees and allocates many short-lived buffers per
/// store part (decoded columns, clause texts); glibc's allocator returned
/// and re-faulted their pages each time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use std::collections::BTreeMap;
use vocmine::input::{self, InputFormat, ReadOptions};
use vocmine::keywords::{KeywordCollector, Ranking};
use vocmine::run::{self, Progress, RunOptions, Summary};

use vocmine::{CodebookSpec, Engine, Error, Outcome, PointKind};

mod cmd_analytics;
mod cmd_cluster;
mod cmd_review;

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
    /// NPS, CSAT and CES with 95% intervals, per slice, drivers and trends
    /// over the output of `analyze`.
    Metrics(cmd_analytics::MetricsArgs),
    /// Before/after comparison of two date ranges: each code's share and
    /// each metric, with significance tests.
    Compare(cmd_analytics::CompareArgs),
    /// Top terms per language over a corpus (TF-IDF; TextRank for Chinese).
    Keywords(KeywordsArgs),
    /// Clause embeddings as a NumPy `.npy` matrix plus a JSON Lines index.
    Embed(EmbedArgs),
    /// Print the JSON Schema of one output line of `analyze`.
    Schema,
    /// Codebook tools: check, learn, draft, review.
    #[command(subcommand)]
    Codebook(CodebookCommand),
    /// Re-run only the codebook and points stages over a store written by
    /// `analyze --store` (no segmentation, no encoder over the corpus).
    Reclassify(ReclassifyArgs),
    /// Score a codebook against gold labels (per-code precision, recall, F1;
    /// micro and macro averages; point confusion).
    Eval(EvalArgs),
    /// Hot issues: cluster clause embeddings (a store from `analyze --store`,
    /// or records analyzed on the fly) into CLUSTERS.json: labels per
    /// language, representatives, hotness, emerging issues, codebook gaps.
    Cluster(cmd_cluster::ClusterArgs),
}

#[derive(Subcommand)]
enum CodebookCommand {
    /// Validate a codebook (YAML, CSV or XLSX) and print its tree.
    Check(CheckArgs),
    /// Fit the learned per-code classifiers from gold labels.
    Learn(LearnArgs),
    /// Draft a two-level codebook from the clusters of a corpus or a store
    /// (codes with labels per language, a description from their keywords
    /// and exemplars; owners left to fill).
    Draft(cmd_cluster::DraftArgs),
    /// Pick the clauses of a store whose labels would most improve a
    /// codebook (disagreeing evidence, uncoded pains and itches, uncertain
    /// codes) into a sheet to fill (XLSX, CSV); the filled sheet is gold
    /// for `eval` and `learn`.
    Review(cmd_review::ReviewArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// The codebook file.
    file: PathBuf,
    /// Also write the codebook as YAML (e.g. to convert a CSV / XLSX table).
    #[arg(long)]
    yaml: Option<PathBuf>,
}

#[derive(Args)]
struct LearnArgs {
    /// The codebook file.
    #[arg(long)]
    codebook: PathBuf,
    /// Gold file(s), JSON Lines (see corpora/codebooks/FORMAT.md); repeatable.
    #[arg(long, required = true)]
    gold: Vec<PathBuf>,
    /// Where to write the classifiers (default: the codebook's
    /// `settings.learned`, else `<codebook>.learned.json` beside it).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Gradient steps.
    #[arg(long, default_value_t = 300)]
    epochs: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
struct ReclassifyArgs {
    /// The store directory.
    #[arg(long)]
    store: PathBuf,
    /// The (new) codebook.
    #[arg(long)]
    codebook: PathBuf,
    /// Output JSON Lines (`-` for stdout): one line per stored record with
    /// its new codes and points (and its coded clauses).
    #[arg(long, short, default_value = "-")]
    output: PathBuf,
    /// Write the full analysis lines (as stored, with the new codes) instead
    /// of the compact ones.
    #[arg(long)]
    full: bool,
    /// Compare with this (old) codebook: per-code gained and lost records.
    #[arg(long)]
    diff: Option<PathBuf>,
    /// Do not load the encoder to embed the codebook's exemplars (rules and
    /// learned classifiers still run; learned ones on the stored embeddings).
    #[arg(long)]
    no_model: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Do not print the summary.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// The codebook file (with --gold).
    #[arg(long, requires = "gold")]
    codebook: Option<PathBuf>,
    /// Gold codes, JSON Lines (see corpora/codebooks/FORMAT.md).
    #[arg(long, requires = "codebook")]
    gold: Option<PathBuf>,
    /// Labelled records, JSON Lines (`text`, `sentiment`, `voice`, `set`):
    /// scores the record sentiment and voice type that `analyze` outputs.
    #[arg(long, conflicts_with_all = ["codebook", "gold"], required_unless_present = "codebook")]
    records: Option<PathBuf>,
    /// With --records: write each record's sentiment-combiner features
    /// (JSON Lines) to this file, for models/train_record.py.
    #[arg(long, requires = "records")]
    evidence: Option<PathBuf>,
    /// Ignore codes that the gold file never uses.
    #[arg(long)]
    only_gold_codes: bool,
    /// Rules only: no encoder (no exemplars, learned codes or sentiment).
    #[arg(long)]
    no_model: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
struct ModelArgs {
    /// Model directory (model.onnx + tokenizer.json + config.json).
    /// Default: `models/multilingual-e5-small` under the current directory,
    /// else the per-user one built by `python -m vocmine.model`
    /// (`VOCMINE_HOME`, else `~/.cache/vocmine`).
    #[arg(long, env = "VOCMINE_MODEL", default_value_os_t = vocmine::encoder::default_model_dir())]
    model: PathBuf,
    /// Texts per inference batch. At 1 (the default) every text is encoded
    /// alone and its results do not depend on the other records of the
    /// input; larger batches are faster on long texts, but the int8 model
    /// then gives slightly different numbers (and ≈ 3% of clause labels)
    /// depending on the texts batched together.
    #[arg(long, default_value_t = 1)]
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
    /// Code customer clauses with this codebook (YAML, CSV or XLSX).
    #[arg(long)]
    codebook: Option<PathBuf>,
    /// Also keep the results (records, clauses, tokens, sentiment,
    /// embeddings) in this directory as Parquet files, for `reclassify`,
    /// pandas, polars, DuckDB or Spark.
    #[arg(long)]
    store: Option<PathBuf>,
    /// Evaluate these alert rules (YAML, e.g. corpora/alerts.yaml) on every
    /// record and write the alerts as JSON Lines while records are processed.
    #[arg(long)]
    alerts: Option<PathBuf>,
    /// Where the alerts go (default: the output path with its extension
    /// replaced by `.alerts.jsonl`; `-` for stdout when the output is a file).
    #[arg(long, requires = "alerts")]
    alerts_out: Option<PathBuf>,
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
        Command::Metrics(m) => cmd_analytics::metrics(m),
        Command::Cluster(c) => cmd_cluster::cluster(c),
        Command::Compare(c) => cmd_analytics::compare(c),
        Command::Keywords(k) => keywords(k),
        Command::Embed(e) => embed(e),
        Command::Schema => {
            println!("{}", vocmine::OUTPUT_SCHEMA.trim_end());
            Ok(())
        }
        Command::Codebook(CodebookCommand::Check(c)) => codebook_check(c),
        Command::Codebook(CodebookCommand::Learn(l)) => codebook_learn(l),
        Command::Codebook(CodebookCommand::Draft(d)) => cmd_cluster::draft(d),
        Command::Codebook(CodebookCommand::Review(r)) => cmd_review::review(r),
        Command::Eval(e) => eval(e),
        Command::Reclassify(r) => reclassify(r),
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
    let alerts_path = match &a.alerts {
        Some(_) => Some(cmd_analytics::alerts_out_path(
            &a.output,
            a.alerts_out.as_deref(),
        )?),
        None => None,
    };
    let alert_spec = match &a.alerts {
        Some(path) => Some(vocmine::alerts::AlertSpec::load(path)?),
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
    let mut out = output(&a.output)?;
    let mut alert_stream = match &alerts_path {
        Some(p) => Some(cmd_analytics::AlertStream::create(p)?),
        None => None,
    };
    let mut points = PointTally::default();
    let mut store = match &a.store {
        Some(dir) => Some(vocmine::store::StoreWriter::create(
            dir,
            enc.as_ref().map(|e| e.config().name.clone()),
            enc.as_ref().and_then(|e| e.config().dimension).unwrap_or(0),
            engine.codebook().map(|c| c.name().to_owned()),
        )?),
        None => None,
    };
    let mut store_error: Option<Error> = None;
    let mut tally = |o: &Outcome| {
        points.add(o);
        if let Some(s) = alert_stream.as_mut() {
            s.push(o);
        }
        if let Some(s) = store.as_mut() {
            if store_error.is_none() {
                if let Err(e) = s.push(o) {
                    store_error = Some(e);
                }
            }
        }
    };
    let on_outcome: Option<&mut dyn FnMut(&Outcome)> =
        if engine.codebook().is_some() || a.store.is_some() || engine.alerts().is_some() {
            Some(&mut tally)
        } else {
            None
        };
    let summary = run_with_progress(&engine, &a.common, &mut *out, &a.output, on_outcome)?;
    if let Some(e) = store_error {
        return Err(e);
    }
    let stored = store.map(|s| s.finish()).transpose()?;
    let alerted = alert_stream.map(|s| s.finish()).transpose()?;
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
        if let Some(cb) = engine.codebook() {
            eprint!("{}", points.report(cb.name(), 5));
        }
        if let (Some(m), Some(dir)) = (&stored, &a.store) {
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
        if let Some(s) = &alerted {
            eprint!("{s}");
        }
        if a.output.as_os_str() != "-" {
            eprintln!("output     {}", a.output.display());
        }
    }
    Ok(())
}

/// Counts of pain and itch points per owner and code, for the summary.
#[derive(Default)]
struct PointTally {
    coded: u64,
    records: u64,
    by_owner: BTreeMap<(String, PointKind), BTreeMap<String, u64>>,
}

impl PointTally {
    fn add(&mut self, o: &Outcome) {
        let Some(a) = o.analysis() else { return };
        self.records += 1;
        if a.codes.is_empty() {
            return;
        }
        self.coded += 1;
        let mut seen = std::collections::BTreeSet::new();
        for p in &a.points {
            if matches!(p.point, PointKind::Pain | PointKind::Itch)
                && seen.insert((p.code.clone(), p.point))
            {
                let owner = p.owner.as_deref().unwrap_or("-").to_owned();
                *self
                    .by_owner
                    .entry((owner, p.point))
                    .or_default()
                    .entry(p.code.to_string())
                    .or_default() += 1;
            }
        }
    }

    fn report(&self, codebook: &str, top: usize) -> String {
        let mut s = format!(
            "codebook   {codebook} · {} of {} records coded\n",
            self.coded, self.records
        );
        for ((owner, point), codes) in &self.by_owner {
            let mut v: Vec<(&String, &u64)> = codes.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let list: Vec<String> = v
                .iter()
                .take(top)
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            s.push_str(&format!(
                "  {owner:<18} {:<5} {}\n",
                point.as_str(),
                list.join(" · ")
            ));
        }
        s
    }
}

fn codebook_check(c: CheckArgs) -> Result<(), Error> {
    let spec = CodebookSpec::load(&c.file)?;
    let leaves = spec
        .codes
        .iter()
        .filter(|x| {
            !spec
                .codes
                .iter()
                .any(|y| y.parent.as_deref() == Some(&x.id))
        })
        .count();
    let mut rules_by_lang: BTreeMap<&str, usize> = BTreeMap::new();
    let mut terms = 0usize;
    for code in &spec.codes {
        for (lang, r) in &code.rules {
            let rs = r.rules();
            terms += rs
                .iter()
                .map(|r| r.any.len() + r.all.len() + r.near.len() * 2)
                .sum::<usize>();
            *rules_by_lang.entry(lang).or_default() += rs.len();
        }
    }
    let exemplars: usize = spec.codes.iter().map(|c| c.exemplars.len()).sum();
    let stdout = io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "{} ({}): valid · {} codes, {} leaves · rules {} · {} terms · {} exemplars{}",
        spec.codebook,
        c.file.display(),
        spec.codes.len(),
        leaves,
        if rules_by_lang.is_empty() {
            "none (zero-shot: labels, descriptions, exemplars)".to_owned()
        } else {
            rules_by_lang
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        terms,
        exemplars,
        spec.learned_path()
            .map(|p| format!(" · learned {}", p.display()))
            .unwrap_or_default()
    )
    .and_then(|_| write!(w, "{}", spec.tree(None)))
    .map_err(|e| Error::io("-", e))?;
    if let Some(path) = &c.yaml {
        let mut f = output(path)?;
        f.write_all(spec.to_yaml()?.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

fn codebook_learn(l: LearnArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let spec = CodebookSpec::load(&l.codebook)?;
    let mut gold = Vec::new();
    for g in &l.gold {
        gold.extend(vocmine::codebook::read_gold(g)?);
    }
    let mut b = Engine::builder().encoder(encoder(&l.model)?);
    if let Some(n) = l.threads {
        b = b.threads(n);
    }
    let engine = b.build()?;
    let opts = vocmine::codebook::TrainOptions {
        epochs: l.epochs,
        ..Default::default()
    };
    let model = vocmine::codebook::learn(&engine, &spec, &gold, opts)?;
    let out = match (&l.out, spec.learned_path()) {
        (Some(o), _) => o.clone(),
        (None, Some(p)) => p,
        (None, None) => l.codebook.with_extension("learned.json"),
    };
    model.save(&out)?;
    println!(
        "learned {} codes of `{}` from {} texts in {:.1} s → {}",
        model.codes.len(),
        spec.codebook,
        gold.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    for c in &model.codes {
        println!(
            "  {:<28} {:>5} positives · held-out F1 {:.3} (without it {:.3})",
            c.code, c.positives, c.heldout_f1, c.baseline_f1
        );
    }
    if spec.learned_path().as_deref() != Some(out.as_path()) {
        println!(
            "add `learned: {}` under `settings:` in {} to use it",
            out.file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default(),
            l.codebook.display()
        );
    }
    Ok(())
}

/// The store's encoder must be the one `--model` names (read from its
/// `config.json`, without loading the model).
pub(crate) fn check_store_encoder(
    manifest: &vocmine::store::Manifest,
    model: &ModelArgs,
) -> Result<(), Error> {
    if !model.model.join("config.json").is_file() {
        // the encoder's own error says what is missing and how to build it
        encoder(model)?;
    }
    let config = vocmine::encoder::ModelConfig::load(&model.model.join("config.json"))?;
    manifest.check_encoder(&config.name)
}

fn reclassify(r: ReclassifyArgs) -> Result<(), Error> {
    use vocmine::codebook::Codebook;
    let started = std::time::Instant::now();
    let manifest = vocmine::store::Manifest::read(&r.store)?;
    let mut eb = Engine::builder();
    if let Some(n) = r.threads {
        eb = eb.threads(n);
    }
    let engine = eb.build()?;
    // The codebooks' exemplars come from the embedding cache when it has
    // them; the encoder is loaded only to embed what it lacks.
    let with_model = !r.no_model && manifest.dim > 0;
    if with_model {
        check_store_encoder(&manifest, &r.model)?;
    }
    let loaded: std::sync::OnceLock<vocmine::encoder::Encoder> = std::sync::OnceLock::new();
    let load = || -> Result<vocmine::encoder::Encoder, Error> {
        if let Some(e) = loaded.get() {
            return Ok(e.clone());
        }
        let e = encoder(&r.model)?;
        Ok(loaded.get_or_init(|| e).clone())
    };
    let compile = |path: &Path| -> Result<Codebook, Error> {
        let spec = CodebookSpec::load(path)?;
        if with_model {
            engine.compile_codebook_cached(spec, &r.model.model, r.model.batch_size, &load)
        } else {
            engine.compile_codebook(spec)
        }
    };
    let new = compile(&r.codebook)?;
    let old = match &r.diff {
        Some(p) => Some(compile(p)?),
        None => None,
    };
    let mut out = output(&r.output)?;
    let summary = vocmine::reclassify::reclassify(
        &engine,
        &r.store,
        &new,
        old.as_ref(),
        r.full,
        &mut |lines| out.write_all(lines).map_err(|e| Error::io(&r.output, e)),
    )?;
    out.flush().map_err(|e| Error::io(&r.output, e))?;
    let secs = started.elapsed().as_secs_f64();
    if !r.quiet {
        eprintln!(
            "vocmine reclassify {} with {} · {} records · {} clauses · {:.2} s · {:.0} clauses/s",
            r.store.display(),
            new.name(),
            summary.records,
            summary.clauses,
            secs,
            summary.clauses as f64 / secs.max(1e-9)
        );
        if old.is_some() {
            eprintln!(
                "{:<36} {:>8} {:>8} {:>8} {:>8}",
                "code (records)", "old", "new", "gained", "lost"
            );
            for (c, n) in &summary.codes {
                eprintln!(
                    "{c:<36} {:>8} {:>8} {:>8} {:>8}",
                    n.old,
                    n.new,
                    format!("+{}", n.gained),
                    format!("-{}", n.lost)
                );
            }
        }
    }
    Ok(())
}

fn eval(e: EvalArgs) -> Result<(), Error> {
    let (Some(codebook), Some(gold_path)) = (&e.codebook, &e.gold) else {
        return eval_records(e);
    };
    let spec = CodebookSpec::load(codebook)?;
    let gold = vocmine::codebook::read_gold(gold_path)?;
    let mut b = Engine::builder();
    if !e.no_model {
        b = b.encoder(encoder(&e.model)?);
    }
    if let Some(n) = e.threads {
        b = b.threads(n);
    }
    let engine = b.codebook(spec).build()?;
    let report = vocmine::codebook::evaluate(&engine, &gold, e.only_gold_codes)?;
    println!(
        "{} on {} ({} texts)",
        codebook.display(),
        gold_path.display(),
        report.texts
    );
    print!("{}", report.table());
    if let Some(path) = &e.json {
        let mut f = output(path)?;
        serde_json::to_writer_pretty(&mut f, &report)?;
        writeln!(f).map_err(|err| Error::io(path, err))?;
    }
    Ok(())
}

fn eval_records(e: EvalArgs) -> Result<(), Error> {
    let Some(path) = &e.records else {
        return Err(Error::Config(
            "eval needs --codebook and --gold, or --records".into(),
        ));
    };
    let items = vocmine::sentiment_eval::read_labelled(path)?;
    let mut b = Engine::builder();
    if !e.no_model {
        b = b.encoder(encoder(&e.model)?);
    }
    if let Some(n) = e.threads {
        b = b.threads(n);
    }
    let engine = b.build()?;
    let mut sink = match &e.evidence {
        Some(p) => Some((p.clone(), output(p)?)),
        None => None,
    };
    let mut write_err: Option<Error> = None;
    let mut write =
        |it: &vocmine::sentiment_eval::LabelledRecord, a: &vocmine::Analysis, x: &[f32]| {
            if let Some((p, f)) = sink.as_mut() {
                let line = serde_json::json!({
                    "id": it.id, "set": it.set, "language": a.language.code(),
                    "sentiment": it.sentiment, "features": x,
                });
                if let Err(err) = writeln!(f, "{line}") {
                    write_err.get_or_insert(Error::io(p.clone(), err));
                }
            }
        };
    let report = vocmine::sentiment_eval::evaluate_records(
        &engine,
        &items,
        e.evidence.is_some().then_some(
            &mut write
                as &mut dyn FnMut(
                    &vocmine::sentiment_eval::LabelledRecord,
                    &vocmine::Analysis,
                    &[f32],
                ),
        ),
    )?;
    if let Some(err) = write_err {
        return Err(err);
    }
    if let Some((p, mut f)) = sink {
        f.flush().map_err(|err| Error::io(&p, err))?;
    }
    println!(
        "{} ({} records, {} failed, {} without sentiment)",
        path.display(),
        report.records,
        report.failed,
        report.unlabelled
    );
    print!("{}", report.table());
    if let Some(p) = &e.json {
        let mut f = output(p)?;
        serde_json::to_writer_pretty(&mut f, &report)?;
        writeln!(f).map_err(|err| Error::io(p, err))?;
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
