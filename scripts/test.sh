#!/usr/bin/env bash
# Runs every test: the default model is built first (cached), then
# formatting, the core crate (unit, contract, golden, streaming, encoder and
# evaluation tests, doc tests), and the Python package (its Rust tests, the
# wheel built with maturin, and pytest, local Spark included: pyspark from
# PyPI, Java 17).
set -euo pipefail
cd "$(dirname "$0")/.."
# One-shot build: incremental artifacts would only take disk (gigabytes).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "==> models/setup.py (builds the default model once; the model tests need it)" >&2
python3 models/setup.py

echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check

echo "==> cargo test (core crate)" >&2
cargo test --all-targets --no-fail-fast
cargo test --doc

echo "==> Python package: Rust tests, wheel, pytest" >&2
python3 -m pip install --quiet --disable-pip-version-check maturin pytest numpy pandas pyarrow "pyspark==4.0.1"
cargo test -p vocmine-python
maturin build --release --quiet -m python/Cargo.toml -o target/wheels
python3 -m pip install --quiet --force-reinstall --no-deps --no-index --find-links target/wheels vocmine
pytest python/tests -q
