//! Sentiment and voice type: three sentiment classes per clause from the
//! encoder's logits, a voice type per customer clause, and the overall
//! sentiment of turns and records.
//!
//! A clause gets the softmax of the model's `negative, neutral, positive`
//! logits, its label (the most probable class), that probability as
//! `confidence`, and `polarity = p(positive) − p(negative)` in −1…1.
//!
//! **Voice type** ([`Voice`]): `pain` (a complaint or problem), `itch` (a wish,
//! suggestion or unmet need), `delight` (praise) or `neutral` (a question,
//! request or plain fact). The model's itch probability `q` (output
//! `outputs.itch`; a wish cue of the clause's language raises it to at least
//! [`CUE_ITCH`]) gates the sentiment: `p(itch) = q`, `p(pain) = (1 − q)·p(negative)`,
//! `p(delight) = (1 − q)·p(positive)`, `p(neutral) = (1 − q)·p(neutral)`. The
//! label is `itch` when `q ≥ 0.5`, otherwise the sentiment's class.
//!
//! **Turns and records** ([`aggregate`]) answer "how does this customer feel
//! overall", as a rater or a star rating would:
//!
//! * `label` and `confidence` come from `overall`, the record probabilities of a
//!   small trained combiner ([`RecordModel`], `record_sentiment` in the model's
//!   `config.json`, trained by `models/train_record.py` on whole-review labels)
//!   over the whole-text probabilities (`text`: the unit's text as one more
//!   input of the same encoder pass, cut at the model's `max_length`) and the
//!   clause evidence ([`RECORD_FEATURES`]). Without a combiner, `overall` is the
//!   whole-text probabilities, or the clause mean when there are none;
//! * `probs` / `polarity`: the mean of the clause probabilities, weighted by
//!   clause length, and its positive − negative;
//! * `min_polarity` / `max_polarity`: the most negative and most positive clause;
//! * `worst`: the most negative clause (when one is labelled negative), with its
//!   span and p(negative), so one strong complaint in a positive review stays
//!   visible without deciding the label;
//! * `mixed`: a strong negative and a strong positive clause in the same unit.

pub use crate::contract::sentiment::{
    AggregateSentiment, Polarity, Probs, Sentiment, Voice, VoiceCounts, VoiceProbs, VoiceType,
    WorstClause,
};
use serde::Serialize;

/// Probability from which a clause counts as a strong complaint or praise.
pub const STRONG: f32 = 0.75;

/// The least itch probability of a clause with a wish cue of its language.
pub const CUE_ITCH: f32 = 0.75;

impl Probs {
    fn label(&self) -> (Polarity, f32) {
        let mut best = (Polarity::Neutral, self.neutral);
        if self.negative > best.1 {
            best = (Polarity::Negative, self.negative);
        }
        if self.positive > best.1 {
            best = (Polarity::Positive, self.positive);
        }
        best
    }

    fn rounded(self) -> Probs {
        Probs {
            negative: round4(self.negative),
            neutral: round4(self.neutral),
            positive: round4(self.positive),
        }
    }
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// Where the three classes sit in a model's label list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelMap {
    negative: usize,
    neutral: usize,
    positive: usize,
}

impl LabelMap {
    /// Finds `negative`, `neutral` and `positive` (case-insensitive, also
    /// `neg`/`neu`/`pos`) among the labels; `None` if the labels are not a
    /// three-class sentiment set.
    pub fn from_labels(labels: &[String]) -> Option<LabelMap> {
        if labels.len() != 3 {
            return None;
        }
        let find = |prefix: &str| {
            labels
                .iter()
                .position(|l| l.trim().to_lowercase().starts_with(prefix))
        };
        Some(LabelMap {
            negative: find("neg")?,
            neutral: find("neu")?,
            positive: find("pos")?,
        })
    }

    /// The sentiment of one clause from its logits.
    pub fn sentiment(&self, logits: &[f32]) -> Option<Sentiment> {
        if logits.is_empty() || logits.iter().any(|l| !l.is_finite()) {
            return None;
        }
        let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let p = |i: usize| exp.get(i).copied().unwrap_or(0.0) / sum;
        let probs = Probs {
            negative: p(self.negative),
            neutral: p(self.neutral),
            positive: p(self.positive),
        };
        Some(Sentiment::from_probs(probs))
    }
}

impl Sentiment {
    /// A clause sentiment from class probabilities.
    pub fn from_probs(probs: Probs) -> Sentiment {
        let (label, confidence) = probs.label();
        Sentiment {
            label,
            confidence: round4(confidence),
            polarity: round4(probs.positive - probs.negative),
            probs: probs.rounded(),
        }
    }
}

/// One clause's evidence for [`aggregate`].
#[derive(Debug, Clone, Copy)]
pub struct ClauseEvidence<'a> {
    /// The clause sentiment.
    pub sentiment: &'a Sentiment,
    /// Its weight (its length in chars).
    pub weight: usize,
    /// Index of the clause in the record's `clauses`.
    pub clause: usize,
    /// Its turn.
    pub turn: Option<usize>,
    /// Its span in the original text (chars).
    pub start: usize,
    /// End of the span.
    pub end: usize,
}

impl<'a> ClauseEvidence<'a> {
    /// The evidence of clause `i` of an analysis, when it was encoded.
    pub fn of((i, c): (usize, &'a crate::contract::output::Clause)) -> Option<ClauseEvidence<'a>> {
        c.sentiment.as_ref().map(|s| ClauseEvidence {
            sentiment: s,
            weight: c.end.saturating_sub(c.start),
            clause: i,
            turn: c.turn,
            start: c.start,
            end: c.end,
        })
    }
}

/// The clause evidence of unit `k` of an analysis and the unit's language:
/// `k` = 0 is the record (its customer clauses), `k` ≥ 1 turn `k - 1` (its
/// clauses); `None` past the turns.
pub fn unit_evidence(
    a: &crate::contract::output::Analysis,
    k: usize,
) -> Option<(
    impl Iterator<Item = ClauseEvidence<'_>>,
    crate::text::language::Language,
)> {
    let (turn, language) = match k.checked_sub(1) {
        None => (None, a.language),
        Some(t) => {
            let t = a.turns.as_ref()?.get(t)?;
            (Some(t.turn), t.language)
        }
    };
    let items = a
        .clauses
        .iter()
        .enumerate()
        .filter(move |(_, c)| match turn {
            None => c.role == crate::contract::record::Role::Customer,
            Some(t) => c.turn == Some(t),
        })
        .filter_map(ClauseEvidence::of);
    Some((items, language))
}

/// Names of the combiner's input features, in order.
///
/// `text_log_*`: ln of the whole-text probabilities (the clause mean when the
/// unit has no whole-text evidence); `mean_*`: the length-weighted clause
/// mean; `min_polarity` / `max_polarity`; `share_negative` / `share_positive`:
/// shares of clauses labelled so; `log_clauses`: ln(clauses); `lang_zh`,
/// `lang_ru`, `lang_en`: the unit's language.
pub const RECORD_FEATURES: [&str; 14] = [
    "text_log_negative",
    "text_log_neutral",
    "text_log_positive",
    "mean_negative",
    "mean_neutral",
    "mean_positive",
    "min_polarity",
    "max_polarity",
    "share_negative",
    "share_positive",
    "log_clauses",
    "lang_zh",
    "lang_ru",
    "lang_en",
];

/// The trained combiner of a unit's whole-text and clause evidence into its
/// overall sentiment: multinomial logistic regression over
/// [`RECORD_FEATURES`] (`config.json` `record_sentiment`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
pub struct RecordModel {
    /// Feature names; must equal [`RECORD_FEATURES`].
    pub features: Vec<String>,
    /// Class order of `weights` and `bias`: a permutation of `negative`,
    /// `neutral`, `positive`.
    pub labels: Vec<String>,
    /// One row of weights per class.
    pub weights: Vec<Vec<f32>>,
    /// One bias per class.
    pub bias: Vec<f32>,
    /// How it was trained (free text).
    #[serde(default)]
    pub source: String,
    /// The confidence from which the clause evidence alone decides a
    /// unit's sentiment: a unit whose combiner, given no whole text (its
    /// clause mean in the whole text's place), is at least this sure of its
    /// label is not encoded whole ([`crate::neural::stage::WholeText`]).
    /// Chosen by `models/train_record.py` on the dev evidence as the lowest
    /// that costs no accuracy there; `None`: every unit of two or more
    /// clauses is encoded whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_gate: Option<f32>,
}

impl RecordModel {
    /// Checks the shapes, the feature names and the labels.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.features.iter().map(String::as_str).ne(RECORD_FEATURES) {
            return Err(format!(
                "record_sentiment.features must be {RECORD_FEATURES:?}, found {:?}",
                self.features
            ));
        }
        let mut labels: Vec<&str> = self.labels.iter().map(String::as_str).collect();
        labels.sort_unstable();
        if labels != ["negative", "neutral", "positive"] {
            return Err(format!(
                "record_sentiment.labels must be negative, neutral and positive, found {:?}",
                self.labels
            ));
        }
        if self.bias.len() != 3
            || self.weights.len() != 3
            || self
                .weights
                .iter()
                .any(|w| w.len() != RECORD_FEATURES.len())
        {
            return Err(format!(
                "record_sentiment needs 3 weight rows of {} and 3 biases",
                RECORD_FEATURES.len()
            ));
        }
        if self
            .weights
            .iter()
            .flatten()
            .chain(&self.bias)
            .any(|w| !w.is_finite())
        {
            return Err("record_sentiment has a non-finite weight".into());
        }
        if let Some(g) = self.text_gate {
            if !(g > 0.0 && g <= 1.0) {
                return Err(format!(
                    "record_sentiment.text_gate must be in (0, 1], found {g}"
                ));
            }
        }
        Ok(())
    }

    fn probs(&self, x: &[f32; 14]) -> Probs {
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| b + w.iter().zip(x).map(|(w, x)| w * x).sum::<f32>())
            .collect();
        let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let mut p = Probs::default();
        for (l, e) in self.labels.iter().zip(exp) {
            match l.as_str() {
                "negative" => p.negative = e / sum,
                "neutral" => p.neutral = e / sum,
                _ => p.positive = e / sum,
            }
        }
        p
    }
}

/// The combiner's features of a unit (see [`RECORD_FEATURES`]).
#[allow(clippy::too_many_arguments)]
pub fn record_features(
    text: Option<&Probs>,
    mean: &Probs,
    min_polarity: f32,
    max_polarity: f32,
    share_negative: f32,
    share_positive: f32,
    clauses: usize,
    language: crate::text::language::Language,
) -> [f32; 14] {
    let t = text.unwrap_or(mean);
    let ln = |p: f32| p.max(1e-6).ln();
    let lang = |l: crate::text::language::Language| f32::from(u8::from(language == l));
    [
        ln(t.negative),
        ln(t.neutral),
        ln(t.positive),
        mean.negative,
        mean.neutral,
        mean.positive,
        min_polarity,
        max_polarity,
        share_negative,
        share_positive,
        (clauses.max(1) as f32).ln(),
        lang(crate::text::language::Language::ZH),
        lang(crate::text::language::Language::RU),
        lang(crate::text::language::Language::EN),
    ]
}

/// The evidence of one unit, before the overall label is decided: what
/// [`aggregate`] computes and what `vocmine eval --evidence` writes for
/// training the combiner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitEvidence {
    /// The combiner's features.
    pub features: [f32; 14],
    /// The sentiment without its overall label (`label`, `confidence` and
    /// `overall` from the whole text or the clause mean).
    pub sentiment: AggregateSentiment,
}

/// Aggregates the clause sentiments of a turn or a record, with the whole
/// text's probabilities when it was encoded, into its overall sentiment
/// (the combiner decides the label when given). `None` without clauses.
pub fn aggregate<'a>(
    items: impl IntoIterator<Item = ClauseEvidence<'a>>,
    text: Option<Probs>,
    language: crate::text::language::Language,
    model: Option<&RecordModel>,
) -> Option<AggregateSentiment> {
    let ev = evidence(items, text, language)?;
    let mut s = ev.sentiment;
    if let Some(m) = model {
        let (label, confidence) = set_overall(&mut s, m.probs(&ev.features));
        s.label = label;
        s.confidence = confidence;
    }
    Some(s)
}

fn set_overall(s: &mut AggregateSentiment, p: Probs) -> (Polarity, f32) {
    let (label, confidence) = p.label();
    s.overall = p.rounded();
    (label, round4(confidence))
}

/// The evidence of a unit (see [`UnitEvidence`]); `None` without clauses.
pub fn evidence<'a>(
    items: impl IntoIterator<Item = ClauseEvidence<'a>>,
    text: Option<Probs>,
    language: crate::text::language::Language,
) -> Option<UnitEvidence> {
    let mut total = 0f32;
    let mut sum = Probs::default();
    let mut min_p = f32::INFINITY;
    let mut max_p = f32::NEG_INFINITY;
    let mut strong_neg = false;
    let mut strong_pos = false;
    let mut n_neg = 0usize;
    let mut n_pos = 0usize;
    let mut worst: Option<WorstClause> = None;
    let mut worst_pol = f32::INFINITY;
    let mut n = 0usize;
    for e in items {
        let s = e.sentiment;
        let w = e.weight.max(1) as f32;
        total += w;
        sum.negative += w * s.probs.negative;
        sum.neutral += w * s.probs.neutral;
        sum.positive += w * s.probs.positive;
        min_p = min_p.min(s.polarity);
        max_p = max_p.max(s.polarity);
        strong_neg |= s.label == Polarity::Negative && s.confidence >= STRONG;
        strong_pos |= s.label == Polarity::Positive && s.confidence >= STRONG;
        n_neg += usize::from(s.label == Polarity::Negative);
        n_pos += usize::from(s.label == Polarity::Positive);
        if s.label == Polarity::Negative && s.polarity < worst_pol {
            worst_pol = s.polarity;
            worst = Some(WorstClause {
                clause: e.clause,
                turn: e.turn,
                start: e.start,
                end: e.end,
                negative: s.probs.negative,
            });
        }
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let mean = Probs {
        negative: sum.negative / total,
        neutral: sum.neutral / total,
        positive: sum.positive / total,
    };
    let features = record_features(
        text.as_ref(),
        &mean,
        min_p,
        max_p,
        n_neg as f32 / n as f32,
        n_pos as f32 / n as f32,
        n,
        language,
    );
    let mut sentiment = AggregateSentiment {
        label: Polarity::Neutral,
        confidence: 0.0,
        overall: Probs::default(),
        text: text.map(Probs::rounded),
        polarity: round4(mean.positive - mean.negative),
        min_polarity: min_p,
        max_polarity: max_p,
        mixed: strong_neg && strong_pos,
        worst,
        probs: mean.rounded(),
        clauses: n,
    };
    let (label, confidence) = set_overall(&mut sentiment, text.unwrap_or(mean));
    sentiment.label = label;
    sentiment.confidence = confidence;
    Some(UnitEvidence {
        features,
        sentiment,
    })
}

/// Probabilities of a unit's whole text from the model's logits.
pub fn text_probs(map: &LabelMap, logits: &[f32]) -> Option<Probs> {
    map.sentiment(logits).map(|s| s.probs)
}

impl Voice {
    /// The voice of a clause from its sentiment, the model's itch
    /// probability (`None`: the model has no itch output) and whether a wish
    /// cue matched.
    pub fn new(sentiment: &Sentiment, itch: Option<f32>, cue: bool) -> Voice {
        let mut q = itch
            .filter(|q| q.is_finite())
            .unwrap_or(0.0)
            .clamp(0.0, 1.0);
        if cue {
            q = q.max(CUE_ITCH);
        }
        let p = &sentiment.probs;
        let probs = VoiceProbs {
            pain: round4((1.0 - q) * p.negative),
            itch: round4(q),
            delight: round4((1.0 - q) * p.positive),
            neutral: round4((1.0 - q) * p.neutral),
        };
        let label = if q >= 0.5 {
            VoiceType::Itch
        } else {
            match sentiment.label {
                Polarity::Negative => VoiceType::Pain,
                Polarity::Positive => VoiceType::Delight,
                Polarity::Neutral => VoiceType::Neutral,
            }
        };
        Voice {
            label,
            confidence: probs.of(label),
            probs,
            cue,
        }
    }

    /// The same voice with its label set as stored (a store keeps the label
    /// that analysis printed; the probabilities are recomputed from the
    /// stored sentiment and itch probability).
    pub fn with_label(mut self, label: VoiceType) -> Voice {
        self.confidence = self.probs.of(label);
        self.label = label;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::language::Language;

    fn s(neg: f32, neu: f32, pos: f32) -> Sentiment {
        Sentiment::from_probs(Probs {
            negative: neg,
            neutral: neu,
            positive: pos,
        })
    }

    #[test]
    fn label_map_and_softmax() {
        let labels = vec!["positive".to_string(), "NEGATIVE".into(), "neutral".into()];
        let m = LabelMap::from_labels(&labels).unwrap();
        let x = m.sentiment(&[2.0, 0.0, 0.0]).unwrap();
        assert_eq!(x.label, Polarity::Positive);
        assert!((x.probs.positive + x.probs.negative + x.probs.neutral - 1.0).abs() < 1e-3);
        assert!(x.polarity > 0.5);
        assert!(LabelMap::from_labels(&["a".into(), "b".into(), "c".into()]).is_none());
        assert!(m.sentiment(&[f32::NAN, 0.0, 0.0]).is_none());
    }

    fn ev(s: &Sentiment, weight: usize, clause: usize) -> ClauseEvidence<'_> {
        ClauseEvidence {
            sentiment: s,
            weight,
            clause,
            turn: None,
            start: clause * 10,
            end: clause * 10 + weight,
        }
    }

    #[test]
    fn one_complaint_in_a_positive_review_is_the_worst_clause_not_the_label() {
        let praise = s(0.05, 0.15, 0.8);
        let complaint = s(0.9, 0.05, 0.05);
        let items = [
            ev(&praise, 40, 0),
            ev(&praise, 40, 1),
            ev(&complaint, 10, 2),
            ev(&praise, 40, 3),
        ];
        let a = aggregate(items, None, Language::EN, None).unwrap();
        assert_eq!(
            a.label,
            Polarity::Positive,
            "the clause mean leans positive"
        );
        assert!(a.mixed);
        assert!(a.polarity > 0.0);
        let w = a.worst.unwrap();
        assert_eq!((w.clause, w.start, w.end), (2, 20, 30));
        assert!((w.negative - 0.9).abs() < 1e-3);
        assert_eq!(a.min_polarity, complaint.polarity);
        assert_eq!(a.clauses, 4);
        // The whole text's evidence decides without a combiner.
        let text = Probs {
            negative: 0.7,
            neutral: 0.1,
            positive: 0.2,
        };
        let a = aggregate(items, Some(text), Language::EN, None).unwrap();
        assert_eq!(a.label, Polarity::Negative);
        assert_eq!(a.text, Some(text));
        assert_eq!(a.confidence, 0.7);
    }

    #[test]
    fn the_combiner_decides_and_is_validated() {
        let praise = s(0.05, 0.15, 0.8);
        // A combiner that follows only share_negative.
        let mut w = vec![vec![0.0; 14]; 3];
        w[0][8] = 10.0;
        let m = RecordModel {
            features: RECORD_FEATURES.iter().map(|f| f.to_string()).collect(),
            labels: vec!["negative".into(), "neutral".into(), "positive".into()],
            weights: w,
            bias: vec![0.0, 0.0, 1.0],
            source: String::new(),
            text_gate: Some(0.7),
        };
        m.validate().unwrap();
        let complaint = s(0.9, 0.05, 0.05);
        let a = aggregate(
            [ev(&praise, 10, 0), ev(&complaint, 10, 1)],
            None,
            Language::ZH,
            Some(&m),
        )
        .unwrap();
        assert_eq!(a.label, Polarity::Negative);
        let a = aggregate([ev(&praise, 10, 0)], None, Language::ZH, Some(&m)).unwrap();
        assert_eq!(a.label, Polarity::Positive);
        assert!(a.worst.is_none());
        let mut bad = m.clone();
        bad.features.swap(0, 1);
        assert!(bad.validate().unwrap_err().contains("features"));
        let mut bad = m.clone();
        bad.weights[1].pop();
        assert!(bad.validate().is_err());
        let mut bad = m.clone();
        bad.labels[0] = "bad".into();
        assert!(bad.validate().unwrap_err().contains("labels"));
        for g in [0.0, 1.5, f32::NAN] {
            let mut bad = m.clone();
            bad.text_gate = Some(g);
            assert!(bad.validate().unwrap_err().contains("text_gate"), "{g}");
        }
    }

    #[test]
    fn weak_signals_use_the_mean() {
        let (x, y) = (s(0.3, 0.5, 0.2), s(0.2, 0.3, 0.5));
        let a = aggregate([ev(&x, 10, 0), ev(&y, 10, 1)], None, Language::EN, None).unwrap();
        assert_eq!(a.label, Polarity::Neutral);
        assert!(!a.mixed);
        assert!(aggregate(std::iter::empty(), None, Language::EN, None).is_none());
    }

    #[test]
    fn voice_gates_sentiment_with_the_itch_probability() {
        let neg = s(0.8, 0.1, 0.1);
        let v = Voice::new(&neg, Some(0.1), false);
        assert_eq!(v.label, VoiceType::Pain);
        let sum = v.probs.pain + v.probs.itch + v.probs.delight + v.probs.neutral;
        assert!((sum - 1.0).abs() < 1e-3);
        assert_eq!(Voice::new(&neg, Some(0.6), false).label, VoiceType::Itch);
        let cued = Voice::new(&s(0.1, 0.2, 0.7), None, true);
        assert_eq!((cued.label, cued.probs.itch), (VoiceType::Itch, CUE_ITCH));
        assert_eq!(
            Voice::new(&s(0.1, 0.8, 0.1), Some(f32::NAN), false).label,
            VoiceType::Neutral
        );
        let mut c = VoiceCounts::default();
        c.add(VoiceType::Delight);
        c.add(VoiceType::Pain);
        assert_eq!(c.dominant(), VoiceType::Pain);
        c.add(VoiceType::Itch);
        assert_eq!(c.dominant(), VoiceType::Itch);
        assert_eq!(VoiceType::parse("itch"), Some(VoiceType::Itch));
    }
}
