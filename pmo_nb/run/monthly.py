"""The monthly run: every report of a month, executed in parallel, published atomically (``pmo-nb run``).

:func:`run` is a short sequence of named steps: check the settings, load and validate the source (bad data, an
unknown program or a bad month stops here, before anything is written), plan one :class:`~pmo_nb.run.jobs.Job`
per report, open the staging folder, share the computed month with the kernels, execute the reports in the
worker pool while kpis.csv is written, list the month's reports, build the executive pack from the computed
month and the month's index.html, write the manifest and publish. The design
(staging and the swap, kernel reuse, the shared month, what stops a run) is described in docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pmo_nb.config import Config, load_config
from pmo_nb.contract import BATCH_ENV, FORMATS, JOBS_ENV, SHARED_ENV, SOURCE_ENV
from pmo_nb.exceptions import (
    ConfigError,
    DataValidationError,
    DiskFullError,
    Finding,
    PmoError,
    ReportError,
    ReportExecutionError,
)
from pmo_nb.metrics.changes import write_snapshot
from pmo_nb.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from pmo_nb.periods import Period
from pmo_nb.publish.mail.record import keep_record
from pmo_nb.run.cluster import Cluster, connect, run_files
from pmo_nb.run.jobs import PORTFOLIO, Job, ReportResult
from pmo_nb.run.kernels import KERNEL_NAME, kernel_executable
from pmo_nb.run.linking import relink_overview, write_index
from pmo_nb.run.manifest import build_manifest, first_line, write_manifest
from pmo_nb.run.masking import masked, scrub
from pmo_nb.run.packing import PACK_MODES, PackMode, make_pack, month_entries, pack_name, pages_ahead
from pmo_nb.run.pool import Interrupted, run_reports, start_pool, terminate_pool
from pmo_nb.run.published import carry_over, failed_folder, missing_reports, published_reports
from pmo_nb.run.rendering import check_formats, links_for
from pmo_nb.run.staging import MARKER, Staging, no_space, signals_held, writing
from pmo_nb.run.worker import Prewarm

__all__ = ["run", "default_jobs", "RunResult", "SharedMonth", "parse_programs", "check_file_name", "share_month",
           "check_reports", "PROGRAM_NOTEBOOK", "PORTFOLIO_NOTEBOOK", "SHARED_NAME", "DEFAULT_TIMEOUT"]

SHARED_NAME = ".shared-state.pickle"
DEFAULT_TIMEOUT = 600.0
PROGRAM_NOTEBOOK = NOTEBOOKS_DIR / "program_report.ipynb"
PORTFOLIO_NOTEBOOK = NOTEBOOKS_DIR / "portfolio_overview.ipynb"

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """The outcome of :func:`run`: where the month's folder is and what each report did."""

    folder: Path
    period: Period
    run_id: str
    reports: list[ReportResult]
    manifest: dict[str, Any]
    duration: float
    pack_error: ReportError | None = None
    kept: Path | None = None
    """The published month this run was not allowed to replace (``folder`` is then next to it), or None."""
    missing: list[str] = field(default_factory=list)
    """Reports the kept month has that this run did not produce."""
    excluded: list[Finding] = field(default_factory=list)
    """Rows of the source left out for breaking a rule (``[validation] invalid_rows = "exclude"``)."""

    @property
    def ok(self) -> bool:
        """No report of this run failed (reports carried over do not count), the pack too; published as the month."""
        return not self.failed and self.pack_error is None and self.kept is None

    @property
    def failed(self) -> list[ReportResult]:
        """This run's failed reports (not those carried over from the published month)."""
        return [r for r in self.reports if not r.ok and r.carried_from is None]


@dataclass
class _Plan:
    """Everything the run decided before writing anything."""

    cfg: Config
    formats: tuple[str, ...]
    portfolio: Any
    source: str
    period: Period
    base: dict[str, Any]
    jobs: list[Job] = field(default_factory=list)
    kernel_exe: str = ""
    generated_at: str = ""
    run_id: str = ""
    workers: int = 1
    partial: bool = False  # only some programs were asked for
    kernel_env: dict[str, str] = field(default_factory=dict)  # the real source, when the parameters mask it
    links: dict[str, str] = field(default_factory=dict)  # where the HTML reports link to (all the month's programs)
    fingerprint: str | None = None  # the source's, made once with the shared month (None: made for the manifest)
    pack: PackMode = "executive"


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


class SharedMonth(NamedTuple):
    """What :func:`share_month` computed: the month's KPIs, the whole state (None when it could not be made),
    and whether the kernels were given it."""

    kpis: Any
    state: Any
    written: bool


def share_month(portfolio: Any, config: Config, params: Mapping[str, Any], path: Path,
                pool: Executor | None = None, *, past_months: bool = True) -> SharedMonth:
    """The computed month, after pickling it (``pmo_nb.metrics.month.shared_state``) to ``path``.

    ``params`` are the notebooks' parameters (period, source, config, previous_snapshot); the pickle's key
    is made from them exactly as the notebooks' ``build`` makes theirs, so that they use it. The state is also
    what the executive pack is drawn from. When the shared state cannot be made (an unreadable previous
    snapshot), nothing is pickled and ``state`` is None: each report then loads by itself and fails with the
    error in its own notebook, as it would without sharing, and the run still writes kpis.csv.
    ``past_months``: also recompute, once for every report, the trend months the history store lacks (when a
    notebook shows a trend: :func:`shows_past_months`). With ``pool`` (the run's worker processes, idle until the
    reports are handed out), those months are computed there, in parallel with the month itself.
    """
    from pmo_nb.metrics.kpis import compute
    from pmo_nb.metrics.month import (
        in_key_order,
        share_current,
        shared_key,
        shared_state,
        unmasked_source,
        write_shared,
    )

    ahead = _trend_months_ahead(in_key_order(portfolio), config, params, pool) if past_months else {}
    try:
        state = shared_state(portfolio, config, params["period"], params["previous_snapshot"])
    except PmoError as exc:
        for fut in ahead.values():
            fut.cancel()
        log.warning("no shared state for the reports (each loads the source itself): %s",
                    scrub(first_line(exc), unmasked_source(params["source"])))
        return SharedMonth(compute(in_key_order(portfolio), params["period"], config), None, False)
    if past_months:
        _collect_months_ahead(state, ahead)
        _recompute_trend_months(state, params.get("reports_dir"))
        share_current(state)
    key = shared_key(params["source"], params["config"], params["period"], params["previous_snapshot"])
    if key is None:
        return SharedMonth(state.kpis, state, False)
    write_shared(path, key, state)
    return SharedMonth(state.kpis, state, True)


def shows_past_months(notebooks: Iterable[str | Path]) -> bool:
    """Whether any of ``notebooks`` calls a section that reads the past months (the trends); a notebook that
    cannot be read counts as one that does (its kernel would otherwise recompute them itself)."""
    import nbformat

    import pmo_nb.reporting.report  # noqa: F401  (registers the built-in sections)
    from pmo_nb.reporting import sections

    for path in notebooks:
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # an unreadable notebook fails in its own report, with its own message
            return True
        if sections.reads_past_months("\n".join(c.source for c in nb.cells if c.cell_type == "code")):
            return True
    return False


def _trend_months_ahead(portfolio: Any, config: Config, params: Mapping[str, Any], pool: Executor | None
                        ) -> dict[str, Future[Any]]:
    """The trend months :func:`_recompute_trend_months` would recompute, handed to ``pool`` (month -> future)."""
    from pmo_nb.metrics.history import TREND_MONTHS, recompute_month, to_recompute

    if pool is None:
        return {}
    try:
        months = to_recompute(params.get("reports_dir"), params["period"], TREND_MONTHS, portfolio)
        return {m: pool.submit(recompute_month, portfolio, m, config) for m in months}
    except Exception:  # the months are then recomputed here
        return {}


def _collect_months_ahead(state: Any, ahead: Mapping[str, Future[Any]]) -> None:
    """Put the months computed ahead into ``state.recomputed``, taking a share of the work: the months the
    workers have not started are taken back from the newest down, one at a time (:meth:`Future.cancel`), and
    computed here while the workers go on from the oldest; a month that failed (there or here) is left out, to be
    recomputed by :func:`_recompute_trend_months`, which says why, as without a pool."""
    from pmo_nb.metrics.history import recompute_month

    for month, fut in reversed(list(ahead.items())):
        if fut.cancel():
            with contextlib.suppress(Exception):
                state.recomputed[month] = recompute_month(state.portfolio, month, state.config)
    for month, fut in ahead.items():
        if not fut.cancelled():
            with contextlib.suppress(Exception):
                state.recomputed[month] = fut.result()


def _recompute_trend_months(state: Any, reports_dir: str | None) -> None:
    """Recompute once, here, the trend months that ``reports_dir/history/`` lacks (into ``state.recomputed``):
    otherwise every report's kernel would recompute the same past months of the whole portfolio."""
    from pmo_nb.metrics.history import TREND_MONTHS, pack_stored, read_history

    state.stored = pack_stored(reports_dir, state.period, TREND_MONTHS)  # read once here, not in every report
    try:
        read_history(reports_dir, state.period, TREND_MONTHS, portfolio=state.portfolio, config=state.config,
                     current=state.kpis, cache=state.recomputed, stored=state.stored)
    except PmoError as exc:  # an unreadable stored month: each report says so in its own trend section
        log.warning("the trend months were not prepared for the reports: %s", first_line(exc))


def check_reports(results: Sequence[ReportResult]) -> None:
    """Raise instead of publishing when the disk filled up, or when no report even started executing
    (a kernel that never starts, workers that all died): such a month would only hide the last good one."""
    for res in results:
        if res.error is not None and res.error.ename == "DiskFullError":
            raise DiskFullError(res.error.path or res.name)
    if results and not any(r.ok or "execute" in r.timings for r in results):
        first = results[0].error or ReportError(ename="", program=results[0].name)
        raise ReportExecutionError(
            f"no report started executing ({results[0].name}: {first.ename}: {first.evalue})"
            "; nothing was published, the previous reports are untouched. Check the Jupyter kernel "
            f"(`jupyter kernelspec list`; `make setup` reinstalls {KERNEL_NAME!r}) and run the month again",
            ename=first.ename, evalue=first.evalue, notebook=first.notebook)


def _stamp() -> tuple[str, str]:
    """(generated_at, run_id) from pmo_nb.publish.exporters.run_stamp, the single source of both."""
    from pmo_nb.publish.exporters import run_stamp

    stamp = run_stamp()
    return str(stamp.generated_at), str(stamp.run_id)


def _source_param(source: str | Path) -> str:
    s = str(source)
    return s if "://" in s else str(Path(s).resolve())


def _notebooks(overrides: Mapping[str, str | Path] | None) -> dict[str, Path]:
    """The report notebooks (defaults, or ``overrides``), checked to exist."""
    paths = {"program": PROGRAM_NOTEBOOK, "portfolio": PORTFOLIO_NOTEBOOK}
    paths.update({k: Path(v) for k, v in (overrides or {}).items()})
    for kind, p in paths.items():
        if not Path(p).is_file():
            raise ReportExecutionError(f"the {kind} report notebook {p} is missing: restore it from git "
                                       "(notebooks/) or pass an existing notebook", notebook=str(p))
    return paths


def _settings(config: str | Path | Config | None, formats: Iterable[str], jobs: int | None, pack: str
              ) -> tuple[Config, tuple[str, ...]]:
    cfg = load_config(config)
    if cfg.path is None and cfg != Config():
        raise ConfigError("the report notebooks read their settings from a file: pass the pmo.toml path, "
                          "not a Config built in code", key="config")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {jobs}", key="jobs")
    if pack not in PACK_MODES:
        raise ConfigError(f"--pack {pack!r} is not one of {', '.join(PACK_MODES)}", key="pack")
    return cfg, check_formats(formats)


def _plan(source: str | Path | None, period: Period | None, programs: str | Iterable[str] | None,
          cfg: Config, fmts: tuple[str, ...], out_dir: Path) -> _Plan:
    """Load and validate the source, settle the month and the programs: nothing is written yet."""
    from pmo_nb.data.ingest import load
    from pmo_nb.metrics.calendar import check_period, default_period

    src = _source_param(SAMPLE_DIR if source is None else source)  # as the notebooks resolve it
    shown = masked(src)  # what the notebooks and the manifest record; the kernels read the real one from the env
    portfolio = load(src, cfg)
    month = check_period(portfolio, period) if period else default_period(portfolio)
    prev = out_dir / month.previous() / "kpis.csv"
    base = {
        "period": str(month),
        "source": shown,
        "config": str(Path(cfg.path).resolve()) if cfg.path else None,
        "previous_snapshot": str(prev) if prev.is_file() else None,
        "reports_dir": str(out_dir),  # its history/ holds the earlier months the trends read
    }
    plan = _Plan(cfg=cfg, formats=fmts, portfolio=portfolio, source=src, period=month, base=base,
                 kernel_env={SOURCE_ENV: src} if shown != src else {})
    wanted = parse_programs(programs)
    plan.partial = wanted is not None
    program_ids = [portfolio.check_program(p) for p in wanted] if wanted else list(portfolio.program_ids)
    for pid in program_ids:
        check_file_name(pid, portfolio.source or src)
    plan.links = links_for(portfolio.program_ids, fmts)
    plan.jobs = [Job(name=PORTFOLIO, kind="portfolio", notebook="", parameters=dict(base), folder="",
                     formats=fmts, timeout=None, kernel_env=plan.kernel_env, links=plan.links)]
    plan.jobs += [Job(name=pid, kind="program", notebook="", parameters={"program_id": pid, **base}, folder="",
                      formats=fmts, timeout=None, kernel_env=plan.kernel_env, links=plan.links)
                  for pid in program_ids]
    return plan


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` while the run is on (from the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _write_kpis(staging: Staging, kpis: Any) -> None:
    path = staging.path("kpis.csv")
    with writing(path):
        write_snapshot(kpis.snapshot(), path.with_name(".kpis.csv.part"), kpis.config.currency)
    os.replace(path.with_name(".kpis.csv.part"), path)


def _keep_history(out_dir: Path, kpis: Any) -> None:
    """Keep the published month in ``out_dir/history/`` for next months' trends (a failure costs only the trend)."""
    from pmo_nb.metrics.history import write_month

    try:
        write_month(out_dir, kpis)
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "the month was published, but its history could not be kept in %s (%s): next months' trends will "
            "recompute it from the source", out_dir / "history", exc.strerror or exc)


def _publish(staging: Staging, dest: Path | None) -> Path:
    try:
        return staging.publish(dest)
    except OSError as exc:
        if no_space(exc):
            raise DiskFullError(staging.dest) from None
        raise ReportExecutionError(f"could not publish the reports as {dest or staging.dest}: {exc.strerror or exc}; "
                                   "the previous reports (if any) were left in place: make --out writable and run "
                                   "the month again") from None


def run(
    source: str | Path | None = None,
    *,
    period: Period | str | None = None,
    programs: str | Iterable[str] | None = None,
    formats: Iterable[str] = FORMATS,
    out: str | Path = "reports",
    jobs: int | None = None,
    config: str | Path | Config | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: bool = True,
    notebooks: Mapping[str, str | Path] | None = None,
    kernel_name: str = KERNEL_NAME,
    worker_setup: str | None = None,
    command: Sequence[str] | None = None,
    reuse_kernels: bool = True,
    replace: bool = False,
    pack: PackMode = "executive",
    cluster: str | None = None,
) -> RunResult:
    """Run a month's reports and publish them atomically into ``out/<period>/``.

    Parameters
    ----------
    source:
        A CSV/Parquet folder, an Excel workbook or a SQLAlchemy URL (default: the sample data).
    period:
        The month, a :class:`~pmo_nb.periods.Period` (a ``YYYY-MM`` string is parsed with ``Period.parse``);
        default: the source's latest complete month.
    programs:
        Program ids (list or "A,B"); default every program.
    formats:
        Format names registered in ``pmo_nb.publish.formats`` (built in: html, pdf). The executive pack is built
        when "pdf" is asked for; the month's ``index.html`` is always written.
    out:
        Reports folder, relative to the current folder (default ``reports``); the month goes to ``out/<period>/``.
    jobs:
        Worker processes (default: :func:`default_jobs`, ``$PMO_NB_JOBS`` or the CPUs available to this process).
    config:
        ``pmo.toml`` path or a ``Config``.
    timeout:
        Per-cell execution timeout in seconds (None: no limit).
    notebooks:
        Override the report notebooks: ``{"program": path, "portfolio": path}`` (tests, custom reports).
    kernel_name:
        The Jupyter kernel to run the reports in (checked to be this environment's Python).
    worker_setup:
        ``"module:function"`` called once in each worker after start-up (tests and instrumentation).
    command:
        The command line to record in the manifest (default ``sys.argv``).
    reuse_kernels:
        Keep each worker's kernel for its next report of the same notebook, with the namespace reset
        (``%reset -f``) in between; a kernel whose report failed is never reused. The outputs are
        byte-identical either way.
    replace:
        Replace the published month even when this run failed or lacks some of its reports.
    pack:
        "executive" (cover, overview, one page per program, drawn from the month this run computed) or "full"
        (the same, then every report in full).
    cluster:
        The address of a Dask scheduler (``tcp://HOST:8786``): the reports run on its workers instead of local
        processes (:mod:`pmo_nb.run.cluster`); everything else (validation, the month, staging, pack, index,
        manifest, publishing) happens here as in a local run. ``jobs`` must then be None.

    Returns
    -------
    RunResult
        ``ok`` is False when any report (or the pack) failed, or when the run was published next to the month
        (``kept``) because it did not earn replacing it (see :mod:`pmo_nb.run.published`). With ``programs`` on a
        published month, the other programs' reports are carried over and the month rebuilt from all of them.

    Raises
    ------
    DataValidationError, SourceError, ConfigError, PeriodError, UnknownEntityError
        Before anything is written.
    ClusterError
        With ``cluster``: the scheduler is unreachable, has no workers, or a worker lacks pmo-nb or its kernel;
        before anything is written.
    ReportExecutionError, DiskFullError
        No report started, or the disk filled up: nothing is published.
    Interrupted
        On SIGINT/SIGTERM: workers and kernels are killed, the staging folder removed, nothing published.
    """
    t_start, started = time.perf_counter(), time.time()
    cfg, fmts = _settings(config, formats, jobs, pack)
    nb_paths = _notebooks(notebooks)
    out_dir = Path(out).resolve()
    plan = _plan(source, None if period is None else Period.parse(period), programs, cfg, fmts, out_dir)
    plan.generated_at, plan.run_id = _stamp()
    plan.pack = pack
    remote = _connect(plan, cluster, jobs, kernel_name)
    staging = Staging(out_dir, plan.period, plan.run_id, started=started)
    ahead = None  # the executive pack's pages, laid out while the reports run
    with _sigterm_interrupts(), remote or contextlib.nullcontext():
        try:
            staging.open()
            shared_path = staging.path(SHARED_NAME)
            # the workers start (imports, a spare kernel each) while this process computes the month
            prewarm = Prewarm(kernel_name, {BATCH_ENV: "1", SHARED_ENV: str(shared_path), **plan.kernel_env},
                              str(Path(nb_paths["program"]).resolve().parent)) if reuse_kernels else None
            pool = None if remote is not None else start_pool(
                min(plan.workers, len(plan.jobs)), fmts, worker_setup=worker_setup, prewarm=prewarm)
            try:
                month = share_month(plan.portfolio, cfg, plan.base, shared_path, pool,
                                    past_months=shows_past_months(nb_paths.values()))
            except BaseException:
                if pool is not None:
                    terminate_pool(pool)
                raise
            plan.fingerprint = month.state.fingerprint if month.state is not None else None
            if "pdf" in plan.formats and month.state is not None:
                ahead = pages_ahead(month.state, cfg, str(plan.period), plan.generated_at)
            kpis, shared = month.kpis, month.written
            plan.jobs = [Job(**{**j.__dict__, "notebook": str(Path(nb_paths[j.kind]).resolve()),
                                "folder": str(staging.folder), "timeout": timeout, "kernel_name": kernel_name,
                                "generated_at": plan.generated_at, "reuse_kernel": reuse_kernels,
                                "shared": str(shared_path) if shared else None})
                         for j in plan.jobs]
            if remote is not None:
                files = run_files(plan.jobs, out_dir=out_dir, period=plan.period,
                                  shared=shared_path if shared else None, config=cfg, setup=worker_setup)
                results = remote.run_reports(plan.jobs, files, progress=progress,
                                             while_running=lambda: _write_kpis(staging, kpis))
            else:
                results = run_reports(plan.jobs, workers=plan.workers, progress=progress, worker_setup=worker_setup,
                                      while_running=lambda: _write_kpis(staging, kpis), pool=pool, prewarm=prewarm)
            if not staging.path("kpis.csv").exists():
                _write_kpis(staging, kpis)
            check_reports(results)
            shared_path.unlink(missing_ok=True)  # never published
            previous = published_reports(staging.dest)
            everything = _with_carried(plan, results, previous, staging)
            pack_info, pack_error = _navigation(plan, staging, everything, month, ahead)
            if ahead is not None:
                ahead.stop()  # (the pack stops it; not when it was not built)
            duration = time.perf_counter() - t_start
            manifest = _manifest(plan, staging, everything, pack_info, command, started, duration, reuse_kernels)
            missing = missing_reports(previous, everything)
            earned = replace or not (staging.dest.exists() or staging.dest.is_symlink()) or (
                not missing and pack_error is None and all(r.ok for r in results))
            if earned:
                keep_record(staging.dest, staging.folder)  # pmo-nb send's sent.json outlives a re-run
            dest = _publish(staging, None if earned else failed_folder(out_dir, plan.period, plan.run_id))
            if earned:
                _keep_history(out_dir, kpis)
        except BaseException as exc:
            with signals_held():  # a second Ctrl-C must not cut the clean-up short
                if ahead is not None:
                    ahead.stop()
                staging.discard()
            if isinstance(exc, OSError):  # EACCES, EROFS, ... while writing the month: one line with the fix
                raise ReportExecutionError(
                    f"cannot write {exc.filename or staging.folder}: {exc.strerror or exc}; make --out writable "
                    "(or pass another --out) and run the month again; nothing was published") from None
            raise
    return RunResult(folder=dest, period=plan.period, run_id=plan.run_id, reports=everything, manifest=manifest,
                     duration=duration, pack_error=pack_error, kept=None if earned else staging.dest,
                     missing=[] if earned else missing, excluded=list(plan.portfolio.excluded))


def default_jobs() -> int:
    """The worker processes of a local run without ``--jobs``: ``$PMO_NB_JOBS`` when set, else one per CPU
    available to this process. ``ConfigError`` naming the variable when it is not a whole number of at least 1."""
    value = os.environ.get(JOBS_ENV, "").strip()
    if not value:
        return len(os.sched_getaffinity(0))
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{JOBS_ENV}={value!r}: must be a whole number of worker processes, at least 1; set it to "
                          f"e.g. 2 or unset it (one worker per CPU), or pass --jobs", key="jobs")
    return int(value)


def _connect(plan: _Plan, cluster: str | None, jobs: int | None, kernel_name: str) -> Cluster | None:
    """The cluster the reports run on (checked), or None for the local pool; sets the plan's workers and kernel."""
    if not cluster:
        plan.kernel_exe = kernel_executable(kernel_name)
        plan.workers = jobs or default_jobs()
        return None
    if jobs is not None:
        raise ConfigError("--jobs sets the local worker processes; with --cluster the cluster's workers run the "
                          "reports (one each at a time): leave --jobs out", key="jobs")
    remote = connect(cluster, kernel_name)
    plan.kernel_exe = remote.kernel_executable
    plan.workers = remote.slots
    return remote


def _navigation(plan: _Plan, staging: Staging, results: list[ReportResult], month: SharedMonth, ahead: Any = None
                ) -> tuple[dict[str, Any] | None, ReportError | None]:
    """The overview's links made true, the executive pack (with pdf; ``ahead``: its pages laid out during the
    reports) and ``index.html``: (pack entry, error)."""
    listing = month_entries(staging, results, month.kpis.programs, plan.generated_at,
                            expected=plan.portfolio.program_ids)
    relink_overview(staging, results, plan.generated_at, plan.links)
    pack_info, pack_error = (None, None)
    if "pdf" in plan.formats:
        pack_info, pack_error = make_pack(staging, listing, plan.cfg, plan.period, plan.generated_at,
                                          mode=plan.pack, state=month.state, ahead=ahead)
    write_index(staging, listing, organisation=plan.cfg.organisation, period=plan.period,
                generated_at=plan.generated_at, formats=plan.formats,
                pack=pack_name(plan.period) if pack_info is not None and pack_error is None else None)
    return pack_info, pack_error


def _with_carried(plan: _Plan, results: list[ReportResult], previous: list[ReportResult],
                  staging: Staging) -> list[ReportResult]:
    """``results``, plus the published month's other reports when only some programs were run."""
    if not plan.partial or not previous:
        return results
    carried = carry_over(previous, staging.dest, staging, {r.name for r in results})
    order = {name: i for i, name in enumerate([PORTFOLIO, *plan.portfolio.program_ids])}
    return sorted([*results, *carried], key=lambda r: (order.get(r.name, len(order)), r.name))


def _manifest(plan: _Plan, staging: Staging, results: list[ReportResult], pack: dict[str, Any] | None,
              command: Sequence[str] | None, started: float, duration: float, reuse: bool) -> dict[str, Any]:
    """Build and write ``manifest.json`` into the staging folder."""
    manifest = build_manifest(
        folder=staging.folder, run_id=plan.run_id, generated_at=plan.generated_at, period=plan.period,
        command=scrub(shlex.join(list(command) if command is not None else sys.argv), plan.source),
        source=plan.portfolio.source or masked(plan.source),
        source_fingerprint=plan.fingerprint or plan.portfolio.fingerprint(),
        config=plan.cfg.to_dict(), formats=plan.formats, reports=[r.as_dict() for r in results], pack=pack,
        started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), duration=duration,
        jobs=plan.workers, kernel={"name": plan.jobs[0].kernel_name, "executable": plan.kernel_exe, "reuse": reuse},
        exclude=(MARKER,), excluded_rows=[f.as_dict() for f in plan.portfolio.excluded],
    )
    with writing(staging.folder / "manifest.json"):
        write_manifest(staging.folder, manifest)
    return manifest
