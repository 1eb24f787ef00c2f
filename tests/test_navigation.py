"""pmo_nb.publish.navigation: links between a month's reports and the month's index.html."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest
from testdata import data_path

from pmo_nb.publish import formats, navigation
from pmo_nb.publish.pack import PackEntry
from pmo_nb.reporting import components
from pmo_nb.reporting.tables import Col

GENERATED = "2026-11-03T07:30:00Z"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None and data.strip():
            self.hrefs.append((self._href, data.strip()))
            self._href = None


def links_in(markup: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(markup)
    return [(h, t) for h, t in parser.hrefs if not h.startswith("#")]


def portfolio_with_table() -> nbformat.NotebookNode:
    nb = copy.deepcopy(nbformat.read(data_path("notebooks", "portfolio_report.ipynb"), as_version=4))
    frame = pd.DataFrame({"program_id": ["PRG-A", "PRG-<B>", "PRJ-9"], "name": ["Alpha", "Beta", "A project"]})
    table = components.table(frame, [Col("program_id", "Program", "id"), Col("name", "Name")])
    nb.cells.append(nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": str(table), "text/plain": "table"})]))
    return nb


def test_month_links_are_relative_file_names() -> None:
    assert navigation.month_links(["PRG-A", "PRG-B"]) == {
        "portfolio": "portfolio.html", "index": "index.html", "PRG-A": "PRG-A.html", "PRG-B": "PRG-B.html"}
    assert navigation.month_links(["X"], "pdf")["X"] == "X.pdf"


def test_portfolio_links_each_program_with_a_report() -> None:
    links = navigation.month_links(["PRG-A", "PRG-<B>"])
    markup = formats.render(portfolio_with_table(), "html", generated_at=GENERATED, links=links).decode()
    found = links_in(markup)
    assert ("PRG-A.html", "PRG-A") in found
    assert ("PRG-&lt;B&gt;.html", "PRG-<B>") in found or ("PRG-<B>.html", "PRG-<B>") in found
    assert ("index.html", "All reports of October 2026") in found
    assert not any(t == "PRJ-9" for _, t in found)  # a project has no report: no link
    assert not any("Portfolio overview" in t for _, t in found)  # the overview does not link to itself


def test_program_report_links_back() -> None:
    nb = nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4)
    markup = formats.render(nb, "html", generated_at=GENERATED, links=navigation.month_links(["PRG-A"])).decode()
    assert links_in(markup)[:2] == [("portfolio.html", "← Portfolio overview"),
                                    ("index.html", "All reports of October 2026")]


def test_without_links_reports_are_unchanged() -> None:
    nb = portfolio_with_table()
    markup = formats.render(nb, "html", generated_at=GENERATED).decode()
    assert links_in(markup) == []
    assert 'aria-label="Reports"' not in markup


def test_pdf_has_no_month_links() -> None:
    import io

    import pypdf

    data = formats.render(portfolio_with_table(), "pdf", generated_at=GENERATED,
                          links=navigation.month_links(["PRG-A"]))
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    uris = [a.get_object().get("/A", {}).get("/URI") for a in page.get("/Annots", []) or []]
    assert not [u for u in uris if u and str(u).endswith(".html")]


def test_month_index_lists_reports_worst_first_with_rag_and_files() -> None:
    entries = [
        PackEntry(None, "program", "PRG-G", "Green one", "green"),
        PackEntry(None, "portfolio", None, "Portfolio overview", None),
        PackEntry(None, "program", "PRG-R", "Red <one>", "red"),
        PackEntry(None, "program", "PRG-U", "Unknown", None),
    ]
    page = navigation.month_index(entries, organisation="Org & Co", period="2026-10", generated_at=GENERATED,
                                  pack="pack.pdf", omitted=[("PRG-X", "Broken", "report failed")])
    assert "Reports for October 2026" in page and "Org &amp; Co" in page
    rows = re.findall(r"<tr><td[^>]*>([^<]*)</td><td><a[^>]*>([^<]*)</a></td><td[^>]*>(.*?)</td>", page)
    assert [(pid, title) for pid, title, _ in rows] == [
        ("", "Portfolio overview"), ("PRG-R", "Red &lt;one&gt;"), ("PRG-G", "Green one"), ("PRG-U", "Unknown")]
    assert "pmo-rag-red" in rows[1][2] and "pmo-rag-green" in rows[2][2]
    hrefs = [h for h, _ in links_in(page)]
    assert hrefs[:1] == ["pack.pdf"]
    assert {"portfolio.html", "portfolio.pdf", "PRG-R.html", "PRG-R.pdf", "PRG-U.pdf"} <= set(hrefs)
    assert "PRG-X" in page and "report failed" in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)


def test_month_index_unknown_format_names_known_ones() -> None:
    from pmo_nb.exceptions import RenderError

    with pytest.raises(RenderError, match="known formats: html, pdf"):
        navigation.month_index([], organisation="O", period="2026-10", generated_at=GENERATED,
                               formats_written=("docx",))
