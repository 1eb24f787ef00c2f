"""Plumbing every chart builder shares: titles, the column check, the "no data" chart and JSON-safe frames."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import pandas as pd

from pmo_nb.reporting.charts.theme import MUTED, WIDTH


def titled(text: str, subtitle: str | Sequence[str] | None = None) -> alt.TitleParams:
    if subtitle:
        return alt.TitleParams(text=text, subtitle=subtitle)
    return alt.TitleParams(text=text)


def is_empty(df: pd.DataFrame | None, columns: Iterable[str]) -> bool:
    if df is None or len(df) == 0:
        return True
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(
            f"chart data is missing column(s) {missing}; got {list(df.columns)}. "
            "Pass the KPI engine's tidy frame for this chart (see docs/kpis.md)."
        )
    return False


def no_data(title: str = "No data", message: str = "No data") -> alt.Chart:
    """A small placeholder chart saying there is nothing to show."""
    data = pd.DataFrame({"message": [message]})
    return (
        alt.Chart(data, title=titled(title))
        .mark_text(fontSize=14, color=MUTED)
        .encode(text="message:N")
        .properties(width=WIDTH, height=60)
    )


def records(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with plain object/float columns (pandas 3 string and nullable dtypes serialise badly)."""
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("object")
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d").astype("object").where(s.notna(), None)
        else:
            out[col] = s.astype("object").where(s.notna(), None)
    return out


def period_text(p: Any) -> str:
    if isinstance(p, pd.Period):
        return p.strftime("%Y-%m")
    if isinstance(p, pd.Timestamp):
        return p.strftime("%Y-%m")
    return str(p)


def date_series(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


def round_out(value: float, step: float) -> float:
    return math.floor(value / step) * step if value < 0 else math.ceil(value / step) * step
