//! `vocmine codebook review`: the clauses a codebook researcher should label
//! next, from a store, as a spreadsheet.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use vocmine::stages::codebook::{ReviewClause, ReviewOptions, ReviewPicker};
use vocmine::{CodebookSpec, Engine, Error};

use super::common::{encoder, ModelArgs};
use super::reclassify::check_store_encoder;

#[derive(Args)]
pub(crate) struct ReviewArgs {
    /// The codebook.
    #[arg(long)]
    codebook: PathBuf,
    /// The store (written by `vocmine analyze --store DIR`).
    #[arg(long)]
    store: PathBuf,
    /// The sheet to write: `.xlsx`, `.csv` or `.tsv`. Fill its `codes`
    /// (and `point`) column and pass it to `eval --gold` or `learn --gold`.
    #[arg(long, short)]
    output: PathBuf,
    /// Clauses to pick.
    #[arg(long, default_value_t = ReviewOptions::default().size)]
    size: usize,
    /// A code within this much of its threshold makes a clause uncertain.
    #[arg(long, default_value_t = ReviewOptions::default().band)]
    band: f32,
    /// Skip clauses at least this cosine-similar to a picked one.
    #[arg(long, default_value_t = ReviewOptions::default().dedup_similarity)]
    dedup_similarity: f32,
    /// Do not load the encoder (exemplar evidence then is off; rules and
    /// learned classifiers still run on the stored embeddings).
    #[arg(long)]
    no_model: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// Do not print the summary.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn review(r: ReviewArgs) -> Result<(), Error> {
    let started = Instant::now();
    let opts = ReviewOptions {
        size: r.size,
        band: r.band,
        dedup_similarity: r.dedup_similarity,
    };
    opts.validate()?;
    if !vocmine::stages::codebook::is_review_sheet(&r.output) {
        return Err(Error::Config(format!(
            "{}: the review sheet must be .xlsx, .csv or .tsv",
            r.output.display()
        )));
    }
    let spec = CodebookSpec::load(&r.codebook)?;
    let columns = vocmine::io::store::Columns {
        json: false,
        embeddings: true,
        codes: false,
        text_embeddings: false,
    };
    let mut reader = vocmine::io::store::StoreReader::open_with(&r.store, columns)?;
    let manifest = reader.manifest().clone();
    let engine = Engine::builder().build()?;
    // exemplars from the embedding cache; the encoder only for what it lacks
    let cb = if !r.no_model && manifest.dim > 0 {
        check_store_encoder(&manifest, &r.model)?;
        engine.compile_codebook_cached(spec, &r.model.model, r.model.batch_size, &|| {
            encoder(&r.model)
        })?
    } else {
        engine.compile_codebook(spec)?
    };
    let mut picker = ReviewPicker::new(&cb, opts)?;
    let mut records = 0u64;
    while let Some(batch) = reader.next_batch()? {
        for rec in batch {
            records += 1;
            if rec.error.is_some() {
                continue;
            }
            // the context of a clause: the clauses of its turn
            let mut contexts: std::collections::BTreeMap<Option<u32>, String> =
                std::collections::BTreeMap::new();
            for c in &rec.clauses {
                let ctx = contexts.entry(c.turn).or_default();
                if ctx.chars().count() < 600 {
                    if !ctx.is_empty() {
                        ctx.push(' ');
                    }
                    ctx.push_str(c.text.trim());
                }
            }
            for c in rec.clauses.iter().filter(|c| c.customer) {
                let Some(terms) = &c.terms else { continue };
                picker.add(ReviewClause {
                    id: &rec.id,
                    clause: c.clause,
                    turn: c.turn,
                    start: c.start,
                    end: c.end,
                    language: &c.language,
                    text: &c.text,
                    context: contexts.get(&c.turn).map(String::as_str).unwrap_or(""),
                    terms,
                    embedding: c.embedding.as_deref(),
                    voice: c.voice.as_ref(),
                });
            }
        }
    }
    let seen = picker.seen();
    let rows = picker.finish();
    vocmine::stages::codebook::write_review(&r.output, &rows, Some(&cb))?;
    if !r.quiet {
        let mut by: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for row in &rows {
            *by.entry(row.reason.as_str()).or_default() += 1;
        }
        eprintln!(
            "{records} records, {seen} customer clauses: {} picked ({}) in {:.1} s → {}\nfill the `codes` column (code ids separated by `;`, `none` for no code; `code:pain` for a point), then: vocmine eval --codebook {} --gold {}",
            rows.len(),
            by.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", "),
            started.elapsed().as_secs_f64(),
            r.output.display(),
            r.codebook.display(),
            r.output.display()
        );
    }
    Ok(())
}
