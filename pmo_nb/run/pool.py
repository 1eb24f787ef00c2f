"""The pool of worker processes that executes a run's reports, and how it is stopped.

Workers are spawned (each imports pandas, altair, nbconvert and WeasyPrint once, then handles many reports) and
die with the run (:mod:`pmo_nb.run.lifeline`). A worker process that dies (not a kernel: the worker itself)
breaks the pool, and every report the pool still held fails with it without telling which one killed it.
Those reports are retried one at a time, each in a fresh single-worker pool: the culprit fails
("WorkerCrash"), the others complete. On any exception (Ctrl-C included) :func:`terminate_pool` stops every
worker, which kill their kernels on SIGTERM.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from pmo_nb.run.jobs import Job, ReportResult
from pmo_nb.run.worker import Prewarm, execute_report, init_worker, report_error

__all__ = ["Interrupted", "run_reports", "start_pool", "terminate_pool"]


class Interrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT (Ctrl-C) or SIGTERM; nothing was published."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now (they kill their kernels on SIGTERM) and wait for them to go (at most about 12 s).

    A second Ctrl-C meanwhile is ignored: the workers and their kernels must go whatever the user presses.
    """
    with _interrupts_held():
        _terminate(pool)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ignore SIGINT for the duration (main thread only: signal handlers cannot be set elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _terminate(pool: ProcessPoolExecutor) -> None:
    procs = list(getattr(pool, "_processes", {}).values())  # no public API before Python 3.14
    for p in procs:
        with contextlib.suppress(Exception):
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)
    manager = getattr(pool, "_executor_manager_thread", None)  # no public API
    _unhook_exit_wakeup(manager)
    pool.shutdown(wait=False, cancel_futures=True)  # wakes the management thread, which then closes its pipe
    deadline = time.monotonic() + 10
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(2)
    # let the pool's management thread finish now rather than at the interpreter's exit
    if manager is not None and manager is not threading.current_thread():
        with contextlib.suppress(Exception):
            manager.join(5)  # its own budget: under load the workers may have used all of theirs


def _unhook_exit_wakeup(manager: threading.Thread | None) -> None:
    """Take the pool whose management thread is ``manager`` out of the wake-ups concurrent.futures sends at the
    interpreter's exit.

    That exit hook writes to each pool's wake-up pipe without the pool's lock, while the pool's management thread
    may be closing that pipe: Python 3.11 then prints "OSError: [Errno 9] Bad file descriptor" with a traceback
    after a Ctrl-C (seen under load even with the join below). A terminated pool needs no wake-up at exit:
    ``shutdown`` wakes its management thread, and the interpreter still joins that (non-daemon) thread.
    """
    from concurrent.futures import process

    wakeups = getattr(process, "_threads_wakeups", None)
    if manager is not None and wakeups is not None:
        with contextlib.suppress(Exception):
            wakeups.pop(manager, None)


def _new_pool(workers: int, formats: tuple[str, ...], worker_setup: str | None,
              prewarm: Prewarm | None) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker,
                               initargs=(worker_setup, formats, os.getpid(), prewarm))


def start_pool(workers: int, formats: tuple[str, ...], *, worker_setup: str | None = None,
               prewarm: Prewarm | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, spawned now: they import everything and (with ``prewarm``) start a spare
    kernel while the run computes the month; hand it to :func:`run_reports`."""
    pool = _new_pool(workers, formats, worker_setup, prewarm)
    try:
        for _ in range(workers):  # a spawn pool starts a process per submitted task while none is idle
            pool.submit(os.getpid)
    except BaseException:
        terminate_pool(pool)
        raise
    return pool


def run_reports(
    jobs: Sequence[Job],
    *,
    workers: int,
    progress: bool = True,
    worker_setup: str | None = None,
    while_running: Callable[[], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
    prewarm: Prewarm | None = None,
) -> list[ReportResult]:
    """Execute and render ``jobs`` in ``workers`` spawned processes; results in job order.

    ``while_running`` is called once in this process after the first jobs are handed out (the run writes
    kpis.csv meanwhile); ``worker_setup`` (``"module:function"``) runs once in each worker after start-up.
    ``pool`` is a pool :func:`start_pool` started ahead (used for the first jobs; shut down here); ``prewarm``
    has every worker keep a spare kernel ready (:class:`~pmo_nb.run.worker.Prewarm`).
    """
    from tqdm import tqdm

    results: dict[str, ReportResult] = {}
    crashes: dict[str, int] = {}
    pending = list(jobs)
    bar = tqdm(total=len(jobs), unit="report", desc="reports", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    first = True
    isolate = False
    try:
        while pending:
            if isolate:  # after a crash: one suspect per pool
                batch_jobs, pending = pending[:1], pending[1:]
            else:
                batch_jobs, pending = pending, []
            n = max(1, min(workers, len(batch_jobs)))
            formats = tuple(sorted({f for j in batch_jobs for f in j.formats}))
            if pool is None:
                pool = _new_pool(n, formats, worker_setup, prewarm)
            current = pool
            try:
                futures: dict[Future[ReportResult], Job] = {current.submit(execute_report, j): j
                                                            for j in batch_jobs}
                if first and while_running is not None:
                    first = False
                    while_running()
                retry: list[Job] = []
                waiting = set(futures)
                while waiting:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = futures[fut]
                        res = _outcome(fut, job, crashes)
                        if res is None:
                            retry.append(job)
                            continue
                        results[job.name] = res
                        bar.update(1)
                        ok = sum(r.ok for r in results.values())
                        running = min(n, len(jobs) - len(results))
                        bar.set_postfix_str(f"ok {ok}, failed {len(results) - ok}, running {running}")
                current.shutdown(wait=True)
                pool = None
                if retry:
                    isolate = True
                    pending = retry + pending
            except BaseException:
                terminate_pool(current)
                pool = None
                raise
        if pool is not None:  # started ahead for no job
            pool.shutdown(wait=True)
    except BaseException:
        if pool is not None:  # the pool started ahead, when the loop never ran
            terminate_pool(pool)
        raise
    finally:
        bar.close()
    return [results[j.name] for j in jobs]


def _outcome(fut: Future[ReportResult], job: Job, crashes: dict[str, int]) -> ReportResult | None:
    """The job's result; None when its worker died the first time (retry it on its own)."""
    try:
        return fut.result()
    except BrokenProcessPool:
        crashes[job.name] = crashes.get(job.name, 0) + 1
        if crashes[job.name] < 2:
            return None
        return ReportResult(job.name, job.kind, "failed", 0.0, error=report_error(
            job, "WorkerCrash", "the worker process died while handling this report, also when it was retried on "
            "its own"))
    except Exception as exc:  # a bug outside the report's own failure handling
        return ReportResult(job.name, job.kind, "failed", 0.0, error=report_error(job, type(exc).__name__, exc))
