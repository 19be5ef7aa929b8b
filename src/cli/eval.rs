//! `vocmine eval`: a codebook against gold codes, or record sentiment and voice
//! type against labelled records.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use vocmine::io::sink::create_file;

use vocmine::{CodebookSpec, Engine, Error};

use super::common::{encoder, ModelArgs};

#[derive(Args)]
pub(crate) struct EvalArgs {
    /// The codebook file (with --gold).
    #[arg(long, requires = "gold")]
    pub(crate) codebook: Option<PathBuf>,
    /// Gold codes, JSON Lines (see corpora/codebooks/FORMAT.md).
    #[arg(long, requires = "codebook")]
    pub(crate) gold: Option<PathBuf>,
    /// Labelled records, JSON Lines (`text`, `sentiment`, `voice`, `set`):
    /// scores the record sentiment and voice type that `analyze` outputs.
    #[arg(long, conflicts_with_all = ["codebook", "gold"], required_unless_present = "codebook")]
    pub(crate) records: Option<PathBuf>,
    /// With --records: write each record's sentiment-combiner features
    /// (JSON Lines) to this file, for models/train_record.py.
    #[arg(long, requires = "records")]
    pub(crate) evidence: Option<PathBuf>,
    /// Ignore codes that the gold file never uses.
    #[arg(long)]
    pub(crate) only_gold_codes: bool,
    /// Rules only: no encoder (no exemplars, learned codes or sentiment).
    #[arg(long)]
    pub(crate) no_model: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
}

pub(crate) fn eval(e: EvalArgs) -> Result<(), Error> {
    let (Some(codebook), Some(gold_path)) = (&e.codebook, &e.gold) else {
        return eval_records(e);
    };
    let spec = CodebookSpec::load(codebook)?;
    let gold = vocmine::stages::codebook::read_gold(gold_path)?;
    let mut b = Engine::builder();
    if !e.no_model {
        b = b.encoder(encoder(&e.model)?);
    }
    if let Some(n) = e.threads {
        b = b.threads(n);
    }
    let engine = b.codebook(spec).build()?;
    let report = vocmine::stages::codebook::evaluate(&engine, &gold, e.only_gold_codes)?;
    say!(
        "{} on {} ({} texts)",
        codebook.display(),
        gold_path.display(),
        report.texts
    );
    say!(@raw "{}", report.table());
    if let Some(path) = &e.json {
        let mut f = create_file(path)?;
        serde_json::to_writer_pretty(&mut f, &report)?;
        writeln!(f).map_err(|err| Error::io(path, err))?;
    }
    Ok(())
}

pub(crate) fn eval_records(e: EvalArgs) -> Result<(), Error> {
    let Some(path) = &e.records else {
        return Err(Error::Config(
            "eval needs --codebook and --gold, or --records".into(),
        ));
    };
    let items = vocmine::neural::sentiment_eval::read_labelled(path)?;
    // scored as `analyze` outputs it: no embedding is read here
    let mut b = Engine::builder().embeddings(vocmine::neural::stage::Embeddings::WhenRead);
    if !e.no_model {
        b = b.encoder(encoder(&e.model)?);
    }
    if let Some(n) = e.threads {
        b = b.threads(n);
    }
    if e.evidence.is_some() {
        // the combiner is trained on every unit's whole-text evidence
        b = b.whole_text(vocmine::neural::stage::WholeText::AlwaysAsEvidence);
    }
    let engine = b.build()?;
    let mut sink = match &e.evidence {
        Some(p) => Some((p.clone(), create_file(p)?)),
        None => None,
    };
    let mut write_err: Option<Error> = None;
    let mut write =
        |it: &vocmine::neural::sentiment_eval::LabelledRecord, a: &vocmine::Analysis, x: &[f32]| {
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
    let report = vocmine::neural::sentiment_eval::evaluate_records(
        &engine,
        &items,
        e.evidence.is_some().then_some(
            &mut write
                as &mut dyn FnMut(
                    &vocmine::neural::sentiment_eval::LabelledRecord,
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
    say!(
        "{} ({} records, {} failed, {} without sentiment)",
        path.display(),
        report.records,
        report.failed,
        report.unlabelled
    );
    say!(@raw "{}", report.table());
    if let Some(p) = &e.json {
        let mut f = create_file(p)?;
        serde_json::to_writer_pretty(&mut f, &report)?;
        writeln!(f).map_err(|err| Error::io(p, err))?;
    }
    Ok(())
}
