//! Input records: one piece of customer feedback or one conversation.
//!
//! A [`Record`] is built from one JSON Lines line, one CSV row, or directly
//! by library users ([`Record::text`], [`Record::conversation`]). Parsing is
//! strict about the structure (a missing or mistyped `text` is a
//! [`RecordError`]) and lenient about optional fields: a bad `time` or an
//! out-of-range score becomes a warning, the field is dropped, and the record
//! is still analyzed.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::contract::output::Failure;
use crate::error::{RecordError, RecordErrorKind};

/// A record identifier: the `id` field as given (string or number), or the
/// input line number when the record has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordId {
    /// A string id.
    Str(String),
    /// A numeric id (kept as JSON number text so that large ids round-trip).
    Num(serde_json::Number),
}

impl RecordId {
    /// The id a record gets when it has none: its line number.
    pub fn from_line(line: u64) -> Self {
        RecordId::Num(serde_json::Number::from(line))
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordId::Str(s) => f.write_str(s),
            RecordId::Num(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RecordId::Str(v) => s.serialize_str(v),
            RecordId::Num(n) => n.serialize(s),
        }
    }
}

impl From<&str> for RecordId {
    fn from(s: &str) -> Self {
        RecordId::Str(s.to_owned())
    }
}

impl From<String> for RecordId {
    fn from(s: String) -> Self {
        RecordId::Str(s)
    }
}

impl From<u64> for RecordId {
    fn from(n: u64) -> Self {
        RecordId::Num(n.into())
    }
}

/// A validated point in time, kept with the text it was given as.
///
/// Accepted forms: RFC 3339 (`2026-09-14T10:32:00+08:00`), `YYYY-MM-DD`
/// (midnight UTC), and `YYYY-MM-DD HH:MM[:SS]` (taken as UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    original: String,
    instant: DateTime<FixedOffset>,
    date_only: bool,
}

impl Timestamp {
    /// Parses one of the accepted forms.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let t = s.trim();
        let utc = FixedOffset::east_opt(0)?;
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Some(Timestamp {
                original: t.to_owned(),
                instant: dt,
                date_only: false,
            });
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            let dt = d.and_hms_opt(0, 0, 0)?.and_local_timezone(utc).single()?;
            return Some(Timestamp {
                original: t.to_owned(),
                instant: dt,
                date_only: true,
            });
        }
        for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
                let dt = n.and_local_timezone(utc).single()?;
                return Some(Timestamp {
                    original: t.to_owned(),
                    instant: dt,
                    date_only: false,
                });
            }
        }
        None
    }

    /// The text as given in the input.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The instant, with the offset it was given in (UTC for date-only forms).
    pub fn instant(&self) -> DateTime<FixedOffset> {
        self.instant
    }

    /// Whether only a calendar date was given.
    pub fn is_date_only(&self) -> bool {
        self.date_only
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.original)
    }
}

/// The role of a speaker in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The customer: their turns drive codes, points and sentiment.
    Customer,
    /// A human agent.
    Agent,
    /// An automated assistant.
    Bot,
    /// System messages (transfers, hold music, ...).
    System,
    /// Any other speaker label.
    Other,
}

impl Role {
    /// Maps a speaker label to its role (case-insensitive; the labels of
    /// every language pack's `roles.txt` are known, such as `user`,
    /// `client`, `客户`, `клиент`, `operator`, `坐席`).
    pub fn of(speaker: &str) -> Role {
        let s = speaker.trim().to_lowercase();
        role_labels()
            .get(s.as_str())
            .copied()
            .unwrap_or(Role::Other)
    }
}

/// The byte length of the known role label that starts `speaker`
/// (case-insensitive; the longest), when a separator (space, `-`, `_`,
/// `:`) or — after a Chinese label — a Han character follows it:
/// `agent Anna`, `坐席-张三`, `客服李四`. PII redaction reads what follows
/// as the speaker's name.
pub fn role_label_prefix(speaker: &str) -> Option<usize> {
    let lower = speaker.to_lowercase();
    if lower.len() != speaker.len() {
        return None;
    }
    let mut best: Option<usize> = None;
    for label in role_labels().keys() {
        if label.len() < lower.len() && lower.starts_with(label.as_str()) {
            let next = lower[label.len()..].chars().next();
            let han_label = label
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            let ok = next.is_some_and(|c| {
                matches!(c, ' ' | '-' | '_' | ':' | '：')
                    || han_label && ('\u{4e00}'..='\u{9fff}').contains(&c)
            });
            if ok && best.is_none_or(|b| label.len() > b) {
                best = Some(label.len());
            }
        }
    }
    best
}

/// Speaker label → role, from every language pack's `roles.txt`.
fn role_labels() -> &'static HashMap<String, Role> {
    static LABELS: OnceLock<HashMap<String, Role>> = OnceLock::new();
    LABELS.get_or_init(|| {
        let mut map = HashMap::new();
        for pack in crate::lang::PACKS {
            for (role, label) in crate::lang::role_labels(pack.roles) {
                let role = match role {
                    "customer" => Role::Customer,
                    "agent" => Role::Agent,
                    "bot" => Role::Bot,
                    "system" => Role::System,
                    _ => continue, // the pack test names every role
                };
                map.entry(label).or_insert(role);
            }
        }
        map
    })
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    /// Speaker label as given (`customer`, `agent`, `bot`, `system`, or anything else).
    pub speaker: String,
    /// The turn's original text.
    pub text: String,
    /// When the turn was said, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

impl Turn {
    /// Creates a turn without a time.
    pub fn new(speaker: impl Into<String>, text: impl Into<String>) -> Self {
        Turn {
            speaker: speaker.into(),
            text: text.into(),
            time: None,
        }
    }

    /// The speaker's role.
    pub fn role(&self) -> Role {
        Role::of(&self.speaker)
    }
}

/// What a record says: one text, or a conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A single piece of feedback (review, survey answer, post).
    Text(String),
    /// A conversation.
    Turns(Vec<Turn>),
}

/// Survey scores attached to a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Scores {
    /// Net Promoter Score answer, 0–10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    /// Customer satisfaction, 1–5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<u8>,
    /// Customer effort score, 1–7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<u8>,
}

impl Scores {
    /// Whether no score is set.
    pub fn is_empty(&self) -> bool {
        self.nps.is_none() && self.csat.is_none() && self.ces.is_none()
    }
}

/// One input record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's id (its line number when the input has none).
    pub id: RecordId,
    /// 1-based input line (for CSV, the line the row starts on; 0 for records built in code).
    pub line: u64,
    /// The text or the conversation.
    pub body: Body,
    /// Channel (call_center, chat, app_review, survey, social, store, ...).
    pub channel: Option<String>,
    /// Journey stage.
    pub touchpoint: Option<String>,
    /// When the feedback was given.
    pub time: Option<Timestamp>,
    /// Customer identifier.
    pub customer: Option<String>,
    /// Survey scores.
    pub scores: Scores,
    /// Free JSON passed through to the output.
    pub meta: Option<Value>,
    /// Problems with optional fields that were dropped (the record is still analyzed).
    pub warnings: Vec<RecordError>,
}

impl Record {
    /// A single-text record with no other fields.
    pub fn text(id: impl Into<RecordId>, text: impl Into<String>) -> Self {
        Record::with_body(id.into(), Body::Text(text.into()))
    }

    /// A conversation record with no other fields.
    pub fn conversation(id: impl Into<RecordId>, turns: Vec<Turn>) -> Self {
        Record::with_body(id.into(), Body::Turns(turns))
    }

    fn with_body(id: RecordId, body: Body) -> Self {
        Record {
            id,
            line: 0,
            body,
            channel: None,
            touchpoint: None,
            time: None,
            customer: None,
            scores: Scores::default(),
            meta: None,
            warnings: Vec::new(),
        }
    }

    /// Checks the parts a record needs to be analyzed: a non-empty text, or
    /// at least one non-empty turn. Records built in code go through this too.
    pub fn validate(&self) -> Result<(), RecordError> {
        match &self.body {
            Body::Text(t) if t.trim().is_empty() => Err(RecordError::new(
                RecordErrorKind::EmptyText,
                self.line,
                "the text is empty or whitespace only",
            )
            .with_field("text")),
            Body::Turns(turns) if turns.iter().all(|t| t.text.trim().is_empty()) => {
                Err(RecordError::new(
                    RecordErrorKind::EmptyText,
                    self.line,
                    if turns.is_empty() {
                        "the conversation has no turns"
                    } else {
                        "every turn's text is empty or whitespace only"
                    },
                )
                .with_field("turns"))
            }
            _ => Ok(()),
        }
    }

    /// Parses one JSON Lines line (already checked for size and UTF-8).
    ///
    /// On failure the [`Failure`] carries the record's id when it could be
    /// read, its line number otherwise.
    pub fn from_json_str(s: &str, line: u64) -> Result<Record, Failure> {
        let fail = |error| Failure {
            id: RecordId::from_line(line),
            line,
            error,
        };
        let value: Value = serde_json::from_str(s).map_err(|e| {
            fail(RecordError::new(
                RecordErrorKind::InvalidJson,
                line,
                format!("{e} (column {})", e.column()),
            ))
        })?;
        match value {
            Value::Object(map) => Record::from_map(map, line),
            other => Err(fail(RecordError::new(
                RecordErrorKind::InvalidJson,
                line,
                format!("expected a JSON object, found {}", json_type(&other)),
            ))),
        }
    }

    /// Builds a record from a parsed JSON object.
    pub fn from_map(map: Map<String, Value>, line: u64) -> Result<Record, Failure> {
        let id = match map.get("id") {
            Some(Value::String(s)) => RecordId::Str(s.clone()),
            Some(Value::Number(n)) => RecordId::Num(n.clone()),
            _ => RecordId::from_line(line),
        };
        Record::from_map_inner(map, line).map_err(|error| Failure { id, line, error })
    }

    fn from_map_inner(mut map: Map<String, Value>, line: u64) -> Result<Record, RecordError> {
        let err = |kind, field: &str, msg: String| {
            RecordError::new(kind, line, msg).with_field(field.to_owned())
        };
        let id = match map.remove("id") {
            None | Some(Value::Null) => RecordId::from_line(line),
            Some(Value::String(s)) => RecordId::Str(s),
            Some(Value::Number(n)) => RecordId::Num(n),
            Some(other) => {
                return Err(err(
                    RecordErrorKind::WrongType,
                    "id",
                    format!(
                        "`id` must be a string or a number, found {}",
                        json_type(&other)
                    ),
                ))
            }
        };
        let mut warnings = Vec::new();
        let text = map.remove("text").filter(|v| !v.is_null());
        let turns = map.remove("turns").filter(|v| !v.is_null());
        let body = match (text, turns) {
            (None, None) => {
                return Err(err(
                    RecordErrorKind::MissingText,
                    "text",
                    "the record has neither `text` nor `turns`".into(),
                ))
            }
            (Some(_), Some(_)) => {
                return Err(err(
                    RecordErrorKind::InvalidValue,
                    "text",
                    "the record has both `text` and `turns`; give one of them".into(),
                ))
            }
            (Some(Value::String(s)), None) => Body::Text(s),
            (Some(t), None) => {
                return Err(err(
                    RecordErrorKind::WrongType,
                    "text",
                    format!("`text` must be a string, found {}", json_type(&t)),
                ))
            }
            (None, Some(Value::Array(items))) => {
                Body::Turns(parse_turns(items, line, &mut warnings)?)
            }
            (None, Some(u)) => {
                return Err(err(
                    RecordErrorKind::WrongType,
                    "turns",
                    format!("`turns` must be a list, found {}", json_type(&u)),
                ))
            }
        };
        let mut record = Record::with_body(id, body);
        record.line = line;
        record.channel = opt_string(&mut map, "channel", line, &mut warnings);
        record.touchpoint = opt_string(&mut map, "touchpoint", line, &mut warnings);
        record.customer = opt_string(&mut map, "customer", line, &mut warnings);
        record.time = opt_time(map.remove("time"), "time", line, &mut warnings);
        if let Some(scores) = map.remove("scores") {
            record.scores = parse_scores(scores, line, &mut warnings);
        }
        record.meta = match map.remove("meta") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        };
        record.warnings = warnings;
        record.validate()?;
        Ok(record)
    }
}

/// A record error about one field.
fn field_error(kind: RecordErrorKind, line: u64, field: String, message: String) -> RecordError {
    RecordError::new(kind, line, message).with_field(field)
}

fn parse_turns(
    items: Vec<Value>,
    line: u64,
    warnings: &mut Vec<RecordError>,
) -> Result<Vec<Turn>, RecordError> {
    let mut turns = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let field = |name: &str| format!("turns[{i}]{name}");
        let mut obj = match item {
            Value::Object(o) => o,
            other => {
                return Err(field_error(
                    RecordErrorKind::WrongType,
                    line,
                    field(""),
                    format!("each turn must be an object, found {}", json_type(&other)),
                ))
            }
        };
        let text = match obj.remove("text") {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) => {
                return Err(field_error(
                    RecordErrorKind::MissingText,
                    line,
                    field(".text"),
                    format!("turn {i} has no `text`"),
                ))
            }
            Some(other) => {
                return Err(field_error(
                    RecordErrorKind::WrongType,
                    line,
                    field(".text"),
                    format!("`text` must be a string, found {}", json_type(&other)),
                ))
            }
        };
        let speaker = match obj.remove("speaker").or_else(|| obj.remove("role")) {
            Some(Value::String(s)) if !s.trim().is_empty() => s,
            None | Some(Value::Null) => {
                return Err(field_error(
                    RecordErrorKind::MissingField,
                    line,
                    field(".speaker"),
                    format!("turn {i} has no `speaker`"),
                ))
            }
            Some(Value::String(_)) => {
                return Err(field_error(
                    RecordErrorKind::InvalidValue,
                    line,
                    field(".speaker"),
                    format!("turn {i} has an empty `speaker`"),
                ))
            }
            Some(other) => {
                return Err(field_error(
                    RecordErrorKind::WrongType,
                    line,
                    field(".speaker"),
                    format!("`speaker` must be a string, found {}", json_type(&other)),
                ))
            }
        };
        let time = opt_time(obj.remove("time"), &field(".time"), line, warnings);
        turns.push(Turn {
            speaker,
            text,
            time,
        });
    }
    Ok(turns)
}

fn opt_string(
    map: &mut Map<String, Value>,
    key: &str,
    line: u64,
    warnings: &mut Vec<RecordError>,
) -> Option<String> {
    match map.remove(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            warnings.push(
                RecordError::new(
                    RecordErrorKind::WrongType,
                    line,
                    format!(
                        "`{key}` must be a string, found {}; field dropped",
                        json_type(&other)
                    ),
                )
                .with_field(key),
            );
            None
        }
    }
}

fn opt_time(
    value: Option<Value>,
    field: &str,
    line: u64,
    warnings: &mut Vec<RecordError>,
) -> Option<Timestamp> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => match Timestamp::parse(&s) {
            Some(t) => Some(t),
            None => {
                warnings.push(
                    RecordError::new(
                        RecordErrorKind::InvalidValue,
                        line,
                        format!("`{s}` is not RFC 3339 or YYYY-MM-DD; field dropped"),
                    )
                    .with_field(field),
                );
                None
            }
        },
        Some(other) => {
            warnings.push(
                RecordError::new(
                    RecordErrorKind::WrongType,
                    line,
                    format!(
                        "`{field}` must be a string, found {}; field dropped",
                        json_type(&other)
                    ),
                )
                .with_field(field),
            );
            None
        }
    }
}

/// Parses one score value (a number, or a numeric string as CSV gives it).
pub(crate) fn parse_score(
    value: &Value,
    name: &str,
    range: (u8, u8),
    line: u64,
    warnings: &mut Vec<RecordError>,
) -> Option<u8> {
    let field = format!("scores.{name}");
    let n = match value {
        Value::Null => return None,
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(x) if x.fract() == 0.0 && x >= f64::from(range.0) && x <= f64::from(range.1) => {
            Some(x as u8)
        }
        Some(x) => {
            warnings.push(
                RecordError::new(
                    RecordErrorKind::InvalidValue,
                    line,
                    format!(
                        "{name} must be an integer from {} to {}, found {x}; score dropped",
                        range.0, range.1
                    ),
                )
                .with_field(field),
            );
            None
        }
        None => {
            warnings.push(
                RecordError::new(
                    RecordErrorKind::WrongType,
                    line,
                    format!(
                        "{name} must be a number, found {}; score dropped",
                        json_type(value)
                    ),
                )
                .with_field(field),
            );
            None
        }
    }
}

/// Valid ranges of the three survey scores.
pub(crate) const NPS_RANGE: (u8, u8) = (0, 10);
pub(crate) const CSAT_RANGE: (u8, u8) = (1, 5);
pub(crate) const CES_RANGE: (u8, u8) = (1, 7);

fn parse_scores(value: Value, line: u64, warnings: &mut Vec<RecordError>) -> Scores {
    let mut scores = Scores::default();
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (k, v) in &map {
                match k.as_str() {
                    "nps" => scores.nps = parse_score(v, "nps", NPS_RANGE, line, warnings),
                    "csat" => scores.csat = parse_score(v, "csat", CSAT_RANGE, line, warnings),
                    "ces" => scores.ces = parse_score(v, "ces", CES_RANGE, line, warnings),
                    other => warnings.push(
                        RecordError::new(
                            RecordErrorKind::InvalidValue,
                            line,
                            format!("unknown score `{other}` (expected nps, csat or ces); ignored"),
                        )
                        .with_field(format!("scores.{other}")),
                    ),
                }
            }
        }
        other => warnings.push(
            RecordError::new(
                RecordErrorKind::WrongType,
                line,
                format!(
                    "`scores` must be an object, found {}; field dropped",
                    json_type(&other)
                ),
            )
            .with_field("scores"),
        ),
    }
    scores
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_record_with_fields() {
        let r = Record::from_json_str(
            r#"{"id":"a1","text":"服务很好","channel":"chat","time":"2026-09-01","scores":{"nps":9,"csat":5},"meta":{"x":[1]}}"#,
            3,
        )
        .unwrap();
        assert_eq!(r.id, RecordId::Str("a1".into()));
        assert_eq!(r.line, 3);
        assert!(matches!(r.body, Body::Text(ref t) if t == "服务很好"));
        assert_eq!(r.scores.nps, Some(9));
        assert_eq!(r.scores.csat, Some(5));
        assert!(r.time.as_ref().unwrap().is_date_only());
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn failures_keep_the_id() {
        let f = Record::from_json_str(r#"{"id":"x9","text":""}"#, 5).unwrap_err();
        assert_eq!(f.id, RecordId::Str("x9".into()));
        assert_eq!(f.error.kind, RecordErrorKind::EmptyText);
    }

    #[test]
    fn missing_id_uses_line() {
        let r = Record::from_json_str(r#"{"text":"ok"}"#, 42).unwrap();
        assert_eq!(r.id, RecordId::from_line(42));
    }

    #[test]
    fn structural_errors_are_errors() {
        let cases = [
            (r#"{"id":1}"#, RecordErrorKind::MissingText),
            (r#"{"text":5}"#, RecordErrorKind::WrongType),
            (r#"{"text":"   "}"#, RecordErrorKind::EmptyText),
            (r#"{"turns":"hi"}"#, RecordErrorKind::WrongType),
            (r#"{"turns":[]}"#, RecordErrorKind::EmptyText),
            (
                r#"{"turns":[{"text":"hi"}]}"#,
                RecordErrorKind::MissingField,
            ),
            (
                r#"{"turns":[{"speaker":"customer"}]}"#,
                RecordErrorKind::MissingText,
            ),
            (r#"{"text":"a","turns":[]}"#, RecordErrorKind::InvalidValue),
            (r#"{"id":{},"text":"a"}"#, RecordErrorKind::WrongType),
            (r#"[1,2]"#, RecordErrorKind::InvalidJson),
            (r#"{"text":"a""#, RecordErrorKind::InvalidJson),
        ];
        for (line, kind) in cases {
            let e = Record::from_json_str(line, 7).unwrap_err().error;
            assert_eq!(e.kind, kind, "{line}: {e}");
            assert_eq!(e.line, 7);
        }
    }

    #[test]
    fn bad_optional_fields_are_warnings() {
        let r = Record::from_json_str(
            r#"{"text":"ok","time":"yesterday","scores":{"nps":11,"csat":"4","ces":"x"},"channel":["a"]}"#,
            1,
        )
        .unwrap();
        assert_eq!(r.time, None);
        assert_eq!(r.scores.nps, None);
        assert_eq!(r.scores.csat, Some(4));
        assert_eq!(r.scores.ces, None);
        assert_eq!(r.channel, None);
        let fields: Vec<_> = r
            .warnings
            .iter()
            .filter_map(|w| w.field.as_deref())
            .collect();
        assert_eq!(fields, ["channel", "time", "scores.nps", "scores.ces"]);
    }

    #[test]
    fn timestamps() {
        assert!(Timestamp::parse("2026-09-14T10:32:00+08:00").is_some());
        assert!(Timestamp::parse("2026-09-14").is_some());
        assert!(Timestamp::parse("2026-09-14 10:32").is_some());
        assert!(Timestamp::parse("14.09.2026").is_none());
    }

    #[test]
    fn roles() {
        assert_eq!(Role::of("Customer"), Role::Customer);
        assert_eq!(Role::of("客服"), Role::Agent);
        assert_eq!(Role::of("IVR"), Role::Bot);
        assert_eq!(Role::of("supervisor"), Role::Other);
    }
}
