"""Trend charts read from the history store: CPI and SPI(t), EAC against BAC, a RAG strip, milestone trend analysis
and open issues, month by month; a month recomputed from the source (no stored snapshot) is drawn hollow."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import is_empty, no_data, records, titled
from pmo_nb.reporting.charts.theme import MUTED, RAG_COLORS, RAG_KEYS, RAG_LABELS, WIDTH

__all__ = ["index_trend", "eac_trend", "rag_strip", "milestone_trend", "issue_trend", "RECOMPUTED_NOTE"]

RECOMPUTED_NOTE = "Hollow points: months recomputed from the source (no stored snapshot)."
INDEX_COLORS = {"CPI": "#1f5fa8", "SPI(t)": "#8e44ad"}
EAC_COLORS = {"BAC": "#7f7f7f", "EAC": "#c0392b", "EAC P80": "#e8833a"}


def _months(d: pd.DataFrame) -> list[str]:
    return sorted(set(d["period"].astype(str)))


def _lines(d: pd.DataFrame, y: alt.Y, colors: dict[str, str], series_title: str,
           tooltip: list[alt.Tooltip]) -> alt.LayerChart:
    months = _months(d)
    d = d.assign(month=d["period"].map(fmt.month_short), source=d["recomputed"].map(
        lambda r: "recomputed" if bool(r) else "stored"))
    data = records(d)
    x = alt.X("period:O", sort=months, title=None,
              axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.value, 2)"))
    scale = alt.Scale(domain=[k for k in colors if k in set(d["series"])],
                      range=[v for k, v in colors.items() if k in set(d["series"])])
    color = alt.Color("series:N", title=series_title, scale=scale,
                      legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=3))
    line = alt.Chart(data).mark_line().encode(x=x, y=y, color=color)
    # stroke, not color: Vega-Lite drops a point's color when it also has a fill (the hollow points were drawn
    # without an outline); the legend is the lines'
    points = alt.Chart(data).mark_point(size=45, strokeWidth=1.5).encode(
        x=x, y=y, stroke=alt.Stroke("series:N", scale=scale, legend=None),
        shape=alt.Shape("series:N", legend=None),
        fill=alt.condition("datum.source == 'stored'", alt.Color("series:N", legend=None, scale=scale),
                           alt.value("white")),
        tooltip=[alt.Tooltip("month:N", title="Month"), *tooltip, alt.Tooltip("source:N", title="Figures")])
    return alt.LayerChart(layer=[line, points])


def index_trend(df: pd.DataFrame, title: str | None = None, *, green: float = 0.95,
                amber: float = 0.90) -> alt.TopLevelMixin:
    """CPI and SPI(t) by month with the green and amber thresholds.

    Parameters
    ----------
    df:
        Tidy: ``period`` (``YYYY-MM``), ``series`` (``CPI`` or ``SPI(t)``), ``value``, ``recomputed`` (bool).
    """
    if is_empty(df, ["period", "series", "value", "recomputed"]) or df["value"].notna().sum() == 0:
        return no_data(title or "Cost and schedule indices by month", "No index history")
    d = df.dropna(subset=["value"]).assign(text=lambda f: f["value"].map(fmt.ratio))
    lo = min(float(d["value"].min()), amber) - 0.05
    hi = max(float(d["value"].max()), 1.0) + 0.05
    y = alt.Y("value:Q", title="Index", scale=alt.Scale(domain=[round(lo, 2), round(hi, 2)], nice=False))
    chart = _lines(d, y, INDEX_COLORS, "Index", [alt.Tooltip("series:N", title="Index"),
                                                 alt.Tooltip("text:N", title="Value")])
    rules = alt.Chart(pd.DataFrame({"value": [green, amber], "label": ["green", "amber"]})).mark_rule(
        strokeDash=[4, 3], color=MUTED).encode(y=y)
    return alt.layer(rules, chart).properties(
        width=WIDTH, height=190, title=titled(title or "Cost and schedule indices by month", RECOMPUTED_NOTE))


def eac_trend(df: pd.DataFrame, title: str | None = None, *, currency: str = "EUR") -> alt.TopLevelMixin:
    """EAC, its P80 and BAC by month.

    Parameters
    ----------
    df:
        Tidy: ``period``, ``series`` (``BAC``, ``EAC``, ``EAC P80``), ``value`` (money), ``recomputed``.
    """
    if is_empty(df, ["period", "series", "value", "recomputed"]) or df["value"].notna().sum() == 0:
        return no_data(title or "Forecast against budget by month", "No cost history")
    d = df.dropna(subset=["value"]).assign(text=lambda f: f["value"].map(lambda v: fmt.money(v, currency)))
    lo, hi = float(d["value"].min()), float(d["value"].max())
    pad = max((hi - lo) * 0.08, abs(hi) * 0.01)
    y = alt.Y("value:Q", title=currency, axis=alt.Axis(format="~s"),
              scale=alt.Scale(zero=False, domain=[lo - pad, hi + pad], nice=False))
    chart = _lines(d, y, EAC_COLORS, "Figure", [alt.Tooltip("series:N", title="Figure"),
                                                alt.Tooltip("text:N", title="Amount")])
    return chart.properties(width=WIDTH, height=190,
                            title=titled(title or "Forecast against budget by month", RECOMPUTED_NOTE))


def rag_strip(df: pd.DataFrame, title: str | None = None,
              note: str | list[str] | None = None) -> alt.TopLevelMixin:
    """One row per entity, one cell per month coloured by its computed RAG (with its letter, so colour is not
    needed to read it).

    Parameters
    ----------
    df:
        Tidy: ``name`` (the row label), ``period``, ``rag`` (``red``, ``amber``, ``green`` or missing),
        ``recomputed``; rows are drawn in the order of first appearance.
    note:
        A subtitle (what was left out of a large portfolio, :mod:`pmo_nb.reporting.scale`); None: none.
    """
    if is_empty(df, ["name", "period", "rag", "recomputed"]):
        return no_data(title or "Status by month", "No status history")
    d = df.assign(rag=df["rag"].where(df["rag"].isin(list(RAG_COLORS)), "n/a").astype("object"))
    d = d.assign(label=d["rag"].map(RAG_LABELS), letter=d["rag"].map(lambda r: "" if r == "n/a" else r[0].upper()),
                 month=d["period"].map(fmt.month_short),
                 source=d["recomputed"].map(lambda r: "recomputed" if bool(r) else "stored"))
    names = list(dict.fromkeys(d["name"].astype(str)))
    months = _months(d)
    keys = [k for k in RAG_KEYS if k in set(d["rag"])]
    data = records(d)
    x = alt.X("period:O", sort=months, title=None, axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.value, 2)"))
    y = alt.Y("name:N", sort=names, title=None)
    cells = alt.Chart(data).mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("label:N", title="Computed status",
                                  scale=alt.Scale(domain=[RAG_LABELS[k] for k in keys],
                                                  range=[RAG_COLORS[k] for k in keys])),
        tooltip=[alt.Tooltip("name:N", title="Name"), alt.Tooltip("month:N", title="Month"),
                 alt.Tooltip("label:N", title="Status"), alt.Tooltip("source:N", title="Figures")])
    letters = alt.Chart(data).mark_text(fontSize=10, color="white").encode(x=x, y=y, text="letter:N")
    return alt.layer(cells, letters).properties(
        width=WIDTH, height=max(40, 22 * len(names)),
        title=titled(title or "Status by month", note))


def milestone_trend(df: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """Milestone trend analysis: each key milestone's forecast date (y) as reported each month (x), with the
    diagonal on which a milestone is achieved; a line rising to the right is a milestone slipping.

    Parameters
    ----------
    df:
        Tidy: ``period`` (the reporting month), ``reported`` (its end, a date), ``milestone`` (label),
        ``forecast_date`` (date), ``achieved`` (bool: the date is an actual).
    """
    if is_empty(df, ["period", "reported", "milestone", "forecast_date", "achieved"]):
        return no_data(title or "Milestone trend analysis", "No key milestone history")
    d = df.assign(reported=pd.to_datetime(df["reported"]), forecast_date=pd.to_datetime(df["forecast_date"]))
    d = d.dropna(subset=["forecast_date"])
    if d.empty:
        return no_data(title or "Milestone trend analysis", "No key milestone history")
    d = d.assign(month=d["period"].map(fmt.month_short), date_text=d["forecast_date"].map(fmt.date),
                 state=d["achieved"].map(lambda a: "achieved" if bool(a) else "forecast"))
    lo = min(d["reported"].min(), d["forecast_date"].min())
    hi = max(d["reported"].max(), d["forecast_date"].max())
    data = records(d)
    x = alt.X("reported:T", title="Reporting month", scale=alt.Scale(domain=[lo.isoformat(), hi.isoformat()]),
              axis=alt.Axis(format="%b %y"))
    y = alt.Y("forecast_date:T", title="Forecast date", scale=alt.Scale(domain=[lo.isoformat(), hi.isoformat()]),
              axis=alt.Axis(format="%b %y"))
    diagonal = alt.Chart(records(pd.DataFrame({"reported": [lo, hi], "forecast_date": [lo, hi]}))).mark_line(
        color=MUTED, strokeDash=[4, 3]).encode(x=x, y=y)
    lines = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=40)).encode(
        x=x, y=y, color=alt.Color("milestone:N", title="Key milestone"),
        tooltip=[alt.Tooltip("milestone:N", title="Milestone"), alt.Tooltip("month:N", title="Reported in"),
                 alt.Tooltip("date_text:N", title="Date"), alt.Tooltip("state:N", title="")])
    return alt.layer(diagonal, lines).properties(
        width=WIDTH, height=300, title=titled(title or "Milestone trend analysis",
                                              "Dashed diagonal: a milestone reaching it is achieved."))


def issue_trend(df: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """Open issues at each month end.

    Parameters
    ----------
    df:
        Tidy: ``period``, ``series`` (e.g. ``Open issues``), ``value`` (count), ``recomputed``.
    """
    if is_empty(df, ["period", "series", "value", "recomputed"]) or df["value"].notna().sum() == 0:
        return no_data(title or "Open issues by month", "No issue history")
    d = df.dropna(subset=["value"]).assign(text=lambda f: f["value"].map(fmt.integer))
    y = alt.Y("value:Q", title="Open issues", axis=alt.Axis(tickMinStep=1))
    chart = _lines(d, y, {"Open issues": "#c0392b"}, "Issues", [alt.Tooltip("text:N", title="Open")])
    return chart.properties(width=WIDTH, height=150, title=titled(title or "Open issues by month", RECOMPUTED_NOTE))
