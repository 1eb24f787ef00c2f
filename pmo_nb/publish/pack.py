"""The executive pack: one PDF holding the portfolio overview and every program report of a month.

The pack is laid out as ONE WeasyPrint document built from the report bodies (not by merging PDFs), so that
page numbers run on across the pack ("Page X of Y"), the contents page can print each section's page number
(CSS ``target-counter``) and the PDF outline has one bookmark per report. Layout::

    cover      organisation, month, program RAG counts
    contents   portfolio overview, then programs worst RAG first (red, amber, green, unknown; then by name),
               each with its page number; a note listing the programs left out (id, name, reason)
    sections   the portfolio overview, then each program report, each starting on a new page

The stylesheets are parsed once per process (:func:`pmo_nb.publish.exporters.pdf_stylesheets`) and each report body is
rendered once, so the work grows linearly with the number of programs.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from nbformat import NotebookNode

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES, RAG_WORST_FIRST
from pmo_nb.exceptions import PeriodError, RenderError
from pmo_nb.periods import Period
from pmo_nb.publish.exporters import body_fragment
from pmo_nb.publish.pdf import normalise_page_size, page_css, write_pdf
from pmo_nb.publish.stamp import generated_label, run_stamp

__all__ = ["PackEntry", "Omitted", "order_entries", "build_pack"]

#: Sort rank of a program's RAG in the pack: worst first, unknown last.
_PACK_RANK = {rag: rank for rank, rag in enumerate(RAG_WORST_FIRST)}
_UNKNOWN_RANK = len(_PACK_RANK)
_RAG_LABEL = {"red": "RED", "amber": "AMBER", "green": "GREEN", None: "N/A"}


@dataclass(frozen=True)
class PackEntry:
    """One executed report going into the pack.

    Parameters
    ----------
    notebook:
        The executed report notebook (with its report-meta output).
    kind:
        "portfolio" for the overview (placed first), "program" for a program report.
    id:
        Program id (None for the portfolio overview).
    title:
        Name shown on the contents page.
    rag:
        "red", "amber", "green" or None (unknown), used for ordering and the cover counts.
    path:
        The notebook's file, for error messages.
    """

    notebook: NotebookNode
    kind: Literal["program", "portfolio"]
    id: str | None
    title: str
    rag: str | None = None
    path: str | None = None


class Omitted(NamedTuple):
    """A program left out of the pack, listed on the contents page. Plain ``(id, name, reason)`` tuples work."""

    id: str
    name: str
    reason: str


def _rank(entry: PackEntry) -> tuple[int, str, str]:
    return (_PACK_RANK.get(entry.rag or "", _UNKNOWN_RANK), entry.title.casefold(), str(entry.id or ""))


def order_entries(entries: Iterable[PackEntry]) -> list[PackEntry]:
    """Portfolio overview(s) first, then programs worst RAG first (red, amber, green, unknown), then by name.

    Raises
    ------
    RenderError
        An entry has a kind other than "portfolio" or "program", or a RAG outside red/amber/green/None.
    """
    entries = list(entries)
    for entry in entries:
        if entry.kind not in ("portfolio", "program"):
            raise RenderError(
                f"pack entry {entry.id or entry.title!r}: kind {entry.kind!r} is not 'portfolio' or 'program'.",
                path=entry.path,
            )
        if entry.rag is not None and str(entry.rag).lower() not in _PACK_RANK:
            raise RenderError(
                f"pack entry {entry.id or entry.title!r}: rag {entry.rag!r} is not red, amber, green or None.",
                path=entry.path,
            )
    entries = [replace(e, rag=e.rag.lower() if isinstance(e.rag, str) else None) for e in entries]
    portfolio = sorted((e for e in entries if e.kind == "portfolio"), key=lambda e: e.title.casefold())
    programs = sorted((e for e in entries if e.kind == "program"), key=_rank)
    return portfolio + programs


def _period_label(period: str) -> str:
    try:
        return Period.parse(period).label
    except PeriodError:
        raise PeriodError(f"pack period {period!r} is not a month like 2026-10; pass period='YYYY-MM'.") from None


def _rag_class(rag: str | None) -> str:
    return f"pmo-rag pmo-rag-{rag if rag in _PACK_RANK else 'na'}"


def _cover(organisation: str, period_label: str, ordered: Sequence[PackEntry], n_omitted: int) -> str:
    programs = [e for e in ordered if e.kind == "program"]
    counts = {rag: 0 for rag in (*RAG_WORST_FIRST, None)}
    for entry in programs:
        counts[entry.rag] += 1
    rows = "".join(
        f'<tr><th><span class="{_rag_class(rag)}">{_RAG_LABEL[rag]}</span></th>'
        f'<td class="pmo-num">{counts[rag]}</td></tr>'
        for rag in (*RAG_WORST_FIRST, None)
    )
    omitted = (
        f'<p class="pmo-pack-note">{n_omitted} program{"s" if n_omitted != 1 else ""} left out of this pack '
        "(listed on the contents page).</p>"
        if n_omitted
        else ""
    )
    e = html.escape
    return (
        '<section class="pmo-pack-cover">'
        f'<div class="pmo-pack-org">{e(organisation)}</div>'
        f'<h1 class="pmo-pack-title">Executive pack</h1>'
        f'<div class="pmo-pack-month">{e(period_label)}</div>'
        f"<p>{len(programs)} program report{'s' if len(programs) != 1 else ''} by RAG status:</p>"
        f'<table class="pmo-pack-counts"><tbody>{rows}'
        f'<tr><th>Total</th><td class="pmo-num">{len(programs)}</td></tr></tbody></table>'
        f"{omitted}</section>"
    )


def _contents(ordered: Sequence[PackEntry], omitted: Sequence[Omitted]) -> str:
    e = html.escape
    items = []
    for i, entry in enumerate(ordered):
        badge = (
            f'<span class="{_rag_class(entry.rag)}">{_RAG_LABEL.get(entry.rag, "N/A")}</span>'
            if entry.kind == "program"
            else '<span class="pmo-pack-nobadge"></span>'
        )
        ident = f" ({e(str(entry.id))})" if entry.id else ""
        items.append(f'<li>{badge}<a href="#pack-{i}">{e(entry.title)}{ident}</a></li>')
    note = ""
    if omitted:
        rows = "".join(
            f"<tr><td>{e(str(o[0]))}</td><td>{e(str(o[1]))}</td><td>{e(str(o[2]))}</td></tr>" for o in omitted
        )
        note = (
            '<div class="pmo-pack-omitted"><h2>Programs left out of this pack</h2>'
            '<table class="pmo-table"><thead><tr><th>Program</th><th>Name</th><th>Reason</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    return (
        '<section class="pmo-pack-contents"><h1>Contents</h1>'
        f'<ol class="pmo-pack-toc">{"".join(items)}</ol>{note}</section>'
    )


def build_pack(
    entries: Iterable[PackEntry],
    *,
    organisation: str,
    period: str,
    omitted: Iterable[Omitted | tuple[str, str, str]] = (),
    generated_at: str | None = None,
    page_size: str = "A4",
    orientation: Literal["landscape", "portrait"] = "landscape",
) -> bytes:
    """Build the executive pack PDF.

    Parameters
    ----------
    entries:
        The executed reports (:class:`PackEntry`); order does not matter, the pack sorts them.
    organisation:
        Shown on the cover and as the PDF author.
    period:
        Reporting month, "YYYY-MM".
    omitted:
        Programs left out, as ``(id, name, reason)``; listed on the contents page.
    generated_at:
        Generation time for the page footers; None means :func:`pmo_nb.publish.exporters.run_stamp`.
    page_size, orientation:
        One page setup for the whole pack (A4 landscape by default).

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    RenderError
        No entries, a bad entry, a bad page setup, or a report that cannot be rendered (named).
    PeriodError
        ``period`` is not "YYYY-MM".
    """
    period_label = _period_label(period)
    page_size = normalise_page_size(page_size) or page_size
    if page_size not in PAGE_SIZES or orientation not in ORIENTATIONS:
        raise RenderError(
            f"pack page setup {page_size!r} {orientation!r} not supported; use one of {', '.join(PAGE_SIZES)} "
            "and landscape or portrait."
        )
    ordered = order_entries(entries)
    if not ordered:
        raise RenderError(
            f"the executive pack for {period} has no reports to include; run the program reports first."
        )
    omitted_rows = [Omitted(*(str(v) for v in o)) for o in omitted]
    if generated_at is None:
        generated_at = run_stamp().generated_at

    sections = []
    for i, entry in enumerate(ordered):
        body, _ = body_fragment(entry.notebook, generated_at=generated_at, path=entry.path, id_prefix=f"p{i}-")
        sections.append(
            f'<section class="pmo-pack-section pmo-pack-{entry.kind}" id="pack-{i}">{body}</section>'
        )

    e = html.escape
    title = f"Executive pack · {organisation} · {period_label}"
    markup = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title>"
        f'<meta name="author" content="{e(organisation)}">'
        f'<meta name="description" content="{e(title)}">'
        '<meta name="generator" content="pmo-nb">'
        f'<meta name="dcterms.created" content="{e(generated_at)}">'
        f'</head><body class="pmo-body pmo-target-pdf pmo-pack pmo-{orientation}">'
        f"{_cover(organisation, period_label, ordered, len(omitted_rows))}"
        f"{_contents(ordered, omitted_rows)}"
        f"{''.join(sections)}</body></html>"
    )
    stamp = _css_string(f"Generated {generated_label(generated_at)}")
    extra = page_css(page_size, orientation) + (
        ".pmo-pack-title { string-set: pmo-running-title content(); }"
        ".pmo-pack-month { string-set: pmo-running-month content(); }"
        f'.pmo-pack-cover {{ string-set: pmo-running-stamp "{stamp}"; }}'
    )
    return write_pdf(markup, extra, where=f"executive pack {period}")


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
