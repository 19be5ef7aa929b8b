//! [`Observation`]: the few fields of an analyzed record that the analytics
//! read, owned, built from an [`Analysis`] or from one output line of
//! `vocmine analyze`; and [`Dataset`], observations read from JSON Lines
//! with the lines that were skipped counted.

use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use crate::batch::Outcome;
use crate::contract::output::Analysis;
use crate::contract::record::Timestamp;
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;
use crate::stages::codebook::PointKind;

/// A code of an observed record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedCode {
    /// The code id.
    pub code: String,
    /// The record's point on the code (pain over itch over delight over mention).
    pub point: PointKind,
    /// The owning department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// True when the code is there only as the ancestor of a matched code.
    pub rolled_up: bool,
}

/// One analyzed record, reduced to what the analytics read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// The record id, as text.
    pub id: String,
    /// When the feedback was given, with its offset (UTC for date-only times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<FixedOffset>>,
    /// Channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Touchpoint (journey stage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    /// NPS answer, 0–10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    /// CSAT answer, 1–5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<u8>,
    /// CES answer, 1–7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<u8>,
    /// Record sentiment label (with the neural encoder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Polarity>,
    /// Record sentiment polarity, −1…1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polarity: Option<f32>,
    /// Codes of the record: matched codes and their ancestors (`rolled_up`).
    pub codes: Vec<ObservedCode>,
}

/// Why an output line gave no observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The line is a failure (`{"id", "line", "error"}`): the record was not analyzed.
    Failure,
    /// The line is not a JSON object (or not JSON at all).
    Invalid(String),
}

impl Observation {
    /// An observation with only an id (for building test data in code).
    pub fn new(id: impl Into<String>) -> Observation {
        Observation {
            id: id.into(),
            time: None,
            channel: None,
            touchpoint: None,
            nps: None,
            csat: None,
            ces: None,
            sentiment: None,
            polarity: None,
            codes: Vec::new(),
        }
    }

    /// The observation of an analysis.
    pub fn from_analysis(a: &Analysis) -> Observation {
        Observation {
            id: a.id.to_string(),
            time: a.time.as_ref().map(Timestamp::instant),
            channel: a.channel.clone(),
            touchpoint: a.touchpoint.clone(),
            nps: a.scores.nps.filter(|&v| v <= 10),
            csat: a.scores.csat.filter(|v| (1..=5).contains(v)),
            ces: a.scores.ces.filter(|v| (1..=7).contains(v)),
            sentiment: a.sentiment.as_ref().map(|s| s.label),
            polarity: a.sentiment.as_ref().map(|s| s.polarity),
            codes: a
                .record_codes()
                .iter()
                .map(|c| ObservedCode {
                    code: c.code.to_string(),
                    point: c.point,
                    owner: c.owner.as_ref().map(|o| o.to_string()),
                    rolled_up: c.rolled_up,
                })
                .collect(),
        }
    }

    /// The observation of an outcome; `None` for a failure.
    pub fn from_outcome(o: &Outcome) -> Option<Observation> {
        o.analysis().map(Observation::from_analysis)
    }

    /// The observation of one output line of `vocmine analyze`, parsed.
    ///
    /// Lenient like the input parser: a field with the wrong type or an
    /// out-of-range score is ignored (as if missing); a code without a
    /// string `code` is dropped. A failure line (with `error`) and anything
    /// that is not an object are skipped.
    pub fn from_value(v: &Value) -> std::result::Result<Observation, Skip> {
        let Value::Object(map) = v else {
            return Err(Skip::Invalid(format!(
                "expected a JSON object, found {}",
                json_kind(v)
            )));
        };
        if map.get("error").is_some_and(|e| !e.is_null()) {
            return Err(Skip::Failure);
        }
        let id = match map.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => map
                .get("line")
                .and_then(Value::as_u64)
                .map(|l| l.to_string())
                .unwrap_or_default(),
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let scores = map.get("scores");
        let score = |key: &str, lo: u64, hi: u64| -> Option<u8> {
            let v = scores?.get(key)?.as_u64()?;
            (lo..=hi).contains(&v).then_some(v as u8)
        };
        let sentiment = map.get("sentiment");
        let codes = match map.get("codes") {
            Some(Value::Array(items)) => items.iter().filter_map(code_of_value).collect(),
            _ => Vec::new(),
        };
        Ok(Observation {
            id,
            time: map
                .get("time")
                .and_then(Value::as_str)
                .and_then(Timestamp::parse)
                .map(|t| t.instant()),
            channel: text("channel"),
            touchpoint: text("touchpoint"),
            nps: score("nps", 0, 10),
            csat: score("csat", 1, 5),
            ces: score("ces", 1, 7),
            sentiment: sentiment
                .and_then(|s| s.get("label"))
                .and_then(Value::as_str)
                .and_then(parse_polarity_lenient),
            polarity: sentiment
                .and_then(|s| s.get("polarity"))
                .and_then(Value::as_f64)
                .filter(|p| p.is_finite())
                .map(|p| p as f32),
            codes,
        })
    }

    /// The calendar date of `time`, in the offset it was given in.
    pub fn date(&self) -> Option<NaiveDate> {
        self.time.map(|t| t.date_naive())
    }

    /// The record's entry for `code`, if it has the code (matched or rolled up).
    pub fn code(&self, code: &str) -> Option<&ObservedCode> {
        self.codes.iter().find(|c| c.code == code)
    }

    /// Whether the record has `code` (matched or rolled up).
    pub fn has_code(&self, code: &str) -> bool {
        self.code(code).is_some()
    }

    /// Whether the record has a pain point on any code.
    pub fn has_pain(&self) -> bool {
        self.codes.iter().any(|c| c.point == PointKind::Pain)
    }

    /// Negative: a pain point on any code, or a negative record sentiment.
    pub fn is_negative(&self) -> bool {
        self.has_pain() || self.sentiment == Some(Polarity::Negative)
    }

    /// Negative about `code`: a pain point on it, or a negative record
    /// sentiment while the record has the code.
    pub fn is_negative_on(&self, code: &ObservedCode) -> bool {
        code.point == PointKind::Pain || self.sentiment == Some(Polarity::Negative)
    }

    /// Builder: sets the time from a timestamp text (see [`Timestamp::parse`];
    /// ignored when it does not parse).
    pub fn at(mut self, time: &str) -> Observation {
        self.time = Timestamp::parse(time).map(|t| t.instant());
        self
    }

    /// Builder: adds a matched code with its point and owner.
    pub fn with_code(mut self, code: &str, point: PointKind, owner: Option<&str>) -> Observation {
        self.codes.push(ObservedCode {
            code: code.to_owned(),
            point,
            owner: owner.map(str::to_owned),
            rolled_up: false,
        });
        self
    }
}

fn code_of_value(v: &Value) -> Option<ObservedCode> {
    let code = v.get("code")?.as_str()?.to_owned();
    Some(ObservedCode {
        code,
        point: v
            .get("point")
            .and_then(Value::as_str)
            .and_then(PointKind::parse)
            .unwrap_or(PointKind::Mention),
        owner: v.get("owner").and_then(Value::as_str).map(str::to_owned),
        rolled_up: v.get("rolled_up").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Observations of a corpus, with the output lines that gave none counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dataset {
    /// The analyzed records, in input order.
    pub observations: Vec<Observation>,
    /// Non-blank lines read.
    pub lines: u64,
    /// Failure lines skipped (records that were not analyzed).
    pub failures: u64,
    /// Lines that are not JSON objects, skipped.
    pub invalid: u64,
    /// Line number (1-based, blank lines counted) and reason of the first
    /// invalid line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_invalid: Option<(u64, String)>,
    /// Physical lines seen by [`Dataset::push_line`], blank ones included
    /// (for line numbers in messages).
    #[serde(skip)]
    physical: u64,
}

impl Dataset {
    /// An empty dataset.
    pub fn new() -> Dataset {
        Dataset::default()
    }

    /// Adds one output line (already parsed); skipped lines are counted.
    pub fn push_value(&mut self, v: &Value) {
        self.lines += 1;
        match Observation::from_value(v) {
            Ok(o) => self.observations.push(o),
            Err(Skip::Failure) => self.failures += 1,
            Err(Skip::Invalid(why)) => self.invalid(why),
        }
    }

    /// Adds one outcome of the engine.
    pub fn push_outcome(&mut self, o: &Outcome) {
        self.lines += 1;
        match Observation::from_outcome(o) {
            Some(obs) => self.observations.push(obs),
            None => self.failures += 1,
        }
    }

    fn invalid(&mut self, why: String) {
        self.invalid += 1;
        if self.first_invalid.is_none() {
            let line = if self.physical > 0 {
                self.physical
            } else {
                self.lines
            };
            self.first_invalid = Some((line, why));
        }
    }

    /// Adds one output line as text (blank lines are ignored; lines that do
    /// not parse count as invalid).
    pub fn push_line(&mut self, line: &[u8]) {
        self.push_line_value(line);
    }

    /// [`Dataset::push_line`], handing back the parsed line (`None` for a
    /// blank line or one that is not JSON), so that a caller reading more
    /// of each line than the observation (the report) parses it once.
    pub fn push_line_value(&mut self, line: &[u8]) -> Option<Value> {
        self.physical += 1;
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            return None;
        }
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(v) => {
                self.push_value(&v);
                Some(v)
            }
            Err(e) => {
                self.lines += 1;
                self.invalid(format!("not JSON: {e}"));
                None
            }
        }
    }

    /// Reads JSON Lines (the output of `vocmine analyze`) to the end.
    pub fn read(reader: impl BufRead) -> std::io::Result<Dataset> {
        let mut ds = Dataset::new();
        read_lines(reader, |l| ds.push_line(l))?;
        Ok(ds)
    }

    /// Reads a JSON Lines file (`-` for stdin), or the output lines kept in
    /// a result store when `path` is a store's directory.
    pub fn open(path: impl AsRef<Path>) -> Result<Dataset> {
        let mut ds = Dataset::new();
        for_each_output_line(path.as_ref(), |l| ds.push_line(l))?;
        Ok(ds)
    }

    /// The records of a result store (`analyze --store`, or one written
    /// by `vocmine.spark`): their output lines as stored, in row order.
    #[cfg(feature = "store")]
    pub fn from_store(dir: &Path) -> Result<Dataset> {
        let mut ds = Dataset::new();
        store_lines(dir, |l| ds.push_line(l))?;
        Ok(ds)
    }

    /// A dataset of outcomes of the engine.
    pub fn from_outcomes<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Dataset {
        let mut ds = Dataset::new();
        for o in outcomes {
            ds.push_outcome(o);
        }
        ds
    }
}

/// Calls `f` with every line of `reader` (its newline included).
fn read_lines(mut reader: impl BufRead, mut f: impl FnMut(&[u8])) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        f(&buf);
    }
}

/// Calls `f` with the output lines a store keeps, in row order.
#[cfg(feature = "store")]
fn store_lines(dir: &Path, mut f: impl FnMut(&[u8])) -> Result<()> {
    use crate::io::store::{Columns, StoreReader};
    let columns = Columns {
        json: true,
        embeddings: false,
        codes: false,
        text_embeddings: false,
    };
    let mut reader = StoreReader::open_with(dir, columns)?;
    while let Some(batch) = reader.next_batch()? {
        for r in batch {
            f(r.json.as_bytes());
        }
    }
    Ok(())
}

/// Calls `f` with every output line of `vocmine analyze` at `path`: a JSON
/// Lines file, `-` for stdin, or the lines a result store keeps when `path`
/// is a store's directory. What `metrics`, `compare` and `report` read.
pub fn for_each_output_line(path: &Path, mut f: impl FnMut(&[u8])) -> Result<()> {
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        return read_lines(stdin.lock(), f).map_err(|e| Error::io(path, e));
    }
    #[cfg(feature = "store")]
    if path.join("store.json").is_file() {
        return store_lines(path, f);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_lines(std::io::BufReader::with_capacity(1 << 20, file), &mut f)
        .map_err(|e| Error::io(path, e))
}

/// A polarity name, case and surrounding spaces ignored.
fn parse_polarity_lenient(s: &str) -> Option<Polarity> {
    Polarity::parse(&s.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn from_value_reads_an_output_line() {
        let v = json!({
            "id": "auto-0001", "line": 1, "kind": "conversation",
            "channel": "chat", "touchpoint": "charging", "time": "2026-08-03",
            "scores": {"csat": 3, "ces": 5, "nps": 11},
            "sentiment": {"label": "negative", "polarity": -0.207},
            "codes": [
                {"code": "after_sales", "clauses": 1, "point": "pain", "owner": "service_center", "rolled_up": true},
                {"code": "after_sales.repair.waiting", "clauses": 1, "point": "pain", "owner": "service_center"},
                {"clauses": 1}
            ]
        });
        let o = Observation::from_value(&v).unwrap();
        assert_eq!(o.id, "auto-0001");
        assert_eq!(o.channel.as_deref(), Some("chat"));
        assert_eq!(o.date(), NaiveDate::from_ymd_opt(2026, 8, 3));
        assert_eq!((o.nps, o.csat, o.ces), (None, Some(3), Some(5)));
        assert_eq!(o.sentiment, Some(Polarity::Negative));
        assert_eq!(o.codes.len(), 2);
        assert!(o.codes[0].rolled_up && !o.codes[1].rolled_up);
        assert!(o.has_code("after_sales.repair.waiting") && o.has_pain());
        assert!(o.is_negative());
    }

    #[test]
    fn dataset_counts_skipped_lines() {
        let text = concat!(
            "{\"id\": 7, \"line\": 1, \"kind\": \"text\", \"time\": \"2026-09-14T23:30:00-05:00\"}\n",
            "\n",
            "{\"id\": \"x\", \"line\": 2, \"error\": {\"kind\": \"empty_text\"}}\n",
            "not json\n",
            "[1, 2]\n",
            "{\"id\": \"y\", \"time\": \"yesterday\", \"scores\": {\"nps\": \"9\"}}"
        );
        let ds = Dataset::read(text.as_bytes()).unwrap();
        assert_eq!(ds.observations.len(), 2);
        assert_eq!((ds.lines, ds.failures, ds.invalid), (5, 1, 2));
        // "not json" is the 4th line of the file (the blank line counts).
        assert_eq!(ds.first_invalid.as_ref().map(|f| f.0), Some(4));
        assert_eq!(ds.observations[0].id, "7");
        // The local date, not the UTC one.
        assert_eq!(
            ds.observations[0].date(),
            NaiveDate::from_ymd_opt(2026, 9, 14)
        );
        assert_eq!(ds.observations[1].time, None);
        assert_eq!(ds.observations[1].nps, None);
    }
}
