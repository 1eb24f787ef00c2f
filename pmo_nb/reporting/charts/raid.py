"""Risk and issue charts: the probability/impact heat map, the exposure trend, issues by severity and by age."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import carries_renderer, is_empty, no_data, period_text, records, titled
from pmo_nb.reporting.charts.theme import (
    AGEING_BUCKETS,
    BAND_COLORS,
    BAND_ORDER,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    TEXT_COLOR,
    WIDTH,
)
from pmo_nb.reporting.narrative import ageing_finding, exposure_finding, issues_finding, risk_finding


@carries_renderer
def risk_heatmap(df: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """The 5 x 5 probability/impact grid of open risks: cell colour by band, the count in each cell.

    Parameters
    ----------
    df:
        Columns ``probability`` (1-5), ``impact`` (1-5), ``count``, ``band`` (``risks.heatmap_counts``,
        25 rows); missing cells are drawn empty with a zero.
    """
    if is_empty(df, ["probability", "impact", "count", "band"]):
        return no_data(title or "Open risks by probability and impact", "No risks recorded")
    d = df[["probability", "impact", "count", "band"]].copy()
    d["probability"] = pd.to_numeric(d["probability"], errors="coerce")
    d["impact"] = pd.to_numeric(d["impact"], errors="coerce")
    d = d.dropna(subset=["probability", "impact"])
    d["probability"] = d["probability"].astype(int)
    d["impact"] = d["impact"].astype(int)
    d["count"] = pd.to_numeric(d["count"], errors="coerce").fillna(0).astype(int)
    d["band"] = d["band"].astype("object").map(lambda v: "" if fmt.is_missing(v) else str(v).lower())
    grid = pd.MultiIndex.from_product([range(1, 6), range(1, 6)], names=["probability", "impact"])
    d = d.groupby(["probability", "impact"], sort=True).agg(count=("count", "sum"), band=("band", "first"))
    d = d.reindex(grid).reset_index()
    d["count"] = d["count"].fillna(0).astype(int)
    d["band"] = d["band"].fillna("").astype("object")
    if title is None:
        title = risk_finding(d)
    d["score"] = d["probability"] * d["impact"]
    d["band_label"] = d["band"].map(lambda b: b.capitalize() if b else "Unbanded")
    d["count_text"] = d["count"].map(lambda c: str(c) if c else "")  # an empty cell reads as none
    d["dark"] = d["band"].isin(["critical", "high"])
    d = d.sort_values(["probability", "impact"])
    bands = [b for b in BAND_ORDER if b in set(d["band"])] + sorted(set(d["band"]) - set(BAND_ORDER) - {""})
    domain = [b.capitalize() for b in bands]
    colors = [BAND_COLORS.get(b, "#eeeeee") for b in bands]
    if (d["band"] == "").any():
        domain.append("Unbanded")
        colors.append("#f4f4f4")
    data = records(d)
    tooltip = [
        alt.Tooltip("probability:O", title="Probability"),
        alt.Tooltip("impact:O", title="Impact"),
        alt.Tooltip("score:Q", title="Score"),
        alt.Tooltip("band_label:N", title="Band"),
        alt.Tooltip("count:Q", title="Open risks"),
    ]
    x = alt.X("impact:O", title="Impact →", sort=[1, 2, 3, 4, 5], axis=alt.Axis(labelAngle=0))
    y = alt.Y("probability:O", title="Probability →", sort=[5, 4, 3, 2, 1])
    cells = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color("band_label:N", title="Band", scale=alt.Scale(domain=domain, range=colors)),
            tooltip=tooltip,
        )
    )
    counts = (
        alt.Chart(data)
        .mark_text(fontSize=16, fontWeight="bold")
        .encode(
            x=x,
            y=y,
            text="count_text:N",
            color=alt.condition("datum.dark", alt.value("white"), alt.value(TEXT_COLOR)),
            tooltip=tooltip,
        )
    )
    return alt.layer(cells, counts).properties(
        title=titled(title, "Open risks; score = probability × impact"), width=320, height=320
    )


@carries_renderer
def exposure_trend(df: pd.DataFrame, title: str | None = None, *, currency: str = "EUR") -> alt.TopLevelMixin:
    """Open risk exposure by month: EMV of open risks (top) and the count of open risks (bottom).

    Two aligned panels instead of a dual axis, so each scale reads on its own.

    Parameters
    ----------
    df:
        Columns ``period``, ``open_risks``, ``emv_open`` and optionally ``critical_open``
        (``risks.exposure_trend``).
    """
    if is_empty(df, ["period", "open_risks", "emv_open"]):
        return no_data(title or "Risk exposure", "No risk history")
    cols = ["period", "open_risks", "emv_open"] + (["critical_open"] if "critical_open" in df.columns else [])
    d = df[cols].copy()
    d["period"] = d["period"].map(period_text)
    d = d.sort_values("period", kind="stable").drop_duplicates("period", keep="last")
    for c in cols[1:]:
        d[c] = pd.to_numeric(d[c], errors="coerce")
    months = list(d["period"])
    if title is None:
        title = exposure_finding(d, currency)
    d["month"] = d["period"].map(fmt.month)
    d["emv_text"] = d["emv_open"].map(lambda v: fmt.money(v, currency))
    has_critical = "critical_open" in d.columns
    tooltip = [
        alt.Tooltip("month:N", title="Month"),
        alt.Tooltip("open_risks:Q", title="Open risks"),
        alt.Tooltip("emv_text:N", title="EMV of open risks"),
    ]
    if has_critical:
        tooltip.append(alt.Tooltip("critical_open:Q", title="Critical open"))
    data = records(d)
    emv = (
        alt.Chart(data)
        .mark_line(point=True, color="#1f5fa8")
        .encode(
            x=alt.X("period:O", sort=months, title=None, axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("emv_open:Q", title=f"EMV open ({currency})", axis=alt.Axis(format="~s")),
            tooltip=tooltip,
        )
        .properties(width=WIDTH, height=170)
    )
    long_cols = ["open_risks"] + (["critical_open"] if has_critical else [])
    long = d.melt(id_vars=["period", "month", "emv_text"], value_vars=long_cols, var_name="what", value_name="n")
    names = {"open_risks": "Open risks", "critical_open": "of which critical"}
    long["what"] = long["what"].map(names)
    long = records(long.sort_values(["period", "what"]))
    domain = [names[c] for c in long_cols]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period:O", sort=months, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
            xOffset=alt.XOffset("what:N", sort=domain),
            y=alt.Y("n:Q", title="Open risks", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "what:N",
                title=None,
                scale=alt.Scale(domain=domain, range=["#9bb7d4", SEVERITY_COLORS["critical"]][: len(domain)]),
            ),
            tooltip=[
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("what:N", title="Count"),
                alt.Tooltip("n:Q", title="Risks"),
            ],
        )
        .properties(width=WIDTH, height=130)
    )
    return alt.vconcat(emv, bars, spacing=14).properties(title=titled(title, "Expected monetary value (EMV)"))


def severity_frame(df: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    d = df[["severity", "count", *extra]].copy()
    d["severity"] = d["severity"].astype("object").map(lambda v: "" if fmt.is_missing(v) else str(v).lower())
    d["count"] = pd.to_numeric(d["count"], errors="coerce").fillna(0).astype(int)
    return d


@carries_renderer
def issues_by_severity(df: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """Open issues by severity, bars in order low, medium, high, critical, counts labelled.

    Parameters
    ----------
    df:
        Columns ``severity``, ``count``; missing severities are drawn as zero.
    """
    if is_empty(df, ["severity", "count"]):
        return no_data(title or "Open issues by severity", "No issues recorded")
    d = severity_frame(df).groupby("severity", sort=True, as_index=False)["count"].sum()
    levels = list(SEVERITY_ORDER) + sorted(set(d["severity"]) - set(SEVERITY_ORDER))
    d = d.set_index("severity").reindex(levels, fill_value=0).rename_axis("severity").reset_index()
    if title is None:
        title = issues_finding(d)
    d["label"] = d["severity"].map(lambda s: s.capitalize() if s else "Unknown")
    labels = list(d["label"])
    data = records(d)
    x = alt.X("label:N", sort=labels, title="Severity", axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(data)
        .mark_bar(stroke="#555555", strokeWidth=0.5)
        .encode(
            x=x,
            y=alt.Y("count:Q", title="Open issues", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "label:N",
                legend=None,
                scale=alt.Scale(domain=labels, range=[SEVERITY_COLORS.get(s, "#bbbbbb") for s in d["severity"]]),
            ),
            tooltip=[alt.Tooltip("label:N", title="Severity"), alt.Tooltip("count:Q", title="Open issues")],
        )
    )
    text = (
        alt.Chart(data).mark_text(baseline="bottom", dy=-3, fontWeight="bold").encode(x=x, y="count:Q", text="count:Q")
    )
    return alt.layer(bars, text).properties(title=titled(title), width=360, height=220)


@carries_renderer
def issue_ageing(df: pd.DataFrame, title: str | None = None) -> alt.TopLevelMixin:
    """Open issues by age bucket (0-30 ... >180 days), stacked by severity, totals on top.

    Parameters
    ----------
    df:
        Columns ``bucket``, ``severity``, ``count`` (``issues.ageing_buckets``).
    """
    if is_empty(df, ["bucket", "severity", "count"]):
        return no_data(title or "Open issues by age", "No issues recorded")
    d = severity_frame(df, ["bucket"])
    d["bucket"] = d["bucket"].astype("object").map(str)
    d = pd.DataFrame(d.groupby(["bucket", "severity"], sort=True, as_index=False)["count"].sum())
    if title is None:
        title = ageing_finding(d)
    buckets = list(AGEING_BUCKETS) + sorted(set(d["bucket"]) - set(AGEING_BUCKETS))
    levels = [s for s in SEVERITY_ORDER if s in set(d["severity"])]
    levels += sorted(set(d["severity"]) - set(SEVERITY_ORDER))
    rank = {s: i for i, s in enumerate(levels)}
    d["rank"] = d["severity"].map(rank)
    d["label"] = d["severity"].map(lambda s: s.capitalize() if s else "Unknown")
    d = d.sort_values(["bucket", "rank"], key=lambda s: s.map(buckets.index) if s.name == "bucket" else s)
    totals = d.groupby("bucket", sort=False, as_index=False)["count"].sum()
    totals = totals.set_index("bucket").reindex(buckets, fill_value=0).rename_axis("bucket").reset_index()
    labels = [s.capitalize() if s else "Unknown" for s in levels]
    x = alt.X("bucket:N", sort=buckets, title="Age (days)", axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(records(d))
        .mark_bar(stroke="#555555", strokeWidth=0.5)
        .encode(
            x=x,
            y=alt.Y("count:Q", title="Open issues", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "label:N",
                title="Severity",
                sort=labels,
                scale=alt.Scale(domain=labels, range=[SEVERITY_COLORS.get(s, "#bbbbbb") for s in levels]),
            ),
            order=alt.Order("rank:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("bucket:N", title="Age (days)"),
                alt.Tooltip("label:N", title="Severity"),
                alt.Tooltip("count:Q", title="Open issues"),
            ],
        )
    )
    text = (
        alt.Chart(records(totals))
        .mark_text(baseline="bottom", dy=-3, fontWeight="bold")
        .encode(x=x, y="count:Q", text="count:Q")
    )
    return alt.layer(bars, text).properties(title=titled(title), width=420, height=240)
