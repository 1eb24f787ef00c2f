"""The fonts of the PDFs: the families the stylesheets name, the packages that provide them, and the missing glyphs.

WeasyPrint finds fonts through fontconfig; nothing is bundled (a CJK font alone is 16 MB or more). The stylesheets
name :data:`FONT_STACK`; a character none of those fonts has falls back to any installed font that has it, and a
character no installed font has prints as an empty box (.notdef), which :func:`missing_glyphs` turns into one
logged line naming the characters and the package to install (:data:`FONT_PACKAGES`, the README's "System
libraries").
"""

from __future__ import annotations

import contextlib
import logging
import threading
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = ["FONT_STACK", "FONT_PACKAGES", "font_packages_for", "missing_glyphs_message", "report_missing_glyphs",
           "missing_glyphs"]

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
_WARNED: set[tuple[str, ...]] = set()  # the package sets this process has already warned about


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
def missing_glyphs(where: str) -> Iterator[None]:
    """Around a WeasyPrint layout: :func:`report_missing_glyphs` for the characters it drew as empty boxes."""
    weasy_log = logging.getLogger("weasyprint")
    collector = _NotdefCollector()
    weasy_log.addHandler(collector)
    try:
        yield
    finally:
        weasy_log.removeHandler(collector)
    if collector.chars:
        report_missing_glyphs(where, collector.chars)


def report_missing_glyphs(where: str, chars: Iterable[str]) -> None:
    """Log :func:`missing_glyphs_message`: a warning the first time this process lacks a given set of font
    packages, at INFO level after that (a run of 200 reports says it once per worker, not 200 times); characters
    that no font has are a warning every time, as each document's text needs correcting."""
    chars = set(chars)
    packages = font_packages_for(chars)
    level = logging.INFO if packages and packages in _WARNED else logging.WARNING
    _WARNED.add(packages)
    log.log(level, missing_glyphs_message(where, chars))
