//! Evaluation of a codebook against gold labels, and the gold format.
//!
//! Gold: JSON Lines, one labelled text per line:
//! `{"id": "...", "text": "...", "language": "en", "codes": [{"code": "food.quality", "point": "pain"}]}`.
//! `codes` lists the leaf codes present in the text (empty: no code);
//! `point` is optional. Extra fields are ignored. A review sheet (`.csv`,
//! `.tsv`, `.xlsx` from `vocmine codebook review`) is gold too: its labelled
//! rows, one clause each.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::PointKind;
use crate::error::{Error, Result};

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldItem {
    /// Id of the text.
    #[serde(default)]
    pub id: serde_json::Value,
    /// The text.
    pub text: String,
    /// Its language, if known.
    #[serde(default)]
    pub language: Option<String>,
    /// The codes present, with their points.
    #[serde(default)]
    pub codes: Vec<GoldCode>,
}

/// A gold code of a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldCode {
    /// Code id.
    pub code: String,
    /// Point type, if labelled.
    #[serde(default)]
    pub point: Option<PointKind>,
}

/// Reads a gold file; errors name the file and line. A `.csv`, `.tsv` or
/// `.xlsx` file is a review sheet from `vocmine codebook review`, its
/// labelled rows the gold ([`review_gold`](super::review_gold)).
pub fn read_gold(path: &Path) -> Result<Vec<GoldItem>> {
    if super::is_review_sheet(path) {
        return super::review_gold(path);
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: GoldItem = serde_json::from_str(&line).map_err(|e| Error::Resource {
            path: path.to_owned(),
            line: i as u64 + 1,
            message: format!("invalid gold line: {e}"),
        })?;
        out.push(item);
    }
    Ok(out)
}

/// Precision, recall and F1 of one code.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CodeScore {
    /// The code.
    pub code: String,
    /// Gold texts with the code.
    pub support: u64,
    /// Texts where it was predicted.
    pub predicted: u64,
    /// True positives.
    pub tp: u64,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// Texts evaluated.
    pub texts: u64,
    /// Per-code scores (codes in gold or predictions), by code id.
    pub codes: Vec<CodeScore>,
    /// Micro-averaged precision / recall / F1 (the SemEval "category F1").
    pub micro: CodeScore,
    /// Macro-averaged precision / recall / F1 over codes with support.
    pub macro_avg: CodeScore,
    /// Point confusion over (text, code) pairs found in both: gold point →
    /// predicted point → count.
    pub points: BTreeMap<String, BTreeMap<String, u64>>,
    /// Point accuracy over those pairs.
    pub point_accuracy: Option<f64>,
    /// Gold codes that the codebook does not define.
    pub unknown_gold_codes: Vec<String>,
}

/// Accumulates predictions against gold.
#[derive(Debug, Default)]
pub struct Evaluator {
    only: Option<BTreeSet<String>>,
    counts: BTreeMap<String, (u64, u64, u64)>,
    points: BTreeMap<String, BTreeMap<String, u64>>,
    texts: u64,
    unknown: BTreeSet<String>,
}

impl Evaluator {
    /// An evaluator; with `only`, codes outside the set are ignored (e.g.
    /// the codes the gold annotates at all).
    pub fn new(only: Option<BTreeSet<String>>) -> Evaluator {
        Evaluator {
            only,
            ..Evaluator::default()
        }
    }

    /// Marks gold codes unknown to the codebook.
    pub fn known_codes<'a>(&mut self, gold: &[GoldItem], known: impl Iterator<Item = &'a str>) {
        let known: BTreeSet<&str> = known.collect();
        for g in gold {
            for c in &g.codes {
                if !known.contains(c.code.as_str()) {
                    self.unknown.insert(c.code.clone());
                }
            }
        }
    }

    /// Adds one text: its gold codes and the predicted (code, point) pairs.
    pub fn add(&mut self, gold: &[GoldCode], predicted: &[(String, PointKind)]) {
        self.texts += 1;
        let keep = |c: &str| self.only.as_ref().is_none_or(|o| o.contains(c));
        let g: BTreeMap<&str, Option<PointKind>> = gold
            .iter()
            .filter(|c| keep(&c.code))
            .map(|c| (c.code.as_str(), c.point))
            .collect();
        let p: BTreeMap<&str, PointKind> = predicted
            .iter()
            .filter(|(c, _)| keep(c))
            .map(|(c, k)| (c.as_str(), *k))
            .collect();
        for (c, gp) in &g {
            let e = self.counts.entry((*c).to_owned()).or_default();
            e.0 += 1;
            if let Some(pp) = p.get(c) {
                e.2 += 1;
                if let Some(gp) = gp {
                    *self
                        .points
                        .entry(gp.as_str().to_owned())
                        .or_default()
                        .entry(pp.as_str().to_owned())
                        .or_default() += 1;
                }
            }
        }
        for c in p.keys() {
            self.counts.entry((*c).to_owned()).or_default().1 += 1;
        }
    }

    /// The report.
    pub fn report(&self) -> EvalReport {
        let score = |code: &str, support: u64, predicted: u64, tp: u64| {
            let precision = if predicted > 0 {
                tp as f64 / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp as f64 / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            CodeScore {
                code: code.to_owned(),
                support,
                predicted,
                tp,
                precision,
                recall,
                f1,
            }
        };
        let codes: Vec<CodeScore> = self
            .counts
            .iter()
            .map(|(c, &(s, p, t))| score(c, s, p, t))
            .collect();
        let (s, p, t) = self
            .counts
            .values()
            .fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
        let micro = score("micro", s, p, t);
        let with_support: Vec<&CodeScore> = codes.iter().filter(|c| c.support > 0).collect();
        let n = with_support.len().max(1) as f64;
        let macro_avg = CodeScore {
            code: "macro".into(),
            support: s,
            predicted: p,
            tp: t,
            precision: with_support.iter().map(|c| c.precision).sum::<f64>() / n,
            recall: with_support.iter().map(|c| c.recall).sum::<f64>() / n,
            f1: with_support.iter().map(|c| c.f1).sum::<f64>() / n,
        };
        let total: u64 = self.points.values().flat_map(|m| m.values()).sum();
        let right: u64 = self
            .points
            .iter()
            .map(|(g, m)| m.get(g).copied().unwrap_or(0))
            .sum();
        EvalReport {
            texts: self.texts,
            codes,
            micro,
            macro_avg,
            points: self.points.clone(),
            point_accuracy: (total > 0).then(|| right as f64 / total as f64),
            unknown_gold_codes: self.unknown.iter().cloned().collect(),
        }
    }
}

impl EvalReport {
    /// A readable table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<28} {:>7} {:>7} {:>6} {:>9} {:>7} {:>6}\n",
            "code", "support", "pred", "tp", "precision", "recall", "f1"
        );
        for c in self.codes.iter().chain([&self.micro, &self.macro_avg]) {
            s.push_str(&format!(
                "{:<28} {:>7} {:>7} {:>6} {:>9.3} {:>7.3} {:>6.3}\n",
                c.code, c.support, c.predicted, c.tp, c.precision, c.recall, c.f1
            ));
        }
        if !self.points.is_empty() {
            s.push_str("\npoint confusion (rows: gold, columns: predicted)\n");
            s.push_str(&format!("{:<10}", ""));
            for k in PointKind::ALL {
                s.push_str(&format!("{:>9}", k.as_str()));
            }
            s.push('\n');
            for g in PointKind::ALL {
                let Some(row) = self.points.get(g.as_str()) else {
                    continue;
                };
                s.push_str(&format!("{:<10}", g.as_str()));
                for p in PointKind::ALL {
                    s.push_str(&format!("{:>9}", row.get(p.as_str()).copied().unwrap_or(0)));
                }
                s.push('\n');
            }
            if let Some(a) = self.point_accuracy {
                s.push_str(&format!("point accuracy {a:.3}\n"));
            }
        }
        if !self.unknown_gold_codes.is_empty() {
            s.push_str(&format!(
                "gold codes not in the codebook: {}\n",
                self.unknown_gold_codes.join(", ")
            ));
        }
        s
    }
}

/// Analyzes gold texts as text records, in order.
fn analyze_gold(engine: &crate::Engine, gold: &[GoldItem]) -> Result<Vec<crate::Outcome>> {
    let records: Vec<crate::Record> = gold
        .iter()
        .enumerate()
        .map(|(i, g)| crate::Record::text(format!("gold-{i}"), g.text.clone()))
        .collect();
    engine.analyze_batch(&records)
}

/// Runs `engine` (which must have a codebook) over the gold texts and
/// scores the record-level codes (direct, not rolled up) against the gold
/// codes. With `only_gold_codes`, codes the gold file never uses are ignored
/// (for gold sets that annotate part of a codebook).
pub fn evaluate(
    engine: &crate::Engine,
    gold: &[GoldItem],
    only_gold_codes: bool,
) -> Result<EvalReport> {
    let cb = engine
        .codebook()
        .ok_or_else(|| Error::Config("evaluation needs an engine with a codebook".into()))?;
    let only = only_gold_codes.then(|| {
        gold.iter()
            .flat_map(|g| g.codes.iter().map(|c| c.code.clone()))
            .collect::<BTreeSet<String>>()
    });
    let mut ev = Evaluator::new(only);
    ev.known_codes(gold, cb.code_ids());
    for chunk in gold.chunks(1024) {
        let out = analyze_gold(engine, chunk)?;
        for (g, o) in chunk.iter().zip(&out) {
            let predicted: Vec<(String, PointKind)> = o
                .analysis()
                .map(|a| {
                    a.record_codes()
                        .iter()
                        .filter(|c| !c.rolled_up)
                        .map(|c| (c.code.to_string(), c.point))
                        .collect()
                })
                .unwrap_or_default();
            ev.add(&g.codes, &predicted);
        }
    }
    Ok(ev.report())
}

/// Fits the learned classifiers of a codebook from gold texts: each text is
/// analyzed into clauses as the product codes it (their embeddings, and the
/// rule and exemplar features of the codebook without its learned part)
/// and labelled with its codes (codes the codebook does not define are an
/// error). Where the gold gives points, a point head is fitted too (kept
/// where it beats the voice type; see [`super::train_points`]).
#[cfg(feature = "onnx")]
pub fn learn(
    engine: &crate::Engine,
    spec: &super::CodebookSpec,
    gold: &[GoldItem],
    opts: super::TrainOptions,
) -> Result<super::LearnedModel> {
    let g = LearnGold::new(engine, spec, gold)?;
    Ok(engine.install(|| {
        let mut model = super::LearnedModel::train(
            &spec.codebook,
            &g.encoder,
            &g.ids,
            &[],
            g.dim,
            &g.labels,
            &[],
            Some(&g.records),
            opts,
        );
        model.points = g.point_head(&model, opts);
        model
    }))
}

/// Fits only the point head of `model` (the codebook's learned classifiers,
/// kept exactly as they are) from gold texts with points: for a codebook
/// whose classifiers should not change, e.g. one whose code figures are
/// already published. The pairs are chosen by `model`'s classifiers as in
/// [`learn`]; the head replaces any `model` had, or is removed where it does
/// not beat the voice type. `model` must come from the same encoder.
#[cfg(feature = "onnx")]
pub fn learn_points(
    engine: &crate::Engine,
    spec: &super::CodebookSpec,
    gold: &[GoldItem],
    mut model: super::LearnedModel,
    opts: super::TrainOptions,
) -> Result<super::LearnedModel> {
    // What can be checked before the gold is analyzed.
    let encoder = engine.encoder().map(|e| e.config().name.clone());
    if let Some(name) = encoder.as_ref().filter(|n| **n != model.encoder) {
        return Err(Error::Config(format!(
            "the learned classifiers of `{}` were fitted with encoder `{}`, not with the \
             engine's `{name}`",
            spec.codebook, model.encoder
        )));
    }
    if let Some(c) = model
        .codes
        .iter()
        .find(|c| !spec.codes.iter().any(|s| s.id == c.code))
    {
        return Err(Error::Config(format!(
            "the learned classifiers have code `{}`, which the codebook `{}` does not define \
             (run `codebook learn` without --points-only to refit them)",
            c.code, spec.codebook
        )));
    }
    if !gold
        .iter()
        .flat_map(|g| &g.codes)
        .any(|c| c.point.is_some())
    {
        return Err(Error::Data(format!(
            "none of the {} gold texts gives a point (pain, mention or delight) to learn from",
            gold.len()
        )));
    }
    let g = LearnGold::new(engine, spec, gold)?;
    if model.dim != g.dim {
        return Err(Error::Config(format!(
            "the learned classifiers of `{}` read {} dimensions, the engine's encoder gives {}",
            spec.codebook, model.dim, g.dim
        )));
    }
    model.points = engine.install(|| g.point_head(&model, opts));
    Ok(model)
}

/// Gold texts as `learn` reads them: the codes of each text (indices into
/// the codebook's codes), their points, and the texts' clauses as the
/// codebook without its learned part codes them.
#[cfg(feature = "onnx")]
struct LearnGold {
    ids: Vec<String>,
    encoder: String,
    dim: usize,
    labels: Vec<Vec<usize>>,
    /// Gold points (code index, 0 pain / 1 mention / 2 delight) per text.
    points: Vec<Vec<(usize, usize)>>,
    records: super::learned::RecordEvidence,
}

#[cfg(feature = "onnx")]
impl LearnGold {
    fn new(
        engine: &crate::Engine,
        spec: &super::CodebookSpec,
        gold: &[GoldItem],
    ) -> Result<LearnGold> {
        let enc = engine
            .encoder()
            .ok_or_else(|| Error::Config("learning needs an engine with an encoder".into()))?;
        let ids: Vec<String> = spec.codes.iter().map(|c| c.id.clone()).collect();
        let index: BTreeMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut labels = Vec::with_capacity(gold.len());
        for g in gold {
            let mut l = Vec::new();
            for c in &g.codes {
                match index.get(c.code.as_str()) {
                    Some(&k) => l.push(k),
                    None => {
                        return Err(Error::Data(format!(
                            "gold text {} has code `{}`, which the codebook `{}` does not define",
                            g.id, c.code, spec.codebook
                        )))
                    }
                }
            }
            labels.push(l);
        }
        let points: Vec<Vec<(usize, usize)>> = gold
            .iter()
            .map(|g| {
                g.codes
                    .iter()
                    .filter_map(|c| {
                        let point = c.point?;
                        let label = super::learned::POINT_CLASSES
                            .iter()
                            .position(|&k| k == point)?;
                        Some((*index.get(c.code.as_str())?, label))
                    })
                    .collect()
            })
            .collect();
        // Each text as the product codes it: its clauses, their embeddings
        // and the rule and exemplar features of each code from the codebook
        // without its learned part. The classifiers learn from these clauses.
        let mut bare = spec.clone();
        bare.settings.learned = None;
        let cb = engine.compile_codebook(bare)?;
        let records = record_evidence(engine, &cb, gold, ids.len())?;
        let rows = records.spans.last().map_or(0, |s| s.end);
        if rows == 0 {
            return Err(Error::Data(format!(
                "none of the {} gold texts has a customer clause to learn from",
                gold.len()
            )));
        }
        Ok(LearnGold {
            dim: records.x.len() / rows,
            encoder: enc.config().name.clone(),
            ids,
            labels,
            points,
            records,
        })
    }

    /// The point head fitted on the pairs `model`'s classifiers choose.
    fn point_head(
        &self,
        model: &super::LearnedModel,
        opts: super::TrainOptions,
    ) -> Option<super::LearnedPoints> {
        let examples = model.point_examples(&self.ids, &self.records, &self.points);
        super::learned::train_points(&self.records.x, self.dim, &self.ids, &examples, opts)
    }
}

/// One clause of a gold text: its embedding, per-code features, voice
/// probabilities and lexical features.
#[cfg(feature = "onnx")]
type ClauseEvidence = (Vec<f32>, Vec<[f32; 2]>, [f32; 4], Vec<String>);

/// One text's clauses and its bare codes.
#[cfg(feature = "onnx")]
type TextEvidence = (Vec<ClauseEvidence>, Vec<usize>);

/// Each gold text as the product codes it: analyzed into clauses (their
/// embeddings, and the features of `cb`, the codebook without classifiers,
/// on each), and the codes `cb` gives the text.
#[cfg(feature = "onnx")]
fn record_evidence(
    engine: &crate::Engine,
    cb: &super::Codebook,
    gold: &[GoldItem],
    codes: usize,
) -> Result<super::learned::RecordEvidence> {
    use rayon::prelude::*;
    let index: BTreeMap<&str, usize> = cb.code_ids().enumerate().map(|(i, c)| (c, i)).collect();
    let mut r = super::learned::RecordEvidence {
        extra: vec![Vec::new(); codes],
        ..Default::default()
    };
    // The lexical features of each clause row, numbered at the end.
    let mut lexical: Vec<Vec<String>> = Vec::new();
    for chunk in gold.chunks(1024) {
        let out = analyze_gold(engine, chunk)?;
        // Per text: its clauses (embedding, per-code features, voice,
        // lexical features) and the bare codes.
        let per_text: Vec<TextEvidence> = engine.install(|| {
            out.par_iter()
                .map(|o| {
                    let mut clauses = Vec::new();
                    let mut bare = BTreeSet::new();
                    let Some(a) = o.analyzed() else {
                        return (clauses, Vec::new());
                    };
                    for (i, c) in a.clauses.iter().enumerate() {
                        let Some(e) = a.work.embedding(i).filter(|e| !e.embedding.is_empty())
                        else {
                            continue;
                        };
                        if c.role != crate::Role::Customer {
                            continue;
                        }
                        let n = engine.normalize(&c.text);
                        let terms =
                            super::ClauseTerms::segment(n.text(), c.language, engine.segmenter());
                        for code in cb.classify(&terms, Some(&e.embedding), None) {
                            if let Some(&k) = index.get(&*code.code) {
                                bare.insert(k);
                            }
                        }
                        let voice = c.voice.as_ref().map_or([0.0; 4], |v| {
                            [v.probs.pain, v.probs.itch, v.probs.delight, v.probs.neutral]
                        });
                        let lexical = super::lexical_features(&terms)
                            .into_iter()
                            .map(str::to_owned)
                            .collect();
                        clauses.push((
                            e.embedding.clone(),
                            cb.features(&terms, Some(&e.embedding)),
                            voice,
                            lexical,
                        ));
                    }
                    (clauses, bare.into_iter().collect())
                })
                .collect()
        });
        for (mut clauses, bare) in per_text {
            let start = r.spans.last().map_or(0, |s| s.end);
            for (emb, feats, voice, words) in clauses.iter_mut() {
                r.x.extend_from_slice(emb);
                r.voice.push(*voice);
                lexical.push(std::mem::take(words));
                for (k, f) in feats.iter().enumerate().take(codes) {
                    r.extra[k].push(*f);
                }
            }
            r.spans.push(start..start + clauses.len());
            r.bare.push(bare);
        }
    }
    let vocab: BTreeSet<&str> = lexical.iter().flatten().map(String::as_str).collect();
    let number: BTreeMap<&str, u32> = vocab
        .iter()
        .enumerate()
        .map(|(i, &t)| (t, i as u32))
        .collect();
    r.terms = lexical
        .iter()
        .map(|ws| {
            ws.iter()
                .filter_map(|w| number.get(w.as_str()).copied())
                .collect()
        })
        .collect();
    r.vocab = vocab.into_iter().map(str::to_owned).collect();
    Ok(r)
}
