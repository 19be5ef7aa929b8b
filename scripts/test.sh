#!/usr/bin/env bash
# Runs every test: formatting, the core crate (unit, contract, golden,
# streaming and evaluation tests, doc tests), and a build check of the
# Python binding crate.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check

echo "==> cargo test (core crate)" >&2
cargo test --all-targets --no-fail-fast
cargo test --doc

echo "==> cargo check (Python binding crate)" >&2
cargo check -p vocmine-python --quiet
