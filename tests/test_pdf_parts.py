"""A long report's PDF laid out in parts and joined (pmo_nb.publish.parts): the joined PDF has what a PDF laid out
whole has (page numbers, running header, contents with page numbers and links, bookmarks, metadata, every row),
and a report of an ordinary portfolio is still laid out whole."""

from __future__ import annotations

import copy
import io
import re

import nbformat
import pandas as pd
import pypdf
import pytest
from testdata import data_path

from pmo_nb.publish import exporters, parts
from pmo_nb.reporting import components
from pmo_nb.reporting.tables import Col

GENERATED = "2026-11-03T07:30:00Z"
REGISTERS = 3
ROWS = 70


def _long_report() -> nbformat.NotebookNode:
    """The test program report with four long registers appended, each a section of its own."""
    nb = copy.deepcopy(nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4))
    for r in range(1, REGISTERS + 1):
        frame = pd.DataFrame({"id": [f"R{r}-{i:03d}" for i in range(ROWS)],
                              "why": [f"Reason {i} of register {r}" for i in range(ROWS)]})
        table = components.table(frame, [Col("id", "Entry", "id"), Col("why", "Why")])
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## Register {r}"))
        nb.cells.append(nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": str(table), "text/plain": "table"})]))
    return nb


@pytest.fixture(scope="module")
def long_nb() -> nbformat.NotebookNode:
    return _long_report()


@pytest.fixture(scope="module")
def joined(long_nb: nbformat.NotebookNode) -> pypdf.PdfReader:
    patch = pytest.MonkeyPatch()
    patch.setattr(parts, "PART_LINES", 150)  # each register is a part of its own
    try:
        return pypdf.PdfReader(io.BytesIO(exporters.render_pdf(long_nb, generated_at=GENERATED)))
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def whole(long_nb: nbformat.NotebookNode) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(exporters.render_pdf(long_nb, generated_at=GENERATED)))


def _texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_an_ordinary_report_is_laid_out_whole(long_nb: nbformat.NotebookNode) -> None:
    markup, _ = exporters._render(long_nb, "pdf", GENERATED, None)
    assert parts.split_report(markup) is None  # 3 registers of 70 rows are within PART_LINES
    split = parts.split_report(markup, limit=150)
    assert split is not None
    # every section whole in one part, in order; two registers (141 estimated lines each) never share a part
    assert "".join(split.parts) == markup[len(split.head):len(markup) - len(split.tail)]
    assert "".join(split.parts).count(parts.SECTION_MARK) == 4 + REGISTERS
    for r in range(1, REGISTERS + 1):
        part = next(p for p in split.parts if f"Register {r}<" in p)
        assert part.startswith(parts.SECTION_MARK) and part.count("Register ") == 1


def test_every_page_is_numbered_once_with_its_running_header(joined: pypdf.PdfReader) -> None:
    texts = _texts(joined)
    total = len(texts)
    assert total > 1 + REGISTERS
    for number, text in enumerate(texts, start=1):
        assert len(re.findall(r"Page \d+ of \d+", text)) == 1, f"page {number}: {text[-200:]}"
        assert f"Page {number} of {total}" in text
        assert "ERP Modernisation" in text and "October 2026" in text  # running header, in every part
        assert "9f2c4e1ab7d05533" in text  # the footer's source stamp


def test_nothing_is_lost_and_each_register_starts_its_own_part(joined: pypdf.PdfReader,
                                                                whole: pypdf.PdfReader) -> None:
    texts = _texts(joined)
    everything = "\n".join(texts)
    for r in range(1, REGISTERS + 1):
        assert all(f"R{r}-{i:03d}" in everything for i in range(ROWS))
        heading = next(i for i, t in enumerate(texts) if f"Register {r}" in t.splitlines())
        assert f"R{r}-000" in texts[heading]  # the heading stays with its first rows
        assert f"R{r - 1}-" not in texts[heading]  # a part of its own: the page holds no other register
    words = set(re.findall(r"[A-Za-z][A-Za-z&-]{3,}", "\n".join(_texts(whole))))
    assert words <= set(re.findall(r"[A-Za-z][A-Za-z&-]{3,}", everything))  # no text of the whole PDF is lost


def test_contents_give_and_link_each_sections_page(joined: pypdf.PdfReader) -> None:
    texts = _texts(joined)
    outline = joined.outline
    assert outline[0].title == "ERP Modernisation"
    sections = outline[1]
    titles = [b.title for b in sections]
    assert titles == ["Summary", "Cost and schedule", "Milestones", "Risks & issues",
                      *(f"Register {r}" for r in range(1, REGISTERS + 1))]
    first = texts[0].replace("\n", " ")
    goto = []
    for ref in joined.pages[0].get("/Annots", []):
        action = ref.get_object().get("/A")
        if action is not None and action.get("/S") == "/GoTo":
            goto.append(joined.get_page_number(action["/D"][0].get_object()))
    for mark in sections:
        page = joined.get_destination_page_number(mark)
        assert mark.title in texts[page], f"bookmark {mark.title!r} points at page {page + 1}"
        assert re.search(re.escape(mark.title) + r"\s+" + str(page + 1) + r"\b", first), mark.title
        assert page in goto  # the contents' entry links to it
    assert set(goto) == {joined.get_destination_page_number(m) for m in sections}  # and to nothing else


def test_metadata_and_page_setup_are_the_reports(joined: pypdf.PdfReader, whole: pypdf.PdfReader) -> None:
    assert joined.metadata.title == whole.metadata.title == "ERP Modernisation · October 2026"
    assert joined.metadata.author == whole.metadata.author
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in joined.pages} == {(842, 595)}


def test_the_joined_pdf_is_reproducible(long_nb: nbformat.NotebookNode, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PART_LINES", 150)
    assert exporters.render_pdf(long_nb, generated_at=GENERATED) == exporters.render_pdf(long_nb,
                                                                                          generated_at=GENERATED)
