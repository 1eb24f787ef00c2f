"""PDF fonts: names in any script print (issue 13, item 12).

The stylesheets name DejaVu Sans then Noto Sans CJK SC (:data:`pmo_nb.publish.fonts.FONT_STACK`); emoji and other
scripts come from whatever installed font has them. The rendering tests read, from each embedded font's ToUnicode
map, which font drew which character: a Chinese name drawn by Noto Sans CJK SC shows that the declaration reached
that part of the page (fontconfig's own fallback would pick another CJK face), a character drawn as the empty box
never maps to a font that has it. They need the fonts of the README's "System libraries" and are skipped without
them, except under ``CI=true`` (.ci/run installs them), where a missing font is a failure.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pypdf
import pytest
from testdata import data_path

from pmo_nb.paths import PROJ_ROOT
from pmo_nb.publish import exporters, fonts, pdf
from pmo_nb.publish.resources import TEMPLATE_STATIC
from pmo_nb.reporting import charts, components, display
from pmo_nb.reporting.tables import Col

GENERATED = "2026-11-03T07:30:00Z"

#: A name in each script, and the font (BaseFont without its subset tag and weight) that must draw it.
NAMES = [
    ("Chinese", "数字化转型项目", "Noto-Sans-CJK-SC"),
    ("Japanese", "東京オフィス移転", "Noto-Sans-CJK-SC"),
    ("Korean", "서울 데이터 센터", "Noto-Sans-CJK-SC"),
    ("Arabic", "مشروع التحول الرقمي", "DejaVu-Sans"),
    ("Hebrew", "פרויקט המעבר", "DejaVu-Sans"),
    ("Cyrillic", "Проект переезда", "DejaVu-Sans"),
    ("Greek", "Έργο μετάβασης", "DejaVu-Sans"),
    ("emoji", "🚀🎯", "Noto-Color-Emoji"),
]
TITLE = "数字化转型项目 🚀"
REQUIRED = {"Noto-Sans-CJK-SC": "fonts-noto-cjk", "Noto-Color-Emoji": "fonts-noto-color-emoji",
            "DejaVu-Sans": "fonts-dejavu-core"}
IN_CI = os.environ.get("CI", "").lower() == "true"


# ---------------------------------------------------------------------------------------------- helpers


def _family(base_font: object) -> str:
    """"/ABCDEF+Noto-Sans-CJK-SC-Bold" -> "Noto-Sans-CJK-SC"."""
    name = str(base_font).lstrip("/").split("+", 1)[-1]
    return re.sub(r"-(Bold|Oblique|Italic|BoldOblique|BoldItalic)$", "", name)


def _unicode_of(cmap: str) -> set[str]:
    """Every character a ToUnicode CMap maps glyphs to (bfchar entries and bfrange starts to ends)."""
    def text(hexes: str) -> str:
        return bytes.fromhex(hexes).decode("utf-16-be")

    chars: set[str] = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for _, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            chars.update(text(dst))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = ord(text(dst)[-1])
            chars.update(chr(start + i) for i in range(int(hi, 16) - int(lo, 16) + 1))
    return chars


def _fonts(resources: object, seen: set[int]) -> list[object]:
    """The fonts of ``resources`` and of the Form XObjects (the SVG charts) inside it."""
    resources = resources.get_object() if resources is not None else None  # type: ignore[attr-defined]
    if not resources or id(resources) in seen:
        return []
    seen.add(id(resources))
    found = [ref.get_object() for ref in resources.get("/Font", {}).values()]
    for ref in resources.get("/XObject", {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            found.extend(_fonts(xobject.get("/Resources"), seen))
    return found


def drawn_by(data: bytes) -> dict[str, set[str]]:
    """{font family: the characters its glyphs stand for} over the whole PDF."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    by_font: dict[str, set[str]] = {}
    seen: set[int] = set()
    for page in reader.pages:
        for font in _fonts(page.get("/Resources"), seen):
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            by_font.setdefault(_family(font["/BaseFont"]), set()).update(_unicode_of(cmap))
    return by_font


def families_found() -> set[str]:
    """The font families WeasyPrint finds for CJK and emoji on this machine (named explicitly, so that a
    fallback face shows as missing)."""
    probe = ('<p style="font-family: \'Noto Sans CJK SC\'">数</p>'
             '<p style="font-family: \'Noto Color Emoji\'">🚀</p><p style="font-family: \'DejaVu Sans\'">a</p>')
    data = pdf.write_pdf_plain(probe, "", where="font probe")
    return {_family(f["/BaseFont"]) for f in _fonts(pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"], set())}


@pytest.fixture(scope="module")
def fonts_installed() -> None:
    missing = {family: package for family, package in REQUIRED.items() if family not in families_found()}
    if missing:
        reason = (f"fonts not installed: {', '.join(missing)} (Debian/Ubuntu: sudo apt-get install "
                  f"{' '.join(sorted(set(missing.values())))}; README, \"System libraries\")")
        if IN_CI:
            pytest.fail(f"{reason}; CI=true, so .ci/run must have installed them")
        pytest.skip(reason)


def _notdefs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name in ("weasyprint", fonts.log.name)
            and ("notdef" in r.getMessage() or "empty boxes" in r.getMessage())]


# ---------------------------------------------------------------------------------------------- the stylesheets


def _declarations(css: str) -> list[tuple[str, str]]:
    """(property, value) of every font-family, font and --pmo-font declaration, comments removed."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [(m[0], " ".join(m[1].split()))
            for m in re.findall(r"(font-family|font|--pmo-font)\s*:\s*([^;{}]+)", css)]


STYLESHEETS = [TEMPLATE_STATIC / "report.css", TEMPLATE_STATIC / "pdf.css",
               PROJ_ROOT / "pmo_nb" / "reporting" / "static" / "pmo.css"]


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda p: p.name)
def test_every_font_stack_names_the_cjk_font_after_dejavu_and_no_emoji_font(path: Path) -> None:
    declarations = _declarations(path.read_text(encoding="utf-8"))
    assert declarations, f"{path.name} declares no font"
    for prop, value in declarations:
        if value in ("var(--pmo-font)", "inherit"):
            continue
        families = [f.strip().strip('"').strip("'") for f in value.split(",")]
        if prop == "font":  # "8pt DejaVu Sans": the family list follows the size
            families[0] = families[0].split(maxsplit=1)[-1]
        named = [f for f in families if f in fonts.FONT_STACK]
        assert named == list(fonts.FONT_STACK), f"{path.name}: {prop}: {value} (wants {fonts.FONT_STACK} in order)"
        assert families[-1] in ("sans-serif", "serif"), f"{path.name}: {prop}: {value} ends without a generic"
        # naming an emoji font makes WeasyPrint draw digits with it (WeasyPrint issues 1354, 2291)
        assert not any("emoji" in f.lower() for f in families), f"{path.name}: {prop}: {value}"


def test_pdf_css_puts_the_stack_on_html_for_the_margin_boxes() -> None:
    css = re.sub(r"/\*.*?\*/", "", (TEMPLATE_STATIC / "pdf.css").read_text(encoding="utf-8"), flags=re.S)
    assert re.search(r"(^|\})\s*html\s*\{[^}]*font-family:\s*var\(--pmo-font\)", css)
    # no margin box replaces the inherited family with a shorter stack
    page = re.search(r"@page\s*\{(.*?)\n\}", css, re.S)
    assert page and "font-family" not in page.group(1) and "font:" not in page.group(1)


def test_ci_installs_and_readme_names_the_font_packages() -> None:
    ci = (PROJ_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**System libraries.**", 1)[-1].split("\n## ", 1)[0]
    for package in ("fonts-noto-cjk", "fonts-noto-color-emoji", "fonts-noto-core"):
        assert re.search(rf"need\+=\({package}\)", ci), f".ci/run does not install {package}"
        assert package in section, f"README's System libraries does not name {package}"


# ---------------------------------------------------------------------------------------------- the warning


@pytest.mark.parametrize(("chars", "packages"), [
    ("数", ("fonts-noto-cjk",)),
    ("ア한", ("fonts-noto-cjk",)),
    ("🚀", ("fonts-noto-color-emoji",)),
    ("ก", ("fonts-noto-core",)),  # Thai
    ("Ж", ("fonts-noto-core",)),
    ("é", ("fonts-dejavu-core",)),
    ("ก数🚀é", ("fonts-dejavu-core", "fonts-noto-cjk", "fonts-noto-color-emoji", "fonts-noto-core")),
    ("\ue000\u0378", ()),  # private use, unassigned: no font has them
])
def test_font_packages_for(chars: str, packages: tuple[str, ...]) -> None:
    assert fonts.font_packages_for(chars) == packages


def test_missing_glyphs_message_names_characters_and_package() -> None:
    assert fonts.missing_glyphs_message("PRG-X.pdf", "字数数") == (
        "PRG-X.pdf: no installed font has 2 characters of the PDF, printed as empty boxes: '字' (U+5B57), "
        "'数' (U+6570); install the fonts that have them (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; "
        'README, "System libraries") and render again.')
    many = fonts.missing_glyphs_message("p.pdf", [chr(0xE000 + i) for i in range(10)])
    assert many.startswith("p.pdf: no installed font has 10 characters of the PDF, printed as empty boxes: "
                           "'\\ue000' (U+E000), ")
    assert "'\\ue007' (U+E007) and 2 more; no font has them" in many and "\\ue008" not in many


def test_a_missing_font_is_a_warning_once_per_process_then_info(caplog: pytest.LogCaptureFixture,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_WARNED", set())
    caplog.set_level(logging.INFO, logger=fonts.log.name)
    fonts.report_missing_glyphs("a.pdf", "数")
    fonts.report_missing_glyphs("b.pdf", "字数")  # same package: already said
    fonts.report_missing_glyphs("c.pdf", "数🚀")  # another package set
    fonts.report_missing_glyphs("d.pdf", "\ue000")  # no font has it: the text needs correcting, every time
    fonts.report_missing_glyphs("e.pdf", "\ue001")
    assert [(r.levelname, r.getMessage().split(":", 1)[0]) for r in caplog.records] == [
        ("WARNING", "a.pdf"), ("INFO", "b.pdf"), ("WARNING", "c.pdf"), ("WARNING", "d.pdf"), ("WARNING", "e.pdf")]
    assert caplog.records[1].getMessage() == fonts.missing_glyphs_message("b.pdf", "字数")


@pytest.mark.slow
def test_write_pdf_logs_the_characters_no_font_has(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    data = pdf.write_pdf("<p>a\ue000b\ue001c</p>", "", where="odd.pdf")
    assert data.startswith(b"%PDF")  # still written
    ours = [r for r in caplog.records if r.name == fonts.log.name]
    assert [r.getMessage() for r in ours] == [fonts.missing_glyphs_message("odd.pdf", "\ue000\ue001")]
    assert ours[0].levelno == logging.WARNING
    caplog.clear()
    pdf.write_pdf("<p>plain text 123</p>", "", where="plain.pdf")
    assert [r for r in caplog.records if r.name == fonts.log.name] == []


@pytest.mark.slow
def test_without_the_fonts_the_pdf_is_written_and_the_warning_names_the_packages(tmp_path: Path) -> None:
    dejavu = sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf")) if Path("/usr/share/fonts").is_dir() else []
    if not dejavu:
        pytest.skip("DejaVu Sans not under /usr/share/fonts: cannot build a DejaVu-only font configuration")
    (tmp_path / "fonts").mkdir()
    shutil.copyfile(dejavu[0], tmp_path / "fonts" / "DejaVuSans.ttf")  # a machine with DejaVu Sans only
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<dir>{tmp_path / 'fonts'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
                    encoding="utf-8")
    script = ("import sys, logging; logging.basicConfig(format='%(name)s|%(message)s');"
              "from pmo_nb.publish.pdf import write_pdf;"
              "sys.stdout.buffer.write(write_pdf(sys.argv[1], '', where='PRG-X.pdf'))")
    done = subprocess.run([sys.executable, "-c", script, f"<p>{TITLE} Проект 12</p>"], capture_output=True,
                          env={**os.environ, "FONTCONFIG_FILE": str(conf)}, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b"%PDF")
    assert set(drawn_by(done.stdout)) == {"DejaVu-Sans"}
    ours = [line.split("|", 1)[1] for line in done.stderr.decode().splitlines()
            if line.startswith(fonts.log.name + "|")]
    assert ours == [fonts.missing_glyphs_message("PRG-X.pdf", "数字化转型项目🚀")]
    assert "sudo apt-get install fonts-noto-cjk fonts-noto-color-emoji;" in ours[0]


# ---------------------------------------------------------------------------------------------- rendering


def _report_with_names() -> nbformat.NotebookNode:
    """A synthetic executed program report titled in Chinese, with a table of every name next to a figure
    (digit-only cells) and a chart whose SVG labels are CJK."""
    import pandas as pd

    nb = copy.deepcopy(nbformat.read(data_path("notebooks", "no_charts.ipynb"), as_version=4))
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if exporters.REPORT_META_MIMETYPE in output.get("data", {}):
                output["data"][exporters.REPORT_META_MIMETYPE].update(title=TITLE, organisation="서울 PMO")
    frame = pd.DataFrame({"script": [n[0] for n in NAMES], "name": [n[1] for n in NAMES],
                          "count": [str(12 * i) for i in range(1, len(NAMES) + 1)]})
    table = components.table(frame, [Col("script", "Script"), Col("name", "Name"), Col("count", "Count")])
    chart = display.mimebundle(charts.no_data(title="東京オフィス移転", message="서울 데이터 센터").to_dict(),
                               jupyterlab=False)
    nb.cells.append(nbformat.v4.new_markdown_cell("## Names"))
    nb.cells.append(nbformat.v4.new_code_cell("", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": str(table), "text/plain": "table"}),
        nbformat.v4.new_output("display_data", data=chart)]))
    return nb


@pytest.mark.slow
def test_a_report_prints_names_in_every_script_with_fonts_that_have_them(
        fonts_installed: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    data = exporters.render_pdf(_report_with_names(), generated_at=GENERATED)
    assert _notdefs(caplog) == []
    by_font = drawn_by(data)
    for script, name, family in NAMES:
        missing = set(name.replace(" ", "")) - by_font.get(family, set())
        assert not missing, f"{script} {name!r}: {sorted(missing)} not drawn by {family} (fonts: {sorted(by_font)})"
    # digit-only cells and "Page 1 of 2" stay in the text font, never in the emoji font
    emoji_fonts = [f for f in by_font if "Emoji" in f]
    assert emoji_fonts and not any(set("0123456789") & by_font[f] for f in emoji_fonts)
    assert set("0123456789") <= by_font["DejaVu-Sans"]
    # the chart's SVG labels (generic family: fontconfig's fallback) are drawn by a CJK face too
    cjk = set().union(*(chars for f, chars in by_font.items() if "CJK" in f))
    assert set("東京オフィス移転서울데이터센터") <= cjk


@pytest.mark.slow
def test_the_running_header_uses_the_declared_stack(fonts_installed: None, caplog: pytest.LogCaptureFixture) -> None:
    # the pack's parts set their running header through CSS (pmo_nb.publish.pack); here the Korean and Japanese
    # names appear ONLY in margin boxes, so the font that draws them is the margin boxes' choice
    caplog.set_level(logging.WARNING)
    extra = (pdf.page_css("A4", "landscape")
             + '@page { @top-left { content: "서울 데이터 센터 🎯"; } @top-right { content: "東京オフィス移転"; } }')
    data = pdf.write_pdf('<html><body class="pmo-body pmo-target-pdf"><p>Latin body 2026</p></body></html>',
                         extra, where="header.pdf")
    assert _notdefs(caplog) == []
    by_font = drawn_by(data)
    # the declared face, not fontconfig's fallback one (which is Noto Sans CJK JP on Debian)
    assert set("서울데이터센터東京オフィス移転") <= by_font.get("Noto-Sans-CJK-SC", set()), sorted(by_font)
    assert "🎯" in by_font.get("Noto-Color-Emoji", set()), sorted(by_font)
