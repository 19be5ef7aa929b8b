//! Sentiment: three classes per clause from the encoder's logits, and their
//! aggregation to turns and records so that one strong complaint is not
//! averaged away.
//!
//! A clause gets the softmax of the model's `negative, neutral, positive`
//! logits, its label (the most probable class), that probability as
//! `confidence`, and `polarity = p(positive) − p(negative)` in −1…1.
//!
//! A turn or a record aggregates its (customer) clauses:
//!
//! * `probs`: the mean of the clause probabilities, weighted by clause length;
//! * `min_polarity` / `max_polarity`: the most negative and most positive clause;
//! * `label`: `negative` if any clause is a strong complaint (labelled
//!   negative with probability ≥ [`STRONG`]); otherwise `positive` if any
//!   clause is strongly positive; otherwise the class of the mean
//!   probabilities. A review that praises the food and reports food
//!   poisoning is negative, whatever its length;
//! * `mixed`: a strong negative and a strong positive clause in the same unit.

use serde::Serialize;

/// Probability from which a clause counts as a strong complaint or praise.
pub const STRONG: f32 = 0.75;

/// The three sentiment classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// A complaint, a problem, a negative experience.
    Negative,
    /// Neither (a question, a fact, a request).
    Neutral,
    /// A positive experience.
    Positive,
}

impl Polarity {
    /// The serialized name: `negative`, `neutral` or `positive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
            Polarity::Positive => "positive",
        }
    }

    /// The polarity named by [`as_str`](Self::as_str) (`None` for others).
    pub fn parse(s: &str) -> Option<Polarity> {
        match s {
            "negative" => Some(Polarity::Negative),
            "neutral" => Some(Polarity::Neutral),
            "positive" => Some(Polarity::Positive),
            _ => None,
        }
    }
}

/// The sentiment of one clause.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    /// The most probable class.
    pub label: Polarity,
    /// Its probability.
    pub confidence: f32,
    /// p(positive) − p(negative), −1…1.
    pub polarity: f32,
    /// Probabilities of negative, neutral, positive.
    pub probs: Probs,
}

/// Class probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Probs {
    /// p(negative).
    pub negative: f32,
    /// p(neutral).
    pub neutral: f32,
    /// p(positive).
    pub positive: f32,
}

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

/// The sentiment of a turn or a record, aggregated over its clauses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AggregateSentiment {
    /// See the module documentation.
    pub label: Polarity,
    /// Mean polarity, weighted by clause length.
    pub polarity: f32,
    /// The most negative clause polarity.
    pub min_polarity: f32,
    /// The most positive clause polarity.
    pub max_polarity: f32,
    /// A strong complaint and a strong praise in the same unit.
    pub mixed: bool,
    /// Mean class probabilities, weighted by clause length.
    pub probs: Probs,
    /// Clauses aggregated.
    pub clauses: usize,
}

/// Aggregates clause sentiments, each with a weight (its length in chars).
pub fn aggregate<'a>(
    items: impl IntoIterator<Item = (&'a Sentiment, usize)>,
) -> Option<AggregateSentiment> {
    let mut total = 0f32;
    let mut sum = Probs::default();
    let mut min_p = f32::INFINITY;
    let mut max_p = f32::NEG_INFINITY;
    let mut strong_neg = false;
    let mut strong_pos = false;
    let mut n = 0usize;
    for (s, w) in items {
        let w = w.max(1) as f32;
        total += w;
        sum.negative += w * s.probs.negative;
        sum.neutral += w * s.probs.neutral;
        sum.positive += w * s.probs.positive;
        min_p = min_p.min(s.polarity);
        max_p = max_p.max(s.polarity);
        strong_neg |= s.label == Polarity::Negative && s.confidence >= STRONG;
        strong_pos |= s.label == Polarity::Positive && s.confidence >= STRONG;
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
    let label = if strong_neg {
        Polarity::Negative
    } else if strong_pos {
        Polarity::Positive
    } else {
        mean.label().0
    };
    Some(AggregateSentiment {
        label,
        polarity: round4(mean.positive - mean.negative),
        min_polarity: min_p,
        max_polarity: max_p,
        mixed: strong_neg && strong_pos,
        probs: mean.rounded(),
        clauses: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn one_strong_complaint_is_not_averaged_away() {
        let praise = s(0.05, 0.15, 0.8);
        let complaint = s(0.9, 0.05, 0.05);
        let items = [
            (&praise, 40),
            (&praise, 40),
            (&praise, 40),
            (&complaint, 10),
        ];
        let a = aggregate(items).unwrap();
        assert_eq!(a.label, Polarity::Negative);
        assert!(a.mixed);
        assert!(
            a.polarity > 0.0,
            "the mean still leans positive: {}",
            a.polarity
        );
        assert_eq!(a.min_polarity, complaint.polarity);
        assert_eq!(a.clauses, 4);
    }

    #[test]
    fn weak_signals_use_the_mean() {
        let a = aggregate([(&s(0.3, 0.5, 0.2), 10), (&s(0.2, 0.3, 0.5), 10)]).unwrap();
        assert_eq!(a.label, Polarity::Neutral);
        assert!(!a.mixed);
        assert!(aggregate(std::iter::empty()).is_none());
    }
}
