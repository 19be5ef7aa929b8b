//! The default model for the tests that need it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The default model's directory when it is built and ONNX Runtime is
/// found; `None` otherwise, which fails under CI (`CI` set), where the
/// set-up must have run.
pub fn default_model() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("models/multilingual-e5-small");
    let ok = dir.join("model.onnx").is_file()
        && vocmine::neural::encoder::find_onnxruntime(None, root).is_ok();
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI without the default model: did `{}` run?",
        vocmine::neural::encoder::SETUP_COMMAND
    );
    ok.then_some(dir)
}
