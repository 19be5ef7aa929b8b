//! Reclassification of a stored corpus: the codebook and points stages run
//! again over a store written by `analyze --store` (no segmentation, no
//! encoder), for the batch jobs that follow a codebook change.
//!
//! [`reclassify`] reads the store part by part ([`StoreParts`], row groups
//! of both files holding the same records; a store whose row groups do not
//! line up is read as a stream) decoding only the columns the codebooks
//! need, codes several parts at once on the engine's thread pool, and hands
//! the output lines to a sink in record order, with the same bytes whatever
//! the thread count. A line is compact (row, id, line, record codes,
//! points, coded clauses) or, with `full`, the analysis line as stored with
//! the new codes in it. With an old codebook the summary counts, per code,
//! the records that gain or lose it.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::engine::Engine;
use crate::error::Result;
use crate::io::store::{Columns, StoreParts, StoreReader, StoredRecord};
use crate::stages::codebook::{ClauseCode, ClauseRef, Codebook, Point, RecordCode};

/// Records coded with a code (not rolled up from a child) under the new and
/// the old codebook, and how many records gained or lost it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CodeCounts {
    /// Records with the code under the new codebook.
    pub new: u64,
    /// Records with the code under the old codebook (0 without one).
    pub old: u64,
    /// Records with the code under the new codebook only (0 without an old one).
    pub gained: u64,
    /// Records with the code under the old codebook only.
    pub lost: u64,
}

/// What a reclassification read and coded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReclassifySummary {
    /// Records read (failed ones included: they keep their line).
    pub records: u64,
    /// Clauses read.
    pub clauses: u64,
    /// Per code id (in id order): see [`CodeCounts`].
    pub codes: BTreeMap<String, CodeCounts>,
}

/// Codes every record of the store in `store` with `new` (and `old`, to
/// compare) and gives the output lines to `sink`, in record order, several
/// complete lines per call. `full` writes the stored analysis lines with the
/// new codes instead of compact ones. The codebooks must have been compiled
/// with the encoder the store was written with (or without one: rules and
/// learned classifiers over the stored embeddings only).
pub fn reclassify(
    engine: &Engine,
    store: &Path,
    new: &Codebook,
    old: Option<&Codebook>,
    full: bool,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<ReclassifySummary> {
    let columns = columns_for(new, old, full);
    let mut summary = ReclassifySummary::default();
    type Coded = (Vec<u8>, Vec<String>, Vec<String>);
    let code_line = |rec: &StoredRecord| -> Result<Coded> { coded_line(rec, new, old, full) };

    let code_batch = |batch: &[StoredRecord]| -> Vec<Result<Coded>> {
        batch.par_iter().map(code_line).collect()
    };
    let mut write = |batch: &[StoredRecord], results: Vec<Result<Coded>>| -> Result<()> {
        let mut buf = Vec::new();
        for (rec, res) in batch.iter().zip(results) {
            let (line, new_codes, old_codes) = res?;
            buf.extend_from_slice(&line);
            summary.records += 1;
            summary.clauses += rec.clauses.len() as u64;
            for c in &new_codes {
                let e = summary.codes.entry(c.clone()).or_default();
                e.new += 1;
                if old.is_some() && !old_codes.contains(c) {
                    e.gained += 1;
                }
            }
            for c in &old_codes {
                let e = summary.codes.entry(c.clone()).or_default();
                e.old += 1;
                if !new_codes.contains(c) {
                    e.lost += 1;
                }
            }
        }
        sink(&buf)
    };
    // Parts of the store (row groups of both files holding the same
    // records) are decoded and coded in parallel, a few at a time, and
    // written in order; a store whose row groups do not line up is read as
    // a stream, decoded on a thread of its own while the previous batch is
    // coded. Both give the same lines.
    match StoreParts::open_with(store, columns)? {
        Some(parts) => {
            let window = 2 * engine.install(rayon::current_num_threads).max(1);
            let ids: Vec<usize> = (0..parts.len()).collect();
            for chunk in ids.chunks(window) {
                let done: Vec<Result<_>> = engine.install(|| {
                    chunk
                        .par_iter()
                        .map(|&i| {
                            let batch = parts.read(i)?;
                            let coded = code_batch(&batch);
                            Ok((batch, coded))
                        })
                        .collect()
                });
                for d in done {
                    let (batch, coded) = d?;
                    write(&batch, coded)?;
                }
            }
        }
        None => {
            let mut reader = StoreReader::open_with(store, columns)?.prefetch(2)?;
            while let Some(batch) = reader.next_batch()? {
                let coded = engine.install(|| code_batch(&batch));
                write(&batch, coded)?;
            }
        }
    }
    Ok(summary)
}

/// The store columns a reclassification with `new` (and `old`) decodes:
/// the output lines only for `full` lines, the clause embeddings only for
/// codebooks that use them, never the stored codes or whole-text
/// embeddings.
pub fn columns_for(new: &Codebook, old: Option<&Codebook>, full: bool) -> Columns {
    Columns {
        json: full,
        embeddings: new.uses_embeddings() || old.is_some_and(Codebook::uses_embeddings),
        codes: false,
        text_embeddings: false,
    }
}

/// Codes the clauses of a stored record again with `cb`, in place (its
/// customer clauses with terms; the others get no codes): what clustering
/// a store with a new codebook reads.
pub fn recode_clauses(cb: &Codebook, rec: &mut StoredRecord) {
    for c in rec.clauses.iter_mut() {
        let coded: Vec<ClauseCode> = match (&c.terms, c.customer) {
            (Some(t), true) => cb.classify_voiced(
                t,
                c.embedding.as_deref(),
                c.sentiment.as_ref(),
                c.voice.as_ref(),
            ),
            _ => Vec::new(),
        };
        c.codes = coded.iter().map(|x| x.code.to_string()).collect();
    }
}

/// The codes of each clause of `rec` with `cb` (customer clauses with
/// terms only), and the record's rolled-up codes and points.
fn code_record(
    cb: &Codebook,
    rec: &StoredRecord,
) -> (Vec<Vec<ClauseCode>>, Vec<RecordCode>, Vec<Point>) {
    let coded: Vec<Vec<ClauseCode>> = rec
        .clauses
        .iter()
        .map(|c| match (&c.terms, c.customer) {
            (Some(t), true) => cb.classify_voiced(
                t,
                c.embedding.as_deref(),
                c.sentiment.as_ref(),
                c.voice.as_ref(),
            ),
            _ => Vec::new(),
        })
        .collect();
    let (codes, points) = cb.roll_up(rec.clauses.iter().zip(&coded).map(|(c, cc)| ClauseRef {
        turn: c.turn.map(|t| t as usize),
        start: c.start as usize,
        end: c.end as usize,
        text: &c.text,
        codes: cc,
    }));
    (coded, codes, points)
}
/// One record coded with `new`: its output line (compact, or `full`), its
/// new codes and (with `old`) its old codes, leaf codes only.
fn coded_line(
    rec: &StoredRecord,
    new: &Codebook,
    old: Option<&Codebook>,
    full: bool,
) -> Result<(Vec<u8>, Vec<String>, Vec<String>)> {
    let (coded, codes, points) = code_record(new, rec);
    let mut line = if let Some(kind) = &rec.error {
        if full {
            rec.json.clone().into_bytes()
        } else {
            serde_json::to_vec(&serde_json::json!({
                "row": rec.row, "id": id_value(rec), "line": rec.line, "error": kind,
            }))?
        }
    } else if full {
        let mut by_clause: Vec<&[ClauseCode]> = Vec::new();
        for (c, cc) in rec.clauses.iter().zip(&coded) {
            let i = c.clause as usize;
            if by_clause.len() <= i {
                by_clause.resize(i + 1, &[]);
            }
            by_clause[i] = cc;
        }
        full_line(&rec.json, &codes, &points, &by_clause)?
    } else {
        // serialized straight from the values, fields in this order
        #[derive(serde::Serialize)]
        struct Line<'a, C, P, K> {
            row: u64,
            id: serde_json::Value,
            line: u64,
            codes: &'a C,
            points: &'a P,
            clauses: Vec<Clause<'a, K>>,
        }
        #[derive(serde::Serialize)]
        struct Clause<'a, K> {
            clause: u32,
            turn: Option<u32>,
            start: u32,
            end: u32,
            codes: &'a K,
        }
        let clauses = rec
            .clauses
            .iter()
            .zip(&coded)
            .filter(|(_, cc)| !cc.is_empty())
            .map(|(c, cc)| Clause {
                clause: c.clause,
                turn: c.turn,
                start: c.start,
                end: c.end,
                codes: cc,
            })
            .collect();
        let mut line = Vec::with_capacity(256);
        serde_json::to_writer(
            &mut line,
            &Line {
                row: rec.row,
                id: id_value(rec),
                line: rec.line,
                codes: &codes,
                points: &points,
                clauses,
            },
        )?;
        line
    };
    line.push(b'\n');
    let new_codes: Vec<String> = codes
        .iter()
        .filter(|c| !c.rolled_up)
        .map(|c| c.code.to_string())
        .collect();
    let old_codes: Vec<String> = match old {
        Some(cb) => code_record(cb, rec)
            .1
            .iter()
            .filter(|c| !c.rolled_up)
            .map(|c| c.code.to_string())
            .collect(),
        None => Vec::new(),
    };
    Ok((line, new_codes, old_codes))
}

/// The output lines (each ending in a newline) of `records` coded again with
/// `new`, as [`reclassify`] writes them for a store, in the records' order,
/// coded in parallel on the engine's pool: what `vocmine.spark` runs on each
/// batch of a store read by Spark ([`crate::io::store::decode_nested`]).
pub fn reclassify_records(
    engine: &Engine,
    records: &[StoredRecord],
    new: &Codebook,
    full: bool,
) -> Result<Vec<Vec<u8>>> {
    engine.install(|| {
        records
            .par_iter()
            .map(|rec| coded_line(rec, new, None, full).map(|c| c.0))
            .collect()
    })
}

/// The members of a JSON object in their order, the values as their JSON
/// text (borrowed from the line, not parsed).
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Members<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Writes one member (`,"key":value`, no comma first) of an object.
fn member(out: &mut Vec<u8>, first: &mut bool, key: &str, value: &[u8]) -> Result<()> {
    if !*first {
        out.push(b',');
    }
    *first = false;
    serde_json::to_writer(&mut *out, key)?;
    out.push(b':');
    out.extend_from_slice(value);
    Ok(())
}

/// The stored analysis line with the new codes: the record's `codes` and
/// `points` right after `clauses` (present, `[]` included, as `analyze`
/// with a codebook writes them) and each clause's `codes` last (left out
/// when empty), where `analyze` writes them, every
/// other member byte for byte as stored. With the codebook of the analysis
/// the line is the stored one.
fn full_line(
    json: &str,
    codes: &impl Serialize,
    points: &impl Serialize,
    clause_codes: &[&[ClauseCode]],
) -> Result<Vec<u8>> {
    let top: Members<'_> = serde_json::from_str(json)?;
    let mut out = Vec::with_capacity(json.len() + 256);
    out.push(b'{');
    let mut first = true;
    let record_codes = serde_json::to_vec(codes)?;
    let record_points = serde_json::to_vec(points)?;
    for (k, v) in &top.0 {
        match k.as_str() {
            "codes" | "points" => {}
            "clauses" => {
                member(
                    &mut out,
                    &mut first,
                    k,
                    &clauses_with(v.get(), clause_codes)?,
                )?;
                // present, `[]` included: a codebook ran, as in `analyze`
                member(&mut out, &mut first, "codes", &record_codes)?;
                member(&mut out, &mut first, "points", &record_points)?;
            }
            _ => member(&mut out, &mut first, k, v.get().as_bytes())?,
        }
    }
    out.push(b'}');
    Ok(out)
}

/// The stored `clauses` array (JSON text) with each clause's `codes`
/// replaced by `clause_codes` (by position; last, left out when empty).
fn clauses_with(json: &str, clause_codes: &[&[ClauseCode]]) -> Result<Vec<u8>> {
    let clauses: Vec<Members<'_>> = serde_json::from_str(json)?;
    let mut arr = Vec::with_capacity(json.len() + 128);
    arr.push(b'[');
    for (i, c) in clauses.iter().enumerate() {
        if i > 0 {
            arr.push(b',');
        }
        arr.push(b'{');
        let mut first = true;
        for (k, v) in c.0.iter().filter(|(k, _)| k != "codes") {
            member(&mut arr, &mut first, k, v.get().as_bytes())?;
        }
        if let Some(cc) = clause_codes.get(i).filter(|cc| !cc.is_empty()) {
            member(&mut arr, &mut first, "codes", &serde_json::to_vec(cc)?)?;
        }
        arr.push(b'}');
    }
    arr.push(b']');
    Ok(arr)
}

/// The stored id as JSON (a number stays a number).
fn id_value(rec: &StoredRecord) -> serde_json::Value {
    serde_json::from_str(&rec.id_json).unwrap_or_else(|_| serde_json::Value::String(rec.id.clone()))
}
