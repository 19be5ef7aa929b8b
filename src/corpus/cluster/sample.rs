//! Clustering a corpus too large to fit at once: fit on a seeded sample,
//! place every item through the fitted model, report over all of them.
//!
//! This is how clustering scales out (the `vocmine cluster --sample` CLI
//! and `vocmine.spark.cluster`): the kNN graph and Leiden run on the
//! sampled items only (on one machine: Spark's driver); every other item
//! is placed by the model's k-nearest-member vote
//! ([`ClusterModel::assign`]) wherever it is (Spark's executors, each
//! holding the saved model), and only the items' metadata and placements
//! (no vectors) come back for the report. Whether an item is in the
//! sample depends only on its record id, clause number and the seed
//! ([`Sample::keeps`]), so every process decides it alike without seeing
//! the others, and the result is the same whatever the partitioning and
//! the thread count.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::items::ClusterItems;
use super::model::ClusterModel;
use super::vectors::dot;
use crate::error::{Error, Result};

/// Which items a sampled fit takes: a share of them, chosen by a hash of
/// the item's record id and clause number with a seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Share of the items fitted on, in (0, 1] (1: all of them).
    pub fraction: f64,
    /// Seed of the choice.
    pub seed: u64,
}

impl Sample {
    /// A sample of `fraction` of the items with `seed`; an error unless
    /// `0 < fraction <= 1`.
    pub fn new(fraction: f64, seed: u64) -> Result<Sample> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::Config(format!(
                "the sample fraction must be in (0, 1], got {fraction}"
            )));
        }
        Ok(Sample { fraction, seed })
    }

    /// Whether the item of record `id` starting at clause `clause` is in
    /// the sample (FNV-1a over the seed, the id and the clause number,
    /// finished by SplitMix64's mixer: the same answer on every platform).
    pub fn keeps(&self, id: &str, clause: usize) -> bool {
        if self.fraction >= 1.0 {
            return true;
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(&self.seed.to_le_bytes());
        eat(id.as_bytes());
        eat(&[0xff]);
        eat(&(clause as u64).to_le_bytes());
        let z = super::rng::mix(h.wrapping_add(0x9E37_79B9_7F4A_7C15));
        ((z >> 11) as f64 / (1u64 << 53) as f64) < self.fraction
    }

    /// The positions of the items of `items` in the sample, in order.
    pub fn rows(&self, items: &ClusterItems) -> Vec<usize> {
        items
            .items()
            .iter()
            .enumerate()
            .filter(|(_, m)| self.keeps(&m.id, m.clause))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Where one item landed in a sampled clustering.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placement {
    /// Its cluster (`None`: an outlier).
    pub cluster: Option<u32>,
    /// Cosine similarity of its (centred) vector to the cluster's centroid
    /// (0 for an outlier): what picks representatives and measures
    /// cohesion in the report.
    pub centroid_similarity: f32,
}

/// The items a model was fitted on, found again by record id, clause
/// number and text: a sampled item takes its fitted cluster instead of
/// being assigned.
#[derive(Debug, Default, Clone)]
pub struct FittedItems(HashMap<String, Vec<(usize, String, usize)>>);

impl FittedItems {
    /// The items of a model (as saved beside it), in the model's order.
    pub fn new(items: &ClusterItems) -> FittedItems {
        let mut map: HashMap<String, Vec<(usize, String, usize)>> = HashMap::new();
        for (i, m) in items.items().iter().enumerate() {
            let same = map.entry(m.id.clone()).or_default();
            // the first of identical items, as a map of the triple would
            if !same.iter().any(|(c, t, _)| *c == m.clause && *t == m.text) {
                same.push((m.clause, m.text.clone(), i));
            }
        }
        FittedItems(map)
    }

    /// The model row of the item, looked up without allocating (called
    /// once per placed item).
    fn get(&self, id: &str, clause: usize, text: &str) -> Option<usize> {
        self.0
            .get(id)?
            .iter()
            .find(|(c, t, _)| *c == clause && t == text)
            .map(|x| x.2)
    }
}

impl ClusterModel {
    /// Places `items` (which carry their vectors) in this model: an item
    /// the model was fitted on (found in `fitted`) keeps its fitted
    /// cluster, every other one is [`assign`](Self::assign)ed (an outlier
    /// when far from every cluster); each also gets its similarity to the
    /// centroid of its cluster. One item's placement depends on nothing
    /// but the item and the model.
    pub fn place(&self, items: &ClusterItems, fitted: &FittedItems) -> Result<Vec<Placement>> {
        let vectors = items.vectors()?;
        let languages = items.languages();
        let prepared = self.prepare_for(&vectors, &languages)?;
        let metas = items.items();
        let own: Vec<Option<usize>> = metas
            .iter()
            .map(|m| fitted.get(&m.id, m.clause, &m.text))
            .collect();
        let rest: Vec<usize> = (0..metas.len()).filter(|&i| own[i].is_none()).collect();
        let assigned = self.assign_prepared(&prepared.select(&rest))?;
        let mut clusters: Vec<Option<u32>> = own
            .iter()
            .map(|o| o.and_then(|r| self.labels().get(r).copied().flatten()))
            .collect();
        for (&i, a) in rest.iter().zip(&assigned) {
            clusters[i] = a.cluster;
        }
        Ok((0..metas.len())
            .into_par_iter()
            .map(|i| {
                let cluster = clusters[i];
                let centroid_similarity = cluster
                    .and_then(|c| self.centroid(c))
                    .filter(|_| prepared.is_valid(i))
                    .map(|c| dot(prepared.row(i), c))
                    .unwrap_or(0.0);
                Placement {
                    cluster,
                    centroid_similarity,
                }
            })
            .collect())
    }
}

/// Fits `config` on the sampled items of `items` (see [`Sample`]) and
/// builds the model's index for placing the rest; returns the model and
/// the sampled items (what a model directory keeps beside it).
pub fn fit_sample(
    items: &ClusterItems,
    sample: Sample,
    config: super::ClusterConfig,
) -> Result<(ClusterModel, ClusterItems)> {
    let rows = sample.rows(items);
    if rows.is_empty() {
        return Err(Error::Data(format!(
            "a sample of {} of {} items took none: raise the fraction",
            sample.fraction,
            items.len()
        )));
    }
    let picked = items.select(&rows)?;
    let model = fit_items(&picked, config)?;
    Ok((model, picked))
}

/// Fits `config` on all of `items` (with language centering when the
/// config asks for it) and builds the index for placing others.
pub fn fit_items(items: &ClusterItems, config: super::ClusterConfig) -> Result<ClusterModel> {
    let languages = items.languages();
    let mut model = ClusterModel::fit_with_languages(items.vectors()?, &languages, config)?;
    model.build_index()?;
    Ok(model)
}
