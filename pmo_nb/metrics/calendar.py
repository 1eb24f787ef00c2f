"""The reporting month: the default one (the latest month in which something happened) and the check of a given one.

The default is the latest month, before today's month when there is one, in which any table records a dated
event: financial rows with earned value or actual cost booked, achieved milestones, risks and issues raised or
closed, a project's status date or last update. A month that only plans (PV booked ahead, baseline dates) is
never the default. Without financials a report still has a month; with financials the month stays within them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import PeriodError
from pmo_nb.periods import Period

__all__ = ["event_months", "default_period", "check_period"]

_EVENT_DATES = {
    "projects": ("status_date", "last_updated"),
    "milestones": ("actual_date",),
    "risks": ("raised_date", "closed_date"),
    "issues": ("opened_date", "closed_date"),
}


def event_months(portfolio: Portfolio) -> list[Period]:
    """Every month (sorted, distinct) in which some table records a dated event (see the module docstring)."""
    months: set[str] = set()
    fin = portfolio.financials
    if len(fin):
        amounts = [fin[c].fillna(0).ne(0) for c in ("earned_value", "actual_cost") if c in fin]
        if amounts:
            booked = pd.concat(amounts, axis=1).any(axis=1)
            months.update(fin.loc[booked, "period"].dropna().astype(str))
    for table, columns in _EVENT_DATES.items():
        frame = portfolio.table(table)
        for column in (c for c in columns if c in frame):
            dates = pd.to_datetime(frame[column], errors="coerce").dropna()
            months.update(dates.dt.strftime("%Y-%m"))
    return sorted(Period(m) for m in months)


def default_period(portfolio: Portfolio, today: dt.date | None = None) -> Period:
    """The default reporting month of ``portfolio`` (see the module docstring).

    Raises
    ------
    PeriodError
        Nothing in the data is dated.
    """
    current = Period.of(today or dt.date.today())
    months = event_months(portfolio)
    periods = portfolio.periods
    if periods:
        months = [m for m in months if periods[0] <= m <= periods[-1]]
    if not months:
        if periods:
            return Period(portfolio.latest_complete_period(today))
        raise PeriodError(f"{portfolio.source or 'the data'} has no dated event (no financials, milestone, risk, "
                          "issue or status date), so there is no reporting month: pass --period YYYY-MM")
    complete = [m for m in months if m < current]
    return complete[-1] if complete else months[0]  # this month, or (all dated ahead) the first


def check_period(portfolio: Portfolio, period: str) -> Period:
    """``period`` as a Period when the data covers it; else ``PeriodError`` naming what the data covers.

    With financials the month must lie within them; without, within the months of the dated events.
    """
    month = Period.parse(period)
    if portfolio.periods:
        return Period(portfolio.check_period(month))
    months = event_months(portfolio)
    if not months or not months[0] <= month <= months[-1]:
        span = f"{months[0]} to {months[-1]}" if months else "no months"
        raise PeriodError(f"period {month} is outside the data, which covers {span} (it has no financials)")
    return month
