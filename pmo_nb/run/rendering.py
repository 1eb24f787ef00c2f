"""The output formats of a run: checked against the format registry and rendered through it.

The run asks only :func:`check_formats`, :func:`render` and :func:`file_name`; each goes through
:mod:`pmo_nb.publish.formats`, so a format a plug-in registers (``pmo_nb.formats`` entry points) is written by
``--formats`` like the built-in ``html`` and ``pdf``. HTML reports get the month's links
(:func:`pmo_nb.publish.navigation.month_links`): the overview links to each program's report, each program
report back to the overview and the month's index.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from pmo_nb.exceptions import ConfigError

__all__ = ["check_formats", "file_name", "links_for", "render", "warm_up"]


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """``formats`` trimmed, lower-cased, without duplicates; ``ConfigError`` naming the registered ones otherwise."""
    from pmo_nb.publish import formats as registry

    known = registry.names()
    fmts = tuple(dict.fromkeys(str(f).strip().lower() for f in formats if str(f).strip()))
    unknown = [f for f in fmts if f not in known]
    if unknown or not fmts:
        raise ConfigError(f"unknown format {', '.join(unknown) or '(none)'}: choose from "
                          f"{', '.join(known)} (comma-separated, e.g. --formats html,pdf)", key="formats")
    return fmts


def file_name(stem: str, fmt: str) -> str:
    """The file a report of ``stem`` is written to in ``fmt`` (``PRG-A.html``), from the format's extension."""
    from pmo_nb.publish import formats as registry

    return f"{stem}{registry.get(fmt).extension}"


def links_for(program_ids: Iterable[str], formats: Iterable[str]) -> dict[str, str]:
    """The links the HTML reports of a month carry (empty when no HTML is written)."""
    from pmo_nb.publish import navigation

    return navigation.month_links(program_ids, "html") if "html" in tuple(formats) else {}


def render(nb: Any, fmt: str, generated_at: str | None, path: str | None = None,
           links: Mapping[str, str] | None = None) -> bytes:
    """The bytes of the executed notebook ``nb`` rendered as ``fmt`` (``RenderError`` naming the notebook)."""
    from pmo_nb.publish import formats as registry

    return registry.render(nb, fmt, generated_at=generated_at, path=path, links=links or None)


def warm_up(formats: Iterable[str]) -> None:
    """Fill the built-in renderers' per-process caches (the Vega bundle, stylesheets, the exporters and their
    compiled templates, WeasyPrint's first layout) by rendering a one-cell report in each built-in format asked for:
    the first real report then renders as fast as the next ones (it took about a second more)."""
    with contextlib.suppress(Exception):
        from pmo_nb.publish import exporters

        exporters.vega_bundle()
        exporters.html_css()
        if "pdf" in formats:
            exporters.pdf_stylesheets()
        for fmt in ("html", "pdf"):
            if fmt in formats:
                render(_warm_up_notebook(), fmt, "2000-01-01T00:00:00Z", "warm-up")


def _warm_up_notebook() -> Any:
    """A notebook with a report-meta output and a heading: the smallest report the exporters render."""
    import nbformat

    from pmo_nb.contract import REPORT_META_MIMETYPE

    meta: dict[str, Any] = {
        "kind": "portfolio", "title": "warm-up", "program_id": None, "organisation": "", "period": "2000-01",
        "period_label": "January 2000", "rag": None, "rag_reason": "", "source_fingerprint": "", "currency": "EUR",
        "page_size": "A4", "orientation": "landscape", "branding": {},
    }
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={REPORT_META_MIMETYPE: meta, "text/plain": ""})])
    return nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("## warm-up")])
