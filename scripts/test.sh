#!/usr/bin/env bash
# Runs every test: the default model is built first (cached), then
# formatting, the core crate (unit, contract, golden, streaming, encoder and
# evaluation tests, doc tests), and a build check of the Python binding crate.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> models/setup.py (builds the default model once; the model tests need it)" >&2
python3 models/setup.py

echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check

echo "==> cargo test (core crate)" >&2
cargo test --all-targets --no-fail-fast
cargo test --doc

echo "==> cargo check (Python binding crate)" >&2
cargo check -p vocmine-python --quiet
