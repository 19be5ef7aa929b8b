"""One exception class per core error kind, with the core's messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import vocmine
from conftest import ROOT

CLASSES = [
    vocmine.InputError,
    vocmine.ConfigError,
    vocmine.ResourceError,
    vocmine.ModelNotFoundError,
    vocmine.ModelError,
    vocmine.VocmineIOError,
    vocmine.SerializationError,
    vocmine.DataError,
    vocmine.TableError,
]


def cli_error(cli, *args, input_text=None, tmp_path=None) -> str:
    """The message the CLI prints after `vocmine: error: `."""
    out = subprocess.run([str(cli), *args], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    line = [l for l in out.stderr.splitlines() if l.startswith("vocmine: error: ")][0]
    return line[len("vocmine: error: "):]


def test_hierarchy():
    assert issubclass(vocmine.VocmineError, Exception)
    for cls in CLASSES:
        assert issubclass(cls, vocmine.VocmineError)
        assert cls.__module__ == "vocmine"
    assert len(set(CLASSES)) == len(CLASSES)


# The mapping of every error kind to its class, messages included, and of a
# panic to VocmineError is tested in Rust (python/src/lib.rs,
# errors_map_to_their_classes), with no test hook in the wheel; here each
# class is raised by a real failure.


def test_unreadable_store_is_table_error(cli, tmp_path):
    store = tmp_path / "store"
    vocmine.Engine(no_model=True).analyze_file(ROOT / "corpora/sample.jsonl", os.devnull, store=store)
    (store / "clauses.parquet").write_bytes(b"not parquet")
    codebook = ROOT / "corpora/codebooks/automotive.yaml"
    with pytest.raises(vocmine.TableError) as info:
        vocmine.Engine(no_model=True).reclassify(store, codebook)
    assert type(info.value) is vocmine.TableError
    assert str(info.value).startswith(str(store / "clauses.parquet") + ": ")
    assert info.value.what == str(store / "clauses.parquet")
    assert str(info.value) == cli_error(
        cli, "reclassify", "--store", str(store), "--codebook", str(codebook), "--no-model", "-o", os.devnull
    )


def test_unknown_language_is_config_error(cli):
    with pytest.raises(vocmine.ConfigError) as info:
        vocmine.Engine(no_model=True, languages=["zh", "xx"])
    assert str(info.value) == cli_error(cli, "analyze", "corpora/sample.jsonl", "--no-model", "--languages", "zh,xx", "-o", os.devnull)
    with pytest.raises(vocmine.ConfigError, match="threads"):
        vocmine.Engine(no_model=True, threads=0)


def test_missing_model_dir(cli, tmp_path):
    missing = tmp_path / "models" / "nope"
    with pytest.raises(vocmine.ModelNotFoundError) as info:
        vocmine.Engine(models=missing)
    assert str(info.value) == cli_error(cli, "analyze", "corpora/sample.jsonl", "--model", str(missing), "-o", os.devnull)
    assert "python3 models/setup.py" in str(info.value)
    assert info.value.path == str(missing)


def test_default_model_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOCMINE_MODEL", raising=False)
    with pytest.raises(vocmine.ModelNotFoundError, match="models/multilingual-e5-small"):
        vocmine.Engine()
    monkeypatch.setenv("VOCMINE_MODEL", str(tmp_path / "elsewhere"))
    with pytest.raises(vocmine.ModelNotFoundError, match="elsewhere"):
        vocmine.Engine()


def test_user_dict_errors(tmp_path):
    with pytest.raises(vocmine.VocmineIOError) as info:
        vocmine.Engine(no_model=True, user_dicts=[tmp_path / "missing.txt"])
    assert str(info.value).startswith(str(tmp_path / "missing.txt") + ": ")
    bad = tmp_path / "dict.txt"
    bad.write_text("车机卡顿 10\n死机 many\n", encoding="utf-8")
    with pytest.raises(vocmine.ResourceError) as info:
        vocmine.Engine(no_model=True, user_dicts=[bad])
    assert str(info.value) == f"{bad}:2: frequency `many` of `死机` is not a whole number"
    assert info.value.line == 2
    good = tmp_path / "good.txt"
    good.write_text("车机卡顿 10\n", encoding="utf-8")
    vocmine.Engine(no_model=True, user_dicts=[good])


def test_strict_input_error(cli, tmp_path):
    lines = ['{"id": "a", "text": "fine"}', '{"id": "b", "text": 42}', '{"id": "c", "text": "fine"}']
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = [json.loads(l) for l in lines]
    with pytest.raises(vocmine.InputError) as info:
        vocmine.Engine(no_model=True).analyze(records, strict=True)
    assert str(info.value) == cli_error(cli, "analyze", str(path), "--no-model", "--strict", "-o", os.devnull)
    assert (info.value.kind, info.value.line, info.value.field) == ("wrong_type", 2, "text")
    # Without strict, the same record is an error dict.
    assert vocmine.Engine(no_model=True).analyze(records)[1]["error"]["kind"] == "wrong_type"


def test_model_error(model_dir, tmp_path):
    """A file that is not ONNX Runtime: loading it is a ModelError (in a
    subprocess: the runtime is loaded once per process)."""
    fake = tmp_path / "libonnxruntime.so"
    fake.write_bytes(b"not a library")
    code = (
        "import vocmine, sys\n"
        "try:\n"
        f"    vocmine.Engine(models={str(model_dir)!r}, onnxruntime={str(fake)!r})\n"
        "except vocmine.ModelError as e:\n"
        "    print('ModelError', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ModelError model error: cannot load ONNX Runtime from"), out.stdout + out.stderr


def test_missing_onnxruntime(model_dir, tmp_path):
    with pytest.raises(vocmine.ModelNotFoundError, match="ONNX Runtime library"):
        vocmine.Engine(models=model_dir, onnxruntime=tmp_path / "nope.so")


def test_bad_arguments_are_type_errors():
    engine = vocmine.Engine(no_model=True)
    with pytest.raises(TypeError):
        engine.analyze(42)
    with pytest.raises(TypeError):
        engine.analyze(b"bytes")
