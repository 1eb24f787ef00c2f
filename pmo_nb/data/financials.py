"""Monthly or cumulative financials: running totals differenced into monthly amounts (``[ingest] financials =
"cumulative"``), and the warning when amounts given as monthly look like running totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.exceptions import Finding

__all__ = ["AMOUNTS", "to_monthly", "looks_cumulative"]

AMOUNTS = ("planned_value", "earned_value", "actual_cost")
MIN_MONTHS = 3  # a project needs this many months before its amounts can look like running totals
SHARE = 0.5  # ... and at least this share of those projects must look so
FAR_BEYOND = 2.0  # amounts summing to more than this many times the budget


def to_monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """Running totals per project as the amounts of each month.

    In period order, the first month keeps its total and each later month gets the difference from the last
    known total before it; a missing amount stays missing. The index (the user's row numbers) is kept.
    """
    if frame.empty:
        return frame
    out = frame.copy()
    ordered = out.sort_values(["project_id", "period"], kind="mergesort")
    groups = ordered["project_id"]
    for col in AMOUNTS:
        if col not in ordered:
            continue
        total = ordered[col].astype("float64")
        before = total.groupby(groups).ffill().groupby(groups).shift(1).fillna(0.0)
        out.loc[ordered.index, col] = (total - before).to_numpy()
    return out


def looks_cumulative(financials: pd.DataFrame, budgets: pd.Series, source: str) -> Finding | None:
    """A warning when the monthly amounts look like running totals.

    A project looks so when it has at least ``MIN_MONTHS`` months, none of its amounts ever decreases from one
    month to the next, and its planned value or actual cost sums to more than ``FAR_BEYOND`` times its budget;
    the warning is given when at least ``SHARE`` of the projects with enough months look so.
    """
    frame = financials.dropna(subset=["project_id", "period"])
    if frame.empty:
        return None
    frame = frame.sort_values(["project_id", "period"], kind="mergesort")
    looked, flagged = 0, []
    for pid, rows in frame.groupby("project_id", sort=True):
        if len(rows) < MIN_MONTHS:
            continue
        looked += 1
        rising = all((np.diff(rows[c].dropna().to_numpy(dtype="float64")) >= 0).all()
                     for c in AMOUNTS if c in rows)
        budget = budgets.get(pid)
        if not rising or budget is None or not np.isfinite(budget) or budget <= 0:
            continue
        ratio = max(rows[c].sum() for c in ("planned_value", "actual_cost") if c in rows) / budget
        if ratio > FAR_BEYOND:
            flagged.append((str(pid), ratio))
    if not looked or len(flagged) < max(1, SHARE * looked):
        return None
    pid, ratio = flagged[0]
    return Finding(
        "financials", source, None, None, None,
        f"the amounts look cumulative (running totals): for {len(flagged)} of {looked} projects they never "
        f"decrease and sum to more than {FAR_BEYOND:g} times the budget (e.g. {pid}: {ratio:.1f} times); if the "
        'file holds totals to date, set [ingest] financials = "cumulative" in pmo.toml',
    )
