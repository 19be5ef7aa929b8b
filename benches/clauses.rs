//! Clause splitting (with normalization, which it runs on) over the texts of
//! the sample corpus.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vocmine::text::clauses::{ClauseSplit, RuleClauseSplitter};
use vocmine::text::normalize::Normalizer;

fn bench(c: &mut Criterion) {
    let texts = support::sample_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let splitter = RuleClauseSplitter::builder().build().unwrap();
    let normalizer = Normalizer::new();
    let normalized: Vec<String> = texts
        .iter()
        .map(|t| normalizer.normalize(t).text().to_string())
        .collect();
    let mut g = c.benchmark_group("clauses");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("split", |b| {
        b.iter(|| {
            for t in &normalized {
                black_box(splitter.split(black_box(t)));
            }
        })
    });
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(normalizer.normalize(black_box(t)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
