"""Chart labels in PDFs laid out a string at a time: a faster drawing of SVG ``<text>`` for WeasyPrint.

WeasyPrint (up to at least 70) draws an SVG ``<text>`` one character at a time: a Pango layout per character, each
placed after the one before. That is there for per-character positions (``x="1 2 3"``, ``dx``/``dy`` lists,
``rotate``, ``textLength``, ``letter-spacing``), which chart SVGs never use: vl-convert writes each label as one
``<text>`` with one position. Laying those out one character at a time was about 13% of a report PDF's time (a
program report has some 500 labels), and it loses kerning and breaks the joining of scripts such as Arabic.

:func:`install` replaces WeasyPrint's SVG text drawing with :func:`_text`: a ``<text>`` (or ``<tspan>``) with at most
one value in each of ``x``, ``y``, ``dx``, ``dy`` and none of ``rotate``, ``textLength`` or a ``letter-spacing`` is
laid out and drawn as one string, at the place WeasyPrint puts its first character, with the same font, fill,
stroke, baseline alignment and bounding box (``text-anchor`` is then applied from that box, as before). Any other
text goes to WeasyPrint's own drawing, unchanged. A WeasyPrint other than the versions listed in
:data:`SUPPORTED` keeps its own drawing: its internals may differ.
"""

from __future__ import annotations

from math import inf
from typing import Any

__all__ = ["SUPPORTED", "install", "installed"]

SUPPORTED = ("70",)
"""WeasyPrint major versions whose SVG text drawing :func:`install` replaces (the ones its tests ran on)."""

_ORIGINAL: list[Any] = []  # WeasyPrint's own drawing, once replaced

_ASCENT, _DESCENT = 0.8, 0.2  # of the font size, as WeasyPrint takes them for SVG text
_BEFORE_EDGE = ("text-before-edge", "before_edge", "top", "hanging", "text-top")
_AFTER_EDGE = ("text-after-edge", "after_edge", "bottom", "text-bottom")


def installed() -> bool:
    """Whether WeasyPrint draws SVG text with :func:`_text` in this process."""
    return bool(_ORIGINAL)


def install() -> bool:
    """Have WeasyPrint draw single-position SVG text a string at a time (see the module docstring); idempotent.

    Returns whether it is installed: False for a WeasyPrint whose major version is not in :data:`SUPPORTED`, or
    whose SVG module is not laid out as expected.
    """
    if _ORIGINAL:
        return True
    import weasyprint
    import weasyprint.svg as svg_package

    if weasyprint.__version__.split(".")[0] not in SUPPORTED:
        return False
    original = getattr(svg_package, "text", None)  # the package binds its drawing function over the module's name
    tags = getattr(svg_package, "TAGS", None)
    if not callable(original) or not isinstance(tags, dict) or tags.get("text") is not original:
        return False
    _ORIGINAL.append(original)
    # draw_node calls TAGS[tag] and compares TAGS.get(tag) with the package's ``text`` to apply text-anchor: both
    # must name the same function
    svg_package.text = _text
    for tag, draw in list(tags.items()):
        if draw is original:
            tags[tag] = _text
    return True


def _position(node: Any) -> tuple[str, str, str, str] | None:
    """The one value of each of ``x``, ``y``, ``dx`` and ``dy`` of ``node`` ("" when absent); None when ``node``
    places its characters one by one (a list of values, ``rotate``, ``textLength``, a ``letter-spacing``: what
    WeasyPrint's own drawing is for)."""
    from weasyprint.svg.utils import normalize

    attrib = node.attrib
    if "rotate" in attrib or "textLength" in attrib or node.get("letter-spacing") not in (None, "", "0", "normal"):
        return None
    values = []
    for name in ("x", "y", "dx", "dy"):
        listed = normalize(attrib[name]).strip().split(" ") if name in attrib else [""]
        if len(listed) != 1:
            return None
        values.append(listed[0])
    return values[0], values[1], values[2], values[3]


def _style(svg: Any, node: Any, font_size: float) -> Any:
    """The text style WeasyPrint's SVG text drawing makes for ``node`` (family, style, weight, size, direction)."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.svg.text import Style

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    weight = node.get("font-weight", 400)
    if weight == "normal":
        weight = 400
    elif weight == "bold":
        weight = 700
    else:
        try:
            weight = int(weight)
        except ValueError:
            weight = 400
    style["font_weight"] = weight
    return style


def _y_align(node: Any, font_size: float, height: float) -> float:
    """The vertical shift WeasyPrint applies for ``display-anchor`` and the baseline alignment attributes."""
    ascent, descent = font_size * _ASCENT, font_size * _DESCENT
    display_anchor = node.get("display-anchor")
    baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        return -height / 2
    if display_anchor == "top":
        return 0.0
    if display_anchor == "bottom":
        return -height
    if baseline in ("central", "middle"):
        return (ascent + descent) / 2 - descent
    if baseline in _BEFORE_EDGE:
        return ascent
    if baseline in _AFTER_EDGE:
        return -descent
    return 0.0


def _text(svg: Any, node: Any, font_size: float) -> None:
    """Draw a ``<text>``/``<tspan>`` node: as one string when it has a single position, else as WeasyPrint does."""
    position = _position(node) if node.text else None
    if position is None:
        _ORIGINAL[0](svg, node, font_size)
        return
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import TextBox
    from weasyprint.svg.utils import size
    from weasyprint.text.line_break import split_first_line

    style = _style(svg, node, font_size)
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    x_value, y_value, dx_value, dy_value = position
    x = size(x_value, font_size, svg.inner_width) if x_value else None
    y = size(y_value, font_size, svg.inner_height) if y_value else None
    dx = size(dx_value, font_size, svg.inner_width) if dx_value else 0
    dy = size(dy_value, font_size, svg.inner_height) if dy_value else 0
    # the cursor as WeasyPrint moves it for the first character, then past the whole string
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    svg.cursor_d_position[0] += dx
    svg.cursor_d_position[1] += dy
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + _y_align(node, font_size, height)
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, (
        (x_position, y_position - baseline), (x_position + width, y_position - baseline + height)))

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
