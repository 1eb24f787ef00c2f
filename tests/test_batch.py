"""The monthly run: report execution in workers, failures, kernel retry, staging and the atomic swap.

Reports here are the small scenario notebooks tests/data/notebooks/batch_*.ipynb (papermill
parameters like the real reports; the cell after "## Environment" prints what the kernel received;
a fault cell targets the program named in $PMO_NB_TEST_FAULT). The source is a three-program
portfolio written by ``write_source``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from testdata import data_path

from pmo_nb.contract import BATCH_ENV
from pmo_nb.exceptions import DataValidationError, ReportError, ReportExecutionError
from pmo_nb.run import kernels, rendering
from pmo_nb.run.jobs import Job
from pmo_nb.run.kernels import KERNEL_START_ATTEMPTS, Kernels, kernel_executable
from pmo_nb.run.manifest import read_manifest, sha256_file, verify
from pmo_nb.run.monthly import PORTFOLIO_NOTEBOOK, PROGRAM_NOTEBOOK, check_file_name, parse_programs, run
from pmo_nb.run.staging import MARKER, Staging, inside, lock_file, unlock
from pmo_nb.run.summary import summary_lines
from pmo_nb.run.worker import execute_report

NOTEBOOKS = data_path("notebooks")

PROGRAMS = """program_id,name,sponsor,manager,objective
PRG-A,Alpha Programme,Ann Sponsor,Al Manager,Deliver alpha
PRG-B,Beta Programme,Bob Sponsor,Bea Manager,Deliver beta
PRG-C,Gamma Programme,Cat Sponsor,Cy Manager,Deliver gamma
"""
PROJECTS = """project_id,program_id,name,manager,phase,baseline_start,baseline_finish,forecast_finish,budget,\
reported_status,status_comment,last_updated
A-001,PRG-A,Alpha One,Al Manager,execution,2026-08-01,2026-12-31,2026-12-31,1000,green,fine,2026-10-20
B-001,PRG-B,Beta One,Bea Manager,execution,2026-08-01,2026-12-31,2027-01-31,1000,green,late,2026-10-20
C-001,PRG-C,Gamma One,Cy Manager,execution,2026-08-01,2026-12-31,2026-12-31,1000,amber,ok,2026-10-20
"""


def write_source(folder: Path) -> Path:
    """A valid three-program portfolio (one project each, financials 2026-08..2026-10) as CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "programs.csv").write_text(PROGRAMS, encoding="utf-8")
    (folder / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    rows = ["project_id,period,planned_value,earned_value,actual_cost"]
    for pid, ev in (("A-001", 200), ("B-001", 150), ("C-001", 190)):
        rows += [f"{pid},2026-{m:02d},200,{ev},200" for m in (8, 9, 10)]
    (folder / "financials.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def job(tmp_path: Path, notebook: str, name: str = "PRG-B", *, timeout: float | None = 60,
        formats: tuple[str, ...] = ("html",), reuse_kernel: bool = False) -> Job:
    folder = tmp_path / "stage"
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    params = {"program_id": name, "period": "2026-10", "source": str(tmp_path / "src"), "config": None,
              "previous_snapshot": None}
    return Job(name=name, kind="program", notebook=str(NOTEBOOKS / f"{notebook}.ipynb"), parameters=params,
               folder=str(folder), formats=formats, timeout=timeout, reuse_kernel=reuse_kernel)


def printed(nb_path: Path) -> dict:
    """The JSON the "## Environment" cell of a batch_* notebook printed."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("text", "").startswith("{"):
                return json.loads(out["text"])
    raise AssertionError(f"{nb_path} printed no environment")


# --- worker hooks (imported by name in spawned workers via worker_setup) ----------------------------


def flaky_kernel_start() -> None:
    """Make the first kernel launch in this process die the way papermill's port race does."""
    from jupyter_client.manager import KernelManager

    real = KernelManager._async_launch_kernel
    calls = {"n": 0}

    async def launch(self, kernel_cmd, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return await real(self, kernel_cmd, **kw)

    KernelManager._async_launch_kernel = launch
    kernels.KERNEL_START_BACKOFF = 0.01


def worker_dies_on_prg_b() -> None:
    """Make this worker process itself die (not its kernel) when it renders PRG-B."""
    real = rendering.render

    def render(nb, fmt, generated_at, path=None, links=None):
        if path and Path(path).stem == "PRG-B":
            os._exit(3)
        return real(nb, fmt, generated_at, path, links)

    rendering.render = render


# --- pure helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, None), ("", None), ("PRG-A", ["PRG-A"]), (" PRG-A, PRG-B ,,PRG-A", ["PRG-A", "PRG-B"]),
     (["PRG-C", "PRG-A"], ["PRG-C", "PRG-A"])],
)
def test_parse_programs(given, expected) -> None:
    assert parse_programs(given) == expected


@pytest.mark.parametrize("bad", ["../etc", "a/b", "a\\b", ".hidden", "x" * 65, "portfolio", "PRG 1", "a..b"])
def test_unsafe_program_id_is_a_finding(bad: str) -> None:
    with pytest.raises(DataValidationError) as info:
        check_file_name(bad, "programs.csv")
    finding = info.value.findings[0]
    assert (finding.table, finding.column, finding.value) == ("programs", "program_id", bad)
    assert "used as a file name" in finding.rule


def test_safe_program_id_passes() -> None:
    assert check_file_name("PRG-01_a.b") == "PRG-01_a.b"


def test_inside_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    assert inside(tmp_path / "a" / "b.html", tmp_path) == (tmp_path / "a" / "b.html").resolve()
    with pytest.raises(ReportExecutionError, match="outside the run's folder"):
        inside(tmp_path / ".." / "escape.html", tmp_path)


def test_kernel_is_this_environments_python() -> None:
    assert kernel_executable() == sys.executable


def test_unknown_kernel_names_the_fix() -> None:
    with pytest.raises(ReportExecutionError, match="ipykernel install --sys-prefix"):
        kernel_executable("no-such-kernel-pmo")


# --- one report in-process -------------------------------------------------------------------------


def test_report_ok_runs_on_the_venv_kernel_and_renders(tmp_path: Path) -> None:
    res = execute_report(job(tmp_path, "batch_ok", "PRG-A"))
    folder = tmp_path / "stage"
    assert res.status == "ok" and res.error is None and res.kernel_attempts == 1
    env = printed(folder / "notebooks" / "PRG-A.ipynb")
    assert env["executable"] == sys.executable and env["prefix"] == sys.prefix
    assert (env["program_id"], env["period"]) == ("PRG-A", "2026-10")
    assert env["cwd"] == str(NOTEBOOKS)  # papermill ran the kernel in the notebook's folder
    nb = nbformat.read(folder / "notebooks" / "PRG-A.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["program_id"] == "PRG-A"
    html = folder / "PRG-A.html"
    assert res.outputs == {"html": {"path": "PRG-A.html", "sha256": sha256_file(html)}}
    assert "<html" in html.read_text(encoding="utf-8").lower()
    assert set(res.timings) == {"kernel_start", "execute", "cells", "render_html"}
    assert 0 < res.timings["cells"] < res.timings["execute"]
    assert all(v > 0 for v in res.timings.values())
    assert res.duration >= sum(v for k, v in res.timings.items() if k != "cells")  # cells: part of execute


def test_exception_in_a_cell_fails_the_report_without_retry(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_NB_TEST_FAULT", "PRG-B")
    res = execute_report(job(tmp_path, "batch_raise"))
    assert res.status == "failed" and res.kernel_attempts == 1
    # cell 5: papermill inserts the injected-parameters cell after the parameters cell
    assert isinstance(res.error, ReportError)
    assert (res.error.program, res.error.notebook) == ("PRG-B", str(NOTEBOOKS / "batch_raise.ipynb"))
    assert res.error.as_dict() == {"ename": "ValueError", "evalue": "deliberate failure for PRG-B", "cell_index": 5,
                                   "cell_source": "if program_id == FAULT:"}
    assert res.outputs == {} and not (tmp_path / "stage" / "PRG-B.html").exists()
    # the executed notebook is kept for debugging, with papermill's banner above the failing cell
    nb = nbformat.read(tmp_path / "stage" / "notebooks" / "PRG-B.ipynb", as_version=4)
    failing = [c for c in nb.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert [c.source.splitlines()[0] for c in failing] == ["if program_id == FAULT:"]


@pytest.mark.slow  # a real kernel, killed or timed out: end to end
def test_cell_timeout_fails_the_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_NB_TEST_FAULT", "PRG-B")
    t0 = time.perf_counter()
    res = execute_report(job(tmp_path, "batch_sleep", timeout=2))
    assert time.perf_counter() - t0 < 30  # the cell sleeps 60 s
    assert res.status == "failed"
    assert res.error.ename == "CellTimeoutError" and res.error.cell_index == 5
    assert "2 s timeout" in res.error.evalue
    assert (tmp_path / "stage" / "notebooks" / "PRG-B.ipynb").is_file()


@pytest.mark.slow  # a real kernel, killed or timed out: end to end
def test_dead_kernel_fails_the_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_NB_TEST_FAULT", "PRG-B")
    res = execute_report(job(tmp_path, "batch_exit"))
    assert res.status == "failed" and res.kernel_attempts == 1
    assert res.error.ename == "DeadKernelError" and res.error.cell_index == 5


def test_kernel_start_failure_is_retried(tmp_path: Path, monkeypatch) -> None:
    from jupyter_client.manager import KernelManager

    monkeypatch.setattr(KernelManager, "_async_launch_kernel", KernelManager._async_launch_kernel)
    monkeypatch.setattr(kernels, "KERNEL_START_BACKOFF", 0.01)
    flaky_kernel_start()
    res = execute_report(job(tmp_path, "batch_ok", "PRG-A"))
    assert res.status == "ok" and res.kernel_attempts == 2


def test_kernel_that_never_starts_fails_after_three_attempts(tmp_path: Path, monkeypatch) -> None:
    from jupyter_client.manager import KernelManager

    attempts = []

    async def never(self, kernel_cmd, **kw):
        attempts.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(KernelManager, "_async_launch_kernel", never)
    monkeypatch.setattr(kernels, "KERNEL_START_BACKOFF", 0.01)
    res = execute_report(job(tmp_path, "batch_ok", "PRG-A"))
    assert len(attempts) == KERNEL_START_ATTEMPTS == res.kernel_attempts == 3
    assert res.status == "failed" and res.error.ename == "RuntimeError"
    assert res.error.evalue.startswith("the kernel failed to start 3 times: Kernel died")


# --- staging and publishing ------------------------------------------------------------------------


def test_publish_replaces_the_month_and_keeps_other_months(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    (out / "2026-10").mkdir(parents=True)
    (out / "2026-10" / "old.html").write_text("old")
    (out / "2026-09").mkdir()
    (out / "2026-09" / "kpis.csv").write_text("sept")
    st = Staging(out, "2026-10", "run1").open()
    assert st.folder.is_dir() and st.lock_path.is_file()
    st.path("new.html").write_text("new")
    assert (out / "2026-10" / "old.html").read_text() == "old"  # untouched until publish
    assert st.publish() == (out / "2026-10").resolve()
    assert sorted(p.name for p in (out / "2026-10").iterdir()) == ["new.html", "notebooks"]
    assert (out / "2026-09" / "kpis.csv").read_text() == "sept"
    assert sorted(p.name for p in out.iterdir()) == [".pmo-nb.lock", "2026-09", "2026-10"]


def test_discard_leaves_previous_reports_untouched(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    (out / "2026-10").mkdir(parents=True)
    (out / "2026-10" / "old.html").write_text("old")
    st = Staging(out, "2026-10", "run1").open()
    st.path("half.html").write_text("half")
    st.discard()
    assert sorted(p.name for p in out.iterdir()) == ["2026-10"]
    assert (out / "2026-10" / "old.html").read_text() == "old"


def test_staging_path_refuses_escape(tmp_path: Path) -> None:
    st = Staging(tmp_path, "2026-10", "run1").open()
    with pytest.raises(ReportExecutionError):
        st.path("../2026-10/x.html")
    st.discard()


def crashed_staging(out: Path, name: str, *, marker: str | None = None, lock: bool = True) -> Path:
    """A staging folder as a crashed run leaves it: marker naming the folder, a free lock file, an hour old."""
    folder = out / name
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "PRG-A.ipynb").write_text("{}")
    if marker is not None:
        (folder / MARKER).write_text(marker + "\n", encoding="utf-8")
    if lock:
        (out / f"{name}.lock").touch()
    old = time.time() - 3600
    os.utime(folder, (old, old))
    return folder


def test_stale_staging_of_a_dead_run_is_removed_but_a_running_one_is_kept(tmp_path: Path) -> None:
    out = tmp_path
    dead = crashed_staging(out, ".tmp-2026-10-dead", marker=".tmp-2026-10-dead")
    live = crashed_staging(out, ".tmp-2026-10-live", marker=".tmp-2026-10-live")
    recent = crashed_staging(out, ".tmp-2026-10-new", marker=".tmp-2026-10-new")
    os.utime(recent, None)
    held = lock_file(out / ".tmp-2026-10-live.lock")  # a run still going holds its lock
    try:
        st = Staging(out, "2026-10", "me", started=time.time() - 60).open()
        assert not dead.exists() and not (out / ".tmp-2026-10-dead.lock").exists()
        assert live.is_dir()  # locked: never touch another run's folder
        assert recent.is_dir()  # younger than this run's start
        st.discard()
    finally:
        unlock(held)


@pytest.mark.parametrize(
    ("name", "marker", "lock"),
    [
        (".tmp-export", None, False),  # a user's folder that merely looks like a staging folder
        (".tmp-export", None, True),  # ... even with a lock file next to it
        (".tmp-2026-10-x", None, True),  # named exactly like one, but not marked
        (".tmp-2026-10-y", ".tmp-2026-10-other", True),  # a marker naming another folder (copied in)
        (".tmp-2026-10-z", ".tmp-2026-10-z", False),  # marked, but no lock file: nothing proves a run died
    ],
)
def test_a_folder_is_removed_only_when_proven_a_crashed_runs(tmp_path: Path, name: str, marker: str | None,
                                                             lock: bool) -> None:
    folder = crashed_staging(tmp_path, name, marker=marker, lock=lock)
    st = Staging(tmp_path, "2026-10", "me", started=time.time()).open()
    st.discard()
    assert (folder / "notebooks" / "PRG-A.ipynb").read_text() == "{}"


def test_a_symlinked_staging_lookalike_is_never_followed(tmp_path: Path) -> None:
    target = crashed_staging(tmp_path / "elsewhere", ".tmp-2026-10-t", marker=".tmp-2026-10-t")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".tmp-2026-10-t").symlink_to(target)
    (out / ".tmp-2026-10-t.lock").touch()
    Staging(out, "2026-10", "me").open().discard()
    assert (target / "notebooks" / "PRG-A.ipynb").is_file() and (out / ".tmp-2026-10-t").is_symlink()


def test_publish_recovers_a_swap_cut_short(tmp_path: Path) -> None:
    # a crash between "rename the month aside" and "rename the new one in" leaves only .old-* and its owner file
    (tmp_path / ".old-2026-10-crashed").mkdir()
    (tmp_path / ".old-2026-10-crashed" / "old.html").write_text("old")
    (tmp_path / ".old-2026-10-crashed.owner").write_text("2026-10\n")
    st = Staging(tmp_path, "2026-10", "run2").open()
    st.path("new.html").write_text("new")
    st.publish()
    assert sorted(p.name for p in (tmp_path / "2026-10").iterdir()) == ["new.html", "notebooks"]
    assert not list(tmp_path.glob(".old-*")) and not list(tmp_path.glob(".tmp-*"))


def test_a_users_old_folder_survives_publishing(tmp_path: Path) -> None:
    (tmp_path / ".old-2026-10-mine").mkdir()
    (tmp_path / ".old-2026-10-mine" / "keep.txt").write_text("mine")
    st = Staging(tmp_path, "2026-10", "run2").open()
    st.publish()
    assert (tmp_path / ".old-2026-10-mine" / "keep.txt").read_text() == "mine"


def test_a_month_folder_that_is_a_symlink_is_replaced_and_nothing_is_left_aside(tmp_path: Path) -> None:
    target = tmp_path / "share" / "2026-10"
    target.mkdir(parents=True)
    (target / "old.html").write_text("old")
    out = tmp_path / "out"
    out.mkdir()
    (out / "2026-10").symlink_to(target)
    st = Staging(out, "2026-10", "run2").open()
    st.path("new.html").write_text("new")
    st.publish()
    assert not (out / "2026-10").is_symlink()
    assert sorted(p.name for p in (out / "2026-10").iterdir()) == ["new.html", "notebooks"]
    assert sorted(p.name for p in out.iterdir()) == [".pmo-nb.lock", "2026-10"]  # no .old-* link left
    assert (target / "old.html").read_text() == "old"  # the link's target is not ours to delete


# --- whole runs ------------------------------------------------------------------------------------


def test_invalid_data_stops_before_anything_is_written(tmp_path: Path) -> None:
    src = write_source(tmp_path / "src")
    (src / "programs.csv").write_text(PROGRAMS + "PRG-A,Dup,X,Y,Z\n", encoding="utf-8")
    out = tmp_path / "reports"
    with pytest.raises(DataValidationError) as info:
        run(src, out=out, notebooks={"program": NOTEBOOKS / "batch_ok.ipynb",
                                          "portfolio": NOTEBOOKS / "batch_ok.ipynb"})
    assert any(f.column == "program_id" and f.row == 5 for f in info.value.findings)
    assert not out.exists()


@pytest.mark.slow
def test_run_publishes_every_file_and_a_manifest_that_matches(tmp_path: Path, monkeypatch) -> None:
    """One broken program, a flaky kernel start in every worker, the previous month's snapshot."""
    from pmo_nb.data.ingest import load

    monkeypatch.setenv("PMO_NB_TEST_FAULT", "PRG-B")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1793520000")
    src = write_source(tmp_path / "src")
    out = tmp_path / "reports"
    (out / "2026-09").mkdir(parents=True)
    from pmo_nb.metrics.kpis import compute

    compute(load(src), "2026-09").snapshot().to_csv(out / "2026-09" / "kpis.csv", index=False)
    (out / "2026-10").mkdir()
    (out / "2026-10" / "stale.html").write_text("from an earlier run")
    result = run(
        src, out=out, jobs=2, progress=False, command=["pmo-nb", "run", "--test"],
        notebooks={"program": NOTEBOOKS / "batch_raise.ipynb", "portfolio": NOTEBOOKS / "batch_ok.ipynb"},
        worker_setup="test_batch:flaky_kernel_start", replace=True,  # PRG-B fails: only asked for, it replaces
    )
    month = out / "2026-10"
    assert result.folder == month.resolve() and not result.ok
    assert [r.name for r in result.failed] == ["PRG-B"]
    names = sorted(p.relative_to(month).as_posix() for p in month.rglob("*") if p.is_file())
    assert names == sorted([
        "PRG-A.html", "PRG-A.pdf", "PRG-C.html", "PRG-C.pdf", "portfolio.html", "portfolio.pdf",
        "executive-pack-2026-10.pdf", "index.html", "kpis.csv", "manifest.json",
        "notebooks/PRG-A.ipynb", "notebooks/PRG-B.ipynb", "notebooks/PRG-C.ipynb",
        "notebooks/portfolio.ipynb",
    ])
    # the published month is also kept in the history store the next months' trends read
    assert sorted(p.name for p in out.iterdir()) == [".pmo-nb.lock", "2026-09", "2026-10", "history"]

    m = read_manifest(month)
    assert verify(month) == []
    assert (m["period"], m["status"], m["failed"], m["command"]) == ("2026-10", "failed", ["PRG-B"],
                                                                     "pmo-nb run --test")
    assert (m["generated_at"], m["run_id"]) == ("2026-11-01T08:00:00Z", "20261101T080000Z")
    assert m["source_fingerprint"] == load(src).fingerprint()
    assert m["config"]["organisation"] == "PMO" and m["formats"] == ["html", "pdf"]
    assert set(m["versions"]) == {"pmo-nb", "papermill", "nbconvert", "altair", "pandas", "weasyprint",
                                  "python"}
    reports = {r["name"]: r for r in m["reports"]}
    assert list(reports) == ["portfolio", "PRG-A", "PRG-B", "PRG-C"]
    bad = reports["PRG-B"]
    assert bad["status"] == "failed" and bad["outputs"] == {} and bad["notebook"] == "notebooks/PRG-B.ipynb"
    assert bad["error"] == {"ename": "ValueError", "evalue": "deliberate failure for PRG-B", "cell_index": 5,
                            "cell_source": "if program_id == FAULT:"}
    for name in ("portfolio", "PRG-A", "PRG-C"):
        r = reports[name]
        assert r["status"] == "ok"
        for fmt in ("html", "pdf"):
            assert r["outputs"][fmt]["sha256"] == sha256_file(month / f"{name}.{fmt}")
        assert {"kernel_start", "execute", "render_html", "render_pdf"} <= set(r["timings"])
    # every worker's first kernel launch (its spare kernel's, started ahead) failed: that worker's first report
    # started its own kernel, first time; the other reports ran on a later spare or a kept kernel (a report's own
    # failed start is retried: test_kernel_start_failure_is_retried)
    assert [r["kernel_attempts"] for r in m["reports"]] == [1, 1, 1, 1]
    workers = {r["worker_pid"] for r in m["reports"]}
    assert sum(not (r["kernel_prewarmed"] or r["kernel_reused"]) for r in m["reports"]) == len(workers)
    assert m["pack"]["status"] == "ok"
    assert m["pack"]["omitted"] == [{"id": "PRG-B", "name": "Beta Programme",
                                     "reason": "report failed: ValueError: deliberate failure for PRG-B"}]
    assert m["pack"]["sha256"] == sha256_file(month / "executive-pack-2026-10.pdf")

    env = printed(month / "notebooks" / "PRG-A.ipynb")
    assert env["source"] == str(src.resolve())
    assert env["previous_snapshot"] == str((out / "2026-09" / "kpis.csv").resolve())
    assert printed(month / "notebooks" / "portfolio.ipynb")["program_id"] is None
    kpis = (month / "kpis.csv").read_text(encoding="utf-8")
    assert "PRG-A" in kpis and "A-001" in kpis

    # re-running one program updates its files and the overview; the other programs' reports stay
    prg_c = {p: (month / p).read_bytes() for p in ("PRG-C.html", "PRG-C.pdf", "notebooks/PRG-C.ipynb")}
    again = run(src, out=out, programs="PRG-A", formats=["html"], jobs=1, progress=False,
                notebooks={"program": NOTEBOOKS / "batch_ok.ipynb", "portfolio": NOTEBOOKS / "batch_ok.ipynb"})
    assert again.ok and again.kept is None
    names = sorted(p.relative_to(month).as_posix() for p in month.rglob("*") if p.is_file())
    assert names == ["PRG-A.html", "PRG-C.html", "PRG-C.pdf", "index.html", "kpis.csv", "manifest.json",
                     "notebooks/PRG-A.ipynb", "notebooks/PRG-B.ipynb", "notebooks/PRG-C.ipynb",
                     "notebooks/portfolio.ipynb", "portfolio.html"]
    assert {p: (month / p).read_bytes() for p in prg_c} == prg_c
    assert verify(month) == []
    assert [(r["name"], r["status"], r["carried_from"]) for r in read_manifest(month)["reports"]] == [
        ("portfolio", "ok", None), ("PRG-A", "ok", None), ("PRG-B", "failed", result.run_id),
        ("PRG-C", "ok", result.run_id)]


@pytest.mark.slow
@pytest.mark.skipif(not (PROGRAM_NOTEBOOK.is_file() and PORTFOLIO_NOTEBOOK.is_file()),
                    reason="the report notebooks are not there yet")
def test_real_report_notebooks_end_to_end(tmp_path: Path, sample_dir: Path) -> None:
    """The shipped notebooks on the sample data: one program and the overview, HTML + PDF + pack."""
    from pmo_nb.data.ingest import load
    from pmo_nb.publish.exporters import external_refs

    portfolio = load(sample_dir)
    first = portfolio.program_ids[0]
    out = tmp_path / "reports"
    result = run(sample_dir, programs=[first], out=out, jobs=1, progress=False)
    period = portfolio.latest_complete_period()
    month = out / period
    assert result.ok, summary_lines(result)
    assert verify(month) == []
    for name in (first, "portfolio"):
        assert (month / f"{name}.html").stat().st_size > 10_000
        assert (month / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        nb = nbformat.read(month / "notebooks" / f"{name}.ipynb", as_version=4)
        assert nb.metadata.papermill.parameters["period"] == period
    assert (month / f"executive-pack-{period}.pdf").read_bytes().startswith(b"%PDF")
    m = read_manifest(month)
    assert m["source_fingerprint"] == portfolio.fingerprint()
    # only the first program was run: the pack names every other one and how to add it
    assert [o["id"] for o in m["pack"]["omitted"]] == sorted(p for p in portfolio.program_ids if p != first)
    assert all(o["reason"].startswith("no report for this month yet: run `pmo-nb run --programs ")
               for o in m["pack"]["omitted"])
    html = (month / f"{first}.html").read_text(encoding="utf-8")
    assert "Traceback" not in html and external_refs(html) == []


@pytest.mark.slow  # a real kernel, killed or timed out: end to end
def test_reused_kernel_starts_clean_and_a_failed_one_is_not_reused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_NB_TEST_FAULT", "PRG-B2")
    runs = [("batch_ok", "PRG-A1"), ("batch_ok", "PRG-A2"),
            ("batch_raise", "PRG-B1"), ("batch_raise", "PRG-B2"), ("batch_raise", "PRG-B3")]
    mine = Kernels()
    try:
        results = {}
        for notebook, name in runs:
            results[name] = execute_report(job(tmp_path, notebook, name, reuse_kernel=True), mine)
        reused = {n: r.kernel_reused for n, r in results.items()}
        assert reused == {"PRG-A1": False, "PRG-A2": True, "PRG-B1": False, "PRG-B2": True, "PRG-B3": False}
        assert [r.status for r in results.values()] == ["ok", "ok", "ok", "failed", "ok"]
        for name in ("PRG-A2", "PRG-B3"):
            env = printed(tmp_path / "stage" / "notebooks" / f"{name}.ipynb")
            # nothing of the previous report's namespace; same working directory
            assert env["leftover"] == [] and env["cwd"] == str(NOTEBOOKS) and env["program_id"] == name
        assert sorted(mine.idle) == [str(NOTEBOOKS / "batch_ok.ipynb"), str(NOTEBOOKS / "batch_raise.ipynb")]
    finally:
        mine.kill()
    assert mine.idle == {} and mine.live == set()


@pytest.mark.slow
def test_a_dying_worker_fails_only_its_report(tmp_path: Path) -> None:
    src = write_source(tmp_path / "src")
    out = tmp_path / "reports"
    result = run(src, out=out, formats=["html"], jobs=2, progress=False,
                       notebooks={"program": NOTEBOOKS / "batch_ok.ipynb", "portfolio": NOTEBOOKS / "batch_ok.ipynb"},
                       worker_setup="test_batch:worker_dies_on_prg_b")
    status = {r.name: r.status for r in result.reports}
    assert status == {"portfolio": "ok", "PRG-A": "ok", "PRG-B": "failed", "PRG-C": "ok"}
    bad = result.failed[0]
    assert bad.error.ename == "WorkerCrash" and "retried on its own" in bad.error.evalue
    month = out / "2026-10"
    assert sorted(p.name for p in month.glob("*.html")) == ["PRG-A.html", "PRG-C.html", "index.html", "portfolio.html"]
    assert verify(month) == []


def test_a_report_error_survives_the_trip_from_a_worker() -> None:
    """Results come back from the worker processes pickled: the typed error keeps every field."""
    import pickle

    from pmo_nb.run.jobs import ReportResult

    err = ReportError(ename="ValueError", evalue="bad", program="PRG-A", notebook="/nb.ipynb", cell_index=3,
                      cell_source="x = 1", path=None)
    res = ReportResult("PRG-A", "program", "failed", 1.0, error=err)
    back = pickle.loads(pickle.dumps(res))
    assert back.error == err and back.error.cell_index == 3 and str(back.error) == "ValueError: bad"
    assert back.as_dict()["error"] == {"ename": "ValueError", "evalue": "bad", "cell_index": 3,
                                       "cell_source": "x = 1"}


def test_job_takes_keywords_only(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        Job("PRG-A", "program", "nb.ipynb", {}, str(tmp_path), ("html",), 60)  # type: ignore[misc]


def test_the_pack_takes_title_and_rag_from_the_report_metadata_the_kernel_emitted(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    """Not from the parent's program table: a RAG the kernel computed differently must win; a report without
    metadata is left out of the pack with the reason, and a failed one is named from the program table."""
    import pandas as pd

    from pmo_nb.config import Config
    from pmo_nb.contract import REPORT_META_MIMETYPE
    from pmo_nb.run import packing
    from pmo_nb.run.jobs import ReportResult

    def executed(meta: dict | None) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        outputs = [nbformat.v4.new_output("display_data", data={REPORT_META_MIMETYPE: meta, "text/plain": ""})]
        nb.cells.append(nbformat.v4.new_code_cell("meta", outputs=outputs if meta else []))
        return nb

    base = {"organisation": "PMO", "period": "2026-10"}
    staging = Staging(tmp_path, "2026-10", "run1").open()
    nbformat.write(executed({**base, "kind": "program", "title": "Alpha (kernel)", "program_id": "PRG-A",
                             "rag": "red"}), staging.path("notebooks/PRG-A.ipynb"))
    nbformat.write(executed({**base, "kind": "portfolio", "title": "Overview (kernel)", "program_id": None}),
                   staging.path("notebooks/portfolio.ipynb"))
    nbformat.write(executed(None), staging.path("notebooks/PRG-C.ipynb"))
    results = [ReportResult(n, k, "ok", 1.0, notebook=f"notebooks/{n}.ipynb")
               for n, k in (("portfolio", "portfolio"), ("PRG-A", "program"), ("PRG-C", "program"))]
    results.append(ReportResult("PRG-B", "program", "failed", 1.0,
                                error=ReportError(ename="ValueError", evalue="boom", program="PRG-B")))
    programs = pd.DataFrame({"program_id": ["PRG-A", "PRG-B", "PRG-C"], "name": ["Alpha", "Beta", "Gamma"],
                             "rag": ["green", "green", "amber"]})
    seen = {}

    def fake_build(entries, omitted, **kw):
        seen.update(entries=entries, omitted=omitted)
        return b"%PDF-1.7"

    monkeypatch.setattr(packing, "build_pack", fake_build)
    listing = packing.month_entries(staging, results, programs, "2026-11-01T08:00:00Z")
    info, error = packing.make_pack(staging, listing, Config(), "2026-10", "2026-11-01T08:00:00Z")
    staging.discard()
    assert error is None and info["status"] == "ok"
    got = [(e["kind"], e["id"], e["title"], e["rag"]) for e in seen["entries"]]
    assert got == [("portfolio", None, "Overview (kernel)", None), ("program", "PRG-A", "Alpha (kernel)", "red")]
    assert [(o["id"], o["name"]) for o in seen["omitted"]] == [("PRG-B", "Beta"), ("PRG-C", "Gamma")]  # by id
    assert seen["omitted"][0]["reason"] == "report failed: ValueError: boom"
    assert seen["omitted"][1]["reason"].startswith("no report metadata: ")


def kernelspec(root: Path, name: str, argv0: str) -> Path:
    """A JUPYTER_PATH holding the kernelspec ``name`` that runs ``argv0``."""
    spec = root / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": name,
        "language": "python"}), encoding="utf-8")
    return root


def test_the_kernel_check_goes_by_identity_not_by_name(tmp_path: Path, monkeypatch) -> None:
    """``.venv/bin/python3.11`` and ``.venv/bin/python`` are one interpreter (the Makefile's kernelspec)."""
    major, minor = sys.version_info[:2]
    alias = Path(sys.executable).with_name(f"python{major}.{minor}")
    if not alias.exists() or alias == Path(sys.executable):
        alias = tmp_path / "bin" / f"python{major}.{minor}"  # a venv-like folder of links to this interpreter
        alias.parent.mkdir()
        alias.symlink_to(sys.executable)
        (tmp_path / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
        monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path / "jp", "pmo-alias", str(alias))))
    assert kernel_executable("pmo-alias") == str(alias)


def test_the_kernel_check_refuses_another_environment_on_the_same_binary(tmp_path: Path, monkeypatch) -> None:
    """The base Python a venv links to is the same file on disk, but not this environment (another sys.prefix)."""
    base = os.path.realpath(sys.executable)
    if sys.prefix == sys.base_prefix:
        pytest.skip("not running in a virtual environment")
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path / "jp", "pmo-base", base)))
    with pytest.raises(ReportExecutionError, match=f"runs {base}, not this environment's"):
        kernel_executable("pmo-base")
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(tmp_path / "jp2", "pmo-none", str(tmp_path / "no-python"))))
    with pytest.raises(ReportExecutionError, match="ipykernel install --sys-prefix"):
        kernel_executable("pmo-none")


def test_the_overview_starts_the_next_reports_spare_kernel_while_it_executes(tmp_path: Path, monkeypatch) -> None:
    """The overview's kernel is never used again: the spare for the worker's next report starts before the overview
    executes, not once it has (the next report would otherwise wait for a kernel to start); a program report keeps
    its kernel for the next one and starts no spare."""
    import papermill

    from pmo_nb.run import worker

    mine = Kernels()
    events: list[str] = []
    real_spare, real_execute = mine.start_spare, papermill.execute_notebook

    def start_spare(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not mine.has_spare():  # (otherwise a no-op)
            events.append("spare")
        return real_spare(*args, **kwargs)

    def execute_notebook(notebook, output_path, **kwargs):  # type: ignore[no-untyped-def]
        events.append(f"execute {Path(output_path).stem}")
        try:
            return real_execute(notebook, output_path, **kwargs)
        finally:
            events.append(f"executed {Path(output_path).stem}")

    monkeypatch.setattr(mine, "start_spare", start_spare)
    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    prewarm = worker.Prewarm(kernels.KERNEL_NAME, {BATCH_ENV: "1"}, str(NOTEBOOKS))  # the jobs' kernel environment
    monkeypatch.setattr(worker, "_PREWARM", [prewarm])
    overview = Job(**{**job(tmp_path, "batch_ok", "portfolio", reuse_kernel=True).__dict__, "kind": "portfolio"})
    try:
        mine.start_spare(prewarm.kernel_name, prewarm.env, prewarm.cwd)  # as a worker does when it starts
        results = [execute_report(j, mine) for j in
                   (overview, job(tmp_path, "batch_ok", "PRG-A", reuse_kernel=True),
                    job(tmp_path, "batch_ok", "PRG-B", reuse_kernel=True))]
        assert [r.status for r in results] == ["ok", "ok", "ok"]
        assert events == ["spare", "spare", "execute portfolio", "executed portfolio", "execute PRG-A",
                          "executed PRG-A", "execute PRG-B", "executed PRG-B"]
        assert [(r.kernel_prewarmed, r.kernel_reused) for r in results] == [(True, False), (True, False),
                                                                            (False, True)]
    finally:
        mine.kill()
    assert mine.live == set()


def test_a_terminated_pool_is_left_out_of_the_interpreters_exit_wake_ups() -> None:
    """Python 3.11's exit hook writes to every pool's wake-up pipe without the pool's lock while the pool's
    management thread may be closing it ("OSError: [Errno 9] Bad file descriptor" and a traceback after a
    Ctrl-C, seen in CI): a pool the run terminated is no longer among the pipes that hook writes to."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import process as cf_process

    from pmo_nb.run.pool import terminate_pool

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
    manager = pool._executor_manager_thread
    assert manager in cf_process._threads_wakeups  # what the exit hook would wake
    terminate_pool(pool)
    assert manager not in cf_process._threads_wakeups
    manager.join(10)
    assert not manager.is_alive()  # the pool's thread still ends (the interpreter would join it at exit)
