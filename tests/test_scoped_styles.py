"""Components displayed in a notebook carry the pmo.css rules they use, scoped under ``.pmo-nb``."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pmo_nb.reporting import components
from pmo_nb.reporting.components import Rule, parse_css, scoped_css
from pmo_nb.reporting.tables import Col


@pytest.fixture(autouse=True)
def interactive(monkeypatch):
    monkeypatch.delenv("PMO_NB_BATCH", raising=False)


def _selectors(style: str) -> list[str]:
    text = re.sub(r"@media[^{]*\{", "", style)
    return [s.strip() for rule in re.findall(r"([^{}]+)\{[^{}]*\}", text) for s in rule.split(",")]


def test_parse_css_reads_rules_and_media_blocks():
    css = "/* c */ :root { --a: 1; }\n.x, .y .z { color: red; }\n@media print { .x { color: black; } }\n.w { a: b; }"
    assert parse_css(css) == [
        Rule((":root",), "--a: 1;"),
        Rule((".x", ".y .z"), "color: red;"),
        Rule((".x",), "color: black;", "@media print"),
        Rule((".w",), "a: b;"),
    ]


def test_scoped_css_keeps_only_selectors_whose_classes_are_used():
    rules = parse_css(":root { --a: 1; } .x, .y .z { color: red; } .q { top: 0; } @media print { .x { c: d; } }")
    assert scoped_css('<p class="x">', rules) == (
        ".pmo-nb { --a: 1; }\n.pmo-nb .x { color: red; }\n@media print {\n.pmo-nb .x { c: d; }\n}")
    assert scoped_css('<p class="y z">', rules) == ".pmo-nb { --a: 1; }\n.pmo-nb .y .z { color: red; }"


def test_a_tile_row_is_styled_without_the_title_and_hides_its_screen_reader_text():
    shown = components.kpi_tiles([{"label": "CPI", "value": "0.93", "change": "-0.02", "direction": "bad"}])
    html = shown._repr_html_()
    assert html.startswith('<div class="pmo-nb"><style>') and html.endswith("</div>")
    assert ".pmo-nb .pmo-sr {" in html  # "(worse)" visually hidden
    assert ".pmo-nb .pmo-tile-bad {" in html
    assert ".pmo-table" not in html  # a tile row does not carry the table rules
    assert str(shown) == shown.html and "<style" not in str(shown)


def test_every_carried_selector_is_under_the_scope_so_nothing_else_on_the_page_is_styled():
    df = pd.DataFrame({"name": ["ERP", "CRM"], "rag": ["red", "green"], "cpi": [0.9, 1.1], "mismatch": [True, False]})
    html = components.table(df, [Col("name"), Col("rag", kind="rag"), Col("cpi", kind="ratio")],
                            highlight="mismatch")._repr_html_()
    selectors = _selectors(html.split("<style>")[1].split("</style>")[0])
    assert selectors and all(s == ".pmo-nb" or s.startswith(".pmo-nb ") for s in selectors)
    assert ":root" not in html and "anywhere" not in html


def _specificity(selector: str) -> tuple[int, int, int]:
    ids = selector.count("#")
    classes = len(re.findall(r"\.[\w-]+|:(?!:)[\w-]+(?:\([^)]*\))?", selector))
    elements = len(re.findall(r"(?:^|[\s>+~])([a-z][a-z0-9]*)", selector))
    return ids, classes, elements


def test_flagged_rows_beat_jupyterlab_striping_on_odd_rows():
    df = pd.DataFrame({"name": ["a", "b", "c"], "flag": [True, True, False]})
    html = components.table(df, ["name"], highlight="flag")._repr_html_()
    style = html.split("<style>")[1].split("</style>")[0]
    lab = _specificity(".jp-RenderedHTMLCommon tbody tr:nth-child(odd)")
    assert lab == (0, 2, 2)
    flag_rules = [s for rule in re.findall(r"([^{}]+)\{[^{}]*--pmo-flag\)[^{}]*\}", style)
                  for s in rule.split(",")]
    assert flag_rules and max(_specificity(s.strip()) for s in flag_rules) > lab
    assert html.count('class="pmo-row-flag"') == 2


def test_batch_runs_leave_styling_to_the_template(monkeypatch):
    monkeypatch.setenv("PMO_NB_BATCH", "1")
    assert components.note("x")._repr_html_() == '<p class="pmo-note">x</p>'
