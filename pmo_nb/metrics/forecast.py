"""Risk-adjusted forecasts: a seeded Monte Carlo of each project's cost and finish date, summed per program and the
portfolio draw by draw, reported as P50 and P80 EAC and finish dates and the chances of finishing within budget and
by the baseline finish.

Each draw prices the remaining work (``BAC - EV``) at a CPI and runs the remaining schedule (``PD - ES``) at an SPI(t)
drawn from lognormals centred on the project's cumulative indices, with the spread of its own monthly (periodic)
indices over the last ``[forecast] history_months``; each open risk of an unfinished project adds its cost impact
(and its schedule impact, where the register gives one) with its probability. docs/kpis.md ("Risk-adjusted
forecasts") states the method, its assumptions and a worked example.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from pmo_nb.config import Config
from pmo_nb.metrics import evm
from pmo_nb.metrics.evm import Curves, month_number, month_start

__all__ = ["FORECAST_COLUMNS", "DAYS_PER_MONTH", "SCHEDULE_IMPACT", "Inputs", "Forecast", "index_spread",
           "inputs", "sample", "simulate", "clock_of", "date_of"]

FORECAST_COLUMNS: tuple[str, ...] = ("eac_p50", "eac_p80", "finish_p50", "finish_p80", "p_within_budget",
                                     "p_by_baseline")
"""The risk-adjusted columns ``Kpis`` carries at every level (plus ``forecast_na_reason``)."""
DAYS_PER_MONTH = 365.25 / 12
"""A schedule impact in days counts as this fraction of a month on the month clock."""
SCHEDULE_IMPACT = "schedule_impact_days"
"""The optional risk column giving the delay (days) a risk causes if it occurs."""
MIN_MONTHLY_SPI_T = 0.05
"""A month that earned (almost) no schedule counts as this SPI(t) in the spread (the log of 0 is undefined)."""
ELEMENTS_PER_CHUNK = 1_000_000
"""Draws held in memory at once (projects per chunk = this / draws): memory stays flat for any portfolio."""

NO_EV = "no earned value yet (no CPI)"
NO_SCHEDULE = "no PV baseline to earn schedule against (no SPI(t))"
MEMBERS_NA = "a project has no budget (BAC)"


def index_spread(curves: Curves, months: int) -> tuple[np.ndarray, np.ndarray]:
    """The standard deviation of the log of each entity's monthly CPI and monthly SPI(t) over the last ``months``.

    The monthly CPI of a month is its EV over its AC (months with both positive); the monthly SPI(t) is the
    earned schedule gained in the month (``ES(m) - ES(m-1)``, months of the entity's life before it completed,
    floored at :data:`MIN_MONTHLY_SPI_T`). Fewer than two such months give NaN.
    """
    n = len(curves.ids)
    last = curves.period - curves.start  # column of the reporting month
    lo = max(0, last - months + 1)
    ev, ac = curves.ev[:, lo:last + 1], curves.ac[:, lo:last + 1]
    ok = (ev > 0) & (ac > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cpi = np.where(ok, np.log(np.where(ok, ev, 1.0) / np.where(ok, ac, 1.0)), np.nan)
    cpi_sd = _sd(log_cpi)

    cum_pv = np.cumsum(curves.pv, axis=1)
    cum_ev = np.cumsum(curves.ev, axis=1)
    pdur = curves.finish_month - curves.first_month + 1
    done = evm.completion_month(curves)
    es = np.full((n, last + 2 - lo), np.nan)
    for j, col in enumerate(range(lo - 1, last + 1)):
        earned = cum_ev[:, col] if col >= 0 else np.zeros(n)
        es[:, j] = evm.earned_schedule(cum_pv, earned, curves.first_month, curves.start, pdur, curves.bac,
                                       curves.plan_end)
    gained = np.diff(es, axis=1)
    month = curves.start + np.arange(lo, last + 1)
    alive = (month[None, :] >= curves.first_month[:, None]) & (month[None, :] <= done[:, None])
    gained = np.where(alive & np.isfinite(gained), np.maximum(gained, MIN_MONTHLY_SPI_T), np.nan)
    spi_sd = _sd(np.log(gained))
    return cpi_sd, spi_sd


def _sd(logs: np.ndarray) -> np.ndarray:
    count = np.isfinite(logs).sum(axis=1)
    safe = np.where(count[:, None] > 0, logs, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(safe, axis=1) / np.where(count > 0, count, 1)
        sq = np.nansum(np.where(np.isfinite(logs), (logs - mean[:, None]) ** 2, 0.0), axis=1)
        return np.where(count >= 2, np.sqrt(sq / np.maximum(count - 1, 1)), np.nan)


@dataclass(frozen=True)
class Inputs:
    """Per-project arrays the simulation reads, aligned with ``ids`` (build them with :func:`inputs`).

    Clocks are months on the month-number axis (``year * 12 + month - 1``, the fraction of a month elapsed
    added): ``now`` is where the project's actual time stops (its as-of date, or the end of its completion
    month), ``baseline`` its baseline finish, ``fixed_finish`` the finish of a finished project.
    """

    ids: pd.Index
    ac: np.ndarray
    ev: np.ndarray
    bac: np.ndarray
    cpi: np.ndarray
    cpi_sd: np.ndarray
    es: np.ndarray
    pd: np.ndarray
    spi_t: np.ndarray
    spi_sd: np.ndarray
    now: np.ndarray
    baseline: np.ndarray
    first_month: np.ndarray
    finished: np.ndarray
    fixed_finish: np.ndarray
    cost_reason: np.ndarray  # object: why the cost forecast is NA ("" when it is not)
    time_reason: np.ndarray


def clock_of(dates: object) -> np.ndarray:
    """Dates on the month clock: the month number plus the fraction of the month elapsed at the day's end
    (the last day of month ``m`` is ``m + 1``); NaN for missing."""
    d = pd.to_datetime(pd.Series(dates))
    return (month_number(d) + (d.dt.day / d.dt.days_in_month).to_numpy(dtype="float64")).astype("float64")


def date_of(clock: np.ndarray) -> np.ndarray:
    """The day a month-clock value falls on (``datetime64[ns]``; the inverse of :func:`clock_of`), NaT for NaN."""
    t = np.asarray(clock, dtype="float64")
    ok = np.isfinite(t) & (np.abs(t) < 1e6)
    whole = np.floor(np.where(ok, t, 0.0))
    begin = month_start(whole)
    days = (month_start(whole + 1) - begin).astype("int64")
    day = begin + np.rint((np.where(ok, t, 0.0) - whole) * days).astype("int64") - 1
    return np.where(ok, day, np.datetime64("NaT")).astype("datetime64[ns]")


def inputs(projects: pd.DataFrame, curves: Curves, config: Config) -> Inputs:
    """The simulation's inputs from the project rows of ``Kpis`` (EVM columns, ``closed``, dates) and their curves.

    A project with fewer than two months of history borrows the median spread of the projects that have them
    (0 when none has).
    """
    cpi_sd, spi_sd = index_spread(curves, config.forecast.history_months)
    cpi_sd = np.where(np.isnan(cpi_sd), _median(cpi_sd), cpi_sd)
    spi_sd = np.where(np.isnan(spi_sd), _median(spi_sd), spi_sd)
    f = lambda c: projects[c].to_numpy(dtype="float64")  # noqa: E731
    ev, bac, ac = f("ev"), f("bac"), f("ac")
    first = month_number(projects["first_month"])
    closed = projects["closed"].to_numpy(dtype=bool)
    finished = closed | (np.nan_to_num(ev) >= bac - 1e-9 * np.abs(bac))
    reported = pd.to_datetime(projects["forecast_finish"]).fillna(pd.to_datetime(projects["baseline_finish"]))
    now = first + f("at")
    fixed = np.where(closed & ~(np.nan_to_num(ev) >= bac), clock_of(reported), now)

    given = projects["evm_na_reason"] if "evm_na_reason" in projects else pd.Series(None, index=projects.index)
    base = given.astype("object").where(given.notna(), "").to_numpy(dtype="object")
    cost_reason = np.where(base != "", base, np.where(~finished & ~(f("cpi") > 0), NO_EV, ""))
    time_ok = finished | (f("spi_t") > 0) & np.isfinite(f("pd")) & np.isfinite(first)
    has = projects["has_financials"].astype("object").eq(True).to_numpy(dtype=bool)
    # the schedule needs only PV and EV: a source without actual cost still has a finish forecast
    time_reason = np.where(~has, base, np.where(~time_ok, NO_SCHEDULE, ""))
    return Inputs(
        ids=pd.Index(projects["project_id"]), ac=ac, ev=ev, bac=bac, cpi=f("cpi"), cpi_sd=cpi_sd, es=f("es"),
        pd=f("pd"), spi_t=f("spi_t"), spi_sd=spi_sd, now=now, baseline=clock_of(projects["baseline_finish"]),
        first_month=first, finished=finished, fixed_finish=fixed, cost_reason=cost_reason.astype("object"),
        time_reason=time_reason.astype("object"),
    )


def _median(values: np.ndarray) -> float:
    known = values[np.isfinite(values)]
    return float(np.median(known)) if len(known) else 0.0


@dataclass(frozen=True)
class Forecast:
    """The risk-adjusted figures: ``projects`` indexed by project id, ``groups`` by group name (e.g.
    ``"program_id"``, ``"portfolio"``) each indexed by its keys; columns :data:`FORECAST_COLUMNS` (finish dates as
    ``datetime64``, probabilities as fractions) and ``forecast_na_reason``."""

    projects: pd.DataFrame
    groups: dict[str, pd.DataFrame]


class _Summary:
    """Quantiles and probabilities of draws, filled chunk by chunk."""

    def __init__(self, n: int) -> None:
        self.values = {c: np.full(n, np.nan) for c in FORECAST_COLUMNS}

    def cost(self, rows: slice | np.ndarray, draws: np.ndarray, bac: np.ndarray) -> None:
        q = np.quantile(draws, [0.5, 0.8], axis=1)
        self.values["eac_p50"][rows], self.values["eac_p80"][rows] = q[0], q[1]
        self.values["p_within_budget"][rows] = np.where(np.isfinite(bac), (draws <= bac[:, None]).mean(axis=1),
                                                        np.nan)

    def time(self, rows: slice | np.ndarray, draws: np.ndarray, baseline: np.ndarray) -> None:
        q = np.quantile(draws, [0.5, 0.8], axis=1)
        self.values["finish_p50"][rows], self.values["finish_p80"][rows] = q[0], q[1]
        # a finish on the baseline day counts as by the baseline (a day's rounding is no slip)
        self.values["p_by_baseline"][rows] = np.where(
            np.isfinite(baseline), (draws <= baseline[:, None] + 1e-6).mean(axis=1), np.nan)

    def frame(self, index: pd.Index, cost_reason: np.ndarray, time_reason: np.ndarray) -> pd.DataFrame:
        out = pd.DataFrame(index=index)
        for c in FORECAST_COLUMNS:
            v = self.values[c]
            cost = c in ("eac_p50", "eac_p80", "p_within_budget")
            v = np.where((cost_reason if cost else time_reason) == "", v, np.nan)
            out[c] = pd.to_datetime(date_of(v)) if c.startswith("finish") else v
        reasons = [a if a == b or not b else (b if not a else f"{a}; {b}")
                   for a, b in zip(cost_reason, time_reason, strict=True)]
        out["forecast_na_reason"] = pd.Series(reasons, index=index, dtype="object").replace("", None)
        return out


def _draws(inp: Inputs, risks: pd.DataFrame, config: Config) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """The draws chunk by chunk: ``(a, b, cost, finish)`` for the projects ``a:b``, each ``(b - a) x draws``.

    Projects without a forecast draw their plan (BAC, baseline finish clock) in every draw.
    """
    n, draws = len(inp.ids), int(config.forecast.draws)
    rng = np.random.default_rng(config.forecast.seed)
    rows_of, p, cost, delay = _open_risks(risks, inp, config)
    order = np.argsort(rows_of, kind="stable")
    rows_of, p, cost, delay = rows_of[order], p[order], cost[order], delay[order]
    # each risk's rank within its project: the risks of one rank touch each project at most once
    first_of = np.r_[0, np.flatnonzero(np.diff(rows_of)) + 1] if len(rows_of) else np.array([], dtype="int64")
    rank = np.arange(len(rows_of)) - np.repeat(first_of, np.diff(np.r_[first_of, len(rows_of)]))
    cost_ok = inp.cost_reason == ""
    time_ok = inp.time_reason == ""
    step = max(1, ELEMENTS_PER_CHUNK // max(draws, 1))
    for a in range(0, n, step):
        b = min(n, a + step)
        rows = slice(a, b)
        c, t = _project_draws(inp, rows, rng.standard_normal((2, b - a, draws), dtype=np.float32))
        lo, hi = np.searchsorted(rows_of, [a, b])
        for r in np.unique(rank[lo:hi]):
            mine = lo + np.flatnonzero(rank[lo:hi] == r)
            hit = rng.random((len(mine), draws), dtype=np.float32) < p[mine, None]
            owners = rows_of[mine] - a
            c[owners] += np.where(hit, cost[mine, None], 0.0)
            if delay[mine].any():
                t[owners] += np.where(hit, delay[mine, None], 0.0)
        c = np.where(cost_ok[rows, None], c, inp.bac[rows, None])
        t = np.where(time_ok[rows, None], t, inp.baseline[rows, None])
        yield a, b, c, t


def _project_draws(inp: Inputs, rows: slice, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost and finish clock of the projects ``rows`` for the standard normal draws ``z`` (CPI, SPI(t)), no risks.

    Undefined inputs (a project without a forecast) give NaN or inf here, replaced by its plan afterwards.
    """
    finished = inp.finished[rows, None]
    remaining = np.where(inp.finished[rows], 0.0, np.maximum(inp.bac[rows] - inp.ev[rows], 0.0))[:, None]
    left = np.where(inp.finished[rows], 0.0, np.maximum(inp.pd[rows] - inp.es[rows], 0.0))[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cpi = inp.cpi[rows, None] * np.exp(inp.cpi_sd[rows, None] * z[0])
        spi = inp.spi_t[rows, None] * np.exp(inp.spi_sd[rows, None] * z[1])
        c = inp.ac[rows, None] + remaining / np.where(remaining > 0, cpi, 1.0)
        t = np.where(finished, inp.fixed_finish[rows, None], inp.now[rows, None] + left / np.where(left > 0, spi, 1.0))
    return c, t


def sample(inp: Inputs, risks: pd.DataFrame, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Every draw of every project: ``(cost, finish clock)``, each ``projects x draws`` (for tests and examples:
    :func:`simulate` never holds them all)."""
    n, draws = len(inp.ids), int(config.forecast.draws)
    cost, finish = np.empty((n, draws)), np.empty((n, draws))
    inp, order = _in_id_order(inp)
    for a, b, c, t in _draws(inp, risks, config):
        cost[order[a:b]], finish[order[a:b]] = c, t
    return cost, finish


def _in_id_order(inp: Inputs) -> tuple[Inputs, np.ndarray]:
    """``inp`` sorted by project id, and the order taken: draws never depend on the source's row order."""
    order = np.argsort(np.asarray(inp.ids.astype(str)), kind="stable")
    return replace(inp, **{f.name: getattr(inp, f.name)[order] for f in fields(inp)}), order


def simulate(inp: Inputs, risks: pd.DataFrame, config: Config,
             groups: Mapping[str, pd.Series] | None = None) -> Forecast:
    """Run the Monte Carlo (``config.forecast.draws`` draws, seed ``config.forecast.seed``) and summarise it.

    Parameters
    ----------
    inp:
        The projects' inputs (:func:`inputs`).
    risks:
        The risk register of the month (``risks.risk_register``): its open risks with a ``cost_impact`` (and
        optionally ``schedule_impact_days``) count for their unfinished projects, each drawn occurring with the
        probability its level maps to in ``[risks] probability_scale``, independently of the others.
    groups:
        Group keys aligned with ``inp.ids`` (a program id per project, one portfolio key for all): a group's
        draw is the sum of its projects' cost draws and the latest of their finish draws. Projects without a
        forecast count at their plan (BAC, baseline finish); a member without a BAC makes the group NA.
    """
    draws = int(config.forecast.draws)
    inp, order = _in_id_order(inp)
    codes = {name: pd.factorize(pd.Series(np.asarray(keys, dtype=object)[order]), sort=True)
             for name, keys in (groups or {}).items()}
    group_cost = {name: np.zeros((len(u), draws)) for name, (_, u) in codes.items()}
    group_time = {name: np.full((len(u), draws), -np.inf) for name, (_, u) in codes.items()}
    out = _Summary(len(inp.ids))
    for a, b, c, t in _draws(inp, risks, config):
        out.cost(slice(a, b), c, inp.bac[a:b])  # rows without a forecast are NA by their reason
        out.time(slice(a, b), t, inp.baseline[a:b])
        for name, (code, _) in codes.items():
            chunk = code[a:b]
            for g in np.unique(chunk[chunk >= 0]):
                mine = chunk == g
                group_cost[name][g] += c[mine].sum(axis=0)
                group_time[name][g] = np.maximum(group_time[name][g], t[mine].max(axis=0))
    projects = out.frame(inp.ids, inp.cost_reason, inp.time_reason).iloc[np.argsort(order, kind="stable")]
    frames = {name: _group_frame(inp, code, uniques, group_cost[name], group_time[name])
              for name, (code, uniques) in codes.items()}
    return Forecast(projects=projects, groups=frames)


def _group_frame(inp: Inputs, code: np.ndarray, uniques: pd.Index, cost: np.ndarray,
                 time: np.ndarray) -> pd.DataFrame:
    k = len(uniques)
    bac = np.zeros(k)
    np.add.at(bac, code[code >= 0], inp.bac[code >= 0])
    baseline = np.full(k, -np.inf)
    np.maximum.at(baseline, code[code >= 0], np.nan_to_num(inp.baseline[code >= 0], nan=-np.inf))
    baseline = np.where(np.isinf(baseline), np.nan, baseline)
    no_bac = np.zeros(k, dtype=bool)
    np.logical_or.at(no_bac, code[code >= 0], ~np.isfinite(inp.bac[code >= 0]))
    summary = _Summary(k)
    if k:
        summary.cost(slice(0, k), cost, bac)
        summary.time(slice(0, k), np.where(np.isinf(time), np.nan, time), baseline)
    cost_reason = np.where(no_bac, MEMBERS_NA, "").astype("object")
    time_reason = np.where(~np.isfinite(summary.values["finish_p50"]), NO_SCHEDULE, "").astype("object")
    return summary.frame(pd.Index(uniques), cost_reason, time_reason)


def _open_risks(risks: pd.DataFrame, inp: Inputs,
                config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The row (in ``inp``), probability, cost impact and delay (months) of each risk that counts."""
    if risks is None or risks.empty:
        empty = np.array([], dtype="float64")
        return np.array([], dtype="int64"), empty, empty, empty
    row = inp.ids.get_indexer(pd.Index(risks["project_id"]))
    is_open = risks["open"].astype(bool).to_numpy() if "open" in risks else np.ones(len(risks), bool)
    scale = np.zeros(6)
    for level, fraction in config.risks.probability_scale.items():
        scale[int(level)] = fraction
    levels = pd.to_numeric(risks["probability"], errors="coerce").fillna(0).clip(0, 5).astype("int64").to_numpy()
    cost = (pd.to_numeric(risks["cost_impact"], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
            if "cost_impact" in risks else np.zeros(len(risks)))
    delay = (pd.to_numeric(risks[SCHEDULE_IMPACT], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
             / DAYS_PER_MONTH if SCHEDULE_IMPACT in risks else np.zeros(len(risks)))
    keep = (row >= 0) & is_open & ((cost > 0) | (delay > 0))
    keep[keep] &= ~inp.finished[row[keep]]
    return row[keep].astype("int64"), scale[levels[keep]], cost[keep], delay[keep]
