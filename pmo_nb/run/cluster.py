"""The run's reports on a Dask distributed cluster (``pmo-nb run --cluster tcp://HOST:8786``).

The run stays the same up to the reports and after them: this process (the client) validates the source,
computes the month once, stages, publishes and writes the manifest, pack and index. Only the reports go to the
cluster, in place of the local pool (:func:`pmo_nb.run.pool.run_reports`):

* :func:`connect` reaches the scheduler and checks every worker before anything is written: each has the same
  pmo-nb as this process and a Jupyter kernel of its own environment (:func:`worker_check`). Any problem is one
  :class:`~pmo_nb.exceptions.ClusterError` naming the address (or worker) and the fix.
* :meth:`Cluster.run_reports` scatters the run's files once to every worker (:class:`RunFiles`: the pickled
  month, the trend months of ``OUT/history/``, the report notebooks, the branding files of pmo.toml) since
  workers need not share this machine's file system, then submits one task per report (:func:`execute_remote`).
* On a worker, :func:`execute_remote` writes those files into the worker's local directory once per run,
  executes and renders the report with :func:`pmo_nb.run.worker.execute_report` in the worker's own kernels
  (kept for its next report of the run, as in the local pool), and returns the :class:`ReportResult` with every
  file the report wrote, as bytes. Paths of the worker in the executed notebook are put back as this machine's
  (``reports_dir``, papermill's input and output paths), so the notebook reads as a local run's.
* The client writes those files into its staging folder; from there on the run is a local run's.

A worker runs one report at a time, whatever its thread count (its kernels are one set per process). A worker
that dies mid-report has the report rescheduled on another by the scheduler, up to the scheduler's
``distributed.scheduler.allowed-failures`` (3 by default); after that the report fails as "WorkerCrash" and
the others complete. When the run ends (or stops), :func:`finish_run` on every worker kills the run's kernels
and removes its files. Nothing here reads or writes the client's file system on a worker.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.metadata
import json
import pickle
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pmo_nb.config import Config
from pmo_nb.exceptions import ClusterError, DiskFullError, ReportExecutionError
from pmo_nb.periods import Period
from pmo_nb.run.jobs import Job, ReportResult
from pmo_nb.run.kernels import Kernels, kernel_executable
from pmo_nb.run.manifest import first_line
from pmo_nb.run.staging import inside, write_bytes
from pmo_nb.run.worker import execute_report, import_object, prepare_process, report_error

__all__ = ["Cluster", "RunFiles", "Outcome", "connect", "run_files", "execute_remote", "worker_check",
           "finish_run", "to_client_paths", "local_branding", "DIST", "TASK_RETRIES", "IDLE_RUN_SECONDS"]

DIST = "pmo-nb"
"""The distribution every worker must have installed, at this process's version."""
TASK_RETRIES = 1
"""Further attempts of a report whose task raised (not one whose notebook failed: that is the report's result)."""
IDLE_RUN_SECONDS = 3600.0
"""A worker drops the files and kernels of a run it has had no report of for this long (a client that died)."""
INSTALL_FIX = ("install pmo-nb with its cluster extra on every worker (`pip install 'pmo-nb[cluster]'`, the same "
               "version as here) and its kernel (`python -m ipykernel install --sys-prefix --name python3`)")


@dataclass(frozen=True)
class RunFiles:
    """What every worker needs for one run, sent once (scattered) to each: the workers may not share this
    machine's file system.

    Parameters
    ----------
    token:
        Unique to this run (two runs may share a run id under ``SOURCE_DATE_EPOCH``).
    shared:
        The pickled computed month (``pmo_nb.metrics.month.write_shared``), or None when the run shares none.
    history:
        File name -> bytes of the months of ``OUT/history/`` the trends read.
    notebooks:
        The report notebooks by their path on this machine (the jobs name them so) -> bytes.
    reports_dir:
        The run's ``--out`` on this machine (the notebooks' ``reports_dir``).
    assets:
        Files pmo.toml names that the kernels read (the branding logo and font), by their path here -> bytes.
    setup:
        ``"module:function"`` called once in each worker process (tests and instrumentation).
    """

    token: str
    shared: bytes | None
    history: dict[str, bytes]
    notebooks: dict[str, bytes]
    reports_dir: str
    assets: dict[str, bytes] = field(default_factory=dict)
    setup: str | None = None


@dataclass
class Outcome:
    """A report done on a worker: its result, and every file it wrote (path relative to the month -> bytes)."""

    result: ReportResult
    files: dict[str, bytes] = field(default_factory=dict)


def run_files(jobs: Sequence[Job], *, out_dir: Path, period: Period | str, shared: Path | None,
              config: Config | None = None, setup: str | None = None) -> RunFiles:
    """The :class:`RunFiles` of a run whose ``jobs`` are planned (notebooks resolved, ``shared`` written);
    ``config`` names the branding files to send."""
    from pmo_nb.metrics.history import TREND_MONTHS, month_path

    history = {}
    last = Period(period)
    for k in range(TREND_MONTHS):
        path = month_path(out_dir, last.shift(-k))
        if path.is_file():
            history[path.name] = path.read_bytes()
    notebooks = {job.notebook: Path(job.notebook).read_bytes() for job in jobs}
    data = shared.read_bytes() if shared is not None and any(j.shared for j in jobs) else None
    assets: dict[str, bytes] = {}
    branding = config.branding if config is not None else None
    for asset in (branding.logo, branding.font_file) if branding is not None else ():
        if asset and Path(asset).is_file():
            assets[asset] = Path(asset).read_bytes()
    return RunFiles(token=uuid.uuid4().hex, shared=data, history=history, notebooks=notebooks,
                    reports_dir=str(out_dir), assets=assets, setup=setup)


# ------------------------------------------------------------------------------------------------ client side
def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError("--cluster needs the distributed package, which is not installed here: "
                           "pip install 'pmo-nb[cluster]'") from None
    return distributed


def connect(address: str, kernel_name: str, *, timeout: float | None = None) -> Cluster:
    """Connect to the scheduler at ``address`` and check its workers; :class:`ClusterError` on any problem.

    ``timeout`` (seconds) bounds the connection and the wait for a first worker (default: Dask's
    ``distributed.comm.timeouts.connect``, 30 s unless configured).
    """
    distributed = _distributed()
    import dask

    address = str(address).strip()
    if timeout is None:
        timeout = float(dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect")))
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({first_line(exc) or type(exc).__name__}): start one "
            f"there (`dask scheduler`, then `dask worker {address}` on each worker machine) or fix --cluster "
            "(tcp://HOST:8786); nothing was written", address=address) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception:
            raise ClusterError(f"the Dask scheduler at {address} has no workers: start some with `dask worker "
                               f"{address} --nthreads 1` where pmo-nb is installed; nothing was written",
                               address=address) from None
        cluster = Cluster(client, address)
        cluster.check(kernel_name)
    except BaseException:
        with contextlib.suppress(Exception):
            client.close()
        raise
    return cluster


class Cluster:
    """A connection to a Dask scheduler that runs a month's reports on its workers."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        self.threads: dict[str, int] = {}
        self.kernel_executables: dict[str, str] = {}
        self._tokens: list[str] = []

    @property
    def slots(self) -> int:
        """Reports the cluster runs at once: one per worker (a worker runs one report at a time)."""
        return max(1, len(self.threads))

    @property
    def kernel_executable(self) -> str:
        """The workers' kernel interpreter (several, comma-separated, when they differ)."""
        return ", ".join(sorted(set(self.kernel_executables.values())))

    def check(self, kernel_name: str) -> None:
        """Every worker has this pmo-nb and a kernel ``kernel_name`` of its own environment; else ClusterError."""
        info = self.client.scheduler_info(n_workers=-1)
        self.threads = {addr: int(w.get("nthreads", 1)) for addr, w in info.get("workers", {}).items()}
        mine = importlib.metadata.version(DIST)
        found = self.client.run(importlib.metadata.version, DIST, on_error="return")
        for worker, version in sorted(found.items()):
            if isinstance(version, BaseException):
                raise ClusterError(f"the Dask worker {worker} (scheduler {self.address}) has no pmo-nb "
                                   f"({first_line(version) or type(version).__name__}): {INSTALL_FIX}",
                                   address=worker)
            if version != mine:
                raise ClusterError(f"the Dask worker {worker} (scheduler {self.address}) has pmo-nb {version}, "
                                   f"this machine {mine}: the reports would differ; {INSTALL_FIX}", address=worker)
        kernels = self.client.run(worker_check, kernel_name, on_error="return")
        for worker, exe in sorted(kernels.items()):
            if isinstance(exe, BaseException):
                raise ClusterError(f"the Dask worker {worker} (scheduler {self.address}) cannot run the reports: "
                                   f"{first_line(exe)}", address=worker)
            self.kernel_executables[worker] = str(exe)

    def run_reports(self, jobs: Sequence[Job], files: RunFiles, *, progress: bool = True,
                    while_running: Callable[[], None] | None = None) -> list[ReportResult]:
        """Execute and render ``jobs`` on the workers; their files are written into each job's ``folder`` (the
        staging folder). Results in job order; a report's failure is in its result, never raised."""
        from tqdm import tqdm

        distributed = _distributed()
        self._tokens.append(files.token)
        bar = tqdm(total=len(jobs), unit="report", desc="reports", file=sys.stderr, disable=not progress,
                   dynamic_ncols=True)
        results: dict[str, ReportResult] = {}
        futures: dict[Any, Job] = {}
        try:
            scattered = self.client.scatter(files, broadcast=True, hash=False)
            for job in jobs:
                fut = self.client.submit(execute_remote, job, scattered, key=f"pmo-nb-{files.token}-{job.name}",
                                         retries=TASK_RETRIES, pure=False)
                futures[fut] = job
            if while_running is not None:
                while_running()
            for fut in distributed.as_completed(list(futures), loop=self.client.loop):
                job = futures[fut]
                results[job.name] = self._collect(fut, job, distributed)
                bar.update(1)
                ok = sum(r.ok for r in results.values())
                bar.set_postfix_str(f"ok {ok}, failed {len(results) - ok}, "
                                    f"running {min(self.slots, len(jobs) - len(results))}")
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.cancel(list(futures), force=True)
            raise
        finally:
            bar.close()
        return [results[j.name] for j in jobs]

    def _collect(self, fut: Any, job: Job, distributed: Any) -> ReportResult:
        """The report's result with its files written into the staging folder."""
        try:
            outcome: Outcome = fut.result()
        except distributed.KilledWorker as exc:
            tries, last = _killed(exc)
            return ReportResult(job.name, job.kind, "failed", 0.0, error=report_error(
                job, "WorkerCrash", f"the Dask workers running this report died each time it was tried ({tries}, "
                f"the last on {last}); their logs say why (out of memory?)"))
        except ModuleNotFoundError as exc:
            return ReportResult(job.name, job.kind, "failed", 0.0, error=report_error(
                job, "ModuleNotFoundError", f"a Dask worker lacks {exc.name or 'a module'}: {INSTALL_FIX}"))
        except Exception as exc:  # the task itself failed (a bug, or the worker's disk), after its retries
            return ReportResult(job.name, job.kind, "failed", 0.0,
                                error=report_error(job, type(exc).__name__, exc))
        result = outcome.result
        folder = Path(job.folder)
        try:
            for rel, data in sorted(outcome.files.items()):
                path = inside(folder / rel, folder)
                path.parent.mkdir(parents=True, exist_ok=True)
                write_bytes(path, data)
        except DiskFullError as exc:
            result.status = "failed"
            result.outputs = {}
            result.error = report_error(job, "DiskFullError", exc, path=exc.path)
        except ReportExecutionError as exc:  # a file named outside the staging folder: never written
            result.status = "failed"
            result.outputs = {}
            result.error = report_error(job, "ReportExecutionError", exc)
        return result

    def close(self) -> None:
        """Drop this client's runs on every worker (their kernels and files), then disconnect."""
        for token in self._tokens:
            with contextlib.suppress(Exception):
                self.client.run(finish_run, token, on_error="ignore")
        with contextlib.suppress(Exception):
            self.client.close(timeout=10)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _killed(exc: BaseException) -> tuple[str, str]:
    """("N times", last worker's address) of a ``KilledWorker``, as far as it tells."""
    args = tuple(getattr(exc, "args", ()))
    tries = f"{args[2] + 1} times" if len(args) > 2 and isinstance(args[2], int) else "several times"
    last = str(getattr(args[1], "address", args[1])) if len(args) > 1 else "an unknown worker"
    return tries, last


# ------------------------------------------------------------------------------------------------ worker side
@dataclass
class _WorkerRun:
    """One run's files on a worker, and the kernels its reports ran in."""

    root: Path
    notebooks: dict[str, str]  # the client's notebook path -> the worker's copy
    shared: str | None
    reports_dir: str
    kernels: Kernels = field(default_factory=Kernels)
    used: float = field(default_factory=time.monotonic)


_ONE_AT_A_TIME = threading.Lock()
_RUNS: dict[str, _WorkerRun] = {}
_FINISHED: set[str] = set()
_PREPARED: list[str | None] = []


def worker_check(kernel_name: str) -> str:
    """On a worker: the interpreter of its kernel ``kernel_name`` (ReportExecutionError naming the fix if it
    has none, or one of another environment)."""
    try:
        return kernel_executable(kernel_name)
    except ReportExecutionError as exc:
        raise ReportExecutionError(f"{exc} (on the worker)") from None


def _local_directory() -> Path:
    """The worker's own scratch directory (Dask removes it with the worker), else the temporary directory."""
    with contextlib.suppress(Exception):
        from distributed import get_worker

        return Path(get_worker().local_directory)
    return Path(tempfile.gettempdir())


def _unpack(root: Path, kind: str, files: dict[str, bytes]) -> dict[str, str]:
    """Write the client's files under ``root`` (one folder each, keeping the file name): client path -> local path."""
    local_paths = {}
    for i, (client_path, data) in enumerate(sorted(files.items())):
        local = root / f"{kind}-{i}" / Path(client_path).name
        local.parent.mkdir()
        local.write_bytes(data)
        local_paths[client_path] = str(local)
    return local_paths


def _materialise(files: RunFiles) -> _WorkerRun:
    """This worker's copy of the run's files, written on its first report of the run."""
    run = _RUNS.get(files.token)
    if run is not None:
        run.used = time.monotonic()
        return run
    for token, other in list(_RUNS.items()):  # runs whose client went away without finishing them
        if time.monotonic() - other.used > IDLE_RUN_SECONDS:
            finish_run(token)
    root = Path(tempfile.mkdtemp(prefix=f"pmo-nb-{files.token[:12]}-", dir=_local_directory()))
    notebooks = _unpack(root, "notebook", files.notebooks)
    assets = _unpack(root, "asset", files.assets)
    shared = None
    if files.shared is not None:
        shared = root / "shared-state.pickle"
        shared.write_bytes(local_branding(files.shared, assets) if assets else files.shared)
    history = root / "reports" / "history"
    history.mkdir(parents=True)
    for name, data in files.history.items():
        (history / Path(name).name).write_bytes(data)
    run = _WorkerRun(root=root, notebooks=notebooks, shared=None if shared is None else str(shared),
                     reports_dir=str(root / "reports"))
    _RUNS[files.token] = run
    atexit.register(run.kernels.kill)  # a worker that stops takes the run's kept kernels with it
    return run


def local_branding(shared: bytes, assets: Mapping[str, str]) -> bytes:
    """The pickled month ``shared`` with its branding files (logo, font) named by their copies ``assets`` here.

    The month's settings are shared by its KPIs and reports (one object in the pickle), so the one branding
    object is changed in place; the key the kernels compare is untouched. A pickle that is not a month is
    returned as is (the kernels then ignore it, as in a local run).
    """
    payload = pickle.loads(shared)  # noqa: S301 - written by this run's client for this run
    state = payload.get("state") if isinstance(payload, dict) else None
    branding = getattr(getattr(state, "config", None), "branding", None)
    if branding is None:
        return shared
    for name in ("logo", "font"):
        value = getattr(branding, name, "")
        if value in assets:
            object.__setattr__(branding, name, assets[value])  # a frozen dataclass: this worker's copy only
    return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


def _prepare(formats: tuple[str, ...], setup: str | None) -> None:
    if not _PREPARED:
        prepare_process(formats)
        _PREPARED.append(setup)
        if setup:
            import_object(setup)()


def to_client_paths(text: str, paths: Mapping[str, str]) -> str:
    """``text`` (an executed notebook's JSON) with each worker path of ``paths`` put back as the client's."""
    for worker_path, client_path in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(json.dumps(worker_path)[1:-1], json.dumps(client_path)[1:-1])
    return text


def execute_remote(job: Job, files: RunFiles) -> Outcome:
    """On a worker: execute and render ``job`` (planned with the client's paths) with the run's ``files``;
    the result and every file the report wrote, as bytes."""
    with _ONE_AT_A_TIME:  # one set of kernels per process: one report at a time
        if files.token in _FINISHED:  # the run has ended (stopped): nothing to do
            return Outcome(ReportResult(job.name, job.kind, "failed", 0.0,
                                        error=report_error(job, "Cancelled", "the run was stopped")))
        _prepare(job.formats, files.setup)
        run = _materialise(files)
        folder = Path(tempfile.mkdtemp(prefix=f"{job.name}-", dir=run.root))
        try:
            (folder / "notebooks").mkdir()
            params = dict(job.parameters)
            if "reports_dir" in params:
                params["reports_dir"] = run.reports_dir
            local = replace(job, notebook=run.notebooks[job.notebook], folder=str(folder), parameters=params,
                            shared=run.shared if job.shared else None)
            result = execute_report(local, run.kernels)
            if run.kernels.closed:  # stopped meanwhile: no kernel of the run stays
                run.kernels.kill()
            paths = {str(folder): job.folder, local.notebook: job.notebook, run.reports_dir: files.reports_dir,
                     str(Path(local.notebook).parent): str(Path(job.notebook).parent)}
            out: dict[str, bytes] = {}
            for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
                rel = path.relative_to(folder).as_posix()
                data = path.read_bytes()
                if path.suffix == ".ipynb":
                    data = to_client_paths(data.decode("utf-8"), paths).encode("utf-8")
                out[rel] = data
            if result.error is not None:
                result.error.notebook = job.notebook
            run.used = time.monotonic()
            return Outcome(result=result, files=out)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def finish_run(token: str) -> bool:
    """On a worker: kill the kernels of run ``token`` (a report still running there fails, and starts no other
    kernel) and remove its files; a report of the run that comes later is not run. True if the worker had any."""
    _FINISHED.add(token)
    run = _RUNS.pop(token, None)
    if run is None:
        return False
    run.kernels.close()
    shutil.rmtree(run.root, ignore_errors=True)
    return True

