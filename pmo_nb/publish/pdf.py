"""The PDF writer: WeasyPrint with the shared paged-media stylesheets, parsed once per process.

Report PDFs (:class:`pmo_nb.publish.exporters.PmoPDFExporter`) and every part of the executive pack
(:mod:`pmo_nb.publish.pack`) are laid out here; only the small ``@page`` rule (:func:`page_css`) varies. Fonts
come from the system (fontconfig): the stylesheets ask for :data:`FONT_STACK`, and a character that no installed
font has prints as an empty box, which :func:`write_pdf` logs once per document with the package to install.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES
from pmo_nb.exceptions import RenderError
from pmo_nb.publish.resources import TEMPLATE_STATIC, component_css, read_template_file

__all__ = ["FONT_STACK", "FONT_PACKAGES", "pdf_stylesheets", "normalise_page_size", "page_css", "write_pdf",
           "write_pdf_plain", "font_packages_for", "missing_glyphs_message"]

log = logging.getLogger(__name__)

#: The families every font stack of the stylesheets names, in this order (report.css ``--pmo-font``, pmo.css;
#: tests/test_fonts.py checks it): Latin, Greek, Cyrillic, Arabic and Hebrew from DejaVu, then CJK. Emoji and the
#: scripts neither has (Thai, Devanagari, ...) fall back to any installed font with them; the emoji font is never
#: named, as that makes WeasyPrint draw digits with it (its issues 1354 and 2291).
FONT_STACK = ("DejaVu Sans", "Noto Sans CJK SC")

#: The Debian/Ubuntu package of each kind of character, as the README's "System libraries" lists them.
FONT_PACKAGES = {"latin": "fonts-dejavu-core", "cjk": "fonts-noto-cjk", "emoji": "fonts-noto-color-emoji",
                 "other": "fonts-noto-core"}

_CJK_NAMES = ("CJK ", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "BOPOMOFO", "HALFWIDTH", "FULLWIDTH",
              "KANGXI", "YI ")
_EMOJI_RANGES = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF), (0xFE00, 0xFE0F),
                 (0x200D, 0x200D), (0x20E3, 0x20E3), (0xE0020, 0xE007F))
_NOTDEF = ".notdef glyph rendered"  # how WeasyPrint (draw/text.py) logs a character no font has
_SHOWN = 8  # characters named in the message


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


def font_packages_for(chars: Iterable[str]) -> tuple[str, ...]:
    """The packages (:data:`FONT_PACKAGES`) whose fonts have ``chars``, in that order; none for a character no
    font can have (unassigned, private use, a control character)."""
    kinds = set()
    for ch in chars:
        code = ord(ch)
        if unicodedata.category(ch) in ("Cn", "Co", "Cs", "Cc"):
            continue
        if any(low <= code <= high for low, high in _EMOJI_RANGES):
            kinds.add("emoji")
        elif unicodedata.name(ch, "").startswith(_CJK_NAMES):
            kinds.add("cjk")
        else:
            kinds.add("latin" if code < 0x0250 else "other")
    return tuple(package for kind, package in FONT_PACKAGES.items() if kind in kinds)


def missing_glyphs_message(where: str, chars: Iterable[str]) -> str:
    """One line: which characters of ``where`` print as empty boxes, and the font packages that have them."""
    chars = sorted(set(chars))
    shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in chars[:_SHOWN])
    more = f" and {len(chars) - _SHOWN} more" if len(chars) > _SHOWN else ""
    packages = font_packages_for(chars)
    fix = (f"install the fonts that have them (Debian/Ubuntu: sudo apt-get install {' '.join(packages)}; "
           'README, "System libraries") and render again' if packages
           else "no font has them (unassigned or private-use code points): correct the text in the source")
    return (f"{where}: no installed font has {len(chars)} character{'s' if len(chars) != 1 else ''} of the PDF, "
            f"printed as empty boxes: {shown}{more}; {fix}.")


class _NotdefCollector(logging.Handler):
    """Collects the characters WeasyPrint drew as .notdef (the empty box) in this thread's layout."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.chars: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and str(record.msg).startswith(_NOTDEF) and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            self.chars.add(str(args[0]))


@contextlib.contextmanager
def _missing_glyphs(where: str) -> Iterator[None]:
    """Log one warning naming the characters that no installed font has, when the block drew any."""
    weasy_log = logging.getLogger("weasyprint")
    collector = _NotdefCollector()
    weasy_log.addHandler(collector)
    try:
        yield
    finally:
        weasy_log.removeHandler(collector)
    if collector.chars:
        log.warning(missing_glyphs_message(where, collector.chars))


def write_pdf(markup: str, extra_css: str, *, where: str) -> bytes:
    """Lay out ``markup`` with the shared PDF stylesheets plus ``extra_css``; return the PDF bytes.

    Characters that no installed font has still lay out (as empty boxes); one warning on this module's logger
    names them and the font package to install.
    """
    weasyprint = _weasyprint()

    try:
        document = weasyprint.HTML(string=markup, base_url=str(TEMPLATE_STATIC))
        with _missing_glyphs(where):
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
