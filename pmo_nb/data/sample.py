"""The sample portfolio: a deterministic, realistic PMO data set for demos, notebooks, tests and benchmarks.

``generate()`` builds the tables of ``pmo_nb.schema`` relative to the reporting month (``SAMPLE_PERIOD``) from
the names and figures of ``pmo_nb.data.sample_catalogue``; ``write()`` saves them as a CSV folder, an Excel workbook
or a Parquet folder. The same seed gives byte-identical files on any machine (only ``numpy.random.default_rng``
draws and plain arithmetic); the designed projects carry the situations a report must show (``SITUATIONS``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pmo_nb.data import sample_catalogue as catalogue
from pmo_nb.data import sample_raid
from pmo_nb.data.model import empty_table
from pmo_nb.data.sample_catalogue import SITUATION_TAGS, SITUATIONS
from pmo_nb.exceptions import PmoError
from pmo_nb.periods import Period
from pmo_nb.schema import TABLE_NAMES, TABLES

__all__ = ["SAMPLE_PERIOD", "FORMATS", "Format", "WORKBOOK_NAME", "DEFAULT_SIZES", "SITUATIONS",
           "SITUATION_TAGS", "generate", "write"]

SAMPLE_PERIOD = Period("2026-10")
FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet")
Format = Literal["csv", "xlsx", "parquet"]
WORKBOOK_NAME = "portfolio.xlsx"

DEFAULT_SIZES: dict[str, int] = {
    "programs": 5,
    "projects": 34,
    "months": 24,
    "milestones": 220,
    "risks": 240,
    "issues": 180,
}


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def _month_number(period: str) -> int:
    try:
        p = Period.parse(period)
    except PmoError:
        raise ValueError(f"period {period!r} is not a month: use YYYY-MM, e.g. {SAMPLE_PERIOD}") from None
    return p.year * 12 + p.month - 1


def _month_start(number: np.ndarray | int) -> np.ndarray:
    """First day (datetime64[D]) of absolute month numbers (year * 12 + month - 1)."""
    return (np.asarray(number) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _month_end(number: np.ndarray | int) -> np.ndarray:
    return _month_start(np.asarray(number) + 1) - np.timedelta64(1, "D")


def _days(n: np.ndarray | int) -> np.ndarray:
    return np.asarray(n).astype("timedelta64[D]")


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` items over weights by largest remainder (deterministic, sums exactly)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-owner counts, the owner index and the 0-based position of each item."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.arange(len(owner)) - first


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Bell-shaped noise in [-1.5, 1.5] with standard deviation 0.5, from uniforms only."""
    return rng.random(shape) + rng.random(shape) + rng.random(shape) - 1.5


def _ids(prefix: pd.Series | np.ndarray, sep: str, numbers: np.ndarray, width: int) -> np.ndarray:
    nums = pd.Series(numbers + 1).astype(str).str.zfill(width)
    return (pd.Series(prefix, dtype=object).reset_index(drop=True) + sep + nums).to_numpy(dtype=object)


def _phase_of(start: np.ndarray, finish: np.ndarray, months: np.ndarray, last: int) -> np.ndarray:
    """Lifecycle phase implied by month indices (finish = actual or forecast finish month)."""
    elapsed = last - start + 1
    return np.select(
        [start >= last - 1, elapsed < np.maximum(2, months // 5), finish <= last - 2, finish <= last],
        ["initiation", "planning", "closed", "closing"],
        "execution",
    ).astype(object)


# --------------------------------------------------------------------------------------------------------
# Blueprint: one row per program / project with the design parameters
# --------------------------------------------------------------------------------------------------------


def _programs(rng: np.random.Generator, n: int) -> pd.DataFrame:
    columns = ["program_id", "name", "sponsor", "manager", "objective", "clean"]
    core = pd.DataFrame(list(catalogue.PROGRAMS), columns=columns)
    extra = n - len(core)
    if extra <= 0:
        return core
    num = np.arange(len(core) + 1, n + 1)
    theme = np.asarray(catalogue.EXTRA_THEMES, dtype=object)[(num - 1) % len(catalogue.EXTRA_THEMES)]
    codes = pd.Series(num).astype(str).str.zfill(3)
    names = pd.Series(theme) + " " + ((num - 1) // len(catalogue.EXTRA_THEMES) + 1).astype(str)
    more = pd.DataFrame({
        "program_id": ("PRG-P" + codes).to_numpy(dtype=object),
        "name": names.to_numpy(dtype=object),
        "sponsor": _pick(rng, catalogue.PEOPLE, extra),
        "manager": _pick(rng, catalogue.PEOPLE, extra),
        "objective": ("Deliver the " + names + " outcomes agreed in the business plan.")
        .to_numpy(dtype=object),
        "clean": False,
    })
    return pd.concat([core, more], ignore_index=True)


def _projects(rng: np.random.Generator, programs: pd.DataFrame, n: int, months: int) -> pd.DataFrame:
    cols = ["project_id", "name", "manager", "phase", "start", "months", "late", "budget", "spi", "cpi",
            "reported_status", "stale", "status_comment"]
    core = pd.DataFrame([list(p) for p in catalogue.PROJECTS], columns=cols)
    core["program_id"] = "PRG-" + core["project_id"].str[:3]
    core["start"] = core["start"] + (months - 24)
    core["stale"] = core["stale"].fillna(-1).astype(np.int64)
    core["flat"] = core["project_id"].map(catalogue.FLAT_PV).fillna(-1).astype(np.int64)
    core["missed_key"] = core["project_id"].isin(catalogue.MISSED_KEY)
    core["critical"] = core["project_id"].isin(catalogue.CRITICAL_RISK)
    extra = n - len(core)
    if extra > 0:
        core = pd.concat([core, _extra_projects(rng, programs.iloc[len(catalogue.PROGRAMS):], extra, months)],
                         ignore_index=True)
    core["clean"] = core["program_id"].map(programs.set_index("program_id")["clean"]).astype(bool)
    return core


def _extra_projects(rng: np.random.Generator, programs: pd.DataFrame, n: int, months: int) -> pd.DataFrame:
    last = months - 1
    counts = _apportion(n, np.ones(len(programs)))
    owner, pos = _expand(counts)
    program_ids = programs["program_id"].to_numpy(dtype=object)[owner]
    pids = _ids(pd.Series(program_ids).str[4:], "-", pos, 3)
    # long projects, many running since the start of the history: a benchmark portfolio is mostly active
    duration = rng.integers(max(4, months // 4), 2 * months + 1, n)
    start = np.where(rng.random(n) < 0.4, 0, np.floor(months * rng.random(n) ** 2).astype(np.int64))
    late = np.where(rng.random(n) < 0.35, rng.integers(1, 4, n), 0)
    phase = _phase_of(start, start + duration - 1 + late, duration, last)
    ongoing = (phase == "execution") | (phase == "planning")
    spi = np.where(phase == "execution", 0.965 + 0.09 * _noise(rng, (n,)), 1.0 + 0.02 * _noise(rng, (n,)))
    cpi = np.where(phase == "initiation", 1.0, 0.965 + 0.09 * _noise(rng, (n,)))
    spi = np.where(ongoing, spi, np.where(phase == "initiation", 1.0, 0.92 + 0.05 * _noise(rng, (n,))))
    spi, cpi = np.round(spi, 3), np.round(cpi, 3)
    worst = np.where(phase == "execution", np.minimum(spi, cpi), cpi)
    computed = np.select([worst >= 0.95, worst >= 0.90], ["green", "amber"], "red").astype(object)
    reported = np.where(rng.random(n) < 0.12, "green", computed).astype(object)
    # budget bands: 50k-250k, 250k-1M, 1M-5M, 5M-20M
    lo = np.array([50_000, 250_000, 1_000_000, 5_000_000])
    hi = np.array([250_000, 1_000_000, 5_000_000, 20_000_000])
    band = rng.choice(4, size=n, p=[0.2, 0.35, 0.35, 0.1])
    budget = np.round((lo[band] + rng.random(n) * (hi[band] - lo[band])) / 5_000) * 5_000
    comment_idx = rng.integers(0, 3, n)
    comment = np.array([catalogue.COMMENTS[r][i] for r, i in zip(reported, comment_idx, strict=True)], dtype=object)
    name = _pick(rng, catalogue.EXTRA_PROJECT_NAMES, n)
    return pd.DataFrame({
        "project_id": pids,
        "name": (pd.Series(programs["name"].to_numpy(dtype=object)[owner]) + ": " + name)
        .to_numpy(dtype=object),
        "manager": _pick(rng, catalogue.PEOPLE, n),
        "phase": phase,
        "start": start,
        "months": duration,
        "late": late,
        "budget": budget,
        "spi": spi,
        "cpi": cpi,
        "reported_status": reported,
        "stale": np.where(rng.random(n) < 0.06, rng.integers(61, 181, n), -1),
        "status_comment": comment,
        "program_id": program_ids,
        "flat": np.where((rng.random(n) < 0.03) & (duration >= 8), duration // 2, -1),
        "missed_key": rng.random(n) < 0.02,
        "critical": rng.random(n) < 0.05,
    })


# --------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------


def _financials(rng: np.random.Generator, bp: pd.DataFrame, first_month: int, months: int) -> pd.DataFrame:
    """Monthly PV/EV/AC for every project-month while the project is active, vectorised over a matrix."""
    last = months - 1
    t = np.arange(months)[None, :]
    s = bp["start"].to_numpy()[:, None]
    d = bp["months"].to_numpy()[:, None]
    late = bp["late"].to_numpy()[:, None]
    bac = bp["budget"].to_numpy(dtype=float)[:, None]
    spi = bp["spi"].to_numpy(dtype=float)[:, None]
    cpi = bp["cpi"].to_numpy(dtype=float)[:, None]
    flat = bp["flat"].to_numpy()[:, None]
    finish = s + d - 1 + late
    finished = finish <= last
    k = t - s

    def smooth(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0.0, 1.0)
        return x * x * (3.0 - 2.0 * x)

    cum_pv = bac * np.where(k == flat, smooth(k / d), smooth((k + 1) / d))

    observed = np.minimum(finish, last) - s + 1
    xo = np.clip((k + 1) / np.maximum(observed, 1), 0.0, 1.0)
    ease = xo * (2.0 - xo)
    xb = np.clip((k + 1) / d, 0.0, 1.0)
    fade = 1.0 - xo
    ev_noise = 0.02 * _noise(rng, cum_pv.shape) * fade
    ac_noise = 0.02 * _noise(rng, cum_pv.shape) * fade
    # ongoing: EV/PV drifts from 1 to the designed SPI at the reporting month
    r_ongoing = 1.0 + (spi - 1.0) * ease
    # finished on time: EV/PV dips towards SPI mid-way and returns to 1 at the finish;
    # finished late: EV/PV reaches SPI at the baseline finish, then EV climbs linearly to BAC
    r_finished = np.where(late == 0, 1.0 + (spi - 1.0) * 4.0 * xb * (1.0 - xb),
                          1.0 + (spi - 1.0) * xb * (2.0 - xb))
    r = np.where(finished, r_finished, r_ongoing) + ev_noise
    cum_ev = np.minimum(r * cum_pv, bac)
    ev_at_baseline = bac * np.minimum(np.where(late == 0, 1.0, spi), 1.0)
    catch_up = ev_at_baseline + (bac - ev_at_baseline) * (k - d + 1) / np.maximum(late, 1)
    cum_ev = np.where(finished & (k >= d), np.minimum(catch_up, bac), cum_ev)
    cum_ev = np.where(finished & (k >= finish - s), bac, cum_ev)
    cum_ev = np.where(k < 0, 0.0, cum_ev)
    cum_ev = np.maximum.accumulate(cum_ev, axis=1)

    c = 1.0 + (cpi - 1.0) * ease + ac_noise
    cum_ac = np.maximum.accumulate(np.where(k < 0, 0.0, cum_ev / c), axis=1)

    def monthly(cum: np.ndarray) -> np.ndarray:
        cents = np.round(cum * 100.0)
        return np.diff(cents, axis=1, prepend=0.0) / 100.0

    active = (k >= 0) & (t <= finish)
    rows, cols = np.nonzero(active)
    starts = _month_start(first_month + np.arange(months)).astype(str)
    periods = pd.Series(starts).str[:7].to_numpy(dtype=object)
    return pd.DataFrame({
        "project_id": bp["project_id"].to_numpy(dtype=object)[rows],
        "period": periods[cols],
        "planned_value": monthly(cum_pv)[rows, cols],
        "earned_value": monthly(cum_ev)[rows, cols],
        "actual_cost": monthly(cum_ac)[rows, cols],
    })


def _project_dates(rng: np.random.Generator, bp: pd.DataFrame, first_month: int,
                   months: int) -> dict[str, np.ndarray]:
    """Baseline/forecast dates (datetime64[D]), slip days and last_updated of each project."""
    n = len(bp)
    last = months - 1
    report_end = _month_end(first_month + last)
    s = bp["start"].to_numpy()
    d = bp["months"].to_numpy()
    late = bp["late"].to_numpy()
    spi = bp["spi"].to_numpy(dtype=float)
    b_start = _month_start(first_month + s) + _days(rng.integers(0, 10, n))
    b_finish = _month_end(first_month + s + d - 1) - _days(rng.integers(0, 10, n))
    finish_month = s + d - 1 + late
    finished = finish_month <= last
    actual = np.maximum(_month_end(first_month + finish_month) - _days(rng.integers(0, 7, n)), b_finish)
    actual = np.where(late == 0, b_finish, actual)
    elapsed = (report_end - b_start).astype(np.int64)
    behind = np.where(spi < 0.98, np.maximum(0.0, 1.0 / spi - 1.0), 0.0)
    slip_ongoing = np.round(behind * np.maximum(elapsed, 0)).astype(np.int64)
    slip = np.where(finished, (actual - b_finish).astype(np.int64), slip_ongoing)
    forecast = np.where(finished, actual, b_finish + _days(slip))
    stale = bp["stale"].to_numpy()
    age = np.where(stale >= 0, stale, rng.integers(0, 15, n))
    return {
        "baseline_start": b_start, "baseline_finish": b_finish, "forecast_finish": forecast,
        "slip": slip, "finished": finished, "last_updated": report_end - _days(age),
    }


def _milestones(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
                report_end: np.datetime64 | np.ndarray) -> pd.DataFrame:
    counts = _apportion(total, bp["months"].to_numpy(dtype=float))
    p, j = _expand(counts)
    n = len(p)
    k = counts[p]
    frac = np.where(k > 1, j / np.maximum(k - 1, 1), 1.0)  # first at the start, last at the finish
    stage = np.floor((j + 0.5) / k * len(catalogue.MILESTONE_STAGES)).astype(np.int64)
    base_name = np.asarray(catalogue.MILESTONE_STAGES, dtype=object)[stage]
    # a stage that repeats within a project (many milestones) gets a release number
    rep = pd.DataFrame({"p": p, "stage": stage}).groupby(["p", "stage"]).cumcount().to_numpy()
    name = np.where(rep > 0, base_name + " (release " + (rep + 1).astype(str).astype(object) + ")", base_name)
    b_start = dates["baseline_start"][p]
    b_finish = dates["baseline_finish"][p]
    span = (b_finish - b_start).astype(np.int64)
    baseline = b_start + _days(np.round(frac * span).astype(np.int64))
    slip = dates["slip"][p].astype(float)
    elapsed = np.maximum((report_end - b_start).astype(np.int64), 1)
    progress = np.clip((baseline - b_start).astype(np.int64) / elapsed, 0.0, 1.0)
    finished = dates["finished"][p]
    own_slip = np.where(finished, slip * frac, np.where(baseline <= report_end, slip * progress, slip))
    own_slip = np.round(own_slip).astype(np.int64)
    on_time = own_slip == 0
    jitter = np.where(on_time, -rng.integers(0, 6, n), rng.integers(0, 5, n))
    expected = baseline + _days(own_slip + jitter)
    if finished.any():  # finished projects achieved everything by their finish date
        finish = dates["forecast_finish"][p]
        expected = np.where(finished, np.minimum(expected, finish), expected)
    achieved = expected <= report_end
    key = np.isin(stage, catalogue.KEY_STAGES)
    # designed: the latest key milestone due by the reporting month is not achieved
    missed_key = bp["missed_key"].to_numpy()[p] & key & (baseline <= report_end) & ~finished
    frame = pd.DataFrame({"p": p, "b": baseline, "m": missed_key})
    latest = frame[frame["m"]].sort_values(["p", "b"], kind="mergesort").groupby("p").tail(1).index
    force = np.zeros(n, dtype=bool)
    force[latest.to_numpy()] = True
    achieved &= ~force
    # an achieved milestone's forecast is its actual date; an open on-time one is forecast at its baseline
    forecast = np.where(on_time & ~achieved, baseline, expected)
    forecast = np.where(force, np.maximum(expected, report_end + np.timedelta64(30, "D")), forecast)
    nat = np.datetime64("NaT", "D")
    return pd.DataFrame({
        "milestone_id": _ids(bp["project_id"].to_numpy(dtype=object)[p], "-M", j, 1),
        "project_id": bp["project_id"].to_numpy(dtype=object)[p],
        "name": name.astype(object),
        "baseline_date": baseline,
        "forecast_date": forecast,
        "actual_date": np.where(achieved, expected, nat),
        "key_milestone": key,
    })


def _window(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A random day in [lo, hi] (datetime64[D] arrays)."""
    width = np.maximum((hi - lo).astype(np.int64), 0)
    return lo + _days(np.floor(rng.random(len(lo)) * (width + 1)).astype(np.int64))


def _item_frame(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
                report_end: np.datetime64 | np.ndarray) -> dict[str, np.ndarray]:
    """Shared part of risks and issues: project, position, raised date, life-cycle facts."""
    phase = bp["phase"].to_numpy(dtype=object)
    weight = np.sqrt(bp["budget"].to_numpy(dtype=float)) * np.select(
        [phase == "initiation", phase == "planning", phase == "closed"], [0.4, 0.7, 0.6], 1.0)
    counts = _apportion(total, weight)
    p, j = _expand(counts)
    b_start = dates["baseline_start"][p]
    end = np.minimum(dates["forecast_finish"][p], report_end)
    lo = np.minimum(b_start - np.timedelta64(30, "D"), end)
    raised = _window(rng, lo, end)
    return {"p": p, "j": j, "raised": raised, "finished": dates["finished"][p],
            "finish": dates["forecast_finish"][p], "clean": bp["clean"].to_numpy()[p],
            "budget": bp["budget"].to_numpy(dtype=float)[p], "critical": bp["critical"].to_numpy()[p]}


def _close(rng: np.random.Generator, it: dict[str, np.ndarray], p_close: float, lo_days: int, hi_days: int,
           report_end: np.datetime64 | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(it["p"])
    raised = it["raised"]
    closed_on = raised + _days(rng.integers(lo_days, hi_days + 1, n))
    after_finish = np.minimum(it["finish"] + np.timedelta64(30, "D"), report_end)
    limit = np.where(it["finished"], after_finish, report_end)
    closed = ((rng.random(n) < p_close) & (closed_on <= report_end)) | it["finished"]
    closed_on = np.maximum(np.minimum(closed_on, limit), raised)
    return closed, closed_on


def _risks(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
           report_end: np.datetime64 | np.ndarray) -> pd.DataFrame:
    it = _item_frame(rng, bp, dates, total, report_end)
    p, n = it["p"], len(it["p"])
    cat = rng.choice(len(catalogue.RISK_CATEGORIES), size=n, p=catalogue.RISK_CATEGORY_WEIGHTS)
    category = np.asarray(catalogue.RISK_CATEGORIES, dtype=object)[cat]
    pick = rng.random(n)
    pairs = list(zip(category, pick, strict=True))
    title = np.array([catalogue.RISK_TITLES[c][int(u * len(catalogue.RISK_TITLES[c]))] for c, u in pairs], dtype=object)
    response = np.array([catalogue.RISK_RESPONSES[c][int(u * 7) % 2] for c, u in pairs], dtype=object)
    level_p = [0.14, 0.3, 0.3, 0.17, 0.09]
    prob = rng.choice(5, size=n, p=level_p) + 1
    impact = rng.choice(5, size=n, p=level_p) + 1
    clean = it["clean"]
    impact = np.where(clean, np.minimum(impact, np.maximum(1, 12 // prob)), impact)  # score <= 12
    closed, closed_on = _close(rng, it, 0.3, 14, 240, report_end)
    # designed: the project's first risk is critical and open
    force = it["critical"] & (it["j"] == 0) & ~it["finished"]
    prob = np.where(force, 5, prob)
    impact = np.where(force, 4, impact)
    closed &= ~force
    frac = np.array([0.0, 0.005, 0.015, 0.04, 0.08, 0.15])[impact]
    cost = np.round(it["budget"] * frac * (0.5 + rng.random(n)) / 1000.0) * 1000.0
    cost = np.where((rng.random(n) < 0.04) & ~clean, np.nan, cost)
    # open risks: response due from 45 days before to 120 days after the reporting month's end;
    # the clean program has no overdue responses
    due_open = report_end + _days(rng.integers(-45, 121, n))
    due_open = np.where(clean, np.maximum(due_open, report_end + np.timedelta64(14, "D")), due_open)
    due_open = np.maximum(due_open, it["raised"] + np.timedelta64(7, "D"))
    due_closed = np.minimum(it["raised"] + _days(rng.integers(14, 91, n)), closed_on)
    nat = np.datetime64("NaT", "D")
    pid = bp["project_id"].to_numpy(dtype=object)[p]
    return pd.DataFrame({
        "risk_id": _ids(pid, "-R", it["j"], 2),
        "project_id": pid,
        "title": title,
        "category": category,
        "probability": prob.astype(np.int64),
        "impact": impact.astype(np.int64),
        "cost_impact": cost,
        "owner": _pick(rng, catalogue.PEOPLE, n),
        "status": np.where(closed, "closed", "open").astype(object),
        "raised_date": it["raised"],
        "closed_date": np.where(closed, closed_on, nat),
        "response": response,
        "response_due": np.where(closed, due_closed, due_open),
    })


def _issues(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
            report_end: np.datetime64 | np.ndarray) -> pd.DataFrame:
    it = _item_frame(rng, bp, dates, total, report_end)
    p, n = it["p"], len(it["p"])
    sev = rng.choice(4, size=n, p=[0.3, 0.4, 0.22, 0.08])
    clean = it["clean"]
    sev = np.where(clean, np.minimum(sev, 1), sev)
    closed, closed_on = _close(rng, it, 0.8, 3, 150, report_end)
    # the clean program has no ageing issues: anything opened over 60 days ago is closed
    old = clean & (it["raised"] < report_end - np.timedelta64(60, "D"))
    closed_on = np.where(old & ~closed, np.minimum(it["raised"] + _days(rng.integers(5, 41, n)), report_end),
                         closed_on)
    closed |= old
    nat = np.datetime64("NaT", "D")
    pid = bp["project_id"].to_numpy(dtype=object)[p]
    return pd.DataFrame({
        "issue_id": _ids(pid, "-I", it["j"], 2),
        "project_id": pid,
        "title": _pick(rng, catalogue.ISSUE_TITLES, n),
        "severity": np.asarray(("low", "medium", "high", "critical"), dtype=object)[sev],
        "status": np.where(closed, "closed", "open").astype(object),
        "owner": _pick(rng, catalogue.PEOPLE, n),
        "opened_date": it["raised"],
        "closed_date": np.where(closed, closed_on, nat),
    })


def _typed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Canonical columns in schema order with the dtypes of ``pmo_nb.data.model``."""
    template = empty_table(name)
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for col in template.columns:
        if col in df:
            out[col] = pd.Series(df[col].to_numpy(), index=out.index).astype(template[col].dtype)
        else:  # an optional column the sample leaves empty
            out[col] = pd.Series(pd.NA, index=out.index).astype(template[col].dtype)
    return out


def generate(seed: int = 7, period: str = SAMPLE_PERIOD, **sizes: int) -> dict[str, pd.DataFrame]:
    """Generate a deterministic, realistic portfolio.

    Parameters
    ----------
    seed:
        Seed of ``numpy.random.default_rng``; the same seed (and sizes) gives identical tables.
    period:
        The reporting month ``YYYY-MM``: financials end with it and all dates are relative to it.
    **sizes:
        Any of ``programs`` (>= 5), ``projects`` (>= 34), ``months`` (of financials, >= 24),
        ``milestones``, ``risks`` and ``issues`` (totals); defaults in ``DEFAULT_SIZES``. The first 5
        programs and 34 projects are the designed ones (see ``SITUATIONS``); more are drawn at random.

    Returns
    -------
    dict[str, pandas.DataFrame]
        The six tables keyed by name, in ``pmo_nb.schema.TABLE_NAMES`` order, with canonical columns.

    Raises
    ------
    ValueError
        An unknown size name, a size below its minimum, or a malformed period.
    """
    unknown = sorted(set(sizes) - set(DEFAULT_SIZES))
    if unknown:
        raise ValueError(f"unknown size {', '.join(unknown)}: sizes are {', '.join(DEFAULT_SIZES)}")
    size = {**DEFAULT_SIZES, **{k: int(v) for k, v in sizes.items()}}
    minimum = {"programs": len(catalogue.PROGRAMS), "projects": len(catalogue.PROJECTS), "months": 24,
               "milestones": 0, "risks": 0, "issues": 0}
    for key, low in minimum.items():
        if size[key] < low:
            raise ValueError(f"{key}={size[key]} is too small: the designed sample needs at least {low}")
    extra_programs = size["programs"] - len(catalogue.PROGRAMS)
    extra_projects = size["projects"] - len(catalogue.PROJECTS)
    if (extra_projects > 0) != (extra_programs > 0) or extra_projects < extra_programs:
        raise ValueError(
            f"programs={size['programs']}, projects={size['projects']}: the {len(catalogue.PROJECTS)} designed "
            f"projects fill the {len(catalogue.PROGRAMS)} designed programs, so extra projects need extra "
            "programs and every extra program needs at least one extra project"
        )
    months = size["months"]
    first_month = _month_number(period) - (months - 1)
    report_end = _month_end(first_month + months - 1)
    rng = np.random.default_rng(seed)

    programs = _programs(rng, size["programs"])
    bp = _projects(rng, programs, size["projects"], months)
    dates = _project_dates(rng, bp, first_month, months)
    projects = bp.assign(
        budget=bp["budget"].astype(float),
        baseline_start=dates["baseline_start"],
        baseline_finish=dates["baseline_finish"],
        forecast_finish=dates["forecast_finish"],
        last_updated=dates["last_updated"],
    )
    tables = {
        "programs": programs,
        "projects": projects,
        "financials": _financials(rng, bp, first_month, months),
        "milestones": _milestones(rng, bp, dates, size["milestones"], report_end),
        "risks": _risks(rng, bp, dates, size["risks"], report_end),
        "issues": _issues(rng, bp, dates, size["issues"], report_end),
        "contacts": _contacts(programs),
        "benefits": _benefits(programs, projects, first_month + months - 1),
        **sample_raid.tables(report_end),  # assumptions, dependencies, decisions, actions
    }
    tables["risks"] = _schedule_impacts(seed, tables["risks"])
    return {name: _typed(name, df) for name, df in _guideline_gaps(tables).items()}


# -- benefits and schedule impacts (issue 12): drawn after everything else, so the other tables are unchanged ----
def _benefits(programs: pd.DataFrame, projects: pd.DataFrame, month: int) -> pd.DataFrame:
    """The designed benefits of ``catalogue.BENEFITS`` (one generic benefit per extra program), each measured at
    ``pace`` times the share of its trajectory elapsed at the reporting month's end (``month``)."""
    first = projects.groupby("program_id")["baseline_start"].min()
    rows = [list(b) for b in catalogue.BENEFITS]
    rows += [[pid, "Deliver the business-plan outcomes", "Business-plan outcomes delivered", "%", 0.0, 100.0, None,
              12, 1.0] for pid in programs["program_id"].iloc[len(catalogue.PROGRAMS):]]
    b = pd.DataFrame(rows, columns=["program_id", "objective", "measure", "unit", "baseline", "target", "start",
                                    "due", "pace"])
    report_end = _month_end(month)
    given = [None if pd.isna(k) else _month_end(month - int(k)) for k in b["start"]]
    start = np.array([g if g is not None else np.datetime64(first[pid], "D")
                      for g, pid in zip(given, b["program_id"], strict=True)], dtype="datetime64[D]")
    target_date = _month_end(month + b["due"].to_numpy(dtype=np.int64))
    span = (target_date - start).astype(np.int64)
    share = np.clip((report_end - start).astype(np.int64) / span, 0.0, 1.0)
    pace = b["pace"].to_numpy(dtype="float64")
    realised = share * pace
    change = b["target"] - b["baseline"]
    step = np.where(change.abs() >= 10_000, 1000.0, 0.1)
    actual = np.round((b["baseline"] + realised * change) / step) * step
    seq = b.groupby("program_id").cumcount() + 1
    return pd.DataFrame({
        "benefit_id": (b["program_id"].str.replace("PRG-", "BEN-", regex=False) + "-"
                       + seq.astype(str).str.zfill(2)).to_numpy(dtype=object),
        "program_id": b["program_id"].to_numpy(dtype=object),
        "objective": b["objective"].to_numpy(dtype=object), "measure": b["measure"].to_numpy(dtype=object),
        "unit": b["unit"].to_numpy(dtype=object), "baseline": b["baseline"].to_numpy(dtype="float64"),
        "target": b["target"].to_numpy(dtype="float64"), "target_date": target_date,
        "actual": np.where(np.isnan(pace), np.nan, actual),
        "owner": b["program_id"].map(programs.set_index("program_id")["sponsor"]).to_numpy(dtype=object),
        "start_date": np.array([np.datetime64("NaT", "D") if g is None else g for g in given], dtype="datetime64[D]"),
    })


def _schedule_impacts(seed: int, risks: pd.DataFrame) -> pd.DataFrame:
    """About half of the risks of impact 3 or more delay their project if they occur: 5 to 14 days per impact level
    (a generator of its own, so the other columns stay as they were)."""
    rng = np.random.default_rng([seed, 12])
    n = len(risks)
    impact = risks["impact"].to_numpy(dtype=np.int64)
    days = impact * rng.integers(5, 15, n)
    has = (impact >= 3) & (rng.random(n) < 0.5)
    return risks.assign(schedule_impact_days=pd.Series(days, index=risks.index, dtype="Int64").where(has))


def _contacts(programs: pd.DataFrame) -> pd.DataFrame:
    """One contact per program manager and sponsor (``pmo-nb send``), in order of first appearance.

    The addresses are on ``example.org`` (reserved for examples: nothing is ever delivered there).
    """
    rows: dict[str, str] = {}
    for _, program in programs.iterrows():
        for role, name in (("Program manager", program["manager"]), ("Sponsor", program["sponsor"])):
            if name not in rows:
                rows[name] = role
            elif role not in rows[name]:
                rows[name] += f", {role.lower()}"
    return pd.DataFrame({"name": list(rows), "email": [catalogue.email_of(n) for n in rows],
                         "role": list(rows.values())})


def _guideline_gaps(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The designed guideline breaches of the catalogue (no random draw: the rest of the sample is unchanged)."""
    fin, risks, ms = tables["financials"], tables["risks"].copy(), tables["milestones"].copy()
    fin = fin[~fin["project_id"].isin(catalogue.NO_BASELINE)].reset_index(drop=True)
    open_risks = risks[(risks["status"] == "open") & risks["project_id"].isin(catalogue.UNOWNED_RISK)]
    risks.loc[open_risks.groupby("project_id").head(1).index, "owner"] = "TBD"
    pending = ms[ms["key_milestone"].astype(bool) & ms["actual_date"].isna() & ms["project_id"].isin(
        catalogue.UNFORECAST_KEY)]
    ms.loc[pending.groupby("project_id").tail(1).index, "forecast_date"] = pd.NaT
    out = {**tables, "financials": fin, "risks": risks, "milestones": ms}
    return {name: out[name] for name in TABLE_NAMES}


def write(tables: dict[str, pd.DataFrame], out: Path | str, format: Format = "csv") -> list[Path]:
    """Write the tables as a CSV folder, an Excel workbook or a Parquet folder.

    CSV files are UTF-8 without BOM with LF line endings, ISO dates, '.' decimals and money with two
    decimals; booleans are written ``true``/``false``. The workbook ``portfolio.xlsx`` has one sheet per
    table; Parquet writes one file per table.

    Parameters
    ----------
    tables:
        The six tables, as returned by :func:`generate`.
    out:
        The folder to write into (created if missing).
    format:
        ``"csv"``, ``"xlsx"`` or ``"parquet"``.

    Returns
    -------
    list[pathlib.Path]
        The files written.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    missing = [name for name in TABLE_NAMES if name not in tables]
    if missing:
        raise ValueError(f"tables missing: {', '.join(missing)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ordered = {name: tables[name][TABLES[name].column_names] for name in TABLE_NAMES}
    if format == "xlsx":
        path = out / WORKBOOK_NAME
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, df in ordered.items():
                df.to_excel(writer, sheet_name=name, index=False)
        return [path]
    written = []
    for name, df in ordered.items():
        if format == "parquet":
            path = out / f"{name}.parquet"
            df.to_parquet(path, index=False)
        else:
            path = out / f"{name}.csv"
            _csv_frame(df).to_csv(path, index=False, lineterminator="\n", encoding="utf-8",
                                  date_format="%Y-%m-%d", float_format="%.2f", na_rep="")
        written.append(path)
    return written


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_bool_dtype(df[col]):
            df[col] = np.where(df[col].to_numpy(dtype=bool), "true", "false")
    return df
