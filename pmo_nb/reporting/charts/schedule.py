"""Schedule charts: the milestone timeline (baseline, forecast or actual, slip)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import carries_renderer, date_series, is_empty, no_data, records, titled
from pmo_nb.reporting.charts.theme import (
    MILESTONE_STATUS_COLORS,
    MILESTONE_STATUS_LABELS,
    MILESTONE_STATUS_ORDER,
    MILESTONE_STATUS_SHAPES,
    TEXT_COLOR,
    WIDTH,
)
from pmo_nb.reporting.narrative import milestone_finding


@carries_renderer
def milestone_timeline(
    df: pd.DataFrame,
    period_end: Any = None,
    title: str | None = None,
) -> alt.TopLevelMixin:
    """Milestones on a time axis: baseline (hollow), current date (filled, by status), slip between.

    One panel per project (its name as the panel header), milestones in baseline order.

    Parameters
    ----------
    df:
        Columns ``project``, ``milestone``, ``baseline_date``, ``current_date`` (actual, or forecast,
        or baseline), ``status`` (``schedule.milestone_status`` values), ``slip_days``.
    period_end:
        The end of the reporting month, drawn as a labelled vertical rule; None draws none.
    """
    cols = ["project", "milestone", "baseline_date", "current_date", "status", "slip_days"]
    if is_empty(df, cols):
        return no_data(title or "Milestones", "No milestones recorded")
    d = df[cols].copy()
    d["baseline_date"] = date_series(d["baseline_date"])
    d["current_date"] = date_series(d["current_date"]).fillna(d["baseline_date"])
    d = d.dropna(subset=["baseline_date"])
    if d.empty:
        return no_data(title or "Milestones", "No milestones with a baseline date")
    d["project"] = d["project"].astype("object").map(lambda v: "" if fmt.is_missing(v) else str(v))
    d["milestone"] = d["milestone"].astype("object").map(lambda v: "" if fmt.is_missing(v) else str(v))
    d["slip_days"] = pd.to_numeric(d["slip_days"], errors="coerce")
    d["status"] = d["status"].astype("object").map(lambda v: "future" if fmt.is_missing(v) else str(v))
    d = d.sort_values(["project", "baseline_date", "milestone", "current_date"], kind="stable")
    if title is None:
        title = milestone_finding(d)
    # Within a project, one row per milestone, in baseline order (date added to repeated names).
    d["row"] = d["milestone"]
    dup = d.duplicated(["project", "row"], keep=False)
    if dup.any():
        d.loc[dup, "row"] = d.loc[dup, "row"] + " (" + d.loc[dup, "baseline_date"].dt.strftime("%Y-%m-%d") + ")"
    d["order"] = d.groupby("project", sort=False).cumcount()
    d["first"] = d["order"] == 0
    projects = list(dict.fromkeys(d["project"]))
    d["status_label"] = d["status"].map(lambda s: MILESTONE_STATUS_LABELS.get(s, s.replace("_", " ")))
    d["baseline_text"] = d["baseline_date"].map(fmt.date)
    d["current_text"] = d["current_date"].map(fmt.date)
    d["slip_text"] = d["slip_days"].map(lambda v: fmt.delta(v, "days", arrow=False))
    d["slip_label"] = d["slip_days"].map(lambda v: f"+{v:.0f}d" if v is not None and v > 0 else "")
    end = fmt.timestamp(period_end)
    d["period_end"] = end.strftime("%Y-%m-%d") if end is not None else None
    present = [s for s in MILESTONE_STATUS_ORDER if s in set(d["status"])]
    present += sorted(set(d["status"]) - set(present))
    domain = [MILESTONE_STATUS_LABELS.get(s, s.replace("_", " ")) for s in present]
    colors = [MILESTONE_STATUS_COLORS.get(s, "#a6a6a6") for s in present]
    shapes = [MILESTONE_STATUS_SHAPES.get(s, "square") for s in present]
    data = records(d)

    # UTC throughout: the dates are calendar dates, so no viewer's time zone may shift them a day.
    utc = alt.Scale(type="utc", padding=16)
    axis = alt.Axis(format="%b %Y", labelAngle=0, title=None, labelOverlap=True)
    y = alt.Y(
        "row:N",
        sort=alt.EncodingSortField("order", op="min"),
        title=None,
        axis=alt.Axis(labelLimit=240),
    )
    tooltip = [
        alt.Tooltip("project:N", title="Project"),
        alt.Tooltip("milestone:N", title="Milestone"),
        alt.Tooltip("status_label:N", title="Status"),
        alt.Tooltip("baseline_text:N", title="Baseline"),
        alt.Tooltip("current_text:N", title="Actual/forecast"),
        alt.Tooltip("slip_text:N", title="Slip"),
    ]
    base = alt.Chart()
    slip = base.mark_rule(strokeWidth=3, color="#9a9a9a").encode(
        x=alt.X("baseline_date:T", scale=utc, axis=axis), x2="current_date:T", y=y, tooltip=tooltip
    )
    baseline = base.mark_point(shape="circle", filled=False, size=90, color="#444444", strokeWidth=1.5).encode(
        x=alt.X("baseline_date:T", scale=utc, axis=axis), y=y, tooltip=tooltip
    )
    current = base.mark_point(filled=True, size=110, stroke="#333333", strokeWidth=0.6, opacity=1).encode(
        x=alt.X("current_date:T", scale=utc, axis=axis),
        y=y,
        color=alt.Color("status_label:N", title="Status", scale=alt.Scale(domain=domain, range=colors)),
        shape=alt.Shape("status_label:N", title="Status", scale=alt.Scale(domain=domain, range=shapes)),
        tooltip=tooltip,
    )
    slip_text = base.mark_text(align="left", dx=9, fontSize=11, color=TEXT_COLOR).encode(
        x=alt.X("current_date:T", scale=utc, axis=axis), y=y, text="slip_label:N"
    )
    layers: list[alt.Chart] = [slip, baseline, current, slip_text]
    sub = ["Hollow circle: baseline date; filled mark: actual or forecast date; grey bar: slip"]
    if end is not None:
        sub.append(f"Dashed blue line: end of the reporting period, {fmt.date(end)}")
        layers.append(
            base.transform_filter("datum.first")
            .mark_rule(color="#1f5fa8", strokeDash=[6, 3], strokeWidth=1.5)
            .encode(x=alt.X("period_end:T", scale=utc, axis=axis))
        )
    header = alt.Header(
        title=None,
        labelAngle=0,
        labelOrient="top",
        labelAnchor="start",
        labelAlign="left",
        labelFontWeight="bold",
        labelFontSize=12,
        labelPadding=4,
    )
    return (
        alt.layer(*layers, data=data)
        .properties(width=WIDTH - 240, height=alt.Step(22))
        .facet(row=alt.Row("project:N", sort=projects, header=header), spacing=6)
        .resolve_scale(y="independent")
        .properties(title=titled(title, sub))
    )
