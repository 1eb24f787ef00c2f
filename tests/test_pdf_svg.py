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


# ----------------------------------------------------------------------------------------- chart labels (svg_text)

LABELS = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" font-family="sans-serif" font-size="12">'
    '<text x="10" y="20">Start AVA Ta</text>'
    '<text x="200" y="40" text-anchor="middle">Middle anchored</text>'
    '<text x="390" y="60" text-anchor="end" font-weight="bold">End anchored, bold</text>'
    '<text transform="translate(30,200) rotate(-90)" text-anchor="middle">Rotated title</text>'
    '<text x="100" y="100" dy="3" dx="2" dominant-baseline="middle">Baseline shifted</text>'
    '<text x="120" y="120"><tspan>Spanned</tspan> tail</text>'
    '<text x="10 20 30" y="140">XYZ per letter</text>'
    '<text x="10" y="160" letter-spacing="2">Spaced</text>'
    '<text x="10" y="180" rotate="10">Turned</text>'
    '</svg>'
)
PER_CHARACTER = {"XYZ per letter", "Spaced", "Turned"}


def _drawn(fast: bool) -> tuple[dict[str, tuple[float, ...]], list[str], str]:
    """Lay out :data:`LABELS` with the string-at-a-time drawing or WeasyPrint's own: each text's bounding box,
    which texts reached WeasyPrint's own drawing, and the PDF's text."""
    import io

    import weasyprint.svg as svg_package
    from pypdf import PdfReader

    from pmo_nb.publish import pdf, svg_text

    pdf._weasyprint()  # installs the drawing
    assert svg_text.installed()
    original = svg_text._ORIGINAL[0]
    boxes: dict[str, tuple[float, ...]] = {}
    own: list[str] = []

    def spy(draw, record_own):
        def drawn(svg, node, font_size):
            draw(svg, node, font_size)
            if node.text and node.text.strip():
                boxes[node.text.strip()] = tuple(node.text_bounding_box)
                if record_own:
                    own.append(node.text.strip())
        return drawn

    kept = svg_text._ORIGINAL[:]
    svg_text._ORIGINAL[:] = [spy(original, True)]
    use = spy(svg_text._text, False) if fast else svg_text._ORIGINAL[0]
    before = svg_package.text, dict(svg_package.TAGS)
    svg_package.text = use
    for tag in ("text", "tspan", "textPath"):
        svg_package.TAGS[tag] = use
    try:
        data = pdf.write_pdf_plain(f"<html><body>{LABELS}</body></html>", "", where="labels")
    finally:
        svg_package.text = before[0]
        svg_package.TAGS.clear()
        svg_package.TAGS.update(before[1])
        svg_text._ORIGINAL[:] = kept
    return boxes, own, PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_chart_labels_are_laid_out_as_strings_where_weasyprint_would_place_them() -> None:
    """Each single-position label is drawn as one string with the box WeasyPrint's own drawing gives it (the
    text-anchor shift is made from that box), the same words come out of the PDF, and labels placed a character at
    a time still go to WeasyPrint's own drawing."""
    ours, own_ours, text_ours = _drawn(fast=True)
    theirs, own_theirs, text_theirs = _drawn(fast=False)
    assert set(ours) == set(theirs) and len(ours) == 10
    assert set(own_ours) == PER_CHARACTER  # only these reached WeasyPrint's own drawing
    assert set(own_theirs) == set(theirs)
    for label, (x, y, width, height) in theirs.items():
        ox, oy, owidth, oheight = ours[label]
        assert (ox, oy, oheight) == pytest.approx((x, y, height), abs=0.01), label
        # kerning between letters is kept only by a string's layout: "AVA Ta" is narrower as a whole
        assert owidth == pytest.approx(width, rel=0.04), label
    assert ours["Start AVA Ta"][2] < theirs["Start AVA Ta"][2]
    assert text_ours.split() == text_theirs.split()


def test_the_string_drawing_is_installed_on_the_weasyprint_it_was_checked_on() -> None:
    import weasyprint

    from pmo_nb.publish import pdf, svg_text

    pdf._weasyprint()
    assert svg_text.installed() == (weasyprint.__version__.split(".")[0] in svg_text.SUPPORTED)
