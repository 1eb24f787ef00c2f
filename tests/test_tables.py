"""HTML tables: formatting, RAG badges, escaping, truncation, highlight, and print behaviour."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from pmo_nb.paths import COMPONENT_CSS
from pmo_nb.reporting.tables import Col, html_table, rag_badge

XSS = "<script>alert(1)</script>"


class _Cells(HTMLParser):
    """Collect (tag, attrs, text) of th/td cells; fails the test on malformed nesting."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, dict[str, str | None], str]] = []
        self.tags: list[str] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._open = (tag, dict(attrs))
            self._text = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._open:
            self.cells.append((self._open[0], self._open[1], "".join(self._text)))
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._text.append(data)


def cells(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = _Cells()
    parser.feed(html)
    return parser.cells


@pytest.fixture
def projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["ERP", XSS, "A very long project name that goes on and on"],
            "rag": ["red", None, "Green"],
            "cpi": [0.8666, np.nan, 1.0],
            "eac": [1_234_000, 450_000, np.inf],
            "slip": [45, 0, -3],
            "finish": pd.to_datetime(["2026-11-14", None, "2027-01-31"]),
            "mismatch": [True, False, pd.NA],
        }
    )


SPEC = [
    Col("name", "Project", max_chars=20),
    Col("rag", "RAG", kind="rag"),
    Col("cpi", "CPI", kind="ratio"),
    Col("eac", "EAC", kind="money"),
    {"key": "slip", "label": "Slip", "kind": "int", "unit": "days"},
    Col("finish", "Forecast finish", kind="date"),
]


def test_values_are_formatted_and_numbers_right_aligned(projects):
    html = html_table(projects, SPEC)
    got = cells(html)
    head = [c for c in got if c[0] == "th"]
    assert [text for _, _, text in head] == ["Project", "RAG", "CPI", "EAC", "Slip (days)", "Forecast finish"]
    body = [text for tag, _, text in got if tag == "td"]
    assert body[:6] == ["ERP", "Red", "0.87", "€1.2M", "45", "14 Nov 2026"]
    assert body[6:12] == ["<script>alert(1)</s…", "n/a", "n/a", "€450k", "0", "n/a"]
    # numeric cells and headers carry pmo-num
    eac_cells = [attrs for tag, attrs, _ in got if tag == "td"][3::6]
    assert all("pmo-num" in (a.get("class") or "") for a in eac_cells)
    assert "pmo-num" in (head[3][1].get("class") or "")
    assert "pmo-num" not in (head[0][1].get("class") or "")


def test_rag_cells_are_badges_with_text_labels(projects):
    html = html_table(projects, SPEC)
    assert '<span class="pmo-rag pmo-rag-red">Red</span>' in html
    assert '<span class="pmo-rag pmo-rag-green">Green</span>' in html  # "Green" normalised
    assert '<span class="pmo-rag pmo-rag-na">n/a</span>' in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("amber", 'pmo-rag-amber">Amber'),
        (" RED ", 'pmo-rag-red">Red'),
        ("purple", 'pmo-rag-na">n/a'),
        (np.nan, 'pmo-rag-na">n/a'),
    ],
)
def test_rag_badge(value, expected):
    assert expected in rag_badge(value)


def test_data_is_escaped_everywhere(projects):
    projects.loc[0, "name"] = 'Quote " and <b>bold</b> & co'
    html = html_table(projects, SPEC, caption="<i>caption</i>", highlight="mismatch", highlight_title='"flag"')
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;i&gt;caption&lt;/i&gt;" in html
    assert 'title="&quot;flag&quot;"' in html


def test_long_text_is_cut_with_full_value_in_title(projects):
    html = html_table(projects, SPEC)
    name_cells = [(attrs, text) for tag, attrs, text in cells(html) if tag == "td"][0::6]
    attrs, text = name_cells[2]
    assert text == "A very long project…"
    assert len(text) == 20
    assert attrs["title"] == "A very long project name that goes on and on"
    assert "title" not in name_cells[0][0]


def test_escaped_title_survives_truncation():
    df = pd.DataFrame({"name": ["<" * 100]})
    html = html_table(df, [Col("name", max_chars=10)])
    attrs, text = [(a, t) for tag, a, t in cells(html) if tag == "td"][0]
    assert attrs["title"] == "<" * 100
    assert text == "<" * 9 + "…"


def test_highlight_rows(projects):
    html = html_table(projects, SPEC, highlight="mismatch", highlight_title="Reported better than computed")
    rows = re.findall(r"<tr[^>]*>", html.split("<tbody>")[1])
    assert rows[0] == '<tr class="pmo-row-flag" title="Reported better than computed">'
    assert rows[1] == "<tr>"
    assert rows[2] == "<tr>"  # NA flag is not a highlight


def test_empty_frame_gives_empty_note(projects):
    html = html_table(projects.iloc[:0], SPEC, empty_text="No projects in this <program>.")
    assert html == '<p class="pmo-empty">No projects in this &lt;program&gt;.</p>'


def test_unknown_column_names_the_column_and_the_choices(projects):
    with pytest.raises(KeyError, match=r"\['budget'\] not in the data; available: \['name'"):
        html_table(projects, [Col("budget", kind="money")])
    with pytest.raises(KeyError, match="flagged"):
        html_table(projects, SPEC, highlight="flagged")


def test_bad_column_spec_is_explained(projects):
    with pytest.raises(ValueError, match="unknown kind 'euros'"):
        html_table(projects, [Col("eac", kind="euros")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['format'\]"):
        html_table(projects, [{"key": "eac", "format": "money"}])


def test_default_columns_guess_kinds():
    df = pd.DataFrame({"n": [3, 4], "x": [0.5, np.nan], "ok": [True, False], "s": pd.array(["a", None], "string")})
    body = [text for tag, _, text in cells(html_table(df)) if tag == "td"]
    assert body == ["3", "0.50", "yes", "a", "4", "n/a", "no", "n/a"]


def test_row_order_is_the_callers():
    df = pd.DataFrame({"name": ["b", "a"]}, index=[10, 3])
    body = [text for tag, _, text in cells(html_table(df, ["name"])) if tag == "td"]
    assert body == ["b", "a"]


@pytest.mark.slow
def test_pdf_repeats_header_and_keeps_rows_whole():
    """WeasyPrint with pmo.css: a table longer than a page repeats its header on the next page."""
    weasyprint = pytest.importorskip("weasyprint")
    from pypdf import PdfReader

    css = COMPONENT_CSS.read_text(encoding="utf-8")
    df = pd.DataFrame({"name": [f"Project {i:03d}" for i in range(120)], "eac": np.arange(120) * 1000.0})
    html = html_table(df, [Col("name", "Project name"), Col("eac", "EAC", kind="money")])
    doc = f"<html><head><style>{css}@page {{ size: A4 landscape; }}</style></head><body>{html}</body></html>"
    pdf = weasyprint.HTML(string=doc).write_pdf()
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2
    assert all("Project name" in text for text in pages)
    assert "Project 119" in pages[-1]


@pytest.mark.parametrize(("text", "expected"), [
    ("Customer Identity & Login", "Customer Identity &amp; Login"),  # words never broken
    ("Internationalisation"[:18], "Internationalisati"),  # 18 characters: not broken
    ("a " + "y" * 40 + " <b>", "a " + "y" * 18 + "<wbr>" + "y" * 18 + "<wbr>" + "y" * 4 + " &lt;b&gt;"),
    ("&" * 19, "&amp;" * 18 + "<wbr>" + "&amp;"),  # escaped after splitting: no entity is cut
])
def test_only_overlong_words_get_break_opportunities(text, expected):
    from pmo_nb.reporting.tables import breakable
    assert breakable(text) == expected
