"""Numbers, dates and months written for people: the single place for every display format.

Tables, KPI tiles, chart tooltips and the narrative all call these functions, so a figure reads the
same everywhere. Every function accepts a missing value (None, NaN, NaT, ``pd.NA``) and returns
``"n/a"`` for it, never raises on one.

==============================  ===================================
call                            result
==============================  ===================================
``money(1_234_000)``            ``"€1.2M"``
``money(450_000)``              ``"€450k"``
``money(-980, "USD")``          ``"-$980"``
``pct(0.1234)``                 ``"12.3%"`` (input is a fraction)
``ratio(0.8666)``               ``"0.87"``
``date("2026-11-14")``          ``"14 Nov 2026"``
``month("2026-10")``            ``"October 2026"``
``delta(0.031, kind="pct")``    ``"+3.1% ▲"``
==============================  ===================================
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import pandas as pd

from pmo_nb.contract import RAG_SEVERITY, RAG_WORST_FIRST
from pmo_nb.exceptions import PeriodError
from pmo_nb.periods import Period

NA = "n/a"

CURRENCY_SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}

UP = "▲"
DOWN = "▼"
FLAT = "►"



def is_missing(x: Any) -> bool:
    """True for None, NaN, NaT, ``pd.NA`` and empty or whitespace-only strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return not x.strip()
    try:
        missing = pd.isna(x)
    except (TypeError, ValueError):
        return False
    return missing if isinstance(missing, bool) else False


def number(x: Any) -> float | None:
    """``x`` as a finite float, or None when it is missing or not a finite number."""
    if is_missing(x) or isinstance(x, bool):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


RAG_KEYS: tuple[str, ...] = (*RAG_WORST_FIRST, NA)
"""The statuses a report can show, worst first, then "n/a" (no computed status: no data, or a closed project)."""


def rag_key(value: Any) -> str:
    """A RAG status in any case as "red", "amber" or "green"; anything else (missing, unknown) as "n/a"."""
    if is_missing(value):
        return NA
    key = str(value).strip().lower()
    return key if key in RAG_SEVERITY else NA


def rag_rank(statuses: pd.Series) -> pd.Series:
    """Sort key for reading order: red 0, amber 1, green 2, no status 3."""
    worst = max(RAG_SEVERITY.values())
    return statuses.map(lambda v: worst - RAG_SEVERITY[rag_key(v)] if rag_key(v) != NA else worst + 1)


def currency_symbol(currency: str) -> str:
    """Symbol for an ISO currency code ("EUR" -> "€"); unknown codes are written "CHF " style."""
    code = (currency or "").strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} " if code else "")


def _fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` places, halves rounded away from zero as people expect (1.25 -> 1.3)."""
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _trim(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def money(x: Any, currency: str = "EUR") -> str:
    """An amount, abbreviated: "€1.2M", "€450k", "€4.5k", "€980", "€2.3bn", "-€1.2M".

    Below 1,000 the amount is rounded to a whole unit; thousands get one decimal under 10k and none
    above; millions and billions one decimal (a trailing ".0" is dropped). A value that rounds up to
    the next unit moves to it (999,960 is "€1M", not "€1000k").

    Parameters
    ----------
    x:
        The amount; missing or non-finite gives "n/a".
    currency:
        ISO code; € $ £ ¥ ₹ have symbols, other codes are written before the number ("CHF 450k").
    """
    value = number(x)
    if value is None:
        return NA
    sign = "-" if value < 0 else ""
    a = abs(value)
    symbol = currency_symbol(currency)
    k, m = a / 1e3, a / 1e6
    if float(_fixed(a, 0)) < 1000:
        body = _fixed(a, 0)
    elif float(_fixed(k, 1)) < 10:
        body = _trim(_fixed(k, 1)) + "k"
    elif float(_fixed(k, 0)) < 1000:
        body = _fixed(k, 0) + "k"
    elif float(_fixed(m, 1)) < 1000:
        body = _trim(_fixed(m, 1)) + "M"
    else:
        body = _trim(_fixed(a / 1e9, 1)) + "bn"
    if body == "0":
        sign = ""
    return f"{sign}{symbol}{body}"


def money_full(x: Any, currency: str = "EUR") -> str:
    """An amount to the unit with thousands separators: "€1,234,567"."""
    value = number(x)
    if value is None:
        return NA
    whole = int(Decimal(_fixed(value, 0)))
    sign = "-" if whole < 0 else ""
    return f"{sign}{currency_symbol(currency)}{abs(whole):,d}"


def pct(x: Any, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.1234 -> "12.3%", -0.08 -> "-8.0%"."""
    value = number(x)
    if value is None:
        return NA
    text = _fixed(value * 100, decimals)
    if float(text) == 0:
        text = text.lstrip("-")
    return f"{text}%"


def ratio(x: Any, decimals: int = 2) -> str:
    """An index such as CPI or SPI: 0.8666 -> "0.87"."""
    value = number(x)
    if value is None:
        return NA
    text = _fixed(value, decimals)
    return text.lstrip("-") if float(text) == 0 else text


def integer(x: Any) -> str:
    """A count with thousands separators: 12345 -> "12,345"."""
    value = number(x)
    if value is None:
        return NA
    return f"{int(Decimal(_fixed(value, 0))):,d}"


def days(x: Any) -> str:
    """A number of days: 1 -> "1 day", 45 -> "45 days", -3 -> "-3 days"."""
    value = number(x)
    if value is None:
        return NA
    n = int(Decimal(_fixed(value, 0)))
    return f"{n:,d} day" if abs(n) == 1 else f"{n:,d} days"


def timestamp(d: Any) -> pd.Timestamp | None:
    if is_missing(d):
        return None
    if isinstance(d, pd.Period):
        return d.to_timestamp()
    try:
        ts = pd.Timestamp(d)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts


def date(d: Any) -> str:
    """A date as "14 Nov 2026" (accepts Timestamp, datetime, date or ISO text)."""
    ts = timestamp(d)
    if ts is None:
        return NA
    return f"{ts.day} {ts.strftime('%b')} {ts.year}"


def _period(p: Any) -> Period | None:
    try:
        return Period(p) if isinstance(p, str) else None
    except PeriodError:
        return None


def month(p: Any) -> str:
    """A month as "October 2026" (accepts "2026-10", a Period, a Timestamp or a date)."""
    period = _period(p)
    if period is not None:
        return period.label
    ts = timestamp(p)
    if ts is None:
        return NA
    return f"{ts.strftime('%B')} {ts.year}"


def month_short(p: Any) -> str:
    """A month as "Oct 2026" (axis labels)."""
    period = _period(p)
    ts = period.start if period is not None else timestamp(p)
    if ts is None:
        return NA
    return f"{ts.strftime('%b')} {ts.year}"


DeltaKind = Literal["money", "pct", "ratio", "int", "days", "points"]


def delta(
    x: Any,
    kind: DeltaKind = "ratio",
    *,
    currency: str = "EUR",
    arrow: bool = True,
) -> str:
    """A change with its sign and an arrow: "+0.05 ▲", "-€120k ▼", "0.00 ►".

    Parameters
    ----------
    x:
        The change (current - previous); missing gives "n/a".
    kind:
        How to write the magnitude: "money", "pct" (a fraction, 0.031 -> "+3.1%"), "points"
        (a fraction written as percentage points, 0.031 -> "+3.1 pts"), "ratio", "int" or "days".
    currency:
        For ``kind="money"``.
    arrow:
        Append ▲ (up), ▼ (down) or ► (no change). The arrow shows direction only: whether up is good
        depends on the metric, which the caller decides (see ``components.kpi_tiles``).
    """
    value = number(x)
    if value is None:
        return NA
    if kind == "money":
        body = money(abs(value), currency)
    elif kind == "pct":
        body = pct(abs(value))
    elif kind == "points":
        body = f"{_fixed(abs(value) * 100, 1)} pts"
    elif kind == "int":
        body = integer(abs(value))
    elif kind == "days":
        body = days(abs(value))
    else:
        body = ratio(abs(value))
    zero = not any(ch.isdigit() and ch != "0" for ch in body)
    sign = "" if zero else ("+" if value > 0 else "-")
    text = f"{sign}{body}"
    if arrow:
        text += " " + (FLAT if zero else UP if value > 0 else DOWN)
    return text


def direction(x: Any, *, higher_is_better: bool = True, tolerance: float = 0.0) -> str:
    """ "good", "bad" or "neutral" for a change, for tiles and arrows colouring."""
    value = number(x)
    if value is None or abs(value) <= tolerance:
        return "neutral"
    return "good" if (value > 0) == higher_is_better else "bad"
