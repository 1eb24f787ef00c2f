"""Plumbing every chart builder shares: titles, the column check, the "no data" chart, JSON-safe frames, and the
chart classes that display through pmo-nb's own renderer whatever Altair renderer is active (:func:`pmo_chart`)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

import altair as alt
import pandas as pd

from pmo_nb.reporting.charts.theme import MUTED, WIDTH


class PmoChartMixin:
    """Displays through ``pmo_nb.reporting.display.chart_bundle`` (Vega-Lite + SVG, inline data, the pmo theme),
    never through the active Altair renderer, whose default loads Vega from a CDN."""

    def _repr_mimebundle_(self, *args: Any, **kwds: Any) -> Any:
        from pmo_nb.reporting import display  # display imports the charts package: import it late

        return display.chart_bundle(cast(alt.TopLevelMixin, self))


class PmoChart(PmoChartMixin, alt.Chart):
    """An ``alt.Chart`` shown by pmo-nb's renderer."""


class PmoLayerChart(PmoChartMixin, alt.LayerChart):
    """An ``alt.LayerChart`` shown by pmo-nb's renderer."""


class PmoVConcatChart(PmoChartMixin, alt.VConcatChart):
    """An ``alt.VConcatChart`` shown by pmo-nb's renderer."""


class PmoHConcatChart(PmoChartMixin, alt.HConcatChart):
    """An ``alt.HConcatChart`` shown by pmo-nb's renderer."""


class PmoConcatChart(PmoChartMixin, alt.ConcatChart):
    """An ``alt.ConcatChart`` shown by pmo-nb's renderer."""


class PmoFacetChart(PmoChartMixin, alt.FacetChart):
    """An ``alt.FacetChart`` shown by pmo-nb's renderer."""


class PmoRepeatChart(PmoChartMixin, alt.RepeatChart):
    """An ``alt.RepeatChart`` shown by pmo-nb's renderer."""


_PMO_CLASSES: dict[type, type] = {
    alt.Chart: PmoChart, alt.LayerChart: PmoLayerChart, alt.VConcatChart: PmoVConcatChart,
    alt.HConcatChart: PmoHConcatChart, alt.ConcatChart: PmoConcatChart, alt.FacetChart: PmoFacetChart,
    alt.RepeatChart: PmoRepeatChart,
}

C = TypeVar("C")


def pmo_chart(chart: C) -> C:
    """``chart`` re-classed so that it displays through pmo-nb's renderer (its copies, ``.properties()``,
    ``.interactive()``, ... keep the class); any other object is returned unchanged."""
    cls = _PMO_CLASSES.get(type(chart))
    if cls is not None:
        object.__setattr__(chart, "__class__", cls)  # SchemaBase.__setattr__ would store it as a property
    return chart


F = TypeVar("F", bound=Callable[..., Any])


def carries_renderer(builder: F) -> F:
    """Decorate a chart builder so that the chart it returns displays through pmo-nb's renderer."""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        return pmo_chart(builder(*args, **kwargs))

    return build  # type: ignore[return-value]


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


@carries_renderer
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
