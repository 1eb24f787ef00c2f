"""Portfolio charts: the CPI/SPI(t) quadrant and the count of projects or programs per RAG status."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import altair as alt
import numpy as np
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import carries_renderer, is_empty, no_data, records, titled
from pmo_nb.reporting.charts.theme import MAX_QUADRANT_HALF_RANGE, MUTED, RAG_COLORS, RAG_KEYS, RAG_LABELS, RAG_SHAPES
from pmo_nb.reporting.narrative import plural, quadrant_finding, rag_finding, rag_totals

QUADRANT_SIZE = 460  # px, width and height of the plot
LABEL_FONT = 11  # px
LABEL_CHAR_WIDTH = 0.62  # em: DejaVu Sans averages about 0.6 em per character; a little more keeps a margin
LABEL_HEIGHT = 14  # px
# where a name may go relative to its point: (dx, dy, align), tried in this order
LABEL_SPOTS: tuple[tuple[int, int, str], ...] = (
    (9, 0, "left"), (-9, 0, "right"), (6, -13, "left"), (6, 13, "left"), (-6, -13, "right"), (-6, 13, "right"),
)


@dataclass
class QuadrantData:
    """The quadrant's data step: points with plot coordinates and placed names, axis domains and notes."""

    points: pd.DataFrame  # label, cpi, spi_t, bac, rag_key, status, *_text, cpi_plot, spi_t_plot, name_*
    x_domain: tuple[float, float]
    y_domain: tuple[float, float]
    notes: list[str]
    title: str


def axis_domain(values: pd.Series, thresholds: tuple[float, ...]) -> tuple[float, float]:
    """An axis that fits the data and keeps 1.0 and the thresholds visible, in steps of 0.05, within 0.5-1.5."""
    lo_limit, hi_limit = 1 - MAX_QUADRANT_HALF_RANGE, 1 + MAX_QUADRANT_HALF_RANGE
    inside = values[(values >= lo_limit) & (values <= hi_limit)]
    marks = [1.0, *thresholds, *inside.tolist()]
    lo, hi = min(marks), max(marks)
    pad = max(0.02, 0.05 * (hi - lo))
    lo = max(lo_limit, math.floor((lo - pad) / 0.05 + 1e-9) * 0.05)
    hi = min(hi_limit, math.ceil((hi + pad) / 0.05 - 1e-9) * 0.05)
    return round(lo, 2), round(hi, 2)


def axis_ticks(domain: tuple[float, float]) -> list[float]:
    """Tick values every 0.05 (every 0.1 on a wide axis) so the labels never crowd."""
    step = 0.05 if domain[1] - domain[0] <= 0.5 else 0.1
    first = math.ceil(domain[0] / step - 1e-9)
    last = math.floor(domain[1] / step + 1e-9)
    return [round(k * step, 2) for k in range(first, last + 1)]


def _box(px: float, py: float, dx: int, dy: int, align: str, text: str) -> tuple[float, float, float, float]:
    width = len(text) * LABEL_FONT * LABEL_CHAR_WIDTH + 2
    x0 = px + dx if align == "left" else px + dx - width
    y0 = py + dy - LABEL_HEIGHT / 2
    return x0, y0, x0 + width, y0 + LABEL_HEIGHT


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(px: pd.Series, py: pd.Series, texts: pd.Series, order: list[Any],
                 obstacles: Sequence[tuple[float, float, float, float]], size: float = QUADRANT_SIZE,
                 ) -> dict[Any, tuple[int, int, str]]:
    """Greedy placement: each row of ``order`` in turn gets the first spot whose box stays inside the plot and
    overlaps no placed name and no obstacle; a row with no free spot is left out of the result."""
    placed: dict[Any, tuple[int, int, str]] = {}
    boxes = list(obstacles)
    for i in order:
        for dx, dy, align in LABEL_SPOTS:
            box = _box(px[i], py[i], dx, dy, align, texts[i])
            if box[0] < 0 or box[1] < 0 or box[2] > size or box[3] > size:
                continue
            if any(_overlaps(box, other) for other in boxes):
                continue
            placed[i] = (dx, dy, align)
            boxes.append(box)
            break
    return placed


def quadrant_data(df: pd.DataFrame, *, green: float = 0.95, amber: float = 0.90, noun: str = "project",
                  max_labels: int = 12, title: str | None = None, currency: str = "EUR") -> QuadrantData:
    """Filter, scale and label the quadrant's points (no Altair): see :func:`cpi_spi_quadrant`."""
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
    thresholds = tuple(sorted({float(green), float(amber)}))
    x_dom = axis_domain(d["spi_t"], thresholds)
    y_dom = axis_domain(d["cpi"], thresholds)
    d["rag_key"] = d["rag"].map(fmt.rag_key)
    d["status"] = d["rag_key"].map(RAG_LABELS)
    d["cpi_text"] = d["cpi"].map(fmt.ratio)
    d["spi_text"] = d["spi_t"].map(fmt.ratio)
    d["bac_text"] = d["bac"].map(lambda v: fmt.money(v, currency))
    d["bac"] = d["bac"].fillna(0).clip(lower=0)
    d["cpi_plot"] = d["cpi"].clip(*y_dom)
    d["spi_t_plot"] = d["spi_t"].clip(*x_dom)
    outside = (d["cpi_plot"] != d["cpi"]) | (d["spi_t_plot"] != d["spi_t"])
    if outside.any():
        n_out = int(outside.sum())
        notes.append(f"{plural(n_out, noun)} outside the axes drawn at the edge "
                     f"({', '.join(d.loc[outside, 'label'].head(3))}{', ...' if n_out > 3 else ''})")
    # Names: the points that need attention first (red, then amber, worst index first), each placed where it
    # collides with no other name; what finds no room is listed in the subtitle instead.
    size = QUADRANT_SIZE
    px = (d["spi_t_plot"] - x_dom[0]) / (x_dom[1] - x_dom[0]) * size
    py = size - (d["cpi_plot"] - y_dom[0]) / (y_dom[1] - y_dom[0]) * size
    priority = d["rag_key"].map({"red": 1, "amber": 2}).fillna(9)
    worst = np.minimum(d["cpi"], d["spi_t"])
    ranked = pd.DataFrame({"p": priority, "w": worst, "label": d["label"]}, index=d.index)
    attention = ranked[ranked["p"] < 9].sort_values(["p", "w", "label"]).index.tolist()
    corners = [(0, 0, 150, 16), (size - 150, 0, size, 16), (0, size - 16, 150, size), (size - 150, size - 16,
                                                                                         size, size)]
    placed = place_labels(px, py, d["label"], attention[:max_labels], corners)
    labels: dict[Any, str] = {i: str(v) for i, v in d["label"].items()}
    dx = pd.Series({i: float(spot[0]) for i, spot in placed.items()}, dtype="float64").reindex(d.index).fillna(0.0)
    dy = pd.Series({i: float(spot[1]) for i, spot in placed.items()}, dtype="float64").reindex(d.index).fillna(0.0)
    d["name_label"] = [labels[i] if i in placed else "" for i in d.index]
    d["name_align"] = [placed[i][2] if i in placed else "left" for i in d.index]
    d["name_x"] = d["spi_t_plot"] + dx * (x_dom[1] - x_dom[0]) / size
    d["name_y"] = d["cpi_plot"] - dy * (y_dom[1] - y_dom[0]) / size
    unplaced = [labels[i] for i in attention if i not in placed]
    if unplaced:
        shown = ", ".join(unplaced[:6]) + (f" and {len(unplaced) - 6} more" if len(unplaced) > 6 else "")
        notes.append(f"Also needing attention, not named for space: {shown}")
    if len(placed) < len(d):
        notes.append(f"Named: red and amber {noun}s; the others are in the {noun}s table")
    notes.append("Bubble size: budget at completion; dashed lines: amber and green thresholds")
    return QuadrantData(d, x_dom, y_dom, notes, title)


@carries_renderer
def cpi_spi_quadrant(
    df: pd.DataFrame,
    title: str | None = None,
    *,
    green: float = 0.95,
    amber: float = 0.90,
    currency: str = "EUR",
    max_labels: int = 12,
    noun: str = "project",
) -> alt.TopLevelMixin:
    """Projects (or programs: ``noun="program"``) placed by schedule index SPI(t) (x) and cost index CPI (y).

    Bubbles are sized by BAC and coloured and shaped by RAG; rules mark 1.0 and the amber/green thresholds;
    each quadrant is labelled ("over budget, late" bottom left). The axes fit the data (within 0.5-1.5) and
    always show 1.0 and both thresholds. Red then amber points are named where the name collides with no
    other; those that find no room are listed in the subtitle. Rows whose CPI or SPI(t) is undefined are left
    out and counted in the subtitle.

    Parameters
    ----------
    df:
        Columns ``label``, ``cpi``, ``spi_t``, ``bac``, ``rag``.
    green, amber:
        The RAG thresholds from ``Config.rag`` (drawn as dashed rules).
    currency:
        For the BAC in tooltips.
    max_labels:
        At most how many points are named on the chart. Every point has a tooltip.
    """
    if is_empty(df, ["label", "cpi", "spi_t", "bac", "rag"]):
        return no_data(title or "Cost and schedule performance", "No projects to show")
    q = quadrant_data(df, green=green, amber=amber, noun=noun, max_labels=max_labels, title=title,
                      currency=currency)
    d = q.points
    if d.empty:
        return no_data(q.title, "No project has both a CPI and an SPI(t) yet").properties(
            title=titled(q.title, q.notes))
    xs = alt.Scale(domain=list(q.x_domain), nice=False, zero=False)
    ys = alt.Scale(domain=list(q.y_domain), nice=False, zero=False)
    (xlo, xhi), (ylo, yhi) = q.x_domain, q.y_domain
    px, py = (xhi - xlo) * 0.015, (yhi - ylo) * 0.015
    corners = pd.DataFrame(
        [
            {"x": xlo + px, "y": yhi - py, "text": "under budget, late", "align": "left", "base": "top"},
            {"x": xhi - px, "y": yhi - py, "text": "under budget, early", "align": "right", "base": "top"},
            {"x": xlo + px, "y": ylo + py, "text": "over budget, late", "align": "left", "base": "bottom"},
            {"x": xhi - px, "y": ylo + py, "text": "over budget, early", "align": "right", "base": "bottom"},
        ]
    )
    label_layers = []
    for (align, base), part in corners.groupby(["align", "base"], sort=True):
        label_layers.append(
            alt.Chart(part)
            .mark_text(align=cast(Any, align), baseline=cast(Any, base), color=MUTED, fontStyle="italic")
            .encode(x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), text="text:N")
        )
    ones = pd.DataFrame({"v": [1.0]})
    thresholds = pd.DataFrame({"v": sorted({float(green), float(amber)} - {1.0})})
    rule_x1 = alt.Chart(ones).mark_rule(color="#555555", strokeWidth=1.2).encode(x=alt.X("v:Q", scale=xs))
    rule_y1 = alt.Chart(ones).mark_rule(color="#555555", strokeWidth=1.2).encode(y=alt.Y("v:Q", scale=ys))
    rule_xt = alt.Chart(thresholds).mark_rule(color="#9a9a9a", strokeDash=[4, 4]).encode(x=alt.X("v:Q", scale=xs))
    rule_yt = alt.Chart(thresholds).mark_rule(color="#9a9a9a", strokeDash=[4, 4]).encode(y=alt.Y("v:Q", scale=ys))
    data = records(d)
    present = [k for k in RAG_KEYS if k in set(d["rag_key"])]
    domain = [RAG_LABELS[k] for k in present]
    tooltip = [
        alt.Tooltip("label:N", title=noun.capitalize()),
        alt.Tooltip("status:N", title="RAG"),
        alt.Tooltip("cpi_text:N", title="CPI"),
        alt.Tooltip("spi_text:N", title="SPI(t)"),
        alt.Tooltip("bac_text:N", title="BAC"),
    ]
    bubbles = (
        alt.Chart(data)
        .mark_point(filled=True, opacity=0.8, stroke="#333333", strokeWidth=0.8)
        .encode(
            x=alt.X("spi_t_plot:Q", scale=xs, title="Schedule performance index SPI(t)  (>1 ahead)",
                    axis=alt.Axis(values=axis_ticks(q.x_domain), format=".2f")),
            y=alt.Y("cpi_plot:Q", scale=ys, title="Cost performance index CPI  (>1 under budget)",
                    axis=alt.Axis(values=axis_ticks(q.y_domain), format=".2f")),
            size=alt.Size("bac:Q", title="BAC", scale=alt.Scale(range=[80, 1400], zero=True), legend=None),
            color=alt.Color("status:N", title="RAG",
                            scale=alt.Scale(domain=domain, range=[RAG_COLORS[k] for k in present])),
            shape=alt.Shape("status:N", title="RAG",
                            scale=alt.Scale(domain=domain, range=[RAG_SHAPES[k] for k in present])),
            order=alt.Order("bac:Q", sort="descending"),
            tooltip=tooltip,
        )
    )
    names = [
        alt.Chart(data)
        .transform_filter(f"datum.name_label != '' && datum.name_align == '{align}'")
        .mark_text(align=align, baseline="middle", fontSize=LABEL_FONT)
        .encode(x=alt.X("name_x:Q", scale=xs), y=alt.Y("name_y:Q", scale=ys), text="name_label:N", tooltip=tooltip)
        for align in ("left", "right")
    ]
    return alt.layer(rule_xt, rule_yt, rule_x1, rule_y1, *label_layers, bubbles, *names).properties(
        title=titled(q.title, q.notes), width=QUADRANT_SIZE, height=QUADRANT_SIZE
    )


@carries_renderer
def rag_counts(df: pd.DataFrame, title: str | None = None, *, noun: str = "project") -> alt.TopLevelMixin:
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
