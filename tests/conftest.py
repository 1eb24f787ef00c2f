"""Shared fixtures. Small scenario data lives under tests/data/; ``testdata.data_path`` builds paths to it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import chromium_path, unavailable

from pmo_nb.paths import PROJ_ROOT, SAMPLE_DIR

SAMPLE_PERIOD = "2026-10"
#: SOURCE_DATE_EPOCH of the sample month's run: 2026-11-03T07:30:00Z, the stamp the other tests use
SAMPLE_EPOCH = "1793691000"


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

# ----------------------------------------------------------------------------------------- the order of the files

#: The longest test files (real runs, a wheel install, a cluster), longest first as measured on 2 cores. `make test`
#: gives each pytest-xdist worker one file at a time in collection order (--dist loadfile), so these start first
#: and the short files fill in around them: started last, a 3-minute file would leave the other core idle.
LONGEST_FIRST = [
    "tests/test_figures_agree.py",
    "tests/test_faults.py",
    "tests/test_determinism.py",
    "tests/test_cluster.py",
    "tests/adversarial/test_adv_run.py",
    "tests/test_run_wiring.py",
    "tests/test_wheel.py",
    "tests/test_batch.py",
    "tests/test_send.py",
    "tests/test_load_small.py",
    "tests/test_cli_run.py",
]


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist would otherwise hand out the files by their number of tests, not in collection order
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    # A run without --jobs gets one worker process: pytest-xdist already runs a test file per core, and a second
    # worker per run would only add its start-up and its own kernels (about a fifth of a small run's CPU time).
    # The tests of the parallel path pass --jobs 2 (determinism, faults, wiring, batch, the sample month).
    from pmo_nb.contract import JOBS_ENV

    os.environ.setdefault(JOBS_ENV, "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files of ``LONGEST_FIRST`` first, in its order; every other test after them, in collection order
    (the sort is stable, so the tests of one file keep their order)."""
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix() if item.path.is_relative_to(root)
                                         else "", len(rank)))


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


# ----------------------------------------------------------------------------------------- the sample's month


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (shared by the pytest-xdist workers of one session)."""
    import fcntl

    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_sample_month(out: Path) -> Path:
    """``pmo-nb run`` of the whole sample portfolio for 2026-10 (HTML and PDF, so with the executive pack) into
    ``out``, in a child process with a fixed stamp and none of the PMO_NB_* variables; returns the month folder."""
    from pmo_nb import contract

    names = {getattr(contract, n) for n in contract.__all__ if n.endswith("_ENV")} | {"SOURCE_DATE_EPOCH"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env["SOURCE_DATE_EPOCH"] = SAMPLE_EPOCH
    cmd = [sys.executable, "-m", "pmo_nb.cli", "run", "--source", str(SAMPLE_DIR), "--out", str(out),
           "--period", SAMPLE_PERIOD, "--formats", "html,pdf", "--jobs", "2", "--quiet"]
    proc = subprocess.run(cmd, env=env, cwd=out.parent, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pmo-nb run of the sample failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return out / SAMPLE_PERIOD


@pytest.fixture(scope="session")
def sample_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The month folder a real ``pmo-nb run`` writes for the sample portfolio (2026-10, HTML + PDF): the
    overview, one report per program, index.html, the executive pack, kpis.csv. Read-only: copy it to change it.

    Made once per test session: under pytest-xdist the workers share it (the first to ask runs it, under a file
    lock, in the session's common temporary folder), so the browser and figure tests pay for one run (about a
    minute on 2 cores).
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    out, failed = root / "sample-month", root / "sample-month.failed"
    with _exclusive(root / "sample-month.lock"):
        if failed.is_file():
            pytest.fail(failed.read_text(encoding="utf-8"), pytrace=False)
        if not (out / SAMPLE_PERIOD / "manifest.json").is_file():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            try:
                run_sample_month(out)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                failed.write_text(str(exc), encoding="utf-8")
                raise
    return out / SAMPLE_PERIOD


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
