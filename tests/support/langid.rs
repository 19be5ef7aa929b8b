//! Language identification evaluation on labelled real texts.

#![allow(dead_code)]

use std::collections::BTreeMap;

use vocmine::text::language::ScriptCounts;

/// Length bucket of a text (raw characters).
pub fn bucket(text: &str) -> Option<&'static str> {
    match text.chars().count() {
        0..=1 => None,
        2..=9 => Some("2-9"),
        _ => Some("10+"),
    }
}

/// Per (language, bucket): (texts with letters, correct, texts without letters).
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub cells: BTreeMap<(String, String), (usize, usize, usize)>,
    pub confusion: BTreeMap<(String, String), usize>,
}

impl Tally {
    pub fn accuracy(&self, lang: &str, bucket: &str) -> Option<(f64, usize)> {
        let (n, ok, _) = self.cells.get(&(lang.to_string(), bucket.to_string()))?;
        (*n > 0).then(|| (*ok as f64 / *n as f64, *n))
    }
}

/// Runs `predict` over the texts. Texts with no letter outside URLs,
/// mentions and hashtags, or a single alphabetic letter, are counted apart
/// (nothing can be said about them).
pub fn evaluate<F: Fn(&str) -> String>(texts: &[(&str, &str, String)], predict: F) -> Tally {
    let mut t = Tally::default();
    let normalizer = vocmine::text::normalize::Normalizer::new();
    for (lang, _src, text) in texts {
        let Some(b) = bucket(text) else { continue };
        let cell = t
            .cells
            .entry((lang.to_string(), b.to_string()))
            .or_default();
        let n = normalizer.normalize(text);
        let c = ScriptCounts::of(n.text());
        // Nothing can be said without a letter, or from one alphabetic letter (`P.`).
        if c.letters() == 0 || (c.han + c.kana + c.hangul == 0 && c.letters() < 2) {
            cell.2 += 1;
            continue;
        }
        cell.0 += 1;
        let p = predict(text);
        if p == *lang {
            cell.1 += 1;
        } else {
            *t.confusion.entry((lang.to_string(), p)).or_default() += 1;
        }
    }
    t
}
