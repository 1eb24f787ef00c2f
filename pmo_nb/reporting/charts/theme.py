"""The house chart style: the ``pmo`` Altair theme, its colours and shapes, and the chart sizes.

RAG colours differ in lightness as well as hue and each is paired with a shape and a text label, so nothing
depends on colour alone. :func:`register_theme` registers the theme; ``pmo_nb.reporting.setup()`` enables it;
:func:`use_branding` puts ``[branding]``'s colours and font into it (titles, the first category colour).
"""

from __future__ import annotations

from typing import Any

import altair as alt

from pmo_nb.config import BrandingConfig
from pmo_nb.contract import RAG_WORST_FIRST

THEME_NAME = "pmo"
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
WIDTH = 700
HEIGHT = 300
TEXT_COLOR = "#222222"
MUTED = "#666666"
GRID = "#e3e3e3"

# RAG colours chosen to differ in lightness too (relative luminance: red 0.23, green 0.51, amber 0.71,
# n/a 0.83),
# and each paired with a shape and a label so nothing depends on colour alone.
RAG_KEYS: tuple[str, ...] = (*RAG_WORST_FIRST, "n/a")  # the statuses a chart can show, worst first
RAG_LABELS: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green", "n/a": "No data"}
RAG_COLORS: dict[str, str] = {"red": "#b2182b", "amber": "#f2b134", "green": "#3f9b52", "n/a": "#d4d4d4"}
RAG_SHAPES: dict[str, str] = {"red": "triangle-down", "amber": "diamond", "green": "circle", "n/a": "square"}

SEVERITY_ORDER: tuple[str, ...] = ("low", "medium", "high", "critical")
# A light-to-dark ramp so severity and risk band order read in greyscale as well.
SEVERITY_COLORS: dict[str, str] = {
    "low": "#dbe9f6",
    "medium": "#f6d57a",
    "high": "#e8833a",
    "critical": "#9e1a1a",
}
BAND_ORDER = SEVERITY_ORDER
BAND_COLORS = SEVERITY_COLORS
AGEING_BUCKETS: tuple[str, ...] = ("0-30", "31-60", "61-90", "91-180", ">180")

MILESTONE_STATUS_ORDER: tuple[str, ...] = (
    "missed",
    "achieved_late",
    "upcoming",
    "achieved_on_time",
    "future",
)
MILESTONE_STATUS_LABELS: dict[str, str] = {
    "missed": "Missed",
    "achieved_late": "Achieved late",
    "upcoming": "Upcoming",
    "achieved_on_time": "Achieved on time",
    "future": "Future",
}
MILESTONE_STATUS_COLORS: dict[str, str] = {
    "missed": RAG_COLORS["red"],
    "achieved_late": RAG_COLORS["amber"],
    "upcoming": "#3a6ea5",
    "achieved_on_time": RAG_COLORS["green"],
    "future": "#a6a6a6",
}
MILESTONE_STATUS_SHAPES: dict[str, str] = {
    "missed": "triangle-down",
    "achieved_late": "diamond",
    "upcoming": "triangle-right",
    "achieved_on_time": "circle",
    "future": "square",
}

MAX_QUADRANT_HALF_RANGE = 0.5

SERIES_COLORS = {"PV": "#7f7f7f", "EV": "#1f5fa8", "AC": "#c0392b"}
CATEGORY_COLORS: tuple[str, ...] = ("#1f5fa8", "#c0392b", "#7f7f7f", "#2e8540", "#e8833a", "#6a3d9a")

_branding: BrandingConfig = BrandingConfig()


def use_branding(branding: BrandingConfig) -> None:
    """Draw charts with ``branding``'s colours and font from now on (the theme is re-registered and enabled)."""
    global _branding
    _branding = branding
    register_theme(enable=True)


def _category_colors() -> list[str]:
    first = _branding.accent_colour
    return [first, *(c for c in CATEGORY_COLORS if c.lower() != first.lower())][: len(CATEGORY_COLORS)]


def _font() -> str:
    # a font file is embedded in the HTML/PDF only; charts name an installed family or the house stack
    family = "" if _branding.font_file else _branding.font
    return f"{family}, {FONT}" if family else FONT


def theme() -> dict[str, Any]:
    """The ``pmo`` theme as an Altair/Vega-Lite theme dictionary."""
    axis = {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "labelColor": TEXT_COLOR,
        "titleColor": TEXT_COLOR,
        "gridColor": GRID,
        "domainColor": "#8a8a8a",
        "tickColor": "#8a8a8a",
    }
    return {
        "config": {
            "font": _font(),
            "background": "white",
            "padding": 8,
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "title": {
                "fontSize": 16,
                "fontWeight": "bold",
                "anchor": "start",
                "color": _branding.primary_colour,
                "subtitleFontSize": 12,
                "subtitleColor": MUTED,
                "offset": 12,
            },
            "axis": axis,
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "labelColor": TEXT_COLOR,
                "titleColor": TEXT_COLOR,
                "orient": "bottom",
                "direction": "horizontal",
                "symbolSize": 120,
            },
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "text": {"fontSize": 12, "color": TEXT_COLOR},
            "range": {"category": _category_colors()},
            "line": {"strokeWidth": 2.5},
            "point": {"size": 50, "filled": True},
        }
    }


def register_theme(enable: bool = True) -> None:
    """Register the ``pmo`` theme with Altair (idempotent) and, by default, enable it."""
    registry = getattr(alt, "theme", None)
    if registry is not None and hasattr(registry, "register"):  # altair >= 5.5
        registry.register(THEME_NAME, enable=enable)(theme)
    else:  # pragma: no cover - altair 5.4
        alt.themes.register(THEME_NAME, theme)
        if enable:
            alt.themes.enable(THEME_NAME)
