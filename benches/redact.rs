//! PII redaction over the texts of the sample corpus (few carry personal
//! data: the cost of looking), and over the same texts with a phone
//! number, an e-mail address and a name planted in each (the cost of
//! finding and replacing).

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vocmine::text::redact::Redactor;

fn bench(c: &mut Criterion) {
    let texts = support::sample_texts();
    let planted: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "我叫王小明，电话138-1234-{:04}，邮箱 li{i}@qq.com。{t}",
                i % 10_000
            )
        })
        .collect();
    let redactor = Redactor::new().expect("default redactor");
    let mut g = c.benchmark_group("redact");
    for (name, set) in [("sample", &texts), ("planted", &planted)] {
        let bytes: usize = set.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for t in set {
                    black_box(redactor.redact(black_box(t)));
                }
            })
        });
    }
    g.bench_function("build", |b| b.iter(|| black_box(Redactor::new())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
