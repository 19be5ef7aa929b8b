//! Streaming runs: read → analyze in parallel → write, in input order, with
//! memory bounded by the batch size, whatever the size of the input.
//!
//! A reader thread fills batches of raw items (at most `batch_size` records
//! or 8 MiB each) into a channel that holds two batches; the calling thread
//! parses and analyzes each batch on the engine's rayon pool and writes the
//! results in input order. The output is the same for any thread count.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

use crate::batch::Outcome;
use crate::engine::Engine;
use crate::error::{Error, RecordError, Result};
use crate::io::input::{RawItem, Source};
use crate::io::resume::{CheckpointState, ResumeFrom};
use crate::io::sink::Sink;

/// Options of a streaming run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Stop at the first record error (the error is returned; records before
    /// it are written).
    pub strict: bool,
    /// Records per batch.
    pub batch_size: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            strict: false,
            batch_size: 2048,
        }
    }
}

/// Progress of a run, reported after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Input bytes read.
    pub bytes: u64,
    /// Records written.
    pub records: u64,
}

/// What a run did: counts for the end-of-run summary (read back from a
/// checkpoint when a run is resumed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Output lines written (one per input record).
    pub records: u64,
    /// Records analyzed.
    pub analyzed: u64,
    /// Records that failed, by error kind.
    #[serde(deserialize_with = "static_keys")]
    pub errors: BTreeMap<&'static str, u64>,
    /// Records with at least one warning.
    pub records_with_warnings: u64,
    /// Conversation records.
    pub conversations: u64,
    /// Turns in conversation records.
    pub turns: u64,
    /// Clauses.
    pub clauses: u64,
    /// Records per record language.
    #[serde(deserialize_with = "static_keys")]
    pub languages: BTreeMap<&'static str, u64>,
    /// Records per record script.
    #[serde(deserialize_with = "static_keys")]
    pub scripts: BTreeMap<&'static str, u64>,
    /// Clauses per clause language.
    #[serde(deserialize_with = "static_keys")]
    pub clause_languages: BTreeMap<&'static str, u64>,
    /// Records per record sentiment label (runs with the neural encoder).
    #[serde(deserialize_with = "static_keys")]
    pub sentiment: BTreeMap<&'static str, u64>,
    /// Records with a strong complaint and a strong praise at once.
    pub mixed_sentiment: u64,
    /// Conversations per conversation feature present (`escalation_request`,
    /// `repeat_contact`, `unresolved_at_end`, `agent_apology`,
    /// `agent_empathy`, `sentiment_improved`, `sentiment_worsened`).
    #[serde(deserialize_with = "static_keys")]
    pub conversation_features: BTreeMap<&'static str, u64>,
    /// Alerts per severity (engines with alert rules; the CLI prints them
    /// per rule with the alerts file).
    #[serde(deserialize_with = "static_keys")]
    pub alerts: BTreeMap<&'static str, u64>,
    /// Input bytes read.
    pub bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Records per second.
    pub records_per_second: f64,
    /// Peak resident memory of the process in MB (Linux; `null` elsewhere).
    pub peak_rss_mb: Option<f64>,
}

/// The keys of a summary's counts read back from a checkpoint: each
/// distinct key is kept once for the life of the process (they are a small
/// closed set: languages, scripts, error kinds, labels, severities).
fn static_keys<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<&'static str, u64>, D::Error> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static KEYS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let m = BTreeMap::<String, u64>::deserialize(d)?;
    let mut keys = KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    Ok(m.into_iter()
        .map(|(k, v)| {
            let k = match keys.get(k.as_str()) {
                Some(&k) => k,
                None => {
                    let k: &'static str = Box::leak(k.into_boxed_str());
                    keys.insert(k);
                    k
                }
            };
            (k, v)
        })
        .collect())
}

impl Summary {
    /// Total failed records.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds another summary's counts (times and memory are not added).
    pub fn merge(&mut self, o: &Summary) {
        self.records += o.records;
        self.analyzed += o.analyzed;
        self.records_with_warnings += o.records_with_warnings;
        self.conversations += o.conversations;
        self.turns += o.turns;
        self.clauses += o.clauses;
        self.mixed_sentiment += o.mixed_sentiment;
        for (dst, src) in [
            (&mut self.errors, &o.errors),
            (&mut self.languages, &o.languages),
            (&mut self.scripts, &o.scripts),
            (&mut self.clause_languages, &o.clause_languages),
            (&mut self.sentiment, &o.sentiment),
            (&mut self.conversation_features, &o.conversation_features),
            (&mut self.alerts, &o.alerts),
        ] {
            for (k, v) in src {
                *dst.entry(k).or_default() += v;
            }
        }
    }

    /// Adds one outcome to the counts.
    pub fn add(&mut self, outcome: &Outcome) {
        self.records += 1;
        match outcome {
            Outcome::Ok(a) => {
                self.analyzed += 1;
                if !a.warnings.is_empty() {
                    self.records_with_warnings += 1;
                }
                if let Some(t) = &a.turns {
                    self.conversations += 1;
                    self.turns += t.len() as u64;
                }
                self.clauses += a.clauses.len() as u64;
                *self.languages.entry(a.language.code()).or_default() += 1;
                *self.scripts.entry(a.script.code()).or_default() += 1;
                for c in &a.clauses {
                    *self.clause_languages.entry(c.language.code()).or_default() += 1;
                }
                if let Some(s) = &a.sentiment {
                    let label = match s.label {
                        crate::neural::sentiment::Polarity::Negative => "negative",
                        crate::neural::sentiment::Polarity::Neutral => "neutral",
                        crate::neural::sentiment::Polarity::Positive => "positive",
                    };
                    *self.sentiment.entry(label).or_default() += 1;
                    self.mixed_sentiment += u64::from(s.mixed);
                }
                if let Some(i) = &a.conversation {
                    for f in crate::stages::conversation::ConversationFeature::ALL {
                        if i.has(f) {
                            *self.conversation_features.entry(f.as_str()).or_default() += 1;
                        }
                    }
                }
                for al in &a.alerts {
                    *self.alerts.entry(al.severity.as_str()).or_default() += 1;
                }
            }
            Outcome::Err(f) => {
                *self.errors.entry(f.error.kind.as_str()).or_default() += 1;
            }
        }
    }
}

fn fmt_counts(m: &BTreeMap<&'static str, u64>, total: u64) -> String {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| {
            if total > 0 {
                format!("{k} {n} ({:.0}%)", **n as f64 * 100.0 / total as f64)
            } else {
                format!("{k} {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "records    {} ({} analyzed, {} errors, {} with warnings)",
            self.records,
            self.analyzed,
            self.error_count(),
            self.records_with_warnings
        )?;
        writeln!(
            f,
            "kinds      {} texts · {} conversations ({} turns)",
            self.analyzed - self.conversations,
            self.conversations,
            self.turns
        )?;
        writeln!(f, "clauses    {}", self.clauses)?;
        writeln!(
            f,
            "languages  {}",
            fmt_counts(&self.languages, self.analyzed)
        )?;
        writeln!(f, "scripts    {}", fmt_counts(&self.scripts, self.analyzed))?;
        writeln!(
            f,
            "clause languages  {}",
            fmt_counts(&self.clause_languages, self.clauses)
        )?;
        if !self.sentiment.is_empty() {
            writeln!(
                f,
                "sentiment  {} · {} mixed",
                fmt_counts(&self.sentiment, self.analyzed),
                self.mixed_sentiment
            )?;
        }
        if !self.conversation_features.is_empty() {
            writeln!(
                f,
                "conversation features  {}",
                fmt_counts(&self.conversation_features, self.conversations)
            )?;
        }
        if !self.errors.is_empty() {
            writeln!(f, "errors     {}", fmt_counts(&self.errors, 0))?;
        }
        write!(
            f,
            "time       {:.3} s · {:.0} records/s · {:.1} MB read",
            self.seconds,
            self.records_per_second,
            self.bytes as f64 / 1e6
        )?;
        if let Some(mb) = self.peak_rss_mb {
            write!(f, " · peak memory {mb:.0} MB")?;
        }
        Ok(())
    }
}

/// A streaming run: the engine over a source, one JSON line per record to
/// the output (when one is given), every outcome to each [`Sink`] in input
/// order.
///
/// ```no_run
/// # use vocmine::{Engine, io::{input, run::Runner, sink::PointTally}};
/// # fn main() -> vocmine::Result<()> {
/// let engine = Engine::new()?;
/// let source = input::open("in.jsonl".as_ref(), input::InputFormat::Jsonl, &Default::default())?;
/// let mut out = std::io::stdout();
/// let mut points = PointTally::default();
/// let summary = Runner::new(&engine)
///     .output(&mut out, "-".as_ref())
///     .sink(&mut points)
///     .run(source)?;
/// # Ok(()) }
/// ```
///
/// Three stages overlap: a reader thread, the engine's pool (parsing,
/// analysis and serialization), and a writer thread. Without an output and
/// sinks the outcomes are only counted; without an output they are not
/// serialized at all.
pub struct Runner<'a> {
    engine: &'a Engine,
    opts: RunOptions,
    out: Option<(&'a mut (dyn Write + Send), &'a Path)>,
    sinks: Vec<&'a mut dyn Sink>,
    progress: Option<Box<dyn FnMut(Progress) + 'a>>,
    checkpoints: Option<Checkpoints<'a>>,
    resume: Option<ResumeFrom>,
}

/// The checkpoints of a run: every `every` records, and the hook that
/// keeps them.
struct Checkpoints<'a> {
    every: u64,
    hook: CheckpointHook<'a>,
}

type CheckpointHook<'a> = Box<dyn FnMut(CheckpointState<'_>) -> Result<()> + 'a>;

impl<'a> Runner<'a> {
    /// A run of `engine` with the default options, no output and no sinks.
    pub fn new(engine: &'a Engine) -> Runner<'a> {
        Runner {
            engine,
            opts: RunOptions::default(),
            out: None,
            sinks: Vec::new(),
            progress: None,
            checkpoints: None,
            resume: None,
        }
    }

    /// Sets the options (strict mode, batch size).
    pub fn options(mut self, opts: RunOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Writes one JSON line per record to `out`; `path` names it in errors
    /// (`-` for stdout).
    pub fn output(mut self, out: &'a mut (dyn Write + Send), path: &'a Path) -> Self {
        self.out = Some((out, path));
        self
    }

    /// Hands every outcome to `sink` as well (sinks see each outcome in the
    /// order they were added).
    pub fn sink(mut self, sink: &'a mut dyn Sink) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Calls `f` after each batch.
    pub fn progress(mut self, f: impl FnMut(Progress) + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Takes a checkpoint every `every` records and at the end of the input
    /// ([`crate::io::resume`]): batches end at those records, the output is
    /// flushed and each sink's [`Sink::checkpoint`] called there, the
    /// engine's caches are cleared, and `hook` gets the state to keep.
    pub fn checkpoints(
        mut self,
        every: u64,
        hook: impl FnMut(CheckpointState<'_>) -> Result<()> + 'a,
    ) -> Self {
        self.checkpoints = Some(Checkpoints {
            every: every.max(1),
            hook: Box::new(hook),
        });
        self
    }

    /// Continues a run from a checkpoint: the source's first
    /// `from.records` records are skipped (an error unless they end at
    /// input byte `from.input_bytes`), and the counts start from
    /// `from.summary`. The output and the sinks must have been brought back
    /// to the checkpoint by the caller.
    pub fn resume(mut self, from: ResumeFrom) -> Self {
        self.resume = Some(from);
        self
    }

    /// Runs to the end of `source`. The first error of the source, the
    /// output or a sink stops the run and is returned (records before it
    /// are written); in strict mode so does the first record error.
    pub fn run(self, source: Box<dyn Source>) -> Result<Summary> {
        let Runner {
            engine,
            opts,
            out,
            mut sinks,
            mut progress,
            mut checkpoints,
            resume,
        } = self;
        run_inner(
            engine,
            source,
            out,
            &opts,
            &mut sinks,
            &mut |p| {
                if let Some(f) = progress.as_mut() {
                    f(p)
                }
            },
            checkpoints.as_mut(),
            resume,
        )
    }
}

/// What the analysis thread hands the writer thread.
enum ToWriter {
    /// Output lines.
    Lines(Vec<u8>),
    /// Flush, then answer with the bytes written so far.
    Sync(std::sync::mpsc::SyncSender<u64>),
}

/// Skips the first `from.records` items of `source`; an error unless they
/// end at input byte `from.input_bytes`.
fn skip_done(source: &mut dyn Source, from: &ResumeFrom) -> Result<()> {
    for n in 0..from.records {
        if source.next_item()?.is_none() {
            return Err(Error::Data(format!(
                "the input has {n} records, the checkpoint {} done: it is not the input \
                 of the interrupted run",
                from.records
            )));
        }
    }
    if source.bytes_read() != from.input_bytes {
        return Err(Error::Data(format!(
            "the input's first {} records end at byte {}, at the checkpoint they ended at \
             byte {}: the input changed since the interrupted run",
            from.records,
            source.bytes_read(),
            from.input_bytes
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn run_inner(
    engine: &Engine,
    mut source: Box<dyn Source>,
    out: Option<(&mut (dyn Write + Send), &Path)>,
    opts: &RunOptions,
    sinks: &mut [&mut dyn Sink],
    on_progress: &mut dyn FnMut(Progress),
    mut checkpoints: Option<&mut Checkpoints<'_>>,
    resume: Option<ResumeFrom>,
) -> Result<Summary> {
    let started = Instant::now();
    let batch_size = opts.batch_size.max(1);
    let keep = !sinks.is_empty();
    let lines = out.is_some();
    let out_path = out.as_ref().map(|(_, p)| p.to_path_buf());
    let every = checkpoints.as_ref().map(|c| c.every);
    let first = resume.as_ref().map_or(0, |r| r.records);
    let mut summary = resume
        .as_ref()
        .map(|r| r.summary.clone())
        .unwrap_or_default();
    let (tx, rx) = sync_channel::<Result<(Vec<RawItem>, u64)>>(2);
    let (wtx, wrx) = sync_channel::<ToWriter>(2);
    let result = std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            if let Some(from) = &resume {
                if let Err(e) = skip_done(source.as_mut(), from) {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
            let mut sent = first;
            loop {
                // A batch ends at the next checkpoint.
                let room = every.map_or(batch_size, |n| {
                    batch_size.min(usize::try_from(n - sent % n).unwrap_or(usize::MAX))
                });
                let mut batch = Vec::with_capacity(room);
                let mut bytes_in_batch = 0usize;
                let mut failed = None;
                let mut exhausted = false;
                while batch.len() < room && bytes_in_batch < MAX_BATCH_BYTES {
                    match source.next_item() {
                        Ok(Some(item)) => {
                            if let RawItem::Line { bytes, .. } = &item {
                                bytes_in_batch += bytes.len();
                            }
                            batch.push(item);
                        }
                        Ok(None) => {
                            exhausted = true;
                            break;
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                sent += batch.len() as u64;
                if !batch.is_empty() && tx.send(Ok((batch, source.bytes_read()))).is_err() {
                    return;
                }
                if let Some(e) = failed {
                    let _ = tx.send(Err(e));
                    return;
                }
                if exhausted {
                    return;
                }
            }
        });
        let writer = scope.spawn(move || -> std::io::Result<()> {
            let mut written = 0u64;
            let mut out = out.map(|(w, _)| w);
            for msg in wrx {
                match msg {
                    ToWriter::Lines(buf) => {
                        if let Some(w) = out.as_mut() {
                            w.write_all(&buf)?;
                            written += buf.len() as u64;
                        }
                    }
                    ToWriter::Sync(ack) => {
                        if let Some(w) = out.as_mut() {
                            w.flush()?;
                        }
                        let _ = ack.send(written);
                    }
                }
            }
            match out {
                Some(w) => w.flush(),
                None => Ok(()),
            }
        });
        // Brings the output and the sinks to the records done and hands the
        // hook their state; `false` when the writer has stopped (its error
        // is reported below).
        let mut checkpoint = |summary: &Summary,
                              bytes: u64,
                              complete: bool,
                              sinks: &mut [&mut dyn Sink]|
         -> Result<bool> {
            let Some(c) = checkpoints.as_mut() else {
                return Ok(true);
            };
            let (ack, answer) = sync_channel(1);
            if wtx.send(ToWriter::Sync(ack)).is_err() {
                return Ok(false);
            }
            let Ok(output_bytes) = answer.recv() else {
                return Ok(false);
            };
            let states = sinks
                .iter_mut()
                .map(|s| s.checkpoint())
                .collect::<Result<Vec<_>>>()?;
            (c.hook)(CheckpointState {
                records: summary.records,
                input_bytes: bytes,
                output_bytes,
                summary,
                sinks: states,
                complete,
            })?;
            if !complete {
                // What comes after a checkpoint is analyzed from the same
                // state whether or not the run was resumed there.
                engine.clear_caches();
            }
            Ok(true)
        };
        let consumed = (|| -> Result<()> {
            for msg in rx {
                let (batch, bytes) = msg?;
                let mut outcomes: Vec<Outcome> = engine.install(|| {
                    batch
                        .into_par_iter()
                        .map(|item| match item.into_record() {
                            Ok(record) => engine.outcome(&record),
                            Err(failure) => Outcome::Err(engine.redact_failure(failure)),
                        })
                        .collect()
                });
                engine.complete(&mut outcomes)?;
                let results: Vec<Processed> = engine.install(|| {
                    outcomes
                        .into_par_iter()
                        .map(|outcome| {
                            let json = if lines {
                                serialize(&outcome)
                            } else {
                                Vec::new()
                            };
                            let mut counts = Summary::default();
                            counts.add(&outcome);
                            let error = outcome.error().cloned();
                            Processed {
                                outcome: keep.then_some(outcome),
                                json,
                                counts,
                                error,
                            }
                        })
                        .collect()
                });
                let mut buf = Vec::with_capacity(results.iter().map(|r| r.json.len() + 1).sum());
                let mut stop: Option<Error> = None;
                for Processed {
                    outcome,
                    json,
                    counts,
                    error,
                } in &results
                {
                    if opts.strict {
                        if let Some(e) = error {
                            stop = Some(Error::Input(e.clone()));
                            break;
                        }
                    }
                    if lines {
                        buf.extend_from_slice(json);
                        buf.push(b'\n');
                    }
                    summary.merge(counts);
                    if let Some(o) = outcome {
                        if let Some(e) = sinks.iter_mut().find_map(|s| s.push(o).err()) {
                            stop = Some(e);
                            break;
                        }
                    }
                }
                // Dropping the results is real work; let the pool do it.
                engine.install(|| results.into_par_iter().for_each(drop));
                if wtx.send(ToWriter::Lines(buf)).is_err() {
                    // The writer stopped: its error is reported below.
                    return Ok(());
                }
                summary.bytes = bytes;
                on_progress(Progress {
                    bytes,
                    records: summary.records,
                });
                if let Some(e) = stop {
                    return Err(e);
                }
                if every.is_some_and(|n| summary.records % n == 0)
                    && !checkpoint(&summary, bytes, false, sinks)?
                {
                    return Ok(());
                }
            }
            if every.is_some() {
                checkpoint(&summary, summary.bytes, true, sinks)?;
            }
            Ok(())
        })();
        drop(wtx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the writer thread panicked")));
        consumed?;
        written.map_err(|e| Error::io(out_path.unwrap_or_default(), e))
    });
    result?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.records_per_second = if summary.seconds > 0.0 {
        summary.records as f64 / summary.seconds
    } else {
        0.0
    };
    summary.peak_rss_mb = peak_rss_mb();
    Ok(summary)
}

const MAX_BATCH_BYTES: usize = 8 << 20;

/// One record after the parallel part of a run.
struct Processed {
    /// Kept only when a callback wants to see it.
    outcome: Option<Outcome>,
    json: Vec<u8>,
    counts: Summary,
    error: Option<RecordError>,
}

fn serialize(outcome: &Outcome) -> Vec<u8> {
    serde_json::to_vec(outcome).unwrap_or_else(|e| {
        let line = outcome.line();
        let failure = Outcome::Err(crate::contract::output::Failure {
            id: crate::contract::record::RecordId::from_line(line),
            line,
            error: RecordError::new(
                crate::error::RecordErrorKind::InvalidValue,
                line,
                format!("the analysis could not be serialized: {e}"),
            ),
        });
        serde_json::to_vec(&failure).unwrap_or_default()
    })
}

/// Peak resident set size of this process in MB, from `/proc/self/status`.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::input::JsonlSource;
    use crate::io::sink::PointTally;

    fn source(lines: &str) -> Box<dyn Source> {
        Box::new(JsonlSource::new(
            std::io::Cursor::new(lines.as_bytes().to_vec()),
            "test.jsonl",
            1 << 20,
        ))
    }

    const INPUT: &str = "{\"id\": 1, \"text\": \"The app crashes.\"}\n\
                         not json\n\
                         {\"id\": 3, \"text\": \"Доставка быстрая.\"}\n";

    #[test]
    fn sinks_see_every_outcome_in_input_order_with_or_without_output() {
        let engine = Engine::builder().threads(2).build().unwrap();
        let mut lines = Vec::new();
        let mut seen = Vec::new();
        let mut record = |o: &Outcome| -> Result<()> {
            seen.push((o.line(), o.analysis().is_some()));
            Ok(())
        };
        let mut points = PointTally::default();
        let summary = Runner::new(&engine)
            .output(&mut lines, Path::new("out.jsonl"))
            .sink(&mut record)
            .sink(&mut points)
            .run(source(INPUT))
            .unwrap();
        assert_eq!(seen, vec![(1, true), (2, false), (3, true)]);
        assert_eq!((summary.records, summary.analyzed), (3, 2));
        assert_eq!(String::from_utf8(lines).unwrap().lines().count(), 3);
        assert_eq!((points.records, points.coded), (2, 0));

        // Without an output nothing is serialized, the sinks see the same.
        let mut again = Vec::new();
        let mut record = |o: &Outcome| -> Result<()> {
            again.push((o.line(), o.analysis().is_some()));
            Ok(())
        };
        let summary = Runner::new(&engine)
            .sink(&mut record)
            .run(source(INPUT))
            .unwrap();
        assert_eq!(again, seen);
        assert_eq!(summary.records, 3);
    }

    #[test]
    fn a_sink_error_stops_the_run_and_is_returned() {
        let engine = Engine::new().unwrap();
        let mut lines = Vec::new();
        let mut calls = 0;
        let mut failing = |o: &Outcome| -> Result<()> {
            calls += 1;
            if o.line() == 2 {
                return Err(Error::Config("sink full".into()));
            }
            Ok(())
        };
        let err = Runner::new(&engine)
            .output(&mut lines, Path::new("out.jsonl"))
            .sink(&mut failing)
            .run(source(INPUT))
            .unwrap_err();
        assert!(err.to_string().contains("sink full"), "{err}");
        assert_eq!(calls, 2);
        // The lines up to the failing record are written, none after it.
        assert_eq!(String::from_utf8(lines).unwrap().lines().count(), 2);
    }

    #[test]
    fn strict_mode_stops_at_the_first_bad_record() {
        let engine = Engine::new().unwrap();
        let mut lines = Vec::new();
        let err = Runner::new(&engine)
            .options(RunOptions {
                strict: true,
                ..RunOptions::default()
            })
            .output(&mut lines, Path::new("out.jsonl"))
            .run(source(INPUT))
            .unwrap_err();
        assert!(matches!(err, Error::Input(_)), "{err}");
        assert_eq!(String::from_utf8(lines).unwrap().lines().count(), 1);
    }
}
