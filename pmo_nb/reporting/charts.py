"""The house chart theme and the chart library of the reports.

Every builder takes a tidy DataFrame (the KPI engine's output, see docs/kpis.md) and returns an
Altair chart; none reads a file or computes a KPI. They share these habits:

* **One theme**, registered with Altair's theme registry as ``"pmo"`` and enabled when this module
  is imported (and again by ``pmo_nb.reporting.display.enable()``): DejaVu Sans (installed on a bare Debian
  machine, and what WeasyPrint and vl-convert fall back to), 12 px labels and 16 px titles so text
  stays readable on an A4 landscape page, charts 700 px wide.
* **Titles state the finding** ("3 of 12 projects red", "Costs running 8% over plan"). Each builder
  accepts ``title``; when it is None the builder writes one from the data with the ``*_finding``
  helpers below, which notebooks and the narrative can call too.
* **RAG reads without colour**: red, amber and green differ in lightness as well as hue, and each is
  paired with a shape (triangle, diamond, circle) and a text label in the legend.
* **Deterministic**: the input is sorted explicitly, so the same rows in any order give the same spec.
* **Inline data, no URLs**, and formatted tooltip text from ``pmo_nb.reporting.formatting``.
* **Empty input** gives a small "No data" chart, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from pmo_nb.reporting import formatting as fmt

THEME_NAME = "pmo"
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
WIDTH = 700
HEIGHT = 300
TEXT_COLOR = "#222222"
MUTED = "#666666"
GRID = "#e3e3e3"

# RAG colours chosen to differ in lightness too (relative luminance: red 0.23, green 0.51, amber 0.71,
# n/a 0.83),
# and each paired with a shape and a label so nothing depends on colour alone.
RAG_ORDER: tuple[str, ...] = ("red", "amber", "green", "n/a")
RAG_LABELS: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green", "n/a": "No data"}
RAG_COLORS: dict[str, str] = {"red": "#b2182b", "amber": "#f2b134", "green": "#3f9b52", "n/a": "#d4d4d4"}
RAG_SHAPES: dict[str, str] = {"red": "triangle-down", "amber": "diamond", "green": "circle", "n/a": "square"}

SEVERITY_ORDER: tuple[str, ...] = ("low", "medium", "high", "critical")
# A light-to-dark ramp so severity and risk band order read in greyscale as well.
SEVERITY_COLORS: dict[str, str] = {
    "low": "#dbe9f6",
    "medium": "#f6d57a",
    "high": "#e8833a",
    "critical": "#9e1a1a",
}
BAND_ORDER = SEVERITY_ORDER
BAND_COLORS = SEVERITY_COLORS
AGEING_BUCKETS: tuple[str, ...] = ("0-30", "31-60", "61-90", "91-180", ">180")

MILESTONE_STATUS_ORDER: tuple[str, ...] = (
    "missed",
    "achieved_late",
    "upcoming",
    "achieved_on_time",
    "future",
)
MILESTONE_STATUS_LABELS: dict[str, str] = {
    "missed": "Missed",
    "achieved_late": "Achieved late",
    "upcoming": "Upcoming",
    "achieved_on_time": "Achieved on time",
    "future": "Future",
}
MILESTONE_STATUS_COLORS: dict[str, str] = {
    "missed": RAG_COLORS["red"],
    "achieved_late": RAG_COLORS["amber"],
    "upcoming": "#3a6ea5",
    "achieved_on_time": RAG_COLORS["green"],
    "future": "#a6a6a6",
}
MILESTONE_STATUS_SHAPES: dict[str, str] = {
    "missed": "triangle-down",
    "achieved_late": "diamond",
    "upcoming": "triangle-right",
    "achieved_on_time": "circle",
    "future": "square",
}

MAX_QUADRANT_HALF_RANGE = 0.5

SERIES_COLORS = {"PV": "#7f7f7f", "EV": "#1f5fa8", "AC": "#c0392b"}


def theme() -> dict[str, Any]:
    """The ``pmo`` theme as an Altair/Vega-Lite theme dictionary."""
    axis = {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "labelColor": TEXT_COLOR,
        "titleColor": TEXT_COLOR,
        "gridColor": GRID,
        "domainColor": "#8a8a8a",
        "tickColor": "#8a8a8a",
    }
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "padding": 8,
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "title": {
                "fontSize": 16,
                "fontWeight": "bold",
                "anchor": "start",
                "color": TEXT_COLOR,
                "subtitleFontSize": 12,
                "subtitleColor": MUTED,
                "offset": 12,
            },
            "axis": axis,
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "labelColor": TEXT_COLOR,
                "titleColor": TEXT_COLOR,
                "orient": "bottom",
                "direction": "horizontal",
                "symbolSize": 120,
            },
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "text": {"fontSize": 12, "color": TEXT_COLOR},
            "range": {"category": ["#1f5fa8", "#c0392b", "#7f7f7f", "#2e8540", "#e8833a", "#6a3d9a"]},
            "line": {"strokeWidth": 2.5},
            "point": {"size": 50, "filled": True},
        }
    }


def register_theme(enable: bool = True) -> None:
    """Register the ``pmo`` theme with Altair (idempotent) and, by default, enable it."""
    registry = getattr(alt, "theme", None)
    if registry is not None and hasattr(registry, "register"):  # altair >= 5.5
        registry.register(THEME_NAME, enable=enable)(theme)
    else:  # pragma: no cover - altair 5.4
        alt.themes.register(THEME_NAME, theme)
        if enable:
            alt.themes.enable(THEME_NAME)


register_theme(enable=True)


# --------------------------------------------------------------------------------------------
# finding titles
# --------------------------------------------------------------------------------------------


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def cost_finding(cv_pct: Any, *, tolerance: float = 0.005) -> str:
    """Headline for cost performance from CV% (CV / EV, a fraction): "Costs running 8% over plan".

    Negative CV% means more was spent than the work earned: "over plan". Within ``tolerance``
    the costs are "on plan"; a missing value gives "Cost performance not yet measurable".
    """
    value = fmt._number(cv_pct)
    if value is None:
        return "Cost performance not yet measurable"
    if abs(value) < tolerance:
        return "Costs running on plan"
    word = "over" if value < 0 else "under"
    return f"Costs running {fmt.pct(abs(value), decimals=0)} {word} plan"


def schedule_finding(sv_t: Any, *, tolerance: float = 0.05) -> str:
    """Headline for schedule performance from SV(t) in months: "Work 1.5 months behind schedule"."""
    value = fmt._number(sv_t)
    if value is None:
        return "Schedule performance not yet measurable"
    if abs(value) < tolerance:
        return "Work on schedule"
    months = fmt.ratio(abs(value), decimals=1)
    unit = "month" if months == "1.0" else "months"
    word = "behind" if value < 0 else "ahead of"
    return f"Work {months} {unit} {word} schedule"


def _rag_key(value: Any) -> str:
    if fmt.is_missing(value):
        return "n/a"
    key = str(value).strip().lower()
    return key if key in RAG_COLORS else "n/a"


def _rag_totals(df: pd.DataFrame) -> dict[str, int]:
    totals = dict.fromkeys(RAG_ORDER, 0)
    if df is None or df.empty:
        return totals
    for key, count in zip(df["rag"].map(_rag_key), pd.to_numeric(df["count"], errors="coerce"), strict=True):
        if not fmt.is_missing(count):
            totals[key] += int(count)
    return totals


def rag_finding(df: pd.DataFrame, noun: str = "project") -> str:
    """Headline from RAG counts (columns ``rag``, ``count``): "3 of 12 projects red"."""
    totals = _rag_totals(df)
    total = sum(totals.values())
    if total == 0:
        return f"No {noun}s to report"
    nouns = noun + "s"
    if totals["red"]:
        return f"{totals['red']} of {total} {nouns if total != 1 else noun} red"
    if totals["amber"]:
        return f"{totals['amber']} of {total} {nouns if total != 1 else noun} amber, none red"
    if totals["green"] == total:
        return f"All {total} {nouns if total != 1 else noun} green" if total > 1 else f"The {noun} is green"
    return f"{totals['green']} of {total} {nouns} green, {totals['n/a']} without data"


def quadrant_finding(df: pd.DataFrame, noun: str = "project") -> str:
    """Headline for the CPI/SPI(t) quadrant: "2 of 8 projects over budget and late"."""
    if df is None or df.empty:
        return f"No {noun}s with cost and schedule indices"
    d = df.dropna(subset=["cpi", "spi_t"])
    n = len(d)
    if n == 0:
        return f"No {noun}s with cost and schedule indices yet"
    both = int(((d["cpi"] < 1) & (d["spi_t"] < 1)).sum())
    if both:
        return f"{both} of {_plural(n, noun)} over budget and late"
    over = int((d["cpi"] < 1).sum())
    late = int((d["spi_t"] < 1).sum())
    if over or late:
        return f"{over} of {n} over budget, {late} of {n} late"
    return f"All {_plural(n, noun)} on or under budget and on or ahead of schedule"


def milestone_finding(df: pd.DataFrame) -> str:
    """Headline for the milestone timeline: "3 of 10 milestones slipped, worst by 45 days"."""
    if df is None or df.empty:
        return "No milestones recorded"
    slip = pd.to_numeric(df["slip_days"], errors="coerce")
    slipped = int((slip > 0).sum())
    n = len(df)
    missed = int((df["status"].astype("object") == "missed").sum())
    if slipped == 0:
        return f"All {_plural(n, 'milestone')} on or ahead of baseline"
    head = f"{slipped} of {_plural(n, 'milestone')} slipped, worst by {fmt.days(slip.max())}"
    return head + (f"; {missed} missed" if missed else "")


def _counts_by(df: pd.DataFrame | None, column: str) -> tuple[int, dict[str, int]]:
    """Total of ``count`` and its sum per value of ``column`` (a band or a severity)."""
    if df is None or df.empty:
        return 0, {}
    counts = pd.to_numeric(df["count"], errors="coerce").fillna(0)
    per = counts.groupby(df[column].astype("object")).sum()
    return int(counts.sum()), {str(k): int(v) for k, v in per.items()}


def risk_finding(df: pd.DataFrame) -> str:
    """Headline for the risk heat map (``band``, ``count``): "2 critical risks among 14 open"."""
    total, per = _counts_by(df, "band")
    if total == 0:
        return "No open risks"
    critical, high = per.get("critical", 0), per.get("high", 0)
    if critical:
        return f"{_plural(critical, 'critical risk')} among {total} open"
    if high:
        return f"{_plural(high, 'high risk')}, none critical, among {total} open"
    return f"{_plural(total, 'open risk')}, none high or critical"


def exposure_finding(df: pd.DataFrame, currency: str = "EUR") -> str:
    """Headline for the exposure trend: "Open risk exposure up to €1.2M (+€300k since Sep 2026)"."""
    if df is None or df.empty:
        return "No risk exposure history"
    d = df.sort_values("period")
    last = d.iloc[-1]
    emv = fmt.money(last["emv_open"], currency)
    if len(d) < 2:
        return f"Open risk exposure {emv}"
    prev = d.iloc[-2]
    change = fmt._number(last["emv_open"])
    before = fmt._number(prev["emv_open"])
    if change is None or before is None or round(change - before) == 0:
        return f"Open risk exposure steady at {emv}"
    word = "up" if change > before else "down"
    return (
        f"Open risk exposure {word} to {emv} "
        f"({fmt.delta(change - before, 'money', currency=currency, arrow=False)} since "
        f"{fmt.month_short(prev['period'])})"
    )


def issues_finding(df: pd.DataFrame) -> str:
    """Headline for issues by severity: "2 critical issues among 15 open"."""
    total, per = _counts_by(df, "severity")
    if total == 0:
        return "No open issues"
    critical = per.get("critical", 0)
    if critical:
        return f"{_plural(critical, 'critical issue')} among {total} open"
    return f"{_plural(total, 'open issue')}, none critical"


def ageing_finding(df: pd.DataFrame) -> str:
    """Headline for issue ageing: "4 of 15 open issues older than 90 days"."""
    if df is None or df.empty:
        return "No open issues"
    counts = pd.to_numeric(df["count"], errors="coerce").fillna(0)
    total = int(counts.sum())
    if total == 0:
        return "No open issues"
    old = int(counts[df["bucket"].astype("object").isin(["91-180", ">180"])].sum())
    if old == 0:
        return f"All {_plural(total, 'open issue')} younger than 91 days"
    return f"{old} of {_plural(total, 'open issue')} older than 90 days"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _title(text: str, subtitle: str | Sequence[str] | None = None) -> alt.TitleParams:
    if subtitle:
        return alt.TitleParams(text=text, subtitle=subtitle)
    return alt.TitleParams(text=text)


def _is_empty(df: pd.DataFrame | None, columns: Iterable[str]) -> bool:
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
        alt.Chart(data, title=_title(title))
        .mark_text(fontSize=14, color=MUTED)
        .encode(text="message:N")
        .properties(width=WIDTH, height=60)
    )


def _records(df: pd.DataFrame) -> pd.DataFrame:
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


def _period_text(p: Any) -> str:
    if isinstance(p, pd.Period):
        return p.strftime("%Y-%m")
    if isinstance(p, pd.Timestamp):
        return p.strftime("%Y-%m")
    return str(p)


def _date_series(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


def _round_out(value: float, step: float) -> float:
    return math.floor(value / step) * step if value < 0 else math.ceil(value / step) * step


# --------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------


def s_curve(
    df: pd.DataFrame,
    bac: float | None = None,
    eac: float | None = None,
    title: str | None = None,
    *,
    currency: str = "EUR",
) -> alt.LayerChart | alt.Chart:
    """Cumulative PV, EV and AC by month, with BAC and EAC as labelled horizontal rules.

    Parameters
    ----------
    df:
        Columns ``period`` ("YYYY-MM"), ``pv``, ``ev``, ``ac`` (cumulative), one row per month
        (``Kpis.s_curve()``). Extra columns are ignored.
    bac, eac:
        Budget at completion and estimate at completion; a missing value draws no rule.
    title:
        The headline; by default from the last month's CV% ("Costs running 8% over plan").
    currency:
        ISO code for the axis title and tooltips.
    """
    if _is_empty(df, ["period", "pv", "ev", "ac"]):
        return no_data(title or "Cost and progress", "No financial data for this period yet")
    d = df[["period", "pv", "ev", "ac"]].copy()
    d["period"] = d["period"].map(_period_text)
    d = d.sort_values("period", kind="stable").drop_duplicates("period", keep="last")
    months = list(d["period"])
    long = d.melt(id_vars="period", value_vars=["pv", "ev", "ac"], var_name="series", value_name="value")
    long["series"] = long["series"].str.upper()
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long = long.dropna(subset=["value"])
    if long.empty:
        return no_data(title or "Cost and progress", "No financial data for this period yet")
    names = {"PV": "Planned value (PV)", "EV": "Earned value (EV)", "AC": "Actual cost (AC)"}
    long["measure"] = long["series"].map(names)
    long["month"] = long["period"].map(fmt.month)
    long["amount"] = long["value"].map(lambda v: fmt.money(v, currency))
    order = {"PV": 0, "EV": 1, "AC": 2}
    long = long.sort_values(["period", "series"], key=lambda s: s.map(order) if s.name == "series" else s)
    long = _records(long)

    if title is None:
        last = d.iloc[-1]
        ev, ac = fmt._number(last["ev"]), fmt._number(last["ac"])
        cv_pct = (ev - ac) / ev if ev not in (None, 0) and ac is not None else None
        title = cost_finding(cv_pct)
    sub = f"Cumulative, {fmt.month(months[0])} to {fmt.month(months[-1])}"

    domain = [names[k] for k in ("PV", "EV", "AC")]
    x = alt.X("period:O", sort=months, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=f"Cumulative ({currency})", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[SERIES_COLORS[k] for k in ("PV", "EV", "AC")]),
            ),
            strokeDash=alt.StrokeDash(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[[6, 4], [1, 0], [2, 2]]),
            ),
            shape=alt.Shape(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=domain, range=["square", "circle", "triangle-up"]),
            ),
            tooltip=[
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("amount:N", title="Cumulative"),
            ],
        )
    )
    refs = []
    for name, value in (("BAC", bac), ("EAC", eac)):
        v = fmt._number(value)
        if v is not None:
            refs.append({"ref": name, "value": v, "label": f"{name} {fmt.money(v, currency)}"})
    if not refs:
        return lines.properties(title=_title(title, sub), width=WIDTH, height=HEIGHT)
    ref_df = pd.DataFrame(refs).sort_values("ref")
    rules = (
        alt.Chart(ref_df)
        .mark_rule(strokeDash=[4, 3], strokeWidth=1.5, color="#444444")
        .encode(y="value:Q", tooltip=[alt.Tooltip("label:N", title="Reference")])
    )
    # BAC labelled at the left end of its rule, EAC at the right, so close values don't overprint.
    labels = [
        alt.Chart(ref_df[ref_df["ref"] == name])
        .mark_text(align=align, baseline="bottom", dx=dx, dy=-3, fontWeight="bold", color="#444444")
        .encode(y="value:Q", x=alt.value(x), text="label:N")
        for name, align, x, dx in (("BAC", "left", 0, 4), ("EAC", "right", WIDTH, -4))
        if (ref_df["ref"] == name).any()
    ]
    return alt.layer(lines, rules, *labels).properties(title=_title(title, sub), width=WIDTH, height=HEIGHT)


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
    if _is_empty(df, ["label", "cpi", "spi_t", "bac", "rag"]):
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
        notes.append(f"{_plural(dropped, noun)} without a defined CPI or SPI(t) (no financials yet) not shown")
    notes.append("Bubble size: budget at completion; dashed lines: amber and green thresholds")
    if d.empty:
        return no_data(title, "No project has both a CPI and an SPI(t) yet").properties(title=_title(title, notes))
    d["rag_key"] = d["rag"].map(_rag_key)
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
    half = min(_round_out(max(0.3, need), 0.1), MAX_QUADRANT_HALF_RANGE)
    lo, hi = 1 - half, 1 + half
    d["cpi_plot"] = d["cpi"].clip(lo, hi)
    d["spi_t_plot"] = d["spi_t"].clip(lo, hi)
    outside = (d["cpi_plot"] != d["cpi"]) | (d["spi_t_plot"] != d["spi_t"])
    if outside.any():
        n_out = int(outside.sum())
        notes.insert(
            len(notes) - 1,
            f"{_plural(n_out, 'project')} outside {fmt.ratio(lo, 1)}-{fmt.ratio(hi, 1)} drawn at the edge "
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
    data = _records(d)
    present = [k for k in RAG_ORDER if k in set(d["rag_key"])]
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
        title=_title(title, notes), width=460, height=460
    )


def milestone_timeline(
    df: pd.DataFrame,
    period_end: Any = None,
    title: str | None = None,
) -> alt.FacetChart | alt.Chart:
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
    if _is_empty(df, cols):
        return no_data(title or "Milestones", "No milestones recorded")
    d = df[cols].copy()
    d["baseline_date"] = _date_series(d["baseline_date"])
    d["current_date"] = _date_series(d["current_date"]).fillna(d["baseline_date"])
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
    end = fmt._timestamp(period_end)
    d["period_end"] = end.strftime("%Y-%m-%d") if end is not None else None
    present = [s for s in MILESTONE_STATUS_ORDER if s in set(d["status"])]
    present += sorted(set(d["status"]) - set(present))
    domain = [MILESTONE_STATUS_LABELS.get(s, s.replace("_", " ")) for s in present]
    colors = [MILESTONE_STATUS_COLORS.get(s, "#a6a6a6") for s in present]
    shapes = [MILESTONE_STATUS_SHAPES.get(s, "square") for s in present]
    data = _records(d)

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
        .properties(title=_title(title, sub))
    )


def risk_heatmap(df: pd.DataFrame, title: str | None = None) -> alt.LayerChart | alt.Chart:
    """The 5 x 5 probability/impact grid of open risks: cell colour by band, the count in each cell.

    Parameters
    ----------
    df:
        Columns ``probability`` (1-5), ``impact`` (1-5), ``count``, ``band`` (``risks.heatmap_counts``,
        25 rows); missing cells are drawn empty with a zero.
    """
    if _is_empty(df, ["probability", "impact", "count", "band"]):
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
    data = _records(d)
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
        title=_title(title, "Open risks; score = probability × impact"), width=320, height=320
    )


def exposure_trend(df: pd.DataFrame, title: str | None = None, *, currency: str = "EUR") -> alt.VConcatChart:
    """Open risk exposure by month: EMV of open risks (top) and the count of open risks (bottom).

    Two aligned panels instead of a dual axis, so each scale reads on its own.

    Parameters
    ----------
    df:
        Columns ``period``, ``open_risks``, ``emv_open`` and optionally ``critical_open``
        (``risks.exposure_trend``).
    """
    if _is_empty(df, ["period", "open_risks", "emv_open"]):
        return no_data(title or "Risk exposure", "No risk history")
    cols = ["period", "open_risks", "emv_open"] + (["critical_open"] if "critical_open" in df.columns else [])
    d = df[cols].copy()
    d["period"] = d["period"].map(_period_text)
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
    data = _records(d)
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
    long = _records(long.sort_values(["period", "what"]))
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
    return alt.vconcat(emv, bars, spacing=14).properties(title=_title(title, "Expected monetary value (EMV)"))


def _severity_frame(df: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    d = df[["severity", "count", *extra]].copy()
    d["severity"] = d["severity"].astype("object").map(lambda v: "" if fmt.is_missing(v) else str(v).lower())
    d["count"] = pd.to_numeric(d["count"], errors="coerce").fillna(0).astype(int)
    return d


def issues_by_severity(df: pd.DataFrame, title: str | None = None) -> alt.LayerChart | alt.Chart:
    """Open issues by severity, bars in order low, medium, high, critical, counts labelled.

    Parameters
    ----------
    df:
        Columns ``severity``, ``count``; missing severities are drawn as zero.
    """
    if _is_empty(df, ["severity", "count"]):
        return no_data(title or "Open issues by severity", "No issues recorded")
    d = _severity_frame(df).groupby("severity", sort=True, as_index=False)["count"].sum()
    levels = list(SEVERITY_ORDER) + sorted(set(d["severity"]) - set(SEVERITY_ORDER))
    d = d.set_index("severity").reindex(levels, fill_value=0).rename_axis("severity").reset_index()
    if title is None:
        title = issues_finding(d)
    d["label"] = d["severity"].map(lambda s: s.capitalize() if s else "Unknown")
    labels = list(d["label"])
    data = _records(d)
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
    return alt.layer(bars, text).properties(title=_title(title), width=360, height=220)


def issue_ageing(df: pd.DataFrame, title: str | None = None) -> alt.LayerChart | alt.Chart:
    """Open issues by age bucket (0-30 ... >180 days), stacked by severity, totals on top.

    Parameters
    ----------
    df:
        Columns ``bucket``, ``severity``, ``count`` (``issues.ageing_buckets``).
    """
    if _is_empty(df, ["bucket", "severity", "count"]):
        return no_data(title or "Open issues by age", "No issues recorded")
    d = _severity_frame(df, ["bucket"])
    d["bucket"] = d["bucket"].astype("object").map(str)
    d = d.groupby(["bucket", "severity"], sort=True, as_index=False)["count"].sum()
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
        alt.Chart(_records(d))
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
        alt.Chart(_records(totals))
        .mark_text(baseline="bottom", dy=-3, fontWeight="bold")
        .encode(x=x, y="count:Q", text="count:Q")
    )
    return alt.layer(bars, text).properties(title=_title(title), width=420, height=240)


def rag_counts(df: pd.DataFrame, title: str | None = None, *, noun: str = "project") -> alt.LayerChart | alt.Chart:
    """Projects (or programs) per RAG status as labelled horizontal bars, worst first.

    Parameters
    ----------
    df:
        Columns ``rag`` ("red", "amber", "green" or missing for no data) and ``count``.
    noun:
        What is counted, for the title ("3 of 12 projects red").
    """
    if _is_empty(df, ["rag", "count"]):
        return no_data(title or "RAG status", f"No {noun}s to report")
    totals = _rag_totals(df)
    if title is None:
        title = rag_finding(df, noun)
    keys = [k for k in RAG_ORDER if k != "n/a" or totals["n/a"]]
    d = pd.DataFrame({"rag": keys, "count": [totals[k] for k in keys]})
    d["label"] = d["rag"].map(RAG_LABELS)
    d["text"] = [f"{c} {RAG_LABELS[k].lower()}" for k, c in zip(d["rag"], d["count"], strict=True)]
    labels = list(d["label"])
    data = _records(d)
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
    return alt.layer(bars, text).properties(title=_title(title), width=360, height=34 * len(keys))
