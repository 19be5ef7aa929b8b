//! Segments a file of texts (one per line) single-threaded and prints the
//! timings as JSON: the raw jieba-rs cut and vocmine's full token stage.
//! Used by benches/compare/segment_vs_jieba.py.
//!
//! cargo run --release --example segment_lines -- TEXTS.txt [--repeat N]

use std::time::Instant;

use vocmine::text::tokens::{JiebaSegmenter, Segment};
use vocmine::Language;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: segment_lines TEXTS.txt [--repeat N]");
        std::process::exit(2);
    };
    let repeat: usize = match (args.next().as_deref(), args.next()) {
        (Some("--repeat"), Some(n)) => n.parse().unwrap_or(1),
        _ => 1,
    };
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let texts: Vec<&str> = data.lines().collect();
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let seg = JiebaSegmenter::builder().build().expect("segmenter");
    // Warm up (dictionary pages, allocator).
    let mut tokens = 0usize;
    for t in &texts {
        tokens += seg.cut_chinese(t).len();
    }
    let start = Instant::now();
    for _ in 0..repeat {
        for t in &texts {
            tokens += seg.cut_chinese(t).len();
        }
    }
    let cut = start.elapsed().as_secs_f64() / repeat as f64;
    let start = Instant::now();
    for _ in 0..repeat {
        for t in &texts {
            tokens += seg.segment(t, Language::ZH).len();
        }
    }
    let full = start.elapsed().as_secs_f64() / repeat as f64;
    println!(
        "{{\"texts\":{},\"chars\":{},\"jieba_rs_cut_s\":{:.6},\"vocmine_tokens_s\":{:.6},\"tokens_seen\":{}}}",
        texts.len(),
        chars,
        cut,
        full,
        tokens
    );
}
