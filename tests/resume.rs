//! Contract: a batch run (`analyze -o FILE --store DIR`, with a codebook
//! and an alert stream) killed at any moment with SIGKILL and continued with
//! `--resume` ends with exactly the files an uninterrupted run writes: no
//! record lost, none duplicated, the store's files byte for byte. A store is
//! never readable half-written (its manifest is written last).

#[path = "support/cli.rs"]
mod cli_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::{assert_ok, bin, files_under, model_available, root, Rng};

/// The sample corpus `copies` times over, each record with its own id, and
/// a broken line every 500 records (errors are records too).
fn corpus(dir: &Path, copies: usize) -> PathBuf {
    let sample = std::fs::read_to_string(root().join("corpora/sample.jsonl")).unwrap();
    let mut s = String::new();
    let mut n = 0u64;
    for _ in 0..copies {
        for line in sample.lines() {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["id"] = n.into();
            s.push_str(&v.to_string());
            s.push('\n');
            n += 1;
            if n % 500 == 0 {
                s.push_str("{\"id\": broken\n");
            }
        }
    }
    let path = dir.join("in.jsonl");
    std::fs::write(&path, s).unwrap();
    path
}

/// The arguments of the job, writing into `out`.
fn job(input: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "analyze".into(),
        input.display().to_string(),
        "-q".into(),
        "--codebook".into(),
        root()
            .join("corpora/codebooks/automotive.yaml")
            .display()
            .to_string(),
        "--alerts".into(),
        root().join("corpora/alerts.yaml").display().to_string(),
        "--store".into(),
        out.join("store").display().to_string(),
        "-o".into(),
        out.join("out.jsonl").display().to_string(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// Every file under `dir` (relative path → bytes), hidden ones included.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Runs the job, killing it (SIGKILL) at a random point, and resumes it
/// until a run ends by itself; returns the number of kills and how many of
/// them came after the first checkpoint.
///
/// The kill points are points of progress, not of wall time, so that a slow
/// or busy machine kills as often as a fast one: each attempt draws `f` in
/// [0, 1.2). Below 1 the run is killed once its output has grown past
/// `f` of what was left of it when the attempt started (the output a resumed
/// run cuts back to its checkpoint grows again from there); from 1 on it is
/// killed `(f - 1) × full` after its output is complete, while the store is
/// being finished (or not at all if it is done by then). `total` is the
/// length of the uninterrupted run's output, `full` its duration.
fn kill_and_resume(
    args: &[String],
    out: &Path,
    total: u64,
    full: Duration,
    seed: u64,
) -> (u32, u32) {
    let mut rng = Rng(seed);
    let mut kills = 0;
    let mut after_checkpoint = 0;
    let ck = out.join("store/.partial/checkpoint.json");
    let output = out.join("out.jsonl");
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    for attempt in 0.. {
        assert!(attempt < 200, "the job never finished");
        let mut cmd = bin();
        cmd.args(args);
        if attempt > 0 {
            cmd.arg("--resume");
        }
        let f = (rng.next() % 1200) as f64 / 1000.0;
        let start = len(&output).min(total);
        let target = start + ((total - start) as f64 * f.min(1.0)) as u64;
        let linger = full.mul_f64((f - 1.0).max(0.0));
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // an attempt's output counts once it has moved from `start` (a
        // resumed run first cuts it back to its checkpoint)
        let mut grown = start == 0;
        let mut complete_at: Option<Instant> = None;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                assert!(
                    status.success(),
                    "resumed run failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                return (kills, after_checkpoint);
            }
            let now = len(&output);
            grown |= now != start;
            let due = if f < 1.0 {
                grown && now >= target.max(1)
            } else if grown && now >= total {
                complete_at.get_or_insert_with(Instant::now).elapsed() >= linger
            } else {
                false
            };
            if due {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
                after_checkpoint += u32::from(ck.exists());
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    unreachable!()
}

/// The length of the output file a run wrote into `dir`.
fn out_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("out.jsonl")).unwrap().len()
}

fn run_once(args: &[String]) -> Duration {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_vocmine"))
        .args(args)
        .output()
        .unwrap();
    assert_ok(&out);
    t.elapsed()
}

#[test]
fn a_run_killed_at_random_points_resumes_to_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 12);
    let (reference, resumed) = (dir.path().join("reference"), dir.path().join("resumed"));
    let extra = ["--no-model", "--checkpoint-every", "500"];
    let full = run_once(&job(&input, &reference, &extra));
    let want = files(&reference);
    // 4,308 records and 8 broken lines: 9 store parts of 500 records
    assert_eq!(
        want.iter()
            .filter(|(p, _)| p.starts_with("store/records.parquet/"))
            .count(),
        9
    );
    assert!(!want.iter().any(|(p, _)| p.contains(".partial")));
    let mut total_kills = 0;
    for seed in 1..=4u64 {
        let _ = std::fs::remove_dir_all(&resumed);
        let (kills, after) = kill_and_resume(
            &job(&input, &resumed, &extra),
            &resumed,
            out_len(&reference),
            full,
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        total_kills += kills;
        eprintln!("seed {seed}: {kills} kills, {after} after a checkpoint");
        let got = files(&resumed);
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&got),
            names(&want),
            "seed {seed}: {kills} kills ({after} after a checkpoint)"
        );
        for ((name, a), (_, b)) in got.iter().zip(&want) {
            assert!(
                a == b,
                "seed {seed}: {name} differs after {kills} kills ({after} after a checkpoint)"
            );
        }
    }
    assert!(
        total_kills >= 4,
        "only {total_kills} kills: the runs were too short to kill"
    );
}

#[test]
fn a_killed_store_is_not_readable_until_it_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 6);
    let out = dir.path().join("run");
    let args = job(&input, &out, &["--no-model", "--checkpoint-every", "300"]);
    // An earlier complete store in the same folder is gone as soon as the
    // new run starts: no mix of old and new.
    assert_ok(&bin().args(&args).output().unwrap());
    let mut child = bin().args(&args).stderr(Stdio::null()).spawn().unwrap();
    let ck = out.join("store/.partial/checkpoint.json");
    let t = Instant::now();
    while !ck.exists() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    if !out.join("store/store.json").exists() {
        let m = bin()
            .args([
                "reclassify",
                "-q",
                "--no-model",
                "-o",
                "/dev/null",
                "--store",
            ])
            .arg(out.join("store"))
            .arg("--codebook")
            .arg(root().join("corpora/codebooks/automotive.yaml"))
            .output()
            .unwrap();
        assert!(!m.status.success());
        assert!(String::from_utf8_lossy(&m.stderr).contains("store.json"));
    }
    // --resume finishes it; a second --resume (no checkpoint left) runs the
    // job again from the start, to the same files.
    assert_ok(&bin().args(&args).arg("--resume").output().unwrap());
    let once = files(&out);
    assert!(!once
        .iter()
        .any(|(p, _)| p.contains(".partial") || p.ends_with(".checkpoint.json")));
    let again = bin().args(&args).arg("--resume").output().unwrap();
    assert_ok(&again);
    assert!(String::from_utf8_lossy(&again.stderr).is_empty());
    assert_eq!(files(&out), once);
}

#[test]
fn resuming_with_other_arguments_or_a_changed_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 3);
    let out = dir.path().join("run");
    let args = job(&input, &out, &["--no-model", "--checkpoint-every", "100"]);
    // A checkpoint as a killed run leaves it: stop after the first one by
    // killing, retrying until one exists.
    let ck = out.join("store/.partial/checkpoint.json");
    for _ in 0..50 {
        let mut child = bin().args(&args).stderr(Stdio::null()).spawn().unwrap();
        let t = Instant::now();
        while !ck.exists() && t.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = child.kill();
        child.wait().unwrap();
        if ck.exists() {
            break;
        }
    }
    assert!(ck.exists(), "no run was killed after its first checkpoint");
    let mut other = args.clone();
    other.push("--redact".into());
    other.push("--resume".into());
    let o = bin().args(&other).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("checkpoint.json") && err.contains("same arguments"),
        "{err}"
    );
    // The input's first records changed: refused, naming the byte.
    let text = std::fs::read_to_string(&input).unwrap();
    std::fs::write(&input, text.replacen("\"id\":0", "\"id\":10000000", 1)).unwrap();
    let o = bin().args(&args).arg("--resume").output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("input changed"), "{err}");
    // Standard output and no store: nothing to resume into.
    let o = bin()
        .args(["analyze", "--no-model", "--resume"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume needs"));
}

#[test]
fn an_output_file_alone_resumes_too() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 8);
    let args = |out: &Path| -> Vec<String> {
        vec![
            "analyze".into(),
            input.display().to_string(),
            "-q".into(),
            "--no-model".into(),
            "--checkpoint-every".into(),
            "400".into(),
            "-o".into(),
            out.join("out.jsonl").display().to_string(),
        ]
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let full = run_once(&args(&a));
    let (kills, _) = kill_and_resume(&args(&b), &b, out_len(&a), full, 7);
    assert_eq!(files(&b), files(&a), "after {kills} kills");
    assert!(!b.join("out.jsonl.checkpoint.json").exists());
}

#[test]
fn a_run_with_the_model_resumes_to_the_same_files() {
    if !model_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 1);
    let (reference, resumed) = (dir.path().join("reference"), dir.path().join("resumed"));
    let extra = ["--checkpoint-every", "60", "--threads", "2"];
    let full = run_once(&job(&input, &reference, &extra));
    let (kills, after) = kill_and_resume(
        &job(&input, &resumed, &extra),
        &resumed,
        out_len(&reference),
        full,
        11,
    );
    assert_eq!(
        files(&resumed),
        files(&reference),
        "after {kills} kills ({after} after a checkpoint)"
    );
}
