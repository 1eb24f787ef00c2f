"""Chart library: each builder's spec (marks, encodings, sort, title), determinism, no URLs, empty input."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from pmo_nb.reporting import charts, narrative, setup


@pytest.fixture(autouse=True, scope="module")
def _pmo_theme():
    """The theme is enabled by an explicit setup(), never by importing the chart modules."""
    setup()


def spec_of(chart, validate: bool = False) -> dict:
    """The chart's spec; schema validation is slow, so only test_specs_are_valid_... asks for it."""
    return chart.to_dict(validate=validate)


def layers(spec: dict) -> list[dict]:
    """Every unit spec (a dict with a mark) in a (possibly layered or concatenated) spec."""
    out = []
    if "mark" in spec:
        out.append(spec)
    if "spec" in spec:  # facet
        out.extend(layers(spec["spec"]))
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for sub in spec.get(key, []):
            out.extend(layers(sub))
    return out


def mark_type(unit: dict) -> str:
    return unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]


def values(spec: dict, unit: dict) -> list[dict]:
    data = unit.get("data") or spec.get("data")
    return spec["datasets"][data["name"]]


def title_text(spec: dict) -> str:
    t = spec["title"]
    return t["text"] if isinstance(t, dict) else t


def subtitle(spec: dict) -> list[str]:
    sub = spec["title"].get("subtitle", [])
    return [sub] if isinstance(sub, str) else sub


def assert_no_urls(spec: dict) -> None:
    text = json.dumps({k: v for k, v in spec.items() if k != "$schema"})
    assert '"url"' not in text
    assert "http" not in text


# ---------------------------------------------------------------------------------------------- data


@pytest.fixture
def s_curve_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026-03", "2026-01", "2026-02"],
            "pv": [300.0, 100.0, 200.0],
            "ev": [270.0, 90.0, 180.0],
            "ac": [300.0, 100.0, 195.0],
        }
    )


@pytest.fixture
def quadrant_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["ERP", "CRM", "HR", "Data"],
            "cpi": [0.85, 1.05, np.nan, 0.97],
            "spi_t": [0.8, 0.95, 1.0, 1.02],
            "bac": [2e6, 5e5, 1e6, 3e6],
            "rag": ["red", "amber", "green", None],
        }
    )


@pytest.fixture
def milestones_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project": ["ERP", "CRM", "ERP", "CRM"],
            "milestone": ["Go-live", "Pilot", "Design", "Rollout"],
            "baseline_date": pd.to_datetime(["2026-09-30", "2026-06-15", "2026-03-31", "2026-12-01"]),
            "current_date": pd.to_datetime(["2026-11-30", "2026-06-10", "2026-04-20", "2027-01-15"]),
            "status": ["missed", "achieved_on_time", "achieved_late", "upcoming"],
            "slip_days": [61.0, -5.0, 20.0, 45.0],
        }
    )


@pytest.fixture
def heatmap_df() -> pd.DataFrame:
    rows = []
    for p in range(1, 6):
        for i in range(1, 6):
            score = p * i
            band = "critical" if score >= 20 else "high" if score >= 10 else "medium" if score >= 5 else "low"
            rows.append((p, i, 1 if score >= 20 else 0, band))
    df = pd.DataFrame(rows, columns=["probability", "impact", "count", "band"])
    df.loc[(df.probability == 2) & (df.impact == 3), "count"] = 4
    return df


@pytest.fixture
def trend_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026-09", "2026-08", "2026-10"],
            "open_risks": [9, 8, 10],
            "emv_open": [600_000.0, 500_000.0, 900_000.0],
            "critical_open": [1, 0, 2],
        }
    )


@pytest.fixture
def ageing_df() -> pd.DataFrame:
    rows = [
        (">180", "low", 1),
        ("0-30", "critical", 1),
        ("0-30", "low", 3),
        ("31-60", "high", 2),
        ("91-180", "medium", 2),
        ("61-90", "low", 0),
    ]
    return pd.DataFrame(rows, columns=["bucket", "severity", "count"])


# ---------------------------------------------------------------------------------------------- theme


def test_importing_the_reporting_modules_enables_nothing():
    code = ("import altair as alt; import pmo_nb.reporting.report, pmo_nb.reporting.charts; "
            "print(alt.theme.active, alt.renderers.active, 'pmo' in alt.renderers.names()); "
            "from pmo_nb.reporting import setup; setup(); print(alt.theme.active, alt.renderers.active)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "default default False"
    assert out[1] == "pmo pmo"


def test_theme_is_registered_enabled_and_applied(s_curve_df):
    assert "pmo" in alt.theme.names()
    assert alt.theme.active == "pmo"
    config = spec_of(charts.s_curve(s_curve_df))["config"]
    assert config["font"].startswith("DejaVu Sans")
    assert config["axis"]["labelFontSize"] >= 11
    assert config["title"]["fontSize"] >= 14
    assert 640 <= config["view"]["continuousWidth"] <= 760


def test_rag_palette_differs_in_lightness_and_shape():
    def lightness(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    levels = sorted(lightness(charts.RAG_COLORS[k]) for k in ("red", "amber", "green"))
    assert min(b - a for a, b in zip(levels, levels[1:], strict=False)) > 0.1
    assert len(set(charts.RAG_SHAPES.values())) == len(charts.RAG_SHAPES)


# ---------------------------------------------------------------------------------------------- findings


@pytest.mark.parametrize(
    ("ac", "pv", "expected"),
    [
        (112.5, 100, "Actual cost 12.5% over plan to date"),  # (112.5 - 100) / 100
        (92, 100, "Actual cost 8.0% under plan to date"),
        (100.04, 100, "Actual cost on plan to date"),  # 0.04% rounds to 0.0%
        (100, np.nan, "Cost against plan not yet measurable"),
        (100, 0, "Cost against plan not yet measurable"),
    ],
)
def test_cost_finding_compares_cost_with_plan(ac, pv, expected):
    assert narrative.cost_finding(ac, pv) == expected


@pytest.mark.parametrize(
    ("sv_t", "expected"),
    [
        (-1.5, "Work 1.5 months behind schedule"),
        (1.0, "Work 1.0 month ahead of schedule"),
        (0.01, "Work on schedule"),
    ],
)
def test_schedule_finding(sv_t, expected):
    assert narrative.schedule_finding(sv_t) == expected


@pytest.mark.parametrize(
    ("rags", "counts", "expected"),
    [
        (["green", "amber", "red"], [7, 2, 3], "3 of 12 projects red"),
        (["green", "amber"], [7, 2], "2 of 9 projects amber, none red"),
        (["green"], [4], "All 4 projects green"),
        (["green", None], [3, 1], "3 of 4 projects green, 1 without data"),
        (["red"], [0], "No projects to report"),
    ],
)
def test_rag_finding(rags, counts, expected):
    assert narrative.rag_finding(pd.DataFrame({"rag": rags, "count": counts})) == expected


def test_other_findings(quadrant_df, milestones_df, heatmap_df, trend_df, ageing_df):
    assert narrative.quadrant_finding(quadrant_df) == "1 of 3 projects over budget and late"
    assert narrative.milestone_finding(milestones_df) == "3 of 4 milestones slipped, worst by 61 days; 1 missed"
    assert narrative.risk_finding(heatmap_df) == "3 critical risks among 7 open"
    assert narrative.exposure_finding(trend_df) == "Open risk exposure up to €900k (+€300k since Sep 2026)"
    assert narrative.ageing_finding(ageing_df) == "3 of 9 open issues older than 90 days"
    assert narrative.issues_finding(pd.DataFrame({"severity": ["low", "high"], "count": [2, 1]})) == (
        "3 open issues, none critical"
    )


# ---------------------------------------------------------------------------------------------- builders


def test_s_curve(s_curve_df):
    spec = spec_of(charts.s_curve(s_curve_df, bac=1_000.0, eac=1_111.0))
    assert title_text(spec) == "Actual cost on plan to date"  # AC 300 = PV 300 in March: on plan (CPI is 0.90)
    assert subtitle(spec) == ["Cumulative, January 2026 to March 2026"]
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["line", "rule", "text", "text"]
    line = units[0]
    assert line["encoding"]["x"]["sort"] == ["2026-01", "2026-02", "2026-03"]
    assert line["encoding"]["y"]["field"] == "value"
    assert {"color", "strokeDash", "shape", "tooltip"} <= set(line["encoding"])
    rows = values(spec, line)
    assert [(r["period"], r["measure"][-3:-1]) for r in rows[:3]] == [
        ("2026-01", "PV"),
        ("2026-01", "EV"),
        ("2026-01", "AC"),
    ]
    assert rows[-1]["amount"] == "€300"
    assert [values(spec, u)[0]["ref"] for u in units[2:]] == ["BAC", "EAC"]
    assert [u["mark"]["align"] for u in units[2:]] == ["left", "right"]  # close values don't overprint
    refs = values(spec, units[1])
    assert [(r["ref"], r["value"], r["label"]) for r in refs] == [
        ("BAC", 1000.0, "BAC €1k"),
        ("EAC", 1111.0, "EAC €1.1k"),
    ]
    assert_no_urls(spec)


def test_s_curve_without_references_is_a_single_line_chart(s_curve_df):
    spec = spec_of(charts.s_curve(s_curve_df, bac=np.nan, title="Given title"))
    assert title_text(spec) == "Given title"
    assert [mark_type(u) for u in layers(spec)] == ["line"]


def test_quadrant(quadrant_df):
    spec = spec_of(charts.cpi_spi_quadrant(quadrant_df, green=0.95, amber=0.9))
    assert title_text(spec) == "1 of 3 projects over budget and late"
    assert subtitle(spec)[0] == "1 project without a defined CPI or SPI(t) (no financials yet) not shown"
    units = layers(spec)
    marks = [mark_type(u) for u in units]
    assert marks.count("rule") == 4 and marks.count("point") == 1
    rule_values = sorted(v["v"] for u in units if mark_type(u) == "rule" for v in values(spec, u))
    assert rule_values == [0.9, 0.9, 0.95, 0.95, 1.0, 1.0]
    corner_text = sorted(r["text"] for u in units if mark_type(u) == "text" for r in values(spec, u) if "text" in r)
    assert corner_text == [
        "over budget, early",
        "over budget, late",
        "under budget, early",
        "under budget, late",
    ]
    bubbles = next(u for u in units if mark_type(u) == "point")
    enc = bubbles["encoding"]
    assert enc["x"]["field"] == "spi_t_plot" and enc["y"]["field"] == "cpi_plot"
    assert enc["size"]["field"] == "bac"
    assert enc["color"]["field"] == enc["shape"]["field"] == "status"
    assert enc["color"]["scale"]["domain"] == ["Red", "Amber", "No data"]
    assert enc["color"]["scale"]["range"] == [charts.RAG_COLORS[k] for k in ("red", "amber", "n/a")]
    assert enc["shape"]["scale"]["range"] == [charts.RAG_SHAPES[k] for k in ("red", "amber", "n/a")]
    rows = values(spec, bubbles)
    assert [r["label"] for r in rows] == ["CRM", "Data", "ERP"]  # HR dropped, sorted
    assert [r["name_label"] for r in rows] == ["CRM", "", "ERP"]  # red and amber named, green not
    # SPI(t) 0.80 .. 1.02 with 0.90, 0.95 and 1.0 kept visible, padded by 0.02, out to 0.05 steps: 0.75 .. 1.05
    assert enc["x"]["scale"]["domain"] == pytest.approx([0.75, 1.05])
    # CPI 0.85 .. 1.05, padded by 0.02 -> 0.83 .. 1.07, out to 0.80 .. 1.10
    assert enc["y"]["scale"]["domain"] == pytest.approx([0.8, 1.1])


def test_quadrant_outliers_are_drawn_at_the_edge_and_named(quadrant_df):
    quadrant_df.loc[1, "spi_t"] = 9.5  # CRM: an early project with a huge SPI(t)
    spec = spec_of(charts.cpi_spi_quadrant(quadrant_df))
    bubbles = next(u for u in layers(spec) if mark_type(u) == "point")
    assert bubbles["encoding"]["x"]["scale"]["domain"] == pytest.approx([0.75, 1.05])
    crm = next(r for r in values(spec, bubbles) if r["label"] == "CRM")
    assert crm["spi_t_plot"] == pytest.approx(1.05) and crm["spi_text"] == "9.50"
    assert subtitle(spec)[1] == "1 project outside the axes drawn at the edge (CRM)"


def _label_boxes(svg: str, names: set[str]) -> list[tuple[str, float, float, float, float]]:
    """Boxes of the name labels in a rendered SVG, 0.6 em per character, 1 em high."""
    boxes = []
    for m in re.finditer(r"<text([^>]*)>([^<]*)</text>", svg):
        attrs, text = m.group(1), html.unescape(m.group(2))
        if text not in names:
            continue
        x, y = (float(v) for v in re.search(r"translate\(([-\d.]+),([-\d.]+)\)", attrs).groups())
        size = float(re.search(r'font-size="([\d.]+)px"', attrs).group(1))
        width = 0.6 * size * len(text)
        anchor = re.search(r'text-anchor="(\w+)"', attrs)
        x0 = x - width if anchor and anchor.group(1) == "end" else x - width / 2 if anchor and \
            anchor.group(1) == "middle" else x
        boxes.append((text, x0, y - 0.8 * size, x0 + width, y + 0.2 * size))
    return boxes


def test_quadrant_names_never_overlap_at_40_programs():
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame({
        "label": [f"Program {name} {i:02d}" for i, name in enumerate(["Alpha", "Beta", "Gamma", "Delta"] * 10)],
        "cpi": rng.normal(0.95, 0.05, n).clip(0.8, 1.1), "spi_t": rng.normal(0.95, 0.05, n).clip(0.8, 1.1),
        "bac": rng.uniform(1e6, 9e6, n), "rag": ["red", "amber", "amber", "green"] * 10,
    })
    chart = charts.cpi_spi_quadrant(df, noun="program")
    spec = spec_of(chart)
    svg = vlc.vegalite_to_svg(spec)
    boxes = _label_boxes(svg, set(df["label"]))
    named = [r["name_label"] for u in layers(spec) if mark_type(u) == "point" for r in values(spec, u)
             if r["name_label"]]
    assert len(boxes) == len(named) >= 5  # the placed names are drawn
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]), f"{a[0]} overlaps {b[0]}"
    attention = set(df.loc[df["rag"] != "green", "label"])
    unnamed = attention - set(named)
    listed = " ".join(subtitle(spec))
    if unnamed:  # what finds no room is listed, by count at least
        assert "not named for space" in listed
    # the axes fit the data (0.8 .. 1.1 at most) and keep the thresholds in view
    x_dom = next(u for u in layers(spec) if mark_type(u) == "point")["encoding"]["x"]["scale"]["domain"]
    assert 0.7 <= x_dom[0] <= 0.8 and 1.05 <= x_dom[1] <= 1.15


def test_quadrant_all_undefined_is_no_data_with_note(quadrant_df):
    quadrant_df["cpi"] = np.nan
    spec = spec_of(charts.cpi_spi_quadrant(quadrant_df))
    assert [mark_type(u) for u in layers(spec)] == ["text"]
    assert subtitle(spec)[0].startswith("4 projects without a defined CPI")


def test_milestone_timeline(milestones_df):
    spec = spec_of(charts.milestone_timeline(milestones_df, period_end="2026-10-31"))
    assert title_text(spec) == "3 of 4 milestones slipped, worst by 61 days; 1 missed"
    assert subtitle(spec)[1] == "Dashed blue line: end of the reporting period, 31 Oct 2026"
    assert spec["facet"]["row"]["field"] == "project"
    assert spec["facet"]["row"]["sort"] == ["CRM", "ERP"]
    assert spec["resolve"]["scale"]["y"] == "independent"
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["rule", "point", "point", "text", "rule"]
    slip = units[0]
    assert slip["encoding"]["x"]["field"] == "baseline_date" and slip["encoding"]["x2"]["field"] == "current_date"
    assert slip["encoding"]["x"]["scale"]["type"] == "utc"
    assert slip["encoding"]["y"]["field"] == "row"
    assert slip["encoding"]["y"]["sort"] == {"field": "order", "op": "min"}
    current = units[2]
    assert current["encoding"]["color"]["scale"]["domain"] == [
        "Missed",
        "Achieved late",
        "Upcoming",
        "Achieved on time",
    ]
    rows = values(spec, slip)
    assert [(r["project"], r["row"], r["order"]) for r in rows] == [
        ("CRM", "Pilot", 0),
        ("CRM", "Rollout", 1),
        ("ERP", "Design", 0),
        ("ERP", "Go-live", 1),
    ]
    assert rows[0]["baseline_date"] == "2026-06-15" and rows[0]["current_text"] == "10 Jun 2026"
    assert [r["slip_label"] for r in rows] == ["", "+45d", "+20d", "+61d"]
    assert {r["period_end"] for r in rows} == {"2026-10-31"}
    assert units[4]["transform"] == [{"filter": "datum.first"}]  # one period-end rule per project panel
    assert units[4]["encoding"]["x"]["field"] == "period_end"


def test_milestone_timeline_repeated_names_and_no_period_end(milestones_df):
    milestones_df.loc[1, "milestone"] = "Rollout"  # CRM now has two "Rollout" milestones
    spec = spec_of(charts.milestone_timeline(milestones_df))
    assert [mark_type(u) for u in layers(spec)] == ["rule", "point", "point", "text"]
    rows = values(spec, layers(spec)[0])
    assert [r["row"] for r in rows][:2] == ["Rollout (2026-06-15)", "Rollout (2026-12-01)"]


def test_risk_heatmap_fills_the_grid(heatmap_df):
    sparse = heatmap_df[heatmap_df["count"] > 0]  # only 4 cells given: the chart still has 25
    spec = spec_of(charts.risk_heatmap(sparse))
    assert title_text(spec) == "3 critical risks among 7 open"
    rect, text = layers(spec)
    assert mark_type(rect) == "rect" and mark_type(text) == "text"
    cells = values(spec, rect)
    assert len(cells) == 25
    assert {(c["probability"], c["impact"]): c["count"] for c in cells}[(2, 3)] == 4
    assert sum(c["count"] for c in cells) == 7
    assert rect["encoding"]["y"]["sort"] == [5, 4, 3, 2, 1]
    assert rect["encoding"]["color"]["field"] == "band_label"
    assert text["encoding"]["text"]["field"] == "count_text"
    full = spec_of(charts.risk_heatmap(heatmap_df))
    assert full["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["Low", "Medium", "High", "Critical"]


def test_exposure_trend(trend_df):
    spec = spec_of(charts.exposure_trend(trend_df))
    assert title_text(spec) == "Open risk exposure up to €900k (+€300k since Sep 2026)"
    line, bars = layers(spec)
    assert mark_type(line) == "line" and mark_type(bars) == "bar"
    assert line["encoding"]["x"]["sort"] == ["2026-08", "2026-09", "2026-10"]
    assert [r["emv_text"] for r in values(spec, line)] == ["€500k", "€600k", "€900k"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Open risks", "of which critical"]


def test_exposure_trend_without_critical(trend_df):
    spec = spec_of(charts.exposure_trend(trend_df.drop(columns="critical_open")))
    bars = layers(spec)[1]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Open risks"]


def test_issues_by_severity_orders_and_fills():
    df = pd.DataFrame({"severity": ["critical", "LOW", "high"], "count": [1, 7, 4]})
    spec = spec_of(charts.issues_by_severity(df))
    assert title_text(spec) == "1 critical issue among 12 open"
    bars, text = layers(spec)
    assert bars["encoding"]["x"]["sort"] == ["Low", "Medium", "High", "Critical"]
    assert [(r["label"], r["count"]) for r in values(spec, bars)] == [
        ("Low", 7),
        ("Medium", 0),
        ("High", 4),
        ("Critical", 1),
    ]
    assert mark_type(text) == "text"


def test_issue_ageing(ageing_df):
    spec = spec_of(charts.issue_ageing(ageing_df))
    assert title_text(spec) == "3 of 9 open issues older than 90 days"
    bars, totals = layers(spec)
    assert bars["encoding"]["x"]["sort"] == ["0-30", "31-60", "61-90", "91-180", ">180"]
    assert bars["encoding"]["y"]["stack"] == "zero"
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Low", "Medium", "High", "Critical"]
    assert [(r["bucket"], r["count"]) for r in values(spec, totals)] == [
        ("0-30", 4),
        ("31-60", 2),
        ("61-90", 0),
        ("91-180", 2),
        (">180", 1),
    ]


def test_rag_counts():
    df = pd.DataFrame({"rag": ["green", "red", "amber"], "count": [7, 3, 2]})
    spec = spec_of(charts.rag_counts(df))
    assert title_text(spec) == "3 of 12 projects red"
    bars, text = layers(spec)
    assert [(r["label"], r["count"], r["text"]) for r in values(spec, bars)] == [
        ("Red", 3, "3 red"),
        ("Amber", 2, "2 amber"),
        ("Green", 7, "7 green"),
    ]
    assert bars["encoding"]["color"]["scale"]["range"] == [charts.RAG_COLORS[k] for k in ("red", "amber", "green")]


# ---------------------------------------------------------------------------------------------- shared


def builders(s_curve_df, quadrant_df, milestones_df, heatmap_df, trend_df, ageing_df):
    return {
        "s_curve": (lambda d: charts.s_curve(d, bac=400.0, eac=420.0), s_curve_df),
        "quadrant": (charts.cpi_spi_quadrant, quadrant_df),
        "milestones": (
            lambda d: charts.milestone_timeline(d, period_end=pd.Timestamp("2026-10-31")),
            milestones_df,
        ),
        "heatmap": (charts.risk_heatmap, heatmap_df),
        "trend": (charts.exposure_trend, trend_df),
        "severity": (charts.issues_by_severity, pd.DataFrame({"severity": ["high", "low"], "count": [2, 5]})),
        "ageing": (charts.issue_ageing, ageing_df),
        "rag": (charts.rag_counts, pd.DataFrame({"rag": ["green", "red", None], "count": [4, 1, 1]})),
    }


@pytest.fixture
def all_builders(s_curve_df, quadrant_df, milestones_df, heatmap_df, trend_df, ageing_df):
    return builders(s_curve_df, quadrant_df, milestones_df, heatmap_df, trend_df, ageing_df)


def test_specs_do_not_depend_on_row_order(all_builders):
    for name, (build, df) in all_builders.items():
        shuffled = df.sample(frac=1, random_state=7).set_axis(range(len(df))[::-1])
        assert spec_of(build(df)) == spec_of(build(shuffled)), name


def test_specs_are_valid_have_no_urls_and_use_the_theme(all_builders):
    for name, (build, df) in all_builders.items():
        spec = spec_of(build(df), validate=True)
        assert spec == spec_of(build(df))
        assert_no_urls(spec)
        assert spec["config"]["font"].startswith("DejaVu Sans"), name


def test_string_dtype_input_works(all_builders):
    for name, (build, df) in all_builders.items():
        converted = df.copy()
        for col in converted.columns:
            if converted[col].dtype == object:
                converted[col] = converted[col].astype("string")
        assert spec_of(build(converted)) == spec_of(build(df)), name


def test_empty_frames_give_a_no_data_chart(all_builders):
    for name, (build, df) in all_builders.items():
        spec = spec_of(build(df.iloc[:0]))
        units = layers(spec)
        assert [mark_type(u) for u in units] == ["text"], name
        assert values(spec, units[0])[0]["message"].startswith("No "), name
        assert title_text(spec), name
    assert title_text(spec_of(charts.rag_counts(None, title="RAG"))) == "RAG"  # type: ignore[arg-type]


def test_missing_column_names_it(s_curve_df):
    with pytest.raises(KeyError, match=r"missing column\(s\) \['ac'\]"):
        charts.s_curve(s_curve_df.drop(columns="ac"))


def test_risk_heatmap_leaves_empty_cells_blank():
    df = pd.DataFrame({"probability": [5, 1], "impact": [5, 1], "count": [2, 0], "band": ["critical", "low"]})
    spec = charts.risk_heatmap(df).to_dict()
    rows = [r for values in spec["datasets"].values() for r in values]
    texts = {(r["probability"], r["impact"]): r["count_text"] for r in rows}
    assert texts[(5, 5)] == "2" and texts[(1, 1)] == "" and texts[(3, 3)] == ""


def test_s_curve_runs_to_completion_with_plan_forecast_and_reporting_date(s_curve_df):
    chart = charts.s_curve(s_curve_df, bac=1_000.0, eac=1_200.0, planned_finish="2026-06-30",
                           forecast_finish="2026-08-15", reporting_period="2026-03")
    spec = spec_of(chart)
    assert subtitle(spec) == ["Cumulative, January 2026 to March 2026; dashed red: forecast to completion, "
                              "EAC €1.2k by Aug 2026"]
    units = layers(spec)
    segments = {tuple((r["period"], r["value"]) for r in values(spec, u)) for u in units
                if mark_type(u) == "line" and "period" in u["encoding"].get("x", {}).get("field", "")
                and u["encoding"]["y"] == {"field": "value", "type": "quantitative"}}
    # from the last actual cost (300) to the EAC at the forecast finish; from the last PV (300) to the BAC
    assert (("2026-03", 300.0), ("2026-08", 1200.0)) in segments
    assert (("2026-03", 300.0), ("2026-06", 1000.0)) in segments
    labels = sorted(r["label"] for u in units if mark_type(u) == "text" for r in values(spec, u)
                    if str(r.get("label", "")).startswith(("Planned", "Reporting")))
    assert labels == ["Planned finish Jun 2026", "Reporting date Mar 2026"]
    x = next(u for u in units if mark_type(u) == "line")["encoding"]["x"]
    assert x["scale"]["domain"] == [f"2026-0{m}" for m in range(1, 9)]  # the axis runs to the forecast finish


@pytest.mark.parametrize(("domain", "expected"), [
    ((0.75, 1.05), [0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05]),
    ((0.5, 1.5), [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]),
    ((0.83, 1.07), [0.85, 0.9, 0.95, 1.0, 1.05]),
])
def test_quadrant_axis_ticks_never_crowd(domain, expected):
    from pmo_nb.reporting.charts.portfolio import axis_ticks
    assert axis_ticks(domain) == pytest.approx(expected)
