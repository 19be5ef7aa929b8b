//! Hot-issue clustering alone (`vocmine::corpus::cluster`), on synthetic
//! 384-dimensional unit vectors shaped like sentence embeddings: 77 topics
//! (banking77's intent count), each a random direction, members at cosine
//! about 0.8 to it. No neural model is needed; the figures on real
//! embeddings (banking77 through the default encoder) come from
//! `benches/compare/cluster_vs_bertopic.py`.
//!
//! * `fit/exact/3000`, `fit/projected/10000`: `ClusterModel::fit` (kNN,
//!   graph, Leiden, small communities, outliers);
//! * `index/build/10000`: HNSW index, serial insertion;
//! * `index/query/10000`: 1,000 top-15 searches against it;
//! * `assign/1000`: `ClusterModel::assign` of 1,000 new vectors to a
//!   10,000-vector model through its index.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vocmine::corpus::cluster::{ClusterConfig, ClusterModel, HnswParams, VectorIndex, Vectors};

const DIM: usize = 384;
const TOPICS: usize = 77;

/// splitmix64: a tiny deterministic generator.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Roughly normal (sum of four uniforms), mean 0, sd about 0.58.
fn gauss(state: &mut u64) -> f32 {
    (0..4)
        .map(|_| (splitmix(state) >> 11) as f32 / (1u64 << 53) as f32 - 0.5)
        .sum()
}

/// `n` vectors around `TOPICS` random directions (cosine about 0.8).
fn topics(n: usize, seed: u64) -> Vectors {
    let mut s = seed;
    let centres: Vec<Vec<f32>> = (0..TOPICS)
        .map(|_| (0..DIM).map(|_| gauss(&mut s)).collect())
        .collect();
    let mut data = Vec::with_capacity(n * DIM);
    for i in 0..n {
        let c = &centres[(splitmix(&mut s) as usize + i) % TOPICS];
        let norm_c: f32 = c.iter().map(|x| x * x).sum::<f32>().sqrt();
        for x in c {
            // Unit centre plus noise of norm about 0.75: cosine ≈ 0.8.
            data.push(x / norm_c + 0.75 / (DIM as f32).sqrt() * gauss(&mut s) / 0.58);
        }
    }
    Vectors::new(data, DIM).expect("synthetic vectors")
}

fn config() -> ClusterConfig {
    ClusterConfig::default()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("cluster");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for (name, n) in [("exact", 3_000usize), ("projected", 10_000)] {
        let v = topics(n, 7);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new(format!("fit/{name}"), n), &v, |b, v| {
            b.iter(|| ClusterModel::fit(black_box(v.clone()), config()).expect("fit"))
        });
    }
    let n = 10_000;
    let v = topics(n, 7);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("index/build", n), |b| {
        b.iter(|| {
            let mut idx = VectorIndex::new(DIM, n, HnswParams::default()).expect("index");
            for i in 0..n {
                idx.insert(v.row(i)).expect("insert");
            }
            idx
        })
    });
    let mut idx = VectorIndex::new(DIM, n, HnswParams::default()).expect("index");
    for i in 0..n {
        idx.insert(v.row(i)).expect("insert");
    }
    let queries = topics(1_000, 99);
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.bench_function(BenchmarkId::new("index/query", n), |b| {
        b.iter(|| {
            (0..queries.len())
                .map(|i| idx.search(queries.row(i), 15).len())
                .sum::<usize>()
        })
    });
    let mut model = ClusterModel::fit(v, config()).expect("fit");
    model.build_index().expect("index");
    g.bench_function(BenchmarkId::new("assign", queries.len()), |b| {
        b.iter(|| model.assign(black_box(&queries)).expect("assign"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
