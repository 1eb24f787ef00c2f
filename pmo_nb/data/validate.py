"""Validation: every rule of the data model, checked lazily so that all problems are reported at once.

``pmo_nb.data.ingest`` reads a source into one ``TableData`` per table (typed values, the user's original
values and the problems met while reading them); ``validate`` then checks

* per table, with pandera schemas built from ``pmo_nb.schema`` (``lazy=True``): types, required
  (not empty) cells, allowed values, ranges, finite amounts and unique keys;
* across tables: foreign keys, baseline_finish >= baseline_start, cumulative PV/EV/AC never below
  zero, closed dates after raised/opened dates, closed items having a closed_date and open ones
  not having one, program ids that are safe file names, and programs/projects having rows.

Every problem becomes a ``Finding`` located as the user sees it (file or sheet, spreadsheet row,
column, the original value) with a rule in plain words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pmo_nb.exceptions import Finding
from pmo_nb.schema import TABLE_NAMES, TABLES, Column, Table

# Working dtypes while validating: nullable so that a cell that failed to parse can stay empty.
_WORKING_DTYPES = {
    "id": object,
    "text": object,
    "period": object,
    "choice": object,
    "date": "datetime64[ns]",
    "money": "float64",
    "int": "Int64",
    "bool": "boolean",
}

SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
SAFE_FILE_NAME_RULE = "program_id is used as a file name: use letters, digits, '-', '_' or '.' only"
RESERVED_PROGRAM_IDS = frozenset({"portfolio", "index", "kpis", "manifest", "notebooks", "con", "prn", "aux",
                                  "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))})
"""Program ids the run cannot use as file stems (compared case-insensitively, before any extension): the run's
own files (portfolio.html, index.html, kpis.csv, manifest.json, notebooks/, executive-pack-*.pdf) and the names
Windows reserves for devices."""
RESERVED_PREFIXES = ("executive-pack",)
DERIVED_PROGRAMS_NOTE = ("no programs table: programs derived from the projects' program_id (name = id, sponsor and "
                         "manager unknown); add a programs sheet or file to name them")
UNKNOWN = "unknown"
MAX_LISTED_ROWS = 3


def show_value(v: object) -> object:
    """A cell's original value as the user would recognise it (an empty cell is ``""``)."""
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, np.datetime64):
        text = np.datetime_as_string(v, unit="s")
        return text[:10] if text.endswith("T00:00:00") else text.replace("T", " ")
    if isinstance(v, dt.datetime):  # pd.Timestamp included; any year, not only those pandas computes with
        return v.strftime("%Y-%m-%d") if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, np.generic):
        return v.item()
    return v


def working_dtype(col: Column) -> Any:
    """The dtype a column has while it is validated (nullable versions of the final dtypes)."""
    return _WORKING_DTYPES[col.kind]


@dataclass
class TableData:
    """One table as read from a source, ready to be validated.

    Parameters
    ----------
    name:
        Canonical table name (``projects``).
    source:
        Where the user keeps it, as they know it: ``projects.csv``, ``workbook.xlsx[risks]``.
    frame:
        The canonical columns with working dtypes; the index is the row number as the user sees it
        (header = row 1, first record = row 2). A cell that could not be parsed is missing here and
        has a finding in ``findings``.
    raw:
        The user's original values (same index and columns), quoted in findings.
    findings:
        Problems met while reading (unparseable values, duplicate headers).
    notes:
        Warning-level remarks that do not make the data invalid (ignored extra columns).
    """

    name: str
    source: str
    frame: pd.DataFrame
    raw: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    def without(self, rows: Iterable[int]) -> TableData:
        """This table without the records on ``rows`` (and their findings and notes)."""
        drop = set(rows)
        keep = ~self.frame.index.isin(list(drop))
        return TableData(self.name, self.source, self.frame[keep], self.raw[keep],
                         [f for f in self.findings if f.row not in drop],
                         [n for n in self.notes if n.row not in drop])


def _join(values: Iterable[object]) -> str:
    items = [str(v) for v in values]
    return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else "".join(items)


def _fmt_num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


def _range_rule(col: Column) -> str:
    what = "a whole number" if col.kind == "int" else "a number"
    if col.min is not None and col.max is not None:
        return f"must be {what} from {_fmt_num(col.min)} to {_fmt_num(col.max)}"
    if col.min is not None:
        return f"must be {_fmt_num(col.min)} or more"
    return f"must be {_fmt_num(col.max)} or less"


def required_rule(col: Column) -> str:
    return f"{col.name} is required: the cell must not be empty"


def _finite(s: pd.Series) -> pd.Series:
    return pd.Series(
        np.isfinite(s.to_numpy(dtype="float64", na_value=np.nan)) | s.isna().to_numpy(), index=s.index
    )


def schema_for(name: str) -> pa.DataFrameSchema:
    """The pandera schema of one table, built from ``pmo_nb.schema``.

    Each check's ``error`` is the plain-words rule shown to the user.
    """
    table = TABLES[name]
    columns: dict[str, pa.Column] = {}
    for col in table.columns:
        checks: list[pa.Check] = []
        if col.allowed:
            checks.append(pa.Check.isin(list(col.allowed), error=f"must be one of {_join(col.allowed)}"))
        if col.kind == "money":
            checks.append(pa.Check(_finite, error="must be a finite number"))
        if col.min is not None or col.max is not None:
            rule = _range_rule(col)
            if col.min is not None and col.max is not None:
                checks.append(pa.Check.in_range(col.min, col.max, error=rule))
            elif col.min is not None:
                checks.append(pa.Check.ge(col.min, error=rule))
            else:
                checks.append(pa.Check.le(col.max, error=rule))
        columns[col.name] = pa.Column(
            working_dtype(col), checks=checks, nullable=not col.required, required=True
        )
    return pa.DataFrameSchema(columns, unique=list(table.key), strict=False, coerce=False, name=name)


_SCHEMAS: dict[str, pa.DataFrameSchema] = {}


def _schema(name: str) -> pa.DataFrameSchema:
    if name not in _SCHEMAS:
        _SCHEMAS[name] = schema_for(name)
    return _SCHEMAS[name]


class _Collector:
    """Builds findings for one table, quoting the user's original values."""

    def __init__(self, data: TableData) -> None:
        self.data = data
        self.findings: list[Finding] = []
        # cells that already have a finding from reading: don't report them twice
        self.flagged = {(f.row, f.column) for f in data.findings}

    def original(self, column: str, row: int) -> object:
        raw = self.data.raw
        if column in raw.columns and row in raw.index:
            return show_value(raw.at[row, column])
        return None

    def _originals(self, column: str | None, rows: list[int]) -> list[object]:
        """The original values of ``column`` on ``rows``, fetched at once (a row by row lookup is slow)."""
        raw = self.data.raw
        if not column or column not in raw.columns:
            return [None] * len(rows)
        col = raw[column]
        known = col.index.isin(rows)
        values = dict(zip(col.index[known].tolist(), col[known].tolist(), strict=True))
        return [show_value(values[r]) if r in values else None for r in rows]

    def add(self, rows: Iterable[int], column: str | None, rule: str | Iterable[str]) -> None:
        rows = [int(r) for r in rows]
        rules = [rule] * len(rows) if isinstance(rule, str) else list(rule)
        pairs = [(row, text) for row, text in zip(rows, rules, strict=True) if (row, column) not in self.flagged]
        originals = self._originals(column, [row for row, _ in pairs])
        for (row, text), value in zip(pairs, originals, strict=True):
            if (row, column) in self.flagged:
                continue
            self.flagged.add((row, column))
            self.findings.append(Finding(self.data.name, self.data.source, row, column, value, text))

    def add_mask(self, mask: pd.Series, column: str, rule: str | pd.Series) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        rows = mask.index[mask.to_numpy()]
        rules = rule if isinstance(rule, str) else rule[mask].astype(str).tolist()
        self.add(rows, column, rules)


def _duplicate_rules(frame: pd.DataFrame, key: list[str], rows: list[int]) -> list[str]:
    """'duplicate project_id: also on row 7' for each duplicated row."""
    sub = frame[key]
    groups: dict[tuple, list[int]] = {}
    dup = sub[sub.duplicated(keep=False)]
    for row, values in zip(dup.index.tolist(), dup.itertuples(index=False, name=None), strict=True):
        groups.setdefault(values, []).append(int(row))
    by_row = {r: members for members in groups.values() for r in members}
    what = " and ".join(key)
    rules = []
    for r in rows:
        members = by_row.get(r, [])
        others = [o for o in members[: MAX_LISTED_ROWS + 1] if o != r][:MAX_LISTED_ROWS]
        n_others = max(len(members) - 1, 0)
        listed = ", ".join(str(o) for o in others)
        more = f" and {n_others - MAX_LISTED_ROWS} more" if n_others > MAX_LISTED_ROWS else ""
        word = "rows" if n_others > 1 else "row"
        rules.append(f"duplicate {what}: also on {word} {listed}{more}")
    return rules


def _check_schema(data: TableData, out: _Collector) -> None:
    table = TABLES[data.name]
    try:
        _schema(data.name).validate(data.frame, lazy=True)
        return
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()]
    key = list(table.key)
    unique_rows: set[int] = set()
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        rows = [int(i) for i in group["index"]]
        if check in ("multiple_fields_uniqueness", "field_uniqueness", "unique"):
            unique_rows.update(rows)
            continue
        if check == "not_nullable":
            out.add(rows, column, required_rule(table.column(column)))
        elif check.startswith("dtype("):
            out.add(rows, column, f"has the wrong type ({check})")
        else:
            out.add(rows, column, check)
    if unique_rows:
        rows = sorted(unique_rows)
        out.add(rows, key[-1] if len(key) > 1 else key[0], _duplicate_rules(data.frame, key, rows))


def _check_no_rows(data: TableData, out: _Collector) -> None:
    if data.name in ("programs", "projects") and data.frame.empty:
        out.findings.append(
            Finding(
                data.name,
                data.source,
                None,
                None,
                None,
                f"no rows: {data.name} needs at least one record under the header",
            )
        )


def _check_foreign_keys(tables: Mapping[str, TableData], outs: Mapping[str, _Collector]) -> None:
    for name, data in tables.items():
        for column, target in TABLES[name].foreign_keys.items():
            ref_table, ref_col = target.split(".")
            if ref_table not in tables:
                continue
            ref = tables[ref_table]
            values = data.frame[column]
            known = values.isin(ref.frame[ref_col].dropna().unique())
            bad = values.notna() & ~known
            outs[name].add_mask(bad, column, f"unknown {ref_col}: not in {ref.source}")


def _check_program_ids(data: TableData, out: _Collector) -> None:
    ids = data.frame["program_id"]
    text = ids.dropna().astype(str)
    ok = text.str.fullmatch(SAFE_FILE_NAME.pattern) & ~text.isin([".", ".."])
    out.add_mask(~ok.reindex(ids.index, fill_value=True), "program_id", SAFE_FILE_NAME_RULE)
    stem = text.str.lower().str.split(".").str[0]
    reserved = stem.isin(RESERVED_PROGRAM_IDS) | stem.str.startswith(RESERVED_PREFIXES)
    if reserved.any():
        rules = text[reserved].map(
            lambda v: f"program_id {v!r} is a name the run uses for its own files (portfolio, index, kpis, "
                      f"manifest, notebooks, executive-pack-*) or a device name: rename the program, e.g. "
                      f"PRG-{v}")
        out.add_mask(reserved.reindex(ids.index, fill_value=False), "program_id", rules.reindex(ids.index))


def _check_date_order(data: TableData, out: _Collector, later: str, earlier: str, verb: str) -> None:
    frame = data.frame
    bad = frame[later].notna() & frame[earlier].notna() & (frame[later] < frame[earlier])
    if bad.any():
        rules = frame.loc[bad, earlier].dt.strftime(f"{later} must not be before {earlier} ({verb} %Y-%m-%d)")
        out.add_mask(bad, later, rules.reindex(frame.index))


def _check_closed(data: TableData, out: _Collector, opened: str) -> None:
    frame = data.frame
    _check_date_order(data, out, "closed_date", opened, "which is")
    status = frame["status"]
    out.add_mask(
        (status == "open") & frame["closed_date"].notna(),
        "closed_date",
        "an open item must not have a closed_date: set status to closed or clear the date",
    )


def _check_cumulative(data: TableData, out: _Collector) -> None:
    """Cumulative PV/EV/AC per project, in period order, must never fall below zero."""
    frame = data.frame
    if frame.empty:
        return
    cols = ["planned_value", "earned_value", "actual_cost"]
    ordered = frame[["project_id", "period", *cols]].dropna(subset=["project_id", "period"])
    ordered = ordered.sort_values(["project_id", "period"], kind="mergesort")
    cum = ordered.groupby("project_id", sort=False)[cols].cumsum()
    for col in cols:
        negative = cum[col] < -1e-9
        if not negative.any():
            continue
        firsts = ordered.loc[negative].groupby("project_id", sort=False).head(1)
        totals = cum.loc[firsts.index, col].astype("float64").tolist()
        rules = [
            f"cumulative {col} of {pid} falls below 0 in {period} ({total:,.2f}): "
            f"monthly amounts may be negative corrections, but never more than what was booked before"
            for total, pid, period in zip(totals, firsts["project_id"], firsts["period"], strict=True)
        ]
        out.add(firsts.index, col, rules)


BENEFIT_NO_CHANGE = ("target must differ from baseline: a benefit is the change from baseline to target (give the "
                     "value to reach by target_date)")


def _check_benefits(data: TableData, out: _Collector) -> None:
    """A benefit's trajectory runs from baseline at start_date to a different target at a later target_date."""
    frame = data.frame
    _check_date_order(data, out, "target_date", "start_date", "which is")
    out.add_mask(frame["target"].notna() & frame["baseline"].notna() & (frame["target"] == frame["baseline"]),
                 "target", BENEFIT_NO_CHANGE)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings by table (data-model order), row, then column (data-model order)."""

    def key(f: Finding) -> tuple:
        t = TABLE_NAMES.index(f.table) if f.table in TABLES else len(TABLE_NAMES)
        names = TABLES[f.table].column_names if f.table in TABLES else []
        c = names.index(f.column) if f.column in names else (-1 if f.column is None else len(names))
        return (t, -1 if f.row is None else f.row, c, str(f.column), f.rule)

    return sorted(findings, key=key)


def validate(tables: Mapping[str, TableData]) -> list[Finding]:
    """Check every rule of the data model and return all findings (empty when the data is valid).

    Parameters
    ----------
    tables:
        Table name -> ``TableData`` for the tables the source has (absent optional tables may be
        left out or given as empty frames).

    Returns
    -------
    list[Finding]
        Problems met while reading plus every rule broken, sorted by table, row and column.
    """
    outs = {name: _Collector(data) for name, data in tables.items()}
    for name, data in tables.items():
        _check_no_rows(data, outs[name])
        _check_schema(data, outs[name])
    _check_foreign_keys(tables, outs)
    if "programs" in tables:
        _check_program_ids(tables["programs"], outs["programs"])
    if "projects" in tables:
        _check_date_order(
            tables["projects"], outs["projects"], "baseline_finish", "baseline_start", "which is"
        )
    if "financials" in tables:
        _check_cumulative(tables["financials"], outs["financials"])
    if "risks" in tables:
        _check_closed(tables["risks"], outs["risks"], "raised_date")
    if "issues" in tables:
        _check_closed(tables["issues"], outs["issues"], "opened_date")
    if "benefits" in tables:
        _check_benefits(tables["benefits"], outs["benefits"])
    _check_raid(tables, outs)
    findings = [f for data in tables.values() for f in data.findings]
    findings += [f for out in outs.values() for f in out.findings]
    return sort_findings(findings)


# -- RAID registers: assumptions, dependencies, decisions, actions --------------------------------------------
RAID_PARENTS = {"risks": "risk_id", "issues": "issue_id", "assumptions": "assumption_id",
                "dependencies": "dependency_id", "decisions": "decision_id"}
"""The registers an action's ``parent_id`` may name, with their id column."""


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().eq("")


def _check_scope(data: TableData, out: _Collector, projects: TableData | None) -> None:
    """An assumption or decision names its program, its project, or both (and then they agree)."""
    frame = data.frame
    out.add_mask(_blank(frame["program_id"]) & _blank(frame["project_id"]), "program_id",
                 "give program_id (a program-level item), project_id, or both")
    if projects is None:
        return
    owner = projects.frame.drop_duplicates("project_id").set_index("project_id")["program_id"]
    theirs = frame["project_id"].map(owner)
    bad = frame["program_id"].notna() & theirs.notna() & (frame["program_id"] != theirs)
    if bad.any():
        rules = [f"project {pid} belongs to program {prog}: correct program_id or leave it empty"
                 for pid, prog in zip(frame.loc[bad, "project_id"], theirs[bad], strict=True)]
        out.add_mask(bad, "program_id", pd.Series(rules, index=frame.index[bad]).reindex(frame.index))


def _check_dependencies(data: TableData, out: _Collector) -> None:
    frame = data.frame
    out.add_mask(_blank(frame["to_project_id"]) & _blank(frame["external_party"]), "to_project_id",
                 "a dependency needs a provider: give to_project_id (a project) or external_party")
    out.add_mask(frame["to_project_id"].notna() & (frame["to_project_id"] == frame["from_project_id"]),
                 "to_project_id", "a project cannot depend on itself: to_project_id must differ from from_project_id")


def _check_decisions(data: TableData, out: _Collector) -> None:
    frame = data.frame
    decided = frame["status"] == "decided"
    out.add_mask(decided & frame["decided_on"].isna(), "decided_on",
                 "a decided decision needs decided_on: give the date, or set status to open")
    out.add_mask(decided & _blank(frame["decision"]), "decision",
                 "a decided decision needs the decision: write what was decided, or set status to open")
    out.add_mask((frame["status"] == "open") & frame["decided_on"].notna(), "decided_on",
                 "an open decision must not have decided_on: set status to decided or clear the date")


def _check_actions(tables: Mapping[str, TableData], out: _Collector) -> None:
    known: set[object] = set()
    for name, column in RAID_PARENTS.items():
        if name in tables:
            known.update(tables[name].frame[column].dropna().tolist())
    where = ", ".join(tables[n].source for n in RAID_PARENTS if n in tables) or "no RAID register in the source"
    parent = tables["actions"].frame["parent_id"]
    out.add_mask(parent.notna() & ~parent.isin(list(known)), "parent_id",
                 f"unknown parent_id: not a risk, issue, assumption, dependency or decision id ({where})")


def _check_raid(tables: Mapping[str, TableData], outs: Mapping[str, _Collector]) -> None:
    for name in ("assumptions", "decisions"):
        if name in tables:
            _check_scope(tables[name], outs[name], tables.get("projects"))
    if "dependencies" in tables:
        _check_dependencies(tables["dependencies"], outs["dependencies"])
    if "decisions" in tables:
        _check_decisions(tables["decisions"], outs["decisions"])
    if "actions" in tables:
        _check_actions(tables, outs["actions"])


CLOSED_WITHOUT_DATE = ("closed without a closed_date: counted as closed, but when it closed is unknown "
                       "(give the date)")


def warnings(tables: Mapping[str, TableData]) -> list[Finding]:
    """Problems that do not stop a figure from being computed, given as warnings (never errors).

    Today: a closed risk or issue without a closed_date (it counts as closed; the month it closed in is
    unknown).
    """
    out: list[Finding] = []
    for name in ("risks", "issues"):
        if name not in tables:
            continue
        data = tables[name]
        frame = data.frame
        mask = ((frame["status"] == "closed") & frame["closed_date"].isna()).to_numpy(dtype=bool)
        out += [Finding(name, data.source, int(row), "closed_date", "", CLOSED_WITHOUT_DATE)
                for row in frame.index[mask]]
    return out


def derive_programs(projects: TableData) -> TableData:
    """A programs table made from the projects' ``program_id`` (name = id, sponsor and manager unknown).

    Each program's row number is that of the first project naming it, so a finding on a derived program
    (an id that is not a safe file name) points at a row the user can fix.
    """
    ids = projects.frame["program_id"].dropna()
    first = ids[~ids.duplicated()]
    index = first.index
    frame = pd.DataFrame({
        "program_id": first.to_numpy(dtype=object),
        "name": first.to_numpy(dtype=object),
        "sponsor": UNKNOWN,
        "manager": UNKNOWN,
        "objective": pd.Series(np.nan, index=index, dtype=object).to_numpy(),
    }, index=index).astype(object)
    raw = pd.DataFrame({c: frame[c] for c in frame.columns}, index=index)
    return TableData("programs", f"{projects.source} (program_id)", frame, raw)


def validate_portfolio(portfolio: object) -> list[Finding]:
    """Check an in-memory ``Portfolio`` (e.g. a generated one) against every rule.

    Rows are numbered as if the tables were written to CSV (first record = row 2) and findings
    name the table (``projects``) as their source. A missing column is a table-level finding.
    """
    from pmo_nb.data.model import Portfolio

    if not isinstance(portfolio, Portfolio):
        raise TypeError(f"expected a Portfolio, got {type(portfolio).__name__}")
    tables: dict[str, TableData] = {}
    findings: list[Finding] = []
    for name in TABLE_NAMES:
        if name in portfolio.missing_tables:
            continue
        df = portfolio.table(name)
        table = TABLES[name]
        absent = [c for c in table.column_names if c not in df.columns]
        if absent:
            findings += [Finding(name, name, None, c, None, f"column {c} is missing") for c in absent]
            continue
        index = pd.RangeIndex(2, 2 + len(df))
        frame = pd.DataFrame(
            {c.name: df[c.name].to_numpy() for c in table.columns}, index=index
        ).astype({c.name: working_dtype(c) for c in table.columns})
        tables[name] = TableData(name, name, frame, df[table.column_names].set_axis(index).astype(object))
    return sort_findings(findings + validate(tables))


def finalise(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Turn a validated working frame into the Portfolio's dtypes (int64, bool, 0-based index)."""
    out = frame.reset_index(drop=True)
    for col in table.columns:
        if col.kind == "int":
            out[col.name] = out[col.name].astype("int64" if col.required else "Int64")
        elif col.kind == "bool":
            out[col.name] = out[col.name].fillna(False).astype(bool)
    return out[table.column_names]
