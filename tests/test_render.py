"""pmo_nb.publish.exporters: self-contained HTML, PDF via WeasyPrint, the nbconvert exporters.

The notebooks under tests/data/notebooks/ are synthetic executed reports (see make_notebooks.py there): a
report-meta output, four `## ` sections, two charts (vegalite + SVG), escaped HTML with a <script> value, a
markdown output with raw <script>, a stderr stream, a removed output and an error output.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import subprocess
import sys

import nbformat
import pypdf
import pytest
from testdata import data_path

from pmo_nb.exceptions import ConfigError, RenderError
from pmo_nb.publish import exporters

GENERATED = "2026-11-03T07:30:00Z"


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(data_path("notebooks", name), as_version=4)


def with_meta(nb: nbformat.NotebookNode, **fields: object) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if exporters.REPORT_META_MIMETYPE in output.get("data", {}):
                output["data"][exporters.REPORT_META_MIMETYPE].update(fields)
    return nb


@pytest.fixture(scope="module")
def program_nb() -> nbformat.NotebookNode:
    return load("program_report.ipynb")


@pytest.fixture(scope="module")
def program_html(program_nb: nbformat.NotebookNode) -> str:
    return exporters.render_html(program_nb, generated_at=GENERATED)


# ---------------------------------------------------------------------------------------------- run stamp


def test_run_stamp_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    assert exporters.run_stamp() == exporters.RunStamp("2023-11-14T22:13:20Z", "20231114T221320Z")
    assert exporters.run_stamp() == exporters.run_stamp()


def test_run_stamp_without_epoch_is_now_and_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = exporters.run_stamp(), exporters.run_stamp()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.generated_at)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", first.run_id)
    assert first.run_id != second.run_id


def test_run_stamp_bad_epoch_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH") as info:
        exporters.run_stamp()
    assert info.value.key == "SOURCE_DATE_EPOCH"


# ---------------------------------------------------------------------------------------------- meta


def test_meta_from_notebook_reads_the_contract_fields(program_nb: nbformat.NotebookNode) -> None:
    meta = exporters.meta_from_notebook(program_nb, generated_at=GENERATED, run_id="r1")
    assert meta == exporters.ReportMeta(
        kind="program",
        title="ERP Modernisation",
        organisation="Northwind Public Works",
        period="2026-10",
        period_label="October 2026",
        program_id="PRG-01",
        rag="amber",
        rag_reason="CPI 0.91 below 0.95",
        source_fingerprint="9f2c4e1ab7d05533",
        currency="EUR",
        page_size="A4",
        orientation="landscape",
        generated_at=GENERATED,
        run_id="r1",
    )
    assert meta.as_dict()["generated_label"] == "03 Nov 2026 07:30 UTC"


def test_meta_missing_names_the_notebook_and_the_fix() -> None:
    nb = load("no_meta.ipynb")
    with pytest.raises(RenderError, match=r"reports/2026-10/erp\.ipynb: no report-meta output") as info:
        exporters.meta_from_notebook(nb, path="reports/2026-10/erp.ipynb")
    assert "report_meta(" in str(info.value)
    assert info.value.path == "reports/2026-10/erp.ipynb"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"orientation": "sideways"}, r"orientation='sideways' is not one of landscape, portrait"),
        ({"kind": "project"}, r"kind='project' is not one of program, portfolio"),
        ({"rag": "purple"}, r"rag='purple' is not one of red, amber, green"),
        ({"page_size": "B7"}, r"page_size='B7' is not one of"),
        ({"title": ""}, r"has no 'title'"),
        ({"organisation": None}, r"has no 'organisation'"),
    ],
)
def test_meta_bad_values_are_named(program_nb: nbformat.NotebookNode, fields: dict, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        exporters.meta_from_notebook(with_meta(program_nb, **fields), generated_at=GENERATED, path="x.ipynb")


def test_meta_page_size_is_case_insensitive(program_nb: nbformat.NotebookNode) -> None:
    meta = exporters.meta_from_notebook(with_meta(program_nb, page_size="a3"), generated_at=GENERATED)
    assert meta.page_size == "A3"


def test_render_html_without_meta_raises_render_error_with_path() -> None:
    with pytest.raises(RenderError, match="broken.ipynb: no report-meta output"):
        exporters.render_html(load("no_meta.ipynb"), generated_at=GENERATED, path="broken.ipynb")


# ---------------------------------------------------------------------------------------------- external_refs


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<script src="https://cdn.example.org/require.js"></script>', ["https://cdn.example.org/require.js"]),
        ('<link rel="stylesheet" href="//fonts.example.org/css">', ["//fonts.example.org/css"]),
        ("<style>@import url('https://x.org/a.css'); body{}</style>", ["https://x.org/a.css"]),
        ('<style>@import "http://x.org/b.css";</style>', ["http://x.org/b.css"]),
        ("<style>p { background: url(http://x.org/bg.png) }</style>", ["http://x.org/bg.png"]),
        ('<div style="background-image:url(&quot;https://x.org/i.png&quot;)"></div>', ["https://x.org/i.png"]),
        ('<img srcset="https://x.org/a.png 1x, local.png 2x">', ["https://x.org/a.png"]),
        ('<svg><image href="https://x.org/logo.png"/></svg>', ["https://x.org/logo.png"]),
        ('<iframe src="http://x.org/"></iframe>', ["http://x.org/"]),
        # not resource references: links, inline data, relative files, text in scripts
        ('<a href="https://example.org/help">help</a>', []),
        ('<img src="data:image/png;base64,AAAA">', []),
        ('<img src="chart.svg"><style>p{background:url(bg.png)}</style>', []),
        ('<script>var u = "https://vega.github.io/schema";</script>', []),
        ("", []),
    ],
)
def test_external_refs(markup: str, expected: list[str]) -> None:
    assert exporters.external_refs(markup) == expected


def test_external_refs_looks_inside_base64_svg_images() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.org/p.png"/></svg>'
    markup = f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}">'
    assert exporters.external_refs(markup) == ["https://x.org/p.png"]


# ---------------------------------------------------------------------------------------------- HTML


def test_html_is_self_contained(program_html: str) -> None:
    assert exporters.external_refs(program_html) == []
    lowered = program_html.lower()
    for stock in ("require.js", "require.min.js", "mathjax", "mermaid", "jupyter-widgets", "<link"):
        assert stock not in lowered


def test_html_vega_bundle_inlined_once_for_two_charts(program_html: str) -> None:
    assert program_html.count('<figure class="pmo-chart">') == 2
    assert program_html.count("window.vegaEmbed=") == 1
    assert program_html.count("vegaEmbed(target, spec") == 1


def test_html_without_charts_has_no_bundle() -> None:
    markup = exporters.render_html(load("no_charts.ipynb"), generated_at=GENERATED)
    assert "vegaEmbed" not in markup
    assert "pmo-chart" not in markup.split("<body", 1)[1]
    assert exporters.external_refs(markup) == []


def test_html_chart_has_spec_and_svg_fallback(program_html: str, program_nb: nbformat.NotebookNode) -> None:
    specs = [
        o["data"][exporters.VEGALITE_MIMETYPE]
        for c in program_nb.cells
        for o in c.get("outputs", [])
        if exporters.VEGALITE_MIMETYPE in o.get("data", {})
    ]
    found = re.findall(r'<script class="pmo-chart-spec" type="application/json">(.*?)</script>', program_html)
    assert [json.loads(f) for f in found] == specs
    images = re.findall(
        r'<img alt="(Chart: [^"]+)" class="pmo-chart-static" src="data:image/svg\+xml;base64,', program_html
    )
    assert images == ["Chart: Costs running 8% over plan", "Chart: UAT slipped 30 days"]


def test_html_shows_no_code_prompts_stderr_errors_or_removed_outputs(program_html: str) -> None:
    for hidden in (
        "SECRET_CODE_SOURCE",  # code input
        'program_id = "PRG-01"',  # parameters cell (remove-cell)
        "In&nbsp;[",
        "Out[",
        "STDERR-NOISE",
        "REMOVED-OUTPUT-TEXT",
        "Traceback",
        "ZeroDivisionError",
        "CPI 0.91 below 0.95",  # rag_reason lives only in the hidden report-meta output
        "source_fingerprint",
    ):
        assert hidden not in program_html, hidden


def test_html_escaped_values_stay_text(program_html: str) -> None:
    assert "<script>alert(" not in program_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in program_html  # HTML output, escaped by the component
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in program_html  # raw HTML inside a markdown output


def test_html_header_toc_and_footer(program_html: str) -> None:
    header = program_html.split('<header class="pmo-report-header">', 1)[1].split("</header>", 1)[0]
    assert "Northwind Public Works" in header
    assert ">ERP Modernisation</h1>" in header
    assert "October 2026" in header
    toc = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', program_html)
    assert toc == [
        ("sec-1", "Summary"),
        ("sec-2", "Cost and schedule"),
        ("sec-3", "Milestones"),
        ("sec-4", "Risks &amp; issues"),
    ]
    for anchor, _ in toc:
        assert program_html.count(f'id="{anchor}"') == 1
    footer = program_html.split('<footer class="pmo-report-footer">', 1)[1].split("</footer>", 1)[0]
    assert "Generated 03 Nov 2026 07:30 UTC" in footer
    assert "9f2c4e1ab7d05533" in footer
    assert "<title>ERP Modernisation · October 2026</title>" in program_html


def test_html_title_with_markup_is_escaped(program_nb: nbformat.NotebookNode) -> None:
    nb = with_meta(program_nb, title="R&D <b>Lab</b>", organisation='"Quoted" Org')
    markup = exporters.render_html(nb, generated_at=GENERATED)
    assert "R&amp;D &lt;b&gt;Lab&lt;/b&gt;" in markup
    assert "<b>Lab</b>" not in markup
    author = re.search(r"<meta content=((['\"]).*?\2) name=\"author\"", markup).group(1)
    assert author in ("'\"Quoted\" Org'", '"&quot;Quoted&quot; Org"')  # either quoting keeps it one attribute


def test_html_is_reproducible_under_source_date_epoch(
    program_nb: nbformat.NotebookNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = exporters.render_html(program_nb)
    assert first == exporters.render_html(program_nb)
    assert "Generated 14 Nov 2023 22:13 UTC" in first


# ---------------------------------------------------------------------------------------------- PDF


def _image_xobjects(obj, seen=None) -> list:
    """Every /Image XObject reachable from a page's resources (through Form XObjects)."""
    seen = set() if seen is None else seen
    found = []
    xobjects = obj.get("/Resources", {}).get("/XObject", {}) if hasattr(obj, "get") else {}
    for ref in xobjects.values():
        key = getattr(ref, "idnum", id(ref))
        if key in seen:
            continue
        seen.add(key)
        x = ref.get_object()
        if x.get("/Subtype") == "/Image":
            found.append(x)
        elif x.get("/Subtype") == "/Form":
            found.extend(_image_xobjects(x, seen))
    return found


@pytest.fixture(scope="module")
def program_pdf(program_nb: nbformat.NotebookNode) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(exporters.render_pdf(program_nb, generated_at=GENERATED)))


def test_pdf_pages_numbered_with_running_header(program_pdf: pypdf.PdfReader) -> None:
    total = len(program_pdf.pages)
    assert total >= 2
    for number, page in enumerate(program_pdf.pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {total}" in text
        assert "ERP Modernisation" in text and "October 2026" in text  # running header
        assert "9f2c4e1ab7d05533" in text  # footer stamp
    first = program_pdf.pages[0].extract_text()
    for hidden in ("SECRET_CODE_SOURCE", "Traceback", "STDERR-NOISE", "REMOVED-OUTPUT-TEXT"):
        assert hidden not in first


def test_pdf_metadata_bookmarks_and_landscape(program_pdf: pypdf.PdfReader) -> None:
    assert program_pdf.metadata.title == "ERP Modernisation · October 2026"
    assert program_pdf.metadata.author == "Northwind Public Works"
    outline = program_pdf.outline
    assert outline[0].title == "ERP Modernisation"
    assert [b.title for b in outline[1]] == ["Summary", "Cost and schedule", "Milestones", "Risks & issues"]
    box = program_pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape, points


def test_pdf_charts_stay_vector_and_fonts_embedded(program_pdf: pypdf.PdfReader) -> None:
    for page in program_pdf.pages:
        assert _image_xobjects(page) == []
    # the chart page draws the SVGs as Form XObjects
    assert any(
        x.get_object().get("/Subtype") == "/Form"
        for page in program_pdf.pages
        for x in page.get("/Resources", {}).get("/XObject", {}).values()
    )
    fonts = [f.get_object() for page in program_pdf.pages for f in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        # "ABCDEF+DejaVu-Sans": a subset tag means the font program is embedded in the file
        assert re.fullmatch(r"/[A-Z]{6}\+DejaVu-Sans(-Bold)?", str(font["/BaseFont"])), font["/BaseFont"]
        descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)[
            "/FontDescriptor"
        ].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys())


def test_pdf_portrait_from_meta_and_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    nb = load("no_charts.ipynb")
    nb = with_meta(nb, orientation="portrait")
    first = exporters.render_pdf(nb)
    assert first == exporters.render_pdf(nb)  # byte-identical runs
    reader = pypdf.PdfReader(io.BytesIO(first))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    assert "Generated 14 Nov 2023 22:13 UTC" in reader.pages[0].extract_text()


# ---------------------------------------------------------------------------------------------- exporters


def _nbconvert(fmt: str, notebook: str, out_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", fmt, str(data_path("notebooks", notebook)),
         "--output-dir", str(out_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_jupyter_nbconvert_pmo_html_and_pdf(tmp_path) -> None:
    done = _nbconvert("pmo-html", "program_report.ipynb", tmp_path)
    assert done.returncode == 0, done.stderr
    markup = (tmp_path / "program_report.html").read_text(encoding="utf-8")
    assert exporters.external_refs(markup) == []
    assert markup.count("window.vegaEmbed=") == 1
    done = _nbconvert("pmo-pdf", "program_report.ipynb", tmp_path)
    assert done.returncode == 0, done.stderr
    pdf = pypdf.PdfReader(tmp_path / "program_report.pdf")
    assert "Page 1 of" in pdf.pages[0].extract_text()


@pytest.mark.slow
def test_jupyter_nbconvert_reports_missing_meta(tmp_path) -> None:
    done = _nbconvert("pmo-html", "no_meta.ipynb", tmp_path)
    assert done.returncode != 0
    assert "no_meta.ipynb: no report-meta output" in done.stderr  # the file is named
    assert not (tmp_path / "no_meta.html").exists()


def test_html_keeps_each_heading_with_the_output_below_it(program_html: str) -> None:
    # four `## ` markdown cells, each followed by a cell with visible output: heading and output share a
    # <div class="pmo-keep"> (break-inside: avoid in print), so a heading never ends a PDF page alone
    blocks = re.findall(r'<div class="pmo-keep">\s*<div class="pmo-markdown">\s*<h2[^>]*>([^<]+)</h2>', program_html)
    assert blocks == ["Summary", "Cost and schedule", "Milestones", "Risks &amp; issues"]
    assert program_html.count('<div class="pmo-keep">') == 4


# ---------------------------------------------------------------------------------------------- page breaks


def _long_table_notebook(rows: int) -> nbformat.NotebookNode:
    import pandas as pd

    from pmo_nb.reporting import components
    from pmo_nb.reporting.tables import Col

    nb = copy.deepcopy(load("no_charts.ipynb"))
    frame = pd.DataFrame({"id": [f"LX-{i:03d}" for i in range(rows)],
                          "why": [f"Reason number {i}, " + "a fairly long explanation that wraps " * 3
                                  for i in range(rows)]})
    table = components.table(frame, [Col("id", "Risk id", "id"), Col("why", "Why it matters")])
    nb.cells.append(nbformat.v4.new_markdown_cell("## A long register"))
    nb.cells.append(nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": str(table), "text/plain": "table"})]))
    return nb


def test_a_table_taller_than_a_page_splits_with_its_header_repeated() -> None:
    pdf = exporters.render_pdf(_long_table_notebook(90), generated_at=GENERATED)
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    with_rows = [i for i, text in enumerate(pages) if re.search(r"LX-0\d\d", text)]
    assert len(with_rows) >= 3  # the table spans pages...
    heading = next(i for i, text in enumerate(pages) if "A long register" in text.splitlines())
    assert with_rows[0] == heading  # ...starting on the heading's page: it did not jump to a fresh page
    for i in with_rows:
        assert "Risk id" in pages[i] and "Why it matters" in pages[i]  # header row on every page
    assert all(f"LX-{n:03d}" in "".join(pages) for n in range(90))
    for number, text in enumerate(pages, start=1):  # no page is only the running header and footer
        body = [line for line in text.splitlines()
                if line.strip() and "October 2026" not in line and not re.search(r"Page \d+ of \d+", line)]
        assert body, f"page {number} holds only its header and footer"


def test_table_height_is_estimated_from_its_wrapped_cells() -> None:
    row = "<tr><td>A</td><td>" + "x" * 70 + "</td></tr>"  # 70 characters wrap to ceil(70 / 32) = 3 lines
    markup = f"<table><thead><tr><th>Id</th><th>Why</th></tr></thead><tbody>{row * 4}</tbody></table>"
    assert exporters.table_lines(markup) == 1 + 4 * 3
    assert exporters.table_lines("<p>no table</p>") == 0
    assert exporters.table_lines("<table><tr><td>&amp;</td></tr></table>") == 1  # one character, unescaped


def test_a_short_table_of_tall_rows_splits_instead_of_jumping_to_the_next_page() -> None:
    # 8 rows of about 127 characters: 4 lines each, 33 lines in all (> TALL_TABLE_LINES) though only 9 <tr>
    nb = _long_table_notebook(8)
    prepared, _ = exporters.ReportPreprocessor().preprocess(
        copy.deepcopy(nb), {"pmo": {"id_prefix": "", "target": "pdf", "links": {}, "meta": {"kind": "program"}}})
    heading = next(c for c in prepared.cells if c.cell_type == "markdown" and "A long register" in c.source)
    assert not heading.metadata.get("pmo_keep_open")  # not kept whole: it may start on this page and split


@pytest.mark.parametrize("filler", range(18, 34, 3))
def test_a_heading_never_ends_a_page(filler: int) -> None:
    # filler lines push the heading down the first page, 3 lines at a time, through the last third of the page
    nb = _long_table_notebook(30)
    lines = "".join(f"<p>Filler line {i}</p>" for i in range(filler))
    nb.cells.insert(len(nb.cells) - 2, nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": lines, "text/plain": "filler"})]))
    # the section opens with an unbreakable summary box, as the guidelines section does, then its table
    table = nb.cells[-1].outputs[0]
    box = '<div class="pmo-summary">' + "".join(f"<p>Summary sentence {i}.</p>" for i in range(6)) + "</div>"
    table["data"]["text/html"] = box + table["data"]["text/html"]
    pdf = exporters.render_pdf(nb, generated_at=GENERATED)
    for number, page in enumerate(pypdf.PdfReader(io.BytesIO(pdf)).pages, start=1):
        body = [line for line in page.extract_text().splitlines()
                if line.strip() and "October 2026" not in line and not re.search(r"Page \d+ of \d+|Generated", line)]
        if "A long register" in body:
            after = body[body.index("A long register") + 1:]
            assert any("Summary sentence 0" in line for line in after), f"page {number} ends with the heading"
