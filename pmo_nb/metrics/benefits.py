"""Benefits: each benefit's planned value on a linear trajectory, its realised share, whether it is at risk, and the
roll-ups per program and for the portfolio.

A benefit moves a measure from ``baseline`` (at the trajectory's start) to ``target`` (at ``target_date``). One
function per figure:

* :func:`trajectory_start`: the benefit's ``start_date``, else its program's earliest project baseline start;
* :func:`planned_share`: the share of the way from start to target date elapsed at the status date (0..1);
* :func:`planned_value`: ``baseline + planned_share x (target - baseline)``, the value the plan expects by now;
* :func:`realised_share`: ``(actual - baseline) / (target - baseline)``, the share of the change delivered (above 1
  beyond target, below 0 when the measure moved the wrong way; works for targets below baseline too);
* :func:`at_risk`: measured, not achieved, and ``realised_share < planned_share - tolerance``
  (``[benefits] at_risk_tolerance``, default :data:`AT_RISK_TOLERANCE`: 10 points of the planned change);
* :func:`register`: every benefit with the figures above and its ``status``;
* :func:`rollup`: per program (or for the portfolio) the counts, and the share realised *by value* only where the
  benefits' units agree (never an average of unlike measures).

docs/kpis.md ("Benefits") states the rules with a worked example.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AT_RISK_TOLERANCE", "STATUSES", "trajectory_start", "planned_share", "planned_value", "realised_share",
           "at_risk", "register", "rollup", "MIXED_UNITS"]

AT_RISK_TOLERANCE = 0.10  # the default of [benefits] at_risk_tolerance (pmo_nb.config.BenefitsConfig)
"""How far (as a share of the planned change) a benefit's realised share may trail its planned share before it is
at risk: 0.10 is 10 points (planned 50% of the change by now, realised below 40%: at risk)."""
STATUSES = ("at risk", "not measured", "on track", "achieved")
"""A benefit's status, worst first."""
MIXED_UNITS = "units differ"


def trajectory_start(benefits: pd.DataFrame, projects: pd.DataFrame) -> pd.Series:
    """Where each benefit's trajectory starts: its ``start_date``, else the earliest ``baseline_start`` of its
    program's projects (NaT when neither is known)."""
    given = pd.to_datetime(benefits["start_date"]) if "start_date" in benefits else pd.Series(
        pd.NaT, index=benefits.index, dtype="datetime64[ns]")
    first = pd.to_datetime(projects["baseline_start"]).groupby(projects["program_id"]).min()
    fallback = pd.Series(first.reindex(benefits["program_id"].to_numpy()).to_numpy(dtype="datetime64[ns]"),
                         index=benefits.index)
    return given.astype("datetime64[ns]").fillna(fallback)


def planned_share(start: pd.Series, target_date: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """The share of the time from ``start`` to ``target_date`` elapsed at ``as_of``, clipped to 0..1 (1 from the
    target date on, also when the target date is not after the start); NaN without a start."""
    start, due = pd.to_datetime(start), pd.to_datetime(target_date)
    span = (due - start).dt.days.astype("float64")
    done = (pd.Timestamp(as_of) - start).dt.days.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, done / np.where(span > 0, span, 1.0), np.where(pd.Timestamp(as_of) >= due, 1.0, 0.0))
    share = np.clip(share, 0.0, 1.0)
    return pd.Series(np.where(start.isna() | due.isna(), np.nan, share), index=start.index, dtype="float64")


def planned_value(baseline: pd.Series, target: pd.Series, share: pd.Series) -> pd.Series:
    """The value the linear trajectory expects: ``baseline + share x (target - baseline)``."""
    return (baseline.astype("float64") + share * (target.astype("float64") - baseline.astype("float64"))).rename(
        "planned")


def realised_share(baseline: pd.Series, target: pd.Series, actual: pd.Series) -> pd.Series:
    """``(actual - baseline) / (target - baseline)``: the share of the planned change delivered (NaN when not
    measured or when target equals baseline)."""
    change = target.astype("float64") - baseline.astype("float64")
    return ((actual.astype("float64") - baseline.astype("float64")) / change.where(change != 0)).rename("realised")


def at_risk(realised: pd.Series, planned: pd.Series, tolerance: float = AT_RISK_TOLERANCE) -> pd.Series:
    """Measured, not yet achieved, and behind the trajectory by more than ``tolerance`` (in shares)."""
    known = realised.notna() & planned.notna()
    return (known & (realised < 1.0) & (realised < planned - tolerance - 1e-12)).astype(bool)


def register(benefits: pd.DataFrame, projects: pd.DataFrame, as_of: pd.Timestamp,
             tolerance: float = AT_RISK_TOLERANCE) -> pd.DataFrame:
    """Every benefit with its figures at ``as_of`` (the end of the reporting month, or a status date).

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``start`` (the trajectory's start), ``planned_share``, ``planned`` (value),
        ``realised_share``, ``gap`` (planned share - realised share), ``at_risk`` (bool) and ``status``
        (:data:`STATUSES`), in input order.
    """
    out = benefits.reset_index(drop=True).copy()
    if out.empty:
        for column in ("start", "planned_share", "planned", "realised_share", "gap"):
            out[column] = pd.Series(dtype="float64")
        return out.assign(at_risk=pd.Series(dtype=bool), status=pd.Series(dtype="object"))
    out["start"] = trajectory_start(out, projects)
    out["planned_share"] = planned_share(out["start"], out["target_date"], as_of)
    out["planned"] = planned_value(out["baseline"], out["target"], out["planned_share"])
    out["realised_share"] = realised_share(out["baseline"], out["target"], out["actual"])
    out["gap"] = out["planned_share"] - out["realised_share"]
    out["at_risk"] = at_risk(out["realised_share"], out["planned_share"], tolerance)
    out["status"] = np.select(
        [out["realised_share"].isna(), out["realised_share"] >= 1.0, out["at_risk"]],
        ["not measured", "achieved", "at risk"], default="on track").astype("object")
    return out


def rollup(reg: pd.DataFrame, by: str | None = "program_id") -> pd.DataFrame:
    """Counts and shares by value of a :func:`register`, per ``by`` (None: one row for all).

    Columns: ``n_benefits``, ``n_measured``, ``n_at_risk``, ``n_achieved``, ``unit`` (the one unit the group's
    benefits state, else None), and, over the measured benefits of one unit (or a single benefit),
    ``planned_pct`` and ``realised_pct``: the planned and delivered change summed in the measure's own unit over
    the total change targeted (each change taken in the direction of its target, so a reduction counts as a gain).
    A group whose units differ gets NaN and ``pct_na_reason`` :data:`MIXED_UNITS`.
    """
    r = reg.assign(_all="portfolio") if by is None else reg
    key = "_all" if by is None else by
    change = (r["target"].astype("float64") - r["baseline"].astype("float64"))
    direction = np.sign(change)
    measured = r["realised_share"].notna()
    parts = pd.DataFrame({
        key: r[key],
        "measured": measured,
        "risk": r["at_risk"].astype(bool),
        "achieved": r["status"].eq("achieved"),
        "unit": r["unit"].astype("object").where(r["unit"].notna(), None) if "unit" in r else None,
        "whole": change.abs().where(measured, 0.0),
        "gain": ((r["actual"].astype("float64") - r["baseline"].astype("float64")) * direction).where(measured, 0.0),
        "due": (r["planned_share"] * change.abs()).where(measured, 0.0),
    })
    rows = []
    for group, g in parts.groupby(key, sort=True):
        units = set(g["unit"].dropna())
        stated_alike = len(units) == 1 and g["unit"].notna().all()
        one_unit = stated_alike or len(g) == 1
        whole = float(g["whole"].sum())
        ok = one_unit and whole > 0
        rows.append({
            key: group, "n_benefits": len(g), "n_measured": int(g["measured"].sum()),
            "n_at_risk": int(g["risk"].sum()), "n_achieved": int(g["achieved"].sum()),
            "unit": next(iter(units)) if stated_alike else None,
            "planned_pct": float(g["due"].sum()) / whole if ok else np.nan,
            "realised_pct": float(g["gain"].sum()) / whole if ok else np.nan,
            "pct_na_reason": None if ok else (MIXED_UNITS if not one_unit else "no benefit measured yet"),
        })
    columns = [key, "n_benefits", "n_measured", "n_at_risk", "n_achieved", "unit", "planned_pct", "realised_pct",
               "pct_na_reason"]
    out = pd.DataFrame(rows, columns=columns)
    return out.drop(columns="_all") if by is None else out
