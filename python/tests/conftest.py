"""Shared fixtures: the repository root, the CLI binary, the sample corpus,
and the model (tests that need it skip without it, except under CI)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "corpora" / "sample.jsonl"
MODEL = ROOT / "models" / "multilingual-e5-small"


def model_available() -> bool:
    return (MODEL / "model.onnx").is_file()


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    """Run every test from the repository root (the default model path is relative)."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The default model; skips without it, but fails under CI (`CI` set)."""
    if not model_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI without the default model {MODEL}: did `python3 models/setup.py` run?")
        pytest.skip(f"the default model {MODEL} is missing (run `python3 models/setup.py`)")
    return MODEL


@pytest.fixture(scope="session")
def cli() -> Path:
    """The release CLI binary (`VOCMINE_BIN`, or built with cargo when missing or stale)."""
    explicit = os.environ.get("VOCMINE_BIN")
    if explicit:
        return Path(explicit)
    binary = ROOT / "target" / "release" / "vocmine"
    if shutil.which("cargo"):
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "vocmine"],
            cwd=ROOT,
            check=True,
        )
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `cargo build --release`")
    return binary


@pytest.fixture(scope="session")
def sample_records() -> list:
    with open(SAMPLE, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_cli(cli: Path, args: list, tmp_path: Path, input_path: Path = SAMPLE) -> list:
    out = tmp_path / "out.jsonl"
    subprocess.run(
        [str(cli), "analyze", str(input_path), "-o", str(out), "-q", *args],
        cwd=ROOT,
        check=True,
    )
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f]
