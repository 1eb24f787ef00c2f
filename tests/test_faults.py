"""The monthly run in a hostile world: every fault leaves the last good reports as they were.

Each whole-run test starts from an ``OUT`` folder that already holds two published months (2026-09 and
2026-10, files whose bytes are recorded), runs ``pmo-nb run`` for 2026-10 with one fault, and checks:
the exit code and the one-line cause on stdout/stderr (never a traceback), the recorded bytes (a fatal
fault publishes nothing; a report-level fault publishes the month with the failure but leaves other
months alone), no ``.tmp-*``/``.old-*`` folder left in ``OUT``, no orphan kernel, and that a plain re-run
afterwards succeeds. The notebooks are private copies of tests/data/notebooks/batch_*.ipynb, so the
kernels of a test are the processes whose working directory is that copy (see ``kernels_in``).

Single-report faults (exception, timeout, dead kernel, kernel start retry) and one interrupt per signal
are covered in test_batch.py and test_cli_run.py; here they run together in one month, plus the faults
those files do not cover: a kernel that never starts, a full disk at each point that writes (a report,
kpis.csv while the workers run, the executed notebook, the pack, the manifest, the final swap), and a
second Ctrl-C arriving while the first one is being handled.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import shutil
import signal
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_batch import write_source
from test_cli_run import kernels_in, start_sleeping_run
from testdata import data_path

from pmo_nb.cli import cli
from pmo_nb.config import Config
from pmo_nb.data.ingest import load
from pmo_nb.exceptions import DiskFullError
from pmo_nb.metrics.kpis import compute
from pmo_nb.run import monthly, packing
from pmo_nb.run.jobs import Job
from pmo_nb.run.kernels import KERNEL_NAME
from pmo_nb.run.manifest import read_manifest, verify
from pmo_nb.run.packing import Listing, make_pack
from pmo_nb.run.staging import MARKER, Staging
from pmo_nb.run.worker import execute_report

NOTEBOOKS = data_path("notebooks")
PERIOD = "2026-10"

pytestmark = pytest.mark.slow

# The months already published: relative path -> bytes.
PREVIOUS = {
    "2026-09/PRG-A.html": b"<html><body>September report for PRG-A</body></html>\n",
    "2026-09/notebooks/PRG-A.ipynb": b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n',
    "2026-10/PRG-A.html": b"<html><body>October report for PRG-A, first run</body></html>\n",
    "2026-10/portfolio.html": b"<html><body>October overview, first run</body></html>\n",
}  # plus each month's kpis.csv, a real snapshot (the next month's run reads it)


# --- helpers ---------------------------------------------------------------------------------------


def published(out: Path) -> dict[str, str]:
    """SHA-256 of every file under the month folders of ``out`` (relative paths; runs set aside excluded)."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.glob("20*-*/**/*")) if p.is_file() and ".failed-" not in p.parts[len(out.parts)]}


def leftovers(out: Path) -> list[str]:
    """Staging folders, their lock files and swapped-out months a run left behind."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith((".tmp-", ".old-")))


def no_kernel_left(nbs: Path) -> None:
    deadline = time.monotonic() + 10
    while kernels_in(nbs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_in(nbs) == []


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A source, private notebook copies and an OUT folder with the PREVIOUS months in it."""
    src = write_source(tmp_path / "src")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for name in ("batch_ok", "batch_sleep"):
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", nbs)
    hostile_notebook(nbs / "batch_hostile.ipynb")
    out = tmp_path / "reports"
    for rel, data in PREVIOUS.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    portfolio = load(src)
    for period in ("2026-09", PERIOD):
        compute(portfolio, period).snapshot().to_csv(out / period / "kpis.csv", index=False)
    return {"src": src, "nbs": nbs, "out": out}


def hostile_notebook(path: Path) -> None:
    """batch_raise with three fault cells: PRG-A raises, PRG-B's kernel dies, PRG-C hangs."""
    nb = nbformat.read(NOTEBOOKS / "batch_raise.ipynb", as_version=4)
    fault = next(i for i, c in enumerate(nb.cells) if c.source.startswith("if program_id == FAULT"))
    faults = [
        'if program_id == "PRG-A":\n    raise ValueError(f"deliberate failure for {program_id}")',
        'if program_id == "PRG-B":\n    os._exit(1)  # the kernel dies',
        'if program_id == "PRG-C":\n    time.sleep(60)  # past --timeout',
    ]
    nb.cells[fault:fault + 1] = [nbformat.v4.new_code_cell(src) for src in faults]
    nbformat.write(nb, path)


def pmo_run(w: dict[str, Path], *extra: str, program: str = "batch_ok", jobs: int = 1):
    """``pmo-nb run`` in-process (its workers and kernels are real processes)."""
    args = ["run", "--source", str(w["src"]), "--out", str(w["out"]), "--period", PERIOD, "--formats", "html",
            "--jobs", str(jobs), "--quiet", "--program-notebook", str(w["nbs"] / f"{program}.ipynb"),
            "--portfolio-notebook", str(w["nbs"] / "batch_ok.ipynb"), *extra]
    return CliRunner().invoke(cli, args)


def assert_rerun_succeeds(w: dict[str, Path], september: dict[str, str]) -> None:
    res = pmo_run(w, "--programs", "PRG-A")
    assert res.exit_code == 0, res.output + res.stderr
    month = w["out"] / PERIOD
    assert sorted(p.name for p in month.glob("*.html")) == ["PRG-A.html", "index.html", "portfolio.html"]
    assert verify(month) == [] and read_manifest(month)["status"] == "ok"
    assert leftovers(w["out"]) == []
    assert {k: v for k, v in published(w["out"]).items() if k.startswith("2026-09/")} == september


def assert_nothing_changed(w: dict[str, Path], before: dict[str, str], res) -> None:
    """A fatal fault: exit 1, one ``error:`` line, the published months byte for byte, nothing left over."""
    assert res.exit_code == 1, res.output + res.stderr
    assert "Traceback" not in res.output + res.stderr
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1, res.stderr
    assert published(w["out"]) == before
    assert leftovers(w["out"]) == []
    no_kernel_left(w["nbs"])


# --- worker hooks (imported by name in the spawned workers) ------------------------------------------


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def disk_fills_writing_prg_a_html() -> None:
    """The device fills up half-way through writing PRG-A.html (the temporary file the worker writes)."""
    import pathlib

    real = pathlib.Path.write_bytes

    def write_bytes(self, data):
        if self.name == ".PRG-A.html.part":
            real(self, data[: len(data) // 2])
            raise _enospc()
        return real(self, data)

    pathlib.Path.write_bytes = write_bytes


# --- report-level faults: the month is published with the failures, nothing else is touched ------------


def test_a_hostile_month_fails_three_reports_and_publishes_the_rest(world) -> None:
    before = published(world["out"])
    september = {k: v for k, v in before.items() if k.startswith("2026-09/")}
    res = pmo_run(world, "--timeout", "3", program="batch_hostile", jobs=2)  # the faults side by side
    assert res.exit_code == 1, res.output + res.stderr
    assert "Traceback" not in res.output + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["report", "status", "time", "error"]
    causes = {line.split()[0]: line.split("  ")[-1].strip() for line in lines[1:]}
    assert causes == {
        "PRG-A": 'ValueError: deliberate failure for PRG-A [cell 5: if program_id == "PRG-A":]',
        "PRG-B": 'DeadKernelError: the kernel died while running cell 6: Kernel died '
                 '[cell 6: if program_id == "PRG-B":]',
        "PRG-C": "CellTimeoutError: cell 7 ran longer than the 3 s timeout (raise --timeout if it is "
                 'expected) [cell 7: if program_id == "PRG-C":]',
    }
    assert "3 of 4 reports failed for 2026-10, so the published " in res.stderr
    # the month published before is kept byte for byte; this run went next to it
    assert published(world["out"]) == before
    aside = world["out"] / res.stderr.split("this run is in ", 1)[1].split(" (manifest.json", 1)[0]
    assert aside.name.startswith("2026-10.failed-")
    assert sorted(p.name for p in aside.glob("*.html")) == ["index.html", "portfolio.html"]
    assert sorted(p.name for p in (aside / "notebooks").iterdir()) == [
        "PRG-A.ipynb", "PRG-B.ipynb", "PRG-C.ipynb", "portfolio.ipynb"]
    assert verify(aside) == [] and read_manifest(aside)["failed"] == ["PRG-A", "PRG-B", "PRG-C"]
    assert leftovers(world["out"]) == []
    no_kernel_left(world["nbs"])
    assert_rerun_succeeds(world, september)


# --- fatal faults: nothing is published -------------------------------------------------------------------


def broken_kernelspec(root: Path) -> Path:
    """A JUPYTER_PATH whose kernelspec "python3" (found before the venv's) runs a command that exits at once."""
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["python", "-c", "raise SystemExit(7)", "-f", "{connection_file}"],
        "display_name": "broken", "language": "python"}), encoding="utf-8")
    return root


def fail_writing(monkeypatch, where: str) -> str:
    """Make the run's write at ``where`` fail with ENOSPC; return the file name the error must name."""
    if where == "report":  # in the worker, half-way through PRG-A.html
        monkeypatch.setattr(monthly, "run", functools.partial(
            monthly.run, worker_setup="test_faults:disk_fills_writing_prg_a_html"))
        return "PRG-A.html"
    if where == "kpis":  # in the parent while the workers run: the pool is stopped mid-run
        real_write = Path.write_text

        def half_written(self, data, *a, **kw):
            if self.name == ".kpis.csv.part":
                real_write(self, data[: len(data) // 2], *a, **kw)
                raise _enospc()
            return real_write(self, data, *a, **kw)

        monkeypatch.setattr(Path, "write_text", half_written)
        return "kpis.csv"
    if where == "manifest":
        real_text = Path.write_text

        def write_text(self, data, *a, **kw):
            if self.name == ".manifest.json.part":
                raise _enospc()
            return real_text(self, data, *a, **kw)

        monkeypatch.setattr(Path, "write_text", write_text)
        return "manifest.json"
    assert where == "swap"  # the new month cannot be renamed in: the directory needs a block it cannot get
    real_rename = os.rename

    def rename(src, dst, *a, **kw):
        if Path(dst).name == PERIOD and Path(src).name.startswith(".tmp-"):
            raise _enospc()
        return real_rename(src, dst, *a, **kw)

    monkeypatch.setattr(os, "rename", rename)
    return PERIOD


def test_a_kernel_that_never_starts_publishes_nothing(world, tmp_path: Path) -> None:
    before = published(world["out"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(broken_kernelspec(tmp_path / "jupyter")))
        res = pmo_run(world, "--programs", "PRG-A", jobs=2)  # both reports' failed starts side by side
    assert_nothing_changed(world, before, res)
    assert "error: no report started executing (portfolio: RuntimeError: the kernel failed to start 3 times: " \
           "Kernel died before replying to kernel_info); nothing was published" in res.stderr
    assert "jupyter kernelspec list" in res.stderr


def test_fatal_faults_one_after_another_publish_nothing_and_a_rerun_succeeds(world, tmp_path: Path) -> None:
    """A full disk at each point that writes; then a normal run.

    Each fault runs on the OUT folder the previous one left: nothing may have been published, nothing
    left over (a stale staging folder or lock would also trip the next run), no kernel left running.
    """
    before = published(world["out"])
    for where in ("report", "kpis", "manifest", "swap"):
        with pytest.MonkeyPatch.context() as mp:
            name = fail_writing(mp, where)
            res = pmo_run(world, "--programs", "PRG-A")
        assert_nothing_changed(world, before, res)
        assert res.stderr.startswith("error: no space left on the device writing "), (where, res.stderr)
        named = res.stderr.split("writing ", 1)[1].split(": free space", 1)[0]
        assert Path(named).name == name and Path(named).is_relative_to(world["out"].resolve()), where
        assert "free space on that filesystem" in res.stderr and "previous reports are untouched" in res.stderr

    assert_rerun_succeeds(world, {k: v for k, v in before.items() if k.startswith("2026-09/")})


def test_a_full_disk_when_papermill_saves_the_notebook_is_not_taken_for_a_kernel_start_failure(
        tmp_path: Path, monkeypatch) -> None:
    """papermill saves the executed notebook before the kernel starts: ENOSPC there is no port race."""
    from papermill.iorw import LocalHandler

    def write(self, buf, path):
        raise _enospc()

    monkeypatch.setattr(LocalHandler, "write", write)
    folder = tmp_path / "stage"
    (folder / "notebooks").mkdir(parents=True)
    job = Job(name="PRG-A", kind="program", notebook=str(NOTEBOOKS / "batch_ok.ipynb"),
              parameters={"program_id": "PRG-A"}, folder=str(folder), formats=("html",), timeout=60)
    res = execute_report(job)
    assert (res.status, res.kernel_attempts, res.error.ename) == ("failed", 1, "DiskFullError")
    assert res.error.path == str((folder / "notebooks" / "PRG-A.ipynb").resolve())
    with pytest.raises(DiskFullError, match="PRG-A.ipynb: free space on that filesystem"):
        monthly.check_reports([res])


def test_a_full_disk_writing_the_pack_stops_the_run_instead_of_dropping_the_pack(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    """A pack that fails to build is reported and the month published; one that cannot be WRITTEN is not."""
    real = Path.write_bytes

    def write_bytes(self, data):
        if self.name.startswith(".executive-pack-"):
            real(self, data[:10])
            raise _enospc()
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    monkeypatch.setattr(packing, "build_pack", lambda *a, **kw: b"%PDF-1.7 pack bytes")
    staging = Staging(tmp_path, PERIOD, "run1").open()
    try:
        with pytest.raises(DiskFullError) as info:
            make_pack(staging, Listing([], []), Config(), PERIOD, "2026-11-01T08:00:00Z")
        assert info.value.path == str(staging.folder / f"executive-pack-{PERIOD}.pdf")
        assert sorted(p.name for p in staging.folder.iterdir()) == [MARKER, "notebooks"]  # no half-written .part
    finally:
        staging.discard()


# --- a real interrupt, twice ----------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc")
def test_a_second_ctrl_c_during_the_clean_up_still_leaves_everything_clean(world) -> None:
    before = published(world["out"])
    out, nbs = world["out"], world["nbs"]
    proc = start_sleeping_run(world["src"], out, nbs, "--programs", "PRG-A,PRG-B")
    try:
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.3)  # the run is now stopping its workers and removing the staging folder
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=90)  # a bound on a hang, not a timing: the clean-up takes seconds
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # 130 from the CLI; -SIGINT when the second Ctrl-C lands after Python restored the default handler on
    # its way out (the clean-up was done by then)
    assert proc.returncode in (128 + signal.SIGINT, -signal.SIGINT), stderr
    assert "nothing was published; earlier reports are untouched" in stderr
    assert "Traceback" not in stderr
    assert published(out) == before
    assert leftovers(out) == []
    no_kernel_left(nbs)
    assert_rerun_succeeds(world, {k: v for k, v in before.items() if k.startswith("2026-09/")})
