//! Class-based TF-IDF (c-TF-IDF, as BERTopic): the clusters of one language
//! are the documents.
//!
//! `score(t, c) = tf(t, c) / |c| · ln(1 + A / f(t))` where `tf(t, c)` counts
//! term `t` in cluster `c`, `|c|` is the number of tokens of `c`, `f(t)` is
//! the count of `t` over all clusters (outliers included, as one more
//! class) and `A` the average number of tokens per class. Terms that occur
//! once in a cluster of five or more clauses are left out; tokens without a
//! letter (numbers, punctuation) are skipped; terms are lower-cased.

use std::collections::{BTreeMap, HashMap};

use super::report::Keyword;

/// Keywords of each cluster per language: `out[cluster][language]`.
pub(crate) fn keywords(
    labels: &[Option<u32>],
    clusters: usize,
    languages: &[&str],
    tokens: &[&[String]],
    top: usize,
) -> Vec<BTreeMap<String, Vec<Keyword>>> {
    let mut out: Vec<BTreeMap<String, Vec<Keyword>>> = vec![BTreeMap::new(); clusters];
    if top == 0 {
        return out;
    }
    // language → (term ids, per class: term → count, per class: clauses)
    struct Lang {
        ids: HashMap<String, u32>,
        terms: Vec<String>,
        counts: Vec<HashMap<u32, u32>>,
        clauses: Vec<usize>,
    }
    let mut langs: BTreeMap<&str, Lang> = BTreeMap::new();
    for (i, label) in labels.iter().enumerate() {
        let class = label.map(|l| l as usize).unwrap_or(clusters);
        if class > clusters {
            continue;
        }
        let lang = languages.get(i).copied().unwrap_or("");
        let toks = tokens.get(i).copied().unwrap_or(&[]);
        let l = langs.entry(lang).or_insert_with(|| Lang {
            ids: HashMap::new(),
            terms: Vec::new(),
            counts: vec![HashMap::new(); clusters + 1],
            clauses: vec![0; clusters + 1],
        });
        l.clauses[class] += 1;
        for t in toks {
            if !t.chars().any(char::is_alphabetic) {
                continue;
            }
            let t = t.to_lowercase();
            let next = l.terms.len() as u32;
            let id = *l.ids.entry(t.clone()).or_insert_with(|| next);
            if id == next {
                l.terms.push(t);
            }
            *l.counts[class].entry(id).or_insert(0) += 1;
        }
    }
    for (lang, l) in langs {
        let mut f = vec![0u64; l.terms.len()];
        let mut total = 0u64;
        let mut classes = 0u64;
        for counts in &l.counts {
            let mut any = false;
            for (&t, &c) in counts {
                f[t as usize] += u64::from(c);
                total += u64::from(c);
                any = true;
            }
            classes += u64::from(any);
        }
        if classes == 0 {
            continue;
        }
        let avg = total as f64 / classes as f64;
        for (c, counts) in l.counts.iter().enumerate().take(clusters) {
            let size: u64 = counts.values().map(|&x| u64::from(x)).sum();
            if size == 0 {
                continue;
            }
            let min = if l.clauses[c] >= 5 { 2 } else { 1 };
            let mut kws: Vec<Keyword> = counts
                .iter()
                .filter(|(_, &n)| n >= min)
                .map(|(&t, &n)| Keyword {
                    term: l.terms[t as usize].clone(),
                    score: f64::from(n) / size as f64 * (1.0 + avg / f[t as usize] as f64).ln(),
                    count: n as usize,
                })
                .collect();
            kws.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.term.cmp(&b.term)));
            kws.truncate(top);
            if !kws.is_empty() {
                out[c].insert(lang.to_string(), kws);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinctive_terms_rank_first() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let docs = [
            s(&["card", "arrive", "the"]),
            s(&["card", "arrive", "late", "the"]),
            s(&["refund", "money", "the"]),
            s(&["refund", "money", "back", "the"]),
            s(&["42", "the"]),
        ];
        let toks: Vec<&[String]> = docs.iter().map(|d| d.as_slice()).collect();
        let labels = [Some(0), Some(0), Some(1), Some(1), None];
        let langs = ["en"; 5];
        let k = keywords(&labels, 2, &langs, &toks, 2);
        let terms0: Vec<&str> = k[0]["en"].iter().map(|k| k.term.as_str()).collect();
        let terms1: Vec<&str> = k[1]["en"].iter().map(|k| k.term.as_str()).collect();
        assert_eq!(terms0, vec!["arrive", "card"]);
        assert_eq!(terms1, vec!["money", "refund"]);
        assert!(k[0]["en"].iter().all(|k| k.term != "the"));
    }
}
