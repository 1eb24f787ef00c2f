"""A long report's PDF, laid out in parts and joined, so that the memory it takes does not grow with the report.

WeasyPrint keeps every page of a document until it writes the PDF: the portfolio overview of 200 programs (about
100 pages) took the worker that laid it out from under 400 MB to 750 MB. A report whose tables and charts come to
more than :data:`PART_LINES` estimated lines is cut at its section headings (the template marks each with
``<!--pmo-section-->`` in the PDF form) into parts of about that size. Each part is laid out alone with the
report's stylesheets, page setup and running header; the parts are joined with pypdf and get what one document
would have had (:mod:`pmo_nb.publish.joining`): "Page X of Y" on every page, the contents' page numbers and links
pointing at the sections' pages, the report's bookmark with its sections under it, the report's metadata.

Every part after the first starts on a new page. A report within :data:`PART_LINES` (every report of an ordinary
portfolio) is laid out whole, exactly as before.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from pmo_nb.exceptions import RenderError
from pmo_nb.publish.joining import Bookmark, add_bookmarks, bookmarks, link_pages, stamp_page_numbers
from pmo_nb.publish.pdf import write_pdf

__all__ = ["PART_LINES", "CHART_LINES", "SECTION_MARK", "split_report", "write_report_pdf"]

#: The estimated size of one part, in text lines (about 20 pages of tables): the worker's memory for laying out
#: a part stays within what a program report takes.
PART_LINES = 500
#: What a chart counts for in the estimate (about half a page).
CHART_LINES = 20
#: The first part (header, contents, title block and the first sections) is laid out twice, the second time
#: with the contents' page numbers: it is kept to a few pages.
FIRST_PART_LINES = 60
#: The template's mark before each section heading in the PDF form.
SECTION_MARK = "<!--pmo-section-->"
_MAIN_OPEN = '<main class="pmo-content">'
_MAIN_CLOSE = "</main>"
_TOC = re.compile(r'(<nav\b[^>]*\bclass="pmo-toc"[^>]*>)(.*?)(</nav>)', re.DOTALL)  # (attributes in any order)
_TOC_LINK = re.compile(r'<a href="#([^"]+)">')
_SECTION_ID = re.compile(r'<h2 class="pmo-section" id="([^"]+)"|<h2 id="([^"]+)" class="pmo-section"')
_BODY = re.compile(r'<body class="([^"]*)"')
_SCHEME = "pmo-section:"
#: Part-only styles: later parts keep the report header for the running header's strings, but show nothing of
#: it and make no bookmark of it; page numbers and the contents' numbers are set on the joined document.
_PART_CSS = (
    "@page { @bottom-right { content: none; } } "
    ".pmo-part-later .pmo-report-header { height: 0; margin: 0; padding: 0; border: 0; overflow: hidden; } "
    ".pmo-part-later .pmo-report-title { bookmark-level: none; } "
    '.pmo-toc a::after { content: " " attr(data-page); }'
)


class Split(NamedTuple):
    """A report's PDF markup cut for laying out in parts: ``head`` up to and including ``<main>``, the
    ``parts`` (each one or more whole sections), ``tail`` from ``</main>`` to the end."""

    head: str
    parts: tuple[str, ...]
    tail: str


def _lines(markup: str) -> int:
    from pmo_nb.publish.exporters import table_lines

    return table_lines(markup) + CHART_LINES * markup.count('<figure class="pmo-chart"')


def split_report(markup: str, limit: int | None = None) -> Split | None:
    """Cut ``markup`` (a report in PDF form) at its section marks: a first part of a few pages (what comes before
    the first section, and the sections that fit in :data:`FIRST_PART_LINES`), then parts of about ``limit``
    estimated lines (a section is never cut; one larger than ``limit`` is a part of its own). None when the
    report fits in one part. ``limit`` defaults to :data:`PART_LINES`."""
    limit = PART_LINES if limit is None else limit
    start, end = markup.find(_MAIN_OPEN), markup.rfind(_MAIN_CLOSE)
    if start < 0 or end < start:
        return None
    start += len(_MAIN_OPEN)
    preamble, *sections = markup[start:end].split(SECTION_MARK)
    sizes = [_lines(s) for s in sections]
    if sum(sizes) <= limit * 1.2:  # a little over one part is not worth the page breaks
        return None
    parts: list[str] = []
    current, size, room = preamble, _lines(preamble), FIRST_PART_LINES
    for section, lines in zip(sections, sizes, strict=True):
        if size + lines > room and (parts or size):
            parts.append(current)
            current, size, room = "", 0, limit
        current += SECTION_MARK + section
        size += lines
    parts.append(current)
    return Split(markup[:start], tuple(parts), markup[end:]) if len(parts) > 1 else None


def write_report_pdf(markup: str, page_css: str, *, where: str) -> bytes:
    """The report's PDF: laid out whole when it fits in one part (:func:`split_report`), else in parts."""
    split = split_report(markup)
    if split is None:
        return write_pdf(markup, page_css, where=where)
    return _joined(split, page_css, where=where)


class _Laid(NamedTuple):
    reader: Any  # pypdf.PdfReader of the part, read once: counted, its bookmarks taken, appended
    pages: int
    marks: list[Bookmark]


def _lay_out(markup: str, css: str, where: str) -> _Laid:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(write_pdf(markup, css, where=where)))
    return _Laid(reader, len(reader.pages), bookmarks(reader))


def _section_pages(marks: Sequence[Bookmark], markup: str, offset: int) -> dict[str, int]:
    """Section id -> 0-based page in the joined document, from a part's bookmarks (one per section heading, in
    the order of the part's section ids)."""
    ids = [a or b for a, b in _SECTION_ID.findall(markup)]
    flat: list[Bookmark] = []
    for mark in marks:
        flat.extend([mark, *mark.children] if mark.children else [mark])
    sections = [m for m in flat if m.children == ()][-len(ids):] if ids else []
    return {i: offset + m.page for i, m in zip(ids, sections, strict=False)}


def _joined(split: Split, page_css: str, *, where: str) -> bytes:
    import pypdf

    body = _BODY.search(split.head)
    if body is None:
        raise RenderError(f"{where}: the pmo template produced no report body to lay out in parts.")
    later_head = split.head[: body.start(1)] + body.group(1) + " pmo-part-later" + split.head[body.end(1):]
    later_head = _TOC.sub("", later_head)
    css = page_css + " " + _PART_CSS
    last = len(split.parts) - 1
    # the footer (after </main>) belongs to the last part; every part closes the elements the head opened
    closing = split.tail[split.tail.find("</article>"):] if "</article>" in split.tail else "</article></body></html>"
    later = []
    for i, part in enumerate(split.parts[1:], start=1):
        markup = later_head + part + (split.tail if i == last else _MAIN_CLOSE + closing)
        later.append((markup, _lay_out(markup, css, f"{where} (part {i + 1} of {len(split.parts)})")))

    def first_part(numbers: dict[str, int]) -> tuple[str, _Laid]:
        def link(match: re.Match[str]) -> str:
            page = numbers.get(match.group(1))
            return f'<a href="{_SCHEME}{match.group(1)}" data-page="{"" if page is None else page + 1}">'

        head = _TOC.sub(lambda m: m.group(1) + _TOC_LINK.sub(link, m.group(2)) + m.group(3), split.head)
        markup = head + split.parts[0] + _MAIN_CLOSE + closing
        return markup, _lay_out(markup, css, f"{where} (part 1 of {len(split.parts)})")

    # The first part holds the contents: their numbers need every part's length, and (rarely) change the first
    # part's own length by their width. It is short (header, contents, title block): settle it.
    markup0, first = first_part(dict.fromkeys(_TOC_LINK.findall(split.head), 998))
    numbers: dict[str, int] = {}
    for _ in range(3):
        numbers, offset = _section_pages(first.marks, markup0, 0), first.pages
        for markup, laid in later:
            numbers |= _section_pages(laid.marks, markup, offset)
            offset += laid.pages
        markup0, again = first_part(numbers)
        settled = again.pages == first.pages
        first = again
        if settled:
            break

    out = pypdf.PdfWriter()
    for laid in (first, *(laid for _, laid in later)):
        out.append(laid.reader, import_outline=False)
    link_pages(out, range(first.pages), _SCHEME, numbers.get)
    marks, offset = list(first.marks), first.pages
    for _, laid in later:
        moved = [_moved(m, offset) for m in laid.marks]
        if marks:  # the sections go under the report's own bookmark, as in a document laid out whole
            marks[-1] = marks[-1]._replace(children=marks[-1].children + tuple(moved))
        else:
            marks.extend(moved)
        offset += laid.pages
    add_bookmarks(out, marks)
    # the report's own head (its branding font) and @page rule, on empty pages: the footer as one document has it
    stamp_page_numbers(out, lambda body: write_pdf(f"{split.head[: split.head.find('<body')]}{body}</html>",
                                                   page_css, where=f"{where} (page numbers)"))
    meta = first.reader.metadata
    if meta:
        out.add_metadata({key: str(value) for key, value in meta.items()})
    buffer = io.BytesIO()
    out.write(buffer)
    return buffer.getvalue()


def _moved(mark: Bookmark, offset: int) -> Bookmark:
    return Bookmark(mark.title, mark.page + offset, tuple(_moved(c, offset) for c in mark.children))
