//! The result store: what `vocmine analyze --store DIR` keeps, as Apache
//! Parquet files that pandas, polars, DuckDB and Spark read directly, and
//! what `vocmine reclassify` reads to re-run only the codebook and points
//! stages (no segmentation, no encoder).
//!
//! ```text
//! DIR/store.json        manifest: format version, encoder, dimension, counts
//! DIR/records.parquet   one row per input record (incl. failures), with the
//!                       output line as written (`json`) and the whole
//!                       text's embedding (`embedding`, float32[dim]; text
//!                       records of two or more encoded clauses)
//! DIR/clauses.parquet   one row per clause: spans, turn, role, language,
//!                       sentiment, folded text, tokens (stems, char spans,
//!                       negation), embedding (float32[dim]), codes, points
//! ```
//!
//! Both tables carry `row`, the 0-based record number in input order, to
//! join them. The files are written in row groups as records stream by
//! (memory bounded by the row group size): one row group of each file per
//! 4,096 records, so that the row groups of both files holding the same
//! records can be read on their own ([`StoreParts`], in parallel) as well
//! as in one stream ([`StoreReader`]). Embedding items are not nullable (a
//! clause has a whole embedding or none); stores written with nullable
//! items read the same.
//!
//! A store is written in `DIR/.partial/` and moved into place when the run
//! ends, its manifest last ([`StoreWriter`]); a run with checkpoints
//! ([`crate::io::resume`]) writes a part per checkpoint, and a store of
//! several parts has `records.parquet` and `clauses.parquet` as folders of
//! `part-NNNNN.parquet` files (the layout Spark writes, read alike).

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
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::batch::Outcome;
use crate::contract::record::Role;
use crate::error::{Error, Result};
use crate::neural::sentiment::{Polarity, Probs, Sentiment, Voice, VoiceType};
use crate::stages::codebook::{ClauseTerms, TermToken};

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

impl Manifest {
    /// The manifest of a store of this vocmine version.
    pub fn new(
        encoder: Option<String>,
        dim: usize,
        codebook: Option<String>,
        records: u64,
        clauses: u64,
    ) -> Manifest {
        Manifest {
            format: "vocmine-store".into(),
            version: STORE_VERSION,
            vocmine: env!("CARGO_PKG_VERSION").into(),
            encoder,
            dim,
            codebook,
            records,
            clauses,
        }
    }

    /// Writes the manifest as `dir/store.json` (atomically: a temporary
    /// file, then a rename).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join("store.json");
        let json = serde_json::to_string_pretty(self)?;
        crate::io::resume::write_atomic(&path, (json + "\n").as_bytes())
    }

    /// Checks that the store was written with the encoder named `encoder`
    /// (the `name` of its config.json), which must embed new texts (a
    /// codebook's exemplars) in the same space as the stored clauses.
    pub fn check_encoder(&self, encoder: &str) -> Result<()> {
        if self.encoder.as_deref() == Some(encoder) {
            return Ok(());
        }
        Err(Error::Data(format!(
            "the store was analyzed with encoder `{}`, the model given is `{encoder}`",
            self.encoder.as_deref().unwrap_or("none")
        )))
    }

    /// Reads and checks the manifest of the store in `dir` (`store.json`).
    pub fn read(dir: &Path) -> Result<Manifest> {
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
        Ok(manifest)
    }
}

/// A table error of a store file.
fn err(path: &Path, e: impl Into<crate::error::TableError>) -> Error {
    Error::table(path.display(), e)
}

fn list_of(name: &str, item: DataType) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", item, true))),
        true,
    )
}

/// The `embedding` column: float32[dim], the list nullable (no embedding),
/// its items not (a whole embedding or none: decoding then needs no
/// validity per value, about 30% of reading a store).
fn embedding_field(dim: usize) -> Field {
    Field::new(
        "embedding",
        DataType::FixedSizeList(
            Arc::new(Field::new("item", DataType::Float32, false)),
            dim as i32,
        ),
        true,
    )
}

/// The schema of `records.parquet` for embeddings of dimension `dim` (0:
/// no embedding column).
pub fn records_schema(dim: usize) -> SchemaRef {
    let mut fields = vec![
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
    ];
    if dim > 0 {
        // the whole text's embedding (`Work::text`)
        fields.push(embedding_field(dim));
    }
    Arc::new(Schema::new(fields))
}

/// The schema of `clauses.parquet` for embeddings of dimension `dim` (0:
/// no embedding column).
pub fn clauses_schema(dim: usize) -> SchemaRef {
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
        fields.push(embedding_field(dim));
    }
    Arc::new(Schema::new(fields))
}

/// Writes a store as outcomes stream by (in input order).
///
/// The tables are written as parts in `DIR/.partial/` (each under a
/// temporary name until it is closed), a part per checkpoint of a
/// resumable run ([`crate::io::resume`]) or one for the whole run. When the
/// run ends the parts are moved into place (one part: `records.parquet`
/// and `clauses.parquet` files; several: those names as folders of
/// `part-NNNNN.parquet` files, which every reader of a store reads alike),
/// the manifest is written last (atomically) and `.partial` is removed: a
/// store with a manifest is complete; a killed run leaves none.
pub struct StoreWriter {
    dir: PathBuf,
    encoder: Option<String>,
    codebook: Option<String>,
    part: Option<(ArrowWriter<File>, ArrowWriter<File>)>,
    parts: u64,
    pending: Vec<Outcome>,
    batcher: StoreBatcher,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("dir", &self.dir)
            .field("records", &self.batcher.next_row)
            .field("parts", &self.parts)
            .finish()
    }
}

/// Appends one embedding (`None`, or one of another dimension: a null
/// entry, its required items zeros).
fn push_embedding(b: &mut FixedSizeListBuilder<Float32Builder>, e: Option<&[f32]>, dim: usize) {
    match e.filter(|e| e.len() == dim && dim > 0) {
        Some(e) => {
            b.values().append_slice(e);
            b.append(true);
        }
        None => {
            for _ in 0..dim.max(1) {
                b.values().append_value(0.0);
            }
            b.append(false);
        }
    }
}

/// The folder of a store's parts while it is written.
pub const PARTIAL_DIR: &str = ".partial";

/// The checkpoint file of a resumable run writing a store, in
/// [`PARTIAL_DIR`] (removed with it when the store is finished).
pub const CHECKPOINT_FILE: &str = "checkpoint.json";

/// What a checkpoint keeps of a [`StoreWriter`].
#[derive(Serialize, Deserialize)]
struct StoreState {
    encoder: Option<String>,
    dim: usize,
    codebook: Option<String>,
    parts: u64,
    records: u64,
    clauses: u64,
}

/// Removes a file or a folder; one that is not there is no error.
fn remove_any(path: &Path) -> Result<()> {
    let r = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
    };
    r.map_err(|e| Error::io(path, e))
}

/// `records` or `clauses`: the two tables.
const TABLES: [&str; 2] = ["records", "clauses"];

impl StoreWriter {
    /// Creates (or replaces) a store in `dir`. `dim` is the embedding
    /// dimension (0 without an encoder). The manifest of a store already
    /// there is removed first, then its tables.
    pub fn create(
        dir: impl Into<PathBuf>,
        encoder: Option<String>,
        dim: usize,
        codebook: Option<String>,
    ) -> Result<StoreWriter> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        remove_any(&dir.join("store.json"))?;
        for t in TABLES {
            remove_any(&dir.join(format!("{t}.parquet")))?;
        }
        let partial = dir.join(PARTIAL_DIR);
        remove_any(&partial)?;
        std::fs::create_dir_all(&partial).map_err(|e| Error::io(&partial, e))?;
        Ok(StoreWriter {
            dir,
            encoder,
            codebook,
            part: None,
            parts: 0,
            pending: Vec::new(),
            batcher: StoreBatcher::new(dim, 0),
        })
    }

    /// Continues the store of an interrupted run from the state its
    /// checkpoint kept ([`crate::io::sink::Sink::checkpoint`]): parts after
    /// the checkpoint and unfinished parts are removed.
    pub fn resume(dir: impl Into<PathBuf>, state: &serde_json::Value) -> Result<StoreWriter> {
        let dir = dir.into();
        let st: StoreState = serde_json::from_value(state.clone())?;
        let partial = dir.join(PARTIAL_DIR);
        std::fs::create_dir_all(&partial).map_err(|e| Error::io(&partial, e))?;
        for entry in std::fs::read_dir(&partial).map_err(|e| Error::io(&partial, e))? {
            let entry = entry.map_err(|e| Error::io(&partial, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let done = TABLES.iter().any(|t| {
                name.strip_prefix(&format!("{t}-"))
                    .and_then(|r| r.strip_suffix(".parquet"))
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|i| i < st.parts)
            });
            // Unfinished parts and parts written after the checkpoint go;
            // the checkpoint itself stays.
            if !done && name != CHECKPOINT_FILE {
                remove_any(&entry.path())?;
            }
        }
        let mut batcher = StoreBatcher::new(st.dim, st.records);
        batcher.clause_count = st.clauses;
        Ok(StoreWriter {
            dir,
            encoder: st.encoder,
            codebook: st.codebook,
            part: None,
            parts: st.parts,
            pending: Vec::new(),
            batcher,
        })
    }

    /// The file of part `i` of `table` while the store is written.
    fn part_path(&self, table: &str, i: u64) -> PathBuf {
        self.dir
            .join(PARTIAL_DIR)
            .join(format!("{table}-{i:05}.parquet"))
    }

    fn open_part(&mut self) -> Result<()> {
        let props = || {
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_row_count(Some(1 << 20))
                .build()
        };
        let dim = self.batcher.dim;
        let open = |path: PathBuf, schema: SchemaRef| -> Result<ArrowWriter<File>> {
            let tmp = crate::io::resume::tmp_path(&path);
            let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            ArrowWriter::try_new(f, schema, Some(props())).map_err(|e| err(&tmp, e))
        };
        self.part = Some((
            open(self.part_path("records", self.parts), records_schema(dim))?,
            open(self.part_path("clauses", self.parts), clauses_schema(dim))?,
        ));
        Ok(())
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
        if self.part.is_none() {
            self.open_part()?;
        }
        let pending = std::mem::take(&mut self.pending);
        let (rb, cb) = self.batcher.batches(&pending)?;
        let path = self.dir.join(PARTIAL_DIR);
        // One row group per flush: memory stays bounded by ROW_GROUP_RECORDS.
        if let Some((rw, cw)) = self.part.as_mut() {
            for (w, b) in [(rw, &rb), (cw, &cb)] {
                w.write(b).map_err(|e| err(&path, e))?;
                w.flush().map_err(|e| err(&path, e))?;
            }
        }
        Ok(())
    }

    /// Writes what is pending, closes the open part and gives it its name.
    fn close_part(&mut self) -> Result<()> {
        self.flush()?;
        let Some((rw, cw)) = self.part.take() else {
            return Ok(());
        };
        for (table, w) in TABLES.into_iter().zip([rw, cw]) {
            let path = self.part_path(table, self.parts);
            let tmp = crate::io::resume::tmp_path(&path);
            w.close().map_err(|e| err(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        }
        self.parts += 1;
        Ok(())
    }

    /// Writes the remaining rows, moves the parts into place and writes the
    /// manifest; a store of no records has empty tables.
    pub fn finish(mut self) -> Result<Manifest> {
        self.close_part()?;
        if self.parts == 0 {
            self.open_part()?;
            self.close_part()?;
        }
        for table in TABLES {
            let dst = self.dir.join(format!("{table}.parquet"));
            for i in 0..self.parts {
                let src = self.part_path(table, i);
                if !src.exists() {
                    // moved already by a finish that was interrupted
                    continue;
                }
                let to = if self.parts == 1 {
                    dst.clone()
                } else {
                    std::fs::create_dir_all(&dst).map_err(|e| Error::io(&dst, e))?;
                    dst.join(format!("part-{i:05}.parquet"))
                };
                std::fs::rename(&src, &to).map_err(|e| Error::io(&to, e))?;
            }
        }
        let m = Manifest::new(
            self.encoder.clone(),
            self.batcher.dim,
            self.codebook.clone(),
            self.batcher.next_row,
            self.batcher.clause_count,
        );
        m.write(&self.dir)?;
        remove_any(&self.dir.join(PARTIAL_DIR))?;
        Ok(m)
    }
}

impl crate::io::sink::Sink for StoreWriter {
    fn push(&mut self, outcome: &Outcome) -> Result<()> {
        StoreWriter::push(self, outcome)
    }

    /// Closes the part being written: the store so far is a set of
    /// finished part files.
    fn checkpoint(&mut self) -> Result<serde_json::Value> {
        self.close_part()?;
        Ok(serde_json::to_value(StoreState {
            encoder: self.encoder.clone(),
            dim: self.batcher.dim,
            codebook: self.codebook.clone(),
            parts: self.parts,
            records: self.batcher.next_row,
            clauses: self.batcher.clause_count,
        })?)
    }
}

/// Turns outcomes into the rows of a store's two tables, numbering the
/// records from a first row: what [`StoreWriter`] writes, and what a
/// distributed writer (one batcher per partition, each with its partition's
/// first row) hands to its own Parquet writer (`vocmine.spark`).
#[derive(Debug, Clone)]
pub struct StoreBatcher {
    dim: usize,
    next_row: u64,
    clause_count: u64,
}

impl StoreBatcher {
    /// A batcher for embeddings of dimension `dim` (0: none) whose first
    /// record gets row `first_row`.
    pub fn new(dim: usize, first_row: u64) -> StoreBatcher {
        StoreBatcher {
            dim,
            next_row: first_row,
            clause_count: 0,
        }
    }

    /// The rows of `outcomes` (the next records in input order) in the
    /// store's two tables: `(records, clauses)`, with the schemas of
    /// [`records_schema`] and [`clauses_schema`].
    pub fn batches(&mut self, outcomes: &[Outcome]) -> Result<(RecordBatch, RecordBatch)> {
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
        let emb_builder =
            || {
                FixedSizeListBuilder::new(Float32Builder::new(), dim)
                    .with_field(Arc::new(Field::new("item", DataType::Float32, false)))
            };
        let mut c_emb = emb_builder();
        let mut r_emb = emb_builder();

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
                    push_embedding(&mut r_emb, None, self.dim);
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
                    for c in a.record_codes() {
                        r_codes.values().append_value(&*c.code);
                    }
                    r_codes.append(true);
                    r_error.append_null();
                    let emb = a.work.text.as_ref().map(|e| e.embedding.as_slice());
                    push_embedding(&mut r_emb, emb, self.dim);
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
                        match a.work.terms(ci) {
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
                        let emb = a.work.embedding(ci).map(|e| e.embedding.as_slice());
                        push_embedding(&mut c_emb, emb, self.dim);
                    }
                }
            }
        }
        let path = PathBuf::from("<store batch>");
        let records = RecordBatch::try_new(records_schema(self.dim), {
            let mut cols: Vec<ArrayRef> = vec![
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
            ];
            if self.dim > 0 {
                cols.push(Arc::new(r_emb.finish()));
            }
            cols
        })
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

/// A stored embedding: a view into the decoded embedding column (reading a
/// store copies no embedding). Dereferences to `&[f32]`.
#[derive(Clone, PartialEq)]
pub struct StoredEmbedding(arrow::buffer::ScalarBuffer<f32>);

impl std::ops::Deref for StoredEmbedding {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl std::fmt::Debug for StoredEmbedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
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
    pub embedding: Option<StoredEmbedding>,
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
    /// The whole text's embedding ([`crate::batch::Work::text`]:
    /// text records of two or more encoded customer clauses; `None` for
    /// the others, when [`Columns::text_embeddings`] is off, and in stores
    /// written before vocmine kept it).
    pub embedding: Option<StoredEmbedding>,
    /// The clauses.
    pub clauses: Vec<StoredClause>,
}

/// Which of a store's optional columns a [`StoreReader`] decodes. A column
/// left out is not read from disk at all, and its field comes back empty.
/// [`Columns::default`] reads everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// The records' output lines as written ([`StoredRecord::json`]; an
    /// empty string when off).
    pub json: bool,
    /// The clause embeddings ([`StoredClause::embedding`]; `None` when off).
    pub embeddings: bool,
    /// The codes given at analysis time ([`StoredRecord::codes`] and
    /// [`StoredClause::codes`]; empty when off).
    pub codes: bool,
    /// The whole texts' embeddings ([`StoredRecord::embedding`]; `None`
    /// when off).
    pub text_embeddings: bool,
}

impl Default for Columns {
    fn default() -> Columns {
        Columns {
            json: true,
            embeddings: true,
            codes: true,
            text_embeddings: true,
        }
    }
}

impl Columns {
    /// The root columns of `file` (`records.parquet` or `clauses.parquet`)
    /// that [`StoreReader`] decodes with these settings.
    fn roots(
        &self,
        schema: &parquet::schema::types::SchemaDescriptor,
        records: bool,
    ) -> Vec<usize> {
        schema
            .root_schema()
            .get_fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| self.wanted(records, f.name()))
            .map(|(i, _)| i)
            .collect()
    }

    fn wanted(&self, records: bool, name: &str) -> bool {
        match (records, name) {
            (_, "codes") => self.codes,
            (true, "json") => self.json,
            (true, "embedding") => self.text_embeddings,
            (true, n) => matches!(n, "row" | "id" | "id_json" | "line" | "time" | "error"),
            (false, "embedding") => self.embeddings,
            (false, n) => !matches!(n, "id" | "speaker" | "points"),
        }
    }
}

/// Reads a store back, record by record, in batches.
pub struct StoreReader {
    dir: PathBuf,
    manifest: Manifest,
    records: Chain,
    clauses: Chain,
    carry: Vec<(u64, StoredClause)>,
    clauses_done: bool,
    columns: Columns,
    last_row: Option<u64>,
}

/// One Parquet file of a store table, with its footer.
#[derive(Clone)]
struct TableFile {
    path: PathBuf,
    meta: parquet::arrow::arrow_reader::ArrowReaderMetadata,
    /// `row` range of each row group (`None`: no statistics).
    ranges: Option<Vec<(u64, u64)>>,
}

/// The files of one table of the store in `dir` (`name`: `records.parquet`
/// or `clauses.parquet`): the file itself, or, when `name` is a directory
/// (a store written by Spark or another distributed writer, one file per
/// partition), the `.parquet` files in it, in the order of their rows. Empty
/// files are left out; files whose rows overlap are an error.
fn table_files(dir: &Path, name: &str, dim: usize) -> Result<Vec<TableFile>> {
    let records = name == StoreTable::Records.file_name();
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    let root = dir.join(name);
    let paths = if root.is_dir() {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(&root).map_err(|e| Error::io(&root, e))? {
            let entry = entry.map_err(|e| Error::io(&root, e))?;
            let fname = entry.file_name();
            let fname = fname.to_string_lossy();
            // Spark's _SUCCESS and .crc side files, hidden and temporary files
            if fname.starts_with('_') || fname.starts_with('.') || !fname.ends_with(".parquet") {
                continue;
            }
            paths.push(entry.path());
        }
        paths.sort();
        paths
    } else {
        vec![root.clone()]
    };
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
        // The Arrow schema a writer embeds in the footer is never parsed
        // (a corrupt one made arrow-ipc panic: found by fuzzing); the
        // store's own schema is the hint instead, and a file of another
        // writer that does not fit it (Spark's signed integers and
        // variable-length lists) is read with its Parquet types and cast
        // by `canonical`.
        let hint = ArrowReaderOptions::new().with_schema(table_schema(records, dim));
        let meta = match ArrowReaderMetadata::load(&f, hint) {
            Ok(m) => m,
            Err(_) => ArrowReaderMetadata::load(
                &f,
                ArrowReaderOptions::new().with_skip_arrow_metadata(true),
            )
            .map_err(|e| err(&path, e))?,
        };
        let ranges = row_ranges(meta.metadata());
        files.push(TableFile { path, meta, ranges });
    }
    // empty files carry no rows; the others go in the order of their first row
    files.retain(|f| f.meta.metadata().file_metadata().num_rows() > 0);
    if files.iter().all(|f| f.ranges.is_some()) {
        files.sort_by_key(|f| f.ranges.as_ref().and_then(|r| r.first()).map(|r| r.0));
        for w in files.windows(2) {
            let last = w[0]
                .ranges
                .as_ref()
                .and_then(|r| r.iter().map(|r| r.1).max());
            let first = w[1]
                .ranges
                .as_ref()
                .and_then(|r| r.iter().map(|r| r.0).min());
            if let (Some(last), Some(first)) = (last, first) {
                if first <= last {
                    return Err(err(
                        &w[1].path,
                        format!(
                            "its rows (from {first}) overlap those of {} (to {last}): \
                             each file of a store must hold its own range of rows",
                            w[0].path.display()
                        ),
                    ));
                }
            }
        }
    }
    Ok(files)
}

/// The schema of `records.parquet` (`records`) or of `clauses.parquet`.
fn table_schema(records: bool, dim: usize) -> SchemaRef {
    if records {
        records_schema(dim)
    } else {
        clauses_schema(dim)
    }
}

impl TableFile {
    /// A reader of the columns `columns` asks for (of a records file when
    /// `records`), over the row groups `groups` (all when `None`), on a
    /// `File` of its own (clones of one share the read offset).
    fn reader(
        &self,
        columns: Columns,
        records: bool,
        groups: Option<&[usize]>,
    ) -> Result<ParquetRecordBatchReader> {
        let f = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let b = ParquetRecordBatchReaderBuilder::new_with_metadata(f, self.meta.clone());
        projected(b, columns, records, groups, &self.path)
    }
}

/// The batches of one store table over its files in row order, each cast
/// to the store's own column types ([`canonical`]).
struct Chain {
    files: std::vec::IntoIter<TableFile>,
    current: Option<(PathBuf, ParquetRecordBatchReader)>,
    columns: Columns,
    records: bool,
    schema: SchemaRef,
}

impl Chain {
    fn new(files: Vec<TableFile>, columns: Columns, records: bool, dim: usize) -> Chain {
        Chain {
            files: files.into_iter(),
            current: None,
            columns,
            records,
            schema: table_schema(records, dim),
        }
    }

    /// The next batch and the file it came from (`None` at the end).
    fn next(&mut self) -> Option<Result<(RecordBatch, PathBuf)>> {
        loop {
            if let Some((path, reader)) = self.current.as_mut() {
                match reader.next() {
                    Some(b) => {
                        let path = path.clone();
                        return Some(
                            b.map_err(|e| err(&path, e))
                                .and_then(|b| canonical(b, &self.schema, &path))
                                .map(|b| (b, path)),
                        );
                    }
                    None => self.current = None,
                }
            }
            let file = self.files.next()?;
            match file.reader(self.columns, self.records, None) {
                Ok(r) => self.current = Some((file.path, r)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// One table of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum StoreTable {
    /// `records.parquet`: one row per input record.
    Records,
    /// `clauses.parquet`: one row per clause.
    Clauses,
}

impl StoreTable {
    /// The table's file (or part-file directory) name in a store.
    pub fn file_name(self) -> &'static str {
        match self {
            StoreTable::Records => "records.parquet",
            StoreTable::Clauses => "clauses.parquet",
        }
    }

    /// The table's schema for embeddings of dimension `dim` (0: none).
    pub fn schema(self, dim: usize) -> SchemaRef {
        table_schema(self == StoreTable::Records, dim)
    }
}

/// The batches of one table of a store, as Arrow record batches in row
/// order ([`read_table`]).
pub struct TableBatches {
    chain: Chain,
    schema: Option<SchemaRef>,
}

impl std::fmt::Debug for TableBatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableBatches").finish_non_exhaustive()
    }
}

impl Iterator for TableBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        let (b, path) = match self.chain.next()? {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        // One schema for the whole table, every field nullable: the part
        // files of one table may differ in nullability (Spark's and ours).
        let schema = self
            .schema
            .get_or_insert_with(|| {
                Arc::new(Schema::new(
                    b.schema()
                        .fields()
                        .iter()
                        .map(|f| f.as_ref().clone().with_nullable(true))
                        .collect::<Vec<Field>>(),
                ))
            })
            .clone();
        Some(RecordBatch::try_new(schema, b.columns().to_vec()).map_err(|e| err(&path, e)))
    }
}

/// Reads one table of a store whole: every column, in row order, over its
/// file or its part files (a directory, as Spark writes it), each batch cast
/// to the store's own column types — what the readers decode, as plain
/// Arrow for other tools (Python's `vocmine.read_store`).
pub fn read_table(dir: &Path, table: StoreTable) -> Result<TableBatches> {
    let manifest = Manifest::read(dir)?;
    Ok(TableBatches {
        chain: Chain::new(
            table_files(dir, table.file_name(), manifest.dim)?,
            Columns::default(),
            table == StoreTable::Records,
            manifest.dim,
        ),
        schema: None,
    })
}

/// Whether a column of type `have` decodes as the store's type `want`
/// without a cast: the same type, up to the names and nullability of list
/// items (fixed-size lists of any item field: the dimension is checked on
/// decoding).
fn decodes_as(have: &DataType, want: &DataType) -> bool {
    match (have, want) {
        (DataType::List(a), DataType::List(b)) => decodes_as(a.data_type(), b.data_type()),
        (DataType::FixedSizeList(a, _), DataType::FixedSizeList(b, _)) => {
            decodes_as(a.data_type(), b.data_type())
        }
        (a, b) => a == b,
    }
}

/// `b` with every column the store knows cast to the store's own type where
/// it differs: Spark has no unsigned integers and no fixed-size lists, so a
/// store it wrote has `row` as int64 and embeddings as variable lists. A
/// value that does not fit (a negative row, an embedding of another length)
/// is an error naming the file.
fn canonical(b: RecordBatch, schema: &Schema, path: &Path) -> Result<RecordBatch> {
    let bschema = b.schema();
    let casts: Vec<(usize, &DataType)> = bschema
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let want = schema.field_with_name(f.name()).ok()?.data_type();
            (!decodes_as(f.data_type(), want)).then_some((i, want))
        })
        .collect();
    if casts.is_empty() {
        return Ok(b);
    }
    let options = arrow::compute::CastOptions {
        safe: false,
        ..Default::default()
    };
    let mut fields: Vec<Field> = bschema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut cols = b.columns().to_vec();
    for (i, want) in casts {
        cols[i] = arrow::compute::cast_with_options(&cols[i], want, &options).map_err(|e| {
            err(
                path,
                format!(
                    "column `{}` ({}): {e}",
                    fields[i].name(),
                    fields[i].data_type()
                ),
            )
        })?;
        fields[i] = Field::new(fields[i].name(), want.clone(), true);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| err(path, e))
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
    /// Opens a store written by [`StoreWriter`], to read every column.
    pub fn open(dir: impl Into<PathBuf>) -> Result<StoreReader> {
        StoreReader::open_with(dir, Columns::default())
    }

    /// Opens a store to read only the optional columns `columns` asks for
    /// (reclassification needs neither the output lines nor, for a codebook
    /// without exemplars or learned classifiers, the embeddings: most of a
    /// store's bytes).
    pub fn open_with(dir: impl Into<PathBuf>, columns: Columns) -> Result<StoreReader> {
        let dir = dir.into();
        let manifest = Manifest::read(&dir)?;
        let dim = manifest.dim;
        Ok(StoreReader {
            records: Chain::new(
                table_files(&dir, "records.parquet", dim)?,
                columns,
                true,
                dim,
            ),
            clauses: Chain::new(
                table_files(&dir, "clauses.parquet", dim)?,
                columns,
                false,
                dim,
            ),
            columns,
            dir,
            manifest,
            carry: Vec::new(),
            clauses_done: false,
            last_row: None,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The next batch of records with their clauses (`None` at the end).
    pub fn next_batch(&mut self) -> Result<Option<Vec<StoredRecord>>> {
        let Some(batch) = self.records.next() else {
            return Ok(None);
        };
        let (batch, rpath) = batch?;
        let dim = self.manifest.dim;
        let mut out = decode_records(&batch, &rpath, dim, self.columns)?;
        for r in &out {
            if self.last_row.is_some_and(|last| r.row <= last) {
                return Err(err(
                    &rpath,
                    format!(
                        "row {} comes after row {}: a store's records must be in row order",
                        r.row,
                        self.last_row.unwrap_or_default()
                    ),
                ));
            }
            self.last_row = Some(r.row);
        }
        let Some(last) = out.last().map(|r| r.row) else {
            return Ok(Some(out));
        };
        // Pull clauses up to the last row of this batch.
        loop {
            if self.carry.last().is_some_and(|(r, _)| *r > last) || self.clauses_done {
                break;
            }
            match self.clauses.next() {
                None => self.clauses_done = true,
                Some(b) => {
                    let (b, cpath) = b?;
                    decode_clauses(&b, &cpath, self.manifest.dim, self.columns, &mut self.carry)?;
                }
            }
        }
        let split = self.carry.partition_point(|(r, _)| *r <= last);
        let rest = self.carry.split_off(split);
        let mine = std::mem::replace(&mut self.carry, rest);
        attach(&mut out, mine);
        Ok(Some(out))
    }

    /// Moves the reader to a thread of its own that decodes up to `depth`
    /// batches ahead while the caller works on the current one (decoding is
    /// about half the work of a reclassification). The batches come in the
    /// same order and are the same as [`StoreReader::next_batch`]'s.
    pub fn prefetch(self, depth: usize) -> Result<Prefetch> {
        let dir = self.dir.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(depth.max(1));
        let thread = std::thread::Builder::new()
            .name("vocmine-store-reader".into())
            .spawn(move || {
                let mut reader = self;
                loop {
                    let next = reader.next_batch();
                    let last = !matches!(next, Ok(Some(_)));
                    if tx.send(next).is_err() || last {
                        break;
                    }
                }
            })
            .map_err(|e| Error::io(&dir, e))?;
        Ok(Prefetch {
            dir,
            rx: Some(rx),
            thread: Some(thread),
            done: false,
        })
    }
}

/// A reader of the columns `columns` asks for (of `records.parquet` when
/// `records`, else of `clauses.parquet`), in batches of 8,192 rows, over
/// the row groups `groups` (all when `None`).
fn projected(
    b: ParquetRecordBatchReaderBuilder<File>,
    columns: Columns,
    records: bool,
    groups: Option<&[usize]>,
    path: &Path,
) -> Result<ParquetRecordBatchReader> {
    let mask = ProjectionMask::roots(
        b.parquet_schema(),
        columns.roots(b.parquet_schema(), records),
    );
    let mut b = b.with_projection(mask).with_batch_size(8192);
    if let Some(g) = groups {
        b = b.with_row_groups(g.to_vec());
    }
    b.build().map_err(|e| err(path, e))
}

/// Records in one part of a [`StoreParts`] at most: a store whose row groups
/// make larger parts is read as a stream ([`StoreReader`]) instead.
const PART_RECORDS_MAX: u64 = 65_536;

/// One part of a store: consecutive row groups of `records.parquet` and of
/// `clauses.parquet` that hold the same records (and all their clauses).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    records: Vec<usize>,
    clauses: Vec<usize>,
}

/// A store read part by part, in any order and from several threads at
/// once: each part is a set of row groups of both files holding the same
/// records (the writer closes a row group of each file every 4,096
/// records), decoded on its own. [`StoreParts::open_with`] answers `None`
/// when the row groups do not line up that way or lack the statistics that
/// show it; such a store is read with [`StoreReader`].
pub struct StoreParts {
    dir: PathBuf,
    manifest: Manifest,
    columns: Columns,
    records: Vec<TableFile>,
    clauses: Vec<TableFile>,
    /// (file, row group) of each entry of the parts' `records`
    record_groups: Vec<(usize, usize)>,
    /// (file, row group) of each entry of the parts' `clauses`
    clause_groups: Vec<(usize, usize)>,
    parts: Vec<Part>,
    schemas: (SchemaRef, SchemaRef),
}

/// The `row` range of each row group of a table, and where it is: (file,
/// row group).
type FlatRanges = (Vec<(u64, u64)>, Vec<(usize, usize)>);

/// The row ranges of all row groups of `files` in file order, with the
/// (file, row group) of each; `None` when some lack statistics.
fn flat_ranges(files: &[TableFile]) -> Option<FlatRanges> {
    let mut ranges = Vec::new();
    let mut groups = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        for (gi, r) in f.ranges.as_ref()?.iter().enumerate() {
            ranges.push(*r);
            groups.push((fi, gi));
        }
    }
    Some((ranges, groups))
}

impl std::fmt::Debug for StoreParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreParts")
            .field("dir", &self.dir)
            .field("parts", &self.parts.len())
            .finish()
    }
}

/// The `row` range (min, max) of each row group of a store file, from the
/// column statistics (`None` when a row group has none).
fn row_ranges(meta: &parquet::file::metadata::ParquetMetaData) -> Option<Vec<(u64, u64)>> {
    use parquet::file::statistics::Statistics;
    let idx = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().parts() == ["row"])?;
    meta.row_groups()
        .iter()
        .map(|rg| match rg.column(idx).statistics()? {
            Statistics::Int64(v) => Some((*v.min_opt()? as u64, *v.max_opt()? as u64)),
            _ => None,
        })
        .collect()
}

/// Groups the row groups of the two files into parts (see [`StoreParts`]);
/// `None` when they do not line up.
fn parts_of(records: &[(u64, u64)], clauses: &[(u64, u64)]) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let (mut r, mut c) = (0, 0);
    while r < records.len() {
        let mut part = Part {
            records: vec![r],
            clauses: Vec::new(),
        };
        let first = records[r].0;
        let mut last = records[r].1;
        r += 1;
        loop {
            // every clause row group that starts inside the part joins it
            while c < clauses.len() && clauses[c].0 <= last {
                if clauses[c].0 < first {
                    return None;
                }
                last = last.max(clauses[c].1);
                part.clauses.push(c);
                c += 1;
            }
            // a clause row group reaching past the part's records pulls in
            // the next record row group
            if r < records.len() && records[r].0 <= last {
                last = last.max(records[r].1);
                part.records.push(r);
                r += 1;
            } else {
                break;
            }
        }
        if last - first + 1 > PART_RECORDS_MAX {
            return None;
        }
        parts.push(part);
    }
    (c == clauses.len()).then_some(parts)
}

impl StoreParts {
    /// Opens a store to read its parts; `None` when its row groups do not
    /// make parts of at most 65,536 records.
    pub fn open_with(dir: impl Into<PathBuf>, columns: Columns) -> Result<Option<StoreParts>> {
        let dir = dir.into();
        let manifest = Manifest::read(&dir)?;
        let dim = manifest.dim;
        let records = table_files(&dir, "records.parquet", dim)?;
        let clauses = table_files(&dir, "clauses.parquet", dim)?;
        let (Some((r, record_groups)), Some((c, clause_groups))) =
            (flat_ranges(&records), flat_ranges(&clauses))
        else {
            return Ok(None);
        };
        let Some(parts) = parts_of(&r, &c) else {
            return Ok(None);
        };
        let dim = manifest.dim;
        Ok(Some(StoreParts {
            dir,
            manifest,
            columns,
            records,
            clauses,
            record_groups,
            clause_groups,
            parts,
            schemas: (table_schema(true, dim), table_schema(false, dim)),
        }))
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Number of parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether the store has no parts (no records).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The records of part `i` with their clauses, in row order (the same
    /// records, in the same order, as [`StoreReader`] gives for them).
    pub fn read(&self, i: usize) -> Result<Vec<StoredRecord>> {
        let part = self.parts.get(i).ok_or_else(|| {
            err(
                &self.dir,
                format!("no part {i} (the store has {})", self.parts.len()),
            )
        })?;
        let dim = self.manifest.dim;
        let mut out = Vec::new();
        let mut clauses = Vec::new();
        for records in [true, false] {
            let (files, groups, entries, schema) = if records {
                (
                    &self.records,
                    &self.record_groups,
                    &part.records,
                    &self.schemas.0,
                )
            } else {
                (
                    &self.clauses,
                    &self.clause_groups,
                    &part.clauses,
                    &self.schemas.1,
                )
            };
            // the part's row groups, file by file (consecutive in the flat list)
            let mut k = 0;
            while k < entries.len() {
                let fi = groups[entries[k]].0;
                let mut rgs = Vec::new();
                while k < entries.len() && groups[entries[k]].0 == fi {
                    rgs.push(groups[entries[k]].1);
                    k += 1;
                }
                let file = &files[fi];
                for b in file.reader(self.columns, records, Some(&rgs))? {
                    let b = b.map_err(|e| err(&file.path, e))?;
                    let b = canonical(b, schema, &file.path)?;
                    if records {
                        out.extend(decode_records(&b, &file.path, dim, self.columns)?);
                    } else {
                        decode_clauses(&b, &file.path, dim, self.columns, &mut clauses)?;
                    }
                }
            }
        }
        attach(&mut out, clauses);
        Ok(out)
    }
}

/// The records of one batch in the shape `vocmine.spark` hands around:
/// the columns of `records.parquet` and `clauses`, a list of each record's
/// rows of `clauses.parquet` (structs), as [`StoreReader`] gives them for
/// `columns`. Columns in other types (Spark's signed integers and decimals,
/// variable-length embedding lists) are cast to the store's own.
pub fn decode_nested(
    batch: &RecordBatch,
    dim: usize,
    columns: Columns,
) -> Result<Vec<StoredRecord>> {
    let path = Path::new("<nested batch>");
    let idx = batch
        .schema()
        .index_of("clauses")
        .map_err(|_| err(path, "column `clauses` is missing"))?;
    let list = batch
        .column(idx)
        .as_any()
        .downcast_ref::<ListArray>()
        .ok_or_else(|| err(path, "column `clauses` is not a list"))?;
    let offsets = list.value_offsets();
    let first = offsets.first().copied().unwrap_or(0) as usize;
    let last = offsets.last().copied().unwrap_or(0) as usize;
    let values = list.values().slice(first, last - first);
    let structs = values
        .as_any()
        .downcast_ref::<arrow::array::StructArray>()
        .ok_or_else(|| err(path, "column `clauses` is not a list of structs"))?;
    let mut records = batch.clone();
    records.remove_column(idx);
    let records = canonical(records, &records_schema(dim), path)?;
    let clauses = canonical(
        RecordBatch::from(structs.clone()),
        &clauses_schema(dim),
        path,
    )?;
    let mut out = decode_records(&records, path, dim, columns)?;
    let mut decoded = Vec::with_capacity(clauses.num_rows());
    decode_clauses(&clauses, path, dim, columns, &mut decoded)?;
    let mut decoded = decoded.into_iter();
    for (i, r) in out.iter_mut().enumerate() {
        let n = (offsets[i + 1] - offsets[i]).max(0) as usize;
        for (row, c) in decoded.by_ref().take(n) {
            if row != r.row {
                return Err(err(
                    path,
                    format!("a clause of row {row} is listed under row {}", r.row),
                ));
            }
            r.clauses.push(c);
        }
    }
    Ok(out)
}

/// Gives each record (consecutive rows) its clauses (in row order); clauses
/// of rows not among the records are dropped.
fn attach(records: &mut [StoredRecord], clauses: Vec<(u64, StoredClause)>) {
    let Some(first) = records.first().map(|r| r.row) else {
        return;
    };
    for (row, c) in clauses {
        let Some(idx) = row.checked_sub(first).map(|d| d as usize) else {
            continue;
        };
        if let Some(r) = records.get_mut(idx).filter(|r| r.row == row) {
            r.clauses.push(c);
        }
    }
}

/// The records of one batch of `records.parquet` (no clauses yet).
/// The embedding column of a batch, if read, with its values (checked
/// against the manifest's `dim`).
fn embedding_column<'a>(
    b: &'a RecordBatch,
    path: &Path,
    dim: usize,
) -> Result<Option<(&'a FixedSizeListArray, arrow::buffer::ScalarBuffer<f32>)>> {
    let Some(c) = b.column_by_name("embedding") else {
        return Ok(None);
    };
    let e = c
        .as_any()
        .downcast_ref::<FixedSizeListArray>()
        .ok_or_else(|| err(path, "column `embedding` has the wrong type"))?;
    if e.value_length() as usize != dim {
        return Err(err(
            path,
            format!(
                "embeddings of dimension {}, the manifest says {dim}",
                e.value_length()
            ),
        ));
    }
    let v = e
        .values()
        .as_any()
        .downcast_ref::<Float32Array>()
        .ok_or_else(|| err(path, "column `embedding` does not hold float32 values"))?;
    Ok(Some((e, v.values().clone())))
}

/// Row `i` of an embedding column (a view, not a copy).
fn embedding_at(
    col: &Option<(&FixedSizeListArray, arrow::buffer::ScalarBuffer<f32>)>,
    i: usize,
    dim: usize,
) -> Option<StoredEmbedding> {
    match col {
        Some((e, v)) if !e.is_null(i) => {
            let at = e.value_offset(i) as usize;
            Some(StoredEmbedding(v.slice(at, dim)))
        }
        _ => None,
    }
}

fn decode_records(
    batch: &RecordBatch,
    path: &Path,
    dim: usize,
    columns: Columns,
) -> Result<Vec<StoredRecord>> {
    let rows = col::<UInt64Array>(batch, "row", path)?;
    let ids = col::<StringArray>(batch, "id", path)?;
    let id_jsons = col::<StringArray>(batch, "id_json", path)?;
    let lines = col::<UInt64Array>(batch, "line", path)?;
    let errors = col::<StringArray>(batch, "error", path)?;
    let times = col::<StringArray>(batch, "time", path)?;
    let jsons = match columns.json {
        true => Some(col::<StringArray>(batch, "json", path)?),
        false => None,
    };
    let codes = match columns.codes {
        true => Some(col::<ListArray>(batch, "codes", path)?),
        false => None,
    };
    // stores written before the whole-text embeddings have no such column
    let emb = if dim > 0 && columns.text_embeddings {
        embedding_column(batch, path, dim)?
    } else {
        None
    };
    let out: Vec<StoredRecord> = (0..batch.num_rows())
        .map(|i| StoredRecord {
            row: rows.value(i),
            id: ids.value(i).to_owned(),
            id_json: id_jsons.value(i).to_owned(),
            line: lines.value(i),
            time: (!times.is_null(i)).then(|| times.value(i).to_owned()),
            error: (!errors.is_null(i)).then(|| errors.value(i).to_owned()),
            json: jsons.map(|j| j.value(i).to_owned()).unwrap_or_default(),
            codes: codes
                .map(|c| strings(list_values(c, i)))
                .unwrap_or_default(),
            embedding: embedding_at(&emb, i, dim),
            clauses: Vec::new(),
        })
        .collect();
    Ok(out)
}

/// The clauses of one batch of `clauses.parquet`, with their record rows,
/// appended to `out`.
fn decode_clauses(
    b: &RecordBatch,
    path: &Path,
    dim: usize,
    columns: Columns,
    out: &mut Vec<(u64, StoredClause)>,
) -> Result<()> {
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
    let codes = match columns.codes {
        true => Some(col::<ListArray>(b, "codes", path)?),
        false => None,
    };
    let emb = if dim > 0 && columns.embeddings {
        Some(
            embedding_column(b, path, dim)?
                .ok_or_else(|| err(path, "column `embedding` is missing or has the wrong type"))?,
        )
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
                if [ss.len(), se.len(), sn.len()] != [st.len(); 3] {
                    return Err(err(path, "a clause's token lists differ in length"));
                }
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
        let embedding = embedding_at(&emb, i, dim);
        out.push((
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
                codes: codes
                    .map(|c| strings(list_values(c, i)))
                    .unwrap_or_default(),
            },
        ));
    }
    Ok(())
}

/// The batches of a [`StoreReader`] decoded ahead on a thread of its own
/// ([`StoreReader::prefetch`]); dropping it stops and joins the thread.
pub struct Prefetch {
    dir: PathBuf,
    rx: Option<std::sync::mpsc::Receiver<Result<Option<Vec<StoredRecord>>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    done: bool,
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetch").field("dir", &self.dir).finish()
    }
}

impl Prefetch {
    /// The next batch of records with their clauses (`None` at the end), as
    /// [`StoreReader::next_batch`].
    pub fn next_batch(&mut self) -> Result<Option<Vec<StoredRecord>>> {
        if self.done {
            return Ok(None);
        }
        let got = self.rx.as_ref().map(|rx| rx.recv());
        match got {
            Some(Ok(Ok(Some(batch)))) => Ok(Some(batch)),
            Some(Ok(Ok(None))) => {
                self.done = true;
                Ok(None)
            }
            Some(Ok(Err(e))) => {
                self.done = true;
                Err(e)
            }
            // The thread ended without saying so (it panicked): the rest of
            // the store was not read, which must not pass for its end.
            Some(Err(_)) | None => {
                self.done = true;
                Err(err(
                    &self.dir,
                    "the reader thread stopped before the end of the store",
                ))
            }
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // Closing the channel ends the thread at its next send.
        self.rx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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

#[cfg(test)]
mod tests {
    use super::{parts_of, Part};

    fn part(records: &[usize], clauses: &[usize]) -> Part {
        Part {
            records: records.to_vec(),
            clauses: clauses.to_vec(),
        }
    }

    #[test]
    fn aligned_row_groups_make_one_part_each() {
        let r = [(0, 4095), (4096, 8191), (8192, 9000)];
        let c = [(0, 4095), (4096, 8190), (8192, 9000)];
        assert_eq!(
            parts_of(&r, &c),
            Some(vec![part(&[0], &[0]), part(&[1], &[1]), part(&[2], &[2])])
        );
        // a record row group without clauses (all failed) has none
        let c = [(0, 4095), (8192, 9000)];
        assert_eq!(
            parts_of(&r, &c),
            Some(vec![part(&[0], &[0]), part(&[1], &[]), part(&[2], &[1])])
        );
    }

    #[test]
    fn a_clause_row_group_across_records_row_groups_merges_them() {
        let r = [(0, 99), (100, 199), (200, 299)];
        let c = [(0, 50), (51, 150), (151, 199), (200, 299)];
        assert_eq!(
            parts_of(&r, &c),
            Some(vec![part(&[0, 1], &[0, 1, 2]), part(&[2], &[3])])
        );
    }

    #[test]
    fn orphan_or_oversized_clauses_are_no_parts() {
        // clauses of rows no record has
        assert_eq!(parts_of(&[(0, 9)], &[(0, 9), (20, 30)]), None);
        // more than PART_RECORDS_MAX records in one part
        assert_eq!(parts_of(&[(0, 99_999)], &[(0, 99_999)]), None);
    }
}
