//! The whole no-model pipeline (normalize → language → clauses → tokens →
//! output structs) over the records of the sample corpus, single-threaded
//! and on the global pool.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vocmine::Engine;

fn bench(c: &mut Criterion) {
    let records = support::sample_records();
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(records.len() as u64));
    let one = Engine::builder().threads(1).build().unwrap();
    g.bench_function("analyze_batch_1_thread", |b| {
        b.iter(|| black_box(one.analyze_batch(black_box(&records)).unwrap()))
    });
    let all = Engine::builder().build().unwrap();
    g.bench_function("analyze_batch_all_cores", |b| {
        b.iter(|| black_box(all.analyze_batch(black_box(&records)).unwrap()))
    });
    g.bench_function("analyze_batch_serialize_all_cores", |b| {
        b.iter(|| {
            let out = all.analyze_batch(&records).unwrap();
            let bytes: usize = out
                .iter()
                .map(|o| serde_json::to_vec(o).map(|v| v.len()).unwrap_or(0))
                .sum();
            black_box(bytes)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
