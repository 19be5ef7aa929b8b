//! Sinks: where the outcomes of a run go besides its JSON Lines output.
//!
//! A [`Sink`] sees every outcome of a run in input order, failures
//! included, after the record's output line is made. The run
//! ([`crate::io::run::Runner`]) feeds any number of them; adding an output
//! is one type that implements [`Sink`], not a change to the run. The sinks
//! of the library:
//!
//! * [`crate::io::store::StoreWriter`] (cargo feature `store`): the Parquet
//!   result store;
//! * [`AlertStream`]: the alerts of each record as JSON Lines, flushed as
//!   they come (`analyze --alerts`);
//! * `EmbeddingWriter` (cargo feature `onnx`): clause embeddings as `.npy`
//!   plus an index of JSON Lines (`vocmine embed`);
//! * [`PointTally`]: pain and itch points per owner and code (the summary
//!   of `analyze --codebook`);
//! * [`crate::corpus::keywords::KeywordCollector`]: corpus keywords.
//!
//! A closure `FnMut(&Outcome) -> Result<()>` is a sink too.
//! [`AnalyzeSinks`] makes the sinks an analysis run asks for from an
//! engine (what `vocmine analyze` and Python's `Engine.analyze_file` run).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::batch::Outcome;
use crate::corpus::analytics::table::pad;
use crate::engine::Engine;
use crate::error::{Error, Result};
#[cfg(feature = "onnx")]
use crate::io::npy::NpyWriter;
use crate::stages::alerts::Severity;
use crate::stages::codebook::PointKind;

/// A destination of a run's outcomes.
pub trait Sink {
    /// Takes one outcome, in input order (failed records too). An error
    /// stops the run and is what the run returns.
    fn push(&mut self, outcome: &Outcome) -> Result<()>;

    /// Makes everything pushed so far durable and returns what the sink
    /// needs to continue after it when a run is resumed
    /// ([`crate::io::resume`]); the default keeps nothing.
    fn checkpoint(&mut self) -> Result<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }
}

impl<F: FnMut(&Outcome) -> Result<()>> Sink for F {
    fn push(&mut self, outcome: &Outcome) -> Result<()> {
        self(outcome)
    }
}

/// Opens `path` for writing through a 1 MiB buffer, creating its parent
/// folders; `-` is standard output.
pub fn create_file(path: &Path) -> Result<Box<dyn Write + Send>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufWriter::with_capacity(
            1 << 20,
            std::io::stdout(),
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let f = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 20, f)))
}

// ------------------------------------------------------------------ alerts

/// Writes the alerts of each record as JSON Lines, in input order, as the
/// records are processed (flushed after every record that has alerts, so a
/// consumer tailing the file sees an alert as soon as its record is done).
pub struct AlertStream {
    out: Box<dyn Write + Send>,
    tally: AlertTally,
    bytes: u64,
}

/// What an [`AlertStream`] wrote; its `Display` is the CLI's summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertTally {
    /// The alerts file.
    pub path: PathBuf,
    /// Records seen (analyzed ones).
    pub records: u64,
    /// Records with at least one alert.
    pub alerted_records: u64,
    /// Alerts by severity.
    pub by_severity: BTreeMap<Severity, u64>,
    /// Alerts by rule and severity.
    pub by_rule: BTreeMap<String, BTreeMap<Severity, u64>>,
}

impl AlertStream {
    /// Creates (or truncates) the alerts file; `-` is standard output.
    pub fn create(path: &Path) -> Result<AlertStream> {
        Ok(AlertStream {
            out: create_file(path)?,
            tally: AlertTally {
                path: path.to_owned(),
                records: 0,
                alerted_records: 0,
                by_severity: BTreeMap::new(),
                by_rule: BTreeMap::new(),
            },
            bytes: 0,
        })
    }

    /// Continues the alerts file of an interrupted run from the state its
    /// checkpoint kept ([`Sink::checkpoint`]): what came after it is cut
    /// off. Standard output is written on from where it is.
    pub fn resume(path: &Path, state: &serde_json::Value) -> Result<AlertStream> {
        let st: AlertState = serde_json::from_value(state.clone())?;
        let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            create_file(path)?
        } else {
            crate::io::resume::reopen_buffered(path, st.bytes)?
        };
        Ok(AlertStream {
            out,
            tally: AlertTally {
                path: path.to_owned(),
                ..st.tally
            },
            bytes: st.bytes,
        })
    }

    /// Flushes the file and returns what was written.
    pub fn finish(mut self) -> Result<AlertTally> {
        self.out
            .flush()
            .map_err(|e| Error::io(&self.tally.path, e))?;
        Ok(self.tally)
    }
}

impl Sink for AlertStream {
    /// Writes the alerts of one outcome (nothing for failures and records
    /// without alerts).
    fn push(&mut self, o: &Outcome) -> Result<()> {
        let Some(a) = o.analysis() else {
            return Ok(());
        };
        let t = &mut self.tally;
        t.records += 1;
        if a.alerts.is_empty() {
            return Ok(());
        }
        t.alerted_records += 1;
        let mut buf = Vec::new();
        for al in &a.alerts {
            *t.by_severity.entry(al.severity).or_default() += 1;
            *t.by_rule
                .entry(al.rule.clone())
                .or_default()
                .entry(al.severity)
                .or_default() += 1;
            serde_json::to_writer(&mut buf, al)?;
            buf.push(b'\n');
        }
        self.bytes += buf.len() as u64;
        self.out
            .write_all(&buf)
            .and_then(|_| self.out.flush())
            .map_err(|e| Error::io(&t.path, e))
    }

    fn checkpoint(&mut self) -> Result<serde_json::Value> {
        self.out
            .flush()
            .map_err(|e| Error::io(&self.tally.path, e))?;
        Ok(serde_json::to_value(AlertState {
            bytes: self.bytes,
            tally: self.tally.clone(),
        })?)
    }
}

/// What a checkpoint keeps of an [`AlertStream`].
#[derive(Serialize, Deserialize)]
struct AlertState {
    bytes: u64,
    tally: AlertTally,
}

impl fmt::Display for AlertTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.by_severity.values().sum();
        let sev = |m: &BTreeMap<Severity, u64>| -> String {
            Severity::ALL
                .iter()
                .map(|s| format!("{s} {}", m.get(s).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        writeln!(
            f,
            "alerts     {total} on {} of {} records ({}) → {}",
            self.alerted_records,
            self.records,
            sev(&self.by_severity),
            self.path.display()
        )?;
        for (rule, m) in &self.by_rule {
            let n: u64 = m.values().sum();
            let parts: Vec<String> = Severity::ALL
                .iter()
                .filter_map(|s| m.get(s).map(|k| format!("{s} {k}")))
                .collect();
            writeln!(f, "  {} {n:>5} ({})", pad(rule, 18), parts.join(" · "))?;
        }
        Ok(())
    }
}

// -------------------------------------------------------------- embeddings

/// Writes the embedding of every encoded clause as one row of a float32
/// `.npy` file, and one JSON line per row into `<file>.index.jsonl` (row,
/// record id and line, turn, clause number, span, role, language,
/// truncation, text).
#[cfg(feature = "onnx")]
pub struct EmbeddingWriter {
    path: PathBuf,
    dim: usize,
    npy: Option<NpyWriter>,
    index: Box<dyn Write + Send>,
    index_path: PathBuf,
    rows: u64,
}

#[cfg(feature = "onnx")]
impl EmbeddingWriter {
    /// Creates the index file now and the `.npy` file at the first
    /// embedding; `dim` 0 takes the width of the first embedding.
    pub fn create(path: &Path, dim: usize) -> Result<EmbeddingWriter> {
        let index_path = Self::index_path(path);
        Ok(EmbeddingWriter {
            path: path.to_owned(),
            dim,
            npy: None,
            index: create_file(&index_path)?,
            index_path,
            rows: 0,
        })
    }

    /// The index file of an embeddings file: `X.npy` → `X.index.jsonl`.
    pub fn index_path(path: &Path) -> PathBuf {
        path.with_extension("index.jsonl")
    }

    /// Finishes both files (an empty `[0, dim]` array when nothing was
    /// encoded) and returns the number of rows.
    pub fn finish(mut self) -> Result<u64> {
        let rows = match self.npy.take() {
            Some(w) => w.finish()?,
            None => NpyWriter::create(&self.path, self.dim)?.finish()?,
        };
        self.index
            .flush()
            .map_err(|e| Error::io(&self.index_path, e))?;
        Ok(rows)
    }
}

#[cfg(feature = "onnx")]
impl Sink for EmbeddingWriter {
    fn push(&mut self, o: &Outcome) -> Result<()> {
        let Some(a) = o.analyzed() else {
            return Ok(());
        };
        for (ci, c) in a.clauses.iter().enumerate() {
            let Some(emb) = a.work.embedding(ci) else {
                continue;
            };
            if self.npy.is_none() {
                let d = if self.dim > 0 {
                    self.dim
                } else {
                    emb.embedding.len()
                };
                self.npy = Some(NpyWriter::create(&self.path, d)?);
            }
            if let Some(w) = self.npy.as_mut() {
                w.push(&emb.embedding)?;
            }
            let line = serde_json::json!({
                "row": self.rows, "id": a.id, "line": a.line, "turn": c.turn, "clause": ci,
                "start": c.start, "end": c.end, "role": c.role, "language": c.language,
                "truncated": emb.truncated, "text": c.text,
            });
            serde_json::to_writer(&mut self.index, &line)?;
            writeln!(self.index).map_err(|e| Error::io(&self.index_path, e))?;
            self.rows += 1;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ points

/// Counts of records coded, and of pain and itch points per owner and
/// code (each (code, point) once per record); `report` is the summary
/// `analyze --codebook` prints.
#[derive(Debug, Clone, Default)]
pub struct PointTally {
    /// Records coded with at least one code.
    pub coded: u64,
    /// Records analyzed.
    pub records: u64,
    /// (owner, pain or itch) → code → records (owner `-` when none).
    pub by_owner: BTreeMap<(String, PointKind), BTreeMap<String, u64>>,
}

impl PointTally {
    /// The summary: coded records, then per owner and point kind its `top`
    /// codes by records.
    pub fn report(&self, codebook: &str, top: usize) -> String {
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
                "  {} {:<5} {}\n",
                pad(owner, 18),
                point.as_str(),
                list.join(" · ")
            ));
        }
        s
    }
}

/// What a checkpoint keeps of a [`PointTally`] (its map keys are pairs).
#[derive(Serialize, Deserialize)]
struct PointState {
    coded: u64,
    records: u64,
    by_owner: Vec<(String, PointKind, BTreeMap<String, u64>)>,
}

impl PointTally {
    /// The counts a checkpoint kept ([`Sink::checkpoint`]).
    pub fn resume(state: &serde_json::Value) -> Result<PointTally> {
        let st: PointState = serde_json::from_value(state.clone())?;
        Ok(PointTally {
            coded: st.coded,
            records: st.records,
            by_owner: st
                .by_owner
                .into_iter()
                .map(|(o, p, m)| ((o, p), m))
                .collect(),
        })
    }
}

impl Sink for PointTally {
    fn checkpoint(&mut self) -> Result<serde_json::Value> {
        Ok(serde_json::to_value(PointState {
            coded: self.coded,
            records: self.records,
            by_owner: self
                .by_owner
                .iter()
                .map(|((o, p), m)| (o.clone(), *p, m.clone()))
                .collect(),
        })?)
    }

    fn push(&mut self, o: &Outcome) -> Result<()> {
        let Some(a) = o.analysis() else {
            return Ok(());
        };
        self.records += 1;
        if a.record_codes().is_empty() {
            return Ok(());
        }
        self.coded += 1;
        let mut seen = BTreeSet::new();
        for p in a.record_points() {
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
        Ok(())
    }
}

// ------------------------------------------------------------- an analysis

/// An error when a store is asked for without the `store` cargo feature.
#[cfg(not(feature = "store"))]
fn no_store_feature(store: Option<&Path>) -> Result<()> {
    match store {
        Some(dir) => Err(Error::Config(format!(
            "{}: writing a store needs the `store` cargo feature",
            dir.display()
        ))),
        None => Ok(()),
    }
}

/// The sinks of an analysis run, made from the engine: the point tally when
/// it has a codebook, the alert stream when it has alert rules and an
/// alerts file is given, the store when a directory is given (its encoder,
/// dimension and codebook read from the engine).
pub struct AnalyzeSinks {
    points: Option<PointTally>,
    alerts: Option<AlertStream>,
    #[cfg(feature = "store")]
    store: Option<crate::io::store::StoreWriter>,
}

/// What the sinks of an [`AnalyzeSinks`] wrote, each present when it ran.
pub struct AnalyzeTally {
    /// Records coded, points per owner (with a codebook).
    pub points: Option<PointTally>,
    /// The alerts written (with alert rules).
    pub alerts: Option<AlertTally>,
    /// The store's manifest (with a store).
    #[cfg(feature = "store")]
    pub store: Option<crate::io::store::Manifest>,
}

impl AnalyzeSinks {
    /// Creates the files of the sinks `engine`, `alerts` and `store` call for.
    pub fn create(engine: &Engine, alerts: Option<&Path>, store: Option<&Path>) -> Result<Self> {
        let alerts = match (engine.alerts(), alerts) {
            (Some(_), Some(p)) => Some(AlertStream::create(p)?),
            _ => None,
        };
        #[cfg(feature = "store")]
        let store = match store {
            Some(dir) => {
                #[cfg(feature = "onnx")]
                let (name, dim) = engine.encoder().map_or((None, 0), |e| {
                    (
                        Some(e.config().name.clone()),
                        e.config().dimension.unwrap_or(0),
                    )
                });
                #[cfg(not(feature = "onnx"))]
                let (name, dim) = (None, 0);
                Some(crate::io::store::StoreWriter::create(
                    dir,
                    name,
                    dim,
                    engine.codebook().map(|c| c.name().to_owned()),
                )?)
            }
            None => None,
        };
        #[cfg(not(feature = "store"))]
        no_store_feature(store)?;
        Ok(AnalyzeSinks {
            points: engine.codebook().map(|_| PointTally::default()),
            alerts,
            #[cfg(feature = "store")]
            store,
        })
    }

    /// The sinks of an interrupted run, continued from the states its
    /// checkpoint kept (`states`, in the order of [`AnalyzeSinks::sinks`]):
    /// the alerts file cut back to the checkpoint, the store's later parts
    /// removed, the counts restored.
    pub fn resume(
        engine: &Engine,
        alerts: Option<&Path>,
        store: Option<&Path>,
        states: &[serde_json::Value],
    ) -> Result<Self> {
        let mut states = states.iter();
        let mut next = |what: &str| {
            states.next().ok_or_else(|| {
                Error::Data(format!(
                    "the checkpoint keeps no state of the {what}: it is not of this command"
                ))
            })
        };
        let points = match engine.codebook() {
            Some(_) => Some(PointTally::resume(next("point tally")?)?),
            None => None,
        };
        let alerts = match (engine.alerts(), alerts) {
            (Some(_), Some(p)) => Some(AlertStream::resume(p, next("alerts file")?)?),
            _ => None,
        };
        #[cfg(feature = "store")]
        let store = match store {
            Some(dir) => Some(crate::io::store::StoreWriter::resume(dir, next("store")?)?),
            None => None,
        };
        #[cfg(not(feature = "store"))]
        no_store_feature(store)?;
        Ok(AnalyzeSinks {
            points,
            alerts,
            #[cfg(feature = "store")]
            store,
        })
    }

    /// The sinks to hand to [`crate::io::run::Runner::sink`], in this order:
    /// points, alerts, store.
    pub fn sinks(&mut self) -> Vec<&mut dyn Sink> {
        let mut v: Vec<&mut dyn Sink> = Vec::new();
        if let Some(p) = self.points.as_mut() {
            v.push(p);
        }
        if let Some(a) = self.alerts.as_mut() {
            v.push(a);
        }
        #[cfg(feature = "store")]
        if let Some(s) = self.store.as_mut() {
            v.push(s);
        }
        v
    }

    /// Finishes the store and the alerts file.
    pub fn finish(self) -> Result<AnalyzeTally> {
        Ok(AnalyzeTally {
            points: self.points,
            #[cfg(feature = "store")]
            store: self.store.map(|s| s.finish()).transpose()?,
            alerts: self.alerts.map(|a| a.finish()).transpose()?,
        })
    }
}
