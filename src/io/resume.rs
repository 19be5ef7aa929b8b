//! Resumable runs: checkpoints of a streaming run, so that a batch job
//! killed at any moment (`kill -9`, a lost machine) continues where it was
//! with `vocmine analyze --resume` and ends with exactly the files an
//! uninterrupted run writes.
//!
//! Every `every` records (default [`DEFAULT_CHECKPOINT_RECORDS`]) the
//! [`crate::io::run::Runner`] cuts its batches, brings the output and every
//! sink to that record (the output flushed, the alert stream flushed, the
//! store's part file closed and renamed, see [`crate::io::store`]) and hands
//! a [`CheckpointState`] to its hook, which writes a [`Checkpoint`] file
//! atomically (a temporary name, then a rename). What a run writes after its
//! last checkpoint is undone on resume: the output and alert files are cut
//! back to their lengths at the checkpoint, store parts after it are
//! deleted, the input's first records are skipped (checking that the input
//! still has the same bytes before the checkpoint's position), and the
//! counts of the summary and the sinks continue from the checkpoint's. The
//! encoder's result cache is cleared at each checkpoint, so the records
//! after a checkpoint are analyzed in the same batches with the same state
//! whether or not the run was interrupted there.
//!
//! [`AnalyzeJob`] is such a run with its files (what `vocmine analyze` and
//! Python's `Engine.analyze_file` run).
//!
//! The last checkpoint of a run (`complete`) is written when the input is
//! exhausted, before the store is finished; a run killed while finishing
//! resumes by finishing. The checkpoint file is removed once everything is
//! written.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::io::input::Source;
use crate::io::run::{Progress, RunOptions, Runner, Summary};
use crate::io::sink::{create_file, AnalyzeSinks, AnalyzeTally};

/// Records between two checkpoints unless a run says otherwise.
pub const DEFAULT_CHECKPOINT_RECORDS: u64 = 65_536;

/// Format version of a checkpoint file.
pub const CHECKPOINT_VERSION: u32 = 1;

/// What a run's hook gets at a checkpoint: everything up to `records` is
/// written and flushed.
#[derive(Debug)]
pub struct CheckpointState<'a> {
    /// Records done (output lines written), from the start of the input.
    pub records: u64,
    /// Input bytes read up to the end of the last record done.
    pub input_bytes: u64,
    /// Bytes of output written by this run (not counting what a resumed run
    /// started after).
    pub output_bytes: u64,
    /// The counts of the run so far (from the start of the input).
    pub summary: &'a Summary,
    /// Each sink's state ([`crate::io::sink::Sink::checkpoint`]), in the
    /// order the sinks were given.
    pub sinks: Vec<serde_json::Value>,
    /// The input is exhausted: this is the run's last checkpoint.
    pub complete: bool,
}

/// Where a resumed run starts: after `records` records that ended at input
/// byte `input_bytes`, with the counts of `summary`.
#[derive(Debug, Clone)]
pub struct ResumeFrom {
    /// Records done before.
    pub records: u64,
    /// Input bytes read up to the end of those records.
    pub input_bytes: u64,
    /// Their counts.
    pub summary: Summary,
}

/// A checkpoint file: what a run had written when it was taken, and the
/// command that ran (a resumed run must be the same command).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Always `vocmine-checkpoint`.
    pub format: String,
    /// [`CHECKPOINT_VERSION`].
    pub version: u32,
    /// The vocmine version that wrote it.
    pub vocmine: String,
    /// The command's arguments (without `--resume`).
    pub command: Vec<String>,
    /// Records done.
    pub records: u64,
    /// Input bytes read up to the end of those records.
    pub input_bytes: u64,
    /// Length of the output file at the checkpoint.
    pub output_bytes: u64,
    /// The input was exhausted: only finishing the sinks was left.
    pub complete: bool,
    /// The counts of the run so far.
    pub summary: Summary,
    /// Each sink's state, in the order of the run's sinks.
    pub sinks: Vec<serde_json::Value>,
}

impl Checkpoint {
    /// A checkpoint of `command` from the state a run handed its hook, its
    /// output having had `output_offset` bytes when the run started.
    pub fn new(command: Vec<String>, st: CheckpointState<'_>, output_offset: u64) -> Checkpoint {
        Checkpoint {
            format: "vocmine-checkpoint".into(),
            version: CHECKPOINT_VERSION,
            vocmine: env!("CARGO_PKG_VERSION").into(),
            command,
            records: st.records,
            input_bytes: st.input_bytes,
            output_bytes: output_offset + st.output_bytes,
            complete: st.complete,
            summary: st.summary.clone(),
            sinks: st.sinks,
        }
    }

    /// Reads the checkpoint at `path`; `None` when there is none.
    pub fn read(path: &Path) -> Result<Option<Checkpoint>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let bad = |message: String| Error::Resource {
            path: path.to_owned(),
            line: 0,
            message,
        };
        let ck: Checkpoint = serde_json::from_str(&text).map_err(|e| Error::Resource {
            path: path.to_owned(),
            line: e.line() as u64,
            message: format!("invalid checkpoint: {e}"),
        })?;
        if ck.format != "vocmine-checkpoint" || ck.version != CHECKPOINT_VERSION {
            return Err(bad(format!(
                "not a vocmine checkpoint of version {CHECKPOINT_VERSION} (format `{}`, version {})",
                ck.format, ck.version
            )));
        }
        if ck.vocmine != env!("CARGO_PKG_VERSION") {
            return Err(bad(format!(
                "written by vocmine {}, this is {}: run the job again without --resume",
                ck.vocmine,
                env!("CARGO_PKG_VERSION")
            )));
        }
        Ok(Some(ck))
    }

    /// Writes the checkpoint atomically: to a temporary file beside `path`,
    /// then renamed over it.
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string(self)?;
        write_atomic(path, json.as_bytes())
    }

    /// An error unless the checkpoint was written by `command`.
    pub fn check_command(&self, command: &[String], path: &Path) -> Result<()> {
        if self.command == command {
            return Ok(());
        }
        Err(Error::Resource {
            path: path.to_owned(),
            line: 0,
            message: format!(
                "the interrupted run was `{}`, not `{}`: resume it with the same arguments \
                 (or run without --resume to start again)",
                self.command.join(" "),
                command.join(" ")
            ),
        })
    }

    /// Where the resumed run starts.
    pub fn resume_from(&self) -> ResumeFrom {
        ResumeFrom {
            records: self.records,
            input_bytes: self.input_bytes,
            summary: self.summary.clone(),
        }
    }
}

/// An analysis job that writes files — its output lines, optionally an
/// alerts file and a store — and can be resumed: what `vocmine analyze`
/// and Python's `Engine.analyze_file` run. The job takes a checkpoint every
/// [`AnalyzeJob::checkpoint_every`] records when it writes a store (the
/// checkpoint in the store's `.partial` folder) or an output file
/// (`OUT.checkpoint.json`); with standard output or a device and no store
/// there is nothing to resume into and no checkpoints are taken.
///
/// ```no_run
/// # use vocmine::{Engine, io::{input, resume::AnalyzeJob}};
/// # fn main() -> vocmine::Result<()> {
/// let engine = Engine::new()?;
/// let job = AnalyzeJob::new(&engine, "out.jsonl").store(Some("store".into()));
/// let from = job.last_checkpoint()?; // None: from the first record
/// let source = input::open("in.jsonl".as_ref(), input::InputFormat::Jsonl, &Default::default())?;
/// let (summary, tally) = job.run(source, from, &mut |_| {})?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AnalyzeJob<'a> {
    engine: &'a Engine,
    output: PathBuf,
    alerts: Option<PathBuf>,
    store: Option<PathBuf>,
    options: RunOptions,
    every: u64,
    command: Vec<String>,
}

impl<'a> AnalyzeJob<'a> {
    /// A job of `engine` writing its output lines to `output` (`-`:
    /// standard output), checkpoints every [`DEFAULT_CHECKPOINT_RECORDS`].
    pub fn new(engine: &'a Engine, output: impl Into<PathBuf>) -> Self {
        AnalyzeJob {
            engine,
            output: output.into(),
            alerts: None,
            store: None,
            options: RunOptions::default(),
            every: DEFAULT_CHECKPOINT_RECORDS,
            command: Vec::new(),
        }
    }

    /// Writes the alerts of the engine's rules to this file.
    pub fn alerts(mut self, path: Option<PathBuf>) -> Self {
        self.alerts = path;
        self
    }

    /// Keeps the results in a store in this directory.
    pub fn store(mut self, dir: Option<PathBuf>) -> Self {
        self.store = dir;
        self
    }

    /// The run's options (strict mode, batch size).
    pub fn options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// Records between two checkpoints (at least 1).
    pub fn checkpoint_every(mut self, n: u64) -> Self {
        self.every = n.max(1);
        self
    }

    /// What identifies the job (the command line): a checkpoint of another
    /// command is refused.
    pub fn command(mut self, command: Vec<String>) -> Self {
        self.command = command;
        self
    }

    /// Where the job's checkpoints go (`None`: it takes none).
    pub fn checkpoint_path(&self) -> Option<PathBuf> {
        #[cfg(feature = "store")]
        if let Some(dir) = &self.store {
            return Some(
                dir.join(crate::io::store::PARTIAL_DIR)
                    .join(crate::io::store::CHECKPOINT_FILE),
            );
        }
        if self.output.as_os_str() == "-" {
            return None;
        }
        match std::fs::metadata(&self.output) {
            Ok(m) if !m.is_file() => None,
            _ => {
                let mut p = self.output.clone().into_os_string();
                p.push(".checkpoint.json");
                Some(PathBuf::from(p))
            }
        }
    }

    /// The checkpoint an interrupted run of this job left (`None`: there is
    /// none, the job starts from the first record); an error when the job
    /// takes no checkpoints or the checkpoint is of another command.
    pub fn last_checkpoint(&self) -> Result<Option<Checkpoint>> {
        let Some(path) = self.checkpoint_path() else {
            return Err(Error::Config(
                "--resume needs an output file (-o FILE) or a store (--store DIR) to continue"
                    .into(),
            ));
        };
        let ck = Checkpoint::read(&path)?;
        if let Some(ck) = &ck {
            ck.check_command(&self.command, &path)?;
        }
        Ok(ck)
    }

    /// Runs the job over `source`, from its first record or, with `from`,
    /// after that checkpoint (the output and alerts files cut back to it,
    /// later store parts removed, the records done skipped); `progress` is
    /// called after each batch. Returns the summary of the whole input and
    /// what the sinks wrote; the checkpoint file is removed at the end.
    pub fn run(
        &self,
        source: Box<dyn Source>,
        from: Option<Checkpoint>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Summary, AnalyzeTally)> {
        let ck_path = self.checkpoint_path();
        let (mut out, offset): (Box<dyn Write + Send>, u64) = match &from {
            Some(ck) if self.output.as_os_str() != "-" => (
                reopen_buffered(&self.output, ck.output_bytes)?,
                ck.output_bytes,
            ),
            _ => (create_file(&self.output)?, 0),
        };
        let (alerts, store) = (self.alerts.as_deref(), self.store.as_deref());
        // a store keeps the embeddings: computed whatever the engine's setting
        let with_embeddings;
        let engine = if store.is_some() && !self.engine.computes_embeddings() {
            with_embeddings = self
                .engine
                .with_embeddings(crate::neural::stage::Embeddings::Always);
            &with_embeddings
        } else {
            self.engine
        };
        let mut sinks = match &from {
            Some(ck) => AnalyzeSinks::resume(engine, alerts, store, &ck.sinks)?,
            None => AnalyzeSinks::create(engine, alerts, store)?,
        };
        if let (Some(p), None) = (&ck_path, &from) {
            // A stale checkpoint beside an output file belongs to another run.
            remove_if_there(p)?;
        }
        let summary = match &from {
            Some(ck) if ck.complete => ck.summary.clone(),
            _ => {
                let mut sinks_v = sinks.sinks();
                let mut r = Runner::new(engine)
                    .options(self.options.clone())
                    .output(&mut *out, &self.output)
                    .progress(progress);
                for s in sinks_v.iter_mut() {
                    r = r.sink(&mut **s);
                }
                if let Some(p) = &ck_path {
                    let command = &self.command;
                    r = r.checkpoints(self.every, move |st| {
                        Checkpoint::new(command.clone(), st, offset).write(p)
                    });
                }
                if let Some(ck) = &from {
                    r = r.resume(ck.resume_from());
                }
                r.run(source)?
            }
        };
        drop(out);
        let tally = sinks.finish()?;
        if let Some(p) = &ck_path {
            // Everything is written: nothing is left to resume.
            remove_if_there(p)?;
        }
        Ok((summary, tally))
    }
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, so that `path` holds either its old or its new content.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// `dir/name` → `dir/.name.tmp`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Opens an existing file to continue writing it after its first `len`
/// bytes (what a checkpoint recorded): anything after them is cut off.
/// Files that are not regular files (`/dev/null`, a pipe) are opened for
/// writing as they are. An error when the file is shorter than `len` (it
/// was changed or lost since the checkpoint).
pub fn reopen_at(path: &Path, len: u64) -> Result<File> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let meta = f.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Ok(f);
    }
    if meta.len() < len {
        return Err(Error::Resource {
            path: path.to_owned(),
            line: 0,
            message: format!(
                "has {} bytes, fewer than the {len} the checkpoint recorded: it was changed \
                 since; run the job again without --resume",
                meta.len()
            ),
        });
    }
    f.set_len(len).map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::Start(len))
        .map_err(|e| Error::io(path, e))?;
    Ok(f)
}

/// [`reopen_at`] through the same 1 MiB buffer as
/// [`crate::io::sink::create_file`].
pub fn reopen_buffered(path: &Path, len: u64) -> Result<Box<dyn Write + Send>> {
    Ok(Box::new(BufWriter::with_capacity(
        1 << 20,
        reopen_at(path, len)?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_with_its_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.json");
        assert!(Checkpoint::read(&path).unwrap().is_none());
        let mut summary = Summary {
            records: 7,
            ..Summary::default()
        };
        summary.languages.insert("zh", 5);
        summary.errors.insert("invalid_json", 2);
        let st = CheckpointState {
            records: 7,
            input_bytes: 300,
            output_bytes: 900,
            summary: &summary,
            sinks: vec![serde_json::json!({"parts": 1})],
            complete: false,
        };
        let ck = Checkpoint::new(vec!["analyze".into(), "in.jsonl".into()], st, 100);
        ck.write(&path).unwrap();
        assert!(!tmp_path(&path).exists());
        let back = Checkpoint::read(&path).unwrap().unwrap();
        assert_eq!(back.output_bytes, 1000);
        assert_eq!(back.summary.languages.get("zh"), Some(&5));
        assert_eq!(back.summary.errors.get("invalid_json"), Some(&2));
        assert!(back
            .check_command(&["analyze".into(), "in.jsonl".into()], &path)
            .is_ok());
        let err = back
            .check_command(&["analyze".into(), "other.jsonl".into()], &path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("other.jsonl") && err.contains("ck.json"),
            "{err}"
        );
    }

    #[test]
    fn reopening_cuts_what_came_after_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "line 1\nline 2\npartial").unwrap();
        {
            use std::io::Write;
            let mut f = reopen_at(&path, 14).unwrap();
            f.write_all(b"line 3\n").unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "line 1\nline 2\nline 3\n"
        );
        let err = reopen_at(&path, 1_000).unwrap_err().to_string();
        assert!(err.contains("out.jsonl") && err.contains("1000"), "{err}");
    }

    #[test]
    fn a_broken_checkpoint_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.json");
        std::fs::write(&path, "{\"format\": ").unwrap();
        let err = Checkpoint::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("ck.json") && err.contains("checkpoint"),
            "{err}"
        );
    }
}
