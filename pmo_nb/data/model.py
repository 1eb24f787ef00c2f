"""The Portfolio: the six validated, typed tables of the data model in one object."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace

import pandas as pd

from pmo_nb.exceptions import Finding, PeriodError, UnknownEntityError
from pmo_nb.periods import Period
from pmo_nb.schema import RAID_TABLES, TABLE_NAMES, TABLES, Column

_DTYPES = {
    "id": "object",
    "text": "object",
    "period": "object",
    "choice": "object",
    "date": "datetime64[ns]",
    "money": "float64",
    "bool": "bool",
}


def _dtype(col: Column) -> str:
    if col.kind == "int":
        return "int64" if col.required else "Int64"
    return _DTYPES[col.kind]


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``name``."""
    table = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c)) for c in table.columns})


@dataclass(frozen=True)
class ExcludedRow(Finding):
    """A row left out with ``[validation] invalid_rows = "exclude"``: the finding that excluded it, and the program
    the row belongs to where the data says (its ``program_id``, or its project's), so each program's report lists
    the rows that concern it."""

    program_id: str | None = None


@dataclass(repr=False)  # summary_lines() gives the short text and HTML summaries
class Portfolio:
    """The validated portfolio. Build it with ``pmo_nb.load(source)``.

    Every table is always present with its canonical columns (an optional table that the source
    lacks is an empty frame, and its name is in ``missing_tables``). Dates are ``datetime64[ns]``,
    periods are ``YYYY-MM`` strings, money is ``float64``, choices are lower-case strings.
    """

    programs: pd.DataFrame
    projects: pd.DataFrame
    financials: pd.DataFrame
    milestones: pd.DataFrame = field(default_factory=lambda: empty_table("milestones"))
    risks: pd.DataFrame = field(default_factory=lambda: empty_table("risks"))
    issues: pd.DataFrame = field(default_factory=lambda: empty_table("issues"))
    contacts: pd.DataFrame = field(default_factory=lambda: empty_table("contacts"))
    benefits: pd.DataFrame = field(default_factory=lambda: empty_table("benefits"))
    assumptions: pd.DataFrame = field(default_factory=lambda: empty_table("assumptions"))
    dependencies: pd.DataFrame = field(default_factory=lambda: empty_table("dependencies"))
    decisions: pd.DataFrame = field(default_factory=lambda: empty_table("decisions"))
    actions: pd.DataFrame = field(default_factory=lambda: empty_table("actions"))
    source: str = ""
    missing_tables: tuple[str, ...] = ()
    notes: tuple[Finding, ...] = ()
    """Data-quality warnings for the reports' data notes (file, row, column, value, what was assumed)."""
    excluded: tuple[Finding, ...] = ()
    """Rows left out with ``[validation] invalid_rows = "exclude"``: one finding (file, row, rule) each
    (an :class:`ExcludedRow` naming the program it belongs to, where known)."""

    def excluded_for(self, program_id: str | None) -> list[Finding]:
        """The excluded rows' findings that belong to ``program_id``; None: those no program can be named for."""
        return [f for f in self.excluded if getattr(f, "program_id", None) == program_id]

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLE_NAMES)}")
        return getattr(self, name)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in TABLE_NAMES}

    @property
    def periods(self) -> list[Period]:
        """Months with financials, sorted."""
        return [Period.parse(p) for p in sorted(self.financials["period"].dropna().unique().tolist())]

    def latest_complete_period(self, today: dt.date | None = None) -> Period:
        """The latest month of financials that has ended.

        A month equal to or after ``today``'s month is still being booked, so it is skipped when an
        earlier month exists. Raises ``PeriodError`` when there are no financials at all.
        """
        periods = self.periods
        if not periods:
            raise PeriodError(f"{self.source or 'the data'} has no financials, so there is no reporting month")
        current = Period.of(today or dt.date.today())
        complete = [p for p in periods if p < current]
        return complete[-1] if complete else periods[-1]

    def check_period(self, period: str) -> Period:
        """``period`` as a ``Period`` if it is a month within the data, else raise ``PeriodError``."""
        month = Period.parse(period)
        periods = self.periods
        if not periods or not (periods[0] <= month <= periods[-1]):
            span = f"{periods[0]} to {periods[-1]}" if periods else "no months"
            raise PeriodError(f"period {month} is outside the data, which covers {span}")
        return month

    @property
    def program_ids(self) -> list[str]:
        return self.programs["program_id"].tolist()

    def check_program(self, program_id: str) -> str:
        if program_id not in set(self.programs["program_id"]):
            known = ", ".join(self.program_ids[:10])
            raise UnknownEntityError(f"unknown program {program_id!r}; programs are {known}")
        return program_id

    def in_key_order(self) -> Portfolio:
        """The portfolio with every table sorted by its key (stable sort, fresh index).

        Reports and ``pmo-nb kpis`` compute from this, so nothing they show depends on the row order of
        the source: not the order of rows and chart data, and not the last bits of a floating-point sum.
        """
        frames = {name: df.sort_values(list(TABLES[name].key), kind="mergesort").reset_index(drop=True)
                  for name, df in self.tables().items()}
        return replace(self, **frames)  # type: ignore[arg-type]

    def fingerprint(self) -> str:
        """SHA-256 of the canonical content of the six tables, independent of row order and source format."""
        h = hashlib.sha256()
        for name in TABLE_NAMES:
            df = self.table(name)
            key = list(TABLES[name].key)
            df = df[TABLES[name].column_names].sort_values(key, kind="mergesort").reset_index(drop=True)
            h.update(name.encode())
            h.update(df.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.6f").encode())
        return h.hexdigest()

    def summary(self) -> dict[str, object]:
        """Counts per table, programs and months covered: the one-screen summary of `pmo-nb validate`."""
        periods = self.periods
        return {
            "source": self.source,
            "counts": {name: len(self.table(name)) for name in TABLE_NAMES},
            "missing_tables": list(self.missing_tables),
            "programs": self.program_ids,
            "periods": (periods[0], periods[-1]) if periods else None,
            "n_periods": len(periods),
        }

    # -- what a notebook shows: a short summary instead of every table ---------------------------------------
    def summary_lines(self) -> list[str]:
        """The text summary: source, months, counts per table, reported RAG mix, notes."""
        periods = self.periods
        span = f"{periods[0]} to {periods[-1]} ({len(periods)} months)" if periods else "no months of financials"
        reported = self.projects["reported_status"] if "reported_status" in self.projects else pd.Series([])
        labels = reported.astype("object").where(reported.notna(), "none").astype(str).str.lower()
        counts = labels.value_counts()
        order = [s for s in ("red", "amber", "green") if s in counts.index]
        order += sorted(s for s in counts.index if s not in order)
        mix = ", ".join(f"{int(counts[s])} {s}" for s in order) or "none"
        extras = ("contacts", "benefits", *RAID_TABLES)  # shown when not empty; the core tables always
        rows = " · ".join(f"{len(self.table(name))} {name}" for name in TABLE_NAMES
                          if len(self.table(name)) or name not in extras)
        missing = ", ".join(self.missing_tables) or "none"
        return [
            f"Portfolio from {self.source or 'memory'}",
            f"months {span}",
            rows,
            f"reported status of the projects: {mix}",
            f"tables missing: {missing} · {len(self.notes)} data notes · {len(self.excluded)} rows excluded",
            "pmo_nb.compute(portfolio, period) computes a month's KPIs",
        ]

    def __repr__(self) -> str:
        return "\n  ".join(self.summary_lines())

    def _repr_html_(self) -> str:
        import html

        lines = [html.escape(line) for line in self.summary_lines()]
        items = "".join(f"<li>{line}</li>" for line in lines[1:])
        return f'<div class="pmo-portfolio-summary"><strong>{lines[0]}</strong><ul>{items}</ul></div>'
