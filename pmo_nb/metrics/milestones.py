"""Milestones as of a reporting month: status (achieved on time or late, missed, upcoming, future), slip, on-time rate.

A milestone is judged at the end of the month, or at its project's status date when that is earlier
(:func:`milestone_status`), and counted per project or program by :func:`milestone_summary`. docs/kpis.md
defines each status and figure; frame helpers shared with risks and issues live in :mod:`pmo_nb.metrics.frames`.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from pmo_nb.metrics.frames import as_dates, group_key, require_columns
from pmo_nb.periods import Period

STATUSES = ("achieved_on_time", "achieved_late", "missed", "upcoming", "future")

SUMMARY_COLUMNS = (
    "ms_total",
    "ms_due_in_month",
    "ms_achieved_on_time",
    "ms_achieved_late",
    "ms_missed",
    "ms_key_missed",
    "ms_upcoming",
    "ms_key_upcoming",
    "ms_on_time_rate",
    "ms_max_slip_days",
)


def _as_flag(df: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column with missing values (or a missing column) read as False."""
    if column not in df.columns:
        return pd.Series(False, index=df.index, dtype=bool)
    return df[column].astype("boolean").fillna(False).astype(bool)


def _days(delta: pd.Series) -> pd.Series:
    """A timedelta series in (fractional) days as float, NaN for NaT."""
    return (cast(Any, delta) / pd.Timedelta(days=1)).astype("float64")


def milestone_status(milestones: pd.DataFrame, period: str | Period, *, upcoming_days: int = 90,
                     as_of: pd.Series | None = None) -> pd.DataFrame:
    """The status of every milestone as of the end of ``period``.

    Parameters
    ----------
    milestones:
        The milestones table (``milestone_id, project_id, baseline_date`` required;
        ``forecast_date, actual_date, key_milestone`` optional).
    period:
        The reporting month, ``YYYY-MM``.
    upcoming_days:
        Horizon after ``end(M)`` within which a milestone not yet achieved is "upcoming".
    as_of:
        The date each project is judged at, indexed by ``project_id`` (its status date when earlier than
        end(M)); projects not in it, or with no date, are judged at end(M). A milestone due after its
        project's status date is not yet missed: it is upcoming.

    Returns
    -------
    pandas.DataFrame
        One row per milestone, in input order: the input columns plus ``status`` (one of
        ``achieved_on_time, achieved_late, missed, upcoming, future``), ``achieved``, ``missed``,
        ``due`` (baseline on or before ``end(M)``), ``due_in_month``, ``achieved_in_month``, ``upcoming``,
        ``slip_days`` (float) and ``key_milestone`` (bool, missing read as False).
    """
    start, end = Period(period).start, Period(period).end
    require_columns(milestones, "milestones", ("milestone_id", "project_id", "baseline_date"))
    out = milestones.copy()
    baseline = as_dates(out, "milestones", "baseline_date", "milestone_id")
    forecast = as_dates(out, "milestones", "forecast_date", "milestone_id")
    actual = as_dates(out, "milestones", "actual_date", "milestone_id")
    horizon = end + pd.Timedelta(days=int(upcoming_days))
    judged = pd.Series(end, index=out.index, dtype="datetime64[ns]")
    if as_of is not None and len(out):
        dates = pd.to_datetime(out["project_id"].map(as_of))
        judged = dates.where(dates.notna() & (dates < end), end).astype("datetime64[ns]")

    achieved = (actual <= judged).to_numpy(dtype=bool)
    due = (baseline <= judged).to_numpy(dtype=bool)
    missed = due & ~achieved
    on_time = achieved & (actual <= baseline).to_numpy(dtype=bool)
    target = forecast.fillna(baseline)
    upcoming = ~achieved & ((target > judged) & (target <= horizon)).to_numpy(dtype=bool)

    status = np.select(
        [on_time, achieved & ~on_time, missed, upcoming],
        ["achieved_on_time", "achieved_late", "missed", "upcoming"],
        default="future",
    )
    out["status"] = pd.Series(status, index=out.index, dtype=object)
    out["achieved"] = achieved
    out["missed"] = missed
    out["due"] = due
    out["due_in_month"] = ((baseline >= start) & (baseline <= end)).to_numpy(dtype=bool)
    out["achieved_in_month"] = achieved & (actual >= start).to_numpy(dtype=bool)
    out["upcoming"] = upcoming
    out["slip_days"] = _days(actual.fillna(forecast).fillna(baseline) - baseline)
    out["key_milestone"] = _as_flag(out, "key_milestone")
    return out


def milestone_summary(
    status: pd.DataFrame, by: str = "project_id", *, projects: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Milestone counts per ``by`` (a project, or a program with ``by="program_id"``).

    Parameters
    ----------
    status:
        Output of :func:`milestone_status`.
    by:
        The column to group by. ``"program_id"`` works when ``status`` has that column or when
        ``projects`` is given.
    projects:
        The projects table, used to map ``project_id`` to ``by`` when ``status`` lacks it.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by`` (only groups with milestones, sorted): ``ms_total, ms_due_in_month,
        ms_achieved_on_time, ms_achieved_late, ms_missed, ms_key_missed, ms_upcoming, ms_key_upcoming``
        (int),
        ``ms_on_time_rate`` (achieved on time / due by end(M); NaN when none is due) and
        ``ms_max_slip_days`` (float, NaN when no milestone has a date).
    """
    key = group_key(status, by, projects)
    st = status["status"]
    due = status["due"] if "due" in status.columns else status["achieved"] | status["missed"]
    frame = pd.DataFrame(
        {
            "ms_total": 1,
            "ms_due_in_month": status["due_in_month"].astype(int),
            "ms_achieved_on_time": st.eq("achieved_on_time").astype(int),
            "ms_achieved_late": st.eq("achieved_late").astype(int),
            "ms_missed": status["missed"].astype(int),
            "ms_key_missed": (status["missed"] & status["key_milestone"]).astype(int),
            "ms_upcoming": status["upcoming"].astype(int),
            "ms_key_upcoming": (status["upcoming"] & status["key_milestone"]).astype(int),
            "_due": due.astype(int),
            "_on_time_due": (st.eq("achieved_on_time") & due).astype(int),
        },
        index=status.index,
    )
    frame[by] = key.to_numpy()
    frame["ms_max_slip_days"] = status["slip_days"].astype("float64")
    grouped = frame.groupby(by, sort=True)
    summed = [c for c in frame.columns if c.startswith(("ms_", "_")) and c != "ms_max_slip_days"]
    counts = grouped[summed].sum().astype("int64")
    out = counts.drop(columns=["_due", "_on_time_due"])
    denominator = counts["_due"].astype("float64").where(counts["_due"] > 0)
    out["ms_on_time_rate"] = counts["_on_time_due"] / denominator
    out["ms_max_slip_days"] = grouped["ms_max_slip_days"].max().astype("float64")
    out.index.name = by
    return out[list(SUMMARY_COLUMNS)]
