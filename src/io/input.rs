//! Input readers: JSON Lines and CSV, streaming, with bounded memory.
//!
//! Readers yield [`RawItem`]s: the cheap, sequential part of reading (finding
//! line ends, CSV quoting). The expensive part, parsing JSON into a
//! [`Record`], happens in [`RawItem::into_record`], which the runner calls
//! on worker threads.
//!
//! A line longer than the record limit (1 MiB by default) is never held in
//! memory: its bytes are counted and skipped, and it becomes a `too_large`
//! error record. Blank lines are skipped (they are not records); every other
//! line gets exactly one output line.

use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::contract::output::Failure;
use crate::contract::record::{Record, RecordId};
use crate::error::{Error, RecordError, RecordErrorKind, Result};

/// Default limit on one record's size in bytes.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// JSON Lines: one JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

impl InputFormat {
    /// Guesses the format from a file name (`.csv` → CSV, anything else → JSON Lines).
    pub fn from_path(path: &Path) -> InputFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => InputFormat::Csv,
            _ => InputFormat::Jsonl,
        }
    }
}

/// Options of the readers.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Records larger than this many bytes become `too_large` errors.
    pub max_record_bytes: usize,
    /// CSV: the column holding the text.
    pub text_column: String,
    /// CSV: the column holding the id (optional; the line number otherwise).
    pub id_column: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            text_column: "text".into(),
            id_column: "id".into(),
        }
    }
}

/// One input record before parsing.
#[derive(Debug)]
pub enum RawItem {
    /// A JSON Lines line (without the line break).
    Line {
        /// 1-based line number.
        line: u64,
        /// The line's bytes.
        bytes: Vec<u8>,
    },
    /// A line over the size limit; only its length was kept.
    TooLarge {
        /// 1-based line number.
        line: u64,
        /// Its length in bytes.
        len: u64,
        /// The limit it exceeded.
        limit: usize,
    },
    /// A record already built (CSV rows), or the failure it produced.
    Ready(Box<std::result::Result<Record, Failure>>),
}

impl RawItem {
    /// Parses the item into a record.
    pub fn into_record(self) -> std::result::Result<Record, Failure> {
        match self {
            RawItem::Line { line, bytes } => {
                let text = std::str::from_utf8(&bytes).map_err(|e| {
                    failure(
                        line,
                        RecordError::new(
                            RecordErrorKind::InvalidUtf8,
                            line,
                            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
                        ),
                    )
                })?;
                let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
                Record::from_json_str(text, line)
            }
            RawItem::TooLarge { line, len, limit } => Err(failure(
                line,
                RecordError::new(
                    RecordErrorKind::TooLarge,
                    line,
                    format!("the record has {len} bytes, more than the limit of {limit} bytes"),
                ),
            )),
            RawItem::Ready(r) => *r,
        }
    }

    /// The item's line number.
    pub fn line(&self) -> u64 {
        match self {
            RawItem::Line { line, .. } | RawItem::TooLarge { line, .. } => *line,
            RawItem::Ready(r) => match r.as_ref() {
                Ok(r) => r.line,
                Err(f) => f.line,
            },
        }
    }
}

fn failure(line: u64, error: RecordError) -> Failure {
    Failure {
        id: RecordId::from_line(line),
        line,
        error,
    }
}

/// A source of raw items that also reports how many bytes it has read.
pub trait Source: Send {
    /// The next item; `Ok(None)` at the end; `Err` only for I/O failures.
    fn next_item(&mut self) -> Result<Option<RawItem>>;
    /// Bytes read so far.
    fn bytes_read(&self) -> u64;
}

/// Opens a file (or `-` for stdin) as a source of the given format.
pub fn open(path: &Path, format: InputFormat, opts: &ReadOptions) -> Result<Box<dyn Source>> {
    let reader: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| Error::io(path, e))?)
    };
    let reader = io::BufReader::with_capacity(1 << 16, reader);
    Ok(match format {
        InputFormat::Jsonl => Box::new(JsonlSource::new(reader, path, opts.max_record_bytes)),
        InputFormat::Csv => Box::new(CsvSource::new(reader, path, opts)?),
    })
}

/// JSON Lines reader with a per-line size limit.
pub struct JsonlSource<R> {
    reader: R,
    path: PathBuf,
    limit: usize,
    line: u64,
    bytes: u64,
}

impl<R: BufRead> JsonlSource<R> {
    /// Wraps a buffered reader; `path` is used in error messages.
    pub fn new(reader: R, path: impl Into<PathBuf>, limit: usize) -> Self {
        JsonlSource {
            reader,
            path: path.into(),
            limit,
            line: 0,
            bytes: 0,
        }
    }

    fn read_line(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        let mut buf = Vec::new();
        let mut total: u64 = 0;
        let mut any = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(any.then_some((buf, total)));
            }
            any = true;
            match memchr::memchr(b'\n', chunk) {
                Some(pos) => {
                    if buf.len() + pos <= self.limit {
                        buf.extend_from_slice(&chunk[..pos]);
                    }
                    total += pos as u64;
                    self.reader.consume(pos + 1);
                    self.bytes += pos as u64 + 1;
                    return Ok(Some((buf, total)));
                }
                None => {
                    let n = chunk.len();
                    if buf.len() + n <= self.limit {
                        buf.extend_from_slice(chunk);
                    } else {
                        buf.clear();
                        buf.shrink_to(0);
                    }
                    total += n as u64;
                    self.reader.consume(n);
                    self.bytes += n as u64;
                }
            }
        }
    }
}

impl<R: BufRead + Send> Source for JsonlSource<R> {
    fn next_item(&mut self) -> Result<Option<RawItem>> {
        loop {
            let Some((mut bytes, mut len)) =
                self.read_line().map_err(|e| Error::io(&self.path, e))?
            else {
                return Ok(None);
            };
            self.line += 1;
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
                len -= 1;
            }
            if len as usize > self.limit || (bytes.len() as u64) < len {
                return Ok(Some(RawItem::TooLarge {
                    line: self.line,
                    len,
                    limit: self.limit,
                }));
            }
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Ok(Some(RawItem::Line {
                line: self.line,
                bytes,
            }));
        }
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

/// CSV reader: a header row, one record per row.
///
/// The text comes from `text_column`, the id from `id_column` (the line
/// number when absent or empty). Columns named `channel`, `touchpoint`,
/// `time`, `customer`, `nps`, `csat` and `ces` fill those fields; every other
/// column goes into `meta` as a string.
pub struct CsvSource<R> {
    reader: csv::Reader<CountingReader<R>>,
    path: PathBuf,
    headers: Vec<String>,
    text_idx: usize,
    id_idx: Option<usize>,
    limit: usize,
    record: csv::ByteRecord,
}

/// Counts the bytes read through it.
pub struct CountingReader<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Read> CsvSource<R> {
    /// Reads the header row and checks that the text column exists.
    pub fn new(reader: R, path: impl Into<PathBuf>, opts: &ReadOptions) -> Result<Self> {
        let path = path.into();
        let counting = CountingReader {
            inner: reader,
            count: Default::default(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(counting);
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(|e| Error::Resource {
                path: path.clone(),
                line: 1,
                message: format!("cannot read the CSV header: {e}"),
            })?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{FEFF}')
                    .to_string()
            })
            .collect();
        let text_idx = headers
            .iter()
            .position(|h| *h == opts.text_column)
            .ok_or_else(|| Error::Resource {
                path: path.clone(),
                line: 1,
                message: format!(
                    "the CSV has no column `{}` (columns: {}); choose one with --text-column",
                    opts.text_column,
                    headers.join(", ")
                ),
            })?;
        let id_idx = headers.iter().position(|h| *h == opts.id_column);
        Ok(CsvSource {
            reader,
            path,
            headers,
            text_idx,
            id_idx,
            limit: opts.max_record_bytes,
            record: csv::ByteRecord::new(),
        })
    }

    fn row_to_record(&self, line: u64) -> std::result::Result<Record, Failure> {
        self.row_to_map(line)
            .and_then(|map| Record::from_map(map, line))
    }

    fn row_to_map(&self, line: u64) -> std::result::Result<Map<String, Value>, Failure> {
        let size: usize = self.record.iter().map(<[u8]>::len).sum();
        if size > self.limit {
            return Err(failure(
                line,
                RecordError::new(
                    RecordErrorKind::TooLarge,
                    line,
                    format!(
                        "the row has {size} bytes, more than the limit of {} bytes",
                        self.limit
                    ),
                ),
            ));
        }
        let mut map = Map::new();
        let mut meta = Map::new();
        let mut scores = Map::new();
        for (i, field) in self.record.iter().enumerate() {
            let name = self.headers.get(i).map(String::as_str).unwrap_or("");
            let value = std::str::from_utf8(field).map_err(|e| {
                failure(
                    line,
                    RecordError::new(
                        RecordErrorKind::InvalidUtf8,
                        line,
                        format!(
                            "invalid UTF-8 at byte {} of column `{name}`",
                            e.valid_up_to()
                        ),
                    )
                    .with_field(name.to_owned()),
                )
            })?;
            if i == self.text_idx {
                map.insert("text".into(), Value::String(value.to_owned()));
            } else if Some(i) == self.id_idx {
                if !value.trim().is_empty() {
                    map.insert("id".into(), Value::String(value.trim().to_owned()));
                }
            } else {
                match name {
                    "channel" | "touchpoint" | "time" | "customer" => {
                        map.insert(name.into(), Value::String(value.to_owned()));
                    }
                    "nps" | "csat" | "ces" => {
                        scores.insert(name.into(), Value::String(value.to_owned()));
                    }
                    "" => {
                        meta.insert(format!("column_{}", i + 1), Value::String(value.to_owned()));
                    }
                    _ => {
                        meta.insert(name.into(), Value::String(value.to_owned()));
                    }
                }
            }
        }
        if !map.contains_key("text") {
            return Err(failure(
                line,
                RecordError::new(
                    RecordErrorKind::MissingText,
                    line,
                    "the row has no value in the text column",
                )
                .with_field(self.headers[self.text_idx].clone()),
            ));
        }
        if !scores.is_empty() {
            map.insert("scores".into(), Value::Object(scores));
        }
        if !meta.is_empty() {
            map.insert("meta".into(), Value::Object(meta));
        }
        Ok(map)
    }
}

impl<R: Read + Send> Source for CsvSource<R> {
    fn next_item(&mut self) -> Result<Option<RawItem>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                Ok(Some(RawItem::Ready(Box::new(self.row_to_record(line)))))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                match e.kind() {
                    csv::ErrorKind::Io(_) => Err(Error::Resource {
                        path: self.path.clone(),
                        line,
                        message: e.to_string(),
                    }),
                    _ => Ok(Some(RawItem::Ready(Box::new(Err(failure(
                        line,
                        RecordError::new(RecordErrorKind::InvalidCsv, line, e.to_string()),
                    )))))),
                }
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.reader
            .get_ref()
            .count
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(data: &[u8], limit: usize) -> Vec<RawItem> {
        let mut src = JsonlSource::new(io::Cursor::new(data.to_vec()), "mem", limit);
        let mut out = Vec::new();
        while let Some(i) = src.next_item().unwrap() {
            out.push(i);
        }
        out
    }

    #[test]
    fn lines_blank_crlf_and_no_final_newline() {
        let v = items(b"{\"text\":\"a\"}\r\n\n  \n{\"text\":\"b\"}", 100);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].line(), 1);
        assert_eq!(v[1].line(), 4);
    }

    #[test]
    fn too_large_is_skipped_not_held() {
        let big = format!(
            "{{\"text\":\"{}\"}}\n{{\"text\":\"ok\"}}\n",
            "x".repeat(5000)
        );
        let v = items(big.as_bytes(), 1000);
        assert!(matches!(
            v[0],
            RawItem::TooLarge {
                line: 1,
                len: 5011,
                ..
            }
        ));
        let r = v.into_iter().nth(1).unwrap().into_record().unwrap();
        assert_eq!(r.line, 2);
    }

    #[test]
    fn invalid_utf8_names_the_byte() {
        let v = items(b"{\"text\":\"\xff\"}\n", 100);
        let e = v
            .into_iter()
            .next()
            .unwrap()
            .into_record()
            .unwrap_err()
            .error;
        assert_eq!(e.kind, RecordErrorKind::InvalidUtf8);
        assert!(e.message.contains("byte 9"), "{}", e.message);
    }

    #[test]
    fn csv_rows() {
        let data =
            "id,text,channel,nps,store\n1,服务很好,store,9,Pudong\n,\"multi\nline\",chat,,X\n";
        let mut src = CsvSource::new(data.as_bytes(), "mem.csv", &ReadOptions::default()).unwrap();
        let a = src.next_item().unwrap().unwrap().into_record().unwrap();
        assert_eq!(a.id, RecordId::Str("1".into()));
        assert_eq!(a.scores.nps, Some(9));
        assert_eq!(a.meta.unwrap()["store"], "Pudong");
        let b = src.next_item().unwrap().unwrap().into_record().unwrap();
        assert_eq!(b.id, RecordId::from_line(3));
        assert!(src.next_item().unwrap().is_none());
    }

    #[test]
    fn csv_without_text_column_is_an_error() {
        let e = CsvSource::new("a,b\n1,2\n".as_bytes(), "x.csv", &ReadOptions::default())
            .err()
            .unwrap();
        assert!(e.to_string().contains("no column `text`"), "{e}");
    }
}
