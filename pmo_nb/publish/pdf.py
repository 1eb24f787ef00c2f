"""The PDF writer: WeasyPrint with the shared paged-media stylesheets, parsed once per process.

Report PDFs (:class:`pmo_nb.publish.exporters.PmoPDFExporter`) and every part of the executive pack
(:mod:`pmo_nb.publish.pack`) are laid out here; only the small ``@page`` rule (:func:`page_css`) varies. Fonts
come from the system (:mod:`pmo_nb.publish.fonts`); a character that no installed font has prints as an empty
box, which :func:`write_pdf` logs with the package to install.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES
from pmo_nb.exceptions import RenderError
from pmo_nb.publish.fonts import missing_glyphs
from pmo_nb.publish.resources import TEMPLATE_STATIC, component_css, read_template_file

__all__ = ["pdf_stylesheets", "normalise_page_size", "page_css", "write_pdf", "write_pdf_plain"]


def _weasyprint() -> Any:
    """Import WeasyPrint, silencing only its import-time notice that the optional system library
    HarfBuzz-Subset is missing (bare Debian images lack libharfbuzz-subset0; fonts are then subset with
    fontTools and are still embedded). Any other warning still surfaces."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint
    return weasyprint


@functools.lru_cache(maxsize=1)
def pdf_stylesheets() -> tuple[Any, ...]:
    """The WeasyPrint stylesheets for every PDF, parsed once per process (a 200-report pack re-uses them)."""
    weasyprint = _weasyprint()
    texts = [component_css(), *(read_template_file(TEMPLATE_STATIC / name) for name in ("report.css", "pdf.css"))]
    return tuple(weasyprint.CSS(string=t, base_url=str(TEMPLATE_STATIC)) for t in texts if t.strip())


def normalise_page_size(page_size: str) -> str | None:
    """``"a4"`` -> ``"A4"``, ``"Letter"`` -> ``"letter"``; None when WeasyPrint would not know the name."""
    by_lower = {size.lower(): size for size in PAGE_SIZES}
    return by_lower.get(str(page_size).strip().lower())


def page_css(page_size: str, orientation: str) -> str:
    """The one @page rule that varies between documents."""
    page_size = normalise_page_size(page_size) or page_size
    if page_size not in PAGE_SIZES or orientation not in ORIENTATIONS:
        raise RenderError(
            f"page size {page_size!r} / orientation {orientation!r} not supported; use one of "
            f"{', '.join(PAGE_SIZES)} and landscape or portrait."
        )
    return f"@page {{ size: {page_size} {orientation}; }}"


def write_pdf(markup: str, extra_css: str, *, where: str) -> bytes:
    """Lay out ``markup`` with the shared PDF stylesheets plus ``extra_css``; return the PDF bytes.

    Characters that no installed font has still lay out (as empty boxes);
    :func:`pmo_nb.publish.fonts.missing_glyphs` logs them with the font package to install.
    """
    weasyprint = _weasyprint()

    try:
        document = weasyprint.HTML(string=markup, base_url=str(TEMPLATE_STATIC))
        with missing_glyphs(where):
            return bytes(document.write_pdf(
                stylesheets=[*pdf_stylesheets(), weasyprint.CSS(string=extra_css)],
                pdf_identifier=b"pmo-nb",
            ))
    except RenderError:
        raise
    except Exception as exc:  # WeasyPrint raises many types; the caller needs one, with the notebook named
        raise RenderError(
            f"{where}: WeasyPrint could not lay out the PDF ({type(exc).__name__}: {exc}).", path=where
        ) from exc


def write_pdf_plain(markup: str, css: str, *, where: str) -> bytes:
    """Lay out ``markup`` with ``css`` only (no report stylesheets): the pack's page-number stamp."""
    weasyprint = _weasyprint()
    try:
        return bytes(weasyprint.HTML(string=markup).write_pdf(stylesheets=[weasyprint.CSS(string=css)],
                                                               pdf_identifier=b"pmo-nb"))
    except Exception as exc:
        raise RenderError(f"{where}: WeasyPrint could not lay out the PDF ({type(exc).__name__}: {exc}).") from exc
