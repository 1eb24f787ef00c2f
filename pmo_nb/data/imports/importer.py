"""``pmo-nb import``: schedule files in, snapshots into the target folder, a report of what was mapped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pmo_nb.config import Config, load_config
from pmo_nb.data.imports.errors import ImportOptionError, StatusDateError
from pmo_nb.data.imports.plan import Measure, Plan
from pmo_nb.data.imports.snapshot import Snapshot, snapshot
from pmo_nb.data.imports.sniff import SCHEDULE_FORMATS, sniff_schedule
from pmo_nb.data.imports.store import Store
from pmo_nb.data.validate import SAFE_FILE_NAME, SAFE_FILE_NAME_RULE
from pmo_nb.exceptions import SourceError, UnknownEntityError

DEFAULT_PROGRAM = "imported"

PlanReader = Callable[..., list[Plan]]


@dataclass
class FileReport:
    """What one file gave: its format and, per project, the snapshot with its mapped/assumed/left-out notes."""

    path: str
    format: str
    snapshots: list[Snapshot] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # project ids whose month was imported before

    def lines(self) -> list[str]:
        out = [f"{Path(self.path).name} ({self.format}):"]
        for snap in self.snapshots:
            again = " (replaces the earlier import of that month)" if snap.project_id in self.replaced else ""
            out.append(f"  project {snap.project_id} {snap.name!r}, program {snap.program_id}, status date "
                       f"{snap.status_date} -> month {snap.period}{again}")
            out += [f"    mapped: {m}" for m in snap.mapped]
            out += [f"    assumed: {a}" for a in snap.assumed]
            out += [f"    left out: {x}" for x in snap.left_out] or ["    left out: nothing"]
        return out


@dataclass
class ImportResult:
    folder: Path
    files: list[FileReport]
    written: list[Path]
    warnings: list[str]


def resolve_status_date(plan: Plan, given: dt.date | None) -> tuple[dt.date, str]:
    """``--status-date``, else the file's status (data) date, else ``StatusDateError`` saying so."""
    if given is not None:
        return given, "from --status-date"
    if plan.status_date is not None:
        return plan.status_date, "the file's status date"
    raise StatusDateError(
        f"{plan.source}: project {plan.project_id} has no status date (data date): pass --status-date YYYY-MM-DD "
        "(the date its progress was recorded), or set the status date in the plan and save it again",
        path=plan.source)


def _read(path: Path, measure: Measure, key_field: str | None, reader: PlanReader | None) -> tuple[str, list[Plan]]:
    if not path.is_file():
        raise SourceError(f"{path} not found" if not path.exists() else f"{path} is a folder, not a schedule file",
                          path=str(path))
    fmt = sniff_schedule(path)
    if fmt is None:
        raise SourceError(f"{path.name} is not a schedule file pmo-nb can import (supported: "
                          f"{', '.join(SCHEDULE_FORMATS)}); export the plan in one of these formats", path=str(path))
    if reader is None:
        from pmo_nb.data.imports.mpxj_reader import read_plans

        reader = read_plans
    return fmt, reader(path, fmt, measure=measure, key_field=key_field)


def import_schedules(
    files: Sequence[str | Path], into: str | Path, *, program: str | None = None,
    status_date: dt.date | None = None, measure: Measure = "cost", config: Config | str | Path | None = None,
    reader: PlanReader | None = None,
) -> ImportResult:
    """Import schedule ``files`` as snapshots into the folder ``into`` and rewrite its tables.

    Nothing is written unless every file imports: an unreadable file, a plan without a status date or a folder
    holding files pmo-nb did not write raises a ``PmoError`` first.
    """
    cfg = load_config(config)
    for option, value in (("--program", program), ("[import] program", cfg.import_.program)):
        if value and (not SAFE_FILE_NAME.fullmatch(value) or value in (".", "..")):
            raise ImportOptionError(f"{option} {value!r}: {SAFE_FILE_NAME_RULE}, e.g. PRG-01", option=option,
                                    value=value)
    store = Store.open(into)
    key_field = cfg.import_.key_milestone or None
    reports: list[FileReport] = []
    warnings: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for f in files:
        path = Path(f)
        fmt, plans = _read(path, measure, key_field, reader)
        report = FileReport(str(path), fmt)
        for plan in plans:
            date, origin = resolve_status_date(plan, status_date)
            prog = program or store.program_of(plan.project_id) or cfg.import_.program or DEFAULT_PROGRAM
            try:
                snap = snapshot(plan, date, prog, origin)
            except ValueError as exc:
                raise SourceError(f"{exc}: nothing to import (give the tasks dates in the plan)",
                                  path=str(path)) from None
            key = (snap.project_id, str(snap.period))
            if key in seen:
                raise SourceError(f"{path.name} and {seen[key]} both give project {snap.project_id} for "
                                  f"{snap.period}: import one file per project and month", path=str(path))
            seen[key] = path.name
            if store.add(snap):
                report.replaced.append(snap.project_id)
            if measure == "cost" and plan.currency and plan.currency.upper() != cfg.currency:
                snap.assumed.append(f"the plan's currency is {plan.currency}, the reports' {cfg.currency} "
                                    "([currency] in pmo.toml): amounts are taken as they are, not converted")
            report.snapshots.append(snap)
            warnings.extend(snap.warnings)
        reports.append(report)
    missing = store.missing_programs({s.program_id for r in reports for s in r.snapshots})
    if missing:
        raise UnknownEntityError(
            f"{Path(into) / 'programs.csv'} (your own, kept as it is) has no program {', '.join(missing)}: add "
            "a row for it, or pass --program with one of its program ids")
    written = store.write()
    return ImportResult(Path(into), reports, written, warnings)
