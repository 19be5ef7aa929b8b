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
