//! The encoder: 256 customer clauses of the sample corpus through the
//! default model (int8 multilingual-e5-small, built by `python3
//! models/setup.py`), or through the tiny test model when the default one
//! is not built. Cache off, so every iteration runs the model.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vocmine::neural::encoder::Encoder;
use vocmine::Engine;

fn bench(c: &mut Criterion) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let default = root.join("models/multilingual-e5-small");
    let dir = if default.join("model.onnx").is_file() {
        default
    } else {
        root.join("tests/data/tiny-bert")
    };
    if vocmine::neural::encoder::find_onnxruntime(None, &root).is_err() {
        eprintln!("encoder bench skipped: ONNX Runtime not installed (python3 models/setup.py)");
        return;
    }
    let engine = Engine::builder().build().unwrap();
    let mut clauses: Vec<String> = Vec::new();
    for r in support::sample_records() {
        if let Ok(a) = engine.analyze(&r) {
            clauses.extend(
                a.clauses
                    .into_iter()
                    .filter(|c| c.role == vocmine::Role::Customer)
                    .map(|c| c.text),
            );
        }
    }
    clauses.truncate(256);
    let texts: Vec<&str> = clauses.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("encoder");
    g.sample_size(10);
    g.throughput(Throughput::Elements(texts.len() as u64));
    for (sessions, intra) in [(1, 1), (2, 1), (1, 2)] {
        let enc = Encoder::builder(&dir)
            .project_root(&root)
            .cache_capacity(0)
            .sessions(sessions)
            .intra_threads(intra)
            .build()
            .unwrap();
        g.bench_function(
            format!("encode_256_clauses_sessions{sessions}_intra{intra}"),
            |b| b.iter(|| black_box(enc.encode(black_box(&texts)).unwrap())),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
