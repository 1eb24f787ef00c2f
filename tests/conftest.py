"""Shared fixtures. Small scenario data lives under tests/data/; ``testdata.data_path`` builds paths to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pmo_nb.paths import PROJ_ROOT, SAMPLE_DIR


@pytest.fixture
def sample_dir() -> Path:
    """The committed sample portfolio (read-only: copy it before changing anything)."""
    return SAMPLE_DIR


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample portfolio's CSV folder."""
    dest = tmp_path / "sample"
    shutil.copytree(SAMPLE_DIR, dest)
    return dest


@pytest.fixture
def project_root() -> Path:
    return PROJ_ROOT


# tests/data holds scenario notebooks (some broken on purpose): fixtures, not tests for nbval to run
collect_ignore_glob = ["data/*"]
