"""pmo_nb.publish.pack: the executive pack, rendered in parts and joined with pypdf."""

from __future__ import annotations

import copy
import io
import re

import nbformat
import pypdf
import pytest
from testdata import data_path

from pmo_nb.contract import REPORT_META_MIMETYPE
from pmo_nb.exceptions import PeriodError, RenderError
from pmo_nb.publish import pack

GENERATED = "2026-11-03T07:30:00Z"


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(data_path("notebooks", name), as_version=4)


def program(nb: nbformat.NotebookNode, pid: str, title: str, rag: str | None) -> pack.PackEntry:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if REPORT_META_MIMETYPE in output.get("data", {}):
                output["data"][REPORT_META_MIMETYPE].update(title=title, program_id=pid, rag=rag)
    return pack.PackEntry(nb, "program", pid, title, rag, path=f"reports/2026-10/{pid}.ipynb")


def entry(pid: str | None, title: str, rag: str | None, kind: str = "program") -> pack.PackEntry:
    return pack.PackEntry(nbformat.v4.new_notebook(), kind, pid, title, rag)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- ordering


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # worst RAG first, unknown last
        ([("A", "Alpha", "green"), ("B", "Beta", "red"), ("C", "Gamma", None), ("D", "Delta", "amber")],
         ["B", "D", "A", "C"]),
        # same RAG: by name, case-insensitively, then by id
        ([("3", "zeta", "red"), ("1", "Alpha", "red"), ("2", "beta", "red"), ("0", "alpha", "red")],
         ["0", "1", "2", "3"]),
        # RAG spelled in capitals still ranks
        ([("X", "X", "GREEN"), ("Y", "Y", "Red")], ["Y", "X"]),
        ([], []),
    ],
)
def test_order_entries_worst_rag_first(given: list, expected: list) -> None:
    entries = [entry(pid, title, rag) for pid, title, rag in given]
    assert [e.id for e in pack.order_entries(reversed(entries))] == expected
    assert [e.id for e in pack.order_entries(entries)] == expected  # input order does not matter


def test_order_entries_puts_portfolio_first() -> None:
    ordered = pack.order_entries(
        [entry("P1", "Zeta", "red"), entry(None, "Portfolio overview", None, kind="portfolio")]
    )
    assert [e.kind for e in ordered] == ["portfolio", "program"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry("P9", "Nine", "purple"), r"pack entry 'P9': rag 'purple' is not red, amber, green or None"),
        (entry("P8", "Eight", "red", kind="project"), r"pack entry 'P8': kind 'project'"),
    ],
)
def test_order_entries_rejects_bad_entries(bad: pack.PackEntry, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        pack.order_entries([entry("P1", "One", "red"), bad])


# ---------------------------------------------------------------------------------------------- argument errors


def test_build_pack_argument_errors() -> None:
    with pytest.raises(RenderError, match="has no reports to include"):
        pack.build_pack([], organisation="Org", period="2026-10", generated_at=GENERATED, mode="full")
    with pytest.raises(PeriodError, match="'Oct 2026' is not a month like 2026-10"):
        pack.build_pack([entry("P", "P", "red")], organisation="Org", period="Oct 2026")
    with pytest.raises(RenderError, match="'sideways' not supported"):
        pack.build_pack(
            [entry("P", "P", "red")], organisation="Org", period="2026-10", orientation="sideways"  # type: ignore[arg-type]
        )
    with pytest.raises(RenderError, match="pack mode 'short' is not 'executive' or 'full'"):
        pack.build_pack([entry("P", "P", "red")], organisation="Org", period="2026-10", mode="short")  # type: ignore[arg-type]


def test_executive_pack_without_figures_says_what_to_pass() -> None:
    with pytest.raises(RenderError, match="needs the month's figures: pass state=SharedState"):
        pack.build_pack([entry("P", "P", "red")], organisation="Org", period="2026-10", generated_at=GENERATED)


def test_build_pack_names_the_report_that_fails() -> None:
    broken = pack.PackEntry(load("no_meta.ipynb"), "program", "PRG-X", "Broken", "red", path="reports/PRG-X.ipynb")
    with pytest.raises(RenderError, match=r"reports/PRG-X\.ipynb: no report-meta output"):
        pack.build_pack([broken], organisation="Org", period="2026-10", generated_at=GENERATED, mode="full")


def test_entry_without_notebook_is_read_from_its_path(tmp_path) -> None:
    nb = load("no_charts.ipynb")
    path = tmp_path / "PRG-01.ipynb"
    nbformat.write(nb, path)
    assert pack.PackEntry(None, "program", "PRG-01", "One", "red", path=str(path)).load() == nb
    with pytest.raises(RenderError, match="cannot read the executed notebook"):
        pack.PackEntry(None, "program", "PRG-02", "Two", "red", path=str(tmp_path / "missing.ipynb")).load()


# ---------------------------------------------------------------------------------------------- full mode

PROGRAMS = [  # (id, title, rag) in a scrambled order
    ("PRG-04", "Data Platform", "green"),
    ("PRG-02", "Citizen Portal", None),
    ("PRG-03", "ERP Modernisation", "red"),
    ("PRG-01", "Asset Tracking", "amber"),
    ("PRG-05", "Billing Replacement", "red"),
]
EXPECTED_ORDER = ["Billing Replacement", "ERP Modernisation", "Asset Tracking", "Data Platform", "Citizen Portal"]
PAGE_LINE = re.compile(r"Page (\d+) of (\d+)$")


def contents_entries(reader: pypdf.PdfReader) -> list[tuple[str, int]]:
    """(title, page) of each contents line ("Red ERP Modernisation (PRG-03) ....... 5")."""
    text = reader.pages[1].extract_text()
    found = re.findall(r"^(?:(?:Red|Amber|Green) )?(.+?)(?: \(PRG-\d\d\))? ?\.{3,}\s*(\d+)$", text, re.M)
    return [(title.strip(), int(page)) for title, page in found]


@pytest.fixture(scope="module")
def full_pdf() -> pypdf.PdfReader:
    prog = load("no_charts.ipynb")  # charts are covered by test_render; keep the pack quick
    entries = [program(prog, pid, title, rag) for pid, title, rag in PROGRAMS]
    portfolio = load("portfolio_report.ipynb")
    entries.insert(2, pack.PackEntry(portfolio, "portfolio", None, "Portfolio overview", None))
    data = pack.build_pack(
        entries,
        organisation="Northwind Public Works",
        period="2026-10",
        omitted=[("PRG-09", "Legacy <Decommission>", "report failed: ZeroDivisionError in cell 7")],
        generated_at=GENERATED,
        page_size="A4",
        orientation="portrait",
        mode="full",
    )
    return pypdf.PdfReader(io.BytesIO(data))


def test_full_pack_cover(full_pdf: pypdf.PdfReader) -> None:
    cover = full_pdf.pages[0].extract_text()
    assert "Northwind Public Works".upper() in cover.upper()
    assert "Executive pack" in cover
    assert "2 red, 1 amber, 1 green, 1 not rated" in cover


def test_pack_numbering_continuous_and_portrait(full_pdf: pypdf.PdfReader) -> None:
    total = len(full_pdf.pages)
    assert total >= 8
    for number, page in enumerate(full_pdf.pages, start=1):
        assert f"Page {number} of {total}" in page.extract_text()
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_pack_contents_pages_match_real_pages(full_pdf: pypdf.PdfReader) -> None:
    listed = contents_entries(full_pdf)
    assert [t for t, _ in listed] == ["Portfolio overview", *EXPECTED_ORDER]
    pages = [p for _, p in listed]
    assert pages[0] == 3 and pages == sorted(pages)
    for title, page in listed:
        lines = full_pdf.pages[page - 1].extract_text().splitlines()
        assert lines[-2] == f"{title} October 2026"  # running header of the report that starts there
        assert full_pdf.pages[page - 2].extract_text().splitlines()[-2] != lines[-2]


def test_pack_contents_link_to_the_listed_pages(full_pdf: pypdf.PdfReader) -> None:
    targets = []
    for ref in full_pdf.pages[1].get("/Annots", []):
        action = ref.get_object()["/A"]
        assert action["/S"] == "/GoTo"
        targets.append(full_pdf.get_page_number(action["/D"][0].get_object()) + 1)
    # a line may be several link boxes (text, leader, number): all of a line go to the same page
    assert list(dict.fromkeys(targets)) == [p for _, p in contents_entries(full_pdf)]


def test_pack_bookmarks_per_program_in_order(full_pdf: pypdf.PdfReader) -> None:
    top = [b for b in full_pdf.outline if not isinstance(b, list)]
    assert [b.title for b in top] == ["Cover", "Contents", "Portfolio overview", *EXPECTED_ORDER]
    listed = dict(contents_entries(full_pdf))
    for bookmark in top[2:]:
        assert full_pdf.get_destination_page_number(bookmark) + 1 == listed[bookmark.title]
    sections = [b for b in full_pdf.outline if isinstance(b, list)]
    assert len(sections) == 1 + len(PROGRAMS)
    assert [b.title for b in sections[1]] == ["Summary", "Cost and schedule", "Milestones", "Risks & issues"]


def test_pack_lists_omitted_programs(full_pdf: pypdf.PdfReader) -> None:
    contents = full_pdf.pages[1].extract_text()
    assert "Programs left out of this pack" in contents
    assert "PRG-09 Legacy <Decommission>: report failed: ZeroDivisionError in cell 7" in contents


def test_pack_metadata(full_pdf: pypdf.PdfReader) -> None:
    assert full_pdf.metadata.author == "Northwind Public Works"
    assert full_pdf.metadata.title == "Executive pack · Northwind Public Works · October 2026"
