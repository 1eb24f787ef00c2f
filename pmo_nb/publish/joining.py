"""Joining PDFs laid out in parts: the "Page X of Y" stamp, links between parts, the outline.

WeasyPrint keeps every page of a document in memory until it writes it, so a long document (the executive pack,
:mod:`pmo_nb.publish.pack`; a long report, :mod:`pmo_nb.publish.parts`) is laid out in parts and joined with
pypdf. What a document laid out whole gets from WeasyPrint's counters and anchors is rebuilt here on the joined
pages: the page numbers, the links that point into another part, and the bookmarks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

__all__ = ["Bookmark", "stamp_page_numbers", "page_number_css", "link_pages", "bookmarks", "add_bookmarks"]


def page_number_css(size: str, orientation: str) -> str:
    """The pack's page-number stamp: "Page X of Y" at the foot of each page, in the house font."""
    return (f"@page {{ size: {size} {orientation}; margin: 16mm 14mm; "
            '@bottom-right { content: "Page " counter(page) " of " counter(pages); '
            'font: 8pt "DejaVu Sans", sans-serif; color: #5b6475; } }')


def stamp_page_numbers(out: Any, layout: Callable[[str], bytes]) -> None:
    """Stamp "Page X of Y" on every page of the pypdf writer ``out``.

    ``layout(body)`` lays out a document whose ``<body>`` is ``body`` (as many empty pages as ``out`` has) with
    the stylesheet that draws the numbers in the margin; its transparent pages are merged onto ``out``'s.
    """
    import pypdf

    total = len(out.pages)
    body = "<body>" + '<div style="break-after: page"></div>' * (total - 1) + "<div></div></body>"
    numbers = pypdf.PdfReader(io.BytesIO(layout(body)))
    for index, joined in enumerate(out.pages):
        joined.merge_page(numbers.pages[index])
        joined.compress_content_streams()  # merging leaves the page's content uncompressed


def link_pages(out: Any, pages: Iterable[int], scheme: str, target: Callable[[str], int | None]) -> None:
    """Turn the links ``scheme + KEY`` on ``pages`` of ``out`` into links to page ``target(KEY)`` (0-based);
    a key with no page (None) keeps its link as it is."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    for index in pages:
        for ref in out.pages[index].get("/Annots", []) or []:
            annot = ref.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if not uri.startswith(scheme):
                continue
            page = target(uri[len(scheme):])
            if page is None:
                continue
            goto = DictionaryObject({
                NameObject("/S"): NameObject("/GoTo"),
                NameObject("/D"): ArrayObject([out.pages[page].indirect_reference, NameObject("/Fit")]),
            })
            annot[NameObject("/A")] = goto
            annot[NameObject("/Border")] = ArrayObject([NumberObject(0)] * 3)


class Bookmark(NamedTuple):
    """One entry of a PDF outline: its title, its 0-based page, its own entries."""

    title: str
    page: int
    children: tuple[Bookmark, ...] = ()


def bookmarks(reader: Any) -> list[Bookmark]:
    """The outline of the pypdf ``reader`` as :class:`Bookmark` trees."""

    def walk(items: Sequence[Any]) -> list[Bookmark]:
        found: list[Bookmark] = []
        for item in items:
            if isinstance(item, list):  # the entries of the previous item
                if found:
                    last = found[-1]
                    found[-1] = last._replace(children=last.children + tuple(walk(item)))
                continue
            found.append(Bookmark(str(item.title), reader.get_destination_page_number(item)))
        return found

    return walk(reader.outline)


def add_bookmarks(out: Any, marks: Iterable[Bookmark], parent: Any = None) -> None:
    """Add ``marks`` (and their entries, nested) to the outline of the pypdf writer ``out``."""
    for mark in marks:
        item = out.add_outline_item(title=mark.title, page_number=mark.page, parent=parent)
        add_bookmarks(out, mark.children, item)
