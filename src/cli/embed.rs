//! `vocmine embed`: clause embeddings as `.npy` plus a JSON Lines index.

use std::path::PathBuf;

use clap::Args;

use vocmine::io::sink::EmbeddingWriter;
use vocmine::Error;

use super::common::{encoder, engine_builder, run_with_progress, CommonArgs, ModelArgs};

#[derive(Args)]
pub(crate) struct EmbedArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Output `.npy` file (float32, one row per clause); the index of rows
    /// goes to the same path with `.index.jsonl`.
    #[arg(long, short)]
    pub(crate) output: PathBuf,
    /// Embed the clauses of every speaker, not only the customer's.
    #[arg(long)]
    pub(crate) all_speakers: bool,
}

pub(crate) fn embed(e: EmbedArgs) -> Result<(), Error> {
    let enc = encoder(&e.model)?;
    let dim = enc.config().dimension.unwrap_or(0);
    let engine = engine_builder(&e.common, false, false)
        .encode_all_speakers(e.all_speakers)
        .encoder(enc.clone())
        .build()?;
    let mut writer = EmbeddingWriter::create(&e.output, dim)?;
    let summary = run_with_progress(&engine, &e.common, None, &mut [&mut writer])?;
    let rows = writer.finish()?;
    let index_path = EmbeddingWriter::index_path(&e.output);
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
