//! Contract: streaming with bounded memory. Ten times more input must not
//! take noticeably more memory (the run holds a few batches, not the file).

use std::io::Write;
use std::process::Command;

fn peak_mb(records: usize, dir: &std::path::Path) -> (f64, usize) {
    let input = dir.join(format!("in{records}.jsonl"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    let texts = [
        "物流太慢了，等了一个星期",
        "Курьер опоздал на два часа, но был вежлив",
        "The app keeps crashing after the update",
        "服務態度很好",
    ];
    for i in 0..records {
        writeln!(
            f,
            "{{\"id\":{i},\"text\":\"{}\",\"channel\":\"app_review\"}}",
            texts[i % texts.len()]
        )
        .unwrap();
    }
    drop(f);
    let out = dir.join("out.jsonl");
    let summary = dir.join("summary.json");
    let status = Command::new(env!("CARGO_BIN_EXE_vocmine"))
        .args([
            "analyze",
            "--no-model",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
            "--summary-json",
            summary.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    (s["peak_rss_mb"].as_f64().unwrap(), lines)
}

#[test]
fn memory_does_not_grow_with_the_input() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("SKIPPED: no /proc on this system");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (small, n_small) = peak_mb(20_000, dir.path());
    let (large, n_large) = peak_mb(200_000, dir.path());
    assert_eq!((n_small, n_large), (20_000, 200_000));
    eprintln!("peak memory: {small:.1} MB for 20k records, {large:.1} MB for 200k records");
    // The large input is ~15 MB bigger; a run that held it would grow by far more than 12 MB.
    assert!(
        large < small + 12.0,
        "peak memory grew from {small:.1} MB to {large:.1} MB"
    );
}
