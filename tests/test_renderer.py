"""The "pmo" renderer's display bundle and the report-metadata output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from IPython.core.interactiveshell import InteractiveShell

from pmo_nb.exceptions import RenderError
from pmo_nb.reporting import charts, display

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def pmo_renderer():
    previous_renderer = alt.renderers.active
    previous_transformer = alt.data_transformers.active
    display.enable()
    yield
    alt.renderers.enable(previous_renderer)
    alt.data_transformers.enable(previous_transformer)


@pytest.fixture
def rag_chart():
    return charts.rag_counts(pd.DataFrame({"rag": ["green", "red", "amber"], "count": [7, 3, 2]}))


@pytest.fixture
def milestone_chart():
    df = pd.DataFrame(
        {
            "project": ["ERP", "<CRM & co>"],
            "milestone": ["Go-live", "Pilot"],
            "baseline_date": pd.to_datetime(["2026-09-30", "2026-06-15"]),
            "current_date": pd.to_datetime(["2026-11-30", "2026-06-10"]),
            "status": ["missed", "achieved_on_time"],
            "slip_days": [61.0, -5.0],
        }
    )
    return charts.milestone_timeline(df, period_end="2026-10-31")


def test_enable_activates_renderer_theme_and_inline_data():
    assert alt.renderers.active == "pmo"
    assert alt.theme.active == "pmo"
    assert alt.data_transformers.active == "default"


def test_bundle_mimetypes_and_text(rag_chart):
    bundle, metadata = rag_chart._repr_mimebundle_()
    assert set(bundle) == {
        "application/vnd.vegalite.v6+json",
        "application/vnd.vegalite.v5+json",
        "image/svg+xml",
        "text/plain",
    }
    assert bundle["text/plain"] == "Chart: 3 of 12 projects red"
    assert metadata["application/vnd.vegalite.v5+json"]["embed_options"]["actions"] is False


def test_vegalite_json_is_the_full_spec_with_inline_data(rag_chart):
    bundle, _ = rag_chart._repr_mimebundle_()
    spec = bundle["application/vnd.vegalite.v6+json"]
    assert spec["$schema"].endswith(f"/vega-lite/{alt.SCHEMA_VERSION}.json")
    assert display.url_references(spec) == []
    rows = next(iter(spec["datasets"].values()))
    assert [(r["label"], r["count"]) for r in rows] == [("Red", 3), ("Amber", 2), ("Green", 7)]
    json.dumps(spec)  # plain JSON, as nbformat stores it
    v5 = bundle["application/vnd.vegalite.v5+json"]
    assert v5["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    assert {k: v for k, v in v5.items() if k != "$schema"} == {k: v for k, v in spec.items() if k != "$schema"}


def test_svg_is_valid_static_and_self_contained(milestone_chart):
    bundle, _ = milestone_chart._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG_NS}svg"
    assert svg.lstrip().startswith("<svg")
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.endswith("href"):
                assert not value.startswith(("http:", "https:", "//", "file:")), (name, value)
    assert "http://" not in svg.replace("http://www.w3.org/", "")
    assert "https://" not in svg
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
    assert "<CRM & co>" in texts  # data text kept as text, escaped by the XML writer
    assert "Pilot" in texts
    assert any("Dashed blue line: end of the reporting period, 31 Oct 2026" in t for t in texts)
    fonts = {t.get("font-family") for t in root.iter(f"{SVG_NS}text")}
    assert any(f and "DejaVu Sans" in f for f in fonts)


def test_display_emits_one_display_data(rag_chart):
    shell = InteractiveShell.instance()
    data, metadata = shell.display_formatter.format(rag_chart)
    assert "image/svg+xml" in data and "application/vnd.vegalite.v6+json" in data
    assert data["text/plain"] == "Chart: 3 of 12 projects red"


def test_url_data_is_refused():
    chart = alt.Chart("https://example.com/data.csv").mark_point().encode(x="a:Q").properties(title="Remote")
    with pytest.raises(RenderError, match=r"'Remote' loads data from a URL \(/data/url\)"):
        display.mimebundle(chart.to_dict())


def test_unrenderable_spec_is_a_render_error():
    with pytest.raises(RenderError, match="could not be rendered to SVG"):
        display.to_svg({"mark": "point", "encoding": {"x": {"field": "a", "type": "nonsense"}}, "title": "Bad"})


def test_v5_copy_is_left_out_when_vega_lite_5_cannot_compile(rag_chart):
    spec = rag_chart.to_dict()
    assert display.as_v5(spec) is not None
    broken = {"$schema": spec["$schema"], "data": {"values": [{"a": 1}]}, "mark": "no-such-mark"}
    assert display.as_v5(broken) is None


def test_no_data_chart_renders(rag_chart):
    bundle, _ = charts.s_curve(pd.DataFrame(columns=["period", "pv", "ev", "ac"]))._repr_mimebundle_()
    root = ET.fromstring(bundle["image/svg+xml"])
    assert "No financial data for this period yet" in ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def test_charts_render_to_png(tmp_path, rag_chart):
    df = pd.DataFrame(
        {
            "label": ["ERP", "CRM"],
            "cpi": [0.85, 1.05],
            "spi_t": [0.8, np.nan],
            "bac": [2e6, 5e5],
            "rag": ["red", None],
        }
    )
    for name, chart in {"rag": rag_chart, "quadrant": charts.cpi_spi_quadrant(df)}.items():
        png = vlc.vegalite_to_png(chart.to_dict(), scale=1)
        assert png[:8] == b"\x89PNG\r\n\x1a\n", name
        (tmp_path / f"{name}.png").write_bytes(png)
        width = int.from_bytes(png[16:20], "big")
        assert 300 < width < 800, name  # readable on an A4 landscape page without scaling down


# ---------------------------------------------------------------------------------------------- report meta

META = dict(
    kind="program",
    title="ERP Modernisation",
    program_id="PRG-01",
    organisation="Acme PMO",
    period="2026-10",
    rag="Amber",
    rag_reason="CPI 0.93",
    source_fingerprint="3FA2C9",
    currency="EUR",
    page_size="A4",
    orientation="landscape",
)


def test_report_meta_bundle():
    bundle = display.report_meta_bundle(**META)
    assert bundle["text/plain"] == ""
    meta = bundle["application/vnd.pmo-nb.report+json"]
    assert meta == {
        "kind": "program",
        "title": "ERP Modernisation",
        "program_id": "PRG-01",
        "organisation": "Acme PMO",
        "period": "2026-10",
        "period_label": "October 2026",
        "rag": "amber",
        "rag_reason": "CPI 0.93",
        "source_fingerprint": "3fa2c9",
        "currency": "EUR",
        "page_size": "A4",
        "orientation": "landscape",
        "branding": {},
    }
    assert list(meta) == list(display.REPORT_FIELDS)


def test_report_meta_portfolio_defaults():
    meta = display.report_meta_dict(kind="portfolio", title="Portfolio", period="2026-01")
    assert meta["program_id"] is None and meta["rag"] is None
    assert meta["period_label"] == "January 2026"
    assert (meta["page_size"], meta["orientation"]) == ("A4", "landscape")


def test_report_meta_displays(capsys):
    from IPython.core.displaypub import DisplayPublisher

    published = []

    class Recorder(DisplayPublisher):
        def publish(self, data, metadata=None, *args, **kwargs):
            published.append(data)

    shell = InteractiveShell.instance()
    original = shell.display_pub
    shell.display_pub = Recorder()
    try:
        returned = display.report_meta(**META)
    finally:
        shell.display_pub = original
    assert published == [display.report_meta_bundle(**META)]
    assert returned["title"] == "ERP Modernisation"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "project"}, r"'kind' has value 'project': must be one of \['program', 'portfolio'\]"),
        ({"period": "2026-13"}, "'period' has value '2026-13': must be a month written YYYY-MM"),
        ({"rag": "purple"}, "'rag' has value 'purple'"),
        ({"orientation": "sideways"}, "'orientation'"),
        ({"page_size": "B5"}, "'page_size'"),
        ({"program_id": None}, "'program_id' has value None: is required when kind is 'program'"),
        ({"source_fingerprint": "xyz"}, "'source_fingerprint' has value 'xyz': must be hexadecimal"),
        ({"title": " "}, "'title'"),
        ({"colour": "blue"}, r"unknown field\(s\) \['colour'\]"),
    ],
)
def test_report_meta_rejects_bad_fields(change, message):
    with pytest.raises(RenderError, match=message):
        display.report_meta_bundle(**{**META, **change})


def test_report_meta_requires_kind_title_period():
    with pytest.raises(RenderError, match="'kind', 'title' and 'period' are required"):
        display.report_meta_bundle(title="x", period="2026-10")
