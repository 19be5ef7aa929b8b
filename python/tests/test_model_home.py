"""The default model from anywhere: the wheel builds it into a per-user
folder (``python -m vocmine.model``), and ``vocmine.Engine()`` and the CLI
find it from any directory; without one, the error names the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vocmine
from conftest import ROOT


def _clean_env(monkeypatch, home: Path) -> None:
    for k in ("VOCMINE_MODEL", "XDG_CACHE_HOME"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("VOCMINE_HOME", str(home))


def test_engine_and_cli_find_the_per_user_model_from_any_directory(model_dir, cli, tmp_path, monkeypatch):
    # The repository has the per-user folder's layout (models/..., models/ort.env,
    # .venv-models/), so VOCMINE_HOME=ROOT stands for a folder `python -m vocmine.model` filled.
    _clean_env(monkeypatch, ROOT)
    monkeypatch.chdir(tmp_path)
    engine = vocmine.Engine()
    assert engine.has_model
    assert Path(engine.model_dir).resolve() == (ROOT / "models" / "multilingual-e5-small").resolve()
    [out] = engine.analyze("The delivery was late again")
    assert out["sentiment"]["label"] == "negative"
    where = subprocess.run([sys.executable, "-m", "vocmine.model", "--where"], capture_output=True, text=True)
    assert where.returncode == 0 and Path(where.stdout.strip()) == ROOT / "models" / "multilingual-e5-small"
    # the CLI, run from elsewhere, uses the same model (sentiment needs it)
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "The delivery was late again"}\n', encoding="utf-8")
    subprocess.run([str(cli), "analyze", "in.jsonl", "-o", "out.jsonl", "-q"], cwd=tmp_path, check=True)
    line = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert line["sentiment"] == out["sentiment"]


def test_without_a_model_the_error_names_the_command(cli, tmp_path, monkeypatch):
    _clean_env(monkeypatch, tmp_path / "empty")
    monkeypatch.chdir(tmp_path)
    assert vocmine.model.find() is None
    with pytest.raises(vocmine.ModelNotFoundError, match="python -m vocmine.model"):
        vocmine.Engine()
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "hi"}\n', encoding="utf-8")
    r = subprocess.run([str(cli), "analyze", "in.jsonl", "-o", "out.jsonl"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode != 0 and "python -m vocmine.model" in r.stderr


def test_the_wheel_builds_the_same_model_as_the_repository(model_dir, tmp_path, monkeypatch):
    """`python -m vocmine.model --root DIR` (the build the wheel carries) gives
    the repository's model byte for byte, and an Engine loads it from DIR.
    The repository's virtualenv is reused (same pins) to keep this short."""
    _clean_env(monkeypatch, tmp_path / "home")
    r = subprocess.run(
        [sys.executable, "-m", "vocmine.model", "--root", str(tmp_path / "home"),
         "--venv", str(ROOT / ".venv-models")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    built = Path(r.stdout.strip())
    assert built == tmp_path / "home" / "models" / "multilingual-e5-small"
    for name in ("model.onnx", "tokenizer.json", "config.json"):
        assert (built / name).read_bytes() == (model_dir / name).read_bytes(), name
    assert (tmp_path / "home" / "models" / "ort.env").is_file()
    monkeypatch.chdir(tmp_path)
    assert Path(vocmine.model.find()).resolve() == built.resolve()
    assert vocmine.Engine().has_model
