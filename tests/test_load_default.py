"""``pmo_nb.load()`` without a source reads the sample; a missing path names its absolute form and the cwd."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pmo_nb
from pmo_nb.exceptions import SourceError
from pmo_nb.paths import SAMPLE_DIR


def test_load_without_a_source_reads_the_sample():
    portfolio = pmo_nb.load()
    assert portfolio.source == str(SAMPLE_DIR)
    assert portfolio.fingerprint() == pmo_nb.load(SAMPLE_DIR).fingerprint()
    assert pmo_nb.check().ok


@pytest.mark.parametrize("relative", ["data/sample", "nowhere.xlsx", "../reports/portfolio.parquet"])
def test_a_missing_relative_path_shows_where_it_was_looked_for(tmp_path: Path, monkeypatch, relative: str):
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    with pytest.raises(SourceError) as info:
        pmo_nb.load(relative)
    expected = os.path.normpath(workdir / relative)
    message = str(info.value)
    assert message.startswith(f"{relative} not found: ")
    assert message.endswith(f"(looked for {expected}; working directory {workdir})")
    assert info.value.path == expected


def test_other_source_errors_keep_their_own_message(tmp_path: Path):
    with pytest.raises(SourceError, match=r"\.xls workbooks are not supported") as info:
        pmo_nb.load(tmp_path / "old.xls")
    assert "working directory" not in str(info.value)
