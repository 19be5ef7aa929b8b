//! Python bindings for vocmine (PyO3). All logic lives in the core crate;
//! this crate only converts between Python and Rust:
//!
//! * Python records (str, dict, any JSON-like value) → `serde_json::Value` →
//!   [`vocmine::Record::from_map`], so that bad records fail exactly as in
//!   the CLI;
//! * [`vocmine::Outcome`] → the CLI's JSON line (`serde_json`) → `json.loads`,
//!   so that Python sees exactly the CLI's output;
//! * clause rows as columns for pandas / pyarrow, embeddings as raw float32
//!   bytes for NumPy;
//! * [`vocmine::Error`] → one exception class per variant.
//!
//! The user-facing API (`vocmine.Engine`, chunking, progress, DataFrames)
//! is in the Python package `python/vocmine/`, on top of this module.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde_json::{Map, Number, Value};
use vocmine::contract::output::Failure;
use vocmine::corpus::analytics::{
    compare_report, metrics_report, Dataset, DateRange, MetricsOptions, Period,
};
use vocmine::error::RecordErrorKind;
use vocmine::neural::encoder::Encoder;
use vocmine::{Error, Outcome, Record, RecordError, RecordId, Role};

mod cluster;

create_exception!(
    vocmine,
    VocmineError,
    PyException,
    "Base class of every vocmine error."
);
create_exception!(
    vocmine,
    InputError,
    VocmineError,
    "A record was invalid and the call was strict (`strict=True`)."
);
create_exception!(
    vocmine,
    ConfigError,
    VocmineError,
    "An option is invalid (an unknown language code, zero threads, ...)."
);
create_exception!(
    vocmine,
    ResourceError,
    VocmineError,
    "A user dictionary or another auxiliary resource could not be parsed."
);
create_exception!(
    vocmine,
    DataError,
    VocmineError,
    "Inputs that do not fit together (embeddings of different dimensions, a store analyzed with another encoder)."
);
create_exception!(
    vocmine,
    TableError,
    VocmineError,
    "A Parquet file of a store or an Arrow batch could not be read or written, or has another shape than vocmine's."
);
create_exception!(
    vocmine,
    ModelNotFoundError,
    VocmineError,
    "A model directory, model file or the ONNX Runtime library is missing, or the engine has no model."
);
create_exception!(
    vocmine,
    ModelError,
    VocmineError,
    "Inference (or loading ONNX Runtime) failed at run time."
);
create_exception!(
    vocmine,
    VocmineIOError,
    VocmineError,
    "Reading or writing a file failed."
);
create_exception!(
    vocmine,
    SerializationError,
    VocmineError,
    "Output could not be serialized."
);

/// Converts a core error into its Python exception (same message as the CLI
/// prints after `vocmine: error: `), with the structured parts as attributes.
fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    let (err, attrs): (PyErr, Vec<(&str, Py<PyAny>)>) = match &e {
        Error::Io { path, .. } => (
            VocmineIOError::new_err(msg),
            vec![("path", path_obj(py, path))],
        ),
        Error::Input(re) => {
            let field = match &re.field {
                Some(f) => f.into_pyobject(py).map(|b| b.into_any().unbind()).ok(),
                None => None,
            }
            .unwrap_or_else(|| py.None());
            (
                InputError::new_err(msg),
                vec![
                    ("kind", str_obj(py, re.kind.as_str())),
                    ("line", int_obj(py, re.line)),
                    ("field", field),
                    ("reason", str_obj(py, &re.message)),
                ],
            )
        }
        Error::Config(_) => (ConfigError::new_err(msg), vec![]),
        Error::Resource { path, line, .. } | Error::Yaml { path, line, .. } => (
            ResourceError::new_err(msg),
            vec![("path", path_obj(py, path)), ("line", int_obj(py, *line))],
        ),
        Error::Data(_) => (DataError::new_err(msg), vec![]),
        Error::Table { what, .. } => (TableError::new_err(msg), vec![("what", str_obj(py, what))]),
        Error::ModelNotFound { path, .. } => (
            ModelNotFoundError::new_err(msg),
            vec![("path", path_obj(py, path))],
        ),
        Error::Model { .. } => (ModelError::new_err(msg), vec![]),
        Error::Serialize(_) => (SerializationError::new_err(msg), vec![]),
        _ => (VocmineError::new_err(msg), vec![]),
    };
    let value = err.value(py);
    for (name, v) in attrs {
        let _ = value.setattr(name, v);
    }
    err
}

fn str_obj(py: Python<'_>, s: &str) -> Py<PyAny> {
    PyString::new(py, s).into_any().unbind()
}

fn int_obj(py: Python<'_>, n: u64) -> Py<PyAny> {
    n.into_pyobject(py)
        .map(|b| b.into_any().unbind())
        .unwrap_or_else(|_| py.None())
}

fn path_obj(py: Python<'_>, p: &Path) -> Py<PyAny> {
    str_obj(py, &p.to_string_lossy())
}

/// Runs core work without the GIL and turns a panic into a `VocmineError`
/// (no Rust panic reaches Python).
fn guarded<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f)))
        .map_err(|p| {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            VocmineError::new_err(format!("internal error (please report): {what}"))
        })
}

/// Maximum nesting of a converted Python value (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// A Python value that has no JSON form.
struct Unconvertible {
    field: String,
    type_name: String,
    /// A `str` that is not valid Unicode (lone surrogates).
    utf8: bool,
}

/// Converts a Python value to JSON the way `json.dumps` would see it, plus
/// what data-frame rows carry: NaN, None, `pd.NA` and `pd.NaT` become null;
/// `datetime`/`date`/`Timestamp` become ISO 8601 text; NumPy scalars and
/// arrays become their Python values.
fn to_value(obj: &Bound<'_, PyAny>, path: &str, depth: usize) -> Result<Value, Unconvertible> {
    let fail = || Unconvertible {
        field: if path.is_empty() {
            "(record)".into()
        } else {
            path.to_owned()
        },
        type_name: obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into()),
        utf8: false,
    };
    if depth > MAX_DEPTH {
        return Err(fail());
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| Unconvertible {
                utf8: true,
                ..fail()
            });
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        // Beyond 64 bits: a float, as serde_json reads such a JSON number.
        return obj
            .extract::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(fail);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Number::from_f64(f.value())
            .map(Value::Number)
            .unwrap_or(Value::Null));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => s.to_cow().map_err(|_| fail())?.into_owned(),
                Err(_) => k.str().map_err(|_| fail())?.to_string(),
            };
            let sub = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            map.insert(key, to_value(&v, &sub, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter().map_err(|_| fail())?.enumerate() {
            let item = item.map_err(|_| fail())?;
            out.push(to_value(&item, &format!("{path}[{i}]"), depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    if type_name == "NAType" || type_name == "NaTType" {
        return Ok(Value::Null);
    }
    // NumPy scalars (`item`), arrays (`tolist`), dates and times (`isoformat`);
    // mappings other than dict.
    for method in ["item", "tolist", "isoformat"] {
        if obj.hasattr(method).unwrap_or(false) {
            if let Ok(v) = obj.call_method0(method) {
                if !v.is(obj) {
                    return to_value(&v, path, depth + 1);
                }
            }
        }
    }
    if obj.hasattr("keys").unwrap_or(false) {
        if let Ok(items) = obj
            .py()
            .get_type::<PyDict>()
            .call1((obj,))
            .and_then(|d| d.cast_into::<PyDict>().map_err(PyErr::from))
        {
            return to_value(items.as_any(), path, depth + 1);
        }
    }
    Err(fail())
}

/// One input item, converted with the GIL held: either JSON (a record
/// object, or another JSON value that becomes an `invalid_json` failure as
/// in the CLI) or a conversion failure.
enum Item {
    Value(Value),
    Failed {
        id: Option<RecordId>,
        error: Unconvertible,
    },
}

fn convert_item(obj: &Bound<'_, PyAny>) -> Item {
    if obj.cast::<PyString>().is_ok() {
        // A bare string is the text of a record without an id.
        return match to_value(obj, "text", 0) {
            Ok(text) => {
                let mut map = Map::new();
                map.insert("text".into(), text);
                Item::Value(Value::Object(map))
            }
            Err(error) => Item::Failed { id: None, error },
        };
    }
    match to_value(obj, "", 0) {
        Ok(v) => Item::Value(v),
        Err(error) => {
            // Keep the record's own id when it can be read.
            let id = obj
                .cast::<PyDict>()
                .ok()
                .and_then(|d| d.get_item("id").ok().flatten())
                .and_then(|v| to_value(&v, "id", 0).ok())
                .and_then(|v| match v {
                    Value::String(s) => Some(RecordId::Str(s)),
                    Value::Number(n) => Some(RecordId::Num(n)),
                    _ => None,
                });
            Item::Failed { id, error }
        }
    }
}

/// Counts the bytes written to it and fails once past a limit (the
/// serialized size of a record, without writing it anywhere or going on
/// past the limit).
struct Measure {
    bytes: usize,
    limit: usize,
}

impl std::io::Write for Measure {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len();
        if self.bytes > self.limit {
            return Err(std::io::Error::other("over the limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Parses one converted item into a record, exactly as a JSON Lines line.
fn parse_item(item: Item, line: u64, limit: usize) -> Result<Record, Failure> {
    if let Item::Value(v) = &item {
        let mut m = Measure { bytes: 0, limit };
        if serde_json::to_writer(&mut m, v).is_err() {
            let id = match v.get("id") {
                Some(Value::String(s)) => RecordId::Str(s.clone()),
                Some(Value::Number(n)) => RecordId::Num(n.clone()),
                _ => RecordId::from_line(line),
            };
            return Err(Failure {
                id,
                line,
                error: RecordError::new(
                    RecordErrorKind::TooLarge,
                    line,
                    format!("the record has more than the limit of {limit} bytes (as JSON)"),
                ),
            });
        }
    }
    match item {
        Item::Value(Value::Object(map)) => Record::from_map(map, line),
        // Not an object: the CLI's message for such a line.
        Item::Value(other) => {
            let text = serde_json::to_string(&other).unwrap_or_default();
            Record::from_json_str(&text, line)
        }
        Item::Failed { id, error } => Err(Failure {
            id: id.unwrap_or_else(|| RecordId::from_line(line)),
            line,
            error: if error.utf8 {
                RecordError::new(
                    RecordErrorKind::InvalidUtf8,
                    line,
                    "the string is not valid Unicode (lone surrogates)",
                )
            } else {
                RecordError::new(
                    RecordErrorKind::WrongType,
                    line,
                    format!(
                        "a Python `{}` has no JSON form (use str, int, float, bool, None, list or dict)",
                        error.type_name
                    ),
                )
            }
            .with_field(error.field),
        }),
    }
}

fn convert_all(items: &Bound<'_, PyAny>) -> PyResult<Vec<Item>> {
    let mut out = Vec::new();
    for item in items.try_iter()? {
        out.push(convert_item(&item?));
    }
    Ok(out)
}

/// The analysis engine (native part). Use `vocmine.Engine`.
#[pyclass(frozen, module = "vocmine._vocmine", name = "Engine")]
struct PyEngine {
    engine: vocmine::Engine,
    encoder: Option<Encoder>,
    model_dir: Option<PathBuf>,
    /// Records over this many bytes of JSON become `too_large` failures.
    max_record_bytes: usize,
}

impl PyEngine {
    /// Parses and analyzes a chunk without the GIL; `strict` turns the first
    /// record failure into `InputError` (after nothing is returned).
    fn run_chunk(
        &self,
        py: Python<'_>,
        items: Vec<Item>,
        start_line: u64,
        strict: bool,
    ) -> PyResult<Vec<Outcome>> {
        self.run_chunk_on(&self.engine, py, items, start_line, strict)
    }

    /// [`PyEngine::run_chunk`] on `engine` (this engine or a variant of it).
    pub(crate) fn run_chunk_on(
        &self,
        engine: &vocmine::Engine,
        py: Python<'_>,
        items: Vec<Item>,
        start_line: u64,
        strict: bool,
    ) -> PyResult<Vec<Outcome>> {
        let limit = self.max_record_bytes;
        self.run_parsed_on(engine, py, strict, move || {
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| parse_item(item, start_line + i as u64, limit))
                .collect()
        })
    }

    /// Analyzes the records `parse` gives (parsed without the GIL, a
    /// failure in place of each bad one); the outcomes are in input order.
    fn run_parsed(
        &self,
        py: Python<'_>,
        strict: bool,
        parse: impl FnOnce() -> Vec<Result<Record, Failure>> + Send,
    ) -> PyResult<Vec<Outcome>> {
        self.run_parsed_on(&self.engine, py, strict, parse)
    }

    /// [`PyEngine::run_parsed`] on `engine`.
    fn run_parsed_on(
        &self,
        engine: &vocmine::Engine,
        py: Python<'_>,
        strict: bool,
        parse: impl FnOnce() -> Vec<Result<Record, Failure>> + Send,
    ) -> PyResult<Vec<Outcome>> {
        let result = guarded(py, move || -> Result<Vec<Outcome>, Error> {
            let parsed = parse();
            let mut records = Vec::with_capacity(parsed.len());
            let mut failures: Vec<(usize, Failure)> = Vec::new();
            for (i, p) in parsed.into_iter().enumerate() {
                match p {
                    Ok(r) => records.push(r),
                    Err(f) => {
                        if strict {
                            return Err(Error::Input(engine.redact_failure(f).error));
                        }
                        failures.push((i, f));
                    }
                }
            }
            let analyzed = engine.analyze_batch(&records)?;
            if strict {
                if let Some(e) = analyzed.iter().find_map(Outcome::error) {
                    return Err(Error::Input(e.clone()));
                }
            }
            // Put the parse failures back in input order.
            let total = analyzed.len() + failures.len();
            let mut out = Vec::with_capacity(total);
            let mut failures = failures.into_iter().peekable();
            let mut analyzed = analyzed.into_iter();
            for i in 0..total {
                match failures.peek() {
                    Some((j, _)) if *j == i => {
                        let (_, f) = failures.next().expect("peeked");
                        out.push(Outcome::Err(engine.redact_failure(f)));
                    }
                    _ => out.push(analyzed.next().expect("one outcome per record")),
                }
            }
            Ok(out)
        })?;
        result.map_err(|e| to_py_err(py, e))
    }
}

/// Serializes outcomes as one JSON array (the CLI's lines, comma-separated).
/// Gold texts from a file (JSON Lines or a review sheet) or from JSON
/// objects, one per line.
fn gold_items(
    lines: Option<Vec<String>>,
    path: Option<PathBuf>,
) -> Result<Vec<vocmine::stages::codebook::GoldItem>, Error> {
    match (path, lines) {
        (Some(p), _) => vocmine::stages::codebook::read_gold(&p),
        (None, lines) => lines
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line).map_err(|e| Error::Resource {
                    path: PathBuf::from("<gold>"),
                    line: i as u64 + 1,
                    message: format!("invalid gold item: {e}"),
                })
            })
            .collect(),
    }
}

/// Reads gold texts (JSON Lines, or the labelled rows of a review sheet) as
/// JSON, one object per text.
#[pyfunction]
fn read_gold_json(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    let gold = vocmine::stages::codebook::read_gold(&path).map_err(|e| to_py_err(py, e))?;
    serde_json::to_string(&gold).map_err(|e| to_py_err(py, Error::from(e)))
}

fn outcomes_json(outcomes: &[Outcome]) -> Result<String, Error> {
    let mut s = String::from("[");
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&serde_json::to_string(o)?);
    }
    s.push(']');
    Ok(s)
}

/// An Arrow error of the batches handed to or from Python.
fn ipc_error(e: arrow::error::ArrowError) -> Error {
    Error::table("Arrow IPC", e)
}

/// One record batch as the bytes of an Arrow IPC stream.
fn ipc_bytes(b: &arrow::array::RecordBatch) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut w =
        arrow::ipc::writer::StreamWriter::try_new(&mut out, &b.schema()).map_err(ipc_error)?;
    w.write(b).map_err(ipc_error)?;
    w.finish().map_err(ipc_error)?;
    drop(w);
    Ok(out)
}

fn role_str(r: Role) -> &'static str {
    match r {
        Role::Customer => "customer",
        Role::Agent => "agent",
        Role::Bot => "bot",
        Role::System => "system",
        Role::Other => "other",
    }
}

fn id_obj(py: Python<'_>, id: &RecordId) -> PyResult<Py<PyAny>> {
    Ok(match id {
        RecordId::Str(s) => str_obj(py, s),
        RecordId::Num(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
    })
}

fn opt_str(py: Python<'_>, s: Option<&str>) -> Py<PyAny> {
    s.map(|s| str_obj(py, s)).unwrap_or_else(|| py.None())
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn i64_bytes(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

#[pymethods]
impl PyEngine {
    #[new]
    #[pyo3(signature = (
        languages=None, threads=None, tokens=false, model=None, batch_size=1,
        sessions=None, intra_threads=None, onnxruntime=None, user_dicts=None,
        words=None, hmm=true, pos=false, encode_all_speakers=false, codebook=None,
        alerts=None, keep_terms=false, redact=None, redact_key=None,
        max_record_bytes=vocmine::io::input::DEFAULT_MAX_RECORD_BYTES
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        languages: Option<Vec<String>>,
        threads: Option<usize>,
        tokens: bool,
        model: Option<PathBuf>,
        batch_size: usize,
        sessions: Option<usize>,
        intra_threads: Option<usize>,
        onnxruntime: Option<PathBuf>,
        user_dicts: Option<Vec<PathBuf>>,
        words: Option<Vec<String>>,
        hmm: bool,
        pos: bool,
        encode_all_speakers: bool,
        codebook: Option<PathBuf>,
        alerts: Option<PathBuf>,
        keep_terms: bool,
        redact: Option<String>,
        redact_key: Option<Vec<u8>>,
        max_record_bytes: usize,
    ) -> PyResult<Self> {
        let model_dir = model.clone();
        let built = guarded(
            py,
            move || -> Result<(vocmine::Engine, Option<Encoder>), Error> {
                let encoder = match &model {
                    None => None,
                    Some(dir) => {
                        // As the CLI: `models/` and `.venv-models/` are looked for
                        // in the model directory's grandparent.
                        let root = dir
                            .parent()
                            .and_then(Path::parent)
                            .filter(|p| !p.as_os_str().is_empty())
                            .unwrap_or(Path::new("."));
                        let mut b = Encoder::builder(dir)
                            .project_root(root)
                            .batch_size(batch_size);
                        if let Some(n) = sessions {
                            b = b.sessions(n);
                        }
                        if let Some(n) = intra_threads {
                            b = b.intra_threads(n);
                        }
                        if let Some(p) = onnxruntime {
                            b = b.onnxruntime(p);
                        }
                        Some(b.build()?)
                    }
                };
                let mut b = vocmine::Engine::builder()
                    .tokens(tokens)
                    .hmm(hmm)
                    .pos_tags(pos)
                    .encode_all_speakers(encode_all_speakers)
                    .keep_terms(keep_terms);
                if let Some(l) = languages {
                    b = b.languages(l);
                }
                if let Some(n) = threads {
                    b = b.threads(n);
                }
                for d in user_dicts.unwrap_or_default() {
                    b = b.user_dict(d);
                }
                if let Some(w) = words {
                    b = b.words(w);
                }
                if let Some(e) = &encoder {
                    b = b.encoder(e.clone());
                }
                if let Some(path) = &codebook {
                    b = b.codebook(vocmine::CodebookSpec::load(path)?);
                }
                if let Some(path) = &alerts {
                    b = b.alerts(vocmine::stages::alerts::AlertSpec::load(path)?);
                }
                if let Some(kinds) = &redact {
                    let mut r = vocmine::text::redact::RedactorBuilder::new().kinds_str(kinds);
                    if let Some(key) = redact_key {
                        r = r.key(key);
                    }
                    b = b.redact(r);
                }
                Ok((b.build()?, encoder))
            },
        )?;
        let (engine, encoder) = built.map_err(|e| to_py_err(py, e))?;
        Ok(PyEngine {
            engine,
            model_dir: encoder.as_ref().and(model_dir),
            encoder,
            max_record_bytes,
        })
    }

    /// Whether the engine has a neural model (embeddings, sentiment).
    #[getter]
    fn has_model(&self) -> bool {
        self.encoder.is_some()
    }

    /// The model directory, or None.
    #[getter]
    fn model_dir(&self) -> Option<String> {
        self.model_dir
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// The embedding dimension of the model, or None.
    #[getter]
    fn dimension(&self) -> Option<usize> {
        self.encoder.as_ref().and_then(|e| e.config().dimension)
    }

    /// Whether clauses carry their tokens.
    #[getter]
    fn tokens(&self) -> bool {
        self.engine.emits_tokens()
    }

    /// Adds words to the Chinese segmentation dictionary.
    fn add_words(&self, words: Vec<String>) {
        self.engine.add_words(&words);
    }

    /// Encoder counters (texts, encoded, cache_hits, truncated, tokens, batches) or None.
    fn encoder_stats<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(e) = &self.encoder else {
            return Ok(None);
        };
        let s = e.stats();
        let d = PyDict::new(py);
        d.set_item("texts", s.texts)?;
        d.set_item("encoded", s.encoded)?;
        d.set_item("cache_hits", s.cache_hits)?;
        d.set_item("truncated", s.truncated)?;
        d.set_item("tokens", s.tokens)?;
        d.set_item("batches", s.batches)?;
        Ok(Some(d))
    }

    /// Analyzes an iterable of records (str, dict or other JSON-like values);
    /// returns the CLI's output lines as one JSON array string. Record `i`
    /// gets line `start_line + i`.
    #[pyo3(signature = (records, start_line=1, strict=false))]
    fn analyze_json(
        &self,
        py: Python<'_>,
        records: &Bound<'_, PyAny>,
        start_line: u64,
        strict: bool,
    ) -> PyResult<String> {
        let items = convert_all(records)?;
        let outcomes = self.run_chunk(py, items, start_line, strict)?;
        let json = guarded(py, || outcomes_json(&outcomes))?;
        json.map_err(|e| to_py_err(py, e))
    }

    /// Analyzes records (as `analyze_json`) and returns their rows in a
    /// store's two tables, `(records, clauses)`, each as the bytes of an
    /// Arrow IPC stream with the schema of `analyze --store`; the records
    /// get rows `first_row`, `first_row + 1`, ... (`vocmine.spark` writes
    /// one such part per partition). Terms (folded text, tokens) are stored
    /// only by an engine made with `keep_terms=True`.
    ///
    /// With `lines=True` each record is one line of JSON Lines input (a
    /// str), parsed exactly as the CLI parses a line of its input file.
    #[pyo3(signature = (records, first_row=0, start_line=1, lines=false))]
    fn store_batches<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        first_row: u64,
        start_line: u64,
        lines: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let outcomes = if lines {
            let texts: Vec<String> = records.extract()?;
            let limit = self.max_record_bytes;
            self.run_parsed(py, false, move || {
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let line = start_line + i as u64;
                        if t.len() > limit {
                            return Err(Failure {
                                id: RecordId::from_line(line),
                                line,
                                error: RecordError::new(
                                    RecordErrorKind::TooLarge,
                                    line,
                                    format!(
                                        "the record has {} bytes, more than the limit of {limit} bytes",
                                        t.len()
                                    ),
                                ),
                            });
                        }
                        Record::from_json_str(t, line)
                    })
                    .collect()
            })?
        } else {
            let items = convert_all(records)?;
            self.run_chunk(py, items, start_line, false)?
        };
        let dim = self.dimension().unwrap_or(0);
        let bytes = guarded(py, move || -> Result<(Vec<u8>, Vec<u8>), Error> {
            let mut batcher = vocmine::io::store::StoreBatcher::new(dim, first_row);
            let (r, c) = batcher.batches(&outcomes)?;
            Ok((ipc_bytes(&r)?, ipc_bytes(&c)?))
        })?;
        let (r, c) = bytes.map_err(|e| to_py_err(py, e))?;
        Ok((PyBytes::new(py, &r), PyBytes::new(py, &c)))
    }

    /// Codes the records of an Arrow IPC stream in `vocmine.spark`'s nested
    /// store shape (the columns of `records.parquet` and `clauses`, the
    /// records' clause rows; Spark's types) again with the engine's
    /// codebook, as `vocmine reclassify` does (`full`: the full analysis
    /// lines); returns an Arrow IPC stream of `row: int64, line: utf8`.
    /// `dim` is the store's embedding dimension.
    fn reclassify_batch<'py>(
        &self,
        py: Python<'py>,
        ipc: Vec<u8>,
        dim: usize,
        full: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let engine = &self.engine;
        let out = guarded(py, move || -> Result<Vec<u8>, Error> {
            let cb = engine.codebook().ok_or_else(|| {
                Error::Config("reclassify_batch: the engine has no codebook".into())
            })?;
            let columns = vocmine::io::reclassify::columns_for(cb, None, full);
            let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)
                .map_err(ipc_error)?;
            let mut rows = Vec::new();
            let mut lines = Vec::new();
            for batch in reader {
                let batch = batch.map_err(ipc_error)?;
                let records = vocmine::io::store::decode_nested(&batch, dim, columns)?;
                let coded =
                    vocmine::io::reclassify::reclassify_records(engine, &records, cb, full)?;
                for (r, mut line) in records.iter().zip(coded) {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    rows.push(r.row as i64);
                    // the lines are vocmine's own JSON: valid UTF-8
                    lines.push(String::from_utf8_lossy(&line).into_owned());
                }
            }
            let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![
                arrow::datatypes::Field::new("row", arrow::datatypes::DataType::Int64, false),
                arrow::datatypes::Field::new("line", arrow::datatypes::DataType::Utf8, false),
            ]));
            let batch = arrow::array::RecordBatch::try_new(
                schema,
                vec![
                    std::sync::Arc::new(arrow::array::Int64Array::from(rows)),
                    std::sync::Arc::new(arrow::array::StringArray::from(lines)),
                ],
            )
            .map_err(ipc_error)?;
            ipc_bytes(&batch)
        })?;
        let out = out.map_err(|e| to_py_err(py, e))?;
        Ok(PyBytes::new(py, &out))
    }

    /// The name of the engine's codebook, if it has one.
    #[getter]
    fn codebook_name(&self) -> Option<String> {
        self.engine.codebook().map(|c| c.name().to_owned())
    }

    /// Scores labelled records through the same path as `analyze`, as
    /// `vocmine eval --records` does: from a JSON Lines file (`path`, read
    /// and checked by the core, errors naming its lines) or from JSON
    /// objects (`lines`, errors naming `<records>` and the item number).
    /// Returns the report as JSON.
    #[pyo3(signature = (lines=None, path=None))]
    fn evaluate_records_json(
        &self,
        py: Python<'_>,
        lines: Option<Vec<String>>,
        path: Option<PathBuf>,
    ) -> PyResult<String> {
        let items = match (path, lines) {
            (Some(p), _) => vocmine::neural::sentiment_eval::read_labelled(&p),
            (None, lines) => lines
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, line)| {
                    vocmine::neural::sentiment_eval::parse_labelled(line).map_err(|message| {
                        Error::Resource {
                            path: PathBuf::from("<records>"),
                            line: i as u64 + 1,
                            message,
                        }
                    })
                })
                .collect(),
        }
        .map_err(|e| to_py_err(py, e))?;
        let engine = &self.engine;
        let report = guarded(py, || {
            vocmine::neural::sentiment_eval::evaluate_records(engine, &items, None)
                .and_then(|r| serde_json::to_string(&r).map_err(Error::from))
        })?;
        report.map_err(|e| to_py_err(py, e))
    }

    /// Scores the engine's codebook against gold texts as `vocmine eval
    /// --codebook --gold` does: from a gold file (`path`: JSON Lines, or a
    /// filled review sheet `.csv` / `.tsv` / `.xlsx`) or from JSON objects
    /// (`lines`, errors naming `<gold>` and the item number). Returns the
    /// report as JSON.
    #[pyo3(signature = (lines=None, path=None, only_gold_codes=false))]
    fn evaluate_codebook_json(
        &self,
        py: Python<'_>,
        lines: Option<Vec<String>>,
        path: Option<PathBuf>,
        only_gold_codes: bool,
    ) -> PyResult<String> {
        let gold = gold_items(lines, path).map_err(|e| to_py_err(py, e))?;
        let engine = &self.engine;
        let report = guarded(py, || {
            vocmine::stages::codebook::evaluate(engine, &gold, only_gold_codes)
                .and_then(|r| serde_json::to_string(&r).map_err(Error::from))
        })?;
        report.map_err(|e| to_py_err(py, e))
    }

    /// Codes every record of a store (written by `vocmine analyze --store`)
    /// again with the codebook at `codebook`, as `vocmine reclassify` does,
    /// with the engine's encoder for the codebook's exemplars (it must be the
    /// encoder the store was written with; without one, rules and learned
    /// classifiers over the stored embeddings only). The output lines go to
    /// `output` (JSON Lines), or into the result when it is None. Returns
    /// the summary as JSON (records, clauses, per code the records under the
    /// new and the old (`diff`) codebook, gained and lost) and, without
    /// `output`, the lines as one JSON array.
    #[pyo3(signature = (store, codebook, diff=None, full=false, output=None))]
    fn reclassify_json(
        &self,
        py: Python<'_>,
        store: PathBuf,
        codebook: PathBuf,
        diff: Option<PathBuf>,
        full: bool,
        output: Option<PathBuf>,
    ) -> PyResult<(String, Option<String>)> {
        let engine = &self.engine;
        let encoder = self.encoder.as_ref();
        let result = guarded(py, || -> Result<(String, Option<String>), Error> {
            let manifest = vocmine::io::store::Manifest::read(&store)?;
            if let (Some(e), true) = (encoder, manifest.dim > 0) {
                manifest.check_encoder(&e.config().name)?;
            }
            let compile = |p: &Path| engine.compile_codebook(vocmine::CodebookSpec::load(p)?);
            let new = compile(&codebook)?;
            let old = diff.as_deref().map(compile).transpose()?;
            let mut lines: Vec<u8> = Vec::new();
            let mut file = match &output {
                Some(p) => Some(std::io::BufWriter::new(
                    std::fs::File::create(p).map_err(|e| Error::io(p, e))?,
                )),
                None => None,
            };
            let summary = vocmine::io::reclassify::reclassify(
                engine,
                &store,
                &new,
                old.as_ref(),
                full,
                &mut |chunk| match (&mut file, &output) {
                    (Some(f), Some(p)) => {
                        use std::io::Write;
                        f.write_all(chunk).map_err(|e| Error::io(p, e))
                    }
                    _ => {
                        // the lines as the elements of a JSON array
                        for line in chunk.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                            lines.push(if lines.is_empty() { b'[' } else { b',' });
                            lines.extend_from_slice(line);
                        }
                        Ok(())
                    }
                },
            )?;
            if let (Some(mut f), Some(p)) = (file, &output) {
                use std::io::Write;
                f.flush().map_err(|e| Error::io(p, e))?;
            }
            let lines = match output {
                Some(_) => None,
                None => {
                    if lines.is_empty() {
                        lines.push(b'[');
                    }
                    lines.push(b']');
                    // the lines are vocmine's own JSON: valid UTF-8
                    Some(String::from_utf8_lossy(&lines).into_owned())
                }
            };
            Ok((serde_json::to_string(&summary)?, lines))
        })?;
        result.map_err(|e| to_py_err(py, e))
    }

    /// Analyzes a file as `vocmine analyze` does, streaming in bounded
    /// memory: `input` (JSON Lines, or CSV by extension) → one JSON line per
    /// record in `output`; with a codebook the point summary; with alert
    /// rules the alerts as JSON Lines in `alerts_out` (default: `output`
    /// with `.alerts.jsonl`); with `store` a result store. The run is the
    /// library's `AnalyzeJob` (checkpoints every `checkpoint_every`
    /// records), so the files equal the CLI's; `resume` continues an
    /// interrupted run of the same call from its last checkpoint.
    /// Returns the summary as JSON.
    #[pyo3(signature = (input, output, store=None, alerts_out=None, strict=false, resume=false, checkpoint_every=vocmine::io::resume::DEFAULT_CHECKPOINT_RECORDS))]
    #[allow(clippy::too_many_arguments)]
    fn analyze_file_json(
        &self,
        py: Python<'_>,
        input: PathBuf,
        output: PathBuf,
        store: Option<PathBuf>,
        alerts_out: Option<PathBuf>,
        strict: bool,
        resume: bool,
        checkpoint_every: u64,
    ) -> PyResult<String> {
        use vocmine::io::input::{InputFormat, ReadOptions};
        use vocmine::io::resume::AnalyzeJob;
        use vocmine::io::run::RunOptions;
        let engine = &self.engine;
        let result = guarded(py, || -> Result<String, Error> {
            let alerts_path = alerts_out.unwrap_or_else(|| output.with_extension("alerts.jsonl"));
            // What a checkpoint of this call is recognized by.
            let command = vec![
                "analyze_file".to_owned(),
                input.display().to_string(),
                output.display().to_string(),
                format!("store={:?}", store),
                format!("alerts_out={}", alerts_path.display()),
                format!("strict={strict}"),
                format!("checkpoint_every={checkpoint_every}"),
            ];
            let job = AnalyzeJob::new(engine, &output)
                .alerts(Some(alerts_path))
                .store(store.clone())
                .options(RunOptions {
                    strict,
                    ..RunOptions::default()
                })
                .checkpoint_every(checkpoint_every)
                .command(command);
            let from = if resume { job.last_checkpoint()? } else { None };
            let source = vocmine::io::input::open(
                &input,
                InputFormat::from_path(&input),
                &ReadOptions {
                    max_record_bytes: self.max_record_bytes,
                    ..ReadOptions::default()
                },
            )?;
            let (summary, tally) = job.run(source, from, &mut |_| {})?;
            let mut v = serde_json::to_value(&summary)?;
            if let serde_json::Value::Object(m) = &mut v {
                if let Some(p) = &tally.points {
                    m.insert(
                        "coded".into(),
                        serde_json::json!({"records": p.records, "coded": p.coded}),
                    );
                }
                if let Some(t) = tally.alerts {
                    let by: std::collections::BTreeMap<String, u64> = t
                        .by_severity
                        .iter()
                        .map(|(s, n)| (s.as_str().to_owned(), *n))
                        .collect();
                    m.insert(
                        "alerts".into(),
                        serde_json::json!({
                            "path": t.path, "records": t.records,
                            "alerted_records": t.alerted_records, "by_severity": by,
                        }),
                    );
                }
                if let (Some(mf), Some(dir)) = (tally.store, &store) {
                    m.insert(
                        "store".into(),
                        serde_json::json!({
                            "path": dir, "records": mf.records, "clauses": mf.clauses, "dim": mf.dim,
                        }),
                    );
                }
            }
            Ok(v.to_string())
        })?;
        result.map_err(|e| to_py_err(py, e))
    }

    /// Fits the learned classifiers of the codebook at `codebook` on gold
    /// texts (as `vocmine codebook learn`), with the engine's encoder, and
    /// writes them to `out`; with `points_only`, keeps the classifiers the
    /// codebook names and fits only the point head. Returns a summary as
    /// JSON: per learned code its positives and cross-validated F1 with and
    /// without the classifier, and the point head's accuracies.
    #[pyo3(signature = (codebook, out, lines=None, path=None, epochs=300, points_only=false, term_scale=0.3))]
    #[allow(clippy::too_many_arguments)]
    fn learn_codebook_json(
        &self,
        py: Python<'_>,
        codebook: PathBuf,
        out: PathBuf,
        lines: Option<Vec<String>>,
        path: Option<PathBuf>,
        epochs: usize,
        points_only: bool,
        term_scale: f32,
    ) -> PyResult<String> {
        let gold = gold_items(lines, path).map_err(|e| to_py_err(py, e))?;
        let spec = vocmine::CodebookSpec::load(&codebook).map_err(|e| to_py_err(py, e))?;
        let engine = &self.engine;
        let model = guarded(py, || {
            let opts = vocmine::stages::codebook::TrainOptions {
                epochs,
                term_scale,
                ..Default::default()
            };
            let model = if points_only {
                let current = vocmine::stages::codebook::LearnedModel::of_codebook(&spec)?;
                vocmine::stages::codebook::learn_points(engine, &spec, &gold, current, opts)?
            } else {
                vocmine::stages::codebook::learn(engine, &spec, &gold, opts)?
            };
            model.save(&out)?;
            let codes: Vec<serde_json::Value> = model
                .codes
                .iter()
                .map(|c| {
                    // The code's strongest lexical features, as the CLI lists them.
                    let top = model.strongest_terms(c, 5);
                    serde_json::json!({
                        "code": c.code,
                        "positives": c.positives,
                        "heldout_f1": c.heldout_f1,
                        "baseline_f1": c.baseline_f1,
                        "top_terms": top,
                    })
                })
                .collect();
            serde_json::to_string(&serde_json::json!({
                "codebook": spec.codebook,
                "texts": gold.len(),
                "out": out.to_string_lossy(),
                "codes": codes,
                "terms": model.terms.len(),
                "points": model.points.as_ref().map(|p| serde_json::json!({
                    "examples": p.examples,
                    "heldout_accuracy": p.heldout_accuracy,
                    "voice_accuracy": p.voice_accuracy,
                })),
            }))
            .map_err(Error::from)
        })?;
        model.map_err(|e| to_py_err(py, e))
    }

    /// Analyzes records into clause columns: returns `(columns, errors_json)`
    /// where `columns` maps a column name to a list (or raw int64 / float32
    /// bytes for `line`, `clause`, `start`, `end`, `sentiment_*`) and
    /// `errors_json` is the JSON array of the failed records' output lines.
    #[pyo3(signature = (records, start_line=1, strict=false))]
    fn analyze_columns<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        start_line: u64,
        strict: bool,
    ) -> PyResult<(Bound<'py, PyDict>, String)> {
        let items = convert_all(records)?;
        let outcomes = self.run_chunk(py, items, start_line, strict)?;
        let failures: Vec<Outcome> = outcomes
            .iter()
            .filter(|o| o.error().is_some())
            .cloned()
            .collect();
        let errors = outcomes_json(&failures).map_err(|e| to_py_err(py, e))?;

        let n: usize = outcomes
            .iter()
            .filter_map(Outcome::analysis)
            .map(|a| a.clauses.len())
            .sum();
        let mut id = Vec::with_capacity(n);
        let mut line = Vec::with_capacity(n);
        let mut turn = Vec::with_capacity(n);
        let mut speaker = Vec::with_capacity(n);
        let mut role = Vec::with_capacity(n);
        let mut clause = Vec::with_capacity(n);
        let mut start = Vec::with_capacity(n);
        let mut end = Vec::with_capacity(n);
        let mut text = Vec::with_capacity(n);
        let mut language = Vec::with_capacity(n);
        let mut script = Vec::with_capacity(n);
        let mut record_language = Vec::with_capacity(n);
        let mut label = Vec::with_capacity(n);
        let mut polarity = Vec::with_capacity(n);
        let mut confidence = Vec::with_capacity(n);
        let mut channel = Vec::with_capacity(n);
        let mut touchpoint = Vec::with_capacity(n);
        let mut time = Vec::with_capacity(n);
        let mut customer = Vec::with_capacity(n);
        for a in outcomes.iter().filter_map(Outcome::analysis) {
            let rid = id_obj(py, &a.id)?;
            let rlang = str_obj(py, a.language.code());
            let ch = opt_str(py, a.channel.as_deref());
            let tp = opt_str(py, a.touchpoint.as_deref());
            let tm = opt_str(py, a.time.as_ref().map(|t| t.as_str()));
            let cu = opt_str(py, a.customer.as_deref());
            for (k, c) in a.clauses.iter().enumerate() {
                id.push(rid.clone_ref(py));
                line.push(a.line as i64);
                turn.push(c.turn.map(|t| t as i64));
                speaker.push(c.speaker.clone());
                role.push(role_str(c.role));
                clause.push(k as i64);
                start.push(c.start as i64);
                end.push(c.end as i64);
                text.push(c.text.clone());
                language.push(c.language.code());
                script.push(c.script.code());
                record_language.push(rlang.clone_ref(py));
                label.push(c.sentiment.map(|s| s.label.as_str()));
                polarity.push(c.sentiment.map_or(f32::NAN, |s| s.polarity));
                confidence.push(c.sentiment.map_or(f32::NAN, |s| s.confidence));
                channel.push(ch.clone_ref(py));
                touchpoint.push(tp.clone_ref(py));
                time.push(tm.clone_ref(py));
                customer.push(cu.clone_ref(py));
            }
        }
        let d = PyDict::new(py);
        d.set_item("id", id)?;
        d.set_item("line", PyByteArray::new(py, &i64_bytes(&line)))?;
        d.set_item("turn", turn)?;
        d.set_item("speaker", speaker)?;
        d.set_item("role", role)?;
        d.set_item("clause", PyByteArray::new(py, &i64_bytes(&clause)))?;
        d.set_item("start", PyByteArray::new(py, &i64_bytes(&start)))?;
        d.set_item("end", PyByteArray::new(py, &i64_bytes(&end)))?;
        d.set_item("text", text)?;
        d.set_item("language", language)?;
        d.set_item("script", script)?;
        d.set_item("record_language", record_language)?;
        d.set_item("sentiment_label", label)?;
        d.set_item(
            "sentiment_polarity",
            PyByteArray::new(py, &f32_bytes(&polarity)),
        )?;
        d.set_item(
            "sentiment_confidence",
            PyByteArray::new(py, &f32_bytes(&confidence)),
        )?;
        d.set_item("channel", channel)?;
        d.set_item("touchpoint", touchpoint)?;
        d.set_item("time", time)?;
        d.set_item("customer", customer)?;
        Ok((d, errors))
    }

    /// Embeds whole texts with the model: returns `(float32 bytes, rows, dim)`
    /// of L2-normalized embeddings, in input order.
    fn embed_bytes<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
    ) -> PyResult<(Bound<'py, PyByteArray>, usize, usize)> {
        let Some(encoder) = &self.encoder else {
            return Err(ModelNotFoundError::new_err(
                "this engine has no model (it was built with no_model=True); \
                 build it with a model directory to embed texts",
            ));
        };
        let normalize = encoder.config().normalize;
        let dim_hint = encoder.config().dimension.unwrap_or(0);
        let engine = &self.engine;
        let result = guarded(py, move || -> Result<(Vec<u8>, usize), Error> {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let encoded = engine.install(|| encoder.encode(&refs))?;
            let dim = encoded.first().map_or(dim_hint, |e| e.embedding.len());
            if encoded.iter().any(|e| e.embedding.len() != dim) || (dim == 0 && !encoded.is_empty())
            {
                return Err(Error::model(
                    "the model returned no sentence embedding (a classifier without an embedding output?)",
                ));
            }
            let mut out = Vec::with_capacity(encoded.len() * dim * 4);
            for e in &encoded {
                if normalize {
                    out.extend(f32_bytes(&e.embedding));
                } else {
                    let mut v = e.embedding.clone();
                    vocmine::neural::encoder::l2_normalize(&mut v);
                    out.extend(f32_bytes(&v));
                }
            }
            Ok((out, dim))
        })?;
        let (bytes, dim) = result.map_err(|e| to_py_err(py, e))?;
        let rows = (bytes.len() / 4).checked_div(dim).unwrap_or(0);
        Ok((PyByteArray::new(py, &bytes), rows, dim))
    }

    fn __repr__(&self) -> String {
        match &self.model_dir {
            Some(d) => format!("Engine(model={:?})", d.to_string_lossy()),
            None => "Engine(no_model=True)".into(),
        }
    }
}

/// Analyzes one JSON record (a JSON Lines line) with a default engine and
/// returns the output line.
/// Redacts one text: the redacted text and its redactions as JSON.
#[pyfunction]
#[pyo3(signature = (text, kinds="all", key=None, identifier=false))]
fn redact_text(
    py: Python<'_>,
    text: &str,
    kinds: &str,
    key: Option<Vec<u8>>,
    identifier: bool,
) -> PyResult<(String, String)> {
    let result = (|| -> Result<(String, String), Error> {
        let mut b = vocmine::text::redact::RedactorBuilder::new().kinds_str(kinds);
        if let Some(k) = key {
            b = b.key(k);
        }
        let r = b.build()?;
        let out = if identifier {
            r.redact_identifier(text)
        } else {
            r.redact(text)
        };
        Ok((
            out.text.into_owned(),
            serde_json::to_string(&out.redactions)?,
        ))
    })();
    result.map_err(|e| to_py_err(py, e))
}

/// The personal data in a text: kind and char span in the text as given.
#[pyfunction]
#[pyo3(signature = (text, kinds="all"))]
fn detect_pii(py: Python<'_>, text: &str, kinds: &str) -> PyResult<String> {
    let result = (|| -> Result<String, Error> {
        let r = vocmine::text::redact::RedactorBuilder::new()
            .kinds_str(kinds)
            .build()?;
        Ok(serde_json::to_string(&r.detect(text))?)
    })();
    result.map_err(|e| to_py_err(py, e))
}

#[pyfunction]
fn analyze_json(py: Python<'_>, line: &str) -> PyResult<String> {
    let line = line.to_owned();
    let result = guarded(py, move || -> Result<String, Error> {
        let engine = vocmine::Engine::new()?;
        let outcome = match Record::from_json_str(&line, 1) {
            Ok(record) => match engine.analyze(&record) {
                Ok(a) => Outcome::Ok(Box::new(vocmine::Analyzed::new(a))),
                Err(error) => Outcome::Err(Failure {
                    id: record.id.clone(),
                    line: record.line,
                    error,
                }),
            },
            Err(failure) => Outcome::Err(failure),
        };
        Ok(serde_json::to_string(&outcome)?)
    })?;
    result.map_err(|e| to_py_err(py, e))
}

/// Reads analyzed records for the analytics: from a JSON Lines file
/// (`path`) or from JSON Lines text (`lines`, one output line per record).
fn dataset(path: Option<&str>, lines: Option<&str>) -> Result<(Dataset, Option<String>), Error> {
    match (path, lines) {
        (Some(p), _) => Ok((Dataset::open(p)?, Some(p.to_owned()))),
        (None, Some(text)) => Ok((
            Dataset::read(text.as_bytes()).map_err(|e| Error::io("<records>", e))?,
            None,
        )),
        (None, None) => Err(Error::Config("give a path or records".into())),
    }
}

/// NPS, CSAT and CES with 95% intervals, per slice, trends and (with
/// `drivers`) key drivers of analyzed records; returns the JSON of
/// `vocmine metrics --json`.
#[pyfunction]
#[pyo3(signature = (path=None, lines=None, by=None, period="week", drivers=None))]
fn metrics_json(
    py: Python<'_>,
    path: Option<String>,
    lines: Option<String>,
    by: Option<Vec<String>>,
    period: &str,
    drivers: Option<u64>,
) -> PyResult<String> {
    let period = period.to_owned();
    let result = guarded(py, move || -> Result<String, Error> {
        let period: Period = period.parse()?;
        let by = match by {
            Some(names) => MetricsOptions::slices(&names, period)?,
            None => MetricsOptions::slices(&["channel", "touchpoint", "period"], period)?,
        };
        let opts = MetricsOptions {
            by,
            period,
            drivers,
        };
        let (ds, file) = dataset(path.as_deref(), lines.as_deref())?;
        Ok(serde_json::to_string(&metrics_report(
            &ds,
            file.as_deref(),
            &opts,
        ))?)
    })?;
    result.map_err(|e| to_py_err(py, e))
}

/// The CX report of analyzed records (a file or store at `path`, or JSON
/// Lines text in `lines`) as one self-contained HTML page: what
/// `vocmine report` writes.
#[pyfunction]
#[pyo3(signature = (path=None, lines=None, title=None, lang="en", journey=None, verbatims=20, clusters=None, compare=None, keywords=30))]
#[allow(clippy::too_many_arguments)]
fn report_html(
    py: Python<'_>,
    path: Option<String>,
    lines: Option<String>,
    title: Option<String>,
    lang: &str,
    journey: Option<Vec<String>>,
    verbatims: usize,
    clusters: Option<String>,
    compare: Option<Vec<String>>,
    keywords: usize,
) -> PyResult<String> {
    use vocmine::corpus::report::{
        html, parse_split, report_data, report_data_from_lines, ReportOptions,
    };
    let lang = lang.to_owned();
    let result = guarded(py, move || -> Result<String, Error> {
        let language = lang.parse().map_err(|_| {
            Error::Config(format!(
                "unknown report language `{lang}`; use en, zh or ru"
            ))
        })?;
        let defaults = ReportOptions::default();
        let opts = ReportOptions {
            title: title.unwrap_or(defaults.title),
            language,
            journey: journey.unwrap_or_default(),
            verbatims_per_code: verbatims,
            keywords,
            clusters: clusters.map(std::path::PathBuf::from),
            compare: compare
                .unwrap_or_default()
                .iter()
                .map(|s| parse_split(s))
                .collect::<Result<Vec<_>, Error>>()?,
            ..ReportOptions::default()
        };
        let data = match (path, lines) {
            (Some(p), _) => report_data(Path::new(&p), opts.clone())?,
            (None, Some(text)) => report_data_from_lines(&text, opts.clone())?,
            (None, None) => return Err(Error::Config("give a path or records".into())),
        };
        html::render(&data, &opts)
    })?;
    result.map_err(|e| to_py_err(py, e))
}

/// Before/after comparison of analyzed records in two disjoint date ranges
/// (`FROM..TO`); returns the JSON of `vocmine compare --json`.
#[pyfunction]
#[pyo3(signature = (before, after, path=None, lines=None))]
fn compare_json(
    py: Python<'_>,
    before: &str,
    after: &str,
    path: Option<String>,
    lines: Option<String>,
) -> PyResult<String> {
    let (before, after) = (before.to_owned(), after.to_owned());
    let result = guarded(py, move || -> Result<String, Error> {
        let b: DateRange = before.parse()?;
        let a: DateRange = after.parse()?;
        let (ds, file) = dataset(path.as_deref(), lines.as_deref())?;
        Ok(serde_json::to_string(&compare_report(
            &ds,
            file.as_deref(),
            b,
            a,
        )?)?)
    })?;
    result.map_err(|e| to_py_err(py, e))
}

/// The schemas of a store's two tables for embeddings of dimension `dim`
/// (0: none), as the bytes of two Arrow IPC streams without batches.
#[pyfunction]
fn store_schemas<'py>(
    py: Python<'py>,
    dim: usize,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let empty = |schema: arrow::datatypes::SchemaRef| -> Result<Vec<u8>, Error> {
        ipc_bytes(&arrow::array::RecordBatch::new_empty(schema))
    };
    let r = empty(vocmine::io::store::records_schema(dim)).map_err(|e| to_py_err(py, e))?;
    let c = empty(vocmine::io::store::clauses_schema(dim)).map_err(|e| to_py_err(py, e))?;
    Ok((PyBytes::new(py, &r), PyBytes::new(py, &c)))
}

/// One table of a result store (`records` or `clauses`) as the bytes of an
/// Arrow IPC stream: every column, in row order, over the table's file or
/// its part files, cast to the store's own types (`vocmine.read_store`).
#[pyfunction]
fn read_store_ipc<'py>(
    py: Python<'py>,
    path: PathBuf,
    table: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let table: vocmine::io::store::StoreTable = table.parse().map_err(|_| {
        to_py_err(
            py,
            Error::Config(format!(
                "unknown store table `{table}`; use records or clauses"
            )),
        )
    })?;
    let bytes = guarded(py, move || -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let mut writer: Option<arrow::ipc::writer::StreamWriter<&mut Vec<u8>>> = None;
        for b in vocmine::io::store::read_table(&path, table)? {
            let b = b?;
            if writer.is_none() {
                writer = Some(
                    arrow::ipc::writer::StreamWriter::try_new(&mut out, &b.schema())
                        .map_err(ipc_error)?,
                );
            }
            if let Some(w) = writer.as_mut() {
                w.write(&b).map_err(ipc_error)?;
            }
        }
        match writer {
            Some(mut w) => {
                w.finish().map_err(ipc_error)?;
                drop(w);
                Ok(out)
            }
            // an empty table: its schema, no rows
            None => {
                let dim = vocmine::io::store::Manifest::read(&path)?.dim;
                ipc_bytes(&arrow::array::RecordBatch::new_empty(table.schema(dim)))
            }
        }
    })?
    .map_err(|e| to_py_err(py, e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// The manifest (`store.json`) of a store of `records` records and
/// `clauses` clauses whose embeddings (dimension `dim`, 0: none) come from
/// the encoder named `encoder`, coded with the codebook named `codebook`;
/// as JSON.
#[pyfunction]
#[pyo3(signature = (records, clauses, encoder=None, dim=0, codebook=None))]
fn store_manifest(
    py: Python<'_>,
    records: u64,
    clauses: u64,
    encoder: Option<String>,
    dim: usize,
    codebook: Option<String>,
) -> PyResult<String> {
    let m = vocmine::io::store::Manifest::new(encoder, dim, codebook, records, clauses);
    serde_json::to_string_pretty(&m).map_err(|e| to_py_err(py, Error::from(e)))
}

/// The JSON Schema of one output record.
#[pyfunction]
fn output_schema() -> &'static str {
    vocmine::OUTPUT_SCHEMA
}

/// The native module.
#[pymodule]
fn _vocmine(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyEngine>()?;
    m.add_function(wrap_pyfunction!(analyze_json, m)?)?;
    m.add_function(wrap_pyfunction!(redact_text, m)?)?;
    m.add_function(wrap_pyfunction!(detect_pii, m)?)?;
    m.add_function(wrap_pyfunction!(output_schema, m)?)?;
    m.add_function(wrap_pyfunction!(store_schemas, m)?)?;
    m.add_function(wrap_pyfunction!(store_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(read_store_ipc, m)?)?;
    m.add_function(wrap_pyfunction!(report_html, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_json, m)?)?;
    m.add_function(wrap_pyfunction!(compare_json, m)?)?;
    m.add_function(wrap_pyfunction!(read_gold_json, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_records_json, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_vectors_json, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_items_batch, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_fit_items, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_report_placed, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::sample_mask, m)?)?;
    m.add_class::<cluster::PyClusterPlacer>()?;
    m.add("VocmineError", py.get_type::<VocmineError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ResourceError", py.get_type::<ResourceError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("TableError", py.get_type::<TableError>())?;
    m.add("ModelNotFoundError", py.get_type::<ModelNotFoundError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("VocmineIOError", py.get_type::<VocmineIOError>())?;
    m.add("SerializationError", py.get_type::<SerializationError>())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    const LIMIT: usize = vocmine::io::input::DEFAULT_MAX_RECORD_BYTES;

    fn item(py: Python<'_>, code: &str) -> Item {
        let code = std::ffi::CString::new(code).unwrap();
        convert_item(&py.eval(&code, None, None).unwrap())
    }

    #[test]
    fn python_values_parse_as_the_cli_parses_json() {
        Python::initialize();
        Python::attach(|py| {
            let r = parse_item(
                item(py, "{'id': 'a', 'text': 'hi', 'scores': {'nps': 3}}"),
                4,
                LIMIT,
            )
            .unwrap();
            assert_eq!((r.id.to_string(), r.line), ("a".to_string(), 4));
            let f = parse_item(item(py, "{'id': 'b', 'text': 42}"), 2, LIMIT).unwrap_err();
            let cli = Record::from_json_str(r#"{"id": "b", "text": 42}"#, 2).unwrap_err();
            assert_eq!(f, cli);
            let f = parse_item(item(py, "[1, 2]"), 1, LIMIT).unwrap_err();
            assert_eq!(f.error.kind, RecordErrorKind::InvalidJson);
            let f =
                parse_item(item(py, "{'id': 'c', 'meta': {'x': object()}}"), 5, LIMIT).unwrap_err();
            assert_eq!(f.error.field.as_deref(), Some("meta.x"));
            assert_eq!(f.id.to_string(), "c");
            let r = parse_item(item(py, "'plain text'"), 9, LIMIT).unwrap();
            assert_eq!(r.id.to_string(), "9");
            // Over the limit: `too_large`, with the record's own id.
            let f = parse_item(item(py, "{'id': 'd', 'text': 'x' * 200}"), 3, 100).unwrap_err();
            assert_eq!(
                (f.error.kind, f.id.to_string()),
                (RecordErrorKind::TooLarge, "d".into())
            );
            assert!(parse_item(item(py, "{'id': 'e', 'text': 'x' * 50}"), 3, 100).is_ok());
        });
    }

    #[test]
    fn errors_map_to_their_classes() {
        Python::initialize();
        Python::attach(|py| {
            fn check<T: pyo3::PyTypeInfo>(py: Python<'_>, e: Error, message: &str) {
                let e = to_py_err(py, e);
                assert!(e.is_instance_of::<T>(py), "{message}");
                assert!(e.is_instance_of::<VocmineError>(py), "{message}");
                assert_eq!(e.value(py).to_string(), message);
            }
            let boom = "boom".to_owned();
            check::<VocmineIOError>(
                py,
                Error::io("some/path", std::io::Error::other(boom.clone())),
                "some/path: boom",
            );
            check::<InputError>(
                py,
                Error::Input(
                    RecordError::new(RecordErrorKind::EmptyText, 3, "boom").with_field("text"),
                ),
                "line 3: empty_text in `text`: boom",
            );
            check::<ConfigError>(
                py,
                Error::Config(boom.clone()),
                "invalid configuration: boom",
            );
            check::<ResourceError>(
                py,
                Error::Resource {
                    path: "dict.txt".into(),
                    line: 2,
                    message: boom.clone(),
                },
                "dict.txt:2: boom",
            );
            check::<ModelNotFoundError>(
                py,
                Error::ModelNotFound {
                    path: "models/x".into(),
                    message: boom.clone(),
                },
                "models/x: boom",
            );
            check::<ModelError>(py, Error::model("boom"), "model error: boom");
            check::<DataError>(py, Error::Data(boom.clone()), "invalid data: boom");
            check::<TableError>(
                py,
                Error::table("store/records.parquet", "boom"),
                "store/records.parquet: boom",
            );
            let json = serde_json::from_str::<Value>("{").expect_err("invalid JSON");
            check::<SerializationError>(
                py,
                Error::Serialize(json),
                "serialization failed: EOF while parsing an object at line 1 column 1",
            );
            // a panic inside the core is a VocmineError, not a crash
            let e = guarded(py, || panic!("boom")).expect_err("a panic is an error");
            assert!(e.is_instance_of::<VocmineError>(py));
            assert!(e.value(py).to_string().contains("internal error"));
        });
    }
}
