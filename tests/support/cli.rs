//! Shared helpers of the CLI contract tests: the binary, the repository
//! root, running it, and reading JSON Lines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `vocmine` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vocmine"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the default model is built (always under CI, where a missing one
/// fails the test instead of skipping it).
pub fn model_available() -> bool {
    let ok = root()
        .join("models/multilingual-e5-small/model.onnx")
        .is_file()
        && vocmine::neural::encoder::find_onnxruntime(None, &root()).is_ok();
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI without the default model: did `python3 models/setup.py` run?"
    );
    ok
}

/// Asserts that a run succeeded, showing its stderr otherwise.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The JSON values of a JSON Lines file.
pub fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every file under `dir` (hidden ones included), sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A small deterministic generator (xorshift64) for tests that pick
/// random-looking inputs or moments reproducibly.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}
