"""Kinds of figure and their one rounding rule: money, ratio, percentage, months, days or count.

A figure is stated with the decimals of its kind (:data:`DECIMALS`), halves rounded away from zero
(:func:`round_half_up`), wherever it appears (tables, tiles, sentences, chart titles, CSV): two places that
state a figure state the same text. Money written to data files (CSV) keeps the currency's minor unit
(:func:`minor_unit`). docs/kpis.md lists the kinds.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

__all__ = ["Kind", "KINDS", "DECIMALS", "MONEY", "RATIOS", "PERCENTS", "MONTHS", "DAYS", "kind_of",
           "round_half_up", "minor_unit", "data_decimals"]

Kind = Literal["money", "ratio", "percent", "months", "days", "count"]

MONEY: Final = frozenset({"bac", "pv", "ev", "ac", "cv", "sv", "eac", "eac_atypical", "eac_composite", "etc",
                          "vac", "emv_open", "emv", "cost_impact", "budget", "planned_value", "earned_value",
                          "actual_cost", "eac_p50", "eac_p80"})
RATIOS: Final = frozenset({"cpi", "spi", "spi_t", "tcpi", "tcpi_eac", "cpi_open", "spi_open", "spi_t_open"})
PERCENTS: Final = frozenset({"cv_pct", "sv_pct", "pct_complete", "pct_spent", "ms_on_time_rate", "compliance_pct",
                             "p_within_budget", "p_by_baseline"})
"""Fractions (0.125) stated as percentages (12.5%): the decimals are those of the percentage."""
MONTHS: Final = frozenset({"es", "at", "sv_t", "pd", "ieac_t"})
DAYS: Final = frozenset({"finish_slip_days", "slip_days", "age_days", "days_to_close", "ms_max_slip_days",
                         "issues_mean_days_to_close", "issues_oldest_open_days", "status_age_days"})

DECIMALS: Final[dict[str, int]] = {"money": 0, "ratio": 2, "percent": 1, "months": 1, "days": 0, "count": 0}
"""Decimals a figure of each kind is stated with (money in whole units; abbreviations such as 1.2M are the
report's, from the same rounding)."""

# ISO 4217 currencies whose minor unit is not the cent.
_MINOR_UNITS: Final[dict[str, int]] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
}


def kind_of(column: str) -> Kind:
    """The kind of a KPI column (``count`` for anything that is not money, a ratio, percentage, months or days)."""
    if column in MONEY:
        return "money"
    if column in RATIOS:
        return "ratio"
    if column in PERCENTS:
        return "percent"
    if column in MONTHS:
        return "months"
    if column in DAYS:
        return "days"
    return "count"


def minor_unit(currency: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217): 2 for EUR, 0 for JPY, 3 for KWD."""
    return _MINOR_UNITS.get(str(currency or "").strip().upper(), 2)


def data_decimals(column: str, currency: str) -> int | None:
    """Decimals a number of ``column`` is written with to a data file: money to the minor unit, other
    non-count figures to 6 places (enough to compare month on month, no binary noise); None: as is."""
    kind = kind_of(column)
    if column.startswith("measure_"):  # a PMO's measure (docs/guidelines.md): a count, share, sum or mean
        return 6
    if kind == "money":
        return minor_unit(currency)
    return 6 if kind != "count" else None


def round_half_up(value: float, decimals: int) -> float:
    """``value`` rounded to ``decimals`` places, halves away from zero (1.25 -> 1.3, 2.5 -> 3); NaN stays NaN."""
    if value is None or not math.isfinite(value):
        return value
    try:
        quantum = Decimal(1).scaleb(-decimals)
        return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
    except InvalidOperation:  # too many digits for the context: the float is already that precise
        return float(value)


KINDS: Final[tuple[Kind, ...]] = ("money", "ratio", "percent", "months", "days", "count")
