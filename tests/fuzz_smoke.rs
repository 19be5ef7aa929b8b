//! The fuzz targets (`fuzz/targets.rs`) in a short, deterministic run on
//! the stable toolchain: every target gets its seeds (files of this
//! repository: the sample corpus, the codebooks, the alert rules, a store
//! written here) and the regression inputs under `fuzz/regressions/<target>/`
//! (crashes found by the long cargo-fuzz runs, FUZZING.md), then a fixed
//! number of mutants of them (byte flips, insertions of tokens that matter
//! to the parsers, deletions, duplications, splices). A panic or a broken
//! invariant fails the test, naming the target and the input's hex.

#[path = "../fuzz/targets.rs"]
mod targets;

#[path = "support/cli.rs"]
mod cli_support;

use std::path::Path;

use cli_support::{bin, root, Rng};

/// Mutants per target (each seed in turn).
const MUTANTS: usize = 400;

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\u",
    b"\\ud800",
    b":",
    b",",
    b"\n",
    b"\r\n",
    b"\0",
    b"&a ",
    b"*a",
    b"- ",
    b"  ",
    b"\t",
    b"id: ",
    b"turns",
    b"text",
    b"speaker",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xe4\xb8",
    b"9999999999999999999999",
    b"-1",
    b"1e309",
    b"[PHONE]",
    "我叫".as_bytes(),
    "меня зовут ".as_bytes(),
    b"13812345678",
    b"4111 1111 1111 1111",
    b"(?:a+)+$",
    b"PAR1",
    b"\"\"",
    b"!!binary",
    b"<<: *a",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            3 if !v.is_empty() => {
                let s = rng.below(v.len());
                let e = (s + rng.below(64)).min(v.len());
                let chunk: Vec<u8> = v[s..e].to_vec();
                v.splice(at..at, chunk);
            }
            4 => v.truncate(at),
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let s = rng.below(other.len() + 1);
                v.splice(at..at, other[s..].iter().copied().take(256));
            }
        }
    }
    v
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Lines of the sample corpus as seeds of the record targets (a few records each).
fn sample_chunks() -> Vec<Vec<u8>> {
    let sample = std::fs::read_to_string(root().join("corpora/sample.jsonl")).unwrap();
    let lines: Vec<&str> = sample.lines().collect();
    lines
        .chunks(8)
        .take(12)
        .map(|c| c.join("\n").into_bytes())
        .collect()
}

fn store_seed() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let sample = std::fs::read_to_string(root().join("corpora/sample.jsonl")).unwrap();
    std::fs::write(
        &input,
        sample.lines().take(12).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let store = dir.path().join("store");
    let out = bin()
        .args(["analyze", "--no-model", "-q", "-o", "/dev/null", "--store"])
        .arg(&store)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = read(&store.join("records.parquet"));
    let clauses = read(&store.join("clauses.parquet"));
    let mut seed = (records.len() as u32).to_le_bytes().to_vec();
    seed.extend(records);
    seed.extend(clauses);
    seed
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let r = root();
    let mut seeds: Vec<Vec<u8>> = match target {
        "record_json" | "text_pipeline" | "redact" => sample_chunks(),
        "record_csv" => vec![
            b"id,text,channel,nps\n1,\"Delivery was late, courier rude\",app,3\n2,\xe8\x8f\x9c\xe5\xbe\x88\xe5\xa5\xbd,chat,9\n".to_vec(),
            b"text\n\"multi\nline\"\n".to_vec(),
        ],
        "codebook_yaml" => ["automotive", "ecommerce", "restaurant"]
            .iter()
            .map(|c| read(&r.join(format!("corpora/codebooks/{c}.yaml"))))
            .collect(),
        "codebook_table" => vec![
            [b"\0".as_slice(), b"id,parent,label,owner,terms\nservice,,Service,CS,\nservice.wait,service,Waiting,CS,wait;queue\n"].concat(),
            [b"\x01".as_slice(), b"id\tparent\tlabel\nprice\t\tPrice\n"].concat(),
        ],
        "alert_rules" => vec![read(&r.join("corpora/alerts.yaml"))],
        "store_reader" => vec![store_seed()],
        other => panic!("no seeds for {other}"),
    };
    let reg = r.join("fuzz/regressions").join(target);
    if let Ok(entries) = std::fs::read_dir(&reg) {
        let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        seeds.extend(files.iter().map(|p| read(p)));
    }
    seeds
}

fn run_target(name: &str, f: fn(&[u8])) {
    let seeds = seeds(name);
    // The seeds of the long cargo-fuzz runs (FUZZING.md):
    // VOCMINE_FUZZ_SEEDS=fuzz/corpus cargo test --test fuzz_smoke
    if let Some(dir) = std::env::var_os("VOCMINE_FUZZ_SEEDS") {
        let dir = Path::new(&dir).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:03}")), seed).unwrap();
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    let inputs = seeds
        .iter()
        .cloned()
        .chain((0..MUTANTS).map(|_| mutate(&mut rng, &seeds)));
    for input in inputs {
        let result = std::panic::catch_unwind(|| f(&input));
        if result.is_err() {
            // Kept for a regression file (fuzz/regressions/<target>/).
            let dir = root().join("target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{name}-{:016x}", fnv(&input)));
            let _ = std::fs::write(&path, &input);
            panic!(
                "fuzz target `{name}` failed on the input saved as {}",
                path.display()
            );
        }
    }
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn every_target_survives_its_seeds_regressions_and_mutants() {
    for (name, f) in targets::TARGETS {
        run_target(name, *f);
    }
}
