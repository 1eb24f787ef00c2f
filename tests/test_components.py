"""Report components: title block, KPI tiles, notes, empty messages, the HTML wrapper, the CSS."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from pmo_nb.paths import COMPONENT_CSS, PACKAGE_DIR
from pmo_nb.reporting import components as comp

XSS = "<script>alert(1)</script>"


def test_html_wrapper_displays_as_text_html(monkeypatch):
    monkeypatch.setenv("PMO_NB_BATCH", "1")  # in a notebook outside a batch run it carries its style too
    fragment = comp.HTML('<p class="pmo-note">x</p>')
    data, _ = DisplayFormatter().format(fragment)
    assert data["text/html"] == '<p class="pmo-note">x</p>'
    assert str(fragment) == fragment._repr_html_() == fragment.__html__()
    assert (fragment + comp.HTML("<p>y</p>")).html == '<p class="pmo-note">x</p><p>y</p>'
    assert fragment == comp.HTML('<p class="pmo-note">x</p>')


def test_title_block():
    html = str(
        comp.title_block(
            "ERP Modernisation",
            "Program report",
            period_label="October 2026",
            organisation="Acme PMO",
            rag="amber",
            rag_reason="CPI 0.93 below 0.95",
        )
    )
    assert html.startswith('<div class="pmo-title">')
    assert '<div class="pmo-title-org">Acme PMO</div>' in html
    assert '<div class="pmo-title-main">ERP Modernisation</div>' in html
    assert '<div class="pmo-title-sub">Program report · October 2026</div>' in html
    assert '<span class="pmo-rag pmo-rag-amber">Amber</span>' in html
    assert "CPI 0.93 below 0.95" in html
    assert "<h1" not in html and "<h2" not in html  # must not feed the template's table of contents


def test_title_block_minimal_has_no_empty_parts():
    html = str(comp.title_block("Portfolio"))
    assert html == '<div class="pmo-title"><div class="pmo-title-main">Portfolio</div></div>'


def test_kpi_tiles():
    html = str(
        comp.kpi_tiles(
            [
                {"label": "CPI", "value": "0.93", "change": "-0.02 ▼", "direction": "bad", "rag": "amber"},
                comp.Tile("EAC", "€1.3M", "+€50k ▲", "bad"),
                comp.Tile("Milestones on time", "80.0%", "", "neutral", note="8 of 10"),
                comp.Tile("SPI(t)", "1.02", "+0.01 ▲", "good"),
            ]
        )
    )
    assert html.startswith('<div class="pmo-tiles">')
    assert html.count('class="pmo-tile ') == 4
    assert html.count("pmo-tile-bad") == 2 and html.count("pmo-tile-good") == 1
    assert '<div class="pmo-tile-label">CPI</div>' in html
    assert '<div class="pmo-tile-value">0.93 <span class="pmo-rag pmo-rag-amber">Amber</span></div>' in html
    assert 'pmo-change-bad">-0.02 ▼<span class="pmo-sr"> (worse)</span>' in html
    assert 'pmo-change-good">+0.01 ▲<span class="pmo-sr"> (better)</span>' in html
    assert '<div class="pmo-tile-note">8 of 10</div>' in html
    # a tile without change text has no change line
    third = html.split('class="pmo-tile ')[3]
    assert "pmo-tile-change" not in third


@pytest.mark.parametrize(
    ("tile", "message"),
    [
        ({"label": "CPI", "value": "1", "direction": "up"}, "direction 'up'"),
        ({"label": "CPI"}, "needs at least 'label' and 'value'"),
        ({"label": "CPI", "value": "1", "colour": "red"}, r"unknown key\(s\) \['colour'\]"),
    ],
)
def test_bad_tiles_are_explained(tile, message):
    with pytest.raises(ValueError, match=message):
        comp.kpi_tiles([tile])


def test_no_tiles_is_an_empty_note():
    assert str(comp.kpi_tiles([])) == '<p class="pmo-empty">No KPIs to show.</p>'


def test_note_and_empty():
    assert str(comp.note("CPI = EV / AC")) == '<p class="pmo-note">CPI = EV / AC</p>'
    assert str(comp.empty("risks")) == '<p class="pmo-empty">No risks recorded for this program.</p>'
    assert str(comp.empty("issues", "portfolio")) == '<p class="pmo-empty">No issues recorded for this portfolio.</p>'
    assert str(comp.empty("x", text="Nothing <here>.")) == '<p class="pmo-empty">Nothing &lt;here&gt;.</p>'


def test_summary_paragraphs_and_bullets():
    html = str(comp.summary(["Costs over plan.", "- CPI 0.93", "- SPI(t) 0.97", "Watch <ERP>."], heading="Summary"))
    assert html == (
        '<div class="pmo-summary"><div class="pmo-summary-heading">Summary</div><p>Costs over plan.</p>'
        "<ul><li>CPI 0.93</li><li>SPI(t) 0.97</li></ul><p>Watch &lt;ERP&gt;.</p></div>"
    )


def test_table_wrapper_words_empty_section():
    df = pd.DataFrame({"risk": []})
    assert str(comp.table(df, ["risk"], empty_section="risks")) == (
        '<p class="pmo-empty">No risks recorded for this program.</p>'
    )


def test_every_component_escapes_data():
    parts = [
        comp.title_block(XSS, XSS, period_label=XSS, organisation=XSS, rag=XSS, rag_reason=XSS),
        comp.kpi_tiles([comp.Tile(XSS, XSS, XSS, "bad", note=XSS, rag=XSS)]),
        comp.note(XSS),
        comp.empty(XSS, XSS),
        comp.summary([XSS, "- " + XSS], heading=XSS),
        comp.table(pd.DataFrame({XSS: [XSS]})),
        comp.rag(XSS),
    ]
    for part in parts:
        assert "<script" not in str(part), part


def test_css_styles_every_class_the_package_emits():
    css = COMPONENT_CSS.read_text(encoding="utf-8")
    defined = set(re.findall(r"\.(pmo-[a-z0-9-]+)", css))
    reporting = PACKAGE_DIR / "reporting"
    source = "".join((reporting / name).read_text(encoding="utf-8") for name in ("components.py", "tables.py"))
    used = set(re.findall(r"(pmo-[a-z0-9-]+)", source)) - {"pmo-nb", "pmo-rag-", "pmo-tile-", "pmo-change-"}
    used |= {f"pmo-rag-{k}" for k in ("red", "amber", "green", "na")}
    used |= {f"pmo-tile-{k}" for k in ("good", "bad", "neutral")}
    used |= {f"pmo-change-{k}" for k in ("good", "bad", "neutral")}
    contract = {
        "pmo-title",
        "pmo-tiles",
        "pmo-tile",
        "pmo-table",
        "pmo-rag",
        "pmo-num",
        "pmo-summary",
        "pmo-note",
        "pmo-empty",
        "pmo-chart",
    }
    assert not (used | contract) - defined
    assert "@media print" in css
    assert "table-header-group" in css and "break-inside: avoid" in css


def test_css_ships_with_the_package(project_root):
    import tomllib

    pyproject = tomllib.loads((project_root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "reporting/static/*" in pyproject["tool"]["setuptools"]["package-data"]["pmo_nb"]
    assert COMPONENT_CSS.is_file()
