//! The result store: what `vocmine analyze --store DIR` keeps, as Apache
//! Parquet files that pandas, polars, DuckDB and Spark read directly, and
//! what `vocmine reclassify` reads to re-run only the codebook and points
//! stages (no segmentation, no encoder).
//!
//! ```text
//! DIR/store.json        manifest: format version, encoder, dimension, counts
//! DIR/records.parquet   one row per input record (incl. failures), with the
//!                       output line as written (`json`)
//! DIR/clauses.parquet   one row per clause: spans, turn, role, language,
//!                       sentiment, folded text, tokens (stems, char spans,
//!                       negation), embedding (float32[dim]), codes, points
//! ```
//!
//! Both tables carry `row`, the 0-based record number in input order, to
//! join them. The files are written in row groups as records stream by
//! (memory bounded by the row group size).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, FixedSizeListArray, FixedSizeListBuilder,
    Float32Array, Float32Builder, Int32Builder, ListArray, ListBuilder, RecordBatch, StringArray,
    StringBuilder, UInt32Array, UInt32Builder, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::codebook::{ClauseTerms, TermToken};
use crate::error::{Error, Result};
use crate::output::Outcome;
use crate::record::Role;
use crate::sentiment::{Polarity, Probs, Sentiment, Voice, VoiceType};

/// Format version of the store.
pub const STORE_VERSION: u32 = 2;

/// Records buffered before a row group is written.
const ROW_GROUP_RECORDS: usize = 4_096;

/// The manifest of a store (`store.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `vocmine-store`.
    pub format: String,
    /// Store format version.
    pub version: u32,
    /// vocmine version that wrote it.
    pub vocmine: String,
    /// Encoder that produced the embeddings and sentiment (`null`: none).
    pub encoder: Option<String>,
    /// Embedding dimension (0: no embeddings).
    pub dim: usize,
    /// Codebook used at analysis time, if any.
    pub codebook: Option<String>,
    /// Records stored.
    pub records: u64,
    /// Clauses stored.
    pub clauses: u64,
}

fn err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Resource {
        path: path.to_owned(),
        line: 0,
        message: format!("store: {e}"),
    }
}

fn list_of(name: &str, item: DataType) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", item, true))),
        true,
    )
}

fn records_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("row", DataType::UInt64, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("id_json", DataType::Utf8, false),
        Field::new("line", DataType::UInt64, false),
        Field::new("kind", DataType::Utf8, true),
        Field::new("language", DataType::Utf8, true),
        Field::new("channel", DataType::Utf8, true),
        Field::new("touchpoint", DataType::Utf8, true),
        Field::new("time", DataType::Utf8, true),
        Field::new("customer", DataType::Utf8, true),
        Field::new("nps", DataType::Int32, true),
        Field::new("csat", DataType::Int32, true),
        Field::new("ces", DataType::Int32, true),
        Field::new("sentiment", DataType::Utf8, true),
        Field::new("polarity", DataType::Float32, true),
        list_of("codes", DataType::Utf8),
        Field::new("error", DataType::Utf8, true),
        Field::new("json", DataType::Utf8, false),
    ]))
}

fn clauses_schema(dim: usize) -> SchemaRef {
    let mut fields = vec![
        Field::new("row", DataType::UInt64, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("clause", DataType::UInt32, false),
        Field::new("turn", DataType::UInt32, true),
        Field::new("speaker", DataType::Utf8, true),
        Field::new("role", DataType::Utf8, false),
        Field::new("start", DataType::UInt32, false),
        Field::new("end", DataType::UInt32, false),
        Field::new("language", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("sentiment", DataType::Utf8, true),
        Field::new("polarity", DataType::Float32, true),
        Field::new("p_negative", DataType::Float32, true),
        Field::new("p_neutral", DataType::Float32, true),
        Field::new("p_positive", DataType::Float32, true),
        Field::new("voice", DataType::Utf8, true),
        Field::new("p_itch", DataType::Float32, true),
        Field::new("voice_cue", DataType::Boolean, true),
        Field::new("folded", DataType::Utf8, true),
        list_of("token_stems", DataType::Utf8),
        list_of("token_starts", DataType::UInt32),
        list_of("token_ends", DataType::UInt32),
        list_of("token_negated", DataType::Boolean),
        list_of("codes", DataType::Utf8),
        list_of("points", DataType::Utf8),
    ];
    if dim > 0 {
        fields.push(Field::new(
            "embedding",
            DataType::FixedSizeList(
                Arc::new(Field::new("item", DataType::Float32, true)),
                dim as i32,
            ),
            true,
        ));
    }
    Arc::new(Schema::new(fields))
}

/// Writes a store as outcomes stream by (in input order).
pub struct StoreWriter {
    dir: PathBuf,
    encoder: Option<String>,
    codebook: Option<String>,
    dim: usize,
    records: Option<ArrowWriter<File>>,
    clauses: Option<ArrowWriter<File>>,
    pending: Vec<Outcome>,
    next_row: u64,
    clause_count: u64,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("dir", &self.dir)
            .field("records", &self.next_row)
            .finish()
    }
}

impl StoreWriter {
    /// Creates (or replaces) a store in `dir`. `dim` is the embedding
    /// dimension (0 without an encoder).
    pub fn create(
        dir: impl Into<PathBuf>,
        encoder: Option<String>,
        dim: usize,
        codebook: Option<String>,
    ) -> Result<StoreWriter> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let props = || {
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_row_count(Some(1 << 20))
                .build()
        };
        let open = |name: &str, schema: SchemaRef| -> Result<ArrowWriter<File>> {
            let path = dir.join(name);
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            ArrowWriter::try_new(f, schema, Some(props())).map_err(|e| err(&path, e))
        };
        Ok(StoreWriter {
            records: Some(open("records.parquet", records_schema())?),
            clauses: Some(open("clauses.parquet", clauses_schema(dim))?),
            dir,
            encoder,
            codebook,
            dim,
            pending: Vec::new(),
            next_row: 0,
            clause_count: 0,
        })
    }

    /// Adds one outcome (the next record in input order).
    pub fn push(&mut self, outcome: &Outcome) -> Result<()> {
        self.pending.push(outcome.clone());
        if self.pending.len() >= ROW_GROUP_RECORDS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let (rb, cb) = self.batches(&pending)?;
        let path = self.dir.clone();
        // One row group per flush: memory stays bounded by ROW_GROUP_RECORDS.
        for (w, b) in [(self.records.as_mut(), &rb), (self.clauses.as_mut(), &cb)] {
            if let Some(w) = w {
                w.write(b).map_err(|e| err(&path, e))?;
                w.flush().map_err(|e| err(&path, e))?;
            }
        }
        Ok(())
    }

    fn batches(&mut self, outcomes: &[Outcome]) -> Result<(RecordBatch, RecordBatch)> {
        let mut r_row = UInt64Builder::new();
        let mut r_id = StringBuilder::new();
        let mut r_id_json = StringBuilder::new();
        let mut r_line = UInt64Builder::new();
        let mut r_kind = StringBuilder::new();
        let mut r_lang = StringBuilder::new();
        let mut r_channel = StringBuilder::new();
        let mut r_touch = StringBuilder::new();
        let mut r_time = StringBuilder::new();
        let mut r_customer = StringBuilder::new();
        let mut r_nps = Int32Builder::new();
        let mut r_csat = Int32Builder::new();
        let mut r_ces = Int32Builder::new();
        let mut r_sent = StringBuilder::new();
        let mut r_pol = Float32Builder::new();
        let mut r_codes = ListBuilder::new(StringBuilder::new());
        let mut r_error = StringBuilder::new();
        let mut r_json = StringBuilder::new();

        let mut c_row = UInt64Builder::new();
        let mut c_id = StringBuilder::new();
        let mut c_idx = UInt32Builder::new();
        let mut c_turn = UInt32Builder::new();
        let mut c_speaker = StringBuilder::new();
        let mut c_role = StringBuilder::new();
        let mut c_start = UInt32Builder::new();
        let mut c_end = UInt32Builder::new();
        let mut c_lang = StringBuilder::new();
        let mut c_text = StringBuilder::new();
        let mut c_sent = StringBuilder::new();
        let mut c_pol = Float32Builder::new();
        let mut c_pn = Float32Builder::new();
        let mut c_pu = Float32Builder::new();
        let mut c_pp = Float32Builder::new();
        let mut c_voice = StringBuilder::new();
        let mut c_itch = Float32Builder::new();
        let mut c_cue = BooleanBuilder::new();
        let mut c_folded = StringBuilder::new();
        let mut c_stems = ListBuilder::new(StringBuilder::new());
        let mut c_starts = ListBuilder::new(UInt32Builder::new());
        let mut c_ends = ListBuilder::new(UInt32Builder::new());
        let mut c_neg = ListBuilder::new(BooleanBuilder::new());
        let mut c_codes = ListBuilder::new(StringBuilder::new());
        let mut c_points = ListBuilder::new(StringBuilder::new());
        let dim = self.dim.max(1) as i32;
        let mut c_emb = FixedSizeListBuilder::new(Float32Builder::new(), dim);

        let str_of = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        for o in outcomes {
            let row = self.next_row;
            self.next_row += 1;
            let json = serde_json::to_string(o)?;
            r_row.append_value(row);
            r_json.append_value(&json);
            match o {
                Outcome::Err(f) => {
                    r_id.append_value(f.id.to_string());
                    r_id_json.append_value(serde_json::to_string(&f.id)?);
                    r_line.append_value(f.line);
                    for b in [
                        &mut r_kind,
                        &mut r_lang,
                        &mut r_channel,
                        &mut r_touch,
                        &mut r_time,
                        &mut r_customer,
                        &mut r_sent,
                    ] {
                        b.append_null();
                    }
                    r_nps.append_null();
                    r_csat.append_null();
                    r_ces.append_null();
                    r_pol.append_null();
                    r_codes.append(true);
                    r_error.append_value(f.error.kind.as_str());
                }
                Outcome::Ok(a) => {
                    let id = a.id.to_string();
                    r_id.append_value(&id);
                    r_id_json.append_value(serde_json::to_string(&a.id)?);
                    r_line.append_value(a.line);
                    r_kind.append_value(str_of(serde_json::to_value(a.kind)?));
                    r_lang.append_value(a.language.code());
                    r_channel.append_option(a.channel.as_deref());
                    r_touch.append_option(a.touchpoint.as_deref());
                    r_time.append_option(
                        a.time
                            .as_ref()
                            .map(serde_json::to_value)
                            .transpose()?
                            .map(str_of),
                    );
                    r_customer.append_option(a.customer.as_deref());
                    r_nps.append_option(a.scores.nps.map(i32::from));
                    r_csat.append_option(a.scores.csat.map(i32::from));
                    r_ces.append_option(a.scores.ces.map(i32::from));
                    r_sent.append_option(
                        a.sentiment
                            .as_ref()
                            .map(|s| str_of(serde_json::to_value(s.label).unwrap_or_default())),
                    );
                    r_pol.append_option(a.sentiment.as_ref().map(|s| s.polarity));
                    for c in &a.codes {
                        r_codes.values().append_value(&*c.code);
                    }
                    r_codes.append(true);
                    r_error.append_null();
                    for (ci, c) in a.clauses.iter().enumerate() {
                        self.clause_count += 1;
                        c_row.append_value(row);
                        c_id.append_value(&id);
                        c_idx.append_value(ci as u32);
                        c_turn.append_option(c.turn.map(|t| t as u32));
                        c_speaker.append_option(c.speaker.as_deref());
                        c_role.append_value(role_str(c.role));
                        c_start.append_value(c.start as u32);
                        c_end.append_value(c.end as u32);
                        c_lang.append_value(c.language.code());
                        c_text.append_value(&c.text);
                        match &c.sentiment {
                            Some(s) => {
                                c_sent.append_value(s.label.as_str());
                                c_pol.append_value(s.polarity);
                                c_pn.append_value(s.probs.negative);
                                c_pu.append_value(s.probs.neutral);
                                c_pp.append_value(s.probs.positive);
                            }
                            None => {
                                c_sent.append_null();
                                c_pol.append_null();
                                c_pn.append_null();
                                c_pu.append_null();
                                c_pp.append_null();
                            }
                        }
                        c_voice.append_option(c.voice.as_ref().map(|v| v.label.as_str()));
                        c_itch.append_option(c.voice.as_ref().map(|v| v.probs.itch));
                        c_cue.append_option(c.voice.as_ref().map(|v| v.cue));
                        match &c.terms {
                            Some(t) => {
                                c_folded.append_value(&t.folded);
                                for tok in &t.tokens {
                                    c_stems.values().append_value(&tok.stem);
                                    c_starts.values().append_value(tok.start);
                                    c_ends.values().append_value(tok.end);
                                    c_neg.values().append_value(tok.negated);
                                }
                                c_stems.append(true);
                                c_starts.append(true);
                                c_ends.append(true);
                                c_neg.append(true);
                            }
                            None => {
                                c_folded.append_null();
                                c_stems.append(false);
                                c_starts.append(false);
                                c_ends.append(false);
                                c_neg.append(false);
                            }
                        }
                        for cc in &c.codes {
                            c_codes.values().append_value(&*cc.code);
                            c_points.values().append_value(cc.point.as_str());
                        }
                        c_codes.append(true);
                        c_points.append(true);
                        #[cfg(feature = "onnx")]
                        let emb = c.embedding.as_ref().map(|e| e.embedding.as_slice());
                        #[cfg(not(feature = "onnx"))]
                        let emb = c.embedding.as_ref().map(|e| e.as_slice());
                        match emb.filter(|e| e.len() == self.dim && self.dim > 0) {
                            Some(e) => {
                                c_emb.values().append_slice(e);
                                c_emb.append(true);
                            }
                            None => {
                                for _ in 0..dim {
                                    c_emb.values().append_null();
                                }
                                c_emb.append(false);
                            }
                        }
                    }
                }
            }
        }
        let path = self.dir.clone();
        let records = RecordBatch::try_new(
            records_schema(),
            vec![
                Arc::new(r_row.finish()) as ArrayRef,
                Arc::new(r_id.finish()),
                Arc::new(r_id_json.finish()),
                Arc::new(r_line.finish()),
                Arc::new(r_kind.finish()),
                Arc::new(r_lang.finish()),
                Arc::new(r_channel.finish()),
                Arc::new(r_touch.finish()),
                Arc::new(r_time.finish()),
                Arc::new(r_customer.finish()),
                Arc::new(r_nps.finish()),
                Arc::new(r_csat.finish()),
                Arc::new(r_ces.finish()),
                Arc::new(r_sent.finish()),
                Arc::new(r_pol.finish()),
                Arc::new(r_codes.finish()),
                Arc::new(r_error.finish()),
                Arc::new(r_json.finish()),
            ],
        )
        .map_err(|e| err(&path, e))?;
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(c_row.finish()),
            Arc::new(c_id.finish()),
            Arc::new(c_idx.finish()),
            Arc::new(c_turn.finish()),
            Arc::new(c_speaker.finish()),
            Arc::new(c_role.finish()),
            Arc::new(c_start.finish()),
            Arc::new(c_end.finish()),
            Arc::new(c_lang.finish()),
            Arc::new(c_text.finish()),
            Arc::new(c_sent.finish()),
            Arc::new(c_pol.finish()),
            Arc::new(c_pn.finish()),
            Arc::new(c_pu.finish()),
            Arc::new(c_pp.finish()),
            Arc::new(c_voice.finish()),
            Arc::new(c_itch.finish()),
            Arc::new(c_cue.finish()),
            Arc::new(c_folded.finish()),
            Arc::new(c_stems.finish()),
            Arc::new(c_starts.finish()),
            Arc::new(c_ends.finish()),
            Arc::new(c_neg.finish()),
            Arc::new(c_codes.finish()),
            Arc::new(c_points.finish()),
        ];
        if self.dim > 0 {
            cols.push(Arc::new(c_emb.finish()));
        }
        let clauses =
            RecordBatch::try_new(clauses_schema(self.dim), cols).map_err(|e| err(&path, e))?;
        Ok((records, clauses))
    }

    /// Writes the remaining rows, closes the files and writes the manifest.
    pub fn finish(mut self) -> Result<Manifest> {
        self.flush()?;
        let dir = self.dir.clone();
        for w in [self.records.take(), self.clauses.take()]
            .into_iter()
            .flatten()
        {
            w.close().map_err(|e| err(&dir, e))?;
        }
        let m = Manifest {
            format: "vocmine-store".into(),
            version: STORE_VERSION,
            vocmine: env!("CARGO_PKG_VERSION").into(),
            encoder: self.encoder.clone(),
            dim: self.dim,
            codebook: self.codebook.clone(),
            records: self.next_row,
            clauses: self.clause_count,
        };
        let path = dir.join("store.json");
        let json = serde_json::to_string_pretty(&m)?;
        std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))?;
        Ok(m)
    }
}

fn role_str(r: Role) -> &'static str {
    match serde_json::to_value(r) {
        Ok(serde_json::Value::String(s)) => match s.as_str() {
            "customer" => "customer",
            "agent" => "agent",
            "bot" => "bot",
            "system" => "system",
            _ => "other",
        },
        _ => "other",
    }
}

/// One stored clause, as reclassification needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClause {
    /// Index of the clause in its record.
    pub clause: u32,
    /// Turn index.
    pub turn: Option<u32>,
    /// Whether the speaker is the customer.
    pub customer: bool,
    /// Char span.
    pub start: u32,
    /// Char span end.
    pub end: u32,
    /// The clause text.
    pub text: String,
    /// Language code of the clause (`und` when unknown).
    pub language: String,
    /// Terms (folded text and tokens); `None` when the store has none.
    pub terms: Option<ClauseTerms>,
    /// Sentiment, when stored.
    pub sentiment: Option<Sentiment>,
    /// Voice type, when stored (stores written before voice types have none).
    pub voice: Option<Voice>,
    /// Embedding, when stored.
    pub embedding: Option<Vec<f32>>,
    /// Codes at analysis time.
    pub codes: Vec<String>,
}

/// One stored record with its clauses.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// 0-based record number.
    pub row: u64,
    /// Id (display form).
    pub id: String,
    /// Id as JSON (a string or a number, as in the output line).
    pub id_json: String,
    /// Input line.
    pub line: u64,
    /// The record's time as given (`None` when it had none).
    pub time: Option<String>,
    /// Error kind of a failed record.
    pub error: Option<String>,
    /// The output line as written at analysis time.
    pub json: String,
    /// Codes at analysis time (record level).
    pub codes: Vec<String>,
    /// The clauses.
    pub clauses: Vec<StoredClause>,
}

/// Reads a store back, record by record, in batches.
pub struct StoreReader {
    dir: PathBuf,
    manifest: Manifest,
    records: ParquetRecordBatchReader,
    clauses: ParquetRecordBatchReader,
    carry: Vec<(u64, StoredClause)>,
    clauses_done: bool,
}

impl std::fmt::Debug for StoreReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreReader")
            .field("dir", &self.dir)
            .finish()
    }
}

fn col<'a, T: 'static>(b: &'a RecordBatch, name: &str, path: &Path) -> Result<&'a T> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| {
            err(
                path,
                format!("column `{name}` is missing or has the wrong type"),
            )
        })
}

fn list_values(l: &ListArray, i: usize) -> Option<ArrayRef> {
    (!l.is_null(i)).then(|| l.value(i))
}

impl StoreReader {
    /// Opens a store written by [`StoreWriter`].
    pub fn open(dir: impl Into<PathBuf>) -> Result<StoreReader> {
        let dir = dir.into();
        let mpath = dir.join("store.json");
        let text = std::fs::read_to_string(&mpath).map_err(|e| Error::io(&mpath, e))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| Error::Resource {
            path: mpath.clone(),
            line: e.line() as u64,
            message: format!("invalid store manifest: {e}"),
        })?;
        if manifest.format != "vocmine-store" || manifest.version != STORE_VERSION {
            return Err(err(
                &mpath,
                format!(
                    "not a vocmine store of version {STORE_VERSION} (format `{}`, version {})",
                    manifest.format, manifest.version
                ),
            ));
        }
        let open = |name: &str| -> Result<ParquetRecordBatchReader> {
            let path = dir.join(name);
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            ParquetRecordBatchReaderBuilder::try_new(f)
                .and_then(|b| b.with_batch_size(8192).build())
                .map_err(|e| err(&path, e))
        };
        Ok(StoreReader {
            records: open("records.parquet")?,
            clauses: open("clauses.parquet")?,
            dir,
            manifest,
            carry: Vec::new(),
            clauses_done: false,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The next batch of records with their clauses (`None` at the end).
    pub fn next_batch(&mut self) -> Result<Option<Vec<StoredRecord>>> {
        let rpath = self.dir.join("records.parquet");
        let Some(batch) = self.records.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| err(&rpath, e))?;
        let rows = col::<UInt64Array>(&batch, "row", &rpath)?;
        let ids = col::<StringArray>(&batch, "id", &rpath)?;
        let id_jsons = col::<StringArray>(&batch, "id_json", &rpath)?;
        let lines = col::<UInt64Array>(&batch, "line", &rpath)?;
        let errors = col::<StringArray>(&batch, "error", &rpath)?;
        let times = col::<StringArray>(&batch, "time", &rpath)?;
        let jsons = col::<StringArray>(&batch, "json", &rpath)?;
        let codes = col::<ListArray>(&batch, "codes", &rpath)?;
        let mut out: Vec<StoredRecord> = (0..batch.num_rows())
            .map(|i| StoredRecord {
                row: rows.value(i),
                id: ids.value(i).to_owned(),
                id_json: id_jsons.value(i).to_owned(),
                line: lines.value(i),
                time: (!times.is_null(i)).then(|| times.value(i).to_owned()),
                error: (!errors.is_null(i)).then(|| errors.value(i).to_owned()),
                json: jsons.value(i).to_owned(),
                codes: strings(list_values(codes, i)),
                clauses: Vec::new(),
            })
            .collect();
        let Some(last) = out.last().map(|r| r.row) else {
            return Ok(Some(out));
        };
        // Pull clauses up to the last row of this batch.
        let first = out[0].row;
        loop {
            if self.carry.last().is_some_and(|(r, _)| *r > last) || self.clauses_done {
                break;
            }
            match self.clauses.next() {
                None => self.clauses_done = true,
                Some(b) => {
                    let cpath = self.dir.join("clauses.parquet");
                    let b = b.map_err(|e| err(&cpath, e))?;
                    self.read_clauses(&b, &cpath)?;
                }
            }
        }
        let split = self.carry.partition_point(|(r, _)| *r <= last);
        let rest = self.carry.split_off(split);
        let mine = std::mem::replace(&mut self.carry, rest);
        for (row, c) in mine {
            let Some(idx) = row.checked_sub(first).map(|d| d as usize) else {
                continue;
            };
            if let Some(r) = out.get_mut(idx).filter(|r| r.row == row) {
                r.clauses.push(c);
            }
        }
        Ok(Some(out))
    }

    fn read_clauses(&mut self, b: &RecordBatch, path: &Path) -> Result<()> {
        let rows = col::<UInt64Array>(b, "row", path)?;
        let idx = col::<UInt32Array>(b, "clause", path)?;
        let turns = col::<UInt32Array>(b, "turn", path)?;
        let roles = col::<StringArray>(b, "role", path)?;
        let starts = col::<UInt32Array>(b, "start", path)?;
        let ends = col::<UInt32Array>(b, "end", path)?;
        let texts = col::<StringArray>(b, "text", path)?;
        let languages = col::<StringArray>(b, "language", path)?;
        let sents = col::<StringArray>(b, "sentiment", path)?;
        let pols = col::<Float32Array>(b, "polarity", path)?;
        let pn = col::<Float32Array>(b, "p_negative", path)?;
        let pu = col::<Float32Array>(b, "p_neutral", path)?;
        let pp = col::<Float32Array>(b, "p_positive", path)?;
        // voice columns: absent in stores written before them (then no voice)
        let voices = b
            .column_by_name("voice")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>());
        let p_itch = b
            .column_by_name("p_itch")
            .and_then(|c| c.as_any().downcast_ref::<Float32Array>());
        let cues = b
            .column_by_name("voice_cue")
            .and_then(|c| c.as_any().downcast_ref::<BooleanArray>());
        let folded = col::<StringArray>(b, "folded", path)?;
        let stems = col::<ListArray>(b, "token_stems", path)?;
        let tstarts = col::<ListArray>(b, "token_starts", path)?;
        let tends = col::<ListArray>(b, "token_ends", path)?;
        let tneg = col::<ListArray>(b, "token_negated", path)?;
        let codes = col::<ListArray>(b, "codes", path)?;
        let emb = if self.manifest.dim > 0 {
            Some(col::<FixedSizeListArray>(b, "embedding", path)?)
        } else {
            None
        };
        for i in 0..b.num_rows() {
            let terms = if folded.is_null(i) {
                None
            } else {
                let st = list_values(stems, i);
                let ss = list_values(tstarts, i);
                let se = list_values(tends, i);
                let sn = list_values(tneg, i);
                let mut tokens = Vec::new();
                if let (Some(st), Some(ss), Some(se), Some(sn)) = (st, ss, se, sn) {
                    let (Some(st), Some(ss), Some(se), Some(sn)) = (
                        st.as_any().downcast_ref::<StringArray>(),
                        ss.as_any().downcast_ref::<UInt32Array>(),
                        se.as_any().downcast_ref::<UInt32Array>(),
                        sn.as_any().downcast_ref::<BooleanArray>(),
                    ) else {
                        return Err(err(path, "token columns have the wrong types"));
                    };
                    tokens.reserve(st.len());
                    for k in 0..st.len() {
                        tokens.push(TermToken {
                            stem: st.value(k).to_owned(),
                            start: ss.value(k),
                            end: se.value(k),
                            negated: sn.value(k),
                        });
                    }
                }
                Some(ClauseTerms {
                    folded: folded.value(i).to_owned(),
                    tokens,
                })
            };
            let sentiment = (!sents.is_null(i))
                .then(|| Polarity::parse(sents.value(i)))
                .flatten()
                .map(|label| {
                    let probs = Probs {
                        negative: pn.value(i),
                        neutral: pu.value(i),
                        positive: pp.value(i),
                    };
                    Sentiment {
                        label,
                        confidence: match label {
                            Polarity::Negative => probs.negative,
                            Polarity::Neutral => probs.neutral,
                            Polarity::Positive => probs.positive,
                        },
                        polarity: pols.value(i),
                        probs,
                    }
                });
            let voice = match (&sentiment, voices, p_itch) {
                (Some(s), Some(v), Some(q)) if !v.is_null(i) && !q.is_null(i) => {
                    VoiceType::parse(v.value(i)).map(|label| {
                        let cue = cues.is_some_and(|c| !c.is_null(i) && c.value(i));
                        Voice::new(s, Some(q.value(i)), cue).with_label(label)
                    })
                }
                _ => None,
            };
            let embedding = emb.and_then(|e| {
                (!e.is_null(i)).then(|| {
                    let v = e.value(i);
                    v.as_any()
                        .downcast_ref::<Float32Array>()
                        .map(|a| a.values().to_vec())
                        .unwrap_or_default()
                })
            });
            self.carry.push((
                rows.value(i),
                StoredClause {
                    clause: idx.value(i),
                    turn: (!turns.is_null(i)).then(|| turns.value(i)),
                    customer: roles.value(i) == "customer",
                    start: starts.value(i),
                    end: ends.value(i),
                    text: texts.value(i).to_owned(),
                    language: languages.value(i).to_owned(),
                    terms,
                    sentiment,
                    voice,
                    embedding,
                    codes: strings(list_values(codes, i)),
                },
            ));
        }
        Ok(())
    }
}

fn strings(a: Option<ArrayRef>) -> Vec<String> {
    a.and_then(|a| {
        a.as_any()
            .downcast_ref::<StringArray>()
            .map(|s| s.iter().flatten().map(str::to_owned).collect())
    })
    .unwrap_or_default()
}
