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
//! The last checkpoint of a run (`complete`) is written when the input is
//! exhausted, before the store is finished; a run killed while finishing
//! resumes by finishing. The checkpoint file is removed once everything is
//! written.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::run::Summary;

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
