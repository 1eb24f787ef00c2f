"""Links between a month's reports: where each report is (:func:`month_links`) and the month's ``index.html``.

A run writes ``portfolio.<ext>`` and ``<program_id>.<ext>`` side by side in ``OUT/<period>/``; every link here
is relative to that folder, so the month can be moved or served anywhere.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Protocol

from pmo_nb.contract import RAG_WORST_FIRST
from pmo_nb.periods import Period
from pmo_nb.publish import formats
from pmo_nb.publish.resources import html_css
from pmo_nb.publish.stamp import generated_label
from pmo_nb.reporting.tables import rag_badge

__all__ = ["PORTFOLIO_STEM", "INDEX_NAME", "report_stem", "NAV_KEYS", "month_links", "month_index"]

PORTFOLIO_STEM = "portfolio"
INDEX_NAME = "index.html"


class Listed(Protocol):
    """What the index needs of a report (a :class:`pmo_nb.publish.pack.PackEntry` has it)."""

    kind: str
    id: str | None
    title: str
    rag: str | None


def report_stem(kind: str, program_id: str | None) -> str:
    """The file stem of a report in the month folder: ``portfolio`` or the program id."""
    return PORTFOLIO_STEM if kind == "portfolio" else str(program_id)


#: The keys of :func:`month_links` that are not program ids.
NAV_KEYS = ("portfolio", "index")


def month_links(program_ids: Iterable[str], fmt: str = "html") -> dict[str, str]:
    """Relative hrefs the HTML reports of one month link to: ``portfolio``, ``index`` and each program id.

    Pass the result as ``links=`` to :func:`pmo_nb.publish.formats.render`.
    """
    ext = formats.get(fmt).extension
    links = dict(zip(NAV_KEYS, (f"{PORTFOLIO_STEM}{ext}", INDEX_NAME), strict=True))
    links.update({str(pid): f"{pid}{ext}" for pid in program_ids})
    return links


def _rank(entry: Listed) -> tuple[int, int, str]:
    order: dict[str, int] = {rag: i for i, rag in enumerate(RAG_WORST_FIRST)}
    return (0 if entry.kind == "portfolio" else 1, order.get(str(entry.rag or "").lower(), len(order)),
            entry.title.casefold())


def month_index(
    entries: Iterable[Listed], *, organisation: str, period: str, generated_at: str,
    formats_written: Sequence[str] = ("html", "pdf"), pack: str | None = None,
    omitted: Iterable[tuple[str, str, str]] = (),
) -> str:
    """The month's ``index.html``: every report with its RAG and links to its files, worst first.

    Parameters
    ----------
    entries:
        The month's reports (kind, id, title, rag), e.g. the run's :class:`~pmo_nb.publish.pack.PackEntry` list.
    organisation, period, generated_at:
        Heading and footer (``period`` is ``YYYY-MM``; ``generated_at`` from the run stamp).
    formats_written:
        The formats the run wrote; each report links to its file in each.
    pack:
        File name of the executive pack in the month folder, if one was written.
    omitted:
        Programs without a report, as ``(id, name, reason)``.
    """
    e = html.escape
    month = Period.parse(period)
    specs = [formats.get(f) for f in formats_written]
    rows = []
    for entry in sorted(entries, key=_rank):
        stem = report_stem(entry.kind, entry.id)
        files = " · ".join(f'<a class="pmo-link" href="{e(stem + s.extension)}">{e(s.name.upper())}</a>'
                           for s in specs)
        first = f'<a class="pmo-link" href="{e(stem + specs[0].extension)}">{e(entry.title)}</a>' if specs else e(
            entry.title)
        badge = rag_badge(str(entry.rag).lower()) if entry.rag else ('<span class="pmo-na">—</span>'
                                                                     if entry.kind == "portfolio" else rag_badge(None))
        rows.append(f'<tr><td class="pmo-nowrap">{e(entry.id or "")}</td><td>{first}</td>'
                    f'<td class="pmo-rag-cell">{badge}</td><td>{files}</td></tr>')
    missing = "".join(f"<tr><td>{e(str(o[0]))}</td><td>{e(str(o[1]))}</td><td>{e(str(o[2]))}</td></tr>"
                      for o in omitted)
    missing_block = ("<h2>Programs without a report</h2><table class=\"pmo-table\"><thead><tr><th>Program</th>"
                     f"<th>Name</th><th>Reason</th></tr></thead><tbody>{missing}</tbody></table>" if missing else "")
    pack_block = (f'<p>Executive pack: <a class="pmo-link" href="{e(pack)}">{e(pack)}</a></p>' if pack else "")
    title = f"{organisation} · reports for {month.label}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f'<title>{e(title)}</title><meta name="generator" content="pmo-nb"><style>{html_css()}</style></head>'
        '<body class="pmo-body pmo-target-html"><main class="pmo-report pmo-index">'
        f'<header class="pmo-report-header"><div class="pmo-report-org">{e(organisation)}</div>'
        f'<h1 class="pmo-index-title">Reports for {e(month.label)}</h1></header>{pack_block}'
        '<table class="pmo-table"><thead><tr><th>Program</th><th>Report</th><th>Status</th><th>Files</th></tr>'
        f'</thead><tbody>{"".join(rows)}</tbody></table>{missing_block}'
        f'<footer class="pmo-report-footer"><span>Generated {e(generated_label(generated_at))}</span></footer>'
        "</main></body></html>\n"
    )
