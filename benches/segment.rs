//! Segmentation: the full token stage (jieba-rs + word scanner, stems,
//! stopwords, negation) and the raw jieba cut, per language, on the texts of
//! the sample corpus.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vocmine::text::language::{LanguageIdentifier, ScriptLanguageIdentifier};
use vocmine::text::normalize::Normalizer;
use vocmine::text::tokens::{JiebaSegmenter, Segment};

fn bench(c: &mut Criterion) {
    let texts = support::sample_texts();
    let li = ScriptLanguageIdentifier::builder().build().unwrap();
    let normalizer = Normalizer::new();
    let seg = JiebaSegmenter::builder().build().unwrap();
    let mut g = c.benchmark_group("segment");
    for lang in ["zh", "ru", "en"] {
        let items: Vec<(String, vocmine::Language)> = texts
            .iter()
            .map(|t| normalizer.normalize(t).folded().to_string())
            .map(|t| {
                let l = li.identify(&t).language;
                (t, l)
            })
            .filter(|(_, l)| l.code() == lang)
            .collect();
        let bytes: usize = items.iter().map(|(t, _)| t.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(format!("tokens_{lang}"), |b| {
            b.iter(|| {
                for (t, l) in &items {
                    black_box(seg.segment(black_box(t), *l));
                }
            })
        });
        if lang == "zh" {
            let tagged = JiebaSegmenter::builder().pos(true).build().unwrap();
            g.bench_function("tokens_zh_with_pos", |b| {
                b.iter(|| {
                    for (t, l) in &items {
                        black_box(tagged.segment(black_box(t), *l));
                    }
                })
            });
            g.bench_function("jieba_cut_zh", |b| {
                b.iter(|| {
                    for (t, _) in &items {
                        black_box(seg.cut_chinese(black_box(t)));
                    }
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
