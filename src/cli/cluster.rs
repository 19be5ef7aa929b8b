//! `vocmine cluster`: hot issues over a store or over records.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use vocmine::corpus::cluster::{
    fit_items, fit_sample, ClusterConfig, ClusterItems, ClusterLevel, ClusterModel, DraftOptions,
    FittedItems, Placement, ReportOptions, Sample, Weighting,
};
use vocmine::io::sink::create_file;
use vocmine::stages::codebook::CodebookSpec;
use vocmine::{Engine, Error, Outcome};

use super::common::{encoder, engine_builder, run_with_progress, CommonArgs, ModelArgs};

#[derive(Args)]
pub(crate) struct ClusterArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Where to write CLUSTERS.json (`-`: stdout).
    #[arg(long, short)]
    output: PathBuf,
    /// Codebook: codes the clauses of records (a store keeps its stored
    /// codes unless this is given, then its clauses are coded again) and
    /// gives the code tree for gap suggestions.
    #[arg(long)]
    codebook: Option<PathBuf>,
    /// Save the model (HNSW index, vectors, items) here. Default for a store:
    /// `STORE/clusters`; for records: not saved.
    #[arg(long)]
    model_dir: Option<PathBuf>,
    /// Incremental run: load the model saved in DIR, assign the clauses of
    /// INPUT to its clusters through the HNSW index (clauses far from every
    /// cluster open new ones), save it back, and report over all items.
    #[arg(long, value_name = "DIR", conflicts_with = "model_dir")]
    extend: Option<PathBuf>,
    /// Fit on a sample: this share (0 < F <= 1) of the items, chosen by a
    /// hash of record id, clause number and --seed, is clustered; every
    /// item is then placed (a sampled one keeps its cluster, the others go
    /// to the cluster of their nearest sampled items or become outliers)
    /// and the report covers all of them. The saved model holds the
    /// sample. A store is read twice and only the sample's vectors are
    /// held (memory for a million clauses stays bounded). What
    /// `vocmine.spark.cluster` runs across machines.
    #[arg(long, value_name = "F", conflicts_with = "extend")]
    sample: Option<f64>,
    /// Neighbours per clause in the kNN graph.
    #[arg(long, default_value_t = ClusterConfig::default().k)]
    k: usize,
    /// Leiden resolution (higher: more, smaller clusters).
    #[arg(long, default_value_t = ClusterConfig::default().resolution)]
    resolution: f64,
    /// Smallest cluster; smaller communities join a cluster or become outliers.
    #[arg(long, default_value_t = ClusterConfig::default().min_size)]
    min_size: usize,
    /// Seed of the Leiden node order.
    #[arg(long, default_value_t = ClusterConfig::default().seed)]
    seed: u64,
    /// Outlier fence in interquartile ranges below the first quartile of
    /// the similarity to the nearest co-member.
    #[arg(long, default_value_t = ClusterConfig::default().outlier_iqr)]
    outlier_iqr: f32,
    /// Do not subtract each language's mean vector before clustering.
    #[arg(long)]
    no_centering: bool,
    /// Principal directions of the centred vectors projected out before
    /// clustering (0: none; only in a corpus of one language with 500+
    /// items).
    #[arg(long, default_value_t = ClusterConfig::default().remove_principal)]
    remove_principal: usize,
    /// Leiden runs (seeds) whose consensus is the partition (1: one run).
    #[arg(long, default_value_t = ClusterConfig::default().consensus_runs)]
    consensus: usize,
    /// Merge two clusters of different language mixes that are each
    /// other's nearest when their centroid cosine reaches this share of the
    /// lower cohesion (0: never).
    #[arg(long, default_value_t = ClusterConfig::default().language_merge)]
    language_merge: f64,
    /// Cluster the clauses of every speaker, not only the customer's.
    #[arg(long)]
    all_speakers: bool,
    /// What an item is: `clause`; `record` (every text record whole);
    /// `auto` (a text record of up to 4 clauses that reads as one issue —
    /// no positive and negative clause together, no disjoint codes — is
    /// one item, the clauses of the others are items). Conversations are
    /// clustered by clause.
    #[arg(long, default_value = "auto", value_parser = parse_level)]
    level: ClusterLevel,
    /// Clusters listed in the summary on stderr.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

fn parse_level(s: &str) -> Result<ClusterLevel, String> {
    ClusterLevel::parse(s).ok_or_else(|| format!("`{s}` is not clause, record or auto"))
}

fn is_store(p: &Path) -> bool {
    p.is_dir() && p.join("store.json").is_file()
}

pub(crate) fn cluster(c: ClusterArgs) -> Result<(), Error> {
    let started = Instant::now();
    let input = c.common.input.clone();
    let store = is_store(&input);
    let spec = c.codebook.as_deref().map(CodebookSpec::load).transpose()?;
    let config = ClusterConfig {
        k: c.k,
        resolution: c.resolution,
        min_size: c.min_size,
        seed: c.seed,
        outlier_iqr: c.outlier_iqr,
        center_languages: !c.no_centering,
        remove_principal: c.remove_principal,
        consensus_runs: c.consensus,
        language_merge: c.language_merge,
        weighting: Weighting::Umap,
        ..ClusterConfig::default()
    };
    config.validate()?;
    let sample = c.sample.map(|f| Sample::new(f, c.seed)).transpose()?;
    // An incremental run reads its model first, before any work.
    let mut loaded = match &c.extend {
        Some(dir) => {
            let model = ClusterModel::load(dir)?;
            let items = ClusterItems::load(dir, model.labels().len())?;
            Some((model, items))
        }
        None => None,
    };

    // 1. Items, 2. fit (or extend a saved model). A store fitted on a
    // sample streams: only the sample's vectors are held.
    let default_dir = c
        .model_dir
        .clone()
        .or_else(|| store.then(|| input.join("clusters")));
    if let (true, Some(sample)) = (store, sample) {
        let fitted = streamed(&c, spec.as_ref(), sample, config, default_dir)?;
        return finish(&c, spec.as_ref(), started, fitted);
    }
    let t = Instant::now();
    let Gathered {
        mut items,
        records,
        failed,
    } = gather(&c.common, &c.model, spec.as_ref(), c.all_speakers, c.level)?;
    let gather_s = t.elapsed().as_secs_f64();
    if items.is_empty() && c.extend.is_none() {
        return Err(Error::Config(format!(
            "{}: no clause with an embedding to cluster ({records} records, {failed} failed)",
            input.display()
        )));
    }

    // 2. Fit, or extend a saved model.
    let t = Instant::now();
    let mut placed: Option<(ClusterItems, Vec<Placement>)> = None;
    let (model, items, model_dir, extension) = match &c.extend {
        Some(dir) => {
            let Some((mut model, mut old)) = loaded.take() else {
                return Err(Error::Config("the model to extend was not loaded".into()));
            };
            let ext = if items.is_empty() {
                None
            } else {
                let v = items.take_vectors()?;
                let langs: Vec<String> = items.languages().iter().map(|s| s.to_string()).collect();
                let langs: Vec<&str> = langs.iter().map(String::as_str).collect();
                Some(model.extend_with_languages(v, &langs)?)
            };
            old.append(items)?;
            (model, old, Some(dir.clone()), ext)
        }
        None => {
            let dir = default_dir;
            match sample {
                Some(sample) => {
                    let (model, picked) = fit_sample(&items, sample, config)?;
                    let placements = model.place(&items, &FittedItems::new(&picked))?;
                    placed = Some((items, placements));
                    (model, picked, dir, None)
                }
                None => {
                    let v = items.take_vectors()?;
                    let langs: Vec<String> =
                        items.languages().iter().map(|s| s.to_string()).collect();
                    let langs: Vec<&str> = langs.iter().map(String::as_str).collect();
                    let model = ClusterModel::fit_with_languages(v, &langs, config)?;
                    (model, items, dir, None)
                }
            }
        }
    };
    let fit_s = t.elapsed().as_secs_f64();
    finish(
        &c,
        spec.as_ref(),
        started,
        Fitted {
            model,
            items,
            model_dir,
            extension,
            placed,
            records,
            failed,
            gather_s,
            fit_s,
        },
    )
}

/// A fitted (or extended) model and what the report and summary need.
struct Fitted {
    model: ClusterModel,
    /// The items the model holds (saved beside it).
    items: ClusterItems,
    model_dir: Option<PathBuf>,
    extension: Option<vocmine::corpus::cluster::Extension>,
    /// A sampled fit: every item and its placement.
    placed: Option<(ClusterItems, Vec<Placement>)>,
    records: u64,
    failed: u64,
    gather_s: f64,
    fit_s: f64,
}

/// Saves the model, writes the report and prints the summary.
fn finish(
    c: &ClusterArgs,
    spec: Option<&CodebookSpec>,
    started: Instant,
    f: Fitted,
) -> Result<(), Error> {
    let Fitted {
        mut model,
        items,
        model_dir,
        extension,
        placed,
        records,
        failed,
        gather_s,
        fit_s,
    } = f;
    let sample = c.sample;

    // 3. Persist (index beside the store) and report.
    let t = Instant::now();
    if let Some(dir) = &model_dir {
        model.save(dir)?;
        items.save(dir)?;
    }
    let save_s = t.elapsed().as_secs_f64();
    // a sampled fit reports over every item, the others over the model's
    let reported = placed.as_ref().map_or(&items, |p| &p.0);
    let options = ReportOptions {
        forms: Some(std::sync::Arc::new(reported.forms())),
        ..ReportOptions::default()
    };
    let report = match &placed {
        Some((all, placements)) => model.report_placed(all.items(), placements, &options, spec)?,
        None => model.report(items.items(), &options, spec)?,
    };
    let mut out = create_file(&c.output)?;
    serde_json::to_writer_pretty(&mut out, &report)?;
    writeln!(out).map_err(|e| Error::io(&c.output, e))?;
    out.flush().map_err(|e| Error::io(&c.output, e))?;

    // 4. Summary on stderr.
    if !c.common.quiet {
        let s = &report.summary;
        eprintln!(
            "{records} records ({failed} failed), {} items clustered of {} ({} of them records clustered whole; {} clauses without embedding): {} clusters, {} outliers ({:.1}%)",
            s.clustered,
            s.items,
            reported.whole_records(),
            reported.skipped(),
            s.clusters,
            s.outliers,
            100.0 * s.outlier_share
        );
        if sample.is_some() {
            eprintln!(
                "fitted on a sample of {} items ({} clusters, {} outliers in it); the others placed through the model",
                items.len(),
                model.clusters(),
                model.labels().iter().filter(|l| l.is_none()).count()
            );
        }
        if let Some(e) = &extension {
            eprintln!(
                "extended: {} new items, {} assigned to existing clusters, {} new clusters, {} outliers",
                e.labels.len(),
                e.assigned,
                e.opened.len(),
                e.outliers
            );
        }
        eprintln!("hottest (score = {}):", s.hotness_formula);
        for id in s.hottest.iter().take(c.top) {
            if let Some(cl) = report.clusters.get(*id as usize) {
                eprintln!(
                    "  #{:<4} {:>7.2}  {:>5} items{}{}  {}",
                    cl.id,
                    cl.hotness.score,
                    cl.size,
                    cl.sentiment
                        .map(|m| format!(", {:.0}% negative", 100.0 * m.negative_share))
                        .unwrap_or_default(),
                    if cl.hotness.emerging {
                        ", EMERGING"
                    } else {
                        ""
                    },
                    cl.label
                );
            }
        }
        if !s.gaps.is_empty() {
            eprintln!(
                "{} clusters poorly covered by the codebook (suggested codes in {})",
                s.gaps.len(),
                c.output.display()
            );
        }
        eprintln!(
            "seconds: gather {gather_s:.2}, cluster {fit_s:.2}, save {save_s:.2}, total {:.2}{}{}",
            started.elapsed().as_secs_f64(),
            vocmine::io::run::peak_rss_mb()
                .map(|m| format!("; peak RSS {m:.0} MB"))
                .unwrap_or_default(),
            model_dir
                .as_ref()
                .map(|d| format!("; model in {}", d.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Clause embeddings and report data of a corpus or a store.
pub(crate) struct Gathered {
    pub(crate) items: ClusterItems,
    pub(crate) records: u64,
    pub(crate) failed: u64,
}

/// Reads the clauses to cluster: a store's (coded again with `spec` when
/// given) or those of records analyzed on the fly.
pub(crate) fn gather(
    common: &CommonArgs,
    model: &ModelArgs,
    spec: Option<&CodebookSpec>,
    all_speakers: bool,
    level: ClusterLevel,
) -> Result<Gathered, Error> {
    let mut items = ClusterItems::new().all_speakers(all_speakers).level(level);
    let (records, failed) = gather_with(common, model, spec, all_speakers, level, &mut |b| {
        items.append(b)
    })?;
    Ok(Gathered {
        items,
        records,
        failed,
    })
}

/// [`gather`], handing the items over in pieces (a store: one per batch
/// of records read, in order; records analyzed on the fly: all at once);
/// returns the records read and the failed ones.
pub(crate) fn gather_with(
    common: &CommonArgs,
    model: &ModelArgs,
    spec: Option<&CodebookSpec>,
    all_speakers: bool,
    level: ClusterLevel,
    on_items: &mut dyn FnMut(ClusterItems) -> Result<(), Error>,
) -> Result<(u64, u64), Error> {
    let input = common.input.clone();
    let store = is_store(&input);
    if input.is_dir() && !store {
        return Err(Error::Config(format!(
            "{}: a directory without store.json is not a store (write one with `vocmine analyze --store DIR`)",
            input.display()
        )));
    }
    let fresh = || ClusterItems::new().all_speakers(all_speakers).level(level);
    let mut records = 0u64;
    let mut failed = 0u64;
    if store {
        #[cfg(feature = "store")]
        {
            // neither the output lines nor, when a codebook codes the
            // clauses again, the stored codes are needed
            let columns = vocmine::io::store::Columns {
                json: false,
                embeddings: true,
                codes: spec.is_none(),
                text_embeddings: level != ClusterLevel::Clause,
            };
            let mut reader = vocmine::io::store::StoreReader::open_with(&input, columns)?;
            if reader.manifest().dim == 0 {
                return Err(Error::Config(format!(
                    "{}: the store has no embeddings (it was analyzed with --no-model); clustering needs them",
                    input.display()
                )));
            }
            let mut b = engine_builder(common, false, true);
            if spec.is_some() {
                // Exemplar prototypes are embedded with the store's encoder.
                b = b.encoder(encoder(model)?);
            }
            let engine = b.build()?;
            let cb = spec
                .cloned()
                .map(|s| engine.compile_codebook(s))
                .transpose()?;
            while let Some(batch) = reader.next_batch()? {
                let mut items = fresh();
                for mut rec in batch {
                    records += 1;
                    if rec.error.is_some() {
                        failed += 1;
                        continue;
                    }
                    if let Some(cb) = &cb {
                        vocmine::io::reclassify::recode_clauses(cb, &mut rec);
                    }
                    items.add_stored(&rec, engine.segmenter())?;
                }
                on_items(items)?;
            }
        }
        #[cfg(not(feature = "store"))]
        return Err(Error::Config(
            "reading a store needs the `store` cargo feature".into(),
        ));
    } else {
        // records clustered whole read their whole-text embedding
        let mut b = engine_builder(common, false, true)
            .encode_all_speakers(all_speakers)
            .whole_text(vocmine::neural::stage::WholeText::Always)
            .encoder(encoder(model)?);
        if let Some(s) = spec {
            b = b.codebook(s.clone());
        }
        let engine: Engine = b.build()?;
        let seg_engine = &engine;
        let mut items = fresh();
        let mut on = |o: &Outcome| -> Result<(), Error> {
            records += 1;
            match o.analyzed() {
                Some(a) => items.add_analysis(a, seg_engine.segmenter())?,
                None => failed += 1,
            }
            Ok(())
        };
        run_with_progress(&engine, common, None, &mut [&mut on])?;
        on_items(items)?;
    }
    Ok((records, failed))
}

/// `cluster STORE --sample F` in two passes over the store, so that only
/// the sample's vectors are ever held: the first keeps the sampled items
/// (with vectors) and every item's metadata, the fit runs on the sample,
/// the second places the items batch by batch. The same result as fitting
/// and placing in memory.
fn streamed(
    c: &ClusterArgs,
    spec: Option<&CodebookSpec>,
    sample: Sample,
    config: ClusterConfig,
    model_dir: Option<PathBuf>,
) -> Result<Fitted, Error> {
    let t = Instant::now();
    let fresh = || {
        ClusterItems::new()
            .all_speakers(c.all_speakers)
            .level(c.level)
    };
    let (mut fitted, mut all) = (fresh(), fresh());
    let (records, failed) = gather_with(
        &c.common,
        &c.model,
        spec,
        c.all_speakers,
        c.level,
        &mut |b| {
            fitted.append(b.select(&sample.rows(&b))?)?;
            all.append(b.without_vectors())
        },
    )?;
    let gather_s = t.elapsed().as_secs_f64();
    if all.is_empty() {
        return Err(Error::Config(format!(
            "{}: no clause with an embedding to cluster ({records} records, {failed} failed)",
            c.common.input.display()
        )));
    }
    if fitted.is_empty() {
        return Err(Error::Config(format!(
            "a sample of {} of {} items took none: raise the fraction",
            sample.fraction,
            all.len()
        )));
    }
    let t = Instant::now();
    let model = fit_items(&fitted, config)?;
    let own = FittedItems::new(&fitted);
    let mut placements: Vec<Placement> = Vec::with_capacity(all.len());
    gather_with(
        &c.common,
        &c.model,
        spec,
        c.all_speakers,
        c.level,
        &mut |b| {
            placements.extend(model.place(&b, &own)?);
            Ok(())
        },
    )?;
    if placements.len() != all.len() {
        return Err(Error::Config(format!(
            "{}: the store gave {} items on the second reading, {} on the first",
            c.common.input.display(),
            placements.len(),
            all.len()
        )));
    }
    Ok(Fitted {
        model,
        items: fitted,
        model_dir,
        extension: None,
        placed: Some((all, placements)),
        records,
        failed,
        gather_s,
        fit_s: t.elapsed().as_secs_f64(),
    })
}

#[derive(Args)]
pub(crate) struct DraftArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Where to write the drafted codebook (YAML; `-`: stdout).
    #[arg(long, short)]
    output: PathBuf,
    /// Name of the codebook (default: the input's file name + " draft").
    #[arg(long)]
    name: Option<String>,
    /// Most leaf codes (the largest clusters become codes).
    #[arg(long, default_value_t = DraftOptions::default().max_codes)]
    max_codes: usize,
    /// Smallest cluster that becomes a code, as a share of the clustered
    /// clauses.
    #[arg(long, default_value_t = DraftOptions::default().min_share)]
    min_share: f64,
    /// Parent codes (default: the square root of the leaf count).
    #[arg(long)]
    parents: Option<usize>,
    /// Exemplars per code.
    #[arg(long, default_value_t = DraftOptions::default().exemplars)]
    exemplars: usize,
    /// Leiden resolution of the clustering (higher: more, smaller topics).
    #[arg(long, default_value_t = ClusterConfig::default().resolution)]
    resolution: f64,
    /// Principal directions of the centred vectors projected out before
    /// clustering (only in a corpus of one language with 500+ items). 0 by
    /// default, unlike `cluster`: a draft's codes are broad topics, and the
    /// leading direction is the broadest contrast (with 1, draft F1 on
    /// SemEval-2014 fell 0.592 → 0.560; EVALUATION.md).
    #[arg(long, default_value_t = 0)]
    remove_principal: usize,
    /// Seed of the clustering.
    #[arg(long, default_value_t = ClusterConfig::default().seed)]
    seed: u64,
    /// Draft from the clauses of every speaker, not only the customer's.
    #[arg(long)]
    all_speakers: bool,
    /// Cluster the embeddings as they are (by default their sentiment
    /// direction is projected out, so that codes are topics, not moods).
    #[arg(long)]
    keep_sentiment: bool,
}

/// `vocmine codebook draft`: a starting two-level codebook from the
/// clusters of a corpus or a store.
pub(crate) fn draft(d: DraftArgs) -> Result<(), Error> {
    let started = Instant::now();
    let opts = DraftOptions {
        name: d.name.clone().unwrap_or_else(|| {
            let stem = d
                .common
                .input
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "corpus".into());
            format!("{stem} draft")
        }),
        max_codes: d.max_codes,
        min_share: d.min_share,
        parents: d.parents,
        exemplars: d.exemplars,
        ..DraftOptions::default()
    };
    opts.validate()?;
    let config = ClusterConfig {
        resolution: d.resolution,
        remove_principal: d.remove_principal,
        seed: d.seed,
        weighting: Weighting::Umap,
        ..ClusterConfig::default()
    };
    config.validate()?;
    let Gathered {
        items,
        records,
        failed,
    } = gather(
        &d.common,
        &d.model,
        None,
        d.all_speakers,
        // codes are given to clauses: a draft's exemplars are clauses
        ClusterLevel::Clause,
    )?;
    if items.is_empty() {
        return Err(Error::Config(format!(
            "{}: no clause with an embedding to draft from ({records} records, {failed} failed)",
            d.common.input.display()
        )));
    }
    let langs: Vec<String> = items.languages().iter().map(|s| s.to_string()).collect();
    let langs: Vec<&str> = langs.iter().map(String::as_str).collect();
    let mut vectors = items.vectors()?;
    if !d.keep_sentiment {
        let polarity: Vec<_> = items.items().iter().map(|m| m.sentiment).collect();
        if let Some(v) = vocmine::corpus::cluster::without_sentiment(&vectors, &polarity)? {
            vectors = v;
        }
    }
    let model = ClusterModel::fit_with_languages(vectors, &langs, config)?;
    let options = ReportOptions {
        forms: Some(std::sync::Arc::new(items.forms())),
        ..ReportOptions::default()
    };
    let report = model.report(items.items(), &options, None)?;
    let drafted = vocmine::corpus::cluster::draft(
        &report,
        |id| model.centroid(id).map(<[f32]>::to_vec),
        &opts,
    )?;
    let problems = drafted.spec.problems();
    if let Some(p) = problems.first() {
        return Err(Error::Config(format!(
            "the draft is not a valid codebook ({} problems; first: {}: {})",
            problems.len(),
            p.code.as_deref().unwrap_or("codebook"),
            p.message
        )));
    }
    let mut out = create_file(&d.output)?;
    out.write_all(drafted.spec.to_yaml()?.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::io(&d.output, e))?;
    if !d.common.quiet {
        let parents = drafted.spec.codes.len() - drafted.clusters.len();
        eprintln!(
            "{records} records ({failed} failed), {} clauses: {} clusters; drafted {} codes under {parents} parents covering {} of {} clustered clauses ({:.1}%) in {:.1} s → {}",
            items.len(),
            report.summary.clusters,
            drafted.clusters.len(),
            drafted.covered,
            drafted.clustered,
            100.0 * drafted.covered as f64 / drafted.clustered.max(1) as f64,
            started.elapsed().as_secs_f64(),
            d.output.display()
        );
        eprint!("{}", drafted.spec.tree(None));
    }
    Ok(())
}
