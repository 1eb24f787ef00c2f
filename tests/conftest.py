"""Shared fixtures. Small scenario data lives under tests/data/; ``testdata.data_path`` builds paths to it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import chromium_path, unavailable

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


@pytest.fixture(autouse=True)
def _pmo_environment_restored():
    """Every test leaves the PMO_NB_* environment as it found it.

    ``pmo-nb --workspace DIR`` sets PMO_NB_WORKSPACE for the kernels it starts; invoked in-process (CliRunner) it
    would otherwise stay set for every later test in the same process (under pytest-xdist, whichever file runs
    next in that worker).
    """
    import os

    from pmo_nb import contract

    names = [getattr(contract, n) for n in contract.__all__ if n.endswith("_ENV")]
    before = {n: os.environ.get(n) for n in names}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# ----------------------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium binary, checked (with Playwright) before anything costly is made for a browser test."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable('playwright is not installed: pip install -e ".[dev]" (never run `playwright install`)')
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium not found: apt-get install chromium (or set PMO_CHROMIUM to its binary)")
    return executable


@pytest.fixture(scope="module")
def pw(chromium: str) -> Iterator[Any]:
    """One Playwright driver for the module: the sync API runs an event loop, so it cannot be started twice at once."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver
