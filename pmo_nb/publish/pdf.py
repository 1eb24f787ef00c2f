"""The PDF writer: WeasyPrint with the shared paged-media stylesheets, parsed once per process.

Report PDFs (:class:`pmo_nb.publish.exporters.PmoPDFExporter`) and every part of the executive pack
(:mod:`pmo_nb.publish.pack`) are laid out here; only the small ``@page`` rule (:func:`page_css`) varies. Fonts
come from the system (:mod:`pmo_nb.publish.fonts`); a character that no installed font has prints as an empty
box, which :func:`write_pdf` logs with the package to install.
"""

from __future__ import annotations

import functools
import itertools
import re
import warnings
from typing import Any

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES
from pmo_nb.exceptions import RenderError
from pmo_nb.publish.fonts import missing_glyphs
from pmo_nb.publish.resources import TEMPLATE_STATIC, component_css, read_template_file

__all__ = ["pdf_stylesheets", "merged_styles", "normalise_page_size", "page_css", "write_pdf", "write_pdf_plain"]


def _weasyprint() -> Any:
    """Import WeasyPrint, silencing only its import-time notice that the optional system library
    HarfBuzz-Subset is missing (bare Debian images lack libharfbuzz-subset0; fonts are then subset with
    fontTools and are still embedded). Any other warning still surfaces. Installs :mod:`pmo_nb.publish.svg_text`."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint
    from pmo_nb.publish import svg_text

    svg_text.install()  # chart labels laid out a string at a time, not a character at a time
    return weasyprint


@functools.lru_cache(maxsize=1)
def pdf_stylesheets() -> tuple[Any, ...]:
    """The WeasyPrint stylesheets for every PDF, parsed once per process (a 200-report pack re-uses them)."""
    weasyprint = _weasyprint()
    texts = [component_css(), *(read_template_file(TEMPLATE_STATIC / name) for name in ("report.css", "pdf.css"))]
    return tuple(weasyprint.CSS(string=t, base_url=str(TEMPLATE_STATIC)) for t in texts if t.strip())


_STYLE = re.compile(r"<style(\s[^>]*)?>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)
#: ``<style>`` attributes that do not change what the sheet applies to (a ``media`` attribute would).
_PLAIN_STYLE = re.compile(r'(?:\s+(?:class="[^"]*"|type="text/css"))*\s*', re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@functools.lru_cache(maxsize=256)
def _sheet_rules(css: str) -> tuple[tuple[str, str], ...] | None:
    """The rules of one ``<style>`` as ``(@media prelude or "", rule text)``, ``@media`` blocks opened up; None
    when the sheet has anything else (another at-rule, a parse error). Cached: the same component sheets recur
    in every report."""
    import tinycss2  # WeasyPrint's own CSS parser (one of its dependencies)

    rules: list[tuple[str, str]] = []
    for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True):
        if rule.type == "qualified-rule":
            rules.append(("", tinycss2.serialize([rule])))
            continue
        if rule.type != "at-rule" or rule.lower_at_keyword != "media" or rule.content is None:
            return None
        media = tinycss2.serialize(rule.prelude).strip()
        for inner in tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True):
            if inner.type != "qualified-rule":
                return None
            rules.append((media, tinycss2.serialize([inner])))
    return tuple(rules)


def merged_styles(markup: str) -> str:
    """``markup`` with its ``<style>`` elements made one, each rule in it once: what WeasyPrint applies is the same,
    matched in a fraction of the time.

    Every report fragment the package draws (:func:`pmo_nb.reporting.components.styled`) carries its own scoped
    ``<style>``: a program report has 16 of them, mostly the same rules again, and the pack has those of every
    report. WeasyPrint matches every element against every rule of every sheet; those copies were about a sixth of
    a report's PDF time. Both steps leave the cascade as it was: the sheets are all author sheets, so one sheet
    holding their rules in the same order applies the same; and of two identical rules (selector, declarations and
    enclosing ``@media`` alike) the later one wins every tie the earlier one could win, so only the last is kept.
    Markup it cannot reason about (a ``<style>`` with a ``media`` attribute, one inside a comment, an at-rule other
    than ``@media``, a parse error) is returned unchanged.
    """
    matches = list(_STYLE.finditer(markup))
    if len(matches) < 2 or any(m.group(1) and not _PLAIN_STYLE.fullmatch(m.group(1)) for m in matches):
        return markup
    if any("<style" in comment.lower() for comment in _COMMENT.findall(markup)):
        return markup
    rules: list[tuple[str, str]] = []  # (the enclosing @media prelude or "", the rule), in order
    for match in matches:
        sheet_rules = _sheet_rules(match.group(2))
        if sheet_rules is None:
            return markup
        rules += sheet_rules
    last = {rule: index for index, rule in enumerate(rules)}
    lines: list[str] = []
    open_media = ""
    for index, (media, rule) in enumerate(rules):
        if last[media, rule] != index:
            continue
        if media != open_media:  # consecutive rules under the same @media share one block, as they came
            lines += ["}"] if open_media else []
            lines += [f"@media {media} {{"] if media else []
            open_media = media
        lines.append(rule)
    lines += ["}"] if open_media else []
    sheet = "<style>\n" + "\n".join(lines) + "\n</style>"
    pieces = [markup[: matches[0].start()], sheet]
    pieces += [markup[before.end() : after.start()] for before, after in itertools.pairwise(matches)]
    pieces.append(markup[matches[-1].end() :])
    return "".join(pieces)


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
        document = weasyprint.HTML(string=merged_styles(markup), base_url=str(TEMPLATE_STATIC))
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
