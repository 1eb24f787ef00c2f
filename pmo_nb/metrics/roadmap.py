"""Portfolio views across programs: the key milestones due in the next days and the roadmap of projects.

* :func:`key_milestones_ahead`: the key milestones ahead (``Kpis.upcoming_milestones(key_only=True)``, the list
  ``ms_key_upcoming`` counts) with their program, project and slip against baseline, soonest first;
* :func:`roadmap_rows`: one row per project with its baseline bar (baseline start to baseline finish) and its
  forecast bar (baseline start to the forecast finish, else the baseline finish) and the finish delay in days.

Both read the frames of :class:`pmo_nb.metrics.kpis.Kpis` (``milestones``, ``projects``, ``programs``).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["KEY_MILESTONE_COLUMNS", "ROADMAP_COLUMNS", "key_milestones_ahead", "roadmap_rows"]

KEY_MILESTONE_COLUMNS = ("program", "project", "milestone_id", "milestone", "baseline_date", "forecast_date",
                         "date", "slip_days")
ROADMAP_COLUMNS = ("program", "project_id", "project", "rag", "closed", "start", "baseline_finish",
                   "forecast_finish", "delay_days")


def _names(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame.set_index(key)["name"] if len(frame) else pd.Series(dtype="object")


def key_milestones_ahead(upcoming: pd.DataFrame, projects: pd.DataFrame, programs: pd.DataFrame) -> pd.DataFrame:
    """The key milestones ahead across programs, laid out for the portfolio: program and project names, baseline,
    forecast, ``date`` (forecast, else baseline) and ``slip_days``, soonest first (then program, project, id).

    ``upcoming`` is the one list of them, ``Kpis.upcoming_milestones(key_only=True)`` (counted by
    ``ms_key_upcoming``): not achieved, of open projects, dated after the status date and within
    ``[report] upcoming_days``; ``slip_days`` is the milestones' own (date minus baseline, positive: late).
    """
    columns = list(KEY_MILESTONE_COLUMNS)
    if upcoming.empty:
        return pd.DataFrame(columns=columns)
    ms = upcoming
    baseline = pd.to_datetime(ms["baseline_date"])
    date = pd.to_datetime(ms["forecast_date"]).fillna(baseline)
    program_of = ms["project_id"].map(projects.set_index("project_id")["program_id"]) if len(projects) else ms[
        "project_id"]
    out = pd.DataFrame({
        "program": program_of.map(_names(programs, "program_id")).fillna(program_of),
        "project": ms["project_id"].map(_names(projects, "project_id")).fillna(ms["project_id"]),
        "milestone_id": ms["milestone_id"], "milestone": ms["name"], "baseline_date": baseline,
        "forecast_date": pd.to_datetime(ms["forecast_date"]), "date": date,
        "slip_days": pd.to_numeric(ms["slip_days"], errors="coerce").round().astype("Int64"),
    })
    return out.sort_values(["date", "program", "project", "milestone_id"], kind="mergesort").reset_index(drop=True)


def roadmap_rows(projects: pd.DataFrame, programs: pd.DataFrame) -> pd.DataFrame:
    """One row per project: program name, project name, computed ``rag``, ``closed``, ``start`` (baseline start),
    ``baseline_finish``, ``forecast_finish`` (the reported forecast, else the baseline finish) and ``delay_days``
    (forecast finish minus baseline finish), ordered by program name, then start and project id."""
    columns = list(ROADMAP_COLUMNS)
    if projects.empty:
        return pd.DataFrame(columns=columns)
    baseline = pd.to_datetime(projects["baseline_finish"])
    forecast = pd.to_datetime(projects["forecast_finish"]).fillna(baseline)
    out = pd.DataFrame({
        "program": projects["program_id"].map(_names(programs, "program_id")).fillna(projects["program_id"]),
        "project_id": projects["project_id"], "project": projects["name"],
        "rag": projects["rag"] if "rag" in projects else None,
        "closed": projects["closed"].astype(bool) if "closed" in projects else False,
        "start": pd.to_datetime(projects["baseline_start"]), "baseline_finish": baseline, "forecast_finish": forecast,
        "delay_days": (forecast - baseline).dt.days.astype("Int64"),
    })
    return out.sort_values(["program", "start", "project_id"], kind="mergesort").reset_index(drop=True)
