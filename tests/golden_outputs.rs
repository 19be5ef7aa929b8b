//! Every subcommand's output on the sample corpus, byte for byte (without
//! the encoder): `scripts/golden.sh BIN DIR --no-model` writes what each
//! subcommand outputs (files, stdout, stderr; run-dependent values such as
//! seconds and memory removed), and this test compares a hash of every file
//! with `tests/data/golden-no-model.txt`.
//!
//! A change of behaviour fails here and names the files that changed. To
//! see how: run `scripts/golden.sh` with the binary of the previous commit
//! and with this one, then `diff -r` the two folders. When the change is
//! meant, rewrite the hashes with `VOCMINE_BLESS=1 cargo test --test
//! golden_outputs` and say why in the commit. (The outputs with the
//! encoder, `embed`, `cluster`, `codebook draft` / `review`, are compared
//! the same way by running the script without `--no-model`; they are not
//! hashed here because ONNX Runtime's int8 kernels may differ in the last
//! bits from one CPU to another.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/cli.rs"]
mod cli_support;
use cli_support::root;

const EXPECTED: &str = "tests/data/golden-no-model.txt";

/// FNV-1a, 64 bits: enough to notice a changed byte, no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn files(dir: &Path, base: &Path, out: &mut BTreeMap<String, (u64, usize)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, base, out);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let name = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            out.insert(name, (fnv1a(&bytes), bytes.len()));
        }
    }
}

fn parse(text: &str) -> BTreeMap<String, (u64, usize)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut it = l.splitn(3, ' ');
            let h = u64::from_str_radix(it.next().unwrap(), 16).unwrap();
            let n: usize = it.next().unwrap().parse().unwrap();
            (it.next().unwrap().to_owned(), (h, n))
        })
        .collect()
}

#[test]
fn every_subcommand_outputs_the_same_bytes_on_the_sample_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("golden");
    let o = Command::new("bash")
        .current_dir(root())
        .arg("scripts/golden.sh")
        .arg(env!("CARGO_BIN_EXE_vocmine"))
        .arg(&out)
        .arg("--no-model")
        .output()
        .expect("run scripts/golden.sh");
    assert!(
        o.status.success(),
        "scripts/golden.sh failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut got = BTreeMap::new();
    files(&out, &out, &mut got);
    let expected_path = root().join(EXPECTED);
    if std::env::var_os("VOCMINE_BLESS").is_some() {
        let mut text = String::from(
            "# FNV-1a 64 hash, bytes, file: the outputs of `scripts/golden.sh BIN DIR --no-model`\n\
             # (rewritten by `VOCMINE_BLESS=1 cargo test --test golden_outputs`)\n",
        );
        for (name, (h, n)) in &got {
            text.push_str(&format!("{h:016x} {n} {name}\n"));
        }
        std::fs::write(&expected_path, text).unwrap();
        return;
    }
    let want = parse(&std::fs::read_to_string(&expected_path).unwrap());
    let mut problems = Vec::new();
    for (name, w) in &want {
        match got.get(name) {
            None => problems.push(format!("missing: {name}")),
            Some(g) if g != w => {
                problems.push(format!("changed: {name} ({} bytes, was {})", g.1, w.1))
            }
            _ => {}
        }
    }
    for name in got.keys().filter(|n| !want.contains_key(*n)) {
        problems.push(format!("new: {name}"));
    }
    assert!(
        problems.is_empty(),
        "outputs differ from {EXPECTED}:\n  {}\nsee how with scripts/golden.sh (old and new binary, diff -r); \
         if meant: VOCMINE_BLESS=1 cargo test --test golden_outputs",
        problems.join("\n  ")
    );
}
