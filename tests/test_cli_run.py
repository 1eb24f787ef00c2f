"""`pmo-nb run`: bad input writes nothing, a failed report exits 1 with a summary, and SIGINT/SIGTERM
during a run leave the published reports untouched with no temp folder and no orphan kernel."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from interrupts import default_sigint
from test_batch import PROGRAMS, write_source
from testdata import data_path

from pmo_nb.cli import cli
from pmo_nb.run.manifest import read_manifest, verify

NOTEBOOKS = data_path("notebooks")


def run_args(src: Path, out: Path, program_nb: str = "batch_ok", *extra: str) -> list[str]:
    return ["run", "--source", str(src), "--out", str(out), "--period", "2026-10",
            "--program-notebook", str(NOTEBOOKS / f"{program_nb}.ipynb"),
            "--portfolio-notebook", str(NOTEBOOKS / "batch_ok.ipynb"), *extra]


def test_invalid_data_prints_the_findings_and_writes_nothing(tmp_path: Path) -> None:
    src = write_source(tmp_path / "src")
    (src / "programs.csv").write_text(PROGRAMS.replace("PRG-C,", "PRG/C,"), encoding="utf-8")
    out = tmp_path / "reports"
    res = CliRunner().invoke(cli, run_args(src, out))
    assert res.exit_code == 1
    assert "programs.csv" in res.stderr and "PRG/C" in res.stderr and "used as a file name" in res.stderr
    assert "Nothing was run or written" in res.stderr
    assert "Traceback" not in res.output + res.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--programs", "PRG-A,PRG-X"], 1, "unknown program 'PRG-X'"),
        (["--period", "2026-13"], 2, "period '2026-13' is not a month: use YYYY-MM, e.g. 2026-10"),
        (["--period", "2026-1 "], 2, "period '2026-1 ' is not a month: use YYYY-MM, e.g. 2026-10"),
        (["--period", "10/2025"], 2, "period '10/2025' is not a month: use YYYY-MM, e.g. 2026-10"),
        (["--period", "2027-01"], 1, "outside the data, which covers 2026-08 to 2026-10"),
    ],
)
def test_bad_program_or_period_exits_with_one_line_and_writes_nothing(tmp_path: Path, extra: list[str], code: int,
                                                                      message: str) -> None:
    src = write_source(tmp_path / "src")
    out = tmp_path / "reports"
    res = CliRunner().invoke(cli, run_args(src, out) + extra)
    assert res.exit_code == code, res.output
    assert message in res.stderr and res.stderr.startswith("error: ")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output  # one line, no usage block
    assert not out.exists()


@pytest.mark.parametrize("command", ["run", "kpis", "sample"])
def test_every_period_option_goes_through_period_param(command: str, tmp_path: Path) -> None:
    args = {"run": ["run", "--out", str(tmp_path / "r")], "kpis": ["kpis", str(tmp_path)],
            "sample": ["sample", "--out", str(tmp_path / "s")]}[command]
    res = CliRunner().invoke(cli, [*args, "--period", "2026-1 "])
    assert (res.exit_code, res.stderr) == (2, "error: Invalid value for '--period': period '2026-1 ' is not a "
                                              "month: use YYYY-MM, e.g. 2026-10\n")


def test_period_param_trims_and_converts_to_a_period() -> None:
    from pmo_nb.cli import PERIOD
    from pmo_nb.periods import Period

    value = PERIOD.convert(" 2026-10 ", None, None)
    assert isinstance(value, Period) and value == "2026-10" and value.previous() == "2026-09"


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, run_args(write_source(tmp_path / "src"), tmp_path / "r", "batch_ok",
                                           "--formats", "html,docx"))
    assert res.exit_code == 2 and "docx: use html, pdf (comma-separated, e.g. html,pdf)" in res.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_failed_report_exits_1_with_a_summary_and_the_rest_published(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_NB_TEST_FAULT", "PRG-B")
    src = write_source(tmp_path / "src")
    nbs = tmp_path / "nbs"  # a private copy: the kernels' cwd identifies them
    nbs.mkdir()
    for name in ("batch_raise", "batch_ok"):
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", nbs)
    out = tmp_path / "reports"
    args = ["run", "--source", str(src), "--out", str(out), "--programs", "PRG-A,PRG-B,PRG-C", "--formats",
            "html", "--jobs", "1", "--quiet", "--reuse-kernels", "--program-notebook",
            str(nbs / "batch_raise.ipynb"), "--portfolio-notebook", str(nbs / "batch_ok.ipynb")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["report", "status", "time", "error"]
    assert len(lines) == 2  # --quiet: only the failed report
    assert lines[1].startswith("PRG-B") and " failed " in lines[1]
    assert lines[1].endswith("ValueError: deliberate failure for PRG-B [cell 5: if program_id == FAULT:]")
    assert "1 of 4 reports failed for 2026-10" in res.stderr
    assert "reports:" not in res.stderr  # no progress bar
    month = out / "2026-10"
    assert sorted(p.name for p in month.iterdir()) == ["PRG-A.html", "PRG-C.html", "index.html", "kpis.csv",
                                                      "manifest.json", "notebooks", "portfolio.html"]
    assert (month / "notebooks" / "PRG-B.ipynb").is_file()
    m = read_manifest(month)
    assert m["kernel"]["reuse"] is True and verify(month) == []
    # one worker: PRG-B ran in PRG-A's kernel; PRG-B failed, so PRG-C got a fresh one
    assert {r["name"]: r["kernel_reused"] for r in m["reports"]} == {
        "portfolio": False, "PRG-A": False, "PRG-B": True, "PRG-C": False}
    deadline = time.monotonic() + 10
    while kernels_in(nbs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_in(nbs) == []  # kept kernels went with their workers


# --- interrupting a real run --------------------------------------------------------------------------


def start_sleeping_run(src: Path, out: Path, nbs: Path, *extra: str) -> subprocess.Popen:
    """`pmo-nb run` in its own process group, in which PRG-A's notebook sleeps 60 s; returns once a kernel
    runs and the staging folder exists, i.e. mid-run, ready to be interrupted."""
    cmd = [sys.executable, "-m", "pmo_nb.cli", "run", "--source", str(src), "--out", str(out), "--period",
           "2026-10", "--formats", "html", "--jobs", "2", "--quiet", *extra,
           "--program-notebook", str(nbs / "batch_sleep.ipynb"),
           "--portfolio-notebook", str(nbs / "batch_ok.ipynb")]
    env = {**os.environ, "PMO_NB_TEST_FAULT": "PRG-A"}  # PRG-A sleeps 60 s
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    while not (kernels_in(nbs) and list(out.glob(".tmp-2026-10-*"))):
        if proc.poll() is not None or time.monotonic() >= deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"no kernel started: {proc.communicate()}")
        time.sleep(0.2)
    return proc


def kernels_in(cwd: Path) -> list[int]:
    """PIDs of processes whose working directory is ``cwd`` (the kernels of the run under test)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd") == str(cwd):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc")
@pytest.mark.parametrize(("signum", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_interrupted_run_leaves_previous_reports_and_no_temp_or_kernel(
    tmp_path: Path, signum: int, group: bool
) -> None:
    src = write_source(tmp_path / "src")
    nbs = tmp_path / "nbs"  # a private copy: the kernels' cwd identifies them
    nbs.mkdir()
    for name in ("batch_sleep", "batch_ok"):
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", nbs)
    out = tmp_path / "reports"
    month = out / "2026-10"
    month.mkdir(parents=True)
    (month / "PRG-A.html").write_text("published last week")
    before = sorted(p.name for p in out.iterdir())
    proc = start_sleeping_run(src, out, nbs)
    try:
        if group:
            os.killpg(proc.pid, signum)  # Ctrl-C in a terminal reaches the whole process group
        else:
            os.kill(proc.pid, signum)  # e.g. `kill PID`: only the parent is told
        stdout, stderr = proc.communicate(timeout=90)  # a bound on a hang, not a timing: the clean-up takes seconds
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + signum, stderr
    assert "nothing was published; earlier reports are untouched" in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == before  # no .tmp-*, no lock left behind
    assert sorted(p.name for p in month.iterdir()) == ["PRG-A.html"]
    assert (month / "PRG-A.html").read_text() == "published last week"
    deadline = time.monotonic() + 10
    while kernels_in(nbs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_in(nbs) == []


def descendants(pid: int) -> dict[int, str]:
    """Live descendants of ``pid`` (pid -> start time, so a reused pid is not taken for the same process)."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            parents[int(entry.name)] = (int(fields[1]), fields[19])
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, start) in parents.items():
            if ppid == parent and child not in found:
                found[child] = start
                todo.append(child)
    return found


def still_running(procs: dict[int, str]) -> list[int]:
    """Those of ``procs`` still alive (not gone, not a zombie, not a new process reusing the pid)."""
    alive = []
    for pid, start in procs.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and fields[19] == start:
            alive.append(pid)
    return alive


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and prctl")
def test_kill_9_of_the_parent_leaves_no_worker_or_kernel(tmp_path: Path) -> None:
    src = write_source(tmp_path / "src")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for name in ("batch_sleep", "batch_ok"):
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", nbs)
    out = tmp_path / "reports"
    proc = start_sleeping_run(src, out, nbs)
    run_procs: dict[int, str] = {}
    try:
        time.sleep(1)  # both workers up, each with a kernel
        run_procs = descendants(proc.pid)
        assert len(run_procs) >= 3 and kernels_in(nbs), run_procs  # two workers and at least one kernel
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while still_running(run_procs) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert still_running(run_procs) == [] and kernels_in(nbs) == []
    finally:  # whatever the outcome, nothing of this test's run stays behind
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in [*still_running(run_procs), *kernels_in(nbs)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_without_out_the_month_goes_to_reports_of_the_current_folder(tmp_path: Path, monkeypatch) -> None:
    from pmo_nb.paths import PROJ_ROOT

    src = write_source(tmp_path / "src")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    before = sorted(p.name for p in (PROJ_ROOT / "reports").glob("*")) if (PROJ_ROOT / "reports").is_dir() else []
    args = [a for a in run_args(src, tmp_path / "unused") if a not in ("--out", str(tmp_path / "unused"))]
    res = CliRunner().invoke(cli, [*args, "--programs", "PRG-A", "--formats", "html", "--jobs", "1", "--quiet"])
    assert res.exit_code == 0, res.output + res.stderr
    assert (here / "reports" / "2026-10" / "PRG-A.html").is_file()
    assert not (tmp_path / "unused").exists()
    after = sorted(p.name for p in (PROJ_ROOT / "reports").glob("*")) if (PROJ_ROOT / "reports").is_dir() else []
    assert after == before  # nothing next to the package


def test_an_out_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.write_text("not a folder")
    res = CliRunner().invoke(cli, run_args(write_source(tmp_path / "src"), out))
    assert res.exit_code == 2 and "Traceback" not in res.output + res.stderr
    assert res.stderr == f"error: Invalid value for '--out': Directory '{out}' is a file.\n"
    assert out.read_text() == "not a folder"


@pytest.mark.parametrize(("extra", "message"), [
    (["--jobs", "0"], "error: Invalid value for '--jobs': 0 is not in the range x>=1.\n"),
    (["--formats", "docx"], "error: Invalid value for '--formats': docx: use html, pdf (comma-separated, e.g. "
                            "html,pdf)\n"),
    (["--no-such-option"], "error: No such option '--no-such-option'.\n"),
])
def test_every_bad_run_option_is_one_line_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, run_args(write_source(tmp_path / "src"), tmp_path / "r", "batch_ok", *extra))
    assert (res.exit_code, res.stderr) == (2, message)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_pmo_nb_jobs_is_one_line_naming_the_variable(tmp_path: Path, monkeypatch, value: str) -> None:
    monkeypatch.setenv("PMO_NB_JOBS", value)
    res = CliRunner().invoke(cli, run_args(write_source(tmp_path / "src"), tmp_path / "r", "batch_ok"))
    assert res.exit_code == 1 and "Traceback" not in res.output + res.stderr  # as a bad pmo.toml
    assert res.stderr == (f"error: PMO_NB_JOBS={value!r}: must be a whole number of worker processes, at least 1; "
                          "set it to e.g. 2 or unset it (one worker per CPU), or pass --jobs\n")
    assert not (tmp_path / "r").exists()


def test_pmo_nb_jobs_is_the_default_and_jobs_wins(monkeypatch) -> None:
    from pmo_nb.run.monthly import default_jobs

    monkeypatch.delenv("PMO_NB_JOBS", raising=False)
    assert default_jobs() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("PMO_NB_JOBS", " 3 ")
    assert default_jobs() == 3


@pytest.mark.slow
def test_a_run_without_jobs_has_pmo_nb_jobs_workers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PMO_NB_JOBS", "1")
    res = CliRunner().invoke(cli, run_args(write_source(tmp_path / "src"), tmp_path / "r", "batch_ok", "--programs",
                                           "PRG-A,PRG-B", "--formats", "html", "--quiet"))
    assert res.exit_code == 0, res.output + res.stderr
    m = read_manifest(tmp_path / "r" / "2026-10")
    assert m["jobs"] == 1 and len({r["worker_pid"] for r in m["reports"]}) == 1


@pytest.mark.slow
def test_a_write_refused_while_finishing_the_month_is_one_line_and_publishes_nothing(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    import errno

    from pmo_nb.run import monthly

    def refuse(folder, manifest):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(Path(folder) / "manifest.json"))

    monkeypatch.setattr(monthly, "write_manifest", refuse)
    out = tmp_path / "reports"
    res = CliRunner().invoke(cli, run_args(write_source(tmp_path / "src"), out, "batch_ok", "--programs", "PRG-A",
                                           "--formats", "html", "--jobs", "1", "--quiet"))
    assert res.exit_code == 1 and "Traceback" not in res.output + res.stderr
    assert res.stderr.startswith("error: cannot write ") and res.stderr.count("\n") == 1, res.stderr
    assert "manifest.json: Permission denied; make --out writable" in res.stderr
    assert "nothing was published" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == []  # no month, no staging folder, no lock file
