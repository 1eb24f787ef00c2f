"""The organisation's branding as the template applies it: CSS custom properties, the font and the logo.

A report notebook's report-meta carries ``[branding]`` (:meth:`pmo_nb.config.BrandingConfig.as_meta`: colours,
font, logo and font file as ``data:`` URIs); :func:`branding_resources` checks those values again (a notebook's
output is not trusted) and gives the template a ``<style>`` block and the logo's URI, so the logo is embedded
in HTML and PDF alike, never linked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pmo_nb.config import BrandingConfig
from pmo_nb.exceptions import RenderError

__all__ = ["branding_css", "branding_resources", "BRAND_FONT_FAMILY"]

BRAND_FONT_FAMILY = "PMO Brand"
"""The family name a font given as a file is declared under (``@font-face``)."""

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_FAMILY = re.compile(r"[\w \-.]+")
_LOGO_URI = re.compile(r"data:image/(?:svg\+xml|png);base64,[A-Za-z0-9+/=]+")
_FONT_URI = re.compile(r"data:font/(?:ttf|otf|woff2?);base64,[A-Za-z0-9+/=]+")


def _checked(raw: Mapping[str, Any], key: str, pattern: re.Pattern[str], default: str) -> str:
    value = raw.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not pattern.fullmatch(value):
        shown = value if not isinstance(value, str) or len(value) < 60 else value[:57] + "..."
        raise RenderError(f"report-meta branding {key}={shown!r} is not allowed; set [branding] {key} in pmo.toml")
    return value


def branding_css(raw: Mapping[str, Any] | None) -> str:
    """CSS for the branding in ``raw`` (report-meta's ``branding``; None or {} gives the house colours)."""
    raw = raw or {}
    house = BrandingConfig()
    primary = _checked(raw, "primary_colour", _COLOUR, house.primary_colour)
    accent = _checked(raw, "accent_colour", _COLOUR, house.accent_colour)
    font = _checked(raw, "font", _FAMILY, "")
    font_uri = _checked(raw, "font_data", _FONT_URI, "")
    # html:root outranks the stylesheets' :root, whichever order WeasyPrint or the page reads them in
    css = [f"html:root {{ --pmo-primary: {primary}; --pmo-accent: {accent}; }}"]
    if font_uri:
        css.append(f'@font-face {{ font-family: "{BRAND_FONT_FAMILY}"; src: url("{font_uri}"); }}')
        font = BRAND_FONT_FAMILY
    if font:
        css.append(f'html:root .pmo-body, html:root .pmo-report {{ font-family: "{font}", sans-serif; }}')
    return "\n".join(css)


def branding_resources(raw: Mapping[str, Any] | None) -> dict[str, str]:
    """What the template reads under ``resources.pmo.branding``: ``css`` and ``logo`` (a data URI or "")."""
    raw = raw or {}
    return {"css": branding_css(raw), "logo": _checked(raw, "logo", _LOGO_URI, "")}
