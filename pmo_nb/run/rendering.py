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
    """Fill the built-in renderers' per-process caches (the Vega bundle, stylesheets, WeasyPrint's first layout)."""
    with contextlib.suppress(Exception):
        from pmo_nb.publish import exporters

        exporters.vega_bundle()
        exporters.html_css()
        if "pdf" in formats:
            exporters.pdf_stylesheets()
            exporters.write_pdf("<p>warm-up</p>", exporters.page_css("A4", "landscape"), where="warm-up")
