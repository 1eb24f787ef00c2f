"""``pmo-nb run --cluster``: the reports on a Dask distributed cluster (pmo_nb.run.cluster).

Fast tests cover the pieces on their own: the files a run ships to the workers, a worker's copy of them and its
clean-up, the paths put back in an executed notebook, the worker checks with a stand-in client, what the client
makes of a task that failed, and an unreachable scheduler (the real ``distributed.Client``, on a closed port).

The slow tests run ``pmo-nb run`` for real against a cluster: the scheduler at ``$PMO_TEST_DASK_SCHEDULER``
(``.ci/run`` starts ``dask scheduler`` and two ``dask worker`` processes on loopback) or, without it, a
``distributed.LocalCluster`` of two worker processes with one thread each. The cluster run's reports equal a
local run's byte for byte (same ``SOURCE_DATE_EPOCH``, volatile strings normalised all the same); a run whose
worker is killed while it executes a report still completes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from interrupts import default_sigint

from pmo_nb.cli import cli
from pmo_nb.exceptions import ClusterError, ReportExecutionError
from pmo_nb.paths import SAMPLE_DIR
from pmo_nb.publish import exporters
from pmo_nb.run import cluster as cl
from pmo_nb.run.jobs import Job, ReportResult

distributed = pytest.importorskip("distributed")

PERIOD = "2026-10"
EPOCH = "1793520000"


def job(tmp_path: Path, name: str = "PRG-A", **kw: Any) -> Job:
    nb = tmp_path / "nbs" / "program_report.ipynb"
    nb.parent.mkdir(exist_ok=True)
    if not nb.exists():
        nb.write_text('{"cells": []}', encoding="utf-8")
    fields: dict[str, Any] = {"name": name, "kind": "program", "notebook": str(nb),
                              "parameters": {"program_id": name, "period": PERIOD, "reports_dir": str(tmp_path)},
                              "folder": str(tmp_path / "staging"), "formats": ("html",), "timeout": None}
    return Job(**{**fields, **kw})


# ------------------------------------------------------------------------------------------------ fast
def test_run_files_ship_the_trend_months_the_notebooks_and_the_shared_month(tmp_path: Path) -> None:
    history = tmp_path / "out" / "history"
    history.mkdir(parents=True)
    for month in ("2025-11", "2026-09", "2026-10", "2025-10", "2026-11"):  # 12 months up to 2026-10: 2025-11..
        (history / f"{month}.parquet").write_bytes(month.encode())
    shared = tmp_path / "shared.pickle"
    shared.write_bytes(b"month")
    jobs = [job(tmp_path, "PRG-A", shared=str(shared)), job(tmp_path, "PRG-B", shared=str(shared))]
    files = cl.run_files(jobs, out_dir=tmp_path / "out", period=PERIOD, shared=shared)
    assert sorted(files.history) == ["2025-11.parquet", "2026-09.parquet", "2026-10.parquet"]
    assert files.history["2026-09.parquet"] == b"2026-09"
    assert files.notebooks == {jobs[0].notebook: b'{"cells": []}'}
    assert files.shared == b"month" and files.reports_dir == str(tmp_path / "out")
    again = cl.run_files(jobs, out_dir=tmp_path / "out", period=PERIOD, shared=shared)
    assert again.token != files.token  # two runs never share a worker's copy, even with one run id
    unshared = cl.run_files([replace(j, shared=None) for j in jobs], out_dir=tmp_path / "none", period=PERIOD,
                            shared=shared)
    assert unshared.shared is None and unshared.history == {}


def test_the_branding_files_travel_and_the_workers_month_names_their_copies(tmp_path: Path, monkeypatch) -> None:
    import pickle
    from types import SimpleNamespace

    from pmo_nb.config import load_config

    (tmp_path / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "pmo.toml").write_text('[branding]\nlogo = "logo.svg"\n', encoding="utf-8")
    cfg = load_config(tmp_path / "pmo.toml")
    logo = str(tmp_path / "logo.svg")
    assert cfg.branding.logo == logo
    state = SimpleNamespace(config=cfg, kpis=SimpleNamespace(config=cfg))
    shared = tmp_path / "shared.pickle"
    shared.write_bytes(pickle.dumps({"format": "f", "key": ("k",), "state": state}))
    files = cl.run_files([job(tmp_path, shared=str(shared))], out_dir=tmp_path / "out", period=PERIOD,
                         shared=shared, config=cfg)
    assert files.assets == {logo: b"<svg/>"}
    monkeypatch.setattr(cl, "_local_directory", lambda: tmp_path / "worker")
    (tmp_path / "worker").mkdir()
    run = cl._materialise(files)
    try:
        payload = pickle.loads(Path(run.shared or "").read_bytes())
        copy = payload["state"].config.branding.logo
        assert copy != logo and Path(copy).read_bytes() == b"<svg/>" and Path(copy).is_relative_to(run.root)
        assert payload["state"].kpis.config.branding.logo == copy and payload["key"] == ("k",)
        assert payload["state"].config.branding.logo_data_uri().startswith("data:image/svg+xml;base64,")
    finally:
        cl.finish_run(files.token)
    assert cfg.branding.logo == logo  # the client's settings are untouched


def test_a_worker_writes_the_run_files_once_and_finish_run_removes_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cl, "_local_directory", lambda: tmp_path / "worker")
    (tmp_path / "worker").mkdir()
    files = cl.RunFiles(token="t" * 32, shared=b"month", history={"2026-09.parquet": b"h"},
                        notebooks={"/client/nbs/program_report.ipynb": b"nb"}, reports_dir="/client/out")
    run = cl._materialise(files)
    assert cl._materialise(files) is run
    local = Path(run.notebooks["/client/nbs/program_report.ipynb"])
    assert local.name == "program_report.ipynb" and local.read_bytes() == b"nb"
    assert Path(run.shared or "").read_bytes() == b"month"
    assert (Path(run.reports_dir) / "history" / "2026-09.parquet").read_bytes() == b"h"
    assert run.root.parent == tmp_path / "worker"
    assert cl.finish_run(files.token) is True
    assert not run.root.exists() and cl.finish_run(files.token) is False
    assert run.kernels.closed  # a report still running there starts no other kernel
    late = cl.execute_remote(job(tmp_path), files)  # a report of the run that reaches the worker afterwards
    assert late.result.status == "failed" and late.result.error is not None
    assert late.result.error.ename == "Cancelled" and late.files == {} and files.token not in cl._RUNS


def test_closed_kernels_start_no_kernel() -> None:
    import asyncio

    from pmo_nb.run.kernels import Kernels

    kernels = Kernels()
    kernels.close()
    km = kernels.new("python3")
    with pytest.raises(ReportExecutionError, match="the run was stopped"):
        asyncio.run(km._async_launch_kernel([sys.executable, "-c", "pass"]))
    assert kernels.live == set()


def test_a_run_idle_for_an_hour_is_dropped_when_the_next_run_starts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cl, "_local_directory", lambda: tmp_path)
    old = cl._materialise(cl.RunFiles(token="old", shared=None, history={}, notebooks={}, reports_dir="/o"))
    old.used -= cl.IDLE_RUN_SECONDS + 1
    new = cl._materialise(cl.RunFiles(token="new", shared=None, history={}, notebooks={}, reports_dir="/o"))
    assert "old" not in cl._RUNS and not old.root.exists() and new.root.exists()
    cl.finish_run("new")


def test_worker_paths_in_an_executed_notebook_become_the_clients() -> None:
    paths = {"/w/run": "/c/out", "/w/run/jobs/x": "/c/out/.tmp-2026-10/", "/w/nb/p.ipynb": "/c/nb/p.ipynb"}
    nb = json.dumps({"metadata": {"papermill": {"output_path": "/w/run/jobs/x/notebooks/p.ipynb",
                                                "input_path": "/w/nb/p.ipynb"}},
                     "cells": [{"source": 'reports_dir = "/w/run"\n'}]})
    back = json.loads(cl.to_client_paths(nb, paths))
    assert back["metadata"]["papermill"] == {"output_path": "/c/out/.tmp-2026-10//notebooks/p.ipynb",
                                             "input_path": "/c/nb/p.ipynb"}
    assert back["cells"][0]["source"] == 'reports_dir = "/c/out"\n'


class FakeClient:
    """The calls Cluster.check makes, answered per worker."""

    def __init__(self, versions: dict[str, Any], kernels: dict[str, Any]) -> None:
        self.versions, self.kernels = versions, kernels

    def scheduler_info(self, n_workers: int = 5) -> dict[str, Any]:
        return {"workers": {w: {"nthreads": 1} for w in self.versions}}

    def run(self, function: Any, *args: Any, on_error: str = "raise") -> dict[str, Any]:
        return self.versions if function is not cl.worker_check else self.kernels


def mine() -> str:
    import importlib.metadata

    return importlib.metadata.version("pmo-nb")


def test_check_names_the_worker_without_pmo_nb_and_the_fix() -> None:
    import importlib.metadata

    client = FakeClient({"tcp://w1:1": mine(), "tcp://w2:1": importlib.metadata.PackageNotFoundError("pmo-nb")},
                        {"tcp://w1:1": "/venv/bin/python", "tcp://w2:1": "/venv/bin/python"})
    with pytest.raises(ClusterError, match=r"worker tcp://w2:1 .*has no pmo-nb.*pip install 'pmo-nb\[cluster\]'"):
        cl.Cluster(client, "tcp://s:8786").check("python3")


def test_check_refuses_another_pmo_nb_version_and_a_worker_without_kernel() -> None:
    client = FakeClient({"tcp://w1:1": "0.0.1"}, {"tcp://w1:1": "/venv/bin/python"})
    with pytest.raises(ClusterError, match=r"has pmo-nb 0.0.1, this machine"):
        cl.Cluster(client, "tcp://s:8786").check("python3")
    broken = ReportExecutionError("no Jupyter kernel named 'python3': run `make setup` (on the worker)")
    client = FakeClient({"tcp://w1:1": mine()}, {"tcp://w1:1": broken})
    with pytest.raises(ClusterError, match=r"worker tcp://w1:1 .*cannot run the reports: no Jupyter kernel"):
        cl.Cluster(client, "tcp://s:8786").check("python3")
    ok = cl.Cluster(FakeClient({"tcp://w1:1": mine(), "tcp://w2:1": mine()},
                               {"tcp://w1:1": "/a/python", "tcp://w2:1": "/a/python"}), "tcp://s:8786")
    ok.check("python3")
    assert ok.slots == 2 and ok.kernel_executable == "/a/python"


class Done:
    """A finished future: its result, or the exception it raises."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


def test_the_client_writes_a_reports_files_into_the_staging_folder(tmp_path: Path) -> None:
    j = job(tmp_path)
    Path(j.folder).mkdir()
    res = ReportResult("PRG-A", "program", "ok", 1.0, notebook="notebooks/PRG-A.ipynb")
    outcome = cl.Outcome(res, {"PRG-A.html": b"<html>", "notebooks/PRG-A.ipynb": b"{}"})
    got = cl.Cluster(None, "tcp://s:8786")._collect(Done(outcome), j, distributed)
    assert got is res
    assert (tmp_path / "staging" / "PRG-A.html").read_bytes() == b"<html>"
    assert (tmp_path / "staging" / "notebooks" / "PRG-A.ipynb").read_bytes() == b"{}"
    bad = cl.Outcome(ReportResult("PRG-A", "program", "ok", 1.0), {"../escape.html": b"x"})
    got = cl.Cluster(None, "tcp://s:8786")._collect(Done(bad), j, distributed)
    assert got.status == "failed" and got.error is not None and "outside the run's folder" in got.error.evalue
    assert not (tmp_path / "escape.html").exists()


@pytest.mark.parametrize(("exc", "ename", "says"), [
    (distributed.KilledWorker("pmo-nb-x-PRG-A", "tcp://w:1", 3), "WorkerCrash",
     "died each time it was tried (4 times, the last on tcp://w:1)"),
    (ModuleNotFoundError("No module named 'pmo_nb'", name="pmo_nb"), "ModuleNotFoundError",
     "a Dask worker lacks pmo_nb: install pmo-nb"),
    (OSError(28, "No space left on device"), "OSError", "No space left"),
])
def test_a_task_that_failed_is_that_reports_failure(tmp_path: Path, exc: BaseException, ename: str,
                                                    says: str) -> None:
    got = cl.Cluster(None, "tcp://s:8786")._collect(Done(exc), job(tmp_path), distributed)
    assert got.status == "failed" and got.error is not None
    assert got.error.ename == ename and says in got.error.evalue and got.error.program == "PRG-A"


def test_an_unreachable_scheduler_is_a_cluster_error_naming_the_address() -> None:
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9 .*dask scheduler"):
        cl.connect("tcp://127.0.0.1:9", "python3", timeout=0.5)
    assert time.monotonic() - t0 < 15


def test_cli_unreachable_cluster_is_one_line_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    import dask

    out = tmp_path / "reports"
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        res = CliRunner().invoke(cli, ["run", "--source", str(SAMPLE_DIR), "--out", str(out), "--period", PERIOD,
                                       "--programs", "PRG-DCX", "--formats", "html", "--quiet",
                                       "--cluster", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert "Traceback" not in res.output and not out.exists()


def test_jobs_with_cluster_is_refused_before_connecting(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["run", "--source", str(SAMPLE_DIR), "--out", str(tmp_path / "r"), "--period",
                                   PERIOD, "--jobs", "2", "--cluster", "tcp://127.0.0.1:9"])
    assert res.exit_code == 1 and "leave --jobs out" in res.output
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------------------------------------ slow
@pytest.fixture(scope="module")
def scheduler() -> Any:
    """The address of a cluster of two single-threaded workers on this machine."""
    address = os.environ.get("PMO_TEST_DASK_SCHEDULER")
    if address:
        yield address
        return
    local = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0",
                                     host="127.0.0.1")
    try:
        yield local.scheduler_address
    finally:
        local.close()


def pmo_run(out: Path, *extra: str, programs: str = "PRG-DCX,PRG-ERP") -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PMO_NB_SHARED", "PMO_NB_BATCH")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    cmd = [sys.executable, "-m", "pmo_nb.cli", "run", "--source", str(SAMPLE_DIR), "--out", str(out), "--period",
           PERIOD, "--programs", programs, "--formats", "html", "--quiet", *extra]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)  # interrupted with SIGINT by the Ctrl-C test


def finished(proc: subprocess.Popen[str], timeout: float = 400) -> Path:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out + err
    return Path(proc.args[proc.args.index("--out") + 1]) / PERIOD  # type: ignore[index,union-attr]


def manifest(month: Path) -> dict[str, Any]:
    return json.loads((month / "manifest.json").read_text(encoding="utf-8"))


def normalised(month: Path) -> dict[str, bytes]:
    m = manifest(month)
    out = {}
    for path in sorted(p for p in month.iterdir() if p.suffix in (".html", ".csv")):
        text = path.read_text(encoding="utf-8")
        for s in exporters.volatile_strings(m["generated_at"], m["run_id"]):
            text = text.replace(s, "<volatile>")
        out[path.name] = text.encode("utf-8")
    return out


@pytest.mark.slow
def test_a_cluster_run_publishes_the_same_reports_as_a_local_run(scheduler: str, tmp_path: Path) -> None:
    local = finished(pmo_run(tmp_path / "local", "--jobs", "1"))  # the bytes do not depend on --jobs (determinism)
    remote = finished(pmo_run(tmp_path / "cluster", "--cluster", scheduler))
    theirs, ours = normalised(local), normalised(remote)
    assert sorted(ours) == ["PRG-DCX.html", "PRG-ERP.html", "index.html", "kpis.csv", "portfolio.html"]
    assert [n for n in ours if ours[n] != theirs[n]] == []
    m = manifest(remote)
    assert m["status"] == "ok" and m["jobs"] == 2 and f"--cluster {scheduler}" in m["command"]
    assert sorted(m["files"]) == sorted(manifest(local)["files"])
    from pmo_nb.run.manifest import verify

    assert verify(remote) == []
    nb = (remote / "notebooks" / "PRG-DCX.ipynb").read_text(encoding="utf-8")
    assert json.dumps(str(tmp_path / "cluster"))[1:-1] in nb  # the client's reports_dir, not a worker's


def worker_pids(address: str) -> dict[str, int]:
    with distributed.Client(address, timeout=30, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        return client.run(os.getpid)


def kernel_children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = [int(c) for c in task.read_text().split()]
        except OSError:
            continue
        for kid in kids:
            try:
                if b"ipykernel" in Path(f"/proc/{kid}/cmdline").read_bytes():
                    found.append(kid)
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_a_worker_killed_mid_report_has_its_report_run_elsewhere(scheduler: str, tmp_path: Path) -> None:
    pids = worker_pids(scheduler)
    proc = pmo_run(tmp_path / "killed", "--cluster", scheduler, programs="PRG-DCX")
    victim = None
    deadline = time.monotonic() + 300
    while victim is None and proc.poll() is None and time.monotonic() < deadline:
        victim = next((pid for pid in pids.values() if kernel_children(pid)), None)
        time.sleep(0.2)
    assert victim is not None, "no worker started a kernel"
    os.kill(victim, signal.SIGKILL)
    month = finished(proc)
    m = manifest(month)
    assert m["status"] == "ok" and [r["name"] for r in m["reports"]] == ["portfolio", "PRG-DCX"]
    assert victim not in {r["worker_pid"] for r in m["reports"]}
    assert (month / "PRG-DCX.html").is_file() and (month / "portfolio.html").is_file()
    worker_pids(scheduler)  # the nanny has restarted the worker: two again for the next test


@pytest.mark.slow
def test_ctrl_c_stops_the_runs_kernels_on_the_workers_and_publishes_nothing(scheduler: str, tmp_path: Path) -> None:
    pids = worker_pids(scheduler)
    proc = pmo_run(tmp_path / "stopped", "--cluster", scheduler, programs="PRG-DCX")
    deadline = time.monotonic() + 300

    def mid_run() -> bool:
        """This run's staging folder exists (it is connected) and a worker has a kernel (a report runs)."""
        staged = list((tmp_path / "stopped").glob(f".tmp-{PERIOD}-*"))
        return bool(staged) and any(kernel_children(pid) for pid in pids.values())

    while not mid_run() and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip().splitlines()[-1].startswith("interrupted")
    assert not (tmp_path / "stopped" / PERIOD).exists()
    deadline = time.monotonic() + 20
    while any(kernel_children(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {pid: kernel_children(pid) for pid in pids.values()} == {pid: [] for pid in pids.values()}
