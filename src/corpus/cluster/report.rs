//! The cluster report (`CLUSTERS.json`): one summary per cluster and the
//! cluster of every item.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::hotness::{self, Counts, Hotness, HotnessParams, Totals};
use super::model::ClusterModel;
use super::sample::Placement;
use super::vectors::dot;
use super::{ctfidf, gaps, ClusterConfig, ClusterStats};
use crate::error::{Error, Result};
use crate::neural::sentiment::Polarity;
use crate::stages::codebook::CodebookSpec;

/// What the report needs to know about one clustered item (a clause, or a
/// record clustered whole: see [`ClusterLevel`](super::ClusterLevel)), in
/// the order of the model's vectors. Everything but `id` may be empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemMeta {
    /// Record id.
    pub id: String,
    /// Clause number within the record (the first one of a record
    /// clustered whole).
    pub clause: usize,
    /// Clauses the item covers from `clause` on: 1 for a clause, more for
    /// a record clustered whole (0 counts as 1).
    pub clauses: usize,
    /// Clause text (a record clustered whole: its text).
    pub text: String,
    /// Language code (`zh`, `ru`, `en`, …).
    pub language: String,
    /// Content tokens for keywords and labels, chosen by the caller: the
    /// `norm` of tokens that are not stopwords or negators and, for
    /// Chinese, that jieba tags as nouns, verbs, adjectives or foreign
    /// words (the filter of `keywords.rs`).
    pub tokens: Vec<String>,
    /// Clause sentiment, if known.
    pub sentiment: Option<Polarity>,
    /// Codebook codes of the clause.
    pub codes: Vec<String>,
    /// Period (week index, see [`week_index`](super::week_index)), if the
    /// record has a time.
    pub period: Option<i64>,
}

/// Report settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportOptions {
    /// Keywords per cluster and language.
    pub keywords: usize,
    /// Keywords joined into a label.
    pub label_terms: usize,
    /// Clauses closest to the centroid.
    pub representatives: usize,
    /// Dominant codes listed.
    pub codes: usize,
    /// Hotness and emerging settings.
    pub hotness: HotnessParams,
    /// Clusters whose share of coded clauses is below this get a suggested
    /// code (when some item has codes at all).
    pub gap_max_coded: f64,
    /// Clusters at least this well coded serve as neighbours for the parent.
    pub gap_min_neighbour_coded: f64,
    /// Neighbours consulted for the parent.
    pub gap_neighbours: usize,
    /// Display forms of keyword terms: `(language, term)` → the form shown
    /// (items carry stems so that inflections count as one term; keywords
    /// and labels show the most frequent surface form). See
    /// [`ClusterItems::forms`](super::ClusterItems::forms).
    #[serde(skip)]
    pub forms: Option<std::sync::Arc<HashMap<(String, String), String>>>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            keywords: 10,
            label_terms: 3,
            representatives: 3,
            codes: 5,
            hotness: HotnessParams::default(),
            gap_max_coded: 0.3,
            gap_min_neighbour_coded: 0.5,
            gap_neighbours: 3,
            forms: None,
        }
    }
}

/// A c-TF-IDF keyword.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyword {
    /// The term (lower-cased).
    pub term: String,
    /// c-TF-IDF score.
    pub score: f64,
    /// Occurrences in the cluster.
    pub count: usize,
}

/// A clause close to the centroid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Representative {
    /// Record id.
    pub id: String,
    /// Clause number.
    pub clause: usize,
    /// Text.
    pub text: String,
    /// Language.
    pub language: String,
    /// Cosine similarity to the centroid.
    pub similarity: f32,
}

/// Sentiment counts of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentimentMix {
    /// Negative clauses.
    pub negative: usize,
    /// Neutral clauses.
    pub neutral: usize,
    /// Positive clauses.
    pub positive: usize,
    /// `negative / (negative + neutral + positive)`.
    pub negative_share: f64,
}

/// A code and how many of the cluster's clauses carry it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeShare {
    /// Code id.
    pub code: String,
    /// Clauses with the code.
    pub count: usize,
    /// `count / size`.
    pub share: f64,
}

/// One cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSummary {
    /// Cluster id.
    pub id: u32,
    /// Clauses.
    pub size: usize,
    /// `size / items`.
    pub share: f64,
    /// The label in the cluster's main language.
    pub label: String,
    /// Labels per language (top keywords joined by ` / `).
    pub labels: BTreeMap<String, String>,
    /// c-TF-IDF keywords per language.
    pub keywords: BTreeMap<String, Vec<Keyword>>,
    /// The clauses closest to the centroid.
    pub representatives: Vec<Representative>,
    /// Clauses per language.
    pub languages: BTreeMap<String, usize>,
    /// Mean cosine similarity of members to the centroid.
    pub cohesion: f64,
    /// Sentiment mix (when clauses have sentiment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentMix>,
    /// The most frequent codes.
    pub codes: Vec<CodeShare>,
    /// Share of clauses with at least one code.
    pub coded_share: f64,
    /// Hotness.
    pub hotness: Hotness,
    /// A suggested new code (YAML) when the codebook covers the cluster poorly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_code: Option<String>,
}

/// The cluster of one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentOut {
    /// Record id.
    pub id: String,
    /// Clause number.
    pub clause: usize,
    /// Cluster (`null` for outliers).
    pub cluster: Option<u32>,
}

/// Totals of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    /// Items.
    pub items: usize,
    /// Items in a cluster.
    pub clustered: usize,
    /// Items in none.
    pub outliers: usize,
    /// `outliers / items`.
    pub outlier_share: f64,
    /// Clusters.
    pub clusters: usize,
    /// The current period (week index), when items have times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    /// Ids of the clusters by hotness, hottest first (at most 20).
    pub hottest: Vec<u32>,
    /// Ids of emerging clusters.
    pub emerging: Vec<u32>,
    /// Ids of clusters with a suggested code.
    pub gaps: Vec<u32>,
    /// How hotness is computed.
    pub hotness_formula: &'static str,
    /// The clustering settings.
    pub config: ClusterConfig,
    /// Counts and timings of the clustering.
    pub stats: ClusterStats,
}

/// `CLUSTERS.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterReport {
    /// Totals.
    pub summary: ReportSummary,
    /// One entry per cluster, by id.
    pub clusters: Vec<ClusterSummary>,
    /// One entry per clustered clause, in input order (every clause of a
    /// record clustered whole has its own entry, with the record's cluster).
    pub assignments: Vec<AssignmentOut>,
}

const FORMULA: &str = "100 * volume_share * (1 + negative_share) * growth; growth = (current + 1) / (previous * N_current / N_previous + 1)";

impl ClusterModel {
    /// Summarizes the clusters over `items` (one per vector, same order).
    /// `codebook` gives the parents of codes for gap suggestions (without
    /// it, dotted id prefixes are used).
    pub fn report(
        &self,
        items: &[ItemMeta],
        options: &ReportOptions,
        codebook: Option<&CodebookSpec>,
    ) -> Result<ClusterReport> {
        let labels = self.labels();
        if items.len() != labels.len() {
            return Err(Error::Data(format!(
                "{} items for a model of {}",
                items.len(),
                labels.len()
            )));
        }
        let v = self.vectors();
        let placements: Vec<Placement> = labels
            .par_iter()
            .enumerate()
            .map(|(i, &cluster)| Placement {
                cluster,
                centroid_similarity: cluster
                    .and_then(|c| self.centroid(c))
                    .map(|c| dot(v.row(i), c))
                    .unwrap_or(0.0),
            })
            .collect();
        self.report_placed(items, &placements, options, codebook)
    }

    /// Summarizes the clusters over `items` placed by
    /// [`place`](Self::place) (one placement per item, same order): the
    /// report of a sampled clustering over all items (see
    /// [`fit_sample`](super::fit_sample)). The summary's `stats` are the
    /// model's own fit (of the sample).
    pub fn report_placed(
        &self,
        items: &[ItemMeta],
        placements: &[Placement],
        options: &ReportOptions,
        codebook: Option<&CodebookSpec>,
    ) -> Result<ClusterReport> {
        if items.len() != placements.len() {
            return Err(Error::Data(format!(
                "{} items for {} placements",
                items.len(),
                placements.len()
            )));
        }
        let k = self.clusters();
        let labels: Vec<Option<u32>> = placements
            .iter()
            .map(|p| p.cluster.filter(|&c| (c as usize) < k))
            .collect();
        let labels = labels.as_slice();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (i, l) in labels.iter().enumerate() {
            if let Some(l) = l {
                if let Some(m) = members.get_mut(*l as usize) {
                    m.push(i);
                }
            }
        }

        // Keywords.
        let langs: Vec<&str> = items.iter().map(|m| m.language.as_str()).collect();
        let toks: Vec<&[String]> = items.iter().map(|m| m.tokens.as_slice()).collect();
        let mut keywords = ctfidf::keywords(labels, k, &langs, &toks, options.keywords);
        if let Some(forms) = &options.forms {
            for per_cluster in &mut keywords {
                for (lang, kws) in per_cluster.iter_mut() {
                    for kw in kws.iter_mut() {
                        if let Some(f) = forms.get(&(lang.clone(), kw.term.clone())) {
                            kw.term = f.clone();
                        }
                    }
                }
            }
        }

        // Representatives and cohesion.
        let reps: Vec<(Vec<(usize, f32)>, f64)> = members
            .par_iter()
            .enumerate()
            .map(|(c, m)| {
                if self.centroid(c as u32).is_none() {
                    return (Vec::new(), 0.0);
                }
                let mut sims: Vec<(usize, f32)> = m
                    .iter()
                    .map(|&i| (i, placements[i].centroid_similarity))
                    .collect();
                let cohesion = if sims.is_empty() {
                    0.0
                } else {
                    sims.iter().map(|x| f64::from(x.1)).sum::<f64>() / sims.len() as f64
                };
                sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                // Distinct texts only (repeated short clauses such as
                // "Не доволен." would otherwise fill every slot).
                let mut seen: HashSet<String> = HashSet::new();
                let mut picked: Vec<(usize, f32)> = Vec::new();
                for (i, s) in sims {
                    if picked.len() >= options.representatives {
                        break;
                    }
                    let key: String = items[i]
                        .text
                        .trim()
                        .trim_end_matches(|c: char| {
                            c.is_ascii_punctuation() || "。！？，；…".contains(c)
                        })
                        .to_lowercase();
                    if seen.insert(key) {
                        picked.push((i, s));
                    }
                }
                (picked, cohesion)
            })
            .collect();

        // Periods.
        let current = options
            .hotness
            .current
            .or_else(|| items.iter().filter_map(|m| m.period).max());
        let mut totals = Totals {
            items: items.len(),
            period: current,
            ..Totals::default()
        };
        let mut counts = vec![Counts::default(); k];
        for (i, m) in items.iter().enumerate() {
            let in_cur = current.is_some() && m.period == current;
            let in_prev = matches!((current, m.period), (Some(c), Some(p)) if p == c - 1);
            totals.current += usize::from(in_cur);
            totals.previous += usize::from(in_prev);
            let Some(l) = labels[i] else { continue };
            let Some(c) = counts.get_mut(l as usize) else {
                continue;
            };
            c.size += 1;
            c.current += usize::from(in_cur);
            c.previous += usize::from(in_prev);
            if let (Some(cur), Some(p)) = (current, m.period) {
                c.before += usize::from(p < cur);
            }
            if current.is_none() || in_cur {
                if let Some(s) = m.sentiment {
                    c.with_sentiment += 1;
                    c.negative += usize::from(s == Polarity::Negative);
                }
            }
        }

        // Codes.
        let any_codes = items.iter().any(|m| !m.codes.is_empty());
        let mut parents: HashMap<String, Option<String>> = HashMap::new();
        let mut existing: HashSet<String> = HashSet::new();
        if let Some(cb) = codebook {
            for c in &cb.codes {
                parents.insert(c.id.clone(), c.parent.clone());
                existing.insert(c.id.clone());
            }
        }

        let mut clusters: Vec<ClusterSummary> = Vec::with_capacity(k);
        for c in 0..k {
            let m = &members[c];
            let size = m.len();
            let mut languages: BTreeMap<String, usize> = BTreeMap::new();
            let mut mix = SentimentMix {
                negative: 0,
                neutral: 0,
                positive: 0,
                negative_share: 0.0,
            };
            let mut code_counts: HashMap<&str, usize> = HashMap::new();
            let mut coded = 0usize;
            for &i in m {
                let it = &items[i];
                *languages.entry(it.language.clone()).or_insert(0) += 1;
                match it.sentiment {
                    Some(Polarity::Negative) => mix.negative += 1,
                    Some(Polarity::Neutral) => mix.neutral += 1,
                    Some(Polarity::Positive) => mix.positive += 1,
                    None => {}
                }
                coded += usize::from(!it.codes.is_empty());
                let mut seen: HashSet<&str> = HashSet::new();
                for code in &it.codes {
                    if seen.insert(code) {
                        *code_counts.entry(code.as_str()).or_insert(0) += 1;
                    }
                }
            }
            let with_sentiment = mix.negative + mix.neutral + mix.positive;
            let sentiment = (with_sentiment > 0).then(|| {
                mix.negative_share = mix.negative as f64 / with_sentiment as f64;
                mix
            });
            let mut codes: Vec<CodeShare> = code_counts
                .into_iter()
                .map(|(code, count)| CodeShare {
                    code: code.to_string(),
                    count,
                    share: if size == 0 {
                        0.0
                    } else {
                        count as f64 / size as f64
                    },
                })
                .collect();
            codes.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
            codes.truncate(options.codes);
            let main_language = languages
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|x| x.0.clone())
                .unwrap_or_default();
            let kw = keywords.get(c).cloned().unwrap_or_default();
            let cluster_labels: BTreeMap<String, String> = kw
                .iter()
                .map(|(lang, k)| {
                    // filler (great, like, 好, хорошо) names no issue: label
                    // with the other keywords, unless there are none
                    let n = options.label_terms.max(1);
                    let mut t: Vec<&str> = k
                        .iter()
                        .map(|k| k.term.as_str())
                        .filter(|w| !crate::corpus::keywords::is_filler(lang, w))
                        .take(n)
                        .collect();
                    if t.is_empty() {
                        t = k.iter().take(n).map(|k| k.term.as_str()).collect();
                    }
                    (lang.clone(), t.join(" / "))
                })
                .collect();
            let representatives: Vec<Representative> = reps[c]
                .0
                .iter()
                .map(|&(i, s)| Representative {
                    id: items[i].id.clone(),
                    clause: items[i].clause,
                    text: items[i].text.clone(),
                    language: items[i].language.clone(),
                    similarity: s,
                })
                .collect();
            let label = cluster_labels
                .get(&main_language)
                .or_else(|| cluster_labels.values().next())
                .cloned()
                .or_else(|| {
                    representatives
                        .first()
                        .map(|r| r.text.chars().take(60).collect())
                })
                .unwrap_or_else(|| format!("cluster {c}"));
            clusters.push(ClusterSummary {
                id: c as u32,
                size,
                share: if items.is_empty() {
                    0.0
                } else {
                    size as f64 / items.len() as f64
                },
                label,
                labels: cluster_labels,
                keywords: kw,
                representatives,
                languages,
                cohesion: reps[c].1,
                sentiment,
                codes,
                coded_share: if size == 0 {
                    0.0
                } else {
                    coded as f64 / size as f64
                },
                hotness: hotness::score(&counts[c], &totals, &options.hotness),
                suggested_code: None,
            });
        }

        // Codebook gaps.
        if any_codes {
            let well: Vec<usize> = (0..k)
                .filter(|&c| {
                    clusters[c].coded_share >= options.gap_min_neighbour_coded
                        && !clusters[c].codes.is_empty()
                })
                .collect();
            let poor: Vec<usize> = (0..k)
                .filter(|&c| {
                    clusters[c].coded_share < options.gap_max_coded && clusters[c].size > 0
                })
                .collect();
            let suggestions: Vec<(usize, String)> = poor
                .par_iter()
                .map(|&c| {
                    let mut near: Vec<(u32, f32, &str)> = well
                        .iter()
                        .filter(|&&o| o != c)
                        .filter_map(|&o| {
                            let s = dot(self.centroid(c as u32)?, self.centroid(o as u32)?);
                            Some((o as u32, s, clusters[o].codes[0].code.as_str()))
                        })
                        .collect();
                    near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                    near.truncate(options.gap_neighbours);
                    let main = clusters[c]
                        .languages
                        .iter()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                        .map(|x| x.0.as_str())
                        .unwrap_or("");
                    let input = gaps::GapInput {
                        cluster: c as u32,
                        size: clusters[c].size,
                        coded_share: clusters[c].coded_share,
                        main_language: main,
                        keywords: &clusters[c].keywords,
                        exemplars: clusters[c]
                            .representatives
                            .iter()
                            .map(|r| r.text.as_str())
                            .collect(),
                        neighbours: near,
                    };
                    (c, gaps::suggest(&input, &parents, &existing))
                })
                .collect();
            for (c, yaml) in suggestions {
                clusters[c].suggested_code = Some(yaml);
            }
        }

        let mut hottest: Vec<u32> = (0..k as u32).collect();
        hottest.sort_by(|&a, &b| {
            clusters[b as usize]
                .hotness
                .score
                .total_cmp(&clusters[a as usize].hotness.score)
                .then(a.cmp(&b))
        });
        hottest.truncate(20);
        // one line per clause: the clauses of a record clustered whole
        // share its cluster
        let assignments: Vec<AssignmentOut> = items
            .iter()
            .zip(labels)
            .flat_map(|(m, l)| {
                (m.clause..m.clause + m.clauses.max(1)).map(move |clause| AssignmentOut {
                    id: m.id.clone(),
                    clause,
                    cluster: *l,
                })
            })
            .collect();
        let clustered = labels.iter().filter(|l| l.is_some()).count();
        let summary = ReportSummary {
            items: items.len(),
            clustered,
            outliers: items.len() - clustered,
            outlier_share: if items.is_empty() {
                0.0
            } else {
                (items.len() - clustered) as f64 / items.len() as f64
            },
            clusters: k,
            period: current,
            hottest,
            emerging: clusters
                .iter()
                .filter(|c| c.hotness.emerging)
                .map(|c| c.id)
                .collect(),
            gaps: clusters
                .iter()
                .filter(|c| c.suggested_code.is_some())
                .map(|c| c.id)
                .collect(),
            hotness_formula: FORMULA,
            config: self.config().clone(),
            stats: self.stats().clone(),
        };
        Ok(ClusterReport {
            summary,
            clusters,
            assignments,
        })
    }
}
