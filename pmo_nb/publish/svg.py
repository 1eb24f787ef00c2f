"""The chart SVGs as the PDF is given them: the same drawing, with less for WeasyPrint to walk.

A Vega-Lite chart converted by vl-convert is about 200 SVG nodes, many of which draw nothing: empty ``<g>``
wrappers, ``translate(…)`` groups nested four deep, a zero-size "background" and a hidden "foreground" path per
mark group, and ARIA/``class``/``pointer-events`` attributes on every node. WeasyPrint's SVG renderer is pure
Python and pays for each node (a node object, the attribute cascade, a saved graphics state, a transform matrix)
and for each attribute (copied down to every descendant by its cascade): about a quarter of a program report's
PDF layout went to drawing its 13 charts. :func:`simplify_svg` removes what draws nothing and folds the nested
translations into the marks, so each mark ends up where it was, painted as it was.

The PDF target only (:class:`pmo_nb.publish.exporters.ReportPreprocessor`): the HTML report keeps vl-convert's
SVG as it is (the ARIA attributes are for screen readers; the browser's renderer does not need the help).

Every change is one that cannot alter the drawing, and an SVG that uses anything the rules do not reason about
(a ``<style>`` element or ``style`` attribute, ``<use>``, markers, units on a translation) is left as it was in
that part, or whole.
"""

from __future__ import annotations

import functools
import re
from xml.etree import ElementTree

__all__ = ["simplify_svg"]

_NS = "http://www.w3.org/2000/svg"
_G = f"{{{_NS}}}g"
#: Elements a group may be dissolved into (their ``transform`` attribute is honoured by WeasyPrint as by SVG).
#: Not ``<text>``: a label's position folded into one translation differs from the nested one by float rounding
#: (1e-13 pt), invisible, but enough for ``pdftotext -layout`` to lay a chart's labels out one blank line apart.
_TRANSFORMABLE = frozenset(f"{{{_NS}}}{tag}" for tag in (
    "g", "path", "line", "rect", "circle", "ellipse", "polyline", "polygon", "image"))
#: Shapes that paint nothing when neither filled nor stroked.
_SHAPES = frozenset(f"{{{_NS}}}{tag}" for tag in (
    "path", "line", "rect", "circle", "ellipse", "polyline", "polygon"))
#: Elements whose content is not drawn where it stands, or is text laid out as a run: left untouched.
_OPAQUE = frozenset(f"{{{_NS}}}{tag}" for tag in (
    "defs", "clipPath", "mask", "pattern", "marker", "symbol", "linearGradient", "radialGradient", "filter",
    "text", "foreignObject", "switch", "a"))
#: Attributes neither SVG painting nor WeasyPrint reads (``class`` only matters to a ``<style>``, excluded below).
_IGNORED = frozenset(("class", "role", "pointer-events", "version"))
_MARKERS = ("marker", "marker-start", "marker-mid", "marker-end")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TRANSLATE = re.compile(rf"\s*translate\(\s*({_NUMBER})(?:\s*,\s*|\s+)?({_NUMBER})?\s*\)\s*")
#: Markup that the rules below do not reason about: such an SVG is returned as it was.
_UNSUPPORTED = re.compile(r"<style|\sstyle=|<use\b|\smarker(?:-start|-mid|-end)?=|<!ENTITY", re.IGNORECASE)


def _translation(transform: str | None) -> tuple[float, float] | None:
    """``(x, y)`` of a transform that is one unitless ``translate``; (0, 0) for none; None for anything else."""
    if transform is None or not transform.strip():
        return 0.0, 0.0
    match = _TRANSLATE.fullmatch(transform)
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2) or 0)


def _number(value: float) -> str:
    """A coordinate as SVG text, to a millionth of a user unit (far below a device pixel)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _shifted(transform: str | None, dx: float, dy: float) -> str:
    """``transform`` preceded by ``translate(dx, dy)``, added into its leading translation if it has one."""
    match = _TRANSLATE.match(transform or "")
    if match is None:
        return f"translate({_number(dx)},{_number(dy)}) {transform}"
    x, y = dx + float(match.group(1)), dy + float(match.group(2) or 0)
    rest = (transform or "")[match.end():].strip()
    return f"translate({_number(x)},{_number(y)})" + (f" {rest}" if rest else "")


def _has_id(element: ElementTree.Element) -> bool:
    """Whether ``element`` or a descendant can be referenced (clip paths, gradients, links)."""
    return any("id" in node.attrib for node in element.iter())


def _paints(element: ElementTree.Element, fill: str, stroke: str) -> bool:
    """Whether a shape with the inherited ``fill``/``stroke`` can put ink on the page."""
    if element.tag == f"{{{_NS}}}path" and not element.get("d", "").strip():
        return False  # an empty path has no outline to fill or stroke
    fill = element.get("fill", fill).strip()
    stroke = element.get("stroke", stroke).strip()
    return not (fill == "none" and stroke in ("none", ""))


def _simplify(parent: ElementTree.Element, fill: str, stroke: str) -> None:
    """Simplify ``parent``'s children in place (children first, so nested groups fold from the inside out)."""
    fill = parent.get("fill", fill).strip()
    stroke = parent.get("stroke", stroke).strip()
    kept: list[ElementTree.Element] = []
    for child in list(parent):
        for name in [n for n in child.attrib if n in _IGNORED or n.startswith("aria-")]:
            del child.attrib[name]
        if child.get("opacity", "").strip() in ("1", "1.0"):  # not inherited: 1 is the default
            del child.attrib["opacity"]
        if child.tag in _OPAQUE or not isinstance(child.tag, str):
            kept.append(child)
            continue
        if child.get("display", "").strip() == "none" and not _has_id(child):
            continue  # neither it nor its descendants are drawn
        if child.tag in _SHAPES and len(child) == 0 and "id" not in child.attrib and not _paints(child, fill, stroke):
            continue
        if child.tag != _G:
            kept.append(child)
            continue
        _simplify(child, fill, stroke)
        if len(child) == 0 and not _has_id(child):
            continue  # an empty group draws nothing
        shift = _translation(child.get("transform"))
        dissolvable = (
            shift is not None
            and set(child.attrib) <= {"transform"}
            and not (child.text or "").strip()
            and all(g.tag in _TRANSFORMABLE and "transform-origin" not in g.attrib for g in child)
        )
        if not dissolvable:
            kept.append(child)
            continue
        assert shift is not None
        for grandchild in child:
            if shift != (0.0, 0.0):
                grandchild.set("transform", _shifted(grandchild.get("transform"), *shift))
            kept.append(grandchild)
    parent[:] = kept  # (text between elements outside <text>, e.g. a dropped group's tail, is never drawn)


@functools.lru_cache(maxsize=64)
def simplify_svg(svg: str) -> str:
    """``svg`` (a chart as vl-convert draws it) with the nodes and attributes that draw nothing removed and nested
    translations folded into the marks; ``svg`` unchanged when it is not an SVG document these rules cover.

    Cached: the executive pack lays out every report's charts again.
    """
    if _UNSUPPORTED.search(svg):
        return svg
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return svg
    if root.tag != f"{{{_NS}}}svg":
        return svg
    for name in [n for n in root.attrib if n in _IGNORED or n.startswith("aria-")]:
        del root.attrib[name]
    _simplify(root, "black", "none")
    # Written with SVG as the default namespace, as it came (ElementTree would prefix every tag with "ns0:", and
    # its default_namespace option refuses the unqualified attributes).
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{_NS}}}"):
            element.tag = element.tag[len(_NS) + 2:]
    root.set("xmlns", _NS)
    return ElementTree.tostring(root, encoding="unicode")
