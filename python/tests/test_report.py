"""vocmine.report: the page `vocmine report` writes, from a path or from
records, shown inline in notebooks."""

from __future__ import annotations

import json
import subprocess

import pytest

import vocmine
from conftest import ROOT


def _analyzed(tmp_path):
    out = tmp_path / "analyzed.jsonl"
    engine = vocmine.Engine(
        no_model=True, codebook="corpora/codebooks/automotive.yaml", alerts="corpora/alerts.yaml"
    )
    engine.analyze_file("corpora/sample.jsonl", out)
    return out


def test_report_equals_the_cli_page(cli, tmp_path):
    analyzed = _analyzed(tmp_path)
    cli_page = tmp_path / "cli.html"
    subprocess.run(
        [str(cli), "report", str(analyzed), "-o", str(cli_page), "--lang", "zh",
         "--journey", "enquiry,purchase,delivery", "-q"],
        cwd=ROOT,
        check=True,
    )
    py_page = tmp_path / "py.html"
    r = vocmine.report(analyzed, py_page, lang="zh", journey=["enquiry", "purchase", "delivery"])
    assert py_page.read_text(encoding="utf-8") == cli_page.read_text(encoding="utf-8") == r.html
    assert "客户旅程图" in r.html
    # from records in memory: the same numbers (the page names no file)
    records = [json.loads(l) for l in analyzed.read_text(encoding="utf-8").splitlines()]
    again = vocmine.report(records, lang="zh", journey=["enquiry", "purchase", "delivery"])
    marker = '<script type="application/json" id="vocmine-data">'
    data = lambda page: json.loads(page.split(marker, 1)[1].split("</script>", 1)[0].replace("<\\/", "</"))
    a, b = data(r.html), data(again.html)
    assert a["metrics"]["overall"] == b["metrics"]["overall"]
    assert a["owners"] == b["owners"] and a["verbatims"] == b["verbatims"]
    # notebooks show it in a frame of its own
    frame = r._repr_html_()
    assert frame.startswith("<iframe") and "srcdoc=" in frame and "<script" not in frame
    with pytest.raises(vocmine.ConfigError, match="unknown report language"):
        vocmine.report(records, lang="fr")
