"""Earned value and earned schedule as of a reporting month (or a project's earlier status date), vectorised.

Financials are pivoted once into an entities x months matrix (:func:`project_curves`) and every figure comes from
sums, cumulative sums and comparisons over it (:func:`earned_value`); programs and the portfolio re-sum the curves
(:meth:`Curves.group`) before dividing. Zero denominators give NaN (:func:`safe_div`). docs/kpis.md states each
formula and convention (first month, AT, PD, earned schedule after Lipke and PMI, incomplete PV baselines, status
dates, BAC missing, no actual cost).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_nb.exceptions import DataValidationError, Finding, PeriodError
from pmo_nb.periods import Period

EVM_COLUMNS: tuple[str, ...] = (
    "bac", "pv", "ev", "ac", "cv", "sv", "cv_pct", "sv_pct", "cpi", "spi", "eac", "eac_atypical",
    "eac_composite", "etc", "vac", "tcpi", "tcpi_eac", "pct_complete", "pct_spent",
    "es", "at", "sv_t", "spi_t", "pd", "ieac_t",
)
"""Numeric columns of ``earned_value``'s output, in order (plus ``es_forecast_finish``, a date)."""

MAX_FORECAST_MONTHS = 1200
NO_FINANCIALS = "no financials yet"
BAC_MISSING = "BAC missing (budget 0 or empty with amounts booked)"
NO_ACTUAL_COST = "no actual cost recorded"


def safe_div(num: object, den: object) -> object:
    """``num / den`` with NaN wherever the denominator is 0 or missing (never inf, never an exception).

    Works on scalars, numpy arrays and pandas Series (the result keeps the Series' index).

    Examples
    --------
    >>> safe_div(1.0, 0.0)
    nan
    >>> safe_div(3.0, 2.0)
    1.5
    """
    index = None
    for obj in (num, den):
        if isinstance(obj, pd.Series):
            index = obj.index
    n = np.asarray(num, dtype="float64")
    d = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where((d == 0) | np.isnan(d), np.nan, n / np.where(d == 0, 1.0, d))
    out = np.where(np.isfinite(out) | np.isnan(out), out, np.nan)
    if index is not None:
        return pd.Series(out, index=index, dtype="float64")
    if out.ndim == 0:
        return float(out)
    return out


def month_number(values: object) -> np.ndarray:
    """Months since year 0 (``year * 12 + month - 1``) of periods (``YYYY-MM``) or dates; NaN if missing.

    Text goes through :class:`~pmo_nb.periods.Period` (once per distinct value); text that is not a month is NaN.
    """
    s = pd.Series(values)
    if s.empty:
        return np.array([], dtype="float64")
    if pd.api.types.is_datetime64_any_dtype(s):
        return (s.dt.year * 12 + s.dt.month - 1).astype("float64").to_numpy()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    numbers = np.array([_period_number(u) for u in uniques] + [np.nan], dtype="float64")
    return numbers[codes]


def _period_number(value: object) -> float:
    if isinstance(value, dt.date):
        return float(value.year * 12 + value.month - 1)
    try:
        period = Period(value)
    except PeriodError:
        return np.nan
    return float(period.year * 12 + period.month - 1)


def month_start(number: np.ndarray) -> np.ndarray:
    """First day (``datetime64[D]``) of each month number; NaT where the number is NaN."""
    number = np.asarray(number, dtype="float64")
    ok = np.isfinite(number)
    months = np.where(ok, number, 0).astype("int64") - (1970 * 12)
    out = months.astype("datetime64[M]").astype("datetime64[D]")
    return np.where(ok, out, np.datetime64("NaT"))


@dataclass(frozen=True)
class Curves:
    """Monthly amounts of entities (rows) over a month axis (columns), ready for ``earned_value``.

    ``pv`` covers the whole PV baseline (months after the reporting month too); ``ev`` and ``ac``
    stop at the reporting month (later months are 0). ``first_month``, ``finish_month`` (the later
    of the baseline finish month and the last month with PV) and ``bac`` are per entity.
    """

    ids: pd.Index
    start: int  # month number of column 0
    period: int  # month number of the reporting month
    pv: np.ndarray
    ev: np.ndarray
    ac: np.ndarray
    first_month: np.ndarray
    finish_month: np.ndarray
    plan_end: np.ndarray  # last month with PV booked (NaN: none)
    bac: np.ndarray
    has_financials: np.ndarray
    months_of_data: np.ndarray
    pv_to_date: np.ndarray  # cumulative PV at the as-of date (pro rata within its month)
    clock_end: np.ndarray  # the as-of date in months: month number + fraction of that month elapsed
    bac_missing: np.ndarray  # budget 0 or empty while amounts are booked
    ac_known: np.ndarray  # actual cost is recorded (False: the source tracks no actual cost)

    def select(self, mask: np.ndarray) -> Curves:
        """The entities where ``mask`` is true (e.g. the open projects), same month axis."""
        mask = np.asarray(mask, dtype=bool)
        return Curves(
            ids=self.ids[mask], start=self.start, period=self.period, pv=self.pv[mask], ev=self.ev[mask],
            ac=self.ac[mask], first_month=self.first_month[mask], finish_month=self.finish_month[mask],
            plan_end=self.plan_end[mask], bac=self.bac[mask], has_financials=self.has_financials[mask],
            months_of_data=self.months_of_data[mask], pv_to_date=self.pv_to_date[mask],
            clock_end=self.clock_end[mask], bac_missing=self.bac_missing[mask], ac_known=self.ac_known[mask],
        )

    def group(self, keys: pd.Series) -> Curves:
        """Re-sum the curves by ``keys`` (aligned with ``ids``): programs, or one portfolio group.

        PV, EV, AC and BAC are summed; the first month is the earliest and the finish month (and the
        as-of date) the latest among the members; a group has financials when any member has, its BAC is
        missing when any member's is, and its actual cost is known when every member with financials has it.
        """
        keys = pd.Series(np.asarray(keys), index=self.ids)
        codes, uniques = pd.factorize(keys, sort=True)
        n = len(uniques)

        def summed(a: np.ndarray) -> np.ndarray:
            out = np.zeros((n,) + a.shape[1:], dtype="float64")
            np.add.at(out, codes, a)
            return out

        def reduced(a: np.ndarray, func: np.ufunc, empty: float) -> np.ndarray:
            out = np.full(n, empty, dtype="float64")
            vals = np.where(np.isnan(a), empty, a)
            func.at(out, codes, vals)
            return np.where(np.isinf(out), np.nan, out)

        return Curves(
            ids=pd.Index(uniques, name=keys.name),
            start=self.start,
            period=self.period,
            pv=summed(self.pv),
            ev=summed(self.ev),
            ac=summed(self.ac),
            first_month=reduced(self.first_month, np.minimum, np.inf),
            finish_month=reduced(self.finish_month, np.maximum, -np.inf),
            plan_end=reduced(self.plan_end, np.maximum, -np.inf),
            bac=summed(np.nan_to_num(self.bac)),
            has_financials=summed(self.has_financials.astype("float64")) > 0,
            months_of_data=reduced(self.months_of_data, np.maximum, -np.inf),
            pv_to_date=summed(self.pv_to_date),
            clock_end=reduced(self.clock_end, np.maximum, -np.inf),
            bac_missing=summed(self.bac_missing.astype("float64")) > 0,
            ac_known=summed((self.has_financials & ~self.ac_known).astype("float64")) == 0,
        )


def project_curves(projects: pd.DataFrame, financials: pd.DataFrame, period: str | Period,
                   as_of: pd.Series | None = None) -> Curves:
    """Pivot financials into per-project monthly curves as of ``period`` (``YYYY-MM``).

    Parameters
    ----------
    projects:
        The projects table (``project_id, budget, baseline_start, baseline_finish``).
    financials:
        The financials table (monthly, non-cumulative amounts). Rows of unknown projects are ignored.
    period:
        The reporting month M.
    as_of:
        Per project (aligned with ``projects``), the date its figures are judged at: the earlier of its
        status date and end(M) (default end(M)). PV is taken pro rata to that day within its month.

    Returns
    -------
    Curves
        One row per project, in the order of ``projects``.

    Raises
    ------
    DataValidationError
        Amounts whose sums overflow (beyond 1.8e308): a finding per offending row.
    """
    ids = pd.Index(projects["project_id"].astype("object"), name="project_id")
    month = Period(period)
    m = month.year * 12 + month.month - 1
    fin = financials[financials["project_id"].isin(ids)]
    fin_month = month_number(fin["period"])
    bad = np.flatnonzero(np.isnan(fin_month))
    if len(bad):
        findings = [Finding("financials", "financials", None, "period", fin["period"].iloc[i],
                            "not a YYYY-MM month") for i in bad[:20]]
        raise DataValidationError(findings, source="financials")
    row = ids.get_indexer(fin["project_id"].astype("object"))
    start = int(np.nanmin(fin_month)) if len(fin_month) else m
    start = min(start, m)
    stop = int(np.nanmax(fin_month)) if len(fin_month) else m
    stop = max(stop, m)
    width = stop - start + 1
    col = (fin_month - start).astype("int64")
    shape = (len(ids), width)

    def pivot(values: pd.Series, mask: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(shape, dtype="float64")
        v = np.nan_to_num(values.to_numpy(dtype="float64"))
        if mask is not None:
            v = np.where(mask, v, 0.0)
        np.add.at(out, (row, col), v)
        return out

    upto = fin_month <= m
    _check_overflow(fin, projects)
    actual = fin["actual_cost"] if "actual_cost" in fin else pd.Series(np.nan, index=fin.index, dtype="float64")
    pv = pivot(fin["planned_value"])
    ev = pivot(fin["earned_value"], upto)
    ac = pivot(actual, upto)
    ac_rows = np.zeros(len(ids), dtype="float64")
    np.add.at(ac_rows, row[upto], actual.notna().to_numpy()[upto].astype("float64"))

    rows_upto = np.zeros(shape, dtype=bool)
    rows_upto[row[upto], col[upto]] = True
    months_of_data = rows_upto.sum(axis=1).astype("float64")
    has_fin = months_of_data > 0

    first_fin = np.full(len(ids), np.inf)
    np.minimum.at(first_fin, row, fin_month)
    base_start = month_number(projects["baseline_start"])
    first = np.fmin(np.where(np.isinf(first_fin), np.nan, first_fin), base_start)

    last_pv = np.full(len(ids), -np.inf)
    pv_booked = fin["planned_value"].fillna(0).to_numpy(dtype="float64") != 0
    np.maximum.at(last_pv, row[pv_booked], fin_month[pv_booked])
    last_pv = np.where(np.isinf(last_pv), np.nan, last_pv)
    finish = np.fmax(last_pv, month_number(projects["baseline_finish"]))

    # The as-of date: month number and the fraction of that month elapsed (1 at the month's last day).
    end = Period(period).end
    judged = pd.to_datetime(pd.Series(as_of).to_numpy()) if as_of is not None else pd.DatetimeIndex([end] * len(ids))
    judged = judged.where(judged.notna() & (judged <= end), end)
    as_of_month = (judged.year * 12 + judged.month - 1).to_numpy(dtype="float64")
    fraction = (judged.day / judged.days_in_month).to_numpy(dtype="float64")
    months = start + np.arange(width)
    weight = np.where(months[None, :] < as_of_month[:, None], 1.0,
                      np.where(months[None, :] == as_of_month[:, None], fraction[:, None], 0.0))
    pv_to_date = (pv * weight).sum(axis=1) if width else np.zeros(len(ids))

    bac = projects["budget"].to_numpy(dtype="float64")
    booked = (np.abs(pv).sum(axis=1) + np.abs(ev).sum(axis=1) + np.abs(ac).sum(axis=1)) > 0
    return Curves(
        ids=ids, start=start, period=m, pv=pv, ev=ev, ac=ac, first_month=first, finish_month=finish,
        plan_end=last_pv, bac=bac, has_financials=has_fin, months_of_data=months_of_data,
        pv_to_date=pv_to_date, clock_end=as_of_month + fraction,
        bac_missing=booked & ~(np.nan_to_num(bac) > 0), ac_known=ac_rows > 0,
    )


def _check_overflow(fin: pd.DataFrame, projects: pd.DataFrame) -> None:
    """Raise ``DataValidationError`` naming the rows whose amounts make a sum overflow (never inf figures)."""
    columns = [c for c in ("planned_value", "earned_value", "actual_cost") if c in fin]
    limit = np.finfo("float64").max
    findings = []
    with np.errstate(over="ignore", invalid="ignore"):
        for column in columns:
            values = np.abs(fin[column].to_numpy(dtype="float64"))
            total = np.nansum(values)
            if np.isfinite(total) and total < limit:
                continue
            share = values / limit  # the rows that carry the sum past the largest number
            for i in np.flatnonzero(np.nan_to_num(share, nan=0.0, posinf=1.0) > 1e-3)[:20]:
                findings.append(Finding(
                    "financials", "financials", None, column, fin[column].iloc[i],
                    f"project {fin['project_id'].iloc[i]!r}, period {fin['period'].iloc[i]}: the amount is so "
                    f"large that the {column} sums overflow (beyond 1.8e308): check the unit or the value"))
        budgets = np.abs(projects["budget"].to_numpy(dtype="float64"))
        if not np.isfinite(np.nansum(budgets)):
            for i in np.flatnonzero(np.nan_to_num(budgets / limit, nan=0.0, posinf=1.0) > 1e-3)[:20]:
                findings.append(Finding(
                    "projects", "projects", None, "budget", projects["budget"].iloc[i],
                    f"project {projects['project_id'].iloc[i]!r}: the budget is so large that the total budget "
                    f"overflows (beyond 1.8e308): check the unit or the value"))
    if findings:
        raise DataValidationError(findings, source="financials" if findings[0].table == "financials" else "projects")


def earned_schedule(
    cum_pv: np.ndarray, ev: np.ndarray, first_month: np.ndarray, start: int, planned_duration: np.ndarray,
    bac: np.ndarray | None = None, plan_end: np.ndarray | None = None,
) -> np.ndarray:
    """Earned schedule in months from each entity's first month (see the module docstring).

    Parameters
    ----------
    cum_pv:
        Cumulative PV, entities x months; column 0 is month number ``start``; the whole baseline.
    ev:
        Cumulative EV at the reporting month, one per entity.
    first_month:
        Month number of each entity's first month (may precede ``start``: those months have PV 0).
    start:
        Month number of column 0.
    planned_duration:
        PD in months, returned as ES when EV reaches the total PV of a complete baseline.
    bac, plan_end:
        Budget and last month with PV of each entity. When given, a PV baseline that stops short
        of BAC (financials that carry PV only up to the reporting month) is taken as incomplete:
        EV beyond its total PV is placed on the straight line from the last planned month's
        cumulative PV to BAC at the end of PD, instead of jumping to PD.
    """
    n, width = cum_pv.shape
    curve = np.maximum.accumulate(np.maximum(np.nan_to_num(cum_pv), 0.0), axis=1)
    curve = np.concatenate([curve, curve[:, -1:] if width else np.zeros((n, 1))], axis=1)
    first = np.asarray(first_month, dtype="float64")
    ev = np.asarray(ev, dtype="float64")
    first_i = np.where(np.isnan(first), start, first).astype("int64")
    months = start + np.arange(width)
    in_life = months[None, :] >= first_i[:, None]
    counted = ((curve[:, :width] <= ev[:, None]) & in_life).sum(axis=1)
    lead = np.where(ev >= 0, np.clip(start - first_i, 0, None), 0)
    c = lead + counted
    col_c = first_i + c - 1 - start  # column of month C, the last whole month earned (-1: none)
    rows = np.arange(n)
    pv_c = np.where(col_c >= 0, curve[rows, np.clip(col_c, 0, width)], 0.0)
    pv_next = curve[rows, np.clip(col_c + 1, 0, width)]
    es = c + safe_div(ev - pv_c, pv_next - pv_c)
    total = curve[:, -1]
    beyond = col_c + 1 >= width  # EV reaches the total PV
    es = np.where(beyond, planned_duration, es)
    if bac is not None and plan_end is not None:
        bac = np.asarray(bac, dtype="float64")
        known = np.asarray(plan_end, dtype="float64") - first + 1  # months of PV baseline known
        pdur = np.asarray(planned_duration, dtype="float64")
        incomplete = (total < bac - 0.005) & (known < pdur)
        linear = known + safe_div((ev - total) * (pdur - known), bac - total)
        es = np.where(beyond & incomplete, np.minimum(linear, pdur), es)
    es = np.where((total <= 0) | np.isnan(ev) | np.isnan(first), np.nan, es)
    return es.astype("float64")


def forecast_finish(first_month: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The day the ``months``-th month ends, counting ``first_month`` as month 1 (``datetime64[ns]``).

    A fractional month is that fraction of the month's days, rounded to the nearest day;
    ``months`` NaN, not positive or beyond 100 years gives NaT.
    """
    months = np.asarray(months, dtype="float64")
    first = np.asarray(first_month, dtype="float64")
    ok = np.isfinite(months) & np.isfinite(first) & (months > 0) & (months <= MAX_FORECAST_MONTHS)
    whole = np.floor(np.where(ok, months, 0))
    frac = np.where(ok, months, 0) - whole
    base = np.where(ok, first, 0) + whole
    begin = month_start(base)
    days = (month_start(base + 1) - begin).astype("int64")
    day = begin + np.rint(frac * np.where(ok, days, 0)).astype("int64") - 1
    out = np.where(ok, day, np.datetime64("NaT"))
    return out.astype("datetime64[ns]")


def completion_month(curves: Curves) -> np.ndarray:
    """The month AT counts to: the reporting month, or the earlier month in which EV reached BAC.

    Once a project has earned its whole budget it is complete; its actual time stops at the month
    of completion, so a finished project's SPI(t) does not decay month after month.
    """
    cum_ev = np.cumsum(curves.ev, axis=1)
    bac = np.nan_to_num(np.asarray(curves.bac, dtype="float64"))
    done = (cum_ev >= (bac - 1e-9 * np.abs(bac) - 1e-9)[:, None]) & (bac > 0)[:, None]
    first_done = np.where(done.any(axis=1), done.argmax(axis=1) + curves.start, curves.period)
    return np.minimum(first_done, curves.period).astype("float64")


def earned_value(curves: Curves) -> pd.DataFrame:
    """Every earned value and earned schedule figure of each entity of ``curves``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the entity id, columns ``has_financials, months_of_data, first_month`` (``YYYY-MM``),
        the ``EVM_COLUMNS`` and ``es_forecast_finish``. Figures are NaN where a denominator is 0 and,
        except ``bac`` and ``pd``, for entities with no financials up to the reporting month.
    """
    cum_pv_full = np.cumsum(curves.pv, axis=1)
    pv = curves.pv_to_date
    ev = curves.ev.sum(axis=1)
    known_ac = np.asarray(curves.ac_known, dtype=bool)
    ac = np.where(known_ac, curves.ac.sum(axis=1), np.nan)
    bac_missing = np.asarray(curves.bac_missing, dtype=bool)
    bac = np.where(bac_missing, np.nan, curves.bac)
    done = completion_month(curves)
    at = np.minimum(done + 1, curves.clock_end) - curves.first_month
    pdur = curves.finish_month - curves.first_month + 1

    cpi = np.asarray(safe_div(ev, ac), dtype="float64")
    spi = np.asarray(safe_div(ev, pv), dtype="float64")
    eac = safe_div(bac, cpi)
    eac_atypical = ac + (bac - ev)
    eac_composite = ac + safe_div(bac - ev, cpi * spi)
    es = earned_schedule(cum_pv_full, ev, curves.first_month, curves.start, pdur, bac, curves.plan_end)
    spi_t = safe_div(es, at)
    figures = {
        "bac": bac,
        "pv": pv,
        "ev": ev,
        "ac": ac,
        "cv": ev - ac,
        "sv": ev - pv,
        "cv_pct": safe_div(ev - ac, ev),
        "sv_pct": safe_div(ev - pv, pv),
        "cpi": cpi,
        "spi": spi,
        "eac": eac,
        "eac_atypical": eac_atypical,
        "eac_composite": eac_composite,
        "etc": eac - ac,
        "vac": bac - eac,
        "tcpi": safe_div(bac - ev, bac - ac),
        "tcpi_eac": safe_div(bac - ev, eac - ac),
        "pct_complete": safe_div(ev, bac),
        "pct_spent": safe_div(ac, bac),
        "es": es,
        "at": at,
        "sv_t": es - at,
        "spi_t": spi_t,
        "pd": pdur,
        "ieac_t": safe_div(pdur, spi_t),
    }
    has = np.asarray(curves.has_financials, dtype=bool)
    out = pd.DataFrame(index=curves.ids)
    out["has_financials"] = has
    out["bac_missing"] = bac_missing
    out["ac_known"] = known_ac | ~has
    out["evm_na_reason"] = pd.Series(np.select(
        [~has, bac_missing & ~known_ac, bac_missing, ~known_ac],
        [NO_FINANCIALS, f"{BAC_MISSING}; {NO_ACTUAL_COST}", BAC_MISSING, NO_ACTUAL_COST], default=""),
        index=curves.ids, dtype="object").replace("", None)
    out["months_of_data"] = np.where(has, curves.months_of_data, 0).astype("int64")
    first = month_start(curves.first_month)
    out["first_month"] = pd.Series(pd.to_datetime(first).strftime("%Y-%m"), index=curves.ids).where(
        ~np.isnan(curves.first_month), None).astype("object")
    for name in EVM_COLUMNS:
        values = np.asarray(figures[name], dtype="float64")
        if name == "bac":
            values = np.where(bac_missing, curves.bac, values)  # the budget as given; figures from it are NA
        elif name != "pd":
            values = np.where(has, values, np.nan)
        out[name] = values
    out["es_forecast_finish"] = pd.to_datetime(forecast_finish(curves.first_month, out["ieac_t"].to_numpy()))
    return out
