//! Evaluation of what `analyze` says about a customer, against labelled
//! records: the record's overall sentiment (`sentiment.label`) and the voice
//! type of its customer clauses, through the same engine path as `analyze`.
//!
//! Labelled records: JSON Lines, one per line:
//! `{"id": "...", "text": "...", "language": "zh", "sentiment": "negative", "voice": "itch", "set": "hotel"}`.
//! `sentiment` (negative / neutral / positive), `voice` (pain / itch /
//! delight / neutral) and `itch` (true / false, for sets labelled only with
//! it) are each optional; `set` groups the report (default
//! `all`). A record's predicted voice, for a one-label gold, is
//! [`crate::neural::sentiment::VoiceCounts::dominant`]: itch if any clause is an itch, else pain, else
//! delight, else neutral. Scores are per set and per language (the record's
//! detected language), with confusion matrices.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::batch::Outcome;
use crate::contract::output::Analysis;
use crate::contract::record::Record;
use crate::error::{Error, Result};
use crate::neural::sentiment::{Polarity, VoiceType};
use crate::Engine;

/// One labelled record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledRecord {
    /// Id of the record.
    #[serde(default)]
    pub id: serde_json::Value,
    /// The text.
    pub text: String,
    /// Its language as labelled (reports use the detected one).
    #[serde(default)]
    pub language: Option<String>,
    /// Gold overall sentiment.
    #[serde(default)]
    pub sentiment: Option<String>,
    /// Gold voice type.
    #[serde(default)]
    pub voice: Option<String>,
    /// Gold itch or not, for sets labelled only with it (e.g. suggestion
    /// mining); implied by `voice` when that is given.
    #[serde(default)]
    pub itch: Option<bool>,
    /// The set it belongs to (groups the report).
    #[serde(default)]
    pub set: Option<String>,
}

/// Reads labelled records; errors name the file and line.
pub fn read_labelled(path: &Path) -> Result<Vec<LabelledRecord>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| Error::Resource {
            path: path.to_owned(),
            line: i as u64 + 1,
            message,
        };
        out.push(parse_labelled(&line).map_err(bad)?);
    }
    Ok(out)
}

/// Parses and checks one labelled record (a JSON object: `text`, and any of
/// `id`, `language`, `sentiment`, `voice`, `itch`, `set`); the error says
/// what is wrong.
pub fn parse_labelled(line: &str) -> std::result::Result<LabelledRecord, String> {
    let item: LabelledRecord =
        serde_json::from_str(line).map_err(|e| format!("invalid labelled record: {e}"))?;
    if let Some(s) = &item.sentiment {
        if Polarity::parse(s).is_none() {
            return Err(format!(
                "sentiment `{s}` is not negative, neutral or positive"
            ));
        }
    }
    if let Some(v) = &item.voice {
        if VoiceType::parse(v).is_none() {
            return Err(format!("voice `{v}` is not pain, itch, delight or neutral"));
        }
    }
    Ok(item)
}

/// Accuracy, macro-F1 and the confusion matrix of one label set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Items scored.
    pub n: usize,
    /// Share predicted right.
    pub accuracy: f64,
    /// Mean F1 over the gold classes present.
    pub macro_f1: f64,
    /// Per class (gold classes present): precision, recall, F1, support.
    pub classes: BTreeMap<String, ClassScore>,
    /// `confusion[gold][predicted]` counts.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassScore {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Gold items of the class.
    pub support: usize,
}

impl Scores {
    fn add(&mut self, gold: &str, predicted: &str) {
        *self
            .confusion
            .entry(gold.to_owned())
            .or_default()
            .entry(predicted.to_owned())
            .or_default() += 1;
    }

    fn finish(&mut self) {
        self.n = self.confusion.values().flat_map(|r| r.values()).sum();
        let right: usize = self
            .confusion
            .iter()
            .map(|(g, r)| r.get(g).copied().unwrap_or(0))
            .sum();
        self.accuracy = ratio(right, self.n);
        let mut classes = BTreeMap::new();
        for (g, row) in &self.confusion {
            let tp = row.get(g).copied().unwrap_or(0);
            let support: usize = row.values().sum();
            let predicted: usize = self
                .confusion
                .values()
                .map(|r| r.get(g).copied().unwrap_or(0))
                .sum();
            let (p, r) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            classes.insert(
                g.clone(),
                ClassScore {
                    precision: p,
                    recall: r,
                    f1,
                    support,
                },
            );
        }
        self.macro_f1 = if classes.is_empty() {
            0.0
        } else {
            classes.values().map(|c| c.f1).sum::<f64>() / classes.len() as f64
        };
        self.classes = classes;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The scores of one set and language.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupReport {
    /// Record sentiment (`sentiment.label`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Scores>,
    /// Voice type (the record's dominant voice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<Scores>,
    /// Itch vs not itch (for sets labelled only with it, and all voice sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub itch: Option<ClassScore>,
}

/// The report of [`evaluate_records`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordsReport {
    /// Records read.
    pub records: usize,
    /// Records that failed analysis (counted wrong).
    pub failed: usize,
    /// Records without sentiment or voice output (no encoder or no
    /// customer clause; counted as `none`).
    pub unlabelled: usize,
    /// Per `set/language`, and `set/all`.
    pub groups: BTreeMap<String, GroupReport>,
}

impl RecordsReport {
    /// A plain-text table: one line per group and task.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{:<28} {:<9} {:>6} {:>8} {:>8}  per class F1\n",
            "set/language", "task", "n", "acc", "macroF1"
        ));
        for (g, r) in &self.groups {
            for (task, sc) in [("sentiment", &r.sentiment), ("voice", &r.voice)] {
                if let Some(sc) = sc {
                    let per: Vec<String> = sc
                        .classes
                        .iter()
                        .map(|(c, x)| format!("{c} {:.3}", x.f1))
                        .collect();
                    s.push_str(&format!(
                        "{:<28} {:<9} {:>6} {:>8.3} {:>8.3}  {}\n",
                        g,
                        task,
                        sc.n,
                        sc.accuracy,
                        sc.macro_f1,
                        per.join(", ")
                    ));
                }
            }
            if let Some(i) = &r.itch {
                s.push_str(&format!(
                    "{:<28} {:<9} {:>6} {:>8} {:>8}  itch P {:.3} R {:.3} F1 {:.3}\n",
                    g, "itch", i.support, "", "", i.precision, i.recall, i.f1
                ));
            }
        }
        s
    }
}

/// What an analysis predicts: the record sentiment label and its dominant
/// voice (`none` when absent).
fn predicted(a: &Analysis) -> (&'static str, &'static str) {
    (
        a.sentiment.as_ref().map_or("none", |s| s.label.as_str()),
        a.voices.as_ref().map_or("none", |v| v.dominant().as_str()),
    )
}

/// Receives each record's combiner features: the labelled record, its
/// analysis and the features.
pub type EvidenceSink<'a> = dyn FnMut(&LabelledRecord, &Analysis, &[f32]) + 'a;

/// Analyzes the labelled records with the engine (exactly as `analyze`
/// does, in batches) and scores the record sentiment and voice type.
/// `evidence`, when given, receives each record's combiner features (for
/// training `record_sentiment`).
pub fn evaluate_records(
    engine: &Engine,
    items: &[LabelledRecord],
    mut evidence: Option<&mut EvidenceSink<'_>>,
) -> Result<RecordsReport> {
    let mut report = RecordsReport {
        records: items.len(),
        ..Default::default()
    };
    let mut sent: BTreeMap<String, Scores> = BTreeMap::new();
    let mut voice: BTreeMap<String, Scores> = BTreeMap::new();
    let mut itch: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for chunk in items.chunks(512) {
        let records: Vec<Record> = chunk
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let mut r = Record::text(i as u64, it.text.clone());
                r.line = i as u64 + 1;
                r
            })
            .collect();
        let outcomes = engine.analyze_batch(&records)?;
        for (it, o) in chunk.iter().zip(&outcomes) {
            let set = it.set.clone().unwrap_or_else(|| "all".into());
            let (lang, (ps, pv)) = match o {
                Outcome::Ok(a) => {
                    if a.sentiment.is_none() {
                        report.unlabelled += 1;
                    }
                    if let Some(f) = evidence.as_mut() {
                        if let Some(x) = record_evidence(a) {
                            f(it, a, &x);
                        }
                    }
                    (a.language.code().to_owned(), predicted(a))
                }
                Outcome::Err(_) => {
                    report.failed += 1;
                    (
                        it.language.clone().unwrap_or_else(|| "und".into()),
                        ("failed", "failed"),
                    )
                }
            };
            for key in [format!("{set}/{lang}"), format!("{set}/all")] {
                if let Some(g) = &it.sentiment {
                    sent.entry(key.clone()).or_default().add(g, ps);
                }
                if let Some(g) = &it.voice {
                    voice.entry(key.clone()).or_default().add(g, pv);
                }
                if let Some(gi) = it.voice.as_ref().map(|g| g == "itch").or(it.itch) {
                    let e = itch.entry(key).or_default();
                    let pi = pv == "itch";
                    e.0 += usize::from(gi && pi);
                    e.1 += usize::from(pi);
                    e.2 += usize::from(gi);
                }
            }
        }
    }
    for (k, mut s) in sent {
        s.finish();
        report.groups.entry(k).or_default().sentiment = Some(s);
    }
    for (k, mut s) in voice {
        s.finish();
        report.groups.entry(k).or_default().voice = Some(s);
    }
    for (k, (tp, pred, gold)) in itch {
        let (p, r) = (ratio(tp, pred), ratio(tp, gold));
        report.groups.entry(k).or_default().itch = Some(ClassScore {
            precision: p,
            recall: r,
            f1: if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            },
            support: gold,
        });
    }
    Ok(report)
}

/// The combiner's features of an analyzed record (customer clauses and the
/// whole-text probabilities it carries), exactly as the engine computed
/// them; `None` without sentiment.
pub fn record_evidence(a: &Analysis) -> Option<Vec<f32>> {
    let text = a.sentiment.as_ref().and_then(|s| s.text);
    let (items, language) = crate::neural::sentiment::unit_evidence(a, 0)?;
    crate::neural::sentiment::evidence(items, text, language).map(|e| e.features.to_vec())
}
