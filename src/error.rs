//! One error type for the whole crate, plus the per-record error that is
//! written into the output instead of stopping a run.
//!
//! Two kinds of failure exist in vocmine:
//!
//! * [`Error`]: something that stops an operation (a file that cannot be
//!   opened, an invalid configuration, a record that fails in `--strict`
//!   mode). Every variant names *what* went wrong and *where*.
//! * [`RecordError`]: a problem with one input record (invalid JSON, invalid
//!   UTF-8, a missing text, ...). It is serialized into that record's output
//!   line so that nothing is lost and the run goes on.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error an operation of this crate can return.
///
/// Each variant maps to its own exception class in the Python binding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file that could not be read or written (`-` for stdin/stdout).
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A record was invalid and the run was in strict mode.
    #[error("{0}")]
    Input(RecordError),
    /// An option or builder setting is invalid (e.g. an unknown language code).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A configuration file (a codebook, alert rules, conversation cues, a
    /// user dictionary, gold labels) could not be read as one.
    #[error("{path}:{line}: {message}")]
    Resource {
        /// The file that failed.
        path: PathBuf,
        /// 1-based line number of the problem (0 when unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A configuration file (a codebook, alert rules, conversation cues) that
    /// is not valid YAML or does not have the file's shape, with the YAML
    /// parser's error as `source()`.
    #[error("{path}:{line}: invalid {what}: {source}")]
    Yaml {
        /// The file that failed.
        path: PathBuf,
        /// 1-based line of the problem (0 when the parser gives none).
        line: u64,
        /// What the file should have been (`codebook YAML`, ...).
        what: &'static str,
        /// The parser's error.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// Data that does not fit together: embeddings of different dimensions,
    /// a store analyzed with another encoder, items without the vectors an
    /// operation needs. The options are fine; the inputs disagree.
    #[error("invalid data: {0}")]
    Data(String),
    /// A Parquet file of a store or an Arrow batch could not be read or
    /// written, or does not have the shape vocmine writes.
    #[error("{what}: {source}")]
    Table {
        /// The file (or, for an in-memory batch, what it holds).
        what: String,
        /// The Parquet or Arrow error, or what is wrong with the table.
        #[source]
        source: TableError,
    },
    /// A model directory, file or the ONNX Runtime library is missing or
    /// cannot be loaded; the message names the set-up command.
    #[error("{path}: {message}")]
    ModelNotFound {
        /// The missing or broken path.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Inference failed at run time.
    #[error("model error: {message}")]
    Model {
        /// What failed.
        message: String,
        /// The underlying error (ONNX Runtime, the tokenizer), when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Output could not be serialized.
    #[error("serialization failed: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// Why a Parquet file or an Arrow batch failed, with the library's own
/// error as the source where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The Parquet reader or writer failed.
    #[cfg(feature = "store")]
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// An Arrow operation (a cast, a batch, IPC) failed.
    #[cfg(feature = "store")]
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// The table is readable but not what vocmine writes (a missing column,
    /// a wrong type, rows out of order).
    #[error("{0}")]
    Shape(String),
}

impl From<String> for TableError {
    fn from(m: String) -> Self {
        TableError::Shape(m)
    }
}

impl From<&str> for TableError {
    fn from(m: &str) -> Self {
        TableError::Shape(m.to_owned())
    }
}

/// The error for the problems found in a configuration file (a codebook,
/// alert rules): the first problem's line, and every problem on a line of
/// its own under "N problems in the WHAT:" when there are several.
pub(crate) fn problems_error<P: fmt::Display>(
    path: &std::path::Path,
    what: &str,
    problems: &[P],
    line_of: impl Fn(&P) -> u64,
) -> Error {
    let line = problems.first().map(&line_of).unwrap_or(0);
    let message = match problems {
        [one] => one.to_string(),
        _ => {
            let mut m = format!("{} problems in the {what}:", problems.len());
            for p in problems {
                m.push_str("\n  ");
                m.push_str(&p.to_string());
            }
            m
        }
    };
    Error::Resource {
        path: path.to_owned(),
        line,
        message,
    }
}

impl Error {
    /// The error of a YAML file that does not parse as `what`.
    pub fn yaml(
        path: impl Into<PathBuf>,
        what: &'static str,
        source: serde_yaml_ng::Error,
    ) -> Error {
        Error::Yaml {
            path: path.into(),
            line: source.location().map(|l| l.line() as u64).unwrap_or(0),
            what,
            source,
        }
    }

    /// A model error without an underlying error.
    pub fn model(message: impl Into<String>) -> Self {
        Error::Model {
            message: message.into(),
            source: None,
        }
    }

    /// A model error caused by `source` (kept as the error's source).
    pub fn model_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Model {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A table error of the file or batch `what`.
    pub fn table(what: impl std::fmt::Display, source: impl Into<TableError>) -> Self {
        Error::Table {
            what: what.to_string(),
            source: source.into(),
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why one input record could not be analyzed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RecordErrorKind {
    /// The line is not valid JSON, or not a JSON object.
    InvalidJson,
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// Neither `text` nor `turns` is present (or a turn has no `text`).
    MissingText,
    /// A required field other than the text is absent (e.g. a turn's `speaker`).
    MissingField,
    /// A field has the wrong JSON type (e.g. `text` is a number).
    WrongType,
    /// The text (or every turn's text) is empty or whitespace only.
    EmptyText,
    /// The record is larger than the configured limit (1 MiB by default).
    TooLarge,
    /// A CSV row could not be parsed.
    InvalidCsv,
    /// A field has a value outside its allowed range or format.
    InvalidValue,
}

impl RecordErrorKind {
    /// All kinds, in a stable order (used by summaries).
    pub const ALL: [RecordErrorKind; 9] = [
        RecordErrorKind::InvalidJson,
        RecordErrorKind::InvalidUtf8,
        RecordErrorKind::MissingText,
        RecordErrorKind::MissingField,
        RecordErrorKind::WrongType,
        RecordErrorKind::EmptyText,
        RecordErrorKind::TooLarge,
        RecordErrorKind::InvalidCsv,
        RecordErrorKind::InvalidValue,
    ];

    /// The snake_case name used in the output (`invalid_json`, ...).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A problem with one input record: what, where, and why.
///
/// Serialized as the `error` object (or an entry of `warnings`) of that
/// record's output line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    /// The category of the problem.
    pub kind: RecordErrorKind,
    /// 1-based line number in the input file (for CSV: the line the row starts on).
    pub line: u64,
    /// The JSON field at fault, as a path (`text`, `turns[2].speaker`, `scores.nps`), when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    /// A human-readable reason.
    pub message: String,
}

impl RecordError {
    /// Creates a record error.
    pub fn new(kind: RecordErrorKind, line: u64, message: impl Into<String>) -> Self {
        RecordError {
            kind,
            line,
            field: None,
            message: message.into(),
        }
    }

    /// Sets the field path at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)?;
        if let Some(field) = &self.field {
            write!(f, " in `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RecordError {}
