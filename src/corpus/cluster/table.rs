//! Cluster items as Arrow record batches: how a sampled clustering moves
//! items between processes (`vocmine.spark.cluster`: executors gather and
//! place them, the driver fits on the sample and reports over all).
//!
//! Columns: `row` (the store row of the item's record), `id`, `clause`,
//! `clauses`, `text`, `language`, `tokens`, `surface`, `sentiment`,
//! `codes`, `period`; then, as asked, `sampled` (in the fitted sample),
//! `embedding` (the raw vector as little-endian `float32` bytes: Spark
//! moves a binary value in one copy, an array of floats element by
//! element) and `cluster` + `centroid_similarity` (its [`Placement`]).
//! Reading casts columns of other but compatible types (Spark's large
//! strings and lists, other integer widths) to these, and also takes an
//! `embedding` that is a list of floats.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, BooleanArray, Float32Array, Int64Array, ListArray,
    ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::items::ClusterItems;
use super::report::ItemMeta;
use super::sample::{Placement, Sample};
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;

fn err(e: impl Into<crate::error::TableError>) -> Error {
    Error::table("cluster items", e)
}

fn strings() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// Which optional columns a batch of items has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemColumns {
    /// `sampled`: whether the item is in the fitted sample.
    pub sampled: bool,
    /// `embedding`: the item's vector.
    pub embedding: bool,
    /// `cluster` and `centroid_similarity`: where it was placed.
    pub placement: bool,
}

/// The schema of [`ClusterItems::to_arrow`]'s batches.
pub fn items_schema(columns: ItemColumns) -> SchemaRef {
    let mut fields = vec![
        Field::new("row", DataType::Int64, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("clause", DataType::Int64, false),
        Field::new("clauses", DataType::Int64, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("language", DataType::Utf8, false),
        Field::new("tokens", strings(), false),
        Field::new("surface", strings(), false),
        Field::new("sentiment", DataType::Utf8, true),
        Field::new("codes", strings(), false),
        Field::new("period", DataType::Int64, true),
    ];
    if columns.sampled {
        fields.push(Field::new("sampled", DataType::Boolean, false));
    }
    if columns.embedding {
        fields.push(Field::new("embedding", DataType::Binary, true));
    }
    if columns.placement {
        fields.push(Field::new("cluster", DataType::Int64, true));
        fields.push(Field::new("centroid_similarity", DataType::Float32, false));
    }
    Arc::new(Schema::new(fields))
}

fn string_lists<'a>(values: impl Iterator<Item = &'a [String]>) -> ListArray {
    let mut b = ListBuilder::new(StringBuilder::new());
    for v in values {
        for s in v {
            b.values().append_value(s);
        }
        b.append(true);
    }
    b.finish()
}

impl ClusterItems {
    /// The items as one batch ([`items_schema`]): `rows[i]` is the store
    /// row of item `i`'s record; `sample` fills `sampled`; `placements`
    /// (one per item) fill `cluster` and `centroid_similarity`;
    /// `embedding` writes the vectors (the items must have them).
    pub fn to_arrow(
        &self,
        rows: &[i64],
        sample: Option<&Sample>,
        embedding: bool,
        placements: Option<&[Placement]>,
    ) -> Result<RecordBatch> {
        let items = self.items();
        if rows.len() != items.len() || placements.is_some_and(|p| p.len() != items.len()) {
            return Err(err(format!(
                "{} items, {} rows, {} placements",
                items.len(),
                rows.len(),
                placements.map_or(0, <[Placement]>::len)
            )));
        }
        let columns = ItemColumns {
            sampled: sample.is_some(),
            embedding,
            placement: placements.is_some(),
        };
        let int = |f: &dyn Fn(&ItemMeta) -> i64| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(items.iter().map(f)))
        };
        let text = |f: &dyn Fn(&ItemMeta) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(items.iter().map(f)))
        };
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(rows.to_vec())),
            text(&|m| &m.id),
            int(&|m| m.clause as i64),
            int(&|m| m.clauses.max(1) as i64),
            text(&|m| &m.text),
            text(&|m| &m.language),
            Arc::new(string_lists(items.iter().map(|m| m.tokens.as_slice()))),
            Arc::new(string_lists(self.surfaces().iter().map(Vec::as_slice))),
            Arc::new(StringArray::from_iter(
                items.iter().map(|m| m.sentiment.map(Polarity::as_str)),
            )),
            Arc::new(string_lists(items.iter().map(|m| m.codes.as_slice()))),
            Arc::new(Int64Array::from_iter(items.iter().map(|m| m.period))),
        ];
        if let Some(s) = sample {
            cols.push(Arc::new(BooleanArray::from_iter(
                items.iter().map(|m| Some(s.keeps(&m.id, m.clause))),
            )));
        }
        if embedding {
            let v = self.raw_vectors()?;
            let dim = self.dim();
            let mut b = BinaryBuilder::with_capacity(items.len(), v.len() * 4);
            let mut bytes: Vec<u8> = Vec::with_capacity(dim * 4);
            for row in v.chunks(dim.max(1)).take(items.len()) {
                bytes.clear();
                for x in row {
                    bytes.extend_from_slice(&x.to_le_bytes());
                }
                b.append_value(&bytes);
            }
            cols.push(Arc::new(b.finish()));
        }
        if let Some(p) = placements {
            cols.push(Arc::new(Int64Array::from_iter(
                p.iter().map(|p| p.cluster.map(i64::from)),
            )));
            cols.push(Arc::new(Float32Array::from_iter_values(
                p.iter().map(|p| p.centroid_similarity),
            )));
        }
        RecordBatch::try_new(items_schema(columns), cols).map_err(err)
    }

    /// Reads items from batches in [`to_arrow`](Self::to_arrow)'s shape
    /// (in order): the items (with their vectors when the batches have an
    /// `embedding` column), each item's row, and its placement when the
    /// batches have one.
    pub fn from_arrow(batches: &[RecordBatch]) -> Result<DecodedItems> {
        let mut out = DecodedItems::default();
        for batch in batches {
            decode(batch, &mut out)?;
        }
        Ok(out)
    }
}

/// What [`ClusterItems::from_arrow`] read.
#[derive(Debug, Default)]
pub struct DecodedItems {
    /// The items.
    pub items: ClusterItems,
    /// The store row of each item's record.
    pub rows: Vec<i64>,
    /// Each item's placement (empty when the batches had none).
    pub placements: Vec<Placement>,
}

fn column(batch: &RecordBatch, name: &str, ty: &DataType) -> Result<Option<ArrayRef>> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(c) if c.data_type() == ty => Ok(Some(c.clone())),
        Some(c) => arrow::compute::cast(c, ty)
            .map(Some)
            .map_err(|e| err(format!("column `{name}`: {e}"))),
    }
}

fn required(batch: &RecordBatch, name: &str, ty: &DataType) -> Result<ArrayRef> {
    column(batch, name, ty)?.ok_or_else(|| err(format!("column `{name}` is missing")))
}

fn as_ints(a: &ArrayRef) -> Result<&Int64Array> {
    a.as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| err("an integer column of another type"))
}

fn as_strs(a: &ArrayRef) -> Result<&StringArray> {
    a.as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| err("a string column of another type"))
}

fn list_strings(a: &ArrayRef, i: usize) -> Result<Vec<String>> {
    let l = a
        .as_any()
        .downcast_ref::<ListArray>()
        .ok_or_else(|| err("a list column of another type"))?;
    if l.is_null(i) {
        return Ok(Vec::new());
    }
    let v = l.value(i);
    let s = v
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| err("a list of strings of another type"))?;
    Ok((0..s.len())
        .filter(|&j| s.is_valid(j))
        .map(|j| s.value(j).to_string())
        .collect())
}

/// An `embedding` column as written (bytes) or as a list of floats.
enum Embeddings<'a> {
    Bytes(&'a BinaryArray),
    List(&'a ListArray),
}

fn decode(batch: &RecordBatch, out: &mut DecodedItems) -> Result<()> {
    let n = batch.num_rows();
    let rows = required(batch, "row", &DataType::Int64)?;
    let ids = required(batch, "id", &DataType::Utf8)?;
    let clause = required(batch, "clause", &DataType::Int64)?;
    let clauses = required(batch, "clauses", &DataType::Int64)?;
    let texts = required(batch, "text", &DataType::Utf8)?;
    let langs = required(batch, "language", &DataType::Utf8)?;
    let tokens = required(batch, "tokens", &strings())?;
    let surface = required(batch, "surface", &strings())?;
    let sentiment = required(batch, "sentiment", &DataType::Utf8)?;
    let codes = required(batch, "codes", &strings())?;
    let period = required(batch, "period", &DataType::Int64)?;
    let embedding = match batch.column_by_name("embedding").map(|c| c.data_type()) {
        None => None,
        Some(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)) => column(
            batch,
            "embedding",
            &DataType::List(Arc::new(Field::new("item", DataType::Float32, true))),
        )?,
        Some(_) => column(batch, "embedding", &DataType::Binary)?,
    };
    let cluster = column(batch, "cluster", &DataType::Int64)?;
    let similarity = column(batch, "centroid_similarity", &DataType::Float32)?;
    let (rows, ids, clause, clauses) = (
        as_ints(&rows)?,
        as_strs(&ids)?,
        as_ints(&clause)?,
        as_ints(&clauses)?,
    );
    let (texts, langs, sentiment, period) = (
        as_strs(&texts)?,
        as_strs(&langs)?,
        as_strs(&sentiment)?,
        as_ints(&period)?,
    );
    let embedding: Option<Embeddings<'_>> = match &embedding {
        Some(e) => Some(if let Some(l) = e.as_any().downcast_ref::<ListArray>() {
            Embeddings::List(l)
        } else {
            Embeddings::Bytes(
                e.as_any()
                    .downcast_ref::<BinaryArray>()
                    .ok_or_else(|| err("column `embedding` is neither binary nor a list"))?,
            )
        }),
        None => None,
    };
    let placed = match (&cluster, &similarity) {
        (Some(c), Some(s)) => Some((
            as_ints(c)?,
            s.as_any()
                .downcast_ref::<Float32Array>()
                .ok_or_else(|| err("column `centroid_similarity` is not float"))?,
        )),
        (None, None) => None,
        _ => return Err(err("`cluster` and `centroid_similarity` come together")),
    };
    for i in 0..n {
        let sentiment = if sentiment.is_valid(i) {
            let s = sentiment.value(i);
            Some(
                Polarity::parse(s)
                    .ok_or_else(|| err(format!("row {i}: sentiment `{s}` is not a polarity")))?,
            )
        } else {
            None
        };
        let meta = ItemMeta {
            id: ids.value(i).to_string(),
            clause: usize::try_from(clause.value(i))
                .map_err(|_| err(format!("row {i}: negative clause number")))?,
            clauses: usize::try_from(clauses.value(i)).unwrap_or(1),
            text: texts.value(i).to_string(),
            language: langs.value(i).to_string(),
            tokens: list_strings(&tokens, i)?,
            sentiment,
            codes: list_strings(&codes, i)?,
            period: period.is_valid(i).then(|| period.value(i)),
        };
        let surf = list_strings(&surface, i)?;
        let vector: Option<Vec<f32>> = match embedding {
            Some(Embeddings::List(e)) if e.is_valid(i) => {
                let v = e.value(i);
                let f = v
                    .as_any()
                    .downcast_ref::<Float32Array>()
                    .ok_or_else(|| err("column `embedding` is not a list of float"))?;
                Some(f.values().to_vec())
            }
            Some(Embeddings::Bytes(e)) if e.is_valid(i) => {
                let b = e.value(i);
                if b.len() % 4 != 0 {
                    return Err(err(format!(
                        "row {i}: an embedding of {} bytes is not float32 values",
                        b.len()
                    )));
                }
                Some(
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                )
            }
            _ => None,
        };
        out.items.push_decoded(meta, surf, vector.as_deref())?;
        out.rows.push(rows.value(i));
        if let Some((c, s)) = placed {
            out.placements.push(Placement {
                cluster: if c.is_valid(i) {
                    Some(
                        u32::try_from(c.value(i))
                            .map_err(|_| err(format!("row {i}: cluster out of range")))?,
                    )
                } else {
                    None
                },
                centroid_similarity: s.value(i),
            });
        }
    }
    Ok(())
}
