"""The trend and risk-adjusted forecast sections: their data steps (history and KPI frames to tidy chart frames,
testable without Altair) and their builders, registered in :mod:`pmo_nb.reporting.sections` by the report module.

A report reads its months once through :func:`history_of` (:func:`pmo_nb.metrics.history.read_history` with the
report's ``reports_dir``: stored months from ``<reports_dir>/history/``, the others recomputed from the source).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pmo_nb.contract import RAG_WORST_FIRST
from pmo_nb.metrics.history import TREND_MONTHS, History, read_history
from pmo_nb.periods import Period
from pmo_nb.reporting import components
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts import trends as trend_charts
from pmo_nb.reporting.narrative import plural
from pmo_nb.reporting.scale import CHART_ROWS
from pmo_nb.reporting.tables import Col

__all__ = ["TREND_MONTHS", "history_of", "index_trend_data", "eac_trend_data", "rag_strip_data", "worst_rows",
           "milestone_trend_data", "issue_trend_data", "forecast_rows", "forecast_sentence",
           "risk_forecast", "index_trend", "eac_trend", "rag_strip", "milestone_trend", "issue_trend"]



def history_of(report: Any) -> History:
    """The report's last :data:`TREND_MONTHS` months, read once per report object."""
    cached = getattr(report, "_history", None)
    if cached is None:
        cached = read_history(getattr(report, "reports_dir", None), report.period, TREND_MONTHS,
                              portfolio=report.portfolio, config=report.config, current=report.all_kpis,
                              cache=getattr(report, "_recomputed_months", None),
                              stored=getattr(report, "_stored_months", None))
        report._history = cached
    return cached


def _entity(report: Any) -> tuple[str, str | None]:
    return ("program", report.program_id) if report.kind == "program" else ("portfolio", None)


# ------------------------------------------------------------------------------------------------ data steps
def _long(rows: pd.DataFrame, series: dict[str, str]) -> pd.DataFrame:
    """Entity rows by month -> ``period, series, value, recomputed`` for the named columns."""
    if rows.empty:
        return pd.DataFrame(columns=["period", "series", "value", "recomputed"])
    parts = [pd.DataFrame({"period": rows["period"].astype(str).to_numpy(), "series": label,
                           "value": pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64"),
                           "recomputed": rows["recomputed"].astype(bool).to_numpy()})
             for column, label in series.items() if column in rows]
    return pd.concat(parts, ignore_index=True)


def index_trend_data(history: History, level: str, id: str | None = None) -> pd.DataFrame:
    """CPI and SPI(t) of one entity by month (tidy)."""
    return _long(history.entity(level, id), {"cpi": "CPI", "spi_t": "SPI(t)"})


def eac_trend_data(history: History, level: str, id: str | None = None) -> pd.DataFrame:
    """BAC, EAC and the risk-adjusted P80 EAC of one entity by month (tidy)."""
    return _long(history.entity(level, id), {"bac": "BAC", "eac": "EAC", "eac_p80": "EAC P80"})


def issue_trend_data(history: History, level: str, id: str | None = None) -> pd.DataFrame:
    """Open issues of one entity at each month end (tidy)."""
    return _long(history.entity(level, id), {"issues_open": "Open issues"})


def rag_strip_data(history: History, level: str, ids: list[str], names: dict[str, str]) -> pd.DataFrame:
    """The computed RAG of the entities ``ids`` (rows in that order, labelled by ``names``) by month."""
    rows = history.level(level, ids)
    order = {i: k for k, i in enumerate(ids)}
    rows = rows.assign(_o=rows["id"].map(order)).sort_values(["_o", "period"], kind="mergesort")
    return pd.DataFrame({"name": rows["id"].map(lambda i: names.get(i, i)).to_numpy(dtype="object"),
                         "period": rows["period"].astype(str).to_numpy(), "rag": rows["rag"].to_numpy(dtype="object"),
                         "recomputed": rows["recomputed"].astype(bool).to_numpy()})


def milestone_trend_data(history: History, project_ids: set[str], limit: int = 8) -> pd.DataFrame:
    """Key milestones' dates as reported each stored month: ``period, reported`` (month end), ``milestone``,
    ``forecast_date``, ``achieved``; of the milestones whose latest date falls in or after the first month shown,
    the ``limit`` due soonest are kept (one achieved before the window has no trend to show)."""
    ms = history.milestones(project_ids, key_only=True)
    columns = ["period", "reported", "milestone", "forecast_date", "achieved"]
    if ms.empty:
        return pd.DataFrame(columns=columns)
    achieved = pd.to_datetime(ms["actual_date"])  # an achieved milestone sits on the diagonal at its actual date
    date = achieved.fillna(pd.to_datetime(ms["forecast_finish"]))
    latest = date.groupby(ms["id"]).last().sort_values(kind="mergesort")
    latest = latest[latest >= Period(min(history.months)).start]
    keep = list(latest.index[:limit])
    ms = ms.assign(_date=date)[ms["id"].isin(keep)]
    return pd.DataFrame({
        "period": ms["period"].astype(str).to_numpy(),
        "reported": [Period(p).end for p in ms["period"]],
        "milestone": (ms["id"].astype(str) + " " + ms["name"].astype(str)).to_numpy(dtype="object"),
        "forecast_date": ms["_date"].to_numpy(),
        "achieved": achieved[ms.index].notna().to_numpy(dtype=bool),
    })[columns].reset_index(drop=True)


def forecast_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the risk-adjusted forecast table: entities with a forecast or a reason, point finish added."""
    out = frame.copy()
    if "forecast_finish" in out and "baseline_finish" in out:
        out["finish"] = out["forecast_finish"].fillna(out["baseline_finish"])
    else:
        out["finish"] = out.get("forecast_finish")
    return out.reset_index(drop=True)


def forecast_sentence(row: pd.Series, currency: str) -> str:
    """One sentence stating the entity's P50/P80 forecast against its EAC and budget."""
    if pd.isna(row.get("eac_p80")):
        reason = row.get("forecast_na_reason") or "no cost data"
        return f"No risk-adjusted forecast: {reason}."
    parts = [f"Risk-adjusted, the forecast is {fmt.money(row['eac_p50'], currency)} at P50 and "
             f"{fmt.money(row['eac_p80'], currency)} at P80 (EAC {fmt.money(row.get('eac'), currency)}, "
             f"budget {fmt.money(row.get('bac'), currency)}): a {fmt.pct(row.get('p_within_budget'))} chance "
             "of finishing within budget."]
    if not pd.isna(row.get("finish_p80")):
        parts.append(f"Finish {fmt.date(row['finish_p50'])} at P50 and {fmt.date(row['finish_p80'])} at P80: a "
                     f"{fmt.pct(row.get('p_by_baseline'))} chance of finishing by the baseline date.")
    return " ".join(parts)


# ------------------------------------------------------------------------------------------------ builders
def risk_forecast(report: Any) -> components.HTML:
    """The P50/P80 forecasts next to the point values: a sentence for the report's entity, a table below."""
    currency = report.currency
    lead = components.summary([forecast_sentence(report.row, currency)], heading="Risk-adjusted forecast")
    if report.kind == "program":
        rows = report.kpis.projects
        rows = rows[~rows["closed"].astype(bool)]
        ident = [Col("project_id", "Project", "id"), Col("name", "Name")]
    else:
        rows = report.kpis.programs
        ident = [Col("program_id", "Program", "id"), Col("name", "Name")]
    if rows.empty:
        return lead
    table = components.table(forecast_rows(rows), [
        *ident, Col("bac", "BAC", "money"), Col("eac", "EAC", "money"), Col("eac_p50", "P50", "money"),
        Col("eac_p80", "P80", "money"), Col("p_within_budget", "Within budget", "pct"),
        Col("finish", "Forecast finish", "date"), Col("finish_p50", "Finish P50", "date"),
        Col("finish_p80", "Finish P80", "date"), Col("p_by_baseline", "By baseline", "pct"),
        *([Col("forecast_na_reason", "Why no forecast")] if rows["forecast_na_reason"].notna().any() else []),
    ], currency=currency, max_chars=None,
        caption=f"{report.config.forecast.draws:,} draws; P80: 80% of draws cost less or finish earlier")
    return lead + table


def index_trend(report: Any) -> Any:
    level, id_ = _entity(report)
    data = index_trend_data(history_of(report), level, id_)
    return trend_charts.index_trend(data, _trend_title(data, "CPI", "SPI(t)"), green=report.config.rag.green,
                                    amber=report.config.rag.amber)


def eac_trend(report: Any) -> Any:
    level, id_ = _entity(report)
    data = eac_trend_data(history_of(report), level, id_)
    title = None
    eac = data[data["series"] == "EAC"].dropna(subset=["value"])
    if len(eac) >= 2:
        change = eac["value"].iloc[-1] - eac["value"].iloc[0]
        title = (f"EAC {'rose' if change > 0 else 'fell'} by {fmt.money(abs(change), report.currency)} since "
                 f"{fmt.month_short(eac['period'].iloc[0])}" if change else "EAC unchanged over the period")
    return trend_charts.eac_trend(data, title, currency=report.currency)


def rag_strip(report: Any) -> Any:
    if report.kind == "program":
        projects = report.kpis.projects
        ids = [report.program_id]
        names = {report.program_id: f"{report.title_text} (program)"}
        data = pd.concat([rag_strip_data(history_of(report), "program", ids, names),
                          rag_strip_data(history_of(report), "project", list(projects["project_id"]),
                                         dict(zip(projects["project_id"], projects["name"], strict=True)))],
                         ignore_index=True)
    else:
        programs = report.kpis.programs
        data = rag_strip_data(history_of(report), "program", list(programs["program_id"]),
                              dict(zip(programs["program_id"], programs["name"], strict=True)))
    rows = data["name"].nunique()
    data = worst_rows(data, CHART_ROWS, keep_first=report.kind == "program")
    note = None
    if data["name"].nunique() < rows:
        what = "projects" if report.kind == "program" else "programs"
        own = int(report.kind == "program")  # the program's own row is always drawn
        note = [f"The {data['name'].nunique() - own} of {rows - own} {what} in the worst state: worst this "
                "month, then most months red or amber.", f"The tables list every one of the {what}."]
    return trend_charts.rag_strip(data, note=note)


def worst_rows(data: pd.DataFrame, limit: int, *, keep_first: bool = False) -> pd.DataFrame:
    """Of :func:`rag_strip_data`'s rows, those of the ``limit`` names in the worst state: worst RAG in the latest
    month, then most red months, then most amber months, then first in order; drawn in their own order.
    ``keep_first`` always keeps the first name (a program report's own program row)."""
    names = list(dict.fromkeys(data["name"]))
    if len(names) <= limit:
        return data
    rank = {rag: i for i, rag in enumerate(RAG_WORST_FIRST)}
    latest = data[data["period"] == data["period"].max()].drop_duplicates("name", keep="last").set_index("name")
    now = latest["rag"].map(lambda r: rank.get(r, len(rank)))
    red = data["rag"].eq("red").groupby(data["name"], sort=False).sum()
    amber = data["rag"].eq("amber").groupby(data["name"], sort=False).sum()
    order = {name: i for i, name in enumerate(names)}
    candidates = names[1:] if keep_first else names
    ranked = sorted(candidates, key=lambda n: (now.get(n, len(rank)), -red.get(n, 0), -amber.get(n, 0), order[n]))
    keep = set(ranked[: limit - 1] if keep_first else ranked[:limit]) | ({names[0]} if keep_first else set())
    return data[data["name"].isin(keep)].reset_index(drop=True)


def milestone_trend(report: Any) -> Any:
    data = milestone_trend_data(history_of(report), set(report.kpis.projects["project_id"]))
    stored = data["period"].nunique() if len(data) else 0
    title = None
    if stored < 2:  # a trend needs the dates reported in earlier months, which only the store keeps
        title = (f"Key milestones as reported: {'one stored month' if stored == 1 else 'no stored month'} so far "
                 "(each batch run keeps its month)")
    return trend_charts.milestone_trend(data, title)


def issue_trend(report: Any) -> Any:
    level, id_ = _entity(report)
    data = issue_trend_data(history_of(report), level, id_)
    return trend_charts.issue_trend(data, _count_title(data))


def _trend_title(data: pd.DataFrame, *names: str) -> str | None:
    parts = []
    for name in names:
        s = data[data["series"] == name].dropna(subset=["value"])
        if len(s) >= 2:
            parts.append(f"{name} {fmt.ratio(s['value'].iloc[0])} → {fmt.ratio(s['value'].iloc[-1])}")
    if not parts:
        return None
    first = data.dropna(subset=["value"])["period"].min()
    return f"{', '.join(parts)} since {fmt.month_short(first)}"


def _count_title(data: pd.DataFrame) -> str | None:
    s = data.dropna(subset=["value"])
    if len(s) < 2:
        return None
    return (f"{plural(int(s['value'].iloc[-1]), 'open issue')}, {fmt.integer(s['value'].iloc[0])} in "
            f"{fmt.month_short(s['period'].iloc[0])}")

