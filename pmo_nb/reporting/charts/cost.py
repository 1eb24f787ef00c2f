"""Cost charts: the S-curve of planned value, earned value and actual cost."""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd

from pmo_nb.periods import Period
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import carries_renderer, is_empty, no_data, period_text, records, titled
from pmo_nb.reporting.charts.theme import HEIGHT, SERIES_COLORS, WIDTH
from pmo_nb.reporting.narrative import cost_finding


@carries_renderer
def s_curve(
    df: pd.DataFrame,
    bac: float | None = None,
    eac: float | None = None,
    title: str | None = None,
    *,
    currency: str = "EUR",
    planned_finish: Any = None,
    forecast_finish: Any = None,
    reporting_period: Any = None,
) -> alt.TopLevelMixin:
    """Cumulative PV, EV and AC by month, with BAC and EAC as labelled horizontal rules.

    Given ``planned_finish`` and ``forecast_finish`` (dates) the chart runs to completion: a dashed segment from
    the last actual cost to the EAC at the forecast finish, one from the last planned value to the BAC at the
    planned finish, and a rule at the planned finish; ``reporting_period`` (``YYYY-MM``) draws a rule at the
    reporting date.

    Parameters
    ----------
    df:
        Columns ``period`` ("YYYY-MM"), ``pv``, ``ev``, ``ac`` (cumulative), one row per month
        (``Kpis.s_curve()``). Extra columns are ignored.
    bac, eac:
        Budget at completion and estimate at completion; a missing value draws no rule.
    title:
        The headline; by default actual cost against plan to date ("Actual cost 12.5% over plan to date").
    currency:
        ISO code for the axis title and tooltips.
    """
    if is_empty(df, ["period", "pv", "ev", "ac"]):
        return no_data(title or "Cost and progress", "No financial data for this period yet")
    d = df[["period", "pv", "ev", "ac"]].copy()
    d["period"] = d["period"].map(period_text)
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
    long = records(long)

    if title is None:
        last = d.iloc[-1]
        title = cost_finding(last["ac"], last["pv"])
    sub = f"Cumulative, {fmt.month(months[0])} to {fmt.month(months[-1])}"

    domain = [names[k] for k in ("PV", "EV", "AC")]
    ahead = completion_points(d, bac=bac, eac=eac, planned_finish=planned_finish, forecast_finish=forecast_finish,
                              reporting_period=reporting_period, currency=currency)
    extended = sorted(set(months) | set(ahead["period"]))
    if extended != months:
        whole = [str(Period(extended[0]).shift(k)) for k in range(_months_between(extended[0], extended[-1]) + 1)]
        x = alt.X("period:O", sort=whole, title=None, scale=alt.Scale(domain=whole),
                  axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    else:
        x = alt.X("period:O", sort=months, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    if len(ahead):
        notes = [t for t in ahead["note"].dropna().unique() if t]
        sub = f"{sub}; " + "; ".join(notes) if notes else sub
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
        v = fmt.number(value)
        if v is not None:
            refs.append({"ref": name, "value": v, "label": f"{name} {fmt.money(v, currency)}"})
    extra = _completion_layers(ahead, x)
    if not refs:
        return alt.layer(lines, *extra).properties(title=titled(title, sub), width=WIDTH, height=HEIGHT)
    ref_df = pd.DataFrame(refs).sort_values("ref")
    rules = (
        alt.Chart(ref_df)
        .mark_rule(strokeDash=[4, 3], strokeWidth=1.5, color="#444444")
        .encode(y="value:Q", tooltip=[alt.Tooltip("label:N", title="Reference")])
    )
    # BAC labelled at the left end of its rule, EAC at the right, so close values don't overprint.
    labels = [
        alt.Chart(ref_df[ref_df["ref"] == name])
        .mark_text(align=cast(Any, align), baseline="bottom", dx=dx, dy=-3, fontWeight="bold", color="#444444")
        .encode(y="value:Q", x=alt.value(x), text="label:N")
        for name, align, x, dx in (("BAC", "left", 0, 4), ("EAC", "right", WIDTH, -4))
        if (ref_df["ref"] == name).any()
    ]
    return alt.layer(lines, rules, *labels, *extra).properties(title=titled(title, sub), width=WIDTH,
                                                                height=HEIGHT)


def _months_between(a: str, b: str) -> int:
    pa, pb = Period(a), Period(b)
    return (pb.year - pa.year) * 12 + pb.month - pa.month


def completion_points(d: pd.DataFrame, *, bac: Any, eac: Any, planned_finish: Any, forecast_finish: Any,
                      reporting_period: Any, currency: str = "EUR") -> pd.DataFrame:
    """The S-curve's data step beyond today: forecast and plan segments to completion, and the dated rules.

    Returns rows ``kind`` ("forecast", "plan" segment points; "finish", "today" rules), ``period``, ``value``,
    ``label`` and ``note`` (the subtitle's words); no row for what is not given.
    """
    rows: list[dict[str, Any]] = []
    last = d.iloc[-1]
    start = str(last["period"])
    finish, forecast = fmt.timestamp(planned_finish), fmt.timestamp(forecast_finish)
    eac_v, bac_v = fmt.number(eac), fmt.number(bac)
    if forecast is not None and eac_v is not None and fmt.number(last["ac"]) is not None:
        end = str(Period.of(forecast))
        if end > start:
            note = f"dashed red: forecast to completion, EAC {fmt.money(eac_v, currency)} by {fmt.month_short(end)}"
            rows += [{"kind": "forecast", "period": start, "value": float(last["ac"]), "label": "", "note": note},
                     {"kind": "forecast", "period": end, "value": eac_v, "label": "", "note": note}]
    if finish is not None:
        end = str(Period.of(finish))
        if bac_v is not None and fmt.number(last["pv"]) is not None and end > start:
            rows += [{"kind": "plan", "period": start, "value": float(last["pv"]), "label": "", "note": None},
                     {"kind": "plan", "period": end, "value": bac_v, "label": "", "note": None}]
        rows.append({"kind": "finish", "period": end, "value": None,
                     "label": f"Planned finish {fmt.month_short(end)}", "note": None})
    if reporting_period is not None and not fmt.is_missing(reporting_period):
        today = str(Period(reporting_period))
        rows.append({"kind": "today", "period": today, "value": None,
                     "label": f"Reporting date {fmt.month_short(today)}", "note": None})
    return pd.DataFrame(rows, columns=["kind", "period", "value", "label", "note"])


def _completion_layers(ahead: pd.DataFrame, x: alt.X) -> list[alt.Chart]:
    layers: list[alt.Chart] = []
    for kind, color, dash in (("forecast", SERIES_COLORS["AC"], [6, 3]), ("plan", SERIES_COLORS["PV"], [2, 3])):
        part = ahead[ahead["kind"] == kind]
        if len(part):
            layers.append(alt.Chart(records(part[["period", "value"]]))
                          .mark_line(color=color, strokeDash=dash, strokeWidth=2, point=alt.OverlayMarkDef(
                              color=color, size=40))
                          .encode(x=x, y="value:Q"))
    # the dates' labels sit at the foot of their rules, clear of the BAC and EAC labels at the top
    for kind, color, dash, align, dy in (("finish", "#555555", [4, 3], "right", 0),
                                         ("today", "#1f5fa8", [6, 3], "left", -16)):
        part = ahead[ahead["kind"] == kind]
        if len(part):
            data = records(part[["period", "label"]])
            layers.append(alt.Chart(data).mark_rule(color=color, strokeDash=dash, strokeWidth=1.5).encode(x=x))
            text = alt.Chart(data).mark_text(align=cast(Any, align), baseline="bottom",
                                             dx=-4 if align == "right" else 4, dy=dy, color=color, fontSize=11)
            layers.append(text.encode(x=x, y=alt.value(HEIGHT - 4), text="label:N"))
    return layers
