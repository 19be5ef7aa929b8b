//! Encodes a file of texts (one per line) with a model directory and prints
//! the timing as JSON (model loading excluded). Used by
//! benches/compare/encoder_vs_python.py.
//!
//! cargo run --release --example encode_lines -- MODEL_DIR TEXTS.txt BATCH SESSIONS INTRA

use std::time::Instant;

use vocmine::neural::encoder::Encoder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: encode_lines MODEL_DIR TEXTS.txt BATCH SESSIONS INTRA");
        std::process::exit(2);
    }
    let parse = |s: &str| s.parse::<usize>().unwrap_or(1);
    let data = std::fs::read_to_string(&args[1]).expect("texts");
    let texts: Vec<&str> = data.lines().collect();
    let enc = Encoder::builder(&args[0])
        .project_root(env!("CARGO_MANIFEST_DIR"))
        .batch_size(parse(&args[2]))
        .sessions(parse(&args[3]))
        .intra_threads(parse(&args[4]))
        .cache_capacity(0)
        .build()
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        });
    // Warm-up on a few texts.
    let _ = enc.encode(&texts[..texts.len().min(64)]);
    let before = enc.stats();
    let start = Instant::now();
    let out = enc.encode(&texts).expect("encode");
    let secs = start.elapsed().as_secs_f64();
    let after = enc.stats();
    let first: Vec<f32> = out
        .first()
        .map(|e| e.embedding[..4].to_vec())
        .unwrap_or_default();
    println!(
        "{{\"texts\":{},\"seconds\":{:.4},\"tokens\":{},\"encoded\":{},\"first\":{:?}}}",
        texts.len(),
        secs,
        after.tokens - before.tokens,
        after.encoded - before.encoded,
        first
    );
}
