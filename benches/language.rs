//! Language identification: vocmine's script rules + allowlist against
//! whatlang over all its languages, on the texts of the sample corpus.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vocmine::text::language::{LanguageIdentifier, ScriptLanguageIdentifier};

fn bench(c: &mut Criterion) {
    let texts = support::sample_texts();
    let li = ScriptLanguageIdentifier::builder().build().unwrap();
    let mut g = c.benchmark_group("language");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("vocmine_allowlist_zh_ru_en", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(li.identify(black_box(t)));
            }
        })
    });
    let wide = ScriptLanguageIdentifier::builder()
        .languages(["all"])
        .build()
        .unwrap();
    g.bench_function("vocmine_all_languages", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(wide.identify(black_box(t)));
            }
        })
    });
    g.bench_function("whatlang_detect_all", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(whatlang::detect(black_box(t)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
