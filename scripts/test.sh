#!/usr/bin/env bash
# Runs every test: the default model is built first (cached), then
# formatting, the core crate (unit, contract, golden, streaming, encoder and
# evaluation tests, doc tests), and the Python package (its Rust tests, the
# wheel built with maturin, and pytest, local Spark included: pyspark from
# PyPI, Java 17; the report in Debian's Chromium, installed here if missing).
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
python3 -m pip install --quiet --disable-pip-version-check maturin pytest numpy pandas pyarrow "pyspark==4.0.1" selenium
# The report's browser test: Debian's Chromium, its driver and a CJK font.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "==> apt-get install chromium chromium-driver fonts-noto-cjk (the report's browser test)" >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get install -y -q chromium chromium-driver fonts-noto-cjk >/dev/null || {
    $sudo_ apt-get update -q >/dev/null && $sudo_ apt-get install -y -q chromium chromium-driver fonts-noto-cjk >/dev/null; }
fi
cargo test -p vocmine-python
maturin build --release --quiet -m python/Cargo.toml -o target/wheels
python3 -m pip install --quiet --force-reinstall --no-deps --no-index --find-links target/wheels vocmine
pytest python/tests -q
