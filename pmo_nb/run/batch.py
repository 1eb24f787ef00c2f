"""The monthly run: every report of a month, executed in parallel, published atomically.

``run()`` (and ``pmo-nb run``) does, in order:

1. load and validate the source (``pmo_nb.data.ingest.load``); bad data, an unknown program or a bad
   month stops here, before anything is written;
2. create ``OUT/.tmp-<period>-<run id>-<pid>/`` (a staging folder on the same filesystem as ``OUT``)
   guarded by a lock file, and remove stale staging folders of crashed runs (those whose lock is free
   and that are older than this run's start; a running run holds its lock, so it is never touched);
3. execute ``program_report.ipynb`` once per program and ``portfolio_overview.ipynb`` once with
   papermill in a pool of worker PROCESSES (spawned, so each worker imports pandas, altair,
   nbconvert and WeasyPrint once and then handles many reports); a worker executes AND renders its
   report (HTML, PDF), so rendering runs in parallel too. Meanwhile the parent writes ``kpis.csv``;
4. build the executive pack in the parent from the executed notebooks (programs that failed are
   left out with a note), write ``manifest.json`` (see ``pmo_nb.run.manifest``);
5. publish: rename the previous ``OUT/<period>/`` aside, rename the staging folder in, delete the
   old one (rolled back if the second rename fails; SIGINT/SIGTERM are held off during the swap).

A failed report (exception in a cell, cell timeout, dead kernel, render error) never stops the
others; its executed notebook is kept in ``notebooks/`` for debugging and the run ends "failed"
(exit code 1). Only a kernel that fails to START (papermill's port race under parallel launch:
"Address already in use", "Kernel died before replying to kernel_info") is retried, up to
``KERNEL_START_ATTEMPTS`` times with a short backoff; an exception in a cell is never retried.
Ctrl-C or SIGTERM kills the workers and their kernels, removes the staging folder and leaves the
published reports untouched. Two failures also publish nothing (``ReportExecutionError``): a full disk
(ENOSPC/EDQUOT while writing any file of the run, or while swapping it in: ``DiskFullError`` names the
path and says to free space) and a run in which no report got as far as executing (a kernel that never
starts, every worker dead): such a month would only hide the last good one.

Speed: work common to every report is done once. The parent loads and validates the source and
computes the month's KPIs and last month's comparison (``pmo_nb.metrics.month.shared_state``), pickles them
into the staging folder (deleted before publishing) and names the file in the kernels' environment
(``PMO_NB_SHARED``); a notebook's ``build`` uses it only when its key matches the notebook's own
parameters exactly, and otherwise loads as usual. Kernels also get ``PMO_NB_BATCH=1``, which drops the
Vega-Lite 5 copy of each chart that only JupyterLab reads (``pmo_nb.reporting.display``).

The per-report cost that remains is the kernel's: its start (about 0.5-1 s) and, inside it, the
notebook's imports and vl-convert's start-up. By default (``reuse_kernels=True``; ``--no-reuse-kernels``
turns it off) each worker keeps its kernel for its next report of the same notebook, with the
namespace reset in between (``%reset -f``); a kernel whose report failed is never reused. This is
safe because a report depends on nothing a previous report can leave behind: the notebooks set the
renderer, theme and data transformer themselves, Altair 6 names parameters and views by a hash of
their content (not a process-wide counter), and every input comes from the notebook's parameters.
tests/test_determinism.py checks that reuse, ``--jobs`` and the source's row order change no byte of
the HTML, PDF and kpis.csv. ``manifest.json`` records each report's kernel start, execution and
render times, and whether its kernel was reused.

Kernel: papermill runs the kernel named ``KERNEL_NAME`` ("python3"), which ``make setup``
installs into the virtual environment (``python -m ipykernel install --sys-prefix --name python3``).
jupyter_client replaces a kernelspec's ``python`` command with the interpreter that launches it,
so the kernel is this environment's Python; ``kernel_executable()`` checks it before a run and
refuses a kernelspec that points at another interpreter.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import importlib
import logging
import math
import multiprocessing
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pmo_nb.config import Config, load_config
from pmo_nb.exceptions import (
    ConfigError,
    DataValidationError,
    DiskFullError,
    Finding,
    PmoError,
    RenderError,
    ReportExecutionError,
)
from pmo_nb.paths import NOTEBOOKS_DIR, REPORTS_DIR, SAMPLE_DIR
from pmo_nb.run.manifest import build_manifest, first_line, sha256_file, write_manifest

KERNEL_NAME = "python3"
BATCH_ENV = "PMO_NB_BATCH"  # = pmo_nb.reporting.display.BATCH_ENV (not imported: the parent need not load altair)
SHARED_ENV = "PMO_NB_SHARED"  # = pmo_nb.contract.SHARED_ENV
SHARED_NAME = ".shared-state.pickle"
DEFAULT_TIMEOUT = 600.0
FORMATS: tuple[str, ...] = ("html", "pdf")
PROGRAM_NOTEBOOK = NOTEBOOKS_DIR / "program_report.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS_DIR / "portfolio_overview.ipynb"
PORTFOLIO = "portfolio"
KERNEL_START_ATTEMPTS = 3
KERNEL_START_BACKOFF = 0.5  # seconds, multiplied by the attempt number
KERNEL_START_TIMEOUT = 60
LOCK_NAME = ".pmo-nb.lock"

Format = Literal["html", "pdf"]
Kind = Literal["program", "portfolio"]

log = logging.getLogger(__name__)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT (Ctrl-C) or SIGTERM; nothing was published."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# ---------------------------------------------------------------------------------------------
# Jobs and results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One report to execute and render in a worker. Every path is absolute."""

    name: str  # file stem: the program id, or "portfolio"
    kind: Kind
    notebook: str  # the report notebook to execute
    parameters: dict[str, Any]
    folder: str  # the run's staging folder
    formats: tuple[str, ...]
    timeout: float | None
    kernel_name: str = KERNEL_NAME
    generated_at: str | None = None
    reuse_kernel: bool = False
    shared: str | None = None  # the run's shared-state pickle (pmo_nb.metrics.month.read_shared), for the kernel


@dataclass
class ReportResult:
    """What happened to one report. ``timings`` has kernel_start, execute, render_<fmt> (seconds).

    ``error`` (None when ok) has ``ename``, ``evalue`` (first line), ``cell_index`` and ``cell_source``
    (first line of the failing cell). ``cell_index`` is papermill's: the position in the executed
    notebook, counting the injected-parameters cell but not the red error banners papermill adds to the
    saved notebook (the banner sits right above the failing cell).
    """

    name: str
    kind: Kind
    status: Literal["ok", "failed"]
    duration: float
    timings: dict[str, float] = field(default_factory=dict)
    kernel_attempts: int = 0
    kernel_reused: bool = False
    notebook: str | None = None  # relative to the month folder
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # fmt -> {path, sha256}
    error: dict[str, Any] | None = None
    worker_pid: int | None = None
    kernel_executable: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration"] = round(self.duration, 3)
        d["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return d


def _disk_full(path: str | Path) -> dict[str, Any]:
    """A report's error for a full disk; ``path`` (the file being written) tells ``run()`` to stop."""
    return {**_error("DiskFullError", DiskFullError(path)), "path": str(path)}


def _error(ename: str, evalue: object, cell_index: int | None = None, cell_source: object = ""
           ) -> dict[str, Any]:
    return {
        "ename": ename,
        "evalue": first_line(evalue),
        "cell_index": cell_index,
        "cell_source": first_line(cell_source),
    }


# ---------------------------------------------------------------------------------------------
# Worker side
# ---------------------------------------------------------------------------------------------

_LIVE_KERNELS: set[Any] = set()
# Environment variables added to the kernels this process starts (set per report by execute_report):
# PMO_NB_BATCH (pmo_nb.reporting.display.batch_mode) and PMO_NB_SHARED (pmo_nb.metrics.month.read_shared).
_KERNEL_ENV: dict[str, str] = {}


def _kernel_manager_class() -> type:
    """An AsyncKernelManager that remembers its kernel, so a worker can kill it on SIGTERM."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    class TrackedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            self.pmo_executable = kernel_cmd[0] if kernel_cmd else None
            # ipykernel's own log lines (not cell output, which papermill keeps) would litter the
            # terminal of a cron job: discard them.
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            kw["env"] = {**(kw.get("env") or os.environ), **_KERNEL_ENV}
            _LIVE_KERNELS.add(self)
            await KernelManager._async_launch_kernel(self, kernel_cmd, **kw)

    return TrackedKernelManager


_IDLE_KERNELS: dict[str, Any] = {}  # notebook path -> kernel kept for the next report (reuse_kernel)

# Run after a report that succeeded in a kernel that is kept for the next report of the same notebook:
# the user namespace is emptied (``%reset -f``) and the working directory restored. Imported modules
# stay loaded, which is the point (imports, vl-convert's start-up).
RESET_CODE = "%reset -f\nimport os as _pmo_os\n_pmo_os.chdir({cwd!r})\ndel _pmo_os\n"


def _kill_kernels(keep: Iterable[Any] = ()) -> None:
    """Kill every kernel this process started but those in ``keep`` (each runs in its own session)."""
    spare = set(map(id, keep))
    for km in list(_LIVE_KERNELS):
        if id(km) in spare:
            continue
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)  # reap it: no zombie
        with contextlib.suppress(Exception):
            km.cleanup_connection_file()
        _LIVE_KERNELS.discard(km)
        for key in [k for k, v in _IDLE_KERNELS.items() if v is km]:
            del _IDLE_KERNELS[key]


def _worker_terminate(signum: int, frame: object) -> None:
    _kill_kernels()
    os._exit(128 + signum)


def _engine_name(reuse: bool = True) -> str:
    """Register (once) and return the papermill engine for a report: "pmo", or "pmo-reuse" to keep its kernel.

    "pmo" is papermill's nbclient engine, except that the executed notebook is written once, when the
    execution ends (papermill's ``notebook_complete``, which also runs after a cell timeout or a dead
    kernel), instead of twice per cell: rewriting a notebook full of chart outputs some 60 times cost
    about half a second per report. "pmo-reuse" also keeps a handle on the notebook client so that,
    after a successful run, it resets the kernel's namespace and closes the client's channels (the
    kernel manager belongs to the batch, which shuts the kernel down when it is not reused).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    name = "pmo-reuse" if reuse else "pmo"
    with contextlib.suppress(Exception):
        papermill_engines.get_engine(name)
        return name

    class FinalSaveManager(NotebookExecutionManager):
        pmo_final = False

        def save(self, **kwargs: Any) -> None:
            if self.pmo_final:
                super().save(**kwargs)
            else:
                self.last_save_time = self.now()

        def notebook_complete(self, **kwargs: Any) -> None:
            self.pmo_final = True
            super().notebook_complete(**kwargs)

    class FinalSaveEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: Any = None, progress_bar: bool = True,
                             log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
            nb_man = FinalSaveManager(nb, output_path=output_path, progress_bar=progress_bar,
                                      log_output=log_output, autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    class ReusingEngine(FinalSaveEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None, start_timeout: int = 60,
                                     execution_timeout: int | None = None, **kwargs: Any) -> Any:
            reset = kwargs.pop("pmo_reset", None)
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name,
                                 log=logging.getLogger("papermill"), log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final)
            km = final.get("km")
            try:
                out = client.execute()
                if reset and client.kc is not None and not nb_man.nb.metadata.papermill.get("exception"):
                    try:
                        msg_id = client.kc.execute(reset, silent=True, store_history=False)
                        reply = client.wait_for_reply(msg_id)
                        km.pmo_reusable = bool(reply) and reply["content"].get("status") == "ok"
                    except Exception:  # the report is done; its kernel just won't be reused
                        km.pmo_reusable = False
                return out
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register("pmo", FinalSaveEngine)
    papermill_engines.register("pmo-reuse", ReusingEngine)
    return name


def _import_object(spec: str) -> Any:
    module, _, name = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split(".") if name else []:
        obj = getattr(obj, part)
    return obj


_WARM_UP: list[threading.Thread] = []


def _warm_up(pdf: bool) -> None:
    """Fill the renderer's per-process caches (the Vega JavaScript bundle, stylesheets; for PDF the
    fontconfig/Pango set-up of a first layout). Runs in a thread while the worker's first kernel
    executes, so the first report rendered by the worker does not pay for it."""
    with contextlib.suppress(Exception):
        from pmo_nb.publish import exporters

        exporters.vega_bundle()
        exporters.html_css()
        if pdf:
            exporters.pdf_stylesheets()
            exporters.write_pdf("<p>warm-up</p>", exporters.page_css("A4", "landscape"), where="warm-up")


def _worker_init(setup: str | None, warm_pdf: bool = False) -> None:
    """Runs once in each worker: signals, quiet logging, heavy imports, optional test hook."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent coordinates Ctrl-C
    signal.signal(signal.SIGTERM, _worker_terminate)
    atexit.register(_kill_kernels)  # kernels kept for reuse go with the worker
    logging.getLogger("papermill").setLevel(logging.CRITICAL)  # failures are reported by the batch
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    with contextlib.suppress(ImportError):
        importlib.import_module("pmo_nb.publish.exporters")  # nbconvert, jinja templates
    thread = threading.Thread(target=_warm_up, args=(warm_pdf,), name="pmo-warm-up", daemon=True)
    thread.start()
    _WARM_UP.append(thread)
    if setup:
        _import_object(setup)()


def _render(nb: Any, fmt: str, generated_at: str | None, path: str | None = None) -> bytes:
    """Render an executed notebook to ``fmt`` ("html" or "pdf") with pmo_nb.publish.exporters."""
    from pmo_nb.publish import exporters

    for thread in _WARM_UP:  # never two WeasyPrint layouts at once in one process
        thread.join()
    if fmt == "html":
        return exporters.render_html(nb, generated_at=generated_at, path=path).encode("utf-8")
    if fmt == "pdf":
        return exporters.render_pdf(nb, generated_at=generated_at, path=path)
    raise RenderError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")


def _is_kernel_start_failure(exc: BaseException) -> bool:
    import zmq
    from jupyter_client.kernelspec import NoSuchKernel

    if isinstance(exc, NoSuchKernel) or _no_space(exc):
        return False
    return isinstance(exc, RuntimeError | TimeoutError | OSError | zmq.ZMQError)


def inside(path: str | Path, root: str | Path) -> Path:
    """``path`` resolved, after checking it lies inside ``root`` (raise ``ReportExecutionError`` if not)."""
    p = Path(path).resolve()
    r = Path(root).resolve()
    if p != r and r not in p.parents:
        raise ReportExecutionError(f"refusing to write {p}: outside the run's folder {r}", notebook=str(p))
    return p


NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def _no_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NO_SPACE


@contextlib.contextmanager
def _writing(path: str | Path) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT while writing ``path`` into ``DiskFullError`` naming the path."""
    try:
        yield
    except OSError as exc:
        if _no_space(exc):
            raise DiskFullError(path) from None
        raise


def _write_bytes(path: Path, data: bytes) -> None:
    part = path.with_name(f".{path.name}.part")
    try:
        with _writing(path):
            part.write_bytes(data)
    except DiskFullError:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    os.replace(part, path)


def execute_report(job: Job) -> ReportResult:
    """Execute one report notebook with papermill and render it; never raises for a report failure.

    Runs in a worker process (it can also run in-process). The executed notebook is written to
    ``<folder>/notebooks/<name>.ipynb`` whether or not it fails; each format to ``<folder>/<name>.<fmt>``.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    folder = Path(job.folder)
    nb_path = inside(folder / "notebooks" / f"{job.name}.ipynb", folder)
    result = ReportResult(name=job.name, kind=job.kind, status="failed", duration=0.0, worker_pid=os.getpid())
    result.notebook = nb_path.relative_to(folder).as_posix()
    state: dict[str, Any] = {"started": None, "cell": None}

    def on_start(**_: Any) -> None:
        state["started"] = time.perf_counter()

    def on_cell(cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
        state["cell"] = (cell_index, (cell or {}).get("source", ""))

    km_class = _kernel_manager_class()
    cwd = str(Path(job.notebook).parent)
    _KERNEL_ENV.clear()
    _KERNEL_ENV[BATCH_ENV] = "1"
    if job.shared:
        _KERNEL_ENV[SHARED_ENV] = job.shared
    nb = None
    keep: Any = None
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        result.kernel_attempts = attempt
        state["started"] = None
        t_attempt = time.perf_counter()
        extra: dict[str, Any] = {"engine_name": _engine_name(reuse=False)}
        if job.reuse_kernel:
            km = _IDLE_KERNELS.pop(job.notebook, None)
            result.kernel_reused = km is not None and km.has_kernel
            if not result.kernel_reused:
                km = km_class(kernel_name=job.kernel_name)
            km.pmo_reusable = False
            extra = {"engine_name": _engine_name(), "km": km, "pmo_reset": RESET_CODE.format(cwd=cwd)}
        try:
            nb = papermill.execute_notebook(
                job.notebook,
                str(nb_path),
                parameters=dict(job.parameters),
                kernel_name=job.kernel_name,
                progress_bar=False,
                cwd=cwd,
                start_timeout=KERNEL_START_TIMEOUT,
                execution_timeout=math.ceil(job.timeout) if job.timeout else None,  # nbclient: whole seconds
                kernel_manager_class=km_class,
                on_notebook_start=on_start,
                on_cell_execute=on_cell,
                **extra,
            )
            if job.reuse_kernel and getattr(extra["km"], "pmo_reusable", False):
                keep = extra["km"]
            break
        except PapermillExecutionError as exc:
            result.error = _error(exc.ename, exc.evalue, exc.cell_index, exc.source)
        except CellTimeoutError:
            idx, src = state["cell"] or (None, "")
            limit = math.ceil(job.timeout or 0)
            result.error = _error("CellTimeoutError", f"cell {idx} ran longer than the {limit} s timeout "
                                  "(raise --timeout if it is expected)", idx, src)
        except DeadKernelError as exc:
            idx, src = state["cell"] or (None, "")
            result.error = _error("DeadKernelError", f"the kernel died while running cell {idx}: {exc}",
                                  idx, src)
        except Exception as exc:
            if _no_space(exc):  # papermill saving the executed notebook: the whole run stops
                result.error = _disk_full(getattr(exc, "filename", None) or nb_path)
            elif state["started"] is None and _is_kernel_start_failure(exc):
                if attempt < KERNEL_START_ATTEMPTS:
                    time.sleep(KERNEL_START_BACKOFF * attempt)  # (the finally clause kills the kernel)
                    continue
                result.error = _error(type(exc).__name__,
                                      f"the kernel failed to start {attempt} times: {first_line(exc)}")
            else:
                idx, src = state["cell"] or (None, "")
                result.error = _error(type(exc).__name__, exc, idx, src)
        finally:
            if state["started"] is not None:
                result.timings["kernel_start"] = state["started"] - t_attempt
                result.timings["execute"] = time.perf_counter() - state["started"]
            for km in list(_LIVE_KERNELS):
                result.kernel_executable = getattr(km, "pmo_executable", None) or result.kernel_executable
            # nbclient has shut its own kernel down; this catches any left after a failure, and the kept
            # kernel's predecessors
            _kill_kernels(keep=[keep, *_IDLE_KERNELS.values()] if keep is not None else _IDLE_KERNELS.values())
        break
    if keep is not None:
        _IDLE_KERNELS[job.notebook] = keep

    if nb is not None:
        try:
            for fmt in job.formats:
                t_fmt = time.perf_counter()
                data = _render(nb, fmt, job.generated_at, str(nb_path))
                out = inside(folder / f"{job.name}.{fmt}", folder)
                _write_bytes(out, data)
                result.timings[f"render_{fmt}"] = time.perf_counter() - t_fmt
                result.outputs[fmt] = {"path": out.name, "sha256": sha256_file(out)}
            result.status = "ok"
        except DiskFullError as exc:
            result.error = _disk_full(exc.path)
            result.outputs = {}
        except Exception as exc:  # a render failure fails this report only
            result.error = _error(type(exc).__name__, exc)
            result.outputs = {}
    result.duration = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------------------------------------
# The pool
# ---------------------------------------------------------------------------------------------


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now (they kill their kernels on SIGTERM) and wait for them to go."""
    procs = list(getattr(pool, "_processes", {}) .values())  # no public API before Python 3.14
    for p in procs:
        with contextlib.suppress(Exception):
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + 10
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(2)


def run_reports(
    jobs: Sequence[Job],
    *,
    workers: int,
    progress: bool = True,
    worker_setup: str | None = None,
    while_running: Callable[[], None] | None = None,
) -> list[ReportResult]:
    """Execute and render ``jobs`` in ``workers`` spawned processes; results in job order.

    A worker process that dies (not a kernel: the worker itself) breaks the pool, and every report
    the pool still held fails with it without telling which one killed it. Those reports are retried
    one at a time, each in a fresh single-worker pool: the culprit fails ("WorkerCrash"), the others
    complete.
    """
    from tqdm import tqdm

    results: dict[str, ReportResult] = {}
    crashes: dict[str, int] = {}
    pending = list(jobs)
    bar = tqdm(total=len(jobs), unit="report", desc="reports", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    ctx = multiprocessing.get_context("spawn")
    first = True
    isolate = False
    try:
        while pending:
            if isolate:  # after a crash: one suspect per pool
                batch_jobs, pending = pending[:1], pending[1:]
            else:
                batch_jobs, pending = pending, []
            n = max(1, min(workers, len(batch_jobs)))
            warm_pdf = any("pdf" in j.formats for j in batch_jobs)
            pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init,
                                       initargs=(worker_setup, warm_pdf))
            try:
                futures: dict[Future[ReportResult], Job] = {
                    pool.submit(execute_report, j): j for j in batch_jobs
                }
                if first and while_running is not None:
                    first = False
                    while_running()
                retry: list[Job] = []
                waiting = set(futures)
                while waiting:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = futures[fut]
                        try:
                            res = fut.result()
                        except BrokenProcessPool:
                            crashes[job.name] = crashes.get(job.name, 0) + 1
                            if crashes[job.name] < 2:
                                retry.append(job)
                                continue
                            res = ReportResult(job.name, job.kind, "failed", 0.0, error=_error(
                                "WorkerCrash", "the worker process died while handling this report, "
                                "also when it was retried on its own"))
                        except Exception as exc:  # a bug outside the report's own failure handling
                            res = ReportResult(job.name, job.kind, "failed", 0.0,
                                               error=_error(type(exc).__name__, exc))
                        results[job.name] = res
                        bar.update(1)
                        ok = sum(r.ok for r in results.values())
                        running = min(n, len(jobs) - len(results))
                        bar.set_postfix_str(f"ok {ok}, failed {len(results) - ok}, running {running}")
                pool.shutdown(wait=True)
                if retry:
                    isolate = True
                    pending = retry + pending
            except BaseException:
                _terminate_pool(pool)
                raise
    finally:
        bar.close()
    return [results[j.name] for j in jobs]


# ---------------------------------------------------------------------------------------------
# Staging folder, locks and the atomic swap
# ---------------------------------------------------------------------------------------------


def _try_lock(path: Path, *, block: bool = False) -> int | None:
    """Open ``path`` and take an exclusive flock; return the fd, or None if someone else holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return None
        raise
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the few renames of a swap, so it completes or rolls back as a whole."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Staging:
    """The run's temporary folder inside ``out`` and the swap that publishes it.

    ``OUT/.tmp-<period>-<run id>-<pid>/`` holds everything the run writes; the file of the same name
    plus ``.lock`` is flock-ed for the run's lifetime (the kernel releases it if the process dies, which is how a
    later run tells a crashed run's leftovers from a running one's). ``OUT/.pmo-nb.lock`` serialises
    publishing.
    """

    def __init__(self, out: str | Path, period: str, run_id: str, *, started: float | None = None) -> None:
        self.out = Path(out).resolve()
        self.period = period
        self.run_id = run_id
        self.started = time.time() if started is None else started
        # the pid keeps two runs apart even when SOURCE_DATE_EPOCH gives them the same run id
        self.folder = self.out / f".tmp-{period}-{run_id}-{os.getpid()}"
        self.lock_path = self.out / f".tmp-{period}-{run_id}-{os.getpid()}.lock"
        self.dest = self.out / period
        self._fd: int | None = None

    def open(self) -> Staging:
        """Create the staging folder (and ``out``), take the run's lock, remove stale staging folders."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._fd = _try_lock(self.lock_path)
        except OSError as exc:
            if _no_space(exc):
                raise DiskFullError(self.out) from None
            raise ReportExecutionError(f"cannot write the reports into {self.out}: {exc.strerror or exc}; "
                                       "check the folder's permissions or pass another --out") from None
        if self._fd is None:
            raise ReportExecutionError(f"another run with id {self.run_id} is using {self.lock_path}")
        self.remove_stale()
        self.folder.mkdir()
        (self.folder / "notebooks").mkdir()
        return self

    def path(self, rel: str) -> Path:
        """An output path inside the staging folder (checked: never outside it)."""
        return inside(self.folder / rel, self.folder)

    def remove_stale(self) -> list[Path]:
        """Remove staging folders of crashed runs (lock free, older than this run's start)."""
        removed: list[Path] = []
        for entry in sorted(self.out.glob(".tmp-*")):
            if entry.name.endswith(".lock") or not entry.is_dir() or entry == self.folder:
                continue
            lock = entry.with_name(entry.name + ".lock")
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime >= self.started:
                    continue
            fd = _try_lock(lock)
            if fd is None:
                continue  # a running run: leave it alone
            try:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
            finally:
                _unlock(fd)
        return removed

    def _recover(self) -> None:
        """Called under the publish lock: undo a swap cut short between its two renames."""
        for old in sorted(self.out.glob(f".old-{self.period}-*")):
            if not self.dest.exists():
                os.rename(old, self.dest)
            else:
                shutil.rmtree(old, ignore_errors=True)

    def publish(self) -> Path:
        """Swap the staging folder in as ``OUT/<period>/``; the previous one is removed after."""
        old = self.out / f".old-{self.period}-{self.run_id}-{os.getpid()}"
        fd = _try_lock(self.out / LOCK_NAME, block=True)
        try:
            with _signals_held():
                self._recover()
                moved = False
                if self.dest.exists():
                    os.rename(self.dest, old)
                    moved = True
                try:
                    os.rename(self.folder, self.dest)
                except BaseException:
                    if moved:
                        os.rename(old, self.dest)
                    raise
            if moved:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            _unlock(fd)
        self._release()
        return self.dest

    def discard(self) -> None:
        """Remove the staging folder and the run's lock file (only if this run holds the lock)."""
        if self._fd is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
            _unlock(self._fd)
            self._fd = None


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """The outcome of ``run()``: where the month's folder is and what each report did."""

    folder: Path
    period: str
    run_id: str
    reports: list[ReportResult]
    manifest: dict[str, Any]
    duration: float
    pack_error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports) and self.pack_error is None

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.reports if not r.ok]


def kernel_executable(kernel_name: str = KERNEL_NAME) -> str:
    """The interpreter the kernel ``kernel_name`` runs; raise unless it is this environment's Python."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = (f"run `make setup`, or `{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}`")
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ReportExecutionError(f"no Jupyter kernel named {kernel_name!r}: {fix}") from None
    argv0 = spec.argv[0] if spec.argv else ""
    major, minor = sys.version_info[:2]
    if argv0 in {"python", f"python{major}", f"python{major}.{minor}"}:
        return sys.executable  # jupyter_client substitutes the launching interpreter
    if os.path.abspath(argv0) != os.path.abspath(sys.executable):
        raise ReportExecutionError(
            f"the Jupyter kernel {kernel_name!r} runs {argv0}, not this environment's {sys.executable}: {fix}"
        )
    return argv0


def previous_period(period: str) -> str:
    """The month before ``period`` ("2026-01" -> "2025-12")."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def check_file_name(program_id: str, source: str = "programs") -> str:
    """Raise ``DataValidationError`` unless ``program_id`` is safe as a file name.

    Validation already refuses unsafe ids (``pmo_nb.data.validate.SAFE_FILE_NAME``); this re-checks at the
    point of use, and also refuses "portfolio", the name of the portfolio report's files.
    """
    from pmo_nb.data.validate import SAFE_FILE_NAME, SAFE_FILE_NAME_RULE

    pid = str(program_id)
    if not SAFE_FILE_NAME.fullmatch(pid) or ".." in pid or pid.lower() == PORTFOLIO:
        raise DataValidationError([Finding(
            table="programs", source=source, row=None, column="program_id", value=pid,
            rule=f"{SAFE_FILE_NAME_RULE} (and not {PORTFOLIO!r}, the portfolio report's name)",
        )], source=source)
    return pid


def _load(source: str, config: Config) -> Any:
    from pmo_nb.data.ingest import load

    return load(source, config)


def _shared(portfolio: Any, config: Config, params: Mapping[str, Any], path: Path) -> tuple[Any, bool]:
    """The month's KPIs, after pickling the shared state (``pmo_nb.metrics.month.shared_state``) to ``path``.

    ``params`` are the notebooks' parameters (period, source, config, previous_snapshot); the pickle's key
    is made from them exactly as the notebooks' ``build`` makes theirs, so that they use it. Returns
    (Kpis, whether the pickle was written). When the shared state cannot be made (an unreadable previous
    snapshot), nothing is pickled: each report then loads by itself and fails with the error in its own
    notebook, as it would without sharing, and the run still writes kpis.csv.
    """
    from pmo_nb.metrics.kpis import compute
    from pmo_nb.metrics.month import in_key_order, shared_key, shared_state, write_shared

    try:
        state = shared_state(portfolio, config, params["period"], params["previous_snapshot"])
    except PmoError as exc:
        log.warning("no shared state for the reports (each loads the source itself): %s", first_line(exc))
        return compute(in_key_order(portfolio), params["period"], config), False
    key = shared_key(params["source"], params["config"], params["period"], params["previous_snapshot"])
    if key is None:
        return state.kpis, False
    write_shared(path, key, state)
    return state.kpis, True


def _stamp() -> tuple[str, str]:
    """(generated_at, run_id) from pmo_nb.publish.exporters.run_stamp, the single source of both."""
    from pmo_nb.publish.exporters import run_stamp

    stamp = run_stamp()
    if isinstance(stamp, tuple):
        return str(stamp[0]), str(stamp[1])
    return str(stamp.generated_at), str(stamp.run_id)


def _build_pack(entries: list[dict[str, Any]], omitted: list[dict[str, Any]], *, config: Config, period: str,
                generated_at: str) -> bytes:
    """The executive pack PDF via pmo_nb.publish.pack (entries: notebook, kind, id, title, rag, path)."""
    from pmo_nb.publish.pack import Omitted, PackEntry, build_pack

    return build_pack(
        [PackEntry(**e) for e in entries], organisation=config.organisation, period=period,
        omitted=[Omitted(o["id"], o["name"], o["reason"]) for o in omitted], generated_at=generated_at,
        page_size=config.report.page_size, orientation=config.report.orientation,
    )


def _source_param(source: str | Path) -> str:
    s = str(source)
    return s if "://" in s else str(Path(s).resolve())


def parse_programs(programs: str | Iterable[str] | None) -> list[str] | None:
    """"PRG-A, PRG-B" or an iterable of ids -> a list without blanks or duplicates (None = all)."""
    if programs is None:
        return None
    items = programs.split(",") if isinstance(programs, str) else list(programs)
    out: list[str] = []
    for p in (str(i).strip() for i in items):
        if p and p not in out:
            out.append(p)
    return out or None


def run(
    source: str | Path | None = None,
    *,
    period: str | None = None,
    programs: str | Iterable[str] | None = None,
    formats: Iterable[str] = FORMATS,
    out: str | Path = REPORTS_DIR,
    jobs: int | None = None,
    config: str | Path | Config | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: bool = True,
    notebooks: Mapping[str, str | Path] | None = None,
    kernel_name: str = KERNEL_NAME,
    worker_setup: str | None = None,
    command: Sequence[str] | None = None,
    reuse_kernels: bool = True,
) -> RunResult:
    """Run a month's reports and publish them atomically into ``out/<period>/``.

    Parameters
    ----------
    source:
        A CSV/Parquet folder, an Excel workbook or a SQLAlchemy URL (default: the sample data).
    period:
        ``YYYY-MM`` (default: the source's latest complete month).
    programs:
        Program ids (list or "A,B"); default every program.
    formats:
        Any of "html", "pdf". The executive pack is built when "pdf" is asked for.
    out:
        Reports folder; the month goes to ``out/<period>/``.
    jobs:
        Worker processes (default: the CPUs available to this process).
    config:
        ``pmo.toml`` path or a ``Config``.
    timeout:
        Per-cell execution timeout in seconds (None: no limit).
    notebooks:
        Override the report notebooks: ``{"program": path, "portfolio": path}`` (tests, custom reports).
    worker_setup:
        ``"module:function"`` called once in each worker after start-up (tests and instrumentation).
    command:
        The command line to record in the manifest (default ``sys.argv``).
    reuse_kernels:
        Keep each worker's kernel for its next report of the same notebook, with the namespace reset
        (``%reset -f``) in between, instead of a fresh kernel per report. Saves the kernel start, the
        imports and vl-convert's start-up. A kernel whose report failed is never reused. On by default:
        the outputs are byte-identical either way (see the module docstring); False gives each report
        a fresh kernel.

    Returns
    -------
    RunResult
        ``ok`` is False when any report (or the pack) failed; the month is published either way.

    Raises
    ------
    DataValidationError, SourceError, ConfigError, PeriodError, UnknownEntityError
        Before anything is written.
    Interrupted
        On SIGINT/SIGTERM: workers and kernels are killed, the staging folder removed, nothing published.
    """
    t_start = time.perf_counter()
    started = time.time()
    cfg = load_config(config)
    if cfg.path is None and cfg != Config():
        raise ConfigError("the report notebooks read their settings from a file: pass the pmo.toml path, "
                          "not a Config built in code", key="config")
    fmts = tuple(dict.fromkeys(str(f).strip().lower() for f in formats))
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown or not fmts:
        raise ConfigError(f"unknown format {', '.join(unknown) or '(none)'}: choose from "
                          f"{', '.join(FORMATS)}", key="formats")
    nb_paths = {"program": PROGRAM_NOTEBOOK, "portfolio": PORTFOLIO_NOTEBOOK}
    nb_paths.update({k: Path(v) for k, v in (notebooks or {}).items()})
    for kind, p in nb_paths.items():
        if not Path(p).is_file():
            raise ReportExecutionError(f"the {kind} report notebook {p} is missing: restore it from git "
                                       "(notebooks/) or pass an existing notebook", notebook=str(p))
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {jobs}", key="jobs")

    src = _source_param(SAMPLE_DIR if source is None else source)  # as the notebooks resolve it
    portfolio = _load(src, cfg)
    from pmo_nb.metrics.calendar import check_period, default_period

    period = check_period(portfolio, period) if period else default_period(portfolio)
    wanted = parse_programs(programs)
    program_ids = [portfolio.check_program(p) for p in wanted] if wanted else list(portfolio.program_ids)
    for pid in program_ids:
        check_file_name(pid, portfolio.source or src)
    kernel_exe = kernel_executable(kernel_name)
    generated_at, run_id = _stamp()
    workers = jobs or len(os.sched_getaffinity(0))

    out_dir = Path(out).resolve()
    prev = out_dir / previous_period(period) / "kpis.csv"
    base = {
        "period": period,
        "source": _source_param(src),
        "config": str(Path(cfg.path).resolve()) if cfg.path else None,
        "previous_snapshot": str(prev) if prev.is_file() else None,
    }
    staging = Staging(out_dir, period, run_id, started=started)
    old_term = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:  # signal handlers can only be set from the main thread
        signal.signal(signal.SIGTERM, on_term)
    try:
        staging.open()
        folder = str(staging.folder)
        # the work every report starts with, done once here and handed to the kernels (pmo_nb.reporting.report)
        shared_path = staging.path(SHARED_NAME)
        kpis, shared = _shared(portfolio, cfg, base, shared_path)
        handed = str(shared_path) if shared else None
        job_list = [Job(PORTFOLIO, "portfolio", str(Path(nb_paths["portfolio"]).resolve()), dict(base),
                        folder, fmts, timeout, kernel_name, generated_at, reuse_kernels, handed)]
        job_list += [Job(pid, "program", str(Path(nb_paths["program"]).resolve()),
                         {"program_id": pid, **base}, folder, fmts, timeout, kernel_name, generated_at,
                         reuse_kernels, handed)
                     for pid in program_ids]
        parts: dict[str, Any] = {}

        def write_kpis() -> None:
            from pmo_nb.metrics.changes import write_snapshot

            path = staging.path("kpis.csv")
            with _writing(path):
                write_snapshot(kpis.snapshot(), path.with_name(".kpis.csv.part"), kpis.config.currency)
            os.replace(path.with_name(".kpis.csv.part"), path)
            parts["programs"] = kpis.programs

        results = run_reports(job_list, workers=workers, progress=progress, worker_setup=worker_setup,
                              while_running=write_kpis)
        if "programs" not in parts:
            write_kpis()
        _check_reports(results)
        shared_path.unlink(missing_ok=True)  # never published

        pack_info: dict[str, Any] | None = None
        pack_error: dict[str, Any] | None = None
        if "pdf" in fmts:
            pack_info, pack_error = _make_pack(staging, results, parts["programs"], cfg, period, generated_at)

        duration = time.perf_counter() - t_start
        manifest = build_manifest(
            folder=staging.folder, run_id=run_id, generated_at=generated_at, period=period,
            command=shlex.join(list(command) if command is not None else sys.argv),
            source=portfolio.source or src, source_fingerprint=portfolio.fingerprint(),
            config=cfg.to_dict(), formats=fmts, reports=[r.as_dict() for r in results], pack=pack_info,
            started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), duration=duration,
            jobs=workers, kernel={"name": kernel_name, "executable": kernel_exe, "reuse": reuse_kernels},
        )
        with _writing(staging.folder / "manifest.json"):
            write_manifest(staging.folder, manifest)
        try:
            dest = staging.publish()
        except OSError as exc:
            if _no_space(exc):
                raise DiskFullError(staging.dest) from None
            raise ReportExecutionError(f"could not publish the reports as {staging.dest}: {exc}; the previous "
                                       "reports (if any) were left in place") from None
    except BaseException:
        with _signals_held():  # a second Ctrl-C must not cut the clean-up short
            staging.discard()
        raise
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, old_term)
    return RunResult(folder=dest, period=period, run_id=run_id, reports=results, manifest=manifest,
                     duration=duration, pack_error=pack_error)


def _check_reports(results: Sequence[ReportResult]) -> None:
    """Raise instead of publishing when the disk filled up, or when no report even started executing
    (a kernel that never starts, workers that all died): such a month would only hide the last good one."""
    for res in results:
        if res.error and res.error.get("ename") == "DiskFullError":
            raise DiskFullError(res.error.get("path") or res.name)
    if results and not any(r.ok or "execute" in r.timings for r in results):
        first = results[0].error or {}
        raise ReportExecutionError(
            f"no report started executing ({results[0].name}: {first.get('ename', '')}: {first.get('evalue', '')})"
            "; nothing was published, the previous reports are untouched. Check the Jupyter kernel "
            f"(`jupyter kernelspec list`; `make setup` reinstalls {KERNEL_NAME!r}) and run the month again",
            ename=first.get("ename"), evalue=first.get("evalue"))


def _make_pack(staging: Staging, results: list[ReportResult], programs: Any, cfg: Config, period: str,
               generated_at: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Build ``executive-pack-<period>.pdf`` from the executed notebooks of the reports that succeeded."""
    import nbformat

    names = {str(r.program_id): r for r in programs.itertuples(index=False)} if programs is not None else {}
    entries: list[dict[str, Any]] = []
    omitted: list[dict[str, Any]] = []
    for res in results:
        info = names.get(res.name)
        title = str(getattr(info, "name", res.name)) if res.kind == "program" else "Portfolio overview"
        if not res.ok:
            err = res.error or {}
            reason = f"report failed: {err.get('ename', '')}: {err.get('evalue', '')}".strip()
            omitted.append({"id": res.name, "name": title, "reason": reason})
            continue
        nb_path = staging.path(res.notebook or "")
        nb = nbformat.read(nb_path, as_version=4)
        rag = getattr(info, "rag", None) if info is not None else None
        entries.append({"notebook": nb, "kind": res.kind, "id": None if res.kind == "portfolio" else res.name,
                        "title": title, "rag": rag if isinstance(rag, str) and rag else None,
                        "path": str(nb_path)})
    name = f"executive-pack-{period}.pdf"
    info_out: dict[str, Any] = {"path": name, "status": "failed", "omitted": omitted, "sha256": None}
    t0 = time.perf_counter()
    try:
        data = _build_pack(entries, omitted, config=cfg, period=period, generated_at=generated_at)
        path = staging.path(name)
        _write_bytes(path, data)
    except DiskFullError:
        raise
    except PmoError as exc:
        err = _error(type(exc).__name__, exc)
        info_out["error"] = err
        return info_out, err
    info_out.update(status="ok", sha256=sha256_file(path), duration=round(time.perf_counter() - t0, 3))
    return info_out, None


def summary_lines(result: RunResult, *, only_failed: bool = False) -> list[str]:
    """The summary table the CLI prints: report, status, time, first line of the error, failing cell."""
    rows = [("report", "status", "time", "error")]
    for r in result.reports:
        if only_failed and r.ok:
            continue
        err = ""
        if r.error:
            cell = r.error.get("cell_index")
            where = f" [cell {cell}: {r.error.get('cell_source', '')}]" if cell is not None else ""
            err = f"{r.error.get('ename', '')}: {r.error.get('evalue', '')}{where}"
        rows.append((r.name, r.status, f"{r.duration:.1f}s", err))
    if result.pack_error:
        rows.append(("executive pack", "failed", "", f"{result.pack_error['ename']}: "
                     f"{result.pack_error['evalue']}"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    return [f"{a:<{w0}}  {b:<{w1}}  {c:>{w2}}  {d}".rstrip() for a, b, c, d in rows]
