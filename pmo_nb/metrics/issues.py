"""The issue log as of a reporting month: open issues, ageing, time to close, counts by severity.

:func:`issue_log` gives each issue opened by the month end its standing; :func:`issue_summary` counts per project or
program; :func:`oldest_open` and :func:`ageing_buckets` feed the reports. docs/kpis.md defines each figure.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from pmo_nb.metrics.frames import as_dates, group_key, require_columns
from pmo_nb.periods import Period
from pmo_nb.schema import SEVERITIES

SUMMARY_COLUMNS = (
    "issues_open",
    "issues_open_low",
    "issues_open_medium",
    "issues_open_high",
    "issues_open_critical",
    "issues_raised",
    "issues_closed",
    "issues_mean_days_to_close",
    "issues_oldest_open_days",
)

BUCKETS = ("0-30", "31-60", "61-90", "91-180", ">180")
_BUCKET_EDGES = (30, 60, 90, 180)  # upper bound (inclusive) of each bucket but the last


def issue_log(issues: pd.DataFrame, period: str | Period) -> pd.DataFrame:
    """Every issue opened by the end of ``period``, with its standing at that date.

    Parameters
    ----------
    issues:
        The issues table.
    period:
        The reporting month, ``YYYY-MM``.

    Returns
    -------
    pandas.DataFrame
        One row per issue with ``opened_date <= end(M)``, in input order, index reset: the input
        columns plus ``open``, ``raised_in_month``, ``closed_in_month`` (bool), ``age_days`` (float;
        open issues only, NaN otherwise) and ``days_to_close`` (float; issues closed by end(M) only).
    """
    start, end = Period(period).start, Period(period).end
    require_columns(issues, "issues", ("issue_id", "project_id", "severity", "opened_date"))
    opened = as_dates(issues, "issues", "opened_date", "issue_id")
    keep = (opened <= end).to_numpy(dtype=bool)
    derived = ["open", "age_days", "raised_in_month", "closed_in_month", "days_to_close"]
    out = issues.loc[keep].drop(columns=derived, errors="ignore").reset_index(drop=True)
    opened = opened.loc[keep].reset_index(drop=True)
    closed = as_dates(out, "issues", "closed_date", "issue_id")
    is_open = (closed.isna() | (closed > end)).to_numpy(dtype=bool)
    day = pd.Timedelta(days=1)
    out["open"] = is_open
    out["age_days"] = (cast(Any, end - opened) / day).astype("float64").where(is_open)
    out["raised_in_month"] = (opened >= start).to_numpy(dtype=bool)
    out["closed_in_month"] = ((closed >= start) & (closed <= end)).to_numpy(dtype=bool)
    out["days_to_close"] = (cast(Any, closed - opened) / day).astype("float64").where(~is_open)
    return out


def issue_summary(
    log: pd.DataFrame, by: str = "project_id", *, projects: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Issue counts and ageing per ``by`` (a project, or a program with ``by="program_id"``).

    Parameters
    ----------
    log:
        Output of :func:`issue_log`.
    by:
        Column to group by; ``"program_id"`` works when the log has it or ``projects`` is given.
    projects:
        The projects table, used to map ``project_id`` to ``by`` when the log lacks it.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by`` (groups with issues, sorted): ``issues_open`` and ``issues_open_<severity>``
        (int), ``issues_raised, issues_closed`` (int, in the month), ``issues_mean_days_to_close``
        (float, over issues closed by end(M); NaN when none) and ``issues_oldest_open_days`` (float,
        NaN when none is open).
    """
    is_open = log["open"].astype(bool)
    severity = log["severity"].astype("string").str.lower()
    columns: dict[str, pd.Series] = {"issues_open": is_open.astype(int)}
    for level in SEVERITIES:
        columns[f"issues_open_{level}"] = (is_open & severity.eq(level).fillna(False)).astype(int)
    columns["issues_raised"] = log["raised_in_month"].astype(int)
    columns["issues_closed"] = log["closed_in_month"].astype(int)
    frame = pd.DataFrame(columns, index=log.index)
    frame[by] = group_key(log, by, projects).to_numpy()
    frame["_days_to_close"] = log["days_to_close"].astype("float64")
    frame["_age"] = log["age_days"].astype("float64")
    grouped = frame.groupby(by, sort=True)
    counts = [c for c in SUMMARY_COLUMNS if c not in ("issues_mean_days_to_close", "issues_oldest_open_days")]
    out = grouped[counts].sum().astype("int64")
    out["issues_mean_days_to_close"] = grouped["_days_to_close"].mean().astype("float64")
    out["issues_oldest_open_days"] = grouped["_age"].max().astype("float64")
    out.index.name = by
    return out[list(SUMMARY_COLUMNS)]


def oldest_open(log: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` oldest open issues: age descending, then ``issue_id`` (index reset)."""
    open_issues = log.loc[log["open"].astype(bool)]
    ordered = open_issues.sort_values(["age_days", "issue_id"], ascending=[False, True], kind="mergesort")
    return ordered.head(n).reset_index(drop=True)


def ageing_buckets(log: pd.DataFrame) -> pd.DataFrame:
    """Open issues counted by age bucket and severity, every combination present.

    Returns
    -------
    pandas.DataFrame
        20 rows (buckets ``0-30, 31-60, 61-90, 91-180, >180`` days x severities low..critical):
        ``bucket, severity, count``. Ages are whole days, so 30 is in "0-30" and 31 in "31-60".
    """
    open_issues = log.loc[log["open"].astype(bool)]
    idx = np.searchsorted(np.array(_BUCKET_EDGES, dtype="float64"),
                          open_issues["age_days"].to_numpy(dtype="float64"), side="left")
    frame = pd.DataFrame(
        {
            "bucket": np.array(BUCKETS, dtype=object)[idx],
            "severity": open_issues["severity"].astype("string").str.lower().to_numpy(dtype=object),
        }
    )
    grid = pd.MultiIndex.from_product([list(BUCKETS), list(SEVERITIES)], names=["bucket", "severity"])
    counts = frame.value_counts().reindex(grid, fill_value=0)
    out = counts.rename("count").reset_index()
    out["count"] = out["count"].astype("int64")
    return out
