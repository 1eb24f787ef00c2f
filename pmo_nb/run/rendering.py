"""The output formats of a run, found in one place: which formats exist, and how an executed notebook becomes one.

The run asks only :func:`check_formats` and :func:`render`; both go through ``pmo_nb.contract.FORMATS`` and the
nbconvert exporters of :mod:`pmo_nb.publish.exporters`, so a format registry can replace them here alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any, cast

from pmo_nb.contract import FORMATS, Format
from pmo_nb.exceptions import ConfigError, RenderError

__all__ = ["check_formats", "render", "warm_up"]


def check_formats(formats: Iterable[str]) -> tuple[Format, ...]:
    """``formats`` trimmed, lower-cased, without duplicates; ``ConfigError`` naming the choices otherwise."""
    fmts = tuple(dict.fromkeys(str(f).strip().lower() for f in formats))
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown or not fmts:
        raise ConfigError(f"unknown format {', '.join(unknown) or '(none)'}: choose from "
                          f"{', '.join(FORMATS)}", key="formats")
    return cast(tuple[Format, ...], fmts)


def render(nb: Any, fmt: str, generated_at: str | None, path: str | None = None) -> bytes:
    """The bytes of the executed notebook ``nb`` rendered as ``fmt``."""
    from pmo_nb.publish import exporters

    if fmt == "html":
        return exporters.render_html(nb, generated_at=generated_at, path=path).encode("utf-8")
    if fmt == "pdf":
        return exporters.render_pdf(nb, generated_at=generated_at, path=path)
    raise RenderError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}", path=path)


def warm_up(formats: Iterable[str]) -> None:
    """Fill the renderers' per-process caches (the Vega bundle, stylesheets, WeasyPrint's first layout)."""
    with contextlib.suppress(Exception):
        from pmo_nb.publish import exporters

        exporters.vega_bundle()
        exporters.html_css()
        if "pdf" in formats:
            exporters.pdf_stylesheets()
            exporters.write_pdf("<p>warm-up</p>", exporters.page_css("A4", "landscape"), where="warm-up")
