"""The PDF markup's <style> elements made one, each rule once (pmo_nb.publish.pdf.merged_styles): WeasyPrint
applies the same styles as to the markup as it came."""

from __future__ import annotations

import pytest

from pmo_nb.publish.pdf import _weasyprint, merged_styles

RED, BLUE = ".a { color: red; }", ".a { color: blue; }"


def _doc(*sheets: str, body: str = '<p class="a">x</p>') -> str:
    styles = "".join(f"<style>{sheet}</style>" for sheet in sheets)
    return f"<html><head><title>t</title></head><body>{styles}{body}</body></html>"


def test_one_style_element_each_rule_once_the_last_copy_kept() -> None:
    # red, blue, red: red wins as the later copy; keeping the first red would let blue win
    assert merged_styles(_doc(RED, BLUE, f"{RED}\n.b {{ margin: 0; }}")) == (
        "<html><head><title>t</title></head><body>"
        "<style>\n.a { color: blue; }\n.a { color: red; }\n.b { margin: 0; }\n</style>"
        '<p class="a">x</p></body></html>'
    )


def test_media_rules_are_kept_once_in_their_media() -> None:
    first = "@media print { .a { color: red; } .b { margin: 0; } }"
    second = "@media print { .a { color: red; } } .c { padding: 0; }"
    assert merged_styles(_doc(first, second)) == _doc(
        "\n@media print {\n.b { margin: 0; }\n.a { color: red; }\n}\n.c { padding: 0; }\n"
    )


@pytest.mark.parametrize("markup", [
    _doc(RED),  # one sheet: nothing to merge
    _doc(RED, BLUE).replace("<style>", '<style media="print">', 1),
    _doc("@import url(x.css);", RED),
    _doc("@font-face { font-family: X; src: url(x.woff); }", RED),
    _doc(RED, BLUE, body="<!-- <style>.a { color: green }</style> -->"),
    _doc(RED, ".a { color: blue; } }"),  # a parse error
    _doc(RED, "@media print { @page { margin: 0; } }"),  # an at-rule inside @media
])
def test_what_it_cannot_reason_about_is_left_as_it_was(markup: str) -> None:
    assert merged_styles(markup) == markup


def test_weasyprint_lays_out_the_merged_markup_the_same() -> None:
    weasyprint = _weasyprint()
    # (keeping the first copy of a rule instead would make the second paragraph blue, and both 12px, not 8px)
    sheets = [RED, ".x .a { color: green; } .a { font-size: 20px; }", BLUE, "@media print { .a { font-size: 8px; } }",
              ".a { font-size: 12px; }", RED, ".x .a { color: green; }", "@media print { .a { font-size: 8px; } }"]
    markup = _doc(*sheets, body='<div class="x"><p class="a">x</p></div><p class="a">y</p>')
    merged = merged_styles(markup)
    assert merged.count("<style>") == 1
    pdfs = [weasyprint.HTML(string=m).write_pdf(pdf_identifier=b"t") for m in (markup, merged)]
    assert pdfs[0] == pdfs[1]
