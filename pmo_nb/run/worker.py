"""What one worker process does: set itself up once, then execute and render one report per :class:`Job`.

:func:`init_worker` runs once in each spawned worker (signals, dying with the parent, quiet logging, heavy
imports, a warm-up thread for the renderers). :func:`execute_report` executes a report notebook with papermill
and renders it; a report's failure is returned in its :class:`ReportResult`, never raised. Only a kernel that
fails to START is retried (papermill's port race under parallel launch), up to ``KERNEL_START_ATTEMPTS``
times with a short backoff; an exception in a cell is never retried.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import math
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmo_nb.contract import BATCH_ENV, SHARED_ENV
from pmo_nb.exceptions import DiskFullError, ReportError
from pmo_nb.run import kernels as kernel_settings
from pmo_nb.run import rendering
from pmo_nb.run.jobs import Job, ReportResult
from pmo_nb.run.kernels import RESET_CODE, Kernels, is_start_failure
from pmo_nb.run.lifeline import die_with_parent, watch_parent
from pmo_nb.run.manifest import first_line, sha256_file
from pmo_nb.run.staging import inside, no_space, write_bytes

__all__ = ["KERNELS", "Prewarm", "init_worker", "prepare_process", "execute_report", "report_error", "import_object"]

KERNELS = Kernels()
"""The kernels this process started (a worker's; or the caller's when a report runs in-process)."""

_WARM_UP: list[threading.Thread] = []
_PREWARM: list[Prewarm] = []  # how this worker starts its spare kernels (none: each report starts its own)


@dataclass(frozen=True)
class Prewarm:
    """What a worker's spare kernel is started with: the run's kernel, its environment and the notebooks' folder
    (:meth:`~pmo_nb.run.kernels.Kernels.start_spare`)."""

    kernel_name: str
    env: dict[str, str]
    cwd: str


def report_error(job: Job, ename: str, evalue: object, cell_index: int | None = None, cell_source: object = "",
                 *, path: str | Path | None = None) -> ReportError:
    """``job``'s failure: exception name, first line of its value, failing cell and its first line."""
    return ReportError(ename=ename, evalue=first_line(evalue), program=job.name, notebook=job.notebook,
                       cell_index=cell_index, cell_source=first_line(cell_source),
                       path=None if path is None else str(path))


def _disk_full(job: Job, path: str | Path) -> ReportError:
    """A report's error for a full disk; ``path`` (the file being written) tells the run to stop."""
    return report_error(job, "DiskFullError", DiskFullError(path), path=path)


def import_object(spec: str) -> Any:
    """The object named ``"module:attr.attr"``."""
    module, _, name = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split(".") if name else []:
        obj = getattr(obj, part)
    return obj


def _terminate(signum: int, frame: object) -> None:
    KERNELS.kill()
    os._exit(128 + signum)


def _orphaned() -> None:
    KERNELS.kill()
    os._exit(128 + signal.SIGTERM)


def init_worker(setup: str | None, formats: tuple[str, ...] = (), parent_pid: int | None = None,
                prewarm: Prewarm | None = None) -> None:
    """Runs once in each worker: signals, dying with the parent, quiet logging, heavy imports, test hook, and
    with ``prewarm`` a spare kernel started in the background for the first report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent coordinates Ctrl-C
    signal.signal(signal.SIGTERM, _terminate)
    if parent_pid is not None:
        die_with_parent(parent_pid, signal.SIGTERM)  # SIGTERM: the handler above kills the kernels first
        watch_parent(parent_pid, _orphaned)
    atexit.register(KERNELS.kill)  # kernels kept for reuse go with the worker
    prepare_process(formats)
    if setup:
        import_object(setup)()
    if prewarm is not None:
        _PREWARM[:] = [prewarm]
        KERNELS.start_spare(prewarm.kernel_name, prewarm.env, prewarm.cwd)


def prepare_process(formats: tuple[str, ...] = ()) -> None:
    """Get this process ready to execute reports: quiet papermill, the run's engines, the heavy imports and a
    warm-up thread for the renderers. Called once per process (by :func:`init_worker`, or by a cluster worker
    before its first report, :mod:`pmo_nb.run.cluster`)."""
    logging.getLogger("papermill").setLevel(logging.CRITICAL)  # failures are reported by the run
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from pmo_nb.run import engine

    engine.register()
    with contextlib.suppress(ImportError):
        importlib.import_module("pmo_nb.publish.exporters")  # nbconvert, jinja templates
    thread = threading.Thread(target=rendering.warm_up, args=(formats,), name="pmo-warm-up", daemon=True)
    thread.start()
    _WARM_UP.append(thread)


def _render(nb: Any, fmt: str, generated_at: str | None, path: str, links: dict[str, str]) -> bytes:
    for thread in _WARM_UP:  # never two WeasyPrint layouts at once in one process
        thread.join()
    return rendering.render(nb, fmt, generated_at, path, links)


def execute_report(job: Job, kernels: Kernels | None = None) -> ReportResult:
    """Execute one report notebook with papermill and render it; never raises for a report failure.

    Runs in a worker process (it can also run in-process; ``kernels`` then defaults to :data:`KERNELS`).
    The executed notebook is written to ``<folder>/notebooks/<name>.ipynb`` whether or not it fails; each
    format to ``<folder>/<name><extension>`` (the format's extension in ``pmo_nb.publish.formats``).
    """
    kernels = KERNELS if kernels is None else kernels
    t0 = time.perf_counter()
    folder = Path(job.folder)
    nb_path = inside(folder / "notebooks" / f"{job.name}.ipynb", folder)
    result = ReportResult(name=job.name, kind=job.kind, status="failed", duration=0.0, worker_pid=os.getpid())
    result.notebook = nb_path.relative_to(folder).as_posix()
    kernels.env.clear()
    kernels.env.update({BATCH_ENV: "1", **({SHARED_ENV: job.shared} if job.shared else {}), **job.kernel_env})
    nb = _execute(job, nb_path, result, kernels)
    if nb is not None:
        result.timings["cells"] = cell_time(nb)
        _render_all(job, nb, nb_path, result)
    result.duration = time.perf_counter() - t0
    return result


def cell_time(nb: Any) -> float:
    """The seconds the notebook's own cells took to execute (papermill's per-cell ``duration``, summed): the
    report's work, as opposed to the run's overhead around it (kernel start, parameters, saving, rendering)."""
    total = 0.0
    for cell in nb.get("cells", []):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if isinstance(duration, int | float):
            total += float(duration)
    return total


def _execute(job: Job, nb_path: Path, result: ReportResult, kernels: Kernels) -> Any:
    """Run the notebook (retrying a kernel that fails to start); the executed notebook, or None on failure."""
    import papermill

    from pmo_nb.run.engine import engine_name

    state: dict[str, Any] = {"started": None, "cell": None}

    def on_start(**_: Any) -> None:
        state["started"] = time.perf_counter()

    def on_cell(cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
        state["cell"] = (cell_index, (cell or {}).get("source", ""))

    cwd = str(Path(job.notebook).parent)
    nb = None
    keep: Any = None
    attempts = kernel_settings.KERNEL_START_ATTEMPTS
    for attempt in range(1, attempts + 1):
        result.kernel_attempts = attempt
        state["started"] = None
        t_attempt = time.perf_counter()
        extra: dict[str, Any] = {"engine_name": engine_name(reuse=False)}
        if job.reuse_kernel:
            km: Any = kernels.take(job.notebook, kernels.env, cwd)
            result.kernel_prewarmed = km is not None and km.pmo_prewarmed and km.has_kernel
            result.kernel_reused = km is not None and km.has_kernel and not km.pmo_prewarmed
            if km is None or not km.has_kernel:
                km = kernels.new(job.kernel_name)
            km.pmo_prewarmed = False
            km.pmo_reusable = False
            if job.kind == "portfolio" and _PREWARM and not kernels.closed:
                # the overview's kernel is never used again: the next report's starts now, while this one executes
                kernels.start_spare(_PREWARM[0].kernel_name, _PREWARM[0].env, _PREWARM[0].cwd)
            extra = {"engine_name": engine_name(reuse=True), "km": km, "pmo_reset": RESET_CODE.format(cwd=cwd)}
        try:
            nb = papermill.execute_notebook(
                job.notebook, str(nb_path), parameters=dict(job.parameters), kernel_name=job.kernel_name,
                progress_bar=False, cwd=cwd, start_timeout=kernel_settings.KERNEL_START_TIMEOUT,
                execution_timeout=math.ceil(job.timeout) if job.timeout else None,  # nbclient: whole seconds
                kernel_manager_class=kernels.manager_class, on_notebook_start=on_start, on_cell_execute=on_cell,
                **extra,
            )
            if job.reuse_kernel and getattr(extra["km"], "pmo_reusable", False):
                keep = extra["km"]
            break
        except Exception as exc:
            retry = state["started"] is None and _start_failure(exc) and attempt < attempts
            if retry:
                time.sleep(kernel_settings.KERNEL_START_BACKOFF * attempt)  # (the finally clause kills the kernel)
                continue
            result.error = _failure(job, exc, state, attempt, nb_path)
        finally:
            if state["started"] is not None:
                result.timings["kernel_start"] = state["started"] - t_attempt
                result.timings["execute"] = time.perf_counter() - state["started"]
            result.kernel_executable = kernels.executable() or result.kernel_executable
            # nbclient has shut its own kernel down; this catches any left after a failure, and the kept
            # kernel's predecessors
            kernels.kill_unused(keep=[keep] if keep is not None else [])
        break
    if keep is not None and job.kind == "portfolio":  # one per run: its kernel would never be used again
        kernels.discard(keep)
        keep = None
    if keep is not None:
        kernels.keep(job.notebook, keep)
    elif job.reuse_kernel and _PREWARM and not kernels.closed:
        # the next report needs a kernel: start it now, while this one renders
        kernels.start_spare(_PREWARM[0].kernel_name, _PREWARM[0].env, _PREWARM[0].cwd)
    return nb if result.error is None else None


def _start_failure(exc: Exception) -> bool:
    """A kernel that failed to start (retried), as opposed to a failing cell, timeout or dead kernel."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    return not isinstance(exc, PapermillExecutionError | CellTimeoutError | DeadKernelError) and is_start_failure(exc)


def _failure(job: Job, exc: Exception, state: dict[str, Any], attempt: int, nb_path: Path) -> ReportError:
    """The report's error for ``exc``, raised by papermill on attempt ``attempt`` (``state``: the current cell)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    idx, src = state["cell"] or (None, "")
    if isinstance(exc, PapermillExecutionError):
        return report_error(job, exc.ename, exc.evalue, exc.cell_index, exc.source)
    if isinstance(exc, CellTimeoutError):
        limit = math.ceil(job.timeout or 0)
        return report_error(job, "CellTimeoutError", f"cell {idx} ran longer than the {limit} s timeout "
                            "(raise --timeout if it is expected)", idx, src)
    if isinstance(exc, DeadKernelError):
        return report_error(job, "DeadKernelError", f"the kernel died while running cell {idx}: {exc}", idx, src)
    if no_space(exc):  # papermill saving the executed notebook: the whole run stops
        return _disk_full(job, getattr(exc, "filename", None) or nb_path)
    if state["started"] is None and _start_failure(exc):
        return report_error(job, type(exc).__name__, f"the kernel failed to start {attempt} times: {first_line(exc)}")
    return report_error(job, type(exc).__name__, exc, idx, src)


def _render_all(job: Job, nb: Any, nb_path: Path, result: ReportResult) -> None:
    folder = Path(job.folder)
    try:
        for fmt in job.formats:
            t_fmt = time.perf_counter()
            data = _render(nb, fmt, job.generated_at, str(nb_path), job.links)
            out = inside(folder / rendering.file_name(job.name, fmt), folder)
            write_bytes(out, data)
            result.timings[f"render_{fmt}"] = time.perf_counter() - t_fmt
            result.outputs[fmt] = {"path": out.name, "sha256": sha256_file(out)}
        result.status = "ok"
    except DiskFullError as exc:
        result.error = _disk_full(job, exc.path)
        result.outputs = {}
    except Exception as exc:  # a render failure fails this report only
        result.error = report_error(job, type(exc).__name__, exc)
        result.outputs = {}
