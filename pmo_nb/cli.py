"""The ``pmo-nb`` command line.

Every command turns a ``PmoError`` into a one-line message on stderr and a non-zero exit code,
never a traceback: 1 for bad data or a failed report, 2 for a bad invocation or unreadable input.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from typing import Any, Literal

import click

import pmo_nb.run  # noqa: F401  (first: what a run imports, it imports quickly)
from pmo_nb import __version__
from pmo_nb.contract import FORMATS
from pmo_nb.exceptions import ClusterError, DataValidationError, PeriodError, PmoError, SourceError
from pmo_nb.periods import Period


class OneLineBadParameter(click.BadParameter):
    """A bad option value shown as one ``error:`` line (exit 2), without click's usage block."""

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineUsageError(click.UsageError):
    """A bad invocation shown as one ``error:`` line (exit 2)."""

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineCommand(click.Command):
    """A command whose bad options (unknown option, bad value, a file given for a folder) are one line."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise OneLineUsageError(exc.format_message(), ctx=exc.ctx) from None


class PeriodParam(click.ParamType):
    """A reporting month: ``YYYY-MM``, surrounding white space trimmed, converted once to a ``Period``."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        try:
            return Period.parse(value)
        except PeriodError as exc:
            raise OneLineBadParameter(str(exc), ctx=ctx, param=param) from None


PERIOD = PeriodParam()


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn pmo_nb errors into a one-line message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataValidationError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (SourceError, ClusterError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except PmoError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmo-nb")
@click.option("--workspace", "workspace_dir", default=None, metavar="DIR", type=click.Path(file_okay=False),
              help="A folder made by `pmo-nb init`: its pmo.toml, notebooks, templates and data are used, the "
                   "packaged ones for anything it lacks (default: the current folder if it holds a pmo.toml).")
@handle_errors
def cli(workspace_dir: str | None) -> None:
    """pmo-nb: monthly PMO reports from project records."""
    import os

    from pmo_nb.contract import WORKSPACE_ENV
    from pmo_nb.workspace import Workspace

    ws = Workspace.find(workspace_dir)
    if ws.root is not None:  # the run's workers and kernels find the same workspace
        os.environ[WORKSPACE_ENV] = str(ws.root)


def _workspace() -> Any:
    from pmo_nb.workspace import Workspace

    return Workspace.find()


def _config_or_workspace(config_path: str | None) -> str | None:
    """``--config`` when given, else the workspace's pmo.toml (None: built-in defaults)."""
    if config_path is not None:
        return config_path
    found = _workspace().config_path
    return None if found is None else str(found)


def _source_or_workspace(source: str | None) -> str:
    """SOURCE when given, else the workspace's data/ (or the bundled sample)."""
    return source if source is not None else str(_workspace().data_dir)


@cli.command("init")
@click.argument("directory", required=False, metavar="DIR")
@click.option("--empty", is_flag=True, help="data/ gets empty tables with their headers instead of the sample.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing: list the workspace's (DIR, default: this one) notebooks and templates that "
                   "differ from the installed pmo-nb's (after an upgrade).")
@handle_errors
def init_command(directory: str | None, empty: bool, check_only: bool) -> None:
    """Create a reporting workspace in DIR (new or empty): pmo.toml, notebooks/, templates/, data/, README.

    Run pmo-nb from DIR (or with --workspace DIR) and every command uses the workspace's files.
    """
    from pmo_nb.workspace import check, init

    if check_only:
        differences = check(directory)
        for difference in differences:
            click.echo(str(difference))
        if not differences:
            click.echo("the workspace's notebooks and templates match the installed pmo-nb "
                       f"{__version__}")
        return
    if directory is None:
        raise OneLineUsageError("give the folder to create, e.g. `pmo-nb init pmo`")
    written = init(directory, empty=empty, version=__version__)
    click.echo(f"created the workspace {directory} ({len(written)} files, data: "
               f"{'empty tables' if empty else 'the sample portfolio'}); next: cd {directory} && pmo-nb run")


# Commands are added below by their owning modules' issues:
#   validate (ingest/validate), sample (sample), kpis (KPI engine), run (batch).


@cli.command("validate")
@click.argument("source", required=False)
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="pmo.toml with column mappings and number format (default: built-in defaults).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="Show at most this many problems.")
@handle_errors
def validate_command(source: str | None, config_path: str | None, limit: int) -> None:
    """Check SOURCE (CSV/Parquet folder, .xlsx workbook or database URL) against the data model.

    Prints every problem (exit 1) or a summary of the valid portfolio (exit 0). SOURCE defaults to the
    workspace's data/.
    """
    from pmo_nb.console.findings import render_findings, render_notes, render_summary
    from pmo_nb.data.ingest import check

    source, config_path = _source_or_workspace(source), _config_or_workspace(config_path)

    result = check(source, config_path)
    if result.findings:
        click.echo(f"source: {result.source}")
        click.echo(render_findings(result.findings, limit=limit))
        if result.notes:
            click.echo(render_notes(result.notes))
        click.echo("Fix these in the source and run `pmo-nb validate` again (docs/data-model.md explains "
                   "each rule).")
        sys.exit(1)
    assert result.portfolio is not None  # no finding: check() returns the loaded portfolio
    click.echo(render_summary(result.portfolio, result.notes))


@cli.command("kpis")
@click.argument("source", required=False)
@click.option("--period", default=None, type=PERIOD,
              help="Reporting month (default: the latest ended month in which the data records an event: "
                   "costs booked, a milestone achieved, a risk or issue raised or closed, a status date).")
@click.option("--level", type=click.Choice(["project", "program", "portfolio"]), default="project",
              show_default=True, help="One row per project, per program, or one for the portfolio.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Fixed-width table, CSV (undefined empty) or JSON (undefined null).")
@click.option("--program", "program_id", default=None, help="Restrict to one program id.")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="pmo.toml with thresholds and column mappings (default: built-in defaults).")
@handle_errors
def kpis_command(source: str | None, period: Period | None, level: Literal["project", "program", "portfolio"],
                 fmt: Literal["table", "csv", "json"], program_id: str | None,
                 config_path: str | None) -> None:
    """Print earned value, earned schedule and RAG per project, program or the portfolio.

    Rows carry names next to ids; CSV cells that a spreadsheet would run as formulas are escaped.
    """

    from pmo_nb.config import load_config
    from pmo_nb.console.kpis import render_rows
    from pmo_nb.data.ingest import load
    from pmo_nb.metrics.kpis import compute, kpi_rows

    config = load_config(_config_or_workspace(config_path))
    portfolio = load(_source_or_workspace(source), config=config)
    if program_id is not None:
        portfolio.check_program(program_id)
    result = compute(portfolio.in_key_order(), period, config)
    if program_id is not None:
        result = result.program(program_id)
    rows = kpi_rows(result, level)  # click.Choice has checked both
    click.echo(render_rows(rows, fmt, config.currency), nl=False)


def _run_formats(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    """``--formats``: names registered in ``pmo_nb.publish.formats`` (built in: html, pdf; plug-ins add more)."""
    from pmo_nb.publish.formats import names

    known = names()
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing given'}: use {', '.join(known)} "
                                 f"(comma-separated, e.g. {','.join(FORMATS)})")
    return formats


@cli.command("run", cls=OneLineCommand)
@click.option("--source", default=None, help="CSV/Parquet folder, .xlsx workbook or database URL "
              "(default: the bundled sample data).")
@click.option("--period", default=None, type=PERIOD,
              help="Reporting month (default: the latest month of financials that has ended).")
@click.option("--programs", default=None, metavar="ID,...", help="Only these programs (default: all).")
@click.option("--formats", default="html,pdf", show_default=True, metavar="html,pdf", callback=_run_formats,
              help="Report formats (html, pdf and any a plug-in registers); the executive pack is built with pdf.")
@click.option("--pack", "pack", type=click.Choice(["executive", "full"]), default="executive", show_default=True,
              help="executive: a cover naming the programs that need attention, the overview and one page per "
                   "program; full: the same, then every report in full.")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Reports folder; the month goes to OUT/YYYY-MM/ (default: reports/ of the current folder).")
@click.option("--jobs", default=None, type=click.IntRange(min=1),
              help="Worker processes (default: $PMO_NB_JOBS when set, else one per available CPU).")
@click.option("--cluster", default=None, metavar="tcp://HOST:8786",
              help="Run the reports on the workers of this Dask scheduler instead of local processes (needs "
                   "pmo-nb[cluster] here and on every worker; docs/scaling.md).")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="pmo.toml (default: built-in defaults).")
@click.option("--timeout", default=600, show_default=True, type=click.IntRange(min=1),
              help="Per-cell execution timeout in seconds.")
@click.option("--quiet", is_flag=True, help="No progress bar: only the summary and errors (for cron).")
@click.option("--reuse-kernels/--no-reuse-kernels", default=True, show_default=True,
              help="Keep each worker's kernel for its next report of the same notebook (namespace reset in "
                   "between; a kernel whose report failed is never reused). The outputs are byte-identical "
                   "either way; --no-reuse-kernels gives each report a fresh kernel.")
@click.option("--replace", is_flag=True,
              help="Replace the published month even if this run failed or lacks some of its reports (otherwise "
                   "such a run goes next to it, in OUT/YYYY-MM.failed-RUNID/).")
@click.option("--program-notebook", default=None, hidden=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--portfolio-notebook", default=None, hidden=True, type=click.Path(dir_okay=False, exists=True))
@handle_errors
def run_command(source: str | None, period: Period | None, programs: str | None, formats: list[str],
                pack: Literal["executive", "full"], out: str | None, jobs: int | None, cluster: str | None,
                config_path: str | None,
                timeout: int, quiet: bool, reuse_kernels: bool, replace: bool, program_notebook: str | None,
                portfolio_notebook: str | None) -> None:
    """Run the month's reports: one per program plus the portfolio overview, HTML/PDF, the executive pack
    and the month's index.html.

    Everything is written to a temporary folder inside OUT and swapped into OUT/YYYY-MM/ only when
    complete. Exit 0 when every report succeeded, 1 when any failed. A month already published is replaced
    only by a run with no failure that has at least its reports (or with --replace); any other run goes next
    to it, in OUT/YYYY-MM.failed-RUNID/. --programs on a published month updates those programs' reports and
    rebuilds the overview, pack, index, kpis.csv and manifest; the other programs' reports stay. With
    [validation] invalid_rows = "exclude" in pmo.toml, rows that break a rule are left out with a warning
    line (exit 0) and listed in the data notes of the reports they concern.
    """
    from pmo_nb.console.findings import render_findings
    from pmo_nb.run.masking import scrub
    from pmo_nb.run.monthly import run
    from pmo_nb.run.pool import Interrupted
    from pmo_nb.run.summary import excluded_line, excluded_rows, summary_lines

    ws = _workspace()
    notebooks = {"program": program_notebook or str(ws.notebook("program_report.ipynb")),
                 "portfolio": portfolio_notebook or str(ws.notebook("portfolio_overview.ipynb"))}
    config_path = _config_or_workspace(config_path)
    if source is None and ws.root is not None:
        source = str(ws.data_dir)
    try:
        result = run(
            source, period=period, programs=programs, formats=formats,
            out=out or "reports", jobs=jobs, config=config_path, timeout=timeout, progress=not quiet,
            notebooks=notebooks, reuse_kernels=reuse_kernels, replace=replace, pack=pack, cluster=cluster,
        )
    except DataValidationError as exc:
        click.echo(scrub(f"source: {exc.source}", source), err=True)
        click.echo(scrub(render_findings(exc.findings), source), err=True)
        click.echo("Nothing was run or written. Fix these in the source (`pmo-nb validate` shows the same "
                   "list; docs/data-model.md explains each rule).", err=True)
        sys.exit(1)
    except Interrupted as exc:
        click.echo(f"interrupted ({exc}): nothing was published; earlier reports are untouched", err=True)
        sys.exit(128 + exc.signum)
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was published; earlier reports are untouched", err=True)
        sys.exit(130)
    except PmoError as exc:  # shown by handle_errors, never with the source's password
        exc.args = (scrub(str(exc), source), *exc.args[1:])
        raise
    failed = result.failed
    if not quiet or not result.ok:
        for line in summary_lines(result, only_failed=quiet):
            click.echo(line)
    excluded = excluded_line(result.excluded)
    if excluded:
        click.echo(scrub(f"warning: {excluded}", source), err=True)
    n = len(result.reports)
    if result.kept is not None:
        what = (f"{len(failed)} of {n} reports failed" if failed else "the executive pack failed"
                if result.pack_error else f"this run lacks {', '.join(result.missing)}")
        click.echo(f"{what} for {result.period}, so the published {result.kept} was kept; this run is in "
                   f"{result.folder} (manifest.json has the details): fix and run the month again, or pass "
                   "--replace to publish it as the month", err=True)
        sys.exit(1)
    if not result.ok:
        what = f"{len(failed)} of {n} reports failed" if failed else "the executive pack failed"
        click.echo(f"{what} for {result.period}; the rest is in {result.folder} (failed notebooks are "
                   f"kept in {result.folder / 'notebooks'}; manifest.json has the details)", err=True)
        sys.exit(1)
    rows = len(excluded_rows(result.excluded))
    left_out = f"; {rows} source row{'s' if rows != 1 else ''} left out" if rows else ""
    click.echo(f"{n} reports for {result.period} in {result.duration:.1f} s{left_out}: {result.folder} "
               f"(manifest.json lists every file)")


@cli.command("sample")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder to write into (created if missing).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "parquet"]), default="csv",
              show_default=True, help="CSV files, one workbook with a sheet per table, or Parquet files.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same files).")
@click.option("--period", default=None, type=PERIOD,
              help="Reporting month the data ends with (default: 2026-10).")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(min=1),
              help="Multiply every size (programs, projects, milestones, risks, issues) by N.")
@click.option("--programs", type=click.IntRange(min=5), default=None, help="Number of programs (>= 5).")
@click.option("--projects", type=click.IntRange(min=34), default=None, help="Number of projects (>= 34).")
@click.option("--months", type=click.IntRange(min=24), default=None, help="Months of financials (>= 24).")
@click.option("--milestones", type=click.IntRange(min=0), default=None, help="Number of milestones.")
@click.option("--risks", type=click.IntRange(min=0), default=None, help="Number of risks.")
@click.option("--issues", type=click.IntRange(min=0), default=None, help="Number of issues.")
@click.option("--force", is_flag=True, help="Write into OUT even if it is not empty (files of the same name are "
              "replaced).")
@handle_errors
def sample_command(out: str, fmt: Literal["csv", "xlsx", "parquet"], seed: int, period: Period | None, scale: int,
                   force: bool,
                   **counts: int | None) -> None:
    """Write the deterministic sample portfolio (the same as data/sample/ with the defaults).

    --scale N or the explicit sizes make large portfolios for benchmarks, e.g.
    `pmo-nb sample --out /tmp/big --projects 10000 --programs 200 --months 60`.
    """
    from pathlib import Path

    from pmo_nb.data import sample

    target = Path(out)
    if not force and target.is_dir() and any(target.iterdir()):
        names = sorted(p.name for p in target.iterdir())
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise click.UsageError(f"{out} is not empty (it holds {shown}): give an empty or new folder, or add "
                               "--force to write into it (files of the same name are replaced)")
    sizes = {k: v * scale for k, v in sample.DEFAULT_SIZES.items() if k != "months"}
    sizes.update({k: v for k, v in counts.items() if v is not None})
    try:
        tables = sample.generate(seed, period or sample.SAMPLE_PERIOD, **sizes)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        written = sample.write(tables, out, fmt)
    except OSError as exc:
        raise click.ClickException(f"cannot write the sample to {out}: {exc.strerror or exc}") from None
    rows = ", ".join(f"{len(df)} {name}" for name, df in tables.items())
    click.echo(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} to {out}: {rows}")


def _status_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-13") from None


def _program_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from pmo_nb.data.validate import SAFE_FILE_NAME, SAFE_FILE_NAME_RULE

    if value is not None and (not SAFE_FILE_NAME.fullmatch(value) or value in (".", "..")):
        raise click.BadParameter(f"{value!r}: {SAFE_FILE_NAME_RULE}, e.g. PRG-01")
    return value


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--into", required=True, type=click.Path(file_okay=False),
              help="Folder of canonical tables to add the snapshots to (created if missing).")
@click.option("--program", default=None, metavar="ID", callback=_program_id,
              help="Program id of the imported projects (default: [import] program, else the one of an earlier "
                   "import, else 'imported').")
@click.option("--status-date", default=None, metavar="YYYY-MM-DD", callback=_status_date,
              help="Date the progress was recorded (default: the file's status or data date).")
@click.option("--measure", type=click.Choice(["cost", "hours"]), default="cost", show_default=True,
              help="Report cost, or baseline work in hours for plans without costs.")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="pmo.toml ([import] program and key_milestone; default: built-in defaults).")
@handle_errors
def import_command(files: tuple[str, ...], into: str, program: str | None, status_date: dt.date | None,
                   measure: str, config_path: str | None) -> None:
    """Import schedule FILES (.mpp, MSPDI .xml, Primavera .xer/PMXML, GanttProject .gan) into DIR.

    Each file is a snapshot at its status date: importing next month's file adds that month, importing a month
    again replaces it. Prints what was mapped, assumed and left out per file, then checks the folder.
    """
    from pmo_nb.data.imports import import_schedules
    from pmo_nb.data.ingest import check

    config_path = _config_or_workspace(config_path)
    result = import_schedules(files, into, program=program, status_date=status_date,
                              measure="hours" if measure == "hours" else "cost", config=config_path)
    for report in result.files:
        for line in report.lines():
            click.echo(line)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    checked = check(str(result.folder), _config_or_workspace(config_path))
    if checked.findings:
        click.echo(f"error: {result.folder} does not pass validation: {checked.findings[0]}; run `pmo-nb validate "
                   f"{result.folder}` for the list", err=True)
        sys.exit(1)
    n = sum(len(r.snapshots) for r in result.files)
    click.echo(f"imported {n} project snapshot{'s' if n != 1 else ''} into {result.folder} "
               f"({', '.join(p.name for p in result.written)}); it passes `pmo-nb validate`")


@cli.command("guidelines")
@click.argument("source", required=False)
@click.option("--period", default=None, type=PERIOD,
              help="Reporting month (default: the latest month of financials that has ended).")
@click.option("--program", "program_id", default=None, help="Restrict to one program id.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Fixed-width table, CSV or JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any major breach exists (for a PMO's CI on its data).")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="pmo.toml with [[guidelines]] and [[measures]] (default: the built-in guidelines).")
@handle_errors
def guidelines_command(source: str | None, period: Period | None, program_id: str | None,
                       fmt: Literal["table", "csv", "json"], strict: bool, config_path: str | None) -> None:
    """List every breach of the PMO's guidelines in SOURCE: project, guideline, text, offending value.

    Exit 0; with --strict, 1 when any major breach exists. docs/guidelines.md describes the guidelines.
    """
    from pmo_nb.config import load_config
    from pmo_nb.console.guidelines import render_breaches
    from pmo_nb.data.ingest import load
    from pmo_nb.metrics.kpis import compute

    config = load_config(_config_or_workspace(config_path))
    portfolio = load(_source_or_workspace(source), config=config)
    if program_id is not None:
        portfolio.check_program(program_id)
    result = compute(portfolio.in_key_order(), period, config)
    checked = result.guidelines
    assert checked is not None
    if program_id is not None:
        checked = checked.for_program(program_id)
    click.echo(render_breaches(checked, fmt, result.period), nl=False)
    major = int((checked.breaches["severity"] == "major").sum())
    if strict and major:
        click.echo(f"{major} major guideline breach{'es' if major != 1 else ''}: failing (--strict)", err=True)
        sys.exit(1)


@cli.command("send", cls=OneLineCommand)
@click.option("--period", default=None, type=PERIOD,
              help="The month to send (default: the latest month published in OUT).")
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Reports folder the month was published to by `pmo-nb run` (OUT/YYYY-MM/).")
@click.option("--source", default=None,
              help="Data with the programs and the contacts table (default: the source the month was run on).")
@click.option("--cc-sponsors", is_flag=True, help="Send each program's PDF to its sponsor too.")
@click.option("--dry-run", "dry_run", default=None, is_flag=False, flag_value="", type=click.Path(file_okay=False),
              metavar="[DIR]", help="Write the messages as DIR/<address>.eml for review instead of sending them (no "
              "server, no record; DIR defaults to OUT/outbox/YYYY-MM).")
@click.option("--resend", is_flag=True, help="Send everything again, also what sent.json has as sent.")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="pmo.toml with [email] (server, sender, pack_to) and the organisation's name (default: the "
                   "workspace's).")
@click.option("--quiet", is_flag=True, help="Print only warnings and failures (for cron).")
@handle_errors
def send_command(period: Period | None, out: str, source: str | None, cc_sponsors: bool, dry_run: str | None,
                 resend: bool, config_path: str | None, quiet: bool) -> None:
    """E-mail a published month, one message per recipient: a program manager gets the PDFs of the programs they
    manage (a sponsor, with --cc-sponsors, those they sponsor), [email] pack_to the executive pack.

    Recipients come from the contacts table (name, email, role) matched to the programs' manager and sponsor
    names. OUT/YYYY-MM/sent.json records which PDF went to whom, so running it again sends only what failed or was
    not sent. The SMTP password is read from the environment variable [email] password_env (PMO_NB_SMTP_PASSWORD).
    Exit 0 when everything went out, 1 when any recipient was refused.
    """
    from pmo_nb.publish.mail import send_month

    result = send_month(out, period, source=source, config=_config_or_workspace(config_path),
                        cc_sponsors=cc_sponsors, dry_run=dry_run, resend=resend)
    for finding in result.findings:
        click.echo(f"warning: {finding}", err=True)
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    verb = {"sent": "sent", "written": "written", "skipped": "already sent", "failed": "REFUSED"}
    for d in result.deliveries:
        what = ", ".join(d.keys)
        if d.status == "failed":
            click.echo(f"{'not written' if dry_run is not None else 'refused'}: {d.address} ({what}): {d.reason}",
                       err=True)
        elif not quiet:
            click.echo(f"{verb[d.status]}: {d.address} ({what})" + (f" {d.reason}" if d.reason else ""))
    counts = {s: sum(d.status == s for d in result.deliveries) for s in verb}
    attached = sum(len(d.keys) for d in result.deliveries if d.status in ("sent", "written"))
    files = f"{attached} PDF{'s' if attached != 1 else ''} attached"
    skipped = (f"; {counts['skipped']} PDF{'s' if counts['skipped'] != 1 else ''} already sent before "
               "(--resend sends again)") if counts["skipped"] else ""
    if dry_run is not None:
        if result.failed:
            click.echo(f"{counts['failed']} message(s) for {result.period} could not be written; nothing was sent",
                       err=True)
            sys.exit(1)
        if not quiet:
            n = len(result.written)
            where = result.written[0].parent if result.written else dry_run
            click.echo(f"{n} message{'s' if n != 1 else ''} (one per recipient, {files}) for {result.period} "
                       f"written to {where}{skipped}; nothing was sent")
        return
    if result.failed:
        click.echo(f"{counts['failed']} of {counts['failed'] + counts['sent']} recipients refused for "
                   f"{result.period}; run `pmo-nb send` again to retry them ({result.folder / 'sent.json'} "
                   "records the rest)", err=True)
        sys.exit(1)
    if not quiet:
        n = counts["sent"]
        click.echo(f"{n} message{'s' if n != 1 else ''} sent for {result.period} (one per recipient, {files})"
                   f"{skipped}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
