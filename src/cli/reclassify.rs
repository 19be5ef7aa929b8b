//! `vocmine reclassify`: a store coded again with a new codebook (thin over
//! `vocmine::io::reclassify`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use vocmine::io::sink::create_file;

use vocmine::{CodebookSpec, Engine, Error};

use super::common::{encoder, ModelArgs};

#[derive(Args)]
pub(crate) struct ReclassifyArgs {
    /// The store directory.
    #[arg(long)]
    pub(crate) store: PathBuf,
    /// The (new) codebook.
    #[arg(long)]
    pub(crate) codebook: PathBuf,
    /// Output JSON Lines (`-` for stdout): one line per stored record with
    /// its new codes and points (and its coded clauses).
    #[arg(long, short, default_value = "-")]
    pub(crate) output: PathBuf,
    /// Write the full analysis lines (as stored, with the new codes) instead
    /// of the compact ones.
    #[arg(long)]
    pub(crate) full: bool,
    /// Compare with this (old) codebook: per-code gained and lost records.
    #[arg(long)]
    pub(crate) diff: Option<PathBuf>,
    /// Do not load the encoder to embed the codebook's exemplars (rules and
    /// learned classifiers still run; learned ones on the stored embeddings).
    #[arg(long)]
    pub(crate) no_model: bool,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Do not print the summary.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// The store's encoder must be the one `--model` names (read from its
/// `config.json`, without loading the model).
pub(crate) fn check_store_encoder(
    manifest: &vocmine::io::store::Manifest,
    model: &ModelArgs,
) -> Result<(), Error> {
    if !model.model.join("config.json").is_file() {
        // the encoder's own error says what is missing and how to build it
        encoder(model)?;
    }
    let config = vocmine::neural::encoder::ModelConfig::load(&model.model.join("config.json"))?;
    manifest.check_encoder(&config.name)
}

pub(crate) fn reclassify(r: ReclassifyArgs) -> Result<(), Error> {
    use vocmine::stages::codebook::Codebook;
    let started = std::time::Instant::now();
    let manifest = vocmine::io::store::Manifest::read(&r.store)?;
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
    let loaded: std::sync::OnceLock<vocmine::neural::encoder::Encoder> = std::sync::OnceLock::new();
    let load = || -> Result<vocmine::neural::encoder::Encoder, Error> {
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
    let mut out = create_file(&r.output)?;
    let summary = vocmine::io::reclassify::reclassify(
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
