"""The column dictionary of the ``Kpis`` tables and the analyst's view of them: ids as the index, a short set of
columns, names that do not clash with pandas (``at`` is ``DataFrame.at``), figures written as a report writes them.

The tables themselves and the CSV/JSON of ``pmo-nb kpis`` keep their names (``at``, ``pd``): only the view renames
(:data:`VIEW_NAMES`). ``Kpis.describe()`` and ``Kpis.view()`` are built from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pmo_nb.metrics import figures
from pmo_nb.schema import TABLES

__all__ = ["TABLES_SHOWN", "ID_COLUMNS", "VIEW_NAMES", "VIEW_COLUMNS", "DESCRIPTIONS", "description",
           "dictionary", "view", "format_value", "kind_of"]

TABLES_SHOWN: tuple[str, ...] = ("portfolio", "programs", "projects", "milestones", "risks", "issues")
"""The ``Kpis`` tables an analyst looks at (``financials`` holds the source rows up to the month)."""

ID_COLUMNS: dict[str, str | None] = {
    "portfolio": None, "programs": "program_id", "projects": "project_id", "milestones": "milestone_id",
    "risks": "risk_id", "issues": "issue_id",
}
"""The column each table is indexed by in the view (the portfolio has one row, indexed ``portfolio``)."""

VIEW_NAMES: dict[str, str] = {"at": "actual_time", "pd": "planned_duration"}
"""Columns renamed in the view: ``at`` is ``DataFrame.at`` and ``pd`` reads as the pandas module."""

VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "portfolio": ("n_programs", "n_projects", "rag", "n_red", "n_amber", "n_green", "n_closed", "bac", "ev", "ac",
                  "eac", "cpi", "spi", "spi_t", "pct_complete", "ms_missed", "risks_open", "issues_open"),
    "programs": ("name", "manager", "rag", "n_projects", "n_red", "n_amber", "n_green", "bac", "ev", "ac", "eac",
                 "cpi", "spi", "spi_t", "ms_missed", "risks_open", "issues_open", "rag_reason"),
    "projects": ("program_id", "name", "phase", "rag", "reported_status", "bac", "ev", "ac", "eac", "cpi", "spi",
                 "spi_t", "pct_complete", "finish_slip_days", "ms_missed", "risks_open", "issues_open", "rag_reason"),
    "milestones": ("program_id", "project_id", "name", "key_milestone", "baseline_date", "forecast_date",
                   "actual_date", "status", "slip_days"),
    "risks": ("program_id", "project_id", "title", "probability", "impact", "score", "band", "emv", "owner",
              "open", "response_overdue"),
    "issues": ("program_id", "project_id", "title", "severity", "owner", "open", "age_days", "days_to_close"),
}
"""The columns ``Kpis.view(table)`` shows by default (``columns="all"`` shows every one)."""

_COMPUTED: dict[str, str] = {
    # identity and state
    "has_financials": "The entity has financial rows up to the month.",
    "bac_missing": "No budget (BAC) is known, so the ratios that need it are undefined.",
    "ac_known": "Actual cost is tracked (False: the source leaves actual cost empty).",
    "evm_na_reason": "Why the earned-value figures are undefined, when they are.",
    "months_of_data": "Months with financial rows up to the month.",
    "first_month": "The first month of the entity's financials or baseline start.",
    "es_forecast_finish": "Forecast finish from earned schedule (IEAC(t) months after the first month).",
    "finish_slip_days": "Forecast (else baseline) finish minus baseline finish, in days.",
    "as_of": "The date the figures are judged at: the status date, or the month end when it is earlier.",
    "status_age_days": "Days from the last status (status date, else last update) to the month end.",
    "stale": "The status is older than [report] stale_after_days.",
    "cost_data": "The source has financials at all.",
    "closed": "The project is in the closed phase: not rated, never flagged.",
    "closed_in_period": "Closed, and its finish falls in the month.",
    "n_programs": "Programs in the portfolio.",
    "n_projects": "Projects.",
    "n_red": "Open projects rated red.",
    "n_amber": "Open projects rated amber.",
    "n_green": "Open projects rated green.",
    "n_no_data": "Open projects without enough data to be rated.",
    "n_closed": "Closed projects.",
    "n_mismatch": "Projects whose reported status is better than the computed RAG.",
    # earned value
    "bac": "Budget at completion.",
    "pv": "Planned value, cumulative to the month end.",
    "ev": "Earned value, cumulative to the month end.",
    "ac": "Actual cost, cumulative to the month end.",
    "cv": "Cost variance: EV - AC.",
    "sv": "Schedule variance: EV - PV.",
    "cv_pct": "Cost variance as a fraction of EV.",
    "sv_pct": "Schedule variance as a fraction of PV.",
    "cpi": "Cost performance index: EV / AC.",
    "spi": "Schedule performance index: EV / PV.",
    "eac": "Estimate at completion (typical): BAC / CPI.",
    "eac_atypical": "Estimate at completion (atypical): AC + (BAC - EV).",
    "eac_composite": "Estimate at completion (composite): AC + (BAC - EV) / (CPI x SPI).",
    "etc": "Estimate to complete: EAC - AC.",
    "vac": "Variance at completion: BAC - EAC.",
    "tcpi": "To-complete performance index to finish on budget: (BAC - EV) / (BAC - AC).",
    "tcpi_eac": "To-complete performance index to finish at EAC: (BAC - EV) / (EAC - AC).",
    "pct_complete": "EV / BAC (a fraction).",
    "pct_spent": "AC / BAC (a fraction).",
    "es": "Earned schedule, in months from the first month.",
    "at": "Actual time: months from the first month to the month (the view calls it actual_time).",
    "sv_t": "Schedule variance in time: ES - AT, in months.",
    "spi_t": "Schedule performance index in time: ES / AT.",
    "pd": "Planned duration in months (the view calls it planned_duration).",
    "ieac_t": "Independent estimate at completion in time: PD / SPI(t), in months.",
    "cpi_open": "CPI of the open projects only (what the program's RAG rates).",
    "spi_open": "SPI of the open projects only.",
    "spi_t_open": "SPI(t) of the open projects only.",
    # milestones
    "ms_total": "Milestones.",
    "ms_due_in_month": "Milestones whose baseline date falls in the month.",
    "ms_achieved_on_time": "Milestones achieved on or before their baseline date.",
    "ms_achieved_late": "Milestones achieved after their baseline date.",
    "ms_missed": "Milestones past their baseline date and not achieved.",
    "ms_key_missed": "Key milestones missed.",
    "ms_upcoming": "Milestones due within [report] upcoming_days after the month end.",
    "ms_key_upcoming": "Key milestones due within that window.",
    "ms_on_time_rate": "Achieved on time / milestones due (a fraction).",
    "ms_max_slip_days": "The largest milestone slip, in days.",
    # risks
    "risks_open": "Open risks.",
    "risks_critical_open": "Open risks in the critical band.",
    "risks_high_open": "Open risks in the high band.",
    "risks_overdue": "Open risks whose response is overdue.",
    "emv_open": "Expected monetary value of the open risks: sum of probability x cost impact.",
    "risks_raised": "Risks raised in the month.",
    "risks_closed": "Risks closed in the month.",
    # issues
    "issues_open": "Open issues.",
    "issues_open_low": "Open low-severity issues.",
    "issues_open_medium": "Open medium-severity issues.",
    "issues_open_high": "Open high-severity issues.",
    "issues_open_critical": "Open critical issues.",
    "issues_raised": "Issues opened in the month.",
    "issues_closed": "Issues closed in the month.",
    "issues_mean_days_to_close": "Mean days to close the issues closed so far.",
    "issues_oldest_open_days": "Age of the oldest open issue, in days.",
    # guidelines and RAG
    "compliance_pct": "Share of the PMO's guidelines met (a fraction).",
    "guideline_breaches": "Guideline breaches.",
    "guideline_major_breaches": "Major guideline breaches (named in the RAG reason).",
    "rag_cost": "RAG of the cost dimension (CPI against the thresholds).",
    "rag_schedule": "RAG of the schedule dimension (SPI(t), else SPI).",
    "rag_milestones": "RAG of the milestones dimension (missed milestones).",
    "rag_risks": "RAG of the risks dimension (critical open risks).",
    "rag": "Computed RAG: the worst dimension.",
    "rag_reason": "Why the RAG is what it is, in words.",
    "mismatch": "The reported status is better than the computed RAG.",
    # items
    "status": "Status at the month (milestones: achieved_on_time, achieved_late, missed, upcoming, future).",
    "achieved": "Achieved by the month end.",
    "missed": "Past its baseline date and not achieved.",
    "due": "Its baseline date is on or before the month end.",
    "due_in_month": "Its baseline date falls in the month.",
    "achieved_in_month": "Achieved in the month.",
    "upcoming": "Due within [report] upcoming_days after the month end.",
    "slip_days": "Forecast (else actual) date minus baseline date, in days.",
    "project_closed": "Its project is closed (left out of roll-ups).",
    "score": "Probability x impact (1-25).",
    "band": "Risk band from the score: low, medium, high or critical.",
    "emv": "Expected monetary value: probability x cost impact.",
    "cost_missing": "Open risk without a cost impact (its EMV counts as zero).",
    "open": "Open at the month end.",
    "response_overdue": "Open, and its response is past due.",
    "raised_in_month": "Raised (opened) in the month.",
    "closed_in_month": "Closed in the month.",
    "age_days": "Days open at the month end (to closing for a closed issue).",
    "days_to_close": "Days from opened to closed.",
    "eac_p50": "Risk-adjusted EAC that half the Monte Carlo draws stay within (docs/kpis.md).",
    "eac_p80": "Risk-adjusted EAC that 80% of the draws stay within.",
    "finish_p50": "Risk-adjusted finish date that half the draws reach.",
    "finish_p80": "Risk-adjusted finish date that 80% of the draws reach.",
    "p_within_budget": "Share of the draws whose cost stays within BAC.",
    "p_by_baseline": "Share of the draws that finish by the baseline finish.",
    "forecast_na_reason": "Why there is no risk-adjusted forecast (no financials yet, BAC missing, ...).",
}

DESCRIPTIONS: dict[str, str] = {**{c.name: c.description for t in TABLES.values() for c in t.columns},
                                **_COMPUTED}
"""What each column of the ``Kpis`` tables holds; a source column keeps its data-model description."""
_SOURCE_TABLE = {"programs": "programs", "projects": "projects", "milestones": "milestones", "risks": "risks",
                 "issues": "issues"}

_DATES = frozenset({"baseline_start", "baseline_finish", "forecast_finish", "last_updated", "status_date",
                    "es_forecast_finish", "as_of", "baseline_date", "forecast_date", "actual_date", "raised_date",
                    "closed_date", "response_due", "opened_date"})
_NUMBERS = frozenset(figures.MONEY | figures.RATIOS | figures.PERCENTS | figures.MONTHS | figures.DAYS)


def kind_of(column: str, series: pd.Series | None = None) -> str:
    """How a column is written: a figure kind (money, ratio, percent, months, days, count), date, bool or text."""
    if column in _NUMBERS:
        return figures.kind_of(column)
    if column in _DATES:
        return "date"
    if series is not None:
        if pd.api.types.is_bool_dtype(series):
            return "bool"
        if pd.api.types.is_numeric_dtype(series):
            return "count"
        if pd.api.types.is_datetime64_any_dtype(series):
            return "date"
    return "text"


def description(table: str, column: str) -> str:
    """What ``column`` of ``table`` holds ("" for a column the dictionary does not know, e.g. a measure)."""
    source = TABLES.get(_SOURCE_TABLE.get(table, ""))
    if source is not None and column in source.column_names and column not in _COMPUTED:
        return next(c.description for c in source.columns if c.name == column)
    if column.startswith("measure_"):
        return f"The PMO's measure {column[len('measure_'):]!r} ([[measures]] in pmo.toml)."
    return DESCRIPTIONS.get(column, "")


def dictionary(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per table and column: ``table, column, view_name, kind, description``, indexed 0..n."""
    rows = [
        {"table": name, "column": str(col), "view_name": VIEW_NAMES.get(str(col), str(col)),
         "kind": kind_of(str(col), frame[col]), "description": description(name, str(col))}
        for name, frame in frames.items() for col in frame.columns
    ]
    return pd.DataFrame(rows, columns=["table", "column", "view_name", "kind", "description"])


_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
NA = "n/a"


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _money(value: float, currency: str) -> str:
    sign, size = ("-" if value < 0 else ""), abs(value)
    for step, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if figures.round_half_up(size, 0) >= step:
            text = f"{figures.round_half_up(size / step, 1):,.1f}{suffix}"
            break
    else:
        text = f"{figures.round_half_up(size, 0):,.0f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}".rstrip()


def format_value(value: Any, kind: str, currency: str = "EUR") -> str:
    """``value`` written as its kind is: money abbreviated (€36.0M), ratio 0.93, percent 12.5%, months 3.2,
    days and counts whole, dates YYYY-MM-DD, yes/no; an undefined value is ``n/a``."""
    if _missing(value):
        return NA
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "text" or isinstance(value, str):
        return str(value)
    number = float(value)
    if math.isinf(number):
        return NA
    if kind == "money":
        return _money(number, currency)
    if kind == "percent":
        return f"{figures.round_half_up(number * 100, 1):.1f}%"
    decimals = figures.DECIMALS.get(kind, 0)
    return f"{figures.round_half_up(number, decimals):,.{decimals}f}"


def view(table: str, frame: pd.DataFrame, columns: Sequence[str] | str | None = None, *, formatted: bool = True,
         currency: str = "EUR") -> pd.DataFrame:
    """``frame`` (the ``Kpis`` table ``table``) as an analyst reads it.

    Indexed by the table's id (:data:`ID_COLUMNS`), the columns of :data:`VIEW_COLUMNS` (``"all"``: every
    column; a list: those), renamed by :data:`VIEW_NAMES`, and with ``formatted`` every value written as text
    as a report writes it (:func:`format_value`); ``formatted=False`` keeps the numbers for sorting and filtering.

    Raises
    ------
    KeyError
        An unknown table, or a column the table lacks (the message lists the table's columns).
    """
    if table not in ID_COLUMNS:
        raise KeyError(f"unknown table {table!r}; the tables are {', '.join(TABLES_SHOWN)}")
    key = ID_COLUMNS[table]
    wanted = list(frame.columns) if columns == "all" else list(VIEW_COLUMNS[table] if columns is None else columns)
    reverse = {v: k for k, v in VIEW_NAMES.items()}
    wanted = [reverse.get(c, c) for c in wanted if c != key]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise KeyError(f"{table} has no column {', '.join(missing)}; its columns are {', '.join(map(str, frame))}")
    out = frame[wanted].copy()
    out.index = pd.Index(frame[key].astype(str) if key else ["portfolio"] * len(frame), name=key or "level")
    if formatted:
        for c in wanted:
            kind = kind_of(c, frame[c])
            out[c] = pd.Series([format_value(v, kind, currency) for v in frame[c].tolist()], index=out.index,
                               dtype="object")
    return out.rename(columns=VIEW_NAMES)


# ---------------------------------------------------------------------------------------------- Kpis summaries

_FRAMES = ("portfolio", "programs", "projects", "milestones", "risks", "issues", "financials")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _row_value(row: pd.Series | None, column: str) -> Any:
    return None if row is None or column not in row.index else row[column]


class KpisSummary:
    """What ``Kpis`` shows as text and HTML (period, counts, RAG mix, headline figures), its column dictionary
    and its formatted views. A mixin: ``Kpis`` (a dataclass) supplies the tables."""

    period: str
    config: Any
    portfolio: pd.DataFrame
    programs: pd.DataFrame
    projects: pd.DataFrame
    milestones: pd.DataFrame
    risks: pd.DataFrame
    issues: pd.DataFrame
    financials: pd.DataFrame

    def _frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES_SHOWN}

    def describe(self, table: str | None = None) -> pd.DataFrame:
        """The column dictionary: ``table, column, view_name, kind, description`` for every column of the tables
        (of ``table`` only when given).

        Raises
        ------
        KeyError
            ``table`` is not one of the tables.
        """
        frames = self._frames()
        if table is not None:
            if table not in frames:
                raise KeyError(f"unknown table {table!r}; the tables are {', '.join(TABLES_SHOWN)}")
            frames = {table: frames[table]}
        return dictionary(frames)

    def view(self, table: str = "programs", columns: Sequence[str] | str | None = None, *,
             formatted: bool = True) -> pd.DataFrame:
        """``table`` for reading: indexed by id, a short set of columns (``"all"`` or a list for others), names
        that do not clash with pandas, values written as the reports write them (:func:`view`)."""
        return view(table, self._frames().get(table, pd.DataFrame()) if table in ID_COLUMNS else pd.DataFrame(),
                    columns, formatted=formatted, currency=str(getattr(self.config, "currency", "EUR")))

    def summary_lines(self) -> list[str]:
        """The text summary, one line per subject."""
        from pmo_nb.periods import Period

        currency = str(getattr(self.config, "currency", "EUR"))
        row = self.portfolio.iloc[0] if len(self.portfolio) else None

        def count(column: str) -> int:
            value = _row_value(row, column)
            return 0 if _missing(value) else int(value)

        def fig(column: str, label: str) -> str:
            return f"{label} {format_value(_row_value(row, column), kind_of(column), currency)}"

        statuses = ("red", "amber", "green", "no_data", "closed")
        mix = ", ".join(f"{count(f'n_{s}')} {s.replace('_', ' ')}" for s in statuses)
        ms, rk, iss = self.milestones, self.risks, self.issues
        missed = int(ms["missed"].astype(bool).sum()) if "missed" in ms else 0
        open_risks = int(rk["open"].astype(bool).sum()) if "open" in rk else 0
        open_issues = int(iss["open"].astype(bool).sum()) if "open" in iss else 0
        return [
            f"Kpis for {self.period} ({Period.parse(str(self.period)).label}) · "
            f"{getattr(self.config, 'organisation', '')} · {currency}",
            f"{_plural(len(self.programs), 'program')}, {_plural(len(self.projects), 'project')}: {mix}"
            f" ({count('n_mismatch')} reported better than computed)",
            f"RAG {format_value(_row_value(row, 'rag'), 'text')} · " + " · ".join(
                fig(c, label) for c, label in (("cpi", "CPI"), ("spi", "SPI"), ("spi_t", "SPI(t)"), ("bac", "BAC"),
                                               ("eac", "EAC"))),
            f"{_plural(len(ms), 'milestone')} ({missed} missed) · {_plural(len(rk), 'risk')} ({open_risks} open) · "
            f"{_plural(len(iss), 'issue')} ({open_issues} open)",
            "tables: " + ", ".join(_FRAMES) + ' · .view("programs") to read one, .describe() for the columns',
        ]

    def __repr__(self) -> str:
        lines = self.summary_lines()
        return "\n  ".join(lines)

    def _repr_html_(self) -> str:
        import html

        lines = [html.escape(line) for line in self.summary_lines()]
        items = "".join(f"<li>{line}</li>" for line in lines[1:])
        return f'<div class="pmo-kpis-summary"><strong>{lines[0]}</strong><ul>{items}</ul></div>'
