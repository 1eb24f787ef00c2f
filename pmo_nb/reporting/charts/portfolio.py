"""Portfolio charts: the CPI/SPI(t) quadrant and the count of projects or programs per RAG status."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import is_empty, no_data, records, round_out, titled
from pmo_nb.reporting.charts.theme import MAX_QUADRANT_HALF_RANGE, MUTED, RAG_COLORS, RAG_KEYS, RAG_LABELS, RAG_SHAPES
from pmo_nb.reporting.narrative import plural, quadrant_finding, rag_finding, rag_totals


def cpi_spi_quadrant(
    df: pd.DataFrame,
    title: str | None = None,
    *,
    green: float = 0.95,
    amber: float = 0.90,
    currency: str = "EUR",
    max_labels: int = 8,
    noun: str = "project",
) -> alt.LayerChart | alt.Chart:
    """Projects (or programs: ``noun="program"``) placed by schedule index SPI(t) (x) and cost index CPI (y).

    Bubbles are sized by BAC and coloured and shaped by RAG; rules mark 1.0 and the amber/green
    thresholds; each quadrant is labelled ("over budget, late" bottom left). Rows whose CPI or SPI(t)
    is undefined are left out and counted in the subtitle.

    Parameters
    ----------
    df:
        Columns ``label``, ``cpi``, ``spi_t``, ``bac``, ``rag``.
    green, amber:
        The RAG thresholds from ``Config.rag`` (drawn as dashed rules).
    currency:
        For the BAC in tooltips.
    max_labels:
        How many projects are named on the chart: red, then amber, worst index first. Every project
        has a tooltip.
    """
    if is_empty(df, ["label", "cpi", "spi_t", "bac", "rag"]):
        return no_data(title or "Cost and schedule performance", "No projects to show")
    d = df[["label", "cpi", "spi_t", "bac", "rag"]].copy()
    for col in ("cpi", "spi_t", "bac"):
        d[col] = pd.to_numeric(d[col], errors="coerce").replace([np.inf, -np.inf], np.nan)
    undefined = d["cpi"].isna() | d["spi_t"].isna()
    dropped = int(undefined.sum())
    d = d[~undefined].copy()
    d["label"] = d["label"].astype("object").map(lambda v: "" if fmt.is_missing(v) else str(v))
    d = d.sort_values(["label", "cpi", "spi_t"], kind="stable")
    if title is None:
        title = quadrant_finding(d, noun)
    notes = []
    if dropped:
        notes.append(f"{plural(dropped, noun)} without a defined CPI or SPI(t) (no financials yet) not shown")
    notes.append("Bubble size: budget at completion; dashed lines: amber and green thresholds")
    if d.empty:
        return no_data(title, "No project has both a CPI and an SPI(t) yet").properties(title=titled(title, notes))
    d["rag_key"] = d["rag"].map(fmt.rag_key)
    d["status"] = d["rag_key"].map(RAG_LABELS)
    d["cpi_text"] = d["cpi"].map(fmt.ratio)
    d["spi_text"] = d["spi_t"].map(fmt.ratio)
    d["bac_text"] = d["bac"].map(lambda v: fmt.money(v, currency))
    d["bac"] = d["bac"].fillna(0).clip(lower=0)

    # The axes are symmetric around 1.0 and span at most 0.5-1.5: an early-stage project can have
    # an SPI(t) of 5, which would squash everyone else into a corner. Such points are drawn at the
    # edge (clipped coordinates), keep their true values in the tooltip, and are counted in the subtitle.
    both = pd.concat([d["cpi"], d["spi_t"]])
    inside = both[(both - 1).abs() <= MAX_QUADRANT_HALF_RANGE]
    need = float((inside - 1).abs().max()) + 0.05 if len(inside) else MAX_QUADRANT_HALF_RANGE
    half = min(round_out(max(0.3, need), 0.1), MAX_QUADRANT_HALF_RANGE)
    lo, hi = 1 - half, 1 + half
    d["cpi_plot"] = d["cpi"].clip(lo, hi)
    d["spi_t_plot"] = d["spi_t"].clip(lo, hi)
    outside = (d["cpi_plot"] != d["cpi"]) | (d["spi_t_plot"] != d["spi_t"])
    if outside.any():
        n_out = int(outside.sum())
        notes.insert(
            len(notes) - 1,
            f"{plural(n_out, 'project')} outside {fmt.ratio(lo, 1)}-{fmt.ratio(hi, 1)} drawn at the edge "
            f"({', '.join(d.loc[outside, 'label'].head(3))}{', ...' if n_out > 3 else ''})",
        )
    # Name the projects that need attention (red, then amber, worst index first); the rest, and the
    # projects drawn at the edge (named in the subtitle), stay unlabelled to keep the chart readable.
    priority = np.where(outside, 9, d["rag_key"].map({"red": 1, "amber": 2}).fillna(9))
    worst = np.minimum(d["cpi"], d["spi_t"])
    order = pd.DataFrame({"p": priority, "w": worst, "label": d["label"]}, index=d.index)
    chosen = order[order["p"] < 9].sort_values(["p", "w", "label"]).head(max_labels).index
    d["name_label"] = np.where(d.index.isin(chosen), d["label"], "")
    if len(chosen) < len(d):
        notes.append(f"Named: red and amber {noun}s, worst first")
    scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    pad = half * 0.04
    corners = pd.DataFrame(
        [
            {"x": lo + pad, "y": hi - pad, "text": "under budget, late", "align": "left", "base": "top"},
            {"x": hi - pad, "y": hi - pad, "text": "under budget, early", "align": "right", "base": "top"},
            {"x": lo + pad, "y": lo + pad, "text": "over budget, late", "align": "left", "base": "bottom"},
            {"x": hi - pad, "y": lo + pad, "text": "over budget, early", "align": "right", "base": "bottom"},
        ]
    )
    label_layers = []
    for (align, base), part in corners.groupby(["align", "base"], sort=True):
        label_layers.append(
            alt.Chart(part)
            .mark_text(align=align, baseline=base, color=MUTED, fontStyle="italic")
            .encode(x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), text="text:N")
        )
    ones = pd.DataFrame({"v": [1.0]})
    thresholds = pd.DataFrame({"v": sorted({float(green), float(amber)} - {1.0})})
    rule_x1 = alt.Chart(ones).mark_rule(color="#555555", strokeWidth=1.2).encode(x=alt.X("v:Q", scale=scale))
    rule_y1 = alt.Chart(ones).mark_rule(color="#555555", strokeWidth=1.2).encode(y=alt.Y("v:Q", scale=scale))
    rule_xt = alt.Chart(thresholds).mark_rule(color="#9a9a9a", strokeDash=[4, 4]).encode(x=alt.X("v:Q", scale=scale))
    rule_yt = alt.Chart(thresholds).mark_rule(color="#9a9a9a", strokeDash=[4, 4]).encode(y=alt.Y("v:Q", scale=scale))
    data = records(d)
    present = [k for k in RAG_KEYS if k in set(d["rag_key"])]
    domain = [RAG_LABELS[k] for k in present]
    tooltip = [
        alt.Tooltip("label:N", title="Project"),
        alt.Tooltip("status:N", title="RAG"),
        alt.Tooltip("cpi_text:N", title="CPI"),
        alt.Tooltip("spi_text:N", title="SPI(t)"),
        alt.Tooltip("bac_text:N", title="BAC"),
    ]
    bubbles = (
        alt.Chart(data)
        .mark_point(filled=True, opacity=0.8, stroke="#333333", strokeWidth=0.8)
        .encode(
            x=alt.X("spi_t_plot:Q", scale=scale, title="Schedule performance index SPI(t)  (>1 ahead)"),
            y=alt.Y("cpi_plot:Q", scale=scale, title="Cost performance index CPI  (>1 under budget)"),
            size=alt.Size("bac:Q", title="BAC", scale=alt.Scale(range=[80, 1400], zero=True), legend=None),
            color=alt.Color(
                "status:N",
                title="RAG",
                scale=alt.Scale(domain=domain, range=[RAG_COLORS[k] for k in present]),
            ),
            shape=alt.Shape(
                "status:N",
                title="RAG",
                scale=alt.Scale(domain=domain, range=[RAG_SHAPES[k] for k in present]),
            ),
            order=alt.Order("bac:Q", sort="descending"),
            tooltip=tooltip,
        )
    )
    names = (
        alt.Chart(data)
        .mark_text(align="left", dx=9, dy=-9, fontSize=11)
        .encode(
            x=alt.X("spi_t_plot:Q", scale=scale),
            y=alt.Y("cpi_plot:Q", scale=scale),
            text="name_label:N",
            tooltip=tooltip,
        )
    )
    return alt.layer(rule_xt, rule_yt, rule_x1, rule_y1, *label_layers, bubbles, names).properties(
        title=titled(title, notes), width=460, height=460
    )


def rag_counts(df: pd.DataFrame, title: str | None = None, *, noun: str = "project") -> alt.LayerChart | alt.Chart:
    """Projects (or programs) per RAG status as labelled horizontal bars, worst first.

    Parameters
    ----------
    df:
        Columns ``rag`` ("red", "amber", "green" or missing for no data) and ``count``.
    noun:
        What is counted, for the title ("3 of 12 projects red").
    """
    if is_empty(df, ["rag", "count"]):
        return no_data(title or "RAG status", f"No {noun}s to report")
    totals = rag_totals(df)
    if title is None:
        title = rag_finding(df, noun)
    keys = [k for k in RAG_KEYS if k != "n/a" or totals["n/a"]]
    d = pd.DataFrame({"rag": keys, "count": [totals[k] for k in keys]})
    d["label"] = d["rag"].map(RAG_LABELS)
    d["text"] = [f"{c} {RAG_LABELS[k].lower()}" for k, c in zip(d["rag"], d["count"], strict=True)]
    labels = list(d["label"])
    data = records(d)
    y = alt.Y("label:N", sort=labels, title=None)
    bars = (
        alt.Chart(data)
        .mark_bar(stroke="#444444", strokeWidth=0.5)
        .encode(
            x=alt.X("count:Q", title=f"{noun.capitalize()}s", axis=alt.Axis(tickMinStep=1, format="d")),
            y=y,
            color=alt.Color(
                "label:N", legend=None, scale=alt.Scale(domain=labels, range=[RAG_COLORS[k] for k in keys])
            ),
            tooltip=[
                alt.Tooltip("label:N", title="RAG"),
                alt.Tooltip("count:Q", title=f"{noun.capitalize()}s"),
            ],
        )
    )
    text = alt.Chart(data).mark_text(align="left", dx=4, fontWeight="bold").encode(x="count:Q", y=y, text="text:N")
    return alt.layer(bars, text).properties(title=titled(title), width=360, height=34 * len(keys))
