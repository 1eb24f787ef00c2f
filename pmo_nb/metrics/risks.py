"""The risk register as of a reporting month: open risks, score, band, EMV, overdue responses, heat map, trend.

:func:`risk_register` gives each risk raised by the month end its standing; :func:`risk_summary` counts per project
or program; :func:`heatmap_counts`, :func:`top_risks` and :func:`exposure_trend` feed the reports. Bands and the
probability scale come from ``[risks]`` in pmo.toml; docs/kpis.md defines each figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.config import Config
from pmo_nb.exceptions import DataValidationError, Finding
from pmo_nb.metrics.frames import as_dates, group_key, require_columns
from pmo_nb.periods import Period

SUMMARY_COLUMNS = (
    "risks_open",
    "risks_critical_open",
    "risks_high_open",
    "risks_overdue",
    "emv_open",
    "risks_raised",
    "risks_closed",
)

_REQUIRED = ("risk_id", "project_id", "probability", "impact", "raised_date")


def _band_table(config: Config) -> np.ndarray:
    """Band name for each score 0..25 (index = score), from the config's bands ('' where none)."""
    table = np.full(26, "", dtype=object)
    for name, (lo, hi) in config.risks.bands.items():
        table[lo : hi + 1] = name
    return table


def _levels(risks: pd.DataFrame, column: str) -> np.ndarray:
    """Probability or impact as int64, raising ``DataValidationError`` for anything not 1-5."""
    values = pd.to_numeric(risks[column], errors="coerce")
    bad = ~values.isin([1, 2, 3, 4, 5]).to_numpy(dtype=bool)
    if bad.any():
        findings = [
            Finding("risks", "risks", int(i) + 2, column, risks[column].iloc[i],
                    f"must be a whole number from 1 to 5 (risk_id {risks['risk_id'].iloc[i]!r})")
            for i in np.flatnonzero(bad)
        ]
        raise DataValidationError(findings, source="risks")
    return values.to_numpy(dtype="int64")


def _scored(risks: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Score, band, EMV and cost_missing for every row of ``risks`` (no filtering)."""
    probability = _levels(risks, "probability")
    impact = _levels(risks, "impact")
    score = probability * impact
    band = _band_table(config)[score]
    if (band == "").any():
        i = int(np.flatnonzero(band == "")[0])
        raise DataValidationError(
            [Finding("risks", "risks", i + 2, "probability", int(score[i]),
                     "score falls in no band of [risks].bands in pmo.toml: give every score 1-25 a band")],
            source="risks",
        )
    scale = np.zeros(6)
    for level, fraction in config.risks.probability_scale.items():
        scale[int(level)] = fraction
    if "cost_impact" in risks.columns:
        cost = pd.to_numeric(risks["cost_impact"], errors="coerce").to_numpy(dtype="float64")
    else:
        cost = np.full(len(risks), np.nan)
    cost_missing = np.isnan(cost)
    emv = np.where(cost_missing, 0.0, scale[probability] * np.nan_to_num(cost))
    return pd.DataFrame(
        {"score": score, "band": band, "emv": emv, "cost_missing": cost_missing}, index=risks.index
    )


def risk_register(risks: pd.DataFrame, period: str | Period, config: Config | None = None) -> pd.DataFrame:
    """Every risk raised by the end of ``period``, with its standing at that date.

    Parameters
    ----------
    risks:
        The risks table.
    period:
        The reporting month, ``YYYY-MM``.
    config:
        Bands and probability scale come from ``config.risks`` (defaults when None).

    Returns
    -------
    pandas.DataFrame
        One row per risk with ``raised_date <= end(M)``, in input order, index reset: the input
        columns plus ``open``, ``score`` (int), ``band``, ``emv`` (float), ``cost_missing``,
        ``response_overdue``, ``raised_in_month`` and ``closed_in_month`` (bool).
    """
    config = config or Config()
    start, end = Period(period).start, Period(period).end
    require_columns(risks, "risks", _REQUIRED)
    raised = as_dates(risks, "risks", "raised_date", "risk_id")
    keep = (raised <= end).to_numpy(dtype=bool)
    derived = ["open", "score", "band", "emv", "cost_missing", "response_overdue", "raised_in_month",
               "closed_in_month"]
    out = risks.loc[keep].drop(columns=derived, errors="ignore").reset_index(drop=True)
    raised = raised.loc[keep].reset_index(drop=True)
    closed = as_dates(out, "risks", "closed_date", "risk_id")
    due = as_dates(out, "risks", "response_due", "risk_id")
    is_open = (closed.isna() | (closed > end)).to_numpy(dtype=bool)
    out = pd.concat([out, _scored(out, config)], axis=1)
    out["open"] = is_open
    out["response_overdue"] = is_open & (due <= end).to_numpy(dtype=bool)
    out["raised_in_month"] = (raised >= start).to_numpy(dtype=bool)
    out["closed_in_month"] = ((closed >= start) & (closed <= end)).to_numpy(dtype=bool)
    out.attrs["risk_bands"] = dict(config.risks.bands)
    return out


def risk_summary(
    register: pd.DataFrame, by: str = "project_id", *, projects: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Risk counts and open EMV per ``by`` (a project, or a program with ``by="program_id"``).

    Parameters
    ----------
    register:
        Output of :func:`risk_register`.
    by:
        Column to group by; ``"program_id"`` works when the register has it or ``projects`` is given.
    projects:
        The projects table, used to map ``project_id`` to ``by`` when the register lacks it.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by`` (groups with risks, sorted): ``risks_open, risks_critical_open,
        risks_high_open, risks_overdue`` (int), ``emv_open`` (float, sum of open risks' EMV),
        ``risks_raised, risks_closed`` (int, in the month).
    """
    is_open = register["open"].astype(bool)
    frame = pd.DataFrame(
        {
            "risks_open": is_open.astype(int),
            "risks_critical_open": (is_open & register["band"].eq("critical")).astype(int),
            "risks_high_open": (is_open & register["band"].eq("high")).astype(int),
            "risks_overdue": register["response_overdue"].astype(int),
            "emv_open": register["emv"].where(is_open, 0.0).astype("float64"),
            "risks_raised": register["raised_in_month"].astype(int),
            "risks_closed": register["closed_in_month"].astype(int),
        },
        index=register.index,
    )
    frame[by] = group_key(register, by, projects).to_numpy()
    out = frame.groupby(by, sort=True).sum()
    counts = [c for c in SUMMARY_COLUMNS if c != "emv_open"]
    out[counts] = out[counts].astype("int64")
    out["emv_open"] = out["emv_open"].astype("float64")
    out.index.name = by
    return out[list(SUMMARY_COLUMNS)]


def heatmap_counts(register: pd.DataFrame, config: Config | None = None) -> pd.DataFrame:
    """Open risks counted on the 5 x 5 probability x impact grid, every cell present.

    Parameters
    ----------
    register:
        Output of :func:`risk_register`.
    config:
        Names the band of each cell; when None, the bands the register was built with (kept in
        ``register.attrs["risk_bands"]``) or else the defaults.

    Returns
    -------
    pandas.DataFrame
        25 rows ordered by probability then impact: ``probability, impact, score, band, count``.
    """
    if config is None:
        bands = register.attrs.get("risk_bands")
        config = Config()
        if bands:
            from dataclasses import replace

            config = replace(config, risks=replace(config.risks, bands=dict(bands)))
    grid = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["probability", "impact"])
    open_risks = register.loc[register["open"].astype(bool)]
    counts = (
        pd.DataFrame(
            {
                "probability": pd.to_numeric(open_risks["probability"]).astype("int64"),
                "impact": pd.to_numeric(open_risks["impact"]).astype("int64"),
            }
        )
        .value_counts()
        .reindex(grid, fill_value=0)
    )
    out = counts.rename("count").reset_index()
    out["score"] = out["probability"] * out["impact"]
    out["band"] = _band_table(config)[out["score"].to_numpy()]
    out["count"] = out["count"].astype("int64")
    return out[["probability", "impact", "score", "band", "count"]]


def top_risks(register: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` open risks with the highest score, then EMV, then lowest ``risk_id`` (index reset)."""
    open_risks = register.loc[register["open"].astype(bool)]
    ordered = open_risks.sort_values(
        ["score", "emv", "risk_id"], ascending=[False, False, True], kind="mergesort"
    )
    return ordered.head(n).reset_index(drop=True)


def exposure_trend(
    risks: pd.DataFrame, periods: list[str], config: Config | None = None, by: str | None = None
) -> pd.DataFrame:
    """Open-risk exposure at the end of each month of ``periods``.

    Each risk is open over a contiguous run of months (from the first month whose end is on or after
    ``raised_date`` up to the last month whose end is before ``closed_date``), so the trend is built
    from interval start/stop markers and a cumulative sum: no loop over risks or months.

    Parameters
    ----------
    risks:
        The risks table (not the register: the register is for one month).
    periods:
        Months ``YYYY-MM``; output is in sorted order, duplicates dropped.
    config:
        Bands and probability scale (defaults when None).
    by:
        Optional column to split by (e.g. ``"project_id"``, or ``"program_id"`` when merged in).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``period, [by], open_risks, critical_open`` (int), ``emv_open, score_open`` (float),
        one row per month (and group present in ``risks``), zeros included.
    """
    config = config or Config()
    months = sorted({str(p) for p in periods})
    ends = np.array([Period(p).end for p in months], dtype="datetime64[ns]")
    require_columns(risks, "risks", _REQUIRED)
    if by is not None:
        require_columns(risks, "risks", (by,))
    raised = as_dates(risks, "risks", "raised_date", "risk_id").to_numpy(dtype="datetime64[ns]")
    closed = as_dates(risks, "risks", "closed_date", "risk_id").to_numpy(dtype="datetime64[ns]")
    scored = _scored(risks, config)

    # Month indices [first, stop) during which each risk is open.
    first = np.searchsorted(ends, raised, side="left")
    stop = np.where(np.isnat(closed), len(months), np.searchsorted(ends, closed, side="left"))
    stop = np.maximum(stop, first)

    if by is None:
        codes = np.zeros(len(risks), dtype="int64")
        groups: list[object] = []
        n_groups = 1
    else:
        codes, uniques = pd.factorize(risks[by], sort=True)
        groups = list(uniques)
        n_groups = len(groups)
        valid = codes >= 0
        codes, first, stop, scored = codes[valid], first[valid], stop[valid], scored.loc[valid]

    values = {
        "open_risks": np.ones(len(codes)),
        "critical_open": scored["band"].eq("critical").to_numpy(dtype="float64"),
        "emv_open": scored["emv"].to_numpy(dtype="float64"),
        "score_open": scored["score"].to_numpy(dtype="float64"),
    }
    n = len(months)
    columns: dict[str, np.ndarray] = {}
    for name, v in values.items():
        marks = np.zeros((n_groups, n + 1))
        np.add.at(marks, (codes, first), v)
        np.add.at(marks, (codes, stop), -v)
        columns[name] = np.cumsum(marks, axis=1)[:, :n].reshape(-1)

    out = pd.DataFrame({"period": np.tile(np.array(months, dtype=object), n_groups)})
    if by is not None:
        out[by] = np.repeat(np.array(groups, dtype=object), n)
    out["open_risks"] = np.rint(columns["open_risks"]).astype("int64")
    out["critical_open"] = np.rint(columns["critical_open"]).astype("int64")
    # Rounded to 1e-6 so that +x then -x markers leave an exact 0 (money never needs more precision).
    out["emv_open"] = np.round(columns["emv_open"], 6) + 0.0
    out["score_open"] = columns["score_open"]
    return out
