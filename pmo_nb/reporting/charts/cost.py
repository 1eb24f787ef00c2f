"""Cost charts: the S-curve of planned value, earned value and actual cost."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import is_empty, no_data, period_text, records, titled
from pmo_nb.reporting.charts.theme import HEIGHT, SERIES_COLORS, WIDTH
from pmo_nb.reporting.narrative import cost_finding


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
        v = fmt.number(value)
        if v is not None:
            refs.append({"ref": name, "value": v, "label": f"{name} {fmt.money(v, currency)}"})
    if not refs:
        return lines.properties(title=titled(title, sub), width=WIDTH, height=HEIGHT)
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
    return alt.layer(lines, rules, *labels).properties(title=titled(title, sub), width=WIDTH, height=HEIGHT)
