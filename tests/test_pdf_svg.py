"""The chart SVGs the PDF is given (pmo_nb.publish.svg): what draws nothing is gone, nested translations are folded
into the marks, and every mark is where it was, painted as it was; the HTML report keeps vl-convert's SVG."""

from __future__ import annotations

import base64
import re
from xml.etree import ElementTree

import nbformat
import pytest
from testdata import data_path

from pmo_nb.contract import SVG_MIMETYPE, VEGALITE_MIMETYPE
from pmo_nb.publish import exporters
from pmo_nb.publish.svg import simplify_svg

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50"'


def test_nested_translations_fold_and_what_draws_nothing_goes() -> None:
    svg = (
        f'{SVG} class="marks" version="1.1">'
        '<g fill="none" transform="translate(10,5)">'
        '<g class="mark-group" role="graphics-object" aria-roledescription="group mark container">'
        '<g transform="translate(0.5,0.5)">'
        '<path class="background" aria-hidden="true" d="M0,0h0v0h0Z"/>'  # fill none (inherited), no stroke
        '<g transform="translate(2,3)"><line transform="translate(9,0)" x2="0" y2="5" stroke="#888" opacity="1"/>'
        '<path d="M0,0h4" stroke="#000" transform="translate(1,1) rotate(90)"/></g>'
        '<g><g transform="translate(4,4)"></g></g>'  # empty once its empty child is gone
        '<path class="foreground" d="" display="none"/>'
        "</g></g></g></svg>"
    )
    assert simplify_svg(svg) == (
        '<svg width="100" height="50" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg">'
        '<g fill="none" transform="translate(10,5)">'
        '<line transform="translate(11.5,3.5)" x2="0" y2="5" stroke="#888" />'
        '<path d="M0,0h4" stroke="#000" transform="translate(3.5,4.5) rotate(90)" />'
        "</g></svg>"
    )


def test_text_keeps_its_group_and_painted_shapes_stay() -> None:
    svg = (
        f'{SVG}><g fill="none"><g transform="translate(3,4)">'
        '<text transform="translate(1,2)" text-anchor="middle" fill="#000">Q4 <tspan>2026</tspan></text>'
        '<path d="M0,0h5v5h-5Z" stroke="#f00"/>'  # stroked: stays
        '<rect width="5" height="5" fill="#0f0"/>'  # filled: stays
        '<circle r="2"/>'  # fill none inherited, no stroke: goes
        "</g></g></svg>"
    )
    assert simplify_svg(svg) == (
        '<svg width="100" height="50" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg">'
        '<g fill="none"><g transform="translate(3,4)">'
        '<text transform="translate(1,2)" text-anchor="middle" fill="#000">Q4 <tspan>2026</tspan></text>'
        '<path d="M0,0h5v5h-5Z" stroke="#f00" /><rect width="5" height="5" fill="#0f0" /></g></g></svg>'
    )


@pytest.mark.parametrize("markup", [
    f'{SVG}><style>.a {{ fill: red }}</style><g class="a"><rect width="1" height="1"/></g></svg>',
    f'{SVG}><g style="fill: none"><rect width="1" height="1"/></g></svg>',
    f'{SVG}><path d="M0,0h5" marker-end="url(#m)"/></svg>',
    f'{SVG}><g transform="translate(1,1)"><use href="#a"/></g></svg>',
    "<html>not svg</html>",
    "<svg",
])
def test_what_the_rules_do_not_cover_is_left_as_it_was(markup: str) -> None:
    assert simplify_svg(markup) == markup


def test_referenced_and_transformed_groups_stay() -> None:
    svg = (
        f'{SVG}><g id="keep" transform="translate(1,1)"><rect width="1" height="1" fill="#000"/></g>'
        '<g transform="scale(2)"><rect width="1" height="1" fill="#000"/></g>'
        '<g clip-path="url(#c)" transform="translate(1,1)"><rect width="1" height="1" fill="#000"/></g>'
        '<g transform="translate(1px,1px)"><rect width="1" height="1" fill="#000"/></g></svg>'
    )
    out = simplify_svg(svg)
    assert out.count("<g ") == 4 and out.count("<rect ") == 4


_NS = "{http://www.w3.org/2000/svg}"
_TRANSLATE = re.compile(r"translate\(([-+.\deE]+)[ ,]*([-+.\deE]*)\)")
_NOT_DRAWING = {"class", "role", "pointer-events", "version", "transform"}


def _marks(svg: str) -> list[tuple[object, ...]]:
    """Every drawn leaf of ``svg``: its tag, where it is (the translations above it summed, other transforms in
    order), the attributes it draws with (its own and inherited), its text."""
    marks: list[tuple[object, ...]] = []

    def walk(element: ElementTree.Element, chain: list[str], inherited: dict[str, str]) -> None:
        chain = chain + [element.get("transform", "")]
        attrs = {**inherited, **{k: v for k, v in element.attrib.items()
                                 if k not in _NOT_DRAWING and not k.startswith("aria-")}}
        attrs.pop("opacity", None) if attrs.get("opacity") == "1" else None
        children = list(element)
        if element.tag == f"{_NS}text" or not children:
            dx = dy = 0.0
            rest = []
            for transform in chain:
                for part in re.findall(r"\w+\([^)]*\)", transform):
                    match = _TRANSLATE.fullmatch(part)
                    if match and not rest:
                        dx, dy = dx + float(match.group(1)), dy + float(match.group(2) or 0)
                    else:
                        rest.append(part)
            text = "".join(element.itertext())
            marks.append((element.tag, round(dx, 6), round(dy, 6), tuple(rest), tuple(sorted(attrs.items())), text))
            return
        for child in children:
            walk(child, chain, {k: v for k, v in attrs.items() if k not in ("opacity", "display")})

    walk(ElementTree.fromstring(svg), [], {})
    return marks


def _draws(mark: tuple[object, ...]) -> bool:
    attrs = dict(mark[4])  # type: ignore[arg-type]
    if attrs.get("display") == "none" or (mark[0] == f"{_NS}path" and not attrs.get("d")):
        return False
    return mark[0] in (f"{_NS}text", f"{_NS}svg") or not (
        attrs.get("fill", "black") == "none" and attrs.get("stroke", "none") == "none")


@pytest.fixture(scope="module")
def program_nb() -> nbformat.NotebookNode:
    return nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4)


def _chart_svgs(nb: nbformat.NotebookNode) -> list[str]:
    return [o["data"][SVG_MIMETYPE] for c in nb.cells for o in c.get("outputs", [])
            if VEGALITE_MIMETYPE in o.get("data", {}) and o["data"].get(SVG_MIMETYPE)]


def test_a_real_charts_marks_keep_their_places_with_fewer_nodes(program_nb: nbformat.NotebookNode) -> None:
    svgs = _chart_svgs(program_nb)
    assert svgs
    for svg in svgs:
        simple = simplify_svg(svg)
        assert [m for m in _marks(svg) if _draws(m)] == _marks(simple)
        assert len(list(ElementTree.fromstring(simple).iter())) < 0.75 * len(list(ElementTree.fromstring(svg).iter()))


def test_only_the_pdf_is_given_the_simplified_charts(program_nb: nbformat.NotebookNode) -> None:
    svgs = _chart_svgs(program_nb)
    html = exporters.render_html(program_nb, generated_at="2026-11-03T07:30:00Z")
    pdf_body, _ = exporters.body_fragment(program_nb, generated_at="2026-11-03T07:30:00Z", id_prefix="")
    for svg in svgs:
        assert base64.b64encode(svg.encode()).decode() in html
        assert base64.b64encode(simplify_svg(svg).encode()).decode() in pdf_body
