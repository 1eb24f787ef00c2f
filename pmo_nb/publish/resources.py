"""The files the template inlines or hands to WeasyPrint: stylesheets and the Vega bundle, read once per process."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pmo_nb.exceptions import RenderError
from pmo_nb.paths import COMPONENT_CSS, TEMPLATES_DIR

__all__ = ["TEMPLATE_NAME", "TEMPLATE_STATIC", "read_template_file", "component_css", "html_css", "vega_bundle"]

TEMPLATE_NAME = "pmo"
TEMPLATE_STATIC = TEMPLATES_DIR / TEMPLATE_NAME / "static"


def read_template_file(path: Path) -> str:
    """The text of a file shipped with the template; a RenderError saying to reinstall when it is missing."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(
            f"cannot read the template file {path} ({exc.strerror}); reinstall pmo-nb or restore templates/.",
            path=str(path),
        ) from None


def component_css() -> str:
    """pmo_nb/reporting/static/pmo.css (styles the package's HTML fragments); "" when absent, they still read."""
    return read_template_file(COMPONENT_CSS) if COMPONENT_CSS.is_file() else ""


@functools.lru_cache(maxsize=1)
def html_css() -> str:
    """The stylesheet inlined into every HTML report: component CSS, then the report layout."""
    return component_css() + "\n" + read_template_file(TEMPLATE_STATIC / "report.css")


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed (with tooltips) as one script, from vl-convert-python (no download)."""
    import vl_convert

    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the snippet is optional
    # A literal "</script" inside the bundle would end the inline <script> element early.
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
