"""Ingest: read a portfolio from any registered source into a validated ``Portfolio``.

``load(source)`` (the bundled sample when no source is given) returns the validated ``Portfolio`` whatever the
source (a folder of CSV or Parquet files, an .xlsx workbook, a SQLAlchemy URL, or a plug-in's format): the source
registry (``pmo_nb.data.sources``) finds the reader, headers are matched to the data model (``[columns]`` in
pmo.toml), cells are coerced (``pmo_nb.data.coerce``) and ``pmo_nb.data.validate`` checks every rule; any finding
raises ``DataValidationError``, an unreadable source ``SourceError``. The source is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_nb.config import Config, load_config, normalise_header
from pmo_nb.data import sources
from pmo_nb.data.coerce import COERCERS, is_blank
from pmo_nb.data.financials import looks_cumulative, to_monthly
from pmo_nb.data.mapping import map_values, scale_of
from pmo_nb.data.model import ExcludedRow, Portfolio, empty_table
from pmo_nb.data.sources import RawTable
from pmo_nb.data.validate import (
    DERIVED_PROGRAMS_NOTE,
    TableData,
    derive_programs,
    finalise,
    show_value,
    sort_findings,
    validate,
    warnings,
    working_dtype,
)
from pmo_nb.exceptions import DataValidationError, Finding, SourceError
from pmo_nb.paths import SAMPLE_DIR
from pmo_nb.schema import TABLE_NAMES, TABLES, Table

__all__ = ["LoadResult", "check", "load", "match_headers"]


def match_headers(headers: list[str], table: Table, config: Config) -> dict[int, str]:
    """Map each header position to a canonical column (positions of extra columns are left out)."""
    mapping = {**config.columns.get("*", {}), **config.columns.get(table.name, {})}
    names = set(table.column_names)
    out: dict[int, str] = {}
    for i, header in enumerate(headers):
        key = normalise_header(header)
        canon = mapping.get(key, key)
        if canon not in names and key in names:
            canon = key
        if canon in names:
            out[i] = canon
    return out


def _to_table_data(raw: RawTable, config: Config) -> tuple[TableData, list[str]]:
    """Match headers and coerce cells; returns the table and its missing required columns."""
    table = TABLES[raw.name]
    matched = match_headers(raw.headers, table, config)
    findings: list[Finding] = list(raw.findings)
    notes: list[Finding] = []
    by_column: dict[str, list[int]] = {}
    for pos, canon in matched.items():
        by_column.setdefault(canon, []).append(pos)
    for canon, positions in by_column.items():
        if len(positions) > 1:
            shown = " and ".join(f"{raw.headers[p]!r} (column {p + 1})" for p in positions)
            findings.append(
                Finding(
                    raw.name,
                    raw.source,
                    None,
                    canon,
                    None,
                    f"{shown} both map to {canon}: rename or delete one; the first is used",
                )
            )
    for pos, header in enumerate(raw.headers):
        if pos not in matched and str(header).strip():
            notes.append(
                Finding(
                    raw.name,
                    raw.source,
                    None,
                    str(header),
                    None,
                    "not a column of the data model: ignored (map it under [columns] in "
                    "pmo.toml if it is one)",
                )
            )
    missing = [c for c in table.required_columns if c not in by_column]
    cells = raw.cells
    if len(cells.columns):
        blank = pd.Series(True, index=cells.index)
        for c in cells.columns:
            blank &= is_blank(cells[c])
        cells = cells[~blank.to_numpy()]
    index = cells.index
    frame: dict[str, pd.Series] = {}
    originals: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in by_column:
            frame[col.name] = pd.Series(None, index=index, dtype=working_dtype(col))
            originals[col.name] = pd.Series(np.nan, index=index, dtype=object)
            continue
        pos = by_column[col.name][0]
        rawcol = cells[pos]
        coerced = COERCERS[col.kind](map_values(rawcol, raw.name, col.name, config), col, config)
        values = coerced.values
        factor = scale_of(raw.name, col.name, config)
        if factor is not None:
            values = values * factor
        frame[col.name] = values.astype(working_dtype(col))
        originals[col.name] = rawcol
        for row, rule in coerced.problems.items():
            findings.append(
                Finding(raw.name, raw.source, int(row), col.name, show_value(rawcol.at[row]), str(rule))  # type: ignore[call-overload]
            )
        for row, note in coerced.notes.items():
            notes.append(Finding(raw.name, raw.source, int(row), col.name, show_value(rawcol.at[row]), note))
        for (row, cell_pos), (value, rule) in raw.cell_rules.items():
            if cell_pos == pos and row in index:
                findings.append(Finding(raw.name, raw.source, int(row), col.name, value, rule))
    data = TableData(
        raw.name,
        raw.source,
        pd.DataFrame(frame, index=index),
        pd.DataFrame(originals, index=index),
        findings,
        notes,
    )
    return data, missing


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """Everything ``check`` learnt about a source.

    ``portfolio`` is None when there are findings. ``notes`` are warning-level remarks that do not make
    the data invalid (extra columns ignored, a control character replaced, a closed risk without a closed
    date, programs derived from the projects, amounts that look cumulative).
    """

    source: str
    findings: list[Finding]
    notes: list[Finding]
    portfolio: Portfolio | None
    missing_tables: tuple[str, ...] = ()
    excluded: list[Finding] = field(default_factory=list)
    """With ``[validation] invalid_rows = "exclude"``: the rows left out, one finding (file, row, rule) each."""

    @property
    def ok(self) -> bool:
        return not self.findings


def default_source() -> Path:
    """The source ``load()`` reads when given none: the sample portfolio shipped with pmo-nb."""
    return SAMPLE_DIR


NOT_FOUND_ADVICE = ("give the path of the folder, workbook or database (absolute, or relative to the working "
                    "directory), or call load() without a source for the sample portfolio")


def not_found(source: str, advice: str = NOT_FOUND_ADVICE) -> SourceError | None:
    """The error for a file or folder ``source`` that does not exist (None for a URL or an existing path).

    Relative paths are read from the working directory, which in JupyterLab is the notebook's folder: the
    message shows the absolute path looked at and the working directory, so a path meant for another folder
    is recognised at once.
    """
    if "://" in source:
        return None
    path = Path(source).expanduser()
    if path.exists():
        return None
    where = path.resolve()
    return SourceError(f"{source} not found: {advice} (looked for {where}; working directory {Path.cwd()})",
                       path=str(where))


def check(
    source: str | Path | None = None, config: Config | str | Path | None = None, *, kind: str | None = None
) -> LoadResult:
    """Read and validate ``source`` without raising on bad data.

    Parameters
    ----------
    source:
        A folder of CSV/Parquet files, an .xlsx workbook, or a SQLAlchemy URL; None reads the sample portfolio
        (:func:`default_source`).
    config:
        A ``Config``, the path of a pmo.toml, or None for the defaults.
    kind:
        Force a source by its registered name (``csv``, ``parquet``, ``folder``, ``excel``, ``sql``, or a
        plug-in's); detected from ``source`` through the registry when None.

    Returns
    -------
    LoadResult
        The findings, the notes and, when there are no findings, the Portfolio.

    Raises
    ------
    SourceError
        The source, a required table or a required column cannot be found or read.
    ConfigError
        ``config`` is not a valid pmo.toml.
    """
    cfg = load_config(config)
    text = str(default_source() if source is None else source)
    try:
        reader = sources.get(kind) if kind else sources.detect(text)
        raw = reader.read(text, cfg)
    except SourceError as exc:
        head, found, advice = str(exc).partition(" not found: ")
        if not found:  # another problem (an unknown kind, an .xls workbook): its own message says it best
            raise
        absent_path = not_found(text, advice if head.endswith(text) else NOT_FOUND_ADVICE)
        if absent_path is not None:
            raise absent_path from None
        raise
    # what the Portfolio, findings and reports name (a database URL without its password)
    shown = reader.display(text)
    absent_required = [t for t in TABLE_NAMES if TABLES[t].required and t not in raw.tables]
    if absent_required:
        looked = "; ".join(raw.looked_for.get(t, t) for t in absent_required)
        names = ", ".join(absent_required)
        plural = "s" if len(absent_required) > 1 else ""
        raise SourceError(
            f"required table{plural} {names} not found: looked for {looked} {raw.where}".rstrip(),
            path=raw.label,
        )
    tables: dict[str, TableData] = {}
    missing_columns: list[str] = []
    for name, rt in raw.tables.items():
        data, missing = _to_table_data(rt, cfg)
        tables[name] = data
        if missing:
            have = ", ".join(repr(h) for h in rt.headers if str(h).strip()) or "none"
            # nothing matched at all: usually a title or blank rows above the header
            first_row = "; the header must be the first row" if not match_headers(rt.headers, TABLES[name], cfg) else ""
            missing_columns.append(
                f"{rt.source} has no column {', '.join(missing)} (its columns are: {have}{first_row})"
            )
    if missing_columns:
        raise SourceError(
            "; ".join(missing_columns) + ": add the column, or map your header to it under "
            "[columns] in pmo.toml (headers ignore case and spaces)",
            path=raw.label,
        )
    if "financials" in tables and cfg.ingest.financials == "cumulative":
        fin = tables["financials"]
        fin.frame = to_monthly(fin.frame)
    derived = "programs" not in tables and "projects" in tables
    if derived:
        tables["programs"] = derive_programs(tables["projects"])
    absent = tuple(t for t in TABLE_NAMES if t not in tables)
    findings, excluded = _validate(tables, cfg)
    notes = [n for data in tables.values() for n in data.notes] + warnings(tables)
    if derived:
        notes.append(Finding("programs", tables["programs"].source, None, None, None, DERIVED_PROGRAMS_NOTE))
    if not findings and "financials" in tables and cfg.ingest.financials == "monthly":
        budgets = tables["projects"].frame.drop_duplicates("project_id").set_index("project_id")["budget"]
        cumulative = looks_cumulative(tables["financials"].frame, budgets, tables["financials"].source)
        if cumulative is not None:
            notes.append(cumulative)
    notes = sort_findings(notes)
    portfolio = None
    if not findings:
        frames = {name: finalise(data.frame, TABLES[name]) for name, data in tables.items()}
        for name in absent:
            frames[name] = empty_table(name)
        portfolio = Portfolio(**frames, source=shown, missing_tables=absent, notes=tuple(notes),
                              excluded=tuple(excluded))
    return LoadResult(shown, findings, notes, portfolio, absent, excluded)


def _validate(tables: dict[str, TableData], config: Config) -> tuple[list[Finding], list[Finding]]:
    """Every finding, and (with ``[validation] invalid_rows = "exclude"``) the rows left out for breaking a rule.

    In exclude mode every row with a finding is dropped and the rest validated again (dropping a project
    orphans its months, milestones, ...), until no row breaks a rule; findings that no row can be blamed for
    (a missing column, an empty table) still stop the load.
    """
    excluded: list[Finding] = []
    owners = _project_programs(tables)
    while True:
        findings = validate(tables)
        if config.validation.invalid_rows != "exclude" or not findings:
            return findings, excluded
        if any(f.row is None or f.table not in tables for f in findings):
            return [f for f in findings if f.row is None or f.table not in tables], excluded
        rows: dict[str, set[int]] = {}
        for f in findings:
            rows.setdefault(f.table, set()).add(int(f.row))  # type: ignore[arg-type]
        excluded += [ExcludedRow(**f.as_dict(), program_id=_program_of(tables[f.table].frame, f.row, owners))
                     for f in findings]
        for name, drop in rows.items():
            tables[name] = tables[name].without(drop)


def _project_programs(tables: dict[str, TableData]) -> dict[str, str]:
    """project_id -> program_id as the projects table gives them before any row is left out."""
    if "projects" not in tables:
        return {}
    frame = tables["projects"].frame
    if "project_id" not in frame or "program_id" not in frame:
        return {}
    return {str(p).strip(): str(g).strip() for p, g in zip(frame["project_id"], frame["program_id"], strict=True)
            if _given(p) and _given(g)}


def _program_of(frame: pd.DataFrame, row: int | None, owners: dict[str, str]) -> str | None:
    """The program a row belongs to: its own program_id, else its project's; None when neither is known."""
    if row is None or row not in frame.index:
        return None
    record = frame.loc[row]
    if "program_id" in frame and _given(record["program_id"]):
        return str(record["program_id"]).strip()
    for column in ("project_id", "from_project_id"):  # a dependency belongs to the project that needs it
        if column in frame and _given(record[column]):
            return owners.get(str(record[column]).strip())
    return None


def _given(value: object) -> bool:
    """A cell with a value (not missing, not blank)."""
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return False
    except (TypeError, ValueError):  # an array-like cell: not an id
        return False
    return str(value).strip() != ""


def load(
    source: str | Path | None = None, config: Config | str | Path | None = None, *, kind: str | None = None
) -> Portfolio:
    """Read ``source`` into a validated ``Portfolio``; ``load()`` reads the sample portfolio.

    Parameters
    ----------
    source:
        A folder of CSV files (``projects.csv``, ...) or Parquet files, an .xlsx/.xlsm workbook
        with one sheet per table, or a SQLAlchemy URL such as ``sqlite:///pmo.db``. None: the sample
        portfolio shipped with pmo-nb. A relative path is read from the working directory (in JupyterLab,
        the notebook's folder); when it does not exist the error shows the absolute path and that directory.
    config:
        A ``Config``, the path of a pmo.toml (header mapping, number format), or None.
    kind:
        Force a reader (see ``check``).

    Raises
    ------
    SourceError
        The source cannot be read (missing folder/table/column, bad encoding, database error).
    DataValidationError
        The data breaks the data model; ``.findings`` lists every problem.
    """
    result = check(source, config, kind=kind)
    if result.portfolio is None:
        raise DataValidationError(result.findings, source=result.source)
    return result.portfolio
