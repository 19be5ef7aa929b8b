//! Codebook drafts: a starting two-level codebook built from the clusters of
//! a corpus (`vocmine codebook draft`).
//!
//! Each kept cluster becomes a leaf code: its labels per language are its
//! top c-TF-IDF keywords, its description lists the keywords of every
//! language, and its exemplars are its representative clauses (one per
//! language first, so that every language is covered). Leaf codes are
//! grouped under parent codes by average-linkage agglomeration of the
//! cluster centroids (cosine), so that related topics (say, room cleanliness
//! and bathroom) share a parent. Owners are left to the researcher.
//!
//! The draft has no rules: its codes are zero-shot codes (labels,
//! description, exemplars; see [`crate::stages::codebook`]), and because drafted
//! labels are keyword lists rather than phrases, `settings.label_weight` is
//! 0 so they are not matched as terms. A draft is valid for
//! `codebook check` and `analyze` as it stands; it is meant to be renamed,
//! merged, split and given owners.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{ClusterReport, ClusterSummary};
use super::vectors::Vectors;
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;
use crate::stages::codebook::{CodeSpec, CodebookSpec, Settings};

/// Options of [`draft`].
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// Name of the drafted codebook.
    pub name: String,
    /// Most leaf codes (the largest clusters are kept).
    pub max_codes: usize,
    /// Smallest cluster, as a share of the clustered clauses, that becomes a
    /// code.
    pub min_share: f64,
    /// Parent codes (default: the square root of the leaf count, rounded).
    pub parents: Option<usize>,
    /// Exemplars per code.
    pub exemplars: usize,
    /// Keywords per language in the label.
    pub label_terms: usize,
    /// Keywords per language in the description.
    pub description_terms: usize,
}

impl Default for DraftOptions {
    fn default() -> Self {
        DraftOptions {
            name: "draft".into(),
            max_codes: 40,
            min_share: 0.005,
            parents: None,
            exemplars: 3,
            label_terms: 2,
            description_terms: 8,
        }
    }
}

impl DraftOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<()> {
        if self.max_codes == 0 {
            return Err(Error::Config("draft: max_codes must be at least 1".into()));
        }
        if !(0.0..1.0).contains(&self.min_share) {
            return Err(Error::Config(format!(
                "draft: min_share must be in [0, 1), not {}",
                self.min_share
            )));
        }
        if self.parents == Some(0) {
            return Err(Error::Config("draft: parents must be at least 1".into()));
        }
        if self.name.trim().is_empty() {
            return Err(Error::Config("draft: the codebook needs a name".into()));
        }
        Ok(())
    }
}

/// A drafted codebook with what it was drafted from.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The codebook.
    pub spec: CodebookSpec,
    /// Cluster id behind each leaf code, in code order.
    pub clusters: Vec<(String, u32)>,
    /// Clauses in the clusters that became codes.
    pub covered: usize,
    /// Clustered clauses in all.
    pub clustered: usize,
}

/// Drafts a two-level codebook from a cluster report and the clusters'
/// centroids (`centroid(id)`, unit vectors; a cluster without one is
/// grouped alone).
pub fn draft(
    report: &ClusterReport,
    centroid: impl Fn(u32) -> Option<Vec<f32>>,
    opts: &DraftOptions,
) -> Result<Draft> {
    opts.validate()?;
    let clustered = report.summary.clustered;
    let min_size = (opts.min_share * clustered as f64).ceil() as usize;
    let mut kept: Vec<&ClusterSummary> = report
        .clusters
        .iter()
        .filter(|c| c.size >= min_size.max(1))
        .collect();
    // largest first; ties by id, so the draft does not depend on report order
    kept.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(&b.id)));
    kept.truncate(opts.max_codes);
    if kept.is_empty() {
        return Err(Error::Config(format!(
            "draft: no cluster reaches {:.1}% of the {clustered} clustered clauses; \
             lower --min-share or give a larger corpus",
            opts.min_share * 100.0
        )));
    }
    let vectors: Vec<Option<Vec<f32>>> = kept.iter().map(|c| centroid(c.id)).collect();
    let n_parents = opts
        .parents
        .unwrap_or_else(|| (kept.len() as f64).sqrt().round() as usize)
        .clamp(1, kept.len());
    let groups = average_linkage(&vectors, n_parents);

    let mut languages: BTreeSet<String> = BTreeSet::new();
    for c in &kept {
        languages.extend(c.languages.keys().filter(|l| known(l)).cloned());
    }
    let mut codes = Vec::new();
    let mut clusters = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut covered = 0usize;
    for (gi, members) in groups.iter().enumerate() {
        let children: Vec<&ClusterSummary> = members.iter().map(|&i| kept[i]).collect();
        // the parent's keywords: its children's, weighted by cluster size
        let mut weight: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for c in &children {
            for (lang, kws) in &c.keywords {
                for k in kws {
                    *weight
                        .entry(lang.clone())
                        .or_default()
                        .entry(k.term.clone())
                        .or_default() += k.score * c.size as f64;
                }
            }
        }
        let parent_terms: BTreeMap<String, Vec<String>> = weight
            .into_iter()
            .map(|(lang, w)| {
                let mut v: Vec<(String, f64)> = w.into_iter().collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                (lang, v.into_iter().map(|x| x.0).collect())
            })
            .collect();
        let parent_id = unique(
            &mut used,
            format!("t{:02}{}", gi + 1, slug_suffix(&parent_terms)),
        );
        codes.push(CodeSpec {
            id: parent_id.clone(),
            labels: labels(&parent_terms, opts.label_terms),
            description: description(&parent_terms, opts.description_terms),
            ..CodeSpec::default()
        });
        for (ci, c) in children.iter().enumerate() {
            let terms: BTreeMap<String, Vec<String>> = c
                .keywords
                .iter()
                .map(|(l, k)| (l.clone(), k.iter().map(|k| k.term.clone()).collect()))
                .collect();
            let id = unique(
                &mut used,
                format!("{parent_id}.c{:02}{}", ci + 1, slug_suffix(&terms)),
            );
            covered += c.size;
            clusters.push((id.clone(), c.id));
            codes.push(CodeSpec {
                id,
                parent: Some(parent_id.clone()),
                labels: labels(&terms, opts.label_terms),
                description: description(&terms, opts.description_terms),
                exemplars: exemplars(c, opts.exemplars),
                ..CodeSpec::default()
            });
        }
    }
    let spec = CodebookSpec {
        codebook: opts.name.clone(),
        version: Some("draft".into()),
        description: Some(format!(
            "Drafted by `vocmine codebook draft` from {} clusters covering {covered} of \
             {clustered} clustered clauses ({:.1}%). Rename the codes, merge and split them, \
             give them owners and rules, then check it with `vocmine codebook check`.",
            kept.len(),
            100.0 * covered as f64 / clustered.max(1) as f64
        )),
        languages: languages.into_iter().collect(),
        settings: Settings {
            // drafted labels are keyword lists, not phrases to look for
            label_weight: 0.0,
            ..Settings::default()
        },
        codes,
        ..CodebookSpec::default()
    };
    Ok(Draft {
        spec,
        clusters,
        covered,
        clustered,
    })
}

/// Labels and descriptions are written for the languages that were
/// detected; the keywords of undetermined clauses (`und`: "ok", numbers,
/// emoji) name nothing.
fn known(language: &str) -> bool {
    language != "und"
}

fn labels(terms: &BTreeMap<String, Vec<String>>, n: usize) -> BTreeMap<String, String> {
    terms
        .iter()
        .filter(|(l, t)| known(l) && !t.is_empty())
        .map(|(l, t)| {
            (
                l.clone(),
                t.iter()
                    .take(n.max(1))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / "),
            )
        })
        .collect()
}

fn description(terms: &BTreeMap<String, Vec<String>>, n: usize) -> Option<String> {
    let parts: Vec<String> = terms
        .iter()
        .filter(|(l, t)| known(l) && !t.is_empty())
        .map(|(_, t)| t.iter().take(n).cloned().collect::<Vec<_>>().join(", "))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The vectors with their sentiment direction projected out (and each row
/// renormalized): the difference of the mean positive and mean negative
/// clause. Encoders place "slow service" next to "terrible food" because both
/// are complaints; a codebook's codes are topics, and their points come from
/// the voice type, so a draft clusters on what is talked about. `None` when
/// there are fewer than 5 positive or 5 negative clauses.
pub fn without_sentiment(
    vectors: &Vectors,
    polarity: &[Option<Polarity>],
) -> Result<Option<Vectors>> {
    let dim = vectors.dim();
    let mut pos = vec![0f64; dim];
    let mut neg = vec![0f64; dim];
    let (mut np, mut nn) = (0usize, 0usize);
    for (i, p) in polarity.iter().enumerate().take(vectors.len()) {
        if !vectors.is_valid(i) {
            continue;
        }
        let (acc, n) = match p {
            Some(Polarity::Positive) => (&mut pos, &mut np),
            Some(Polarity::Negative) => (&mut neg, &mut nn),
            _ => continue,
        };
        for (a, x) in acc.iter_mut().zip(vectors.row(i)) {
            *a += *x as f64;
        }
        *n += 1;
    }
    if np < 5 || nn < 5 {
        return Ok(None);
    }
    let mut d: Vec<f64> = pos
        .iter()
        .zip(&neg)
        .map(|(p, q)| p / np as f64 - q / nn as f64)
        .collect();
    let norm = d.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm < 1e-9 {
        return Ok(None);
    }
    d.iter_mut().for_each(|x| *x /= norm);
    let mut data = Vec::with_capacity(vectors.len() * dim);
    for i in 0..vectors.len() {
        let row = vectors.row(i);
        let proj: f64 = row.iter().zip(&d).map(|(x, y)| *x as f64 * y).sum();
        data.extend(
            row.iter()
                .zip(&d)
                .map(|(x, y)| (*x as f64 - proj * y) as f32),
        );
    }
    // Vectors::new renormalizes every row (and marks rows it cannot)
    Vectors::new(data, dim).map(Some)
}

/// Representatives, one per language in turn, without repeats.
fn exemplars(c: &ClusterSummary, n: usize) -> Vec<String> {
    let mut by_lang: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in &c.representatives {
        by_lang.entry(&r.language).or_default().push(r.text.trim());
    }
    let mut out: Vec<String> = Vec::new();
    let mut round = 0;
    while out.len() < n {
        let mut any = false;
        for texts in by_lang.values() {
            if let Some(t) = texts.get(round) {
                any = true;
                if out.len() < n && !t.is_empty() && !out.iter().any(|o| o == t) {
                    out.push((*t).to_owned());
                }
            }
        }
        if !any {
            break;
        }
        round += 1;
    }
    out
}

/// `_word` from the first keyword made of ASCII letters and digits (English
/// first), else nothing: ids stay readable where they can.
fn slug_suffix(terms: &BTreeMap<String, Vec<String>>) -> String {
    let order = ["en"].into_iter().filter_map(|l| terms.get(l)).chain(
        terms
            .iter()
            .filter(|(l, _)| l.as_str() != "en")
            .map(|x| x.1),
    );
    for list in order {
        for t in list.iter().take(3) {
            let s: String = t
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            let s = s.trim_matches('_');
            if s.len() >= 2 && s.chars().any(|c| c.is_ascii_alphabetic()) {
                return format!("_{}", &s[..s.len().min(24)]);
            }
        }
    }
    String::new()
}

fn unique(used: &mut BTreeSet<String>, id: String) -> String {
    let mut cand = id.clone();
    let mut k = 2;
    while used.contains(&cand) {
        cand = format!("{id}_{k}");
        k += 1;
    }
    used.insert(cand.clone());
    cand
}

/// Average-linkage agglomeration of unit vectors (cosine) into `k` groups;
/// items without a vector stay alone as long as groups must be merged
/// among the others. Groups come out ordered by their first (largest) item.
fn average_linkage(vectors: &[Option<Vec<f32>>], k: usize) -> Vec<Vec<usize>> {
    let n = vectors.len();
    let mut groups: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let sim = |a: usize, b: usize| -> f64 {
        match (&vectors[a], &vectors[b]) {
            (Some(x), Some(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .map(|(p, q)| (*p as f64) * (*q as f64))
                .sum(),
            _ => f64::NEG_INFINITY,
        }
    };
    let pair: Vec<Vec<f64>> = (0..n)
        .map(|a| (0..n).map(|b| sim(a, b)).collect())
        .collect();
    while groups.len() > k {
        let mut best: Option<(f64, usize, usize)> = None;
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let mut s = 0.0;
                for &a in &groups[i] {
                    for &b in &groups[j] {
                        s += pair[a][b];
                    }
                }
                let s = s / (groups[i].len() * groups[j].len()) as f64;
                if best.is_none_or(|(bs, _, _)| s > bs) {
                    best = Some((s, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else { break };
        let moved = groups.remove(j);
        groups[i].extend(moved);
        groups[i].sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linkage_groups_near_vectors() {
        let v = |x: f32, y: f32| {
            let n = (x * x + y * y).sqrt();
            Some(vec![x / n, y / n])
        };
        let vectors = vec![v(1.0, 0.0), v(0.0, 1.0), v(1.0, 0.1), v(0.1, 1.0), None];
        let g = average_linkage(&vectors, 3);
        assert_eq!(g, vec![vec![0, 2], vec![1, 3], vec![4]]);
    }

    #[test]
    fn slugs_prefer_english_ascii_keywords() {
        let mut t = BTreeMap::new();
        t.insert("zh".to_owned(), vec!["房间".to_owned()]);
        t.insert("en".to_owned(), vec!["Wi-Fi".to_owned()]);
        assert_eq!(slug_suffix(&t), "_wi_fi");
        t.remove("en");
        assert_eq!(slug_suffix(&t), "");
    }
}
