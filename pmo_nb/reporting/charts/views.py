"""Portfolio views and benefits: the roadmap (baseline bar against forecast bar per project, a status-date line), the
compliance trend per program, and each benefit's realised share against its planned share."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import carries_renderer, is_empty, no_data, records, titled
from pmo_nb.reporting.charts.theme import MUTED, RAG_COLORS, RAG_KEYS, RAG_LABELS, WIDTH

__all__ = ["roadmap", "compliance_trend", "benefit_progress", "BENEFIT_STATUS_COLORS"]

BENEFIT_STATUS_COLORS = {"at risk": RAG_COLORS["red"], "not measured": RAG_COLORS["n/a"],
                         "on track": RAG_COLORS["green"], "achieved": "#1f5fa8"}
LABEL_WIDTH = 260  # the project labels' column
ROADMAP_WIDTH = 900  # labels and bars: wide, so that a tall roadmap scaled to the page height still reads
NOT_RATED = "Not rated"
HOLLOW_NOTE = "Hollow points: months recomputed from the source (no stored snapshot)."
NOT_RATED_COLOR = "#8c8c8c"  # darker than the baseline bar it is drawn on


@carries_renderer
def roadmap(df: pd.DataFrame, status_date: Any = None, title: str | None = None,
            note: str | None = None, *, by_program: bool = True) -> alt.TopLevelMixin:
    """Projects per program on one time axis: the baseline bar (light, wide) and the forecast bar (narrow, by
    computed RAG) from the baseline start, and a dashed line at the status date.

    Parameters
    ----------
    df:
        :func:`pmo_nb.metrics.roadmap.roadmap_rows`: ``program``, ``project``, ``rag``, ``start``,
        ``baseline_finish``, ``forecast_finish``, ``delay_days``.
    status_date:
        The status (data) date, drawn as a labelled rule; None draws none.
    note:
        A first subtitle line (what was left out of a large portfolio, :mod:`pmo_nb.reporting.scale`).
    by_program:
        One block of rows per program (the default); False: one list in the frame's order, each row labelled
        "project (program)" (a selection across many programs, where a block per program would be one row each).
    """
    cols = ["program", "project", "rag", "start", "baseline_finish", "forecast_finish", "delay_days"]
    if is_empty(df, cols):
        return no_data(title or "Roadmap", "No projects")
    d = df[cols].dropna(subset=["start", "baseline_finish"]).copy()
    if d.empty:
        return no_data(title or "Roadmap", "No projects with baseline dates")
    d["rag"] = d["rag"].where(d["rag"].isin(list(RAG_COLORS)), "n/a").astype("object")
    d["status"] = d["rag"].map(lambda r: NOT_RATED if r == "n/a" else RAG_LABELS[r])
    d["order"] = range(len(d))
    d["baseline_text"] = d["baseline_finish"].map(fmt.date)
    d["forecast_text"] = d["forecast_finish"].map(fmt.date)
    d["delay_text"] = d["delay_days"].map(lambda v: fmt.delta(v, "days", arrow=False))
    end = fmt.timestamp(status_date)
    d["status_date"] = end.strftime("%Y-%m-%d") if end is not None else None
    d["first"] = ~d["program"].duplicated() if by_program else d["order"].eq(0)
    if not by_program:
        d["project"] = d["project"].astype(str) + " (" + d["program"].astype(str) + ")"
    if "project_id" in df:  # a row per project: two projects of one name (in one program) each keep theirs
        same = d.duplicated(["program", "project"], keep=False) if by_program else d["project"].duplicated(keep=False)
        d.loc[same, "project"] = d.loc[same, "project"].astype(str) + " [" + df.loc[d.index[same], "project_id"].astype(
            str) + "]"
    programs = list(dict.fromkeys(d["program"]))
    keys = [k for k in RAG_KEYS if k in set(d["rag"])]
    utc = alt.Scale(type="utc", padding=6)
    axis = alt.Axis(format="%b %Y", labelAngle=0, title=None, labelOverlap=True)
    y = alt.Y("project:N", sort=alt.EncodingSortField("order", op="min"), title=None,
              axis=alt.Axis(labelLimit=LABEL_WIDTH - 10))
    tooltip = [alt.Tooltip("program:N", title="Program"), alt.Tooltip("project:N", title="Project"),
               alt.Tooltip("status:N", title="Computed status"),
               alt.Tooltip("baseline_text:N", title="Baseline finish"),
               alt.Tooltip("forecast_text:N", title="Forecast finish"), alt.Tooltip("delay_text:N", title="Delay")]
    base = alt.Chart()
    baseline = base.mark_bar(color="#cfd8e3", height=10).encode(
        x=alt.X("start:T", scale=utc, axis=axis), x2="baseline_finish:T", y=y, tooltip=tooltip)
    forecast = base.mark_bar(height=4).encode(
        x=alt.X("start:T", scale=utc, axis=axis), x2="forecast_finish:T", y=y, tooltip=tooltip,
        color=alt.Color("status:N", title="Computed status", legend=alt.Legend(orient="top", labelLimit=200),
                        scale=alt.Scale(domain=[NOT_RATED if k == "n/a" else RAG_LABELS[k] for k in keys],
                                        range=[NOT_RATED_COLOR if k == "n/a" else RAG_COLORS[k] for k in keys])))
    layers: list[alt.Chart] = [baseline, forecast]
    sub = [*([note] if note else []),
           "Open projects; light bar: baseline start to baseline finish; narrow bar: to the forecast finish"]
    if end is not None:
        sub.append(f"Dashed line: status date, {fmt.date(end)}")
        layers.append(base.transform_filter("datum.first").mark_rule(color="#1f5fa8", strokeDash=[6, 3],
                                                                    strokeWidth=1.5)
                      .encode(x=alt.X("status_date:T", scale=utc, axis=axis)))
    chart_title = titled(title or "Roadmap: baseline against forecast", sub)
    if not by_program:
        return (alt.layer(*layers, data=records(d))
                .properties(width=ROADMAP_WIDTH - LABEL_WIDTH, height=alt.Step(13), title=chart_title))
    header = alt.Header(title=None, labelAngle=0, labelOrient="top", labelAnchor="start", labelAlign="left",
                        labelFontWeight="bold", labelFontSize=12, labelPadding=3)
    return (alt.layer(*layers, data=records(d))
            .properties(width=ROADMAP_WIDTH - LABEL_WIDTH, height=alt.Step(13))
            .facet(row=alt.Row("program:N", sort=programs, header=header), spacing=2)
            .resolve_scale(y="independent")
            .properties(title=chart_title))


@carries_renderer
def compliance_trend(df: pd.DataFrame, title: str | None = None, note: str | None = None) -> alt.TopLevelMixin:
    """Each program's compliance (share of applicable guidelines met) by month; recomputed months hollow.

    Parameters
    ----------
    df:
        Tidy: ``period`` (``YYYY-MM``), ``program`` (name), ``value`` (a fraction), ``recomputed`` (bool).
    note:
        A first subtitle line (what was left out of a large portfolio, :mod:`pmo_nb.reporting.scale`).
    """
    if is_empty(df, ["period", "program", "value", "recomputed"]) or df["value"].notna().sum() == 0:
        return no_data(title or "Compliance by month", "No compliance history")
    d = df.dropna(subset=["value"]).assign(
        month=lambda f: f["period"].map(fmt.month_short), text=lambda f: f["value"].map(fmt.pct),
        source=lambda f: f["recomputed"].map(lambda r: "recomputed" if bool(r) else "stored"))
    months = sorted(set(d["period"].astype(str)))
    data = records(d)
    x = alt.X("period:O", sort=months, title=None, axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.value, 2)"))
    lo = max(0.0, min(float(d["value"].min()) - 0.05, 0.8))
    y = alt.Y("value:Q", title="Compliance", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[round(lo, 2), 1.0], nice=False))
    legend = alt.Legend(orient="bottom", direction="horizontal", columns=3, labelLimit=260)
    color = alt.Color("program:N", title="Program", legend=legend)
    tooltip = [alt.Tooltip("program:N", title="Program"), alt.Tooltip("month:N", title="Month"),
               alt.Tooltip("text:N", title="Compliance"), alt.Tooltip("source:N", title="Figures")]
    line = alt.Chart(data).mark_line().encode(x=x, y=y, color=color)
    points = alt.Chart(data).mark_point(size=40, strokeWidth=1.5).encode(
        x=x, y=y, stroke=alt.Stroke("program:N", title="Program", legend=legend),  # (a color would be dropped)
        fill=alt.condition("datum.source == 'stored'", alt.Color("program:N", legend=None), alt.value("white")),
        tooltip=tooltip)
    return alt.layer(line, points).properties(
        width=WIDTH, height=190,
        title=titled(title or "Compliance by month",
                     [note, HOLLOW_NOTE] if note else HOLLOW_NOTE))


@carries_renderer
def benefit_progress(df: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """Each benefit's realised share of its planned change (bar, by status) against the share planned by now
    (black tick), 100% being the target.

    Parameters
    ----------
    df:
        ``label`` (the benefit), ``planned_share``, ``realised_share`` (fractions, NaN when not measured),
        ``status`` (``pmo_nb.metrics.benefits.STATUSES``).
    """
    if is_empty(df, ["label", "planned_share", "realised_share", "status"]):
        return no_data(title or "Benefits realised", "No benefits recorded")
    d = df.assign(realised_bar=df["realised_share"].clip(lower=0.0, upper=1.5).fillna(0.0),
                  realised_text=df["realised_share"].map(fmt.pct), planned_text=df["planned_share"].map(fmt.pct),
                  order=range(len(df)))
    statuses = [s for s in BENEFIT_STATUS_COLORS if s in set(d["status"])]
    data = records(d)
    y = alt.Y("label:N", sort=alt.EncodingSortField("order", op="min"), title=None, axis=alt.Axis(labelLimit=340))
    x = alt.X("realised_bar:Q", title="Share of the planned change (100% = target)", axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, max(1.0, float(d["realised_bar"].max()))], nice=False))
    tooltip = [alt.Tooltip("label:N", title="Benefit"), alt.Tooltip("status:N", title="Status"),
               alt.Tooltip("realised_text:N", title="Realised"), alt.Tooltip("planned_text:N", title="Planned by now")]
    bars = alt.Chart(data).mark_bar(height=12).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", title="Status",
                        scale=alt.Scale(domain=statuses, range=[BENEFIT_STATUS_COLORS[s] for s in statuses])))
    ticks = alt.Chart(data).mark_tick(color="#222222", thickness=2, size=18).encode(
        x=alt.X("planned_share:Q"), y=y, tooltip=tooltip)
    target = alt.Chart(pd.DataFrame({"v": [1.0]})).mark_rule(color=MUTED, strokeDash=[4, 3]).encode(x="v:Q")
    return alt.layer(bars, ticks, target).properties(
        width=WIDTH - 340, height=alt.Step(24),
        title=titled(title or "Benefits realised against plan",
                     "Bar: share of the change delivered; black tick: share planned by now; dashed: target"))
