//! Learned codes: one logistic-regression classifier per code over
//! clause embeddings, fitted from a gold file in seconds and saved beside
//! the codebook (`settings.learned`).
//!
//! Training is deterministic: full-batch gradient descent with Adam and L2
//! regularization, classes weighted so that rare codes are not ignored. The
//! decision bias of each code is then tuned for F1 on held-out texts and the
//! model refitted on all of them. With [`RecordEvidence`] (what
//! `vocmine codebook learn` passes), the classifier learns from the
//! decision the product makes: a text has a code when any of its clauses
//! has it, so each gold text is the bag of its clauses, scored by the soft
//! maximum of their logits (multiple-instance learning: the record-level
//! gold teaches which clauses carry the code); five-fold cross-validation
//! scores each held-out text clause by clause, and a code keeps its
//! classifier only when that beats the codebook without classifiers (rules,
//! labels, exemplars) on the same texts. Without it, the classifier is
//! fitted on whole-text embeddings and the held-out set is every fifth
//! text, scored whole, against the code's rules alone.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A fitted per-code classifier set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedModel {
    /// Name of the codebook it was fitted for.
    pub codebook: String,
    /// Name of the encoder whose embeddings it reads.
    pub encoder: String,
    /// Embedding dimension.
    pub dim: usize,
    /// Number of training examples.
    pub examples: usize,
    /// One classifier per code.
    pub codes: Vec<LearnedCode>,
    /// The point head learned from gold points, where it beat the clause
    /// voice type (absent in files written before it, and where the gold
    /// has too few points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<LearnedPoints>,
    /// The lexical features the classifiers read (see [`lexical_features`]),
    /// in the order of each code's `term_w`; empty in files written before
    /// them and when learned without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<String>,
}

/// Points learned from gold points: the pain, mention or delight of a coded
/// clause, read from the clause embedding, its voice-type probabilities and
/// the code (a softmax regression; an itch stays an itch). Where a clause
/// praises one aspect and merely names another, or a domain calls plain
/// facts neutral that the voice type calls pain, the gold teaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedPoints {
    /// Embedding weights: `dim` rows of three (pain, mention, delight).
    pub w: Vec<f32>,
    /// Voice-probability weights: four rows (pain, itch, delight, neutral)
    /// of three.
    pub voice_w: Vec<f32>,
    /// The bias of each code seen in training (three values).
    pub code_bias: std::collections::BTreeMap<String, [f32; 3]>,
    /// The bias of the other codes.
    pub bias: [f32; 3],
    /// (text, code) pairs with a gold pain, mention or delight it learned from.
    pub examples: usize,
    /// Five-fold cross-validated accuracy on those pairs.
    pub heldout_accuracy: f32,
    /// Accuracy of the clause voice type on the same pairs.
    pub voice_accuracy: f32,
}

/// One training pair of the point head: the clause (a row of
/// [`RecordEvidence::x`]) that carries a gold code of a text, its voice
/// probabilities, the code and the gold point (0 pain, 1 mention, 2 delight).
#[derive(Debug, Clone, Copy)]
pub struct PointExample {
    /// The text.
    pub text: usize,
    /// The clause row.
    pub row: usize,
    /// Its voice probabilities (pain, itch, delight, neutral).
    pub voice: [f32; 4],
    /// The code index.
    pub code: usize,
    /// The gold point: 0 pain, 1 mention, 2 delight.
    pub label: usize,
}

/// Fewest gold points for a point head.
const MIN_POINT_EXAMPLES: usize = 30;

/// The point head's classes, in the order of its scores and labels.
pub const POINT_CLASSES: [crate::PointKind; 3] = [
    crate::PointKind::Pain,
    crate::PointKind::Mention,
    crate::PointKind::Delight,
];

/// Index of the largest score (ties to the first; 0 when empty).
pub(crate) fn argmax(z: &[f32]) -> usize {
    (1..z.len()).fold(0, |best, k| if z[k] > z[best] { k } else { best })
}

/// The head's scores `e·W + v·V + bias`.
pub(crate) fn point_scores(
    w: &[f32],
    voice_w: &[f32],
    bias: [f32; 3],
    e: &[f32],
    v: [f32; 4],
) -> [f32; 3] {
    let mut z = bias;
    for (j, &x) in e.iter().enumerate() {
        for k in 0..3 {
            z[k] += x * w[j * 3 + k];
        }
    }
    for (j, &x) in v.iter().enumerate() {
        for k in 0..3 {
            z[k] += x * voice_w[j * 3 + k];
        }
    }
    z
}

/// The point the clause voice type gives (0 pain, 1 mention, 2 delight; 3
/// itch), as `classify_voiced` maps it.
fn voice_point(v: [f32; 4]) -> usize {
    // pain, itch, delight, neutral
    [0, 3, 2, 1][argmax(&v)]
}

/// Fits the point head on `examples` (rows of `x`, `dim` floats each) and
/// keeps it where its five-fold cross-validated accuracy (folds by text)
/// beats the clause voice type's on the same pairs. Deterministic.
pub fn train_points(
    x: &[f32],
    dim: usize,
    codes: &[String],
    examples: &[PointExample],
    opts: TrainOptions,
) -> Option<LearnedPoints> {
    let ex: Vec<PointExample> = examples
        .iter()
        .copied()
        .filter(|e| e.label < 3 && e.code < codes.len() && (e.row + 1) * dim <= x.len())
        .collect();
    if ex.len() < MIN_POINT_EXAMPLES {
        return None;
    }
    let fit = |idx: &[usize]| fit_points(x, dim, codes.len(), &ex, idx, opts);
    let mut right = 0usize;
    for fold in 0..FOLDS {
        let train: Vec<usize> = (0..ex.len())
            .filter(|&i| ex[i].text % FOLDS != fold)
            .collect();
        let (w, vw, cb) = fit(&train);
        for e in ex.iter().filter(|e| e.text % FOLDS == fold) {
            let row = &x[e.row * dim..(e.row + 1) * dim];
            right +=
                usize::from(argmax(&point_scores(&w, &vw, cb[e.code], row, e.voice)) == e.label);
        }
    }
    let heldout = right as f32 / ex.len() as f32;
    let voice = ex
        .iter()
        .filter(|e| voice_point(e.voice) == e.label)
        .count() as f32
        / ex.len() as f32;
    if heldout <= voice {
        return None;
    }
    let all: Vec<usize> = (0..ex.len()).collect();
    let (w, voice_w, cb) = fit(&all);
    let seen: std::collections::BTreeSet<usize> = ex.iter().map(|e| e.code).collect();
    let bias = cb[codes.len()];
    Some(LearnedPoints {
        w,
        voice_w,
        code_bias: seen
            .into_iter()
            .map(|k| (codes[k].clone(), cb[k]))
            .collect(),
        bias,
        examples: ex.len(),
        heldout_accuracy: heldout,
        voice_accuracy: voice,
    })
}

/// Softmax regression of the point head by full-batch Adam: weights on the
/// embedding and the voice probabilities (L2) and a bias per code, the
/// code bias being a shared bias plus the code's own offset (L2, so a code
/// with few pairs stays near the shared bias, which is the last entry of
/// the returned biases).
fn fit_points(
    x: &[f32],
    dim: usize,
    ncodes: usize,
    ex: &[PointExample],
    idx: &[usize],
    o: TrainOptions,
) -> (Vec<f32>, Vec<f32>, Vec<[f32; 3]>) {
    let np = (dim + 4 + ncodes) * 3 + 3;
    let mut p = vec![0f32; np];
    let (mut m, mut v) = (vec![0f32; np], vec![0f32; np]);
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let (wv, wc, wb) = (dim * 3, (dim + 4) * 3, (dim + 4 + ncodes) * 3);
    let l2 = 1e-3f32;
    let n = idx.len().max(1) as f32;
    let mut g = vec![0f32; np];
    for t in 1..=o.epochs {
        g.iter_mut().for_each(|v| *v = 0.0);
        for &i in idx {
            let e = &ex[i];
            let row = &x[e.row * dim..(e.row + 1) * dim];
            let mut bias = [0f32; 3];
            for k in 0..3 {
                bias[k] = p[wb + k] + p[wc + e.code * 3 + k];
            }
            let z = point_scores(&p[..wv], &p[wv..wc], bias, row, e.voice);
            let zmax = z[0].max(z[1]).max(z[2]);
            let ez = z.map(|zk| (zk - zmax).exp());
            let sum = ez[0] + ez[1] + ez[2];
            for k in 0..3 {
                let d = (ez[k] / sum - if k == e.label { 1.0 } else { 0.0 }) / n;
                for (j, &xj) in row.iter().enumerate() {
                    g[j * 3 + k] += d * xj;
                }
                for (j, &vj) in e.voice.iter().enumerate() {
                    g[wv + j * 3 + k] += d * vj;
                }
                g[wc + e.code * 3 + k] += d;
                g[wb + k] += d;
            }
        }
        for j in 0..wb {
            g[j] += l2 * p[j];
        }
        let lr = o.learning_rate * (1.0 - b2.powi(t as i32)).sqrt() / (1.0 - b1.powi(t as i32));
        for j in 0..np {
            m[j] = b1 * m[j] + (1.0 - b1) * g[j];
            v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
            p[j] -= lr * m[j] / (v[j].sqrt() + eps);
        }
    }
    let shared = [p[wb], p[wb + 1], p[wb + 2]];
    let mut biases: Vec<[f32; 3]> = (0..ncodes)
        .map(|c| [0, 1, 2].map(|k| shared[k] + p[wc + c * 3 + k]))
        .collect();
    biases.push(shared);
    (p[..wv].to_vec(), p[wv..wc].to_vec(), biases)
}

/// The classifier of one code: `p = crate::numeric::sigmoid(w · e + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedCode {
    /// The code id.
    pub code: String,
    /// Positive training examples.
    pub positives: usize,
    /// Weights (length `dim`).
    pub w: Vec<f32>,
    /// Bias (decision threshold folded in).
    pub b: f32,
    /// Weight of the rule feature (1 when a rule of the code matches).
    #[serde(default)]
    pub rule_w: f32,
    /// Weight of the exemplar feature (centred similarity to the code's
    /// exemplar prototype).
    #[serde(default)]
    pub exemplar_w: f32,
    /// Held-out F1 at the chosen bias (cross-validated record decisions
    /// when learned from [`RecordEvidence`]).
    pub heldout_f1: f32,
    /// Held-out F1 of the codebook without this classifier (rules, labels,
    /// exemplars) on the same texts.
    #[serde(default)]
    pub baseline_f1: f32,
    /// Weights of the model's lexical features (`terms`, same order; empty
    /// without them). A clause's matched features are each worth
    /// `1 / sqrt(their count)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub term_w: Vec<f32>,
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// Gradient steps.
    pub epochs: usize,
    /// Adam learning rate.
    pub learning_rate: f32,
    /// L2 penalty.
    pub l2: f32,
    /// Minimum positives for a code to get a classifier.
    pub min_positives: usize,
    /// Value of a clause's lexical features in training (`term_scale /
    /// sqrt(count)` each; 0: the classifiers read no lexical features).
    pub term_scale: f32,
    /// L2 penalty of the lexical features' weights.
    pub term_l2: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 300,
            learning_rate: 0.05,
            l2: 1e-4,
            min_positives: 5,
            term_scale: 0.3,
            term_l2: 1e-4,
        }
    }
}

/// How the product codes each training text, for calibrating the learned
/// classifiers on the decision that is scored: the text's clauses (their
/// embeddings and rule / exemplar features) and the codes the codebook
/// without classifiers gives it.
#[derive(Debug, Clone, Default)]
pub struct RecordEvidence {
    /// Clause embeddings, `dim` floats each, the clauses of every text in order.
    pub x: Vec<f32>,
    /// The clause rows of each text (indices into `x` rows).
    pub spans: Vec<std::ops::Range<usize>>,
    /// `extra[k][j]`: the rule and exemplar features of code `k` on clause `j`.
    pub extra: Vec<Vec<[f32; 2]>>,
    /// `bare[i]`: the code indices the codebook without classifiers gives text `i`.
    pub bare: Vec<Vec<usize>>,
    /// The voice-type probabilities (pain, itch, delight, neutral) of each
    /// clause row, where the encoder gave them (for the point head).
    pub voice: Vec<[f32; 4]>,
    /// Every lexical feature of the clauses (see [`lexical_features`]),
    /// sorted.
    pub vocab: Vec<String>,
    /// The lexical features of each clause row (indices into `vocab`,
    /// ascending); empty for none.
    pub terms: Vec<Vec<u32>>,
}

/// Fewest texts a lexical feature must occur in to be learned.
const MIN_TERM_TEXTS: usize = 2;

/// The lexical features of a clause that learned classifiers read, each
/// once, sorted: the stems of its tokens without Han characters (words of
/// Russian, English and other alphabetic text, as its rules match them),
/// and the Han characters and pairs of adjacent Han characters of its
/// folded text (read off the text, so they do not depend on how the words
/// were segmented).
pub fn lexical_features(clause: &super::ClauseTerms) -> Vec<&str> {
    use crate::text::normalize::is_han;
    let mut out: Vec<&str> = clause
        .tokens
        .iter()
        .map(|t| t.stem.as_str())
        .filter(|s| s.chars().any(char::is_alphanumeric) && !s.chars().any(is_han))
        .collect();
    let f = clause.folded.as_str();
    let mut prev: Option<usize> = None;
    for (i, c) in f.char_indices() {
        if is_han(c) {
            let end = i + c.len_utf8();
            out.push(&f[i..end]);
            if let Some(p) = prev {
                out.push(&f[p..end]);
            }
            prev = Some(i);
        } else {
            prev = None;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The lexical features of `r` that occur in at least [`MIN_TERM_TEXTS`]
/// texts (in `vocab` order), and each row's features renumbered into them.
fn frequent_terms(r: &RecordEvidence) -> (Vec<String>, Vec<Vec<u32>>) {
    let mut texts = vec![0usize; r.vocab.len()];
    let mut seen: Vec<u32> = Vec::new();
    for span in &r.spans {
        seen.clear();
        for j in span.clone() {
            seen.extend(r.terms.get(j).into_iter().flatten());
        }
        seen.sort_unstable();
        seen.dedup();
        for &t in &seen {
            if let Some(c) = texts.get_mut(t as usize) {
                *c += 1;
            }
        }
    }
    let mut renumber = vec![u32::MAX; r.vocab.len()];
    let mut kept = Vec::new();
    for (t, &c) in texts.iter().enumerate() {
        if c >= MIN_TERM_TEXTS {
            renumber[t] = kept.len() as u32;
            kept.push(r.vocab[t].clone());
        }
    }
    let rows = r
        .terms
        .iter()
        .map(|ts| {
            ts.iter()
                .filter_map(|&t| renumber.get(t as usize).copied().filter(|&n| n != u32::MAX))
                .collect()
        })
        .collect();
    (kept, rows)
}

impl LearnedModel {
    /// Reads a model file.
    pub fn load(path: &Path) -> Result<LearnedModel> {
        let text = crate::io::yaml::read_config(path, "learned classifiers")?;
        let m: LearnedModel = serde_json::from_str(&text).map_err(|e| Error::Resource {
            path: path.to_owned(),
            line: e.line() as u64,
            message: format!("invalid learned model: {e}"),
        })?;
        for c in &m.codes {
            if !c.term_w.is_empty() && c.term_w.len() != m.terms.len() {
                return Err(Error::Resource {
                    path: path.to_owned(),
                    line: 0,
                    message: format!(
                        "code `{}` has {} term weights, the model has {} terms",
                        c.code,
                        c.term_w.len(),
                        m.terms.len()
                    ),
                });
            }
            if c.w.len() != m.dim {
                return Err(Error::Resource {
                    path: path.to_owned(),
                    line: 0,
                    message: format!(
                        "code `{}` has {} weights, the model dimension is {}",
                        c.code,
                        c.w.len(),
                        m.dim
                    ),
                });
            }
        }
        Ok(m)
    }

    /// The learned classifiers a codebook names (`settings.learned`,
    /// relative to the codebook file); an error when it names none.
    pub fn of_codebook(spec: &super::CodebookSpec) -> Result<LearnedModel> {
        let path = spec.learned_path().ok_or_else(|| {
            Error::Config(format!(
                "the codebook `{}` names no learned classifiers (`settings.learned`)",
                spec.codebook
            ))
        })?;
        LearnedModel::load(&path)
    }

    /// The point head's training pairs: for each gold code of text `i` with
    /// a point (`gold[i]`: code index and 0 pain / 1 mention / 2 delight),
    /// the clause of the text that carries the code most — its classifier's
    /// logit where this model has one, else its rule and exemplar evidence.
    pub fn point_examples(
        &self,
        codes: &[String],
        r: &RecordEvidence,
        gold: &[Vec<(usize, usize)>],
    ) -> Vec<PointExample> {
        let dim = self.dim;
        let by_name: std::collections::BTreeMap<&str, &LearnedCode> =
            self.codes.iter().map(|c| (c.code.as_str(), c)).collect();
        // The lexical features of each clause row, as this model's terms
        // (once per row, not per code).
        let mine: std::collections::HashMap<&str, usize> = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let row_terms: Vec<Vec<usize>> = if mine.is_empty() {
            Vec::new()
        } else {
            r.terms
                .iter()
                .map(|ts| {
                    ts.iter()
                        .filter_map(|&t| mine.get(r.vocab.get(t as usize)?.as_str()).copied())
                        .collect()
                })
                .collect()
        };
        let lexical = |c: &LearnedCode, j: usize| -> f32 {
            match row_terms.get(j) {
                Some(ts) if !c.term_w.is_empty() && !ts.is_empty() => {
                    let v = 1.0 / (ts.len() as f32).sqrt();
                    ts.iter().map(|&t| v * c.term_w[t]).sum()
                }
                _ => 0.0,
            }
        };
        let mut out = Vec::new();
        for (i, g) in gold.iter().enumerate() {
            let Some(span) = r.spans.get(i).filter(|s| !s.is_empty()) else {
                continue;
            };
            for &(k, label) in g {
                let (Some(name), Some(feats)) = (codes.get(k), r.extra.get(k)) else {
                    continue;
                };
                let score = |j: usize| {
                    let f = feats.get(j).copied().unwrap_or([0.0; 2]);
                    match by_name.get(name.as_str()) {
                        Some(c) if (j + 1) * dim <= r.x.len() => {
                            dot(&c.w, &r.x[j * dim..(j + 1) * dim])
                                + c.b
                                + c.rule_w * f[0]
                                + c.exemplar_w * f[1]
                                + lexical(c, j)
                        }
                        _ => f[0] + f[1],
                    }
                };
                let (mut best, mut top) = (span.start, score(span.start));
                for j in span.clone().skip(1) {
                    let z = score(j);
                    if z > top {
                        (best, top) = (j, z);
                    }
                }
                out.push(PointExample {
                    text: i,
                    row: best,
                    voice: r.voice.get(best).copied().unwrap_or([0.0; 4]),
                    code: k,
                    label,
                });
            }
        }
        out
    }

    /// The `k` lexical features with the largest positive weights in code
    /// `c`'s classifier (a classifier of this model), strongest first (ties
    /// in term order): the words a codebook researcher may turn into rules.
    pub fn strongest_terms<'a>(&'a self, c: &LearnedCode, k: usize) -> Vec<&'a str> {
        let mut top: Vec<(f32, &str)> = c
            .term_w
            .iter()
            .zip(&self.terms)
            .filter(|(w, _)| **w > 0.0)
            .map(|(w, t)| (*w, t.as_str()))
            .collect();
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        top.into_iter().take(k).map(|x| x.1).collect()
    }

    /// Writes the model file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string(self).map_err(Error::from)?;
        std::fs::write(path, json).map_err(|e| Error::io(path, e))
    }

    /// Fits one classifier per code. `labels[i]` holds the code indices
    /// (into `codes`) of example `i`.
    ///
    /// With `records` (how the product codes each text, clause by clause),
    /// each classifier is fitted on the clauses of the texts (a text is the
    /// soft maximum of its clauses' logits, see `fit_bags`) with their rule
    /// and exemplar features (so the classifier learns how much to trust
    /// the rules), scored on five-fold cross-validated record decisions,
    /// and the codes are judged together: a classifier is kept where it
    /// raises the micro F1 of all codes, at the bias best for it (see
    /// `choose`); `x` and `extra` are not read and may be empty.
    ///
    /// Without `records`, `x` holds the `n` whole-text embeddings of `dim`
    /// floats and `extra[k][i]` the rule and exemplar features of code `k`
    /// on text `i`; a classifier is fitted on them and kept where, on a
    /// held-out fifth of the texts, it beats the code's rules (with `x` or
    /// `extra` of the wrong length, no code gets one).
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        codebook: &str,
        encoder: &str,
        codes: &[String],
        x: &[f32],
        dim: usize,
        labels: &[Vec<usize>],
        extra: &[Vec<[f32; 2]>],
        records: Option<&RecordEvidence>,
        opts: TrainOptions,
    ) -> LearnedModel {
        let n = labels.len();
        let records = records.filter(|r| {
            r.spans.len() == n
                && r.bare.len() == n
                && r.extra.len() >= codes.len()
                && r.spans.iter().all(|s| s.end * dim <= r.x.len())
                && r.extra
                    .iter()
                    .all(|e| r.spans.last().map_or(0, |s| s.end) <= e.len())
        });
        let whole =
            x.len() == n * dim && extra.len() >= codes.len() && extra.iter().all(|e| e.len() == n);
        let all_idx: Vec<usize> = (0..n).collect();
        // The lexical features of the clauses, where learned with them.
        let (terms, row_terms) = match records {
            Some(r) if opts.term_scale > 0.0 && !r.vocab.is_empty() => frequent_terms(r),
            _ => (Vec::new(), Vec::new()),
        };
        // What code k's classifier reads: with record evidence the clauses
        // of each text (the decision the product makes), else the
        // whole-text embeddings.
        let rows = |k: usize| match records {
            Some(r) => Rows {
                terms: &row_terms,
                nterms: terms.len(),
                term_scale: opts.term_scale,
                ..Rows::dense(&r.x, dim, &r.extra[k])
            },
            None => Rows::dense(x, dim, &extra[k]),
        };
        // Fits code k on the texts `idx`.
        let fit = |k: usize, y: &[f32], idx: &[usize]| match records {
            Some(r) => fit_bags(rows(k), Some(&r.spans), y, idx, opts),
            None => fit(rows(k), y, idx, opts),
        };
        let targets = |k: usize| -> Vec<f32> {
            labels
                .iter()
                .map(|l| if l.contains(&k) { 1.0 } else { 0.0 })
                .collect()
        };
        // Held-out scores of each code's classifier, and the F1 of the
        // codebook without it on the same texts.
        let heldout: Vec<Option<Heldout>> = {
            use rayon::prelude::*;
            (0..codes.len())
                .into_par_iter()
                .map(|k| {
                    let y = targets(k);
                    let positives = y.iter().filter(|&&v| v > 0.5).count();
                    if positives < opts.min_positives
                        || positives == n
                        || (records.is_none() && !whole)
                    {
                        return None;
                    }
                    let (scored, bare) = match records {
                        Some(r) => {
                            // Out-of-fold record decisions: clause by clause.
                            let mut scored = Vec::with_capacity(n);
                            for fold in 0..FOLDS {
                                let fit_idx: Vec<usize> =
                                    (0..n).filter(|i| i % FOLDS != fold).collect();
                                let (w, b) = fit(k, &y, &fit_idx);
                                let rk = rows(k);
                                for i in (0..n).filter(|i| i % FOLDS == fold) {
                                    let z = r.spans[i]
                                        .clone()
                                        .map(|j| rk.logit(j, &w, b))
                                        .fold(f32::NEG_INFINITY, f32::max);
                                    scored.push((z, y[i] > 0.5));
                                }
                            }
                            let bare =
                                Counts::of((0..n).map(|i| (r.bare[i].contains(&k), y[i] > 0.5)));
                            (scored, bare)
                        }
                        None => {
                            let ex = &extra[k];
                            let train_idx: Vec<usize> = (0..n).filter(|i| i % 5 != 4).collect();
                            let held_idx: Vec<usize> = (0..n).filter(|i| i % 5 == 4).collect();
                            let (w, b) = fit(k, &y, &train_idx);
                            let rk = rows(k);
                            let scored: Vec<(f32, bool)> = held_idx
                                .iter()
                                .map(|&i| (rk.logit(i, &w, b), y[i] > 0.5))
                                .collect();
                            let bare = Counts::of(
                                held_idx
                                    .iter()
                                    .map(|&i| (ex.get(i).is_some_and(|e| e[0] > 0.5), y[i] > 0.5)),
                            );
                            (scored, bare)
                        }
                    };
                    Some(Heldout {
                        positives,
                        scored,
                        bare,
                        texts: n,
                    })
                })
                .collect()
        };
        let choices = choose(&heldout, records.is_some());
        let per_code: Vec<Option<LearnedCode>> = {
            use rayon::prelude::*;
            (0..codes.len())
                .into_par_iter()
                .map(|k| {
                    let (h, (shift, f1)) = heldout[k].as_ref().zip(choices[k])?;
                    let (mut w, b) = fit(k, &targets(k), &all_idx);
                    // Stored for a feature value of 1 / sqrt(count).
                    let term_w: Vec<f32> = w
                        .split_off(dim + 2)
                        .into_iter()
                        .map(|t| t * opts.term_scale)
                        .collect();
                    let exemplar_w = w.pop().unwrap_or(0.0);
                    let rule_w = w.pop().unwrap_or(0.0);
                    Some(LearnedCode {
                        code: codes[k].clone(),
                        positives: h.positives,
                        w,
                        b: b + shift,
                        rule_w,
                        exemplar_w,
                        heldout_f1: f1,
                        baseline_f1: h.bare.f1(),
                        term_w,
                    })
                })
                .collect()
        };
        let out: Vec<LearnedCode> = per_code.into_iter().flatten().collect();
        LearnedModel {
            codebook: codebook.to_owned(),
            encoder: encoder.to_owned(),
            dim,
            examples: n,
            terms: if out.is_empty() { Vec::new() } else { terms },
            codes: out,
            points: None,
        }
    }
}

/// Folds of the record-level cross-validation.
const FOLDS: usize = 5;

/// One code's held-out evidence: its classifier's out-of-fold scores
/// (logit, gold) and the decisions of the codebook without it.
struct Heldout {
    positives: usize,
    scored: Vec<(f32, bool)>,
    bare: Counts,
    texts: usize,
}

/// Which codes keep their classifier, and at which bias shift (with the
/// held-out F1 there). A classifier is kept only where it beats the
/// codebook without it and clearly beats answering yes to every text (on
/// a few dozen texts the F1-best threshold of a weak classifier is often
/// just that).
///
/// With record decisions (`micro`), codes are judged together: a
/// classifier is kept where it raises the micro F1 of all codes by more
/// than one text's worth, at the shift best for that micro F1. A weak
/// code's own F1-best threshold often answers yes to many texts, which
/// costs precision the other codes have; and a code whose evidence without
/// a classifier fires on many wrong texts is better held back by a
/// classifier that answers yes rarely. The best threshold depends on the
/// F1 the other codes reach (the better they are, the more precise each
/// code must be), so the choice runs in rounds, code by code in order,
/// each against the others' current decisions, until nothing changes
/// (deterministic).
fn choose(heldout: &[Option<Heldout>], micro: bool) -> Vec<Option<(f32, f32)>> {
    let decide =
        |h: &Heldout, shift: f32| Counts::of(h.scored.iter().map(|&(z, g)| (z + shift > 0.0, g)));
    let clears = |h: &Heldout, f1: f32| {
        let always = 2.0 * h.positives as f32 / (h.texts + h.positives) as f32;
        f1 > h.bare.f1() && f1 >= always + 0.05
    };
    if !micro {
        return heldout
            .iter()
            .map(|h| {
                let h = h.as_ref()?;
                let (shift, f1) = best_shift(&h.scored);
                clears(h, f1).then_some((shift, f1))
            })
            .collect();
    }
    let mut chosen: Vec<Option<(f32, f32)>> = vec![None; heldout.len()];
    // Each code's current decisions (the codebook's without a classifier
    // to start with).
    let mut current: Vec<Counts> = heldout
        .iter()
        .map(|h| h.as_ref().map_or(Counts::default(), |h| h.bare))
        .collect();
    for _round in 0..8 {
        let mut changed = false;
        for k in 0..heldout.len() {
            let Some(h) = &heldout[k] else { continue };
            let others = current
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .fold(Counts::default(), |acc, (_, c)| acc.plus(*c));
            let (shift, micro_f1) = best_shift_with(&h.scored, others);
            let mine = decide(h, shift);
            // By more than one text's worth: on a few dozen texts a
            // smaller gain is noise.
            let before = others.plus(h.bare);
            let one_more = Counts {
                tp: before.tp + 1,
                fnn: before.fnn.saturating_sub(1),
                ..before
            };
            let next = (micro_f1 > one_more.f1()).then_some((shift, mine.f1()));
            if next.map(|c| c.0) != chosen[k].map(|c| c.0) {
                changed = true;
            }
            current[k] = if next.is_some() { mine } else { h.bare };
            chosen[k] = next;
        }
        if !changed {
            break;
        }
    }
    chosen
}

/// Dot product (auto-vectorized).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8;
    for i in 0..chunks {
        for j in 0..8 {
            acc[j] += a[i * 8 + j] * b[i * 8 + j];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for i in chunks * 8..a.len().min(b.len()) {
        s += a[i] * b[i];
    }
    s
}

/// The dot products of every row of `rows` (row-major, `v.len()` columns)
/// with `v`, into `out` (cleared first). Four rows go through the loop
/// together (eight independent accumulator chains instead of two), each with
/// exactly the operations of [`dot`] in the same order, so every product is
/// bit for bit the one `dot` gives.
pub(crate) fn dots(rows: &[f32], v: &[f32], out: &mut Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU supports AVX (checked just above).
            return unsafe { dots_avx(rows, v, out) };
        }
    }
    dots_portable(rows, v, out)
}

/// [`dots_portable`] compiled for AVX: eight lanes per instruction instead
/// of four, the same operations in the same order (no fused multiply-add),
/// so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn dots_avx(rows: &[f32], v: &[f32], out: &mut Vec<f32>) {
    dots_portable(rows, v, out)
}

#[inline(always)]
fn dots_portable(rows: &[f32], v: &[f32], out: &mut Vec<f32>) {
    out.clear();
    let dim = v.len();
    if dim == 0 {
        return;
    }
    let chunks = dim / 8;
    let mut blocks = rows.chunks_exact(4 * dim);
    for blk in &mut blocks {
        let (r0, rest) = blk.split_at(dim);
        let (r1, rest) = rest.split_at(dim);
        let (r2, r3) = rest.split_at(dim);
        let mut acc = [[0f32; 8]; 4];
        for i in 0..chunks {
            let x = &v[i * 8..i * 8 + 8];
            let (a0, a1, a2, a3) = (
                &r0[i * 8..i * 8 + 8],
                &r1[i * 8..i * 8 + 8],
                &r2[i * 8..i * 8 + 8],
                &r3[i * 8..i * 8 + 8],
            );
            for j in 0..8 {
                acc[0][j] += a0[j] * x[j];
                acc[1][j] += a1[j] * x[j];
                acc[2][j] += a2[j] * x[j];
                acc[3][j] += a3[j] * x[j];
            }
        }
        for (a, r) in acc.iter().zip([r0, r1, r2, r3]) {
            let mut s: f32 = a.iter().sum();
            for i in chunks * 8..dim {
                s += r[i] * v[i];
            }
            out.push(s);
        }
    }
    for r in blocks.remainder().chunks_exact(dim) {
        out.push(dot(r, v));
    }
}

/// The rows a classifier reads: embeddings of `dim` floats, the code's rule
/// and exemplar features, and the lexical features of each row (indices
/// into `nterms` terms, each worth `term_scale / sqrt(count)`; empty for
/// none).
#[derive(Clone, Copy)]
struct Rows<'a> {
    x: &'a [f32],
    dim: usize,
    extra: &'a [[f32; 2]],
    terms: &'a [Vec<u32>],
    nterms: usize,
    term_scale: f32,
}

impl<'a> Rows<'a> {
    /// Embeddings and extra features only.
    fn dense(x: &'a [f32], dim: usize, extra: &'a [[f32; 2]]) -> Rows<'a> {
        Rows {
            x,
            dim,
            extra,
            terms: &[],
            nterms: 0,
            term_scale: 0.0,
        }
    }

    /// Weights of a classifier: `dim` embedding, rule, exemplar, terms.
    fn width(&self) -> usize {
        self.dim + 2 + self.nterms
    }

    /// Row `i`'s lexical features and the value of each.
    fn terms_of(&self, i: usize) -> (&'a [u32], f32) {
        match self.terms.get(i) {
            Some(t) if !t.is_empty() => (t, self.term_scale / (t.len() as f32).sqrt()),
            _ => (&[], 0.0),
        }
    }

    /// The score `w · [x_i, extra_i, terms_i] + b`.
    fn logit(&self, i: usize, w: &[f32], b: f32) -> f32 {
        let dim = self.dim;
        let e = self.extra.get(i).copied().unwrap_or([0.0; 2]);
        let mut z =
            dot(&w[..dim], &self.x[i * dim..(i + 1) * dim]) + w[dim] * e[0] + w[dim + 1] * e[1] + b;
        let (terms, v) = self.terms_of(i);
        for &t in terms {
            z += v * w[dim + 2 + t as usize];
        }
        z
    }

    /// Adds `e` times row `i`'s features to the gradient `g`.
    fn add_gradient(&self, i: usize, e: f32, g: &mut [f32]) {
        let dim = self.dim;
        for (gj, xj) in g.iter_mut().zip(&self.x[i * dim..(i + 1) * dim]) {
            *gj += e * xj;
        }
        let ex = self.extra.get(i).copied().unwrap_or([0.0; 2]);
        g[dim] += e * ex[0];
        g[dim + 1] += e * ex[1];
        let (terms, v) = self.terms_of(i);
        for &t in terms {
            g[dim + 2 + t as usize] += e * v;
        }
    }
}

/// Weighted logistic regression by full-batch Adam over the rows' features;
/// returns `rows.width()` weights and the bias.
fn fit(rows: Rows<'_>, y: &[f32], idx: &[usize], o: TrainOptions) -> (Vec<f32>, f32) {
    fit_bags(rows, None, y, idx, o)
}

/// [`fit`] where example `i` is the bag of rows `bags[i]` (the clauses of
/// a text, with their own extra features) and its logit is the soft
/// maximum (log-sum-exp) of theirs: the smooth form of the product's
/// decision, where a text has a code when any of its clauses has it, so
/// the classifier learns from record-level gold which clauses carry the
/// code (multiple-instance learning). The gradient of a bag goes to its
/// clauses in proportion to their softmax weight. A bag of one row is
/// exactly [`fit`] on that row; without `bags`, example `i` is row `i`;
/// an empty bag is skipped.
fn fit_bags(
    x: Rows<'_>,
    bags: Option<&[std::ops::Range<usize>]>,
    y: &[f32],
    idx: &[usize],
    o: TrainOptions,
) -> (Vec<f32>, f32) {
    let dim = x.dim;
    let rows_of = |i: usize| match bags {
        Some(b) => b.get(i).cloned().unwrap_or(0..0),
        None => i..i + 1,
    };
    let pos = idx.iter().filter(|&&i| y[i] > 0.5).count().max(1) as f32;
    let neg = (idx.len() as f32 - pos).max(1.0);
    // Balanced class weights, softened (square root) to keep precision.
    let wpos = (neg / pos).sqrt();
    let nw = x.width();
    let mut w = vec![0f32; nw];
    let mut b = 0f32;
    let (mut m, mut v) = (vec![0f32; nw + 1], vec![0f32; nw + 1]);
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let mut g = vec![0f32; nw + 1];
    let total: f32 = idx
        .iter()
        .map(|&i| if y[i] > 0.5 { wpos } else { 1.0 })
        .sum();
    let mut z = Vec::new();
    for t in 1..=o.epochs {
        g.iter_mut().for_each(|v| *v = 0.0);
        for &i in idx {
            let rows = rows_of(i);
            z.clear();
            z.extend(rows.clone().map(|r| x.logit(r, &w, b)));
            let zmax = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            if !zmax.is_finite() {
                continue;
            }
            let sum: f32 = z.iter().map(|&zj| (zj - zmax).exp()).sum();
            let p = crate::numeric::sigmoid(zmax + sum.ln());
            let cw = if y[i] > 0.5 { wpos } else { 1.0 };
            let e = cw * (p - y[i]) / total;
            for (r, &zj) in rows.zip(z.iter()) {
                let er = e * (zj - zmax).exp() / sum;
                x.add_gradient(r, er, &mut g);
            }
            g[nw] += e;
        }
        for j in 0..dim {
            g[j] += o.l2 * w[j];
        }
        for j in dim + 2..nw {
            g[j] += o.term_l2 * w[j];
        }
        let lr = o.learning_rate * (1.0 - b2.powi(t as i32)).sqrt() / (1.0 - b1.powi(t as i32));
        for j in 0..=nw {
            m[j] = b1 * m[j] + (1.0 - b1) * g[j];
            v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
            let step = lr * m[j] / (v[j].sqrt() + eps);
            if j < nw {
                w[j] -= step;
            } else {
                b -= step;
            }
        }
    }
    (w, b)
}

/// True positives, false positives and false negatives of binary decisions.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fnn: usize,
}

impl Counts {
    fn of(pairs: impl Iterator<Item = (bool, bool)>) -> Counts {
        let mut c = Counts::default();
        for (p, g) in pairs {
            match (p, g) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fnn += 1,
                _ => {}
            }
        }
        c
    }

    fn plus(self, o: Counts) -> Counts {
        Counts {
            tp: self.tp + o.tp,
            fp: self.fp + o.fp,
            fnn: self.fnn + o.fnn,
        }
    }

    fn f1(self) -> f32 {
        if self.tp == 0 {
            0.0
        } else {
            2.0 * self.tp as f32 / (2 * self.tp + self.fp + self.fnn) as f32
        }
    }
}

/// The bias shift that maximizes F1 over (logit, gold) pairs (ties: the
/// smallest |shift|).
fn best_shift(z: &[(f32, bool)]) -> (f32, f32) {
    best_shift_with(z, Counts::default())
}

/// The bias shift that maximizes the F1 of (logit, gold) pairs counted
/// together with `others` (the decisions on the other codes: micro F1);
/// ties go to the smallest |shift|. Returns the shift and that F1.
fn best_shift_with(z: &[(f32, bool)], others: Counts) -> (f32, f32) {
    if z.is_empty() {
        return (0.0, 0.0);
    }
    let mut best = (0.0f32, -1.0f32);
    let mut shift = -6.0f32;
    while shift <= 6.0 + 1e-6 {
        let f1 = Counts::of(z.iter().map(|&(zi, yi)| (zi + shift > 0.0, yi)))
            .plus(others)
            .f1();
        if f1 > best.1 + 1e-6 || ((f1 - best.1).abs() <= 1e-6 && shift.abs() < best.0.abs()) {
            best = (shift, f1);
        }
        shift += 0.25;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::{
        argmax, choose, dot, dots, fit, fit_bags, point_scores, train_points, Counts, Heldout,
        PointExample, Rows, TrainOptions,
    };

    /// `dots` is `dot` row by row, bit for bit, for any row count and any
    /// dimension (with and without a tail after the blocks of eight).
    #[test]
    fn dots_equal_dot_bit_for_bit() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        for dim in [1usize, 7, 8, 13, 384] {
            let v: Vec<f32> = (0..dim).map(|_| next()).collect();
            for n in 0..10 {
                let rows: Vec<f32> = (0..n * dim).map(|_| next()).collect();
                let mut out = vec![1.0];
                dots(&rows, &v, &mut out);
                let mut portable = Vec::new();
                super::dots_portable(&rows, &v, &mut portable);
                assert_eq!(out, portable);
                let want: Vec<u32> = rows
                    .chunks_exact(dim)
                    .map(|r| dot(r, &v).to_bits())
                    .collect();
                let got: Vec<u32> = out.iter().map(|x| x.to_bits()).collect();
                assert_eq!(got, want, "dim {dim}, {n} rows");
            }
        }
    }

    /// A code whose own F1-best threshold buys recall with false positives
    /// gets the precise threshold when the other codes are precise (the
    /// micro F1 is what is scored), and a classifier no better than the
    /// codebook without it is not kept.
    #[test]
    fn thresholds_serve_the_micro_f1_of_all_codes() {
        // Code 0: the codebook already codes it perfectly (20 of 60 texts);
        // its classifier is as good, not better.
        let perfect = Heldout {
            positives: 20,
            scored: (0..60)
                .map(|i| if i < 20 { (3.0, true) } else { (-3.0, false) })
                .collect(),
            bare: Counts {
                tp: 20,
                fp: 0,
                fnn: 0,
            },
            texts: 60,
        };
        // Code 1: nothing codes it; of its 10 positives 4 score high and 6
        // just below 0, next to 12 negatives a little higher.
        let mut scored = vec![(2.0, true); 4];
        scored.extend(vec![(-1.0, true); 6]);
        scored.extend(vec![(-0.5, false); 12]);
        scored.extend(vec![(-3.0, false); 38]);
        let weak = Heldout {
            positives: 10,
            scored,
            bare: Counts {
                tp: 0,
                fp: 0,
                fnn: 10,
            },
            texts: 60,
        };
        let heldout = vec![Some(perfect), Some(weak), None];
        // Alone, code 1's best F1 takes all 18 texts near 0: 20/32 = 0.625
        // against 8/14 = 0.571 for the 4 sure ones.
        let own = choose(&heldout, false);
        assert!(own[0].is_none());
        let (shift, f1) = own[1].unwrap();
        assert!(shift > 1.0 && (f1 - 0.625).abs() < 1e-6, "{shift} {f1}");
        // Beside code 0, the 12 false positives cost more than the 6 hits
        // gain (micro F1 0.833 against 0.889): the precise threshold wins.
        let micro = choose(&heldout, true);
        assert!(micro[0].is_none() && micro[2].is_none());
        let (shift, f1) = micro[1].unwrap();
        assert!(
            shift <= 0.5 && shift > -2.0 && (f1 - 8.0 / 14.0).abs() < 1e-6,
            "{shift} {f1}"
        );
    }

    #[test]
    fn lexical_features_are_stems_and_han_characters_and_pairs() {
        use crate::text::terms::{ClauseTerms, TermToken};
        let tok = |stem: &str| TermToken {
            stem: stem.into(),
            start: 0,
            end: 0,
            negated: false,
        };
        let c = ClauseTerms {
            folded: "油耗很高, suv 太贵".into(),
            tokens: vec![
                tok("油耗"),
                tok("很"),
                tok("高"),
                tok(","),
                tok("suv"),
                tok("太贵"),
            ],
        };
        // Han tokens give way to the characters of the text (the pair across
        // the comma and the space is not one); stems without letters or
        // digits are dropped; each feature once, sorted.
        assert_eq!(
            super::lexical_features(&c),
            [
                "suv", "太", "太贵", "很", "很高", "油", "油耗", "耗", "耗很", "贵", "高"
            ]
        );
        let en = ClauseTerms {
            folded: "the waiter was rude".into(),
            tokens: vec![
                tok("the"),
                tok("waiter"),
                tok("was"),
                tok("rude"),
                tok("the"),
            ],
        };
        assert_eq!(
            super::lexical_features(&en),
            ["rude", "the", "waiter", "was"]
        );
    }

    /// A code whose only evidence is a word the embedding does not see is
    /// learned from the lexical features, and not without them; features
    /// in fewer than two texts are not learned; the model's terms are
    /// stored for a feature value of 1 / sqrt(count).
    #[test]
    fn lexical_features_carry_what_the_embedding_misses() {
        use super::{LearnedModel, RecordEvidence};
        let dim = 2;
        let n = 60;
        // Every clause has the same embedding; a text with the code has the
        // word "brake" (term 0) among the common "car" (term 1); term 2
        // ("once") occurs in one text only.
        let mut r = RecordEvidence {
            vocab: vec!["brake".into(), "car".into(), "once".into()],
            ..Default::default()
        };
        let mut labels = Vec::new();
        for i in 0..n {
            let pos = i % 3 == 0;
            r.x.extend([0.6, 0.8]);
            r.spans.push(i..i + 1);
            r.bare.push(Vec::new());
            let mut t = if pos { vec![0, 1] } else { vec![1] };
            if i == 7 {
                t.push(2);
            }
            r.terms.push(t);
            labels.push(if pos { vec![0] } else { Vec::new() });
        }
        r.extra = vec![vec![[0.0f32; 2]; n]];
        let codes = vec!["brakes".to_string()];
        let train = |term_scale: f32| {
            let o = TrainOptions {
                term_scale,
                ..TrainOptions::default()
            };
            LearnedModel::train("t", "toy", &codes, &[], dim, &labels, &[], Some(&r), o)
        };
        let m = train(1.0);
        assert_eq!(m.terms, ["brake", "car"]);
        assert_eq!(m.codes.len(), 1, "{m:?}");
        let c = &m.codes[0];
        assert!(c.heldout_f1 > 0.99, "{}", c.heldout_f1);
        assert!(c.term_w[0] > c.term_w[1], "{:?}", c.term_w);
        // Applied as the codebook applies it: each matched term is worth
        // 1 / sqrt(their count).
        let z = |terms: &[usize]| {
            let v = 1.0 / (terms.len() as f32).sqrt();
            dot(&c.w, &[0.6, 0.8]) + c.b + terms.iter().map(|&t| v * c.term_w[t]).sum::<f32>()
        };
        assert!(
            z(&[0, 1]) > 0.0 && z(&[1]) < 0.0,
            "{} {}",
            z(&[0, 1]),
            z(&[1])
        );
        // Without lexical features nothing tells the texts apart: no better
        // than answering yes to every text (F1 0.5).
        let m = train(0.0);
        assert!(m.terms.is_empty(), "{m:?}");
        assert!(m.codes.iter().all(|c| c.heldout_f1 <= 0.5 + 1e-6), "{m:?}");
    }

    #[test]
    fn clause_bags_learn_which_clause_carries_the_code() {
        // Each text has three clauses; in a text with the code, one of them
        // (at a varying position) lies on axis 0, the others on axis 1 like
        // every clause of the texts without it. Axis 2 is the clauses'
        // length-like offset, the same everywhere.
        let dim = 3;
        let (mut x, mut spans, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..40 {
            let start = x.len() / dim;
            let pos = i % 2 == 0;
            for j in 0..3 {
                let on = pos && j == i % 3;
                x.extend([if on { 1.0 } else { 0.0 }, if on { 0.0 } else { 1.0 }, 0.5]);
            }
            spans.push(start..start + 3);
            y.push(if pos { 1.0 } else { 0.0 });
        }
        let extra = vec![[0.0f32; 2]; x.len() / dim];
        let idx: Vec<usize> = (0..40).collect();
        let (w, b) = fit_bags(
            Rows::dense(&x, dim, &extra),
            Some(&spans),
            &y,
            &idx,
            TrainOptions::default(),
        );
        // The product's decision, the best clause of each text, separates them.
        for (i, s) in spans.iter().enumerate() {
            let z = s
                .clone()
                .map(|r| Rows::dense(&x, dim, &extra).logit(r, &w, b))
                .fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(z > 0.0, y[i] > 0.5, "text {i}: {z}");
        }
        // A bag of one row is the plain fit, bit for bit.
        let one: Vec<std::ops::Range<usize>> = (0..x.len() / dim).map(|r| r..r + 1).collect();
        let rows: Vec<usize> = (0..x.len() / dim).collect();
        let yr: Vec<f32> = rows.iter().map(|&r| y[r / 3]).collect();
        let o = TrainOptions {
            epochs: 20,
            ..TrainOptions::default()
        };
        assert_eq!(
            fit_bags(Rows::dense(&x, dim, &extra), Some(&one), &yr, &rows, o),
            fit(Rows::dense(&x, dim, &extra), &yr, &rows, o)
        );
    }

    #[test]
    fn the_point_head_learns_what_the_voice_type_misses_and_only_then_is_kept() {
        // Clauses on axis 0 are pains, on axis 1 delights, on axis 2 plain
        // mentions; code 1's clauses on axis 0 are mentions (a clause that
        // praises one aspect names another, say). The voice type calls
        // every clause on axis 0 a pain.
        let dim = 4;
        let (mut x, mut ex) = (Vec::new(), Vec::new());
        for i in 0..120 {
            let axis = i % 3;
            let code = (i / 3) % 2;
            let mut row = vec![0.1f32; dim];
            row[axis] = 1.0;
            row[3] = ((i * 7919) % 11) as f32 / 11.0;
            x.extend_from_slice(&row);
            let label = match (axis, code) {
                (0, 1) => 1,
                (0, _) => 0,
                (1, _) => 2,
                _ => 1,
            };
            let voice = match axis {
                0 => [0.8, 0.0, 0.1, 0.1],
                1 => [0.1, 0.0, 0.8, 0.1],
                _ => [0.1, 0.0, 0.1, 0.8],
            };
            ex.push(PointExample {
                text: i,
                row: i,
                voice,
                code,
                label,
            });
        }
        let codes = vec!["a".to_string(), "b".to_string()];
        let opts = TrainOptions::default();
        let head = train_points(&x, dim, &codes, &ex, opts).expect("kept");
        assert!(head.voice_accuracy < 0.85, "{}", head.voice_accuracy);
        assert!(head.heldout_accuracy > 0.95, "{}", head.heldout_accuracy);
        let kind = |i: usize| {
            let e = &ex[i];
            argmax(&point_scores(
                &head.w,
                &head.voice_w,
                head.code_bias[&codes[e.code]],
                &x[i * dim..(i + 1) * dim],
                e.voice,
            ))
        };
        assert!((0..120).all(|i| kind(i) == ex[i].label));
        // Where the voice type is already right, no head is kept.
        let plain: Vec<PointExample> = ex
            .iter()
            .map(|e| PointExample {
                label: match e.row % 3 {
                    0 => 0,
                    1 => 2,
                    _ => 1,
                },
                ..*e
            })
            .collect();
        assert!(train_points(&x, dim, &codes, &plain, opts).is_none());
        // Too few gold points: none.
        assert!(train_points(&x, dim, &codes, &ex[..20], opts).is_none());
    }
}
