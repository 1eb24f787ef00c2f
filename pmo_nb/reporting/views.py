"""Portfolio views and benefits sections: their data steps (tidy frames, testable without Altair) and builders,
registered in :mod:`pmo_nb.reporting.sections` by the report module.

* ``key_milestones`` (portfolio): the key milestones due in the next ``[report] upcoming_days`` across programs;
* ``roadmap`` (portfolio): projects per program, baseline bar against forecast bar, the status date;
* ``compliance_trend`` (portfolio): each program's ``compliance_pct`` by month from the history store;
* ``benefits`` and ``benefit_progress`` (program), ``benefits_rollup`` (portfolio): planned against realised,
  benefits at risk.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pmo_nb.metrics import benefits as benefit_figures
from pmo_nb.metrics.history import History
from pmo_nb.metrics.roadmap import key_milestones_ahead, roadmap_rows
from pmo_nb.reporting import components
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts import views as view_charts
from pmo_nb.reporting.scale import CHART_LINES, CHART_ROWS
from pmo_nb.reporting.tables import Col
from pmo_nb.reporting.trends import history_of

__all__ = ["compliance_trend_data", "benefit_register", "value_text", "benefits_sentence", "key_milestones",
           "roadmap", "latest_projects", "compliance_trend", "lowest_compliance", "benefits", "benefit_progress",
           "benefits_rollup"]


# ------------------------------------------------------------------------------------------------ data steps
def compliance_trend_data(history: History, ids: list[str], names: dict[str, str]) -> pd.DataFrame:
    """``period, program, value, recomputed``: the programs' ``compliance_pct`` by month (months without it left
    out: a history written before guidelines existed has none)."""
    rows = history.level("program", ids)
    columns = ["period", "program", "value", "recomputed"]
    if "compliance_pct" not in rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame({"period": rows["period"].astype(str).to_numpy(),
                        "program": rows["id"].map(lambda i: names.get(i, i)).to_numpy(dtype="object"),
                        "value": pd.to_numeric(rows["compliance_pct"], errors="coerce").to_numpy(dtype="float64"),
                        "recomputed": rows["recomputed"].astype(bool).to_numpy()}, columns=columns)
    return out.dropna(subset=["value"]).sort_values(["program", "period"], kind="mergesort").reset_index(drop=True)


def benefit_register(report: Any) -> pd.DataFrame:
    """The report's benefits (its program's, or all) with their figures at the end of the reporting month."""
    table = report.portfolio.benefits
    if report.kind == "program":
        table = table[table["program_id"] == report.program_id]
    return benefit_figures.register(table, report.portfolio.projects, report.period_end,
                                    report.config.benefits.at_risk_tolerance)


def value_text(value: Any, unit: Any) -> str:
    """A measure's value with its unit: ``50.7%``, ``437,000 EUR``, ``8.5 incidents``; "n/a" when missing."""
    if fmt.is_missing(value):
        return fmt.NA
    x = float(value)
    number = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.2f}".rstrip("0").rstrip(".")
    if fmt.is_missing(unit) or not str(unit).strip():
        return number
    return f"{number}%" if str(unit).strip() == "%" else f"{number} {unit}"


def benefits_sentence(reg: pd.DataFrame, roll: pd.Series, scope: str) -> str:
    """"4 benefits: 1 at risk (Lower the cost to serve), 1 achieved, 1 not measured yet; 53.1% of the planned
    change realised by value (56.7% planned by now)."."""
    n = len(reg)
    if not n:
        return f"No benefit is recorded for this {scope}."
    counts = reg["status"].value_counts()
    risky = reg.loc[reg["status"] == "at risk", "measure"].astype(str).tolist()
    parts = []
    for status in benefit_figures.STATUSES:
        k = int(counts.get(status, 0))
        if not k:
            continue
        text = f"{k} {status}" if status != "not measured" else f"{k} not measured yet"
        if status == "at risk" and len(risky) <= 3:
            text += f" ({'; '.join(risky)})"
        parts.append(text)
    head = f"{n} benefit{'s' if n != 1 else ''}: {', '.join(parts)}"
    if pd.isna(roll.get("realised_pct")):
        why = roll.get("pct_na_reason") or "no measured benefit"
        return f"{head}. No share realised by value ({why}): each benefit is read against its own trajectory."
    unit = roll.get("unit")
    of = f" in {unit}" if isinstance(unit, str) and unit else ""
    return (f"{head}; {fmt.pct(roll['realised_pct'])} of the planned change{of} realised by value "
            f"({fmt.pct(roll['planned_pct'])} planned by now).")


# ------------------------------------------------------------------------------------------------ builders
def key_milestones(report: Any) -> components.HTML:
    """Key milestones due in the next ``[report] upcoming_days`` days across programs, soonest first."""
    days = report.config.report.upcoming_days
    rows = key_milestones_ahead(report.kpis.upcoming_milestones(key_only=True), report.kpis.projects,
                                report.kpis.programs)
    late = int((rows["slip_days"].fillna(0) > 0).sum()) if len(rows) else 0
    lead = components.summary(
        f"{len(rows)} key milestone{'s' if len(rows) != 1 else ''} due from {fmt.date(report.period_end)} to "
        f"{fmt.date(report.period_end + pd.Timedelta(days=days))}; {late} forecast later than baseline."
        if len(rows) else f"No key milestone is due in the next {days} days.")
    if rows.empty:
        return lead
    table = components.table(rows.assign(late=rows["slip_days"].fillna(0) > 0), [
        Col("program", "Program"), Col("project", "Project"), Col("milestone", "Milestone"),
        Col("baseline_date", "Baseline", "date"), Col("date", "Forecast", "date"), Col("slip_days", "Slip", "days"),
    ], max_chars=None, highlight="late", highlight_title="forecast later than baseline",
        caption=f"Key milestones in the next {days} days, by date")
    return lead + table


def roadmap(report: Any) -> Any:
    """The open projects per program: baseline bar against forecast bar (closed projects are left out)."""
    rows = roadmap_rows(report.kpis.projects, report.kpis.programs)
    open_rows = rows[~rows["closed"].astype(bool)]
    late = int((open_rows["delay_days"].fillna(0) > 0).sum())
    title = (f"{late} of {len(open_rows)} open projects forecast to finish after baseline" if len(open_rows)
             else None)
    shown = latest_projects(open_rows, CHART_ROWS)
    if len(shown) == len(open_rows):
        return view_charts.roadmap(open_rows, status_date=report.period_end, title=title)
    delay = pd.to_numeric(shown["delay_days"], errors="coerce").fillna(0.0)
    shown = shown.assign(_delay=-delay).sort_values(["_delay", "baseline_finish", "project_id"], kind="mergesort")
    note = (f"The {len(shown)} open projects with the longest delay, longest first; each program's report has its "
            "full roadmap.")
    return view_charts.roadmap(shown.drop(columns="_delay"), status_date=report.period_end, title=title, note=note,
                               by_program=False)


def latest_projects(rows: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Of the roadmap's ``rows``, the ``limit`` with the longest delay (then the earliest baseline finish, then
    the project id), in the roadmap's own order; all of them when there are no more than ``limit``."""
    if len(rows) <= limit:
        return rows
    delay = pd.to_numeric(rows["delay_days"], errors="coerce").fillna(0.0)
    ranked = rows.assign(_delay=-delay, _finish=pd.to_datetime(rows["baseline_finish"]))
    keep = ranked.sort_values(["_delay", "_finish", "project_id"], kind="mergesort").index[:limit]
    return rows.loc[rows.index.isin(keep)]


def compliance_trend(report: Any) -> Any:
    programs = report.kpis.programs
    data = compliance_trend_data(history_of(report), list(programs["program_id"]),
                                 dict(zip(programs["program_id"], programs["name"], strict=True)))
    if data.empty:
        return components.empty("", text="No compliance history: the guidelines were not evaluated in any month "
                                         "of the trend.")
    months = data["period"].nunique()
    title = None if months >= 2 else "Compliance by month: one month so far"
    programs_drawn = data["program"].nunique()
    data = lowest_compliance(data, CHART_LINES)
    note = None
    if data["program"].nunique() < programs_drawn:
        note = (f"The {data['program'].nunique()} of {programs_drawn} programs with the lowest compliance this "
                "month; the compliance table gives every program's.")
    return view_charts.compliance_trend(data, title, note=note)


def lowest_compliance(data: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Of :func:`compliance_trend_data`'s rows, those of the ``limit`` programs with the lowest compliance in their
    latest month (then by name); all of them when there are no more than ``limit``."""
    if data["program"].nunique() <= limit:
        return data
    latest = data.sort_values("period", kind="mergesort").drop_duplicates("program", keep="last")
    keep = latest.sort_values(["value", "program"], kind="mergesort")["program"].head(limit)
    return data[data["program"].isin(set(keep))].reset_index(drop=True)


def _benefit_table(reg: pd.DataFrame, *, with_program: bool = False, caption: str | None = None) -> components.HTML:
    shown = reg.assign(
        benefit=reg["measure"], baseline_text=[value_text(v, u) for v, u in zip(reg["baseline"], reg["unit"],
                                                                               strict=True)],
        target_text=[value_text(v, u) for v, u in zip(reg["target"], reg["unit"], strict=True)],
        planned_text=[value_text(v, u) for v, u in zip(reg["planned"], reg["unit"], strict=True)],
        actual_text=[value_text(v, u) if not pd.isna(v) else "not measured"
                     for v, u in zip(reg["actual"], reg["unit"], strict=True)])
    columns = [Col("benefit_id", "Benefit", "id"), *([Col("program", "Program")] if with_program else []),
               Col("benefit", "Measure"), Col("objective", "Objective"), Col("baseline_text", "Baseline"),
               Col("target_text", "Target"), Col("target_date", "Target date", "date"),
               Col("planned_text", "Planned by now"), Col("actual_text", "Actual"),
               Col("planned_share", "Share planned", "pct"), Col("realised_share", "Share realised", "pct"),
               Col("status", "Status"), Col("owner", "Owner")]
    return components.table(shown, columns, max_chars=None, highlight="at_risk", highlight_title="at risk",
                            caption=caption)


def benefits(report: Any) -> components.HTML:
    """A program's benefits: the sentence, the register (planned by now against actual, status), how it is read."""
    reg = benefit_register(report)
    if reg.empty:
        return components.empty("", text="No benefit is recorded for this program.")
    roll = benefit_figures.rollup(reg, None).iloc[0]
    tolerance = fmt.pct(report.config.benefits.at_risk_tolerance, 0)
    return (components.summary(benefits_sentence(reg, roll, "program"))
            + _benefit_table(reg, caption="Benefits register")
            + components.note(f"Planned: a straight line from baseline at the start to target at the target date. "
                              f"At risk: the realised share trails the planned share by more than {tolerance} of "
                              "the change."))


def benefit_progress(report: Any) -> Any:
    """Each of the program's benefits: realised share against the share planned by now (chart)."""
    reg = benefit_register(report)
    if reg.empty:
        return components.HTML("")
    return view_charts.benefit_progress(reg.assign(label=reg["benefit_id"] + " " + reg["measure"]))


def benefits_rollup(report: Any) -> components.HTML:
    """Benefits per program (counts, share realised by value where units agree) and the benefits at risk."""
    reg = benefit_register(report)
    if reg.empty:
        return components.empty("", text="No benefit is recorded in the benefits table.")
    names = dict(zip(report.kpis.programs["program_id"], report.kpis.programs["name"], strict=True))
    reg = reg.assign(program=reg["program_id"].map(lambda i: names.get(i, i)))
    whole = benefit_figures.rollup(reg, None).iloc[0]
    per = benefit_figures.rollup(reg, "program_id")
    per = per.assign(program=per["program_id"].map(lambda i: names.get(i, i)),
                     why=per["pct_na_reason"].where(per["pct_na_reason"].notna(), ""),
                     unit=per["unit"].where(per["unit"].notna(), ""))
    parts = [components.summary(benefits_sentence(reg, whole, "portfolio")),
             components.table(per.sort_values(["n_at_risk", "program"], ascending=[False, True], kind="mergesort"), [
                 Col("program", "Program"), Col("n_benefits", "Benefits", "int"), Col("n_measured", "Measured", "int"),
                 Col("n_at_risk", "At risk", "int"), Col("n_achieved", "Achieved", "int"), Col("unit", "Unit"),
                 Col("planned_pct", "Share planned", "pct"), Col("realised_pct", "Share realised", "pct"),
                 Col("why", "Note"),
             ], max_chars=None, caption="Benefits by program (shares by value where the units agree)")]
    risky = reg[reg["at_risk"]].sort_values(["program", "benefit_id"], kind="mergesort")
    if len(risky):
        parts.append(_benefit_table(risky, with_program=True, caption=f"Benefits at risk ({len(risky)})"))
    out = components.HTML("")
    for p in parts:
        out = out + p
    return out
