"""[branding]: parsing and validation, the CSS and logo the template embeds, the chart theme, the pack cover.

The synthetic executed report under tests/data/notebooks/ is given a branding in its report-meta (what a report
notebook emits from its pmo.toml), so the exporters are tested without a kernel.
"""

from __future__ import annotations

import base64
import copy
import io
import re
import struct
import zlib
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pypdf
import pytest
from testdata import data_path

from pmo_nb.config import BrandingConfig, load_config, parse_config
from pmo_nb.exceptions import ConfigError, RenderError
from pmo_nb.publish import exporters
from pmo_nb.publish.branding import BRAND_FONT_FAMILY, branding_css
from pmo_nb.reporting.charts.theme import use_branding

GENERATED = "2026-11-03T07:30:00Z"
SVG_LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20">'
            b'<rect width="80" height="20" fill="#c21f6e"/></svg>')


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG of one colour, written by hand (no imaging library)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xc2\x1f\x6e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_config(folder: Path, branding: str) -> Path:
    path = folder / "pmo.toml"
    path.write_text(f"[branding]\n{branding}\n", encoding="utf-8")
    return path


def branded_nb(branding: BrandingConfig) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4))
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if exporters.REPORT_META_MIMETYPE in output.get("data", {}):
                output["data"][exporters.REPORT_META_MIMETYPE]["branding"] = branding.as_meta()
    return nb


# ---------------------------------------------------------------------------------------------- config


def test_defaults_are_the_house_colours() -> None:
    branding = load_config(None).branding
    assert (branding.logo, branding.primary_colour, branding.accent_colour, branding.font) == (
        "", "#1f4e79", "#1f5fa8", "")


def test_logo_path_is_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.svg").write_bytes(SVG_LOGO)
    config = write_config(tmp_path, 'logo = "brand/logo.svg"\nprimary_colour = "#C21F6E"\naccent_colour = "#0a7"')
    monkeypatch.chdir(tmp_path / "brand")  # the working folder does not matter
    branding = load_config(config).branding
    assert branding.logo == str((tmp_path / "brand" / "logo.svg").resolve())
    assert (branding.primary_colour, branding.accent_colour) == ("#c21f6e", "#0a7")
    assert branding.logo_data_uri() == "data:image/svg+xml;base64," + base64.b64encode(SVG_LOGO).decode()


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ('logo = "missing.png"', "branding.logo", "missing.png' not found"),
        ('logo = "logo.gif"', "branding.logo", "not an SVG or PNG image"),
        ('primary_colour = "blue"', "branding.primary_colour", "hex colour"),
        ('accent_colour = "#12345"', "branding.accent_colour", "hex colour"),
        ('accent_colour = "#1f4e79; x: y"', "branding.accent_colour", "hex colour"),
        ("primary_colour = 255", "branding.primary_colour", "expected text"),
        ('font = "fonts/Brand.ttf"', "branding.font", "Brand.ttf' not found"),
        ('font = "Evil\\"; } body { x"', "branding.font", "neither a font family name"),
        ('colour = "#ffffff"', "branding.colour", "unknown key"),
    ],
)
def test_bad_branding_is_a_config_error_naming_the_key(tmp_path: Path, line: str, key: str, says: str) -> None:
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, line))
    assert info.value.key == key
    assert f"'{key}'" in str(info.value) and says in str(info.value)
    assert str(tmp_path / "pmo.toml") in str(info.value)


def test_font_given_as_a_file_is_embedded(tmp_path: Path) -> None:
    (tmp_path / "Brand.woff2").write_bytes(b"wOF2-not-really-a-font")
    branding = load_config(write_config(tmp_path, 'font = "Brand.woff2"')).branding
    meta = branding.as_meta()
    assert meta["font"] == ""
    assert meta["font_data"] == "data:font/woff2;base64," + base64.b64encode(b"wOF2-not-really-a-font").decode()
    css = branding_css(meta)
    assert f'@font-face {{ font-family: "{BRAND_FONT_FAMILY}"; src: url("{meta["font_data"]}"); }}' in css
    assert f'font-family: "{BRAND_FONT_FAMILY}", sans-serif' in css


# ---------------------------------------------------------------------------------------------- HTML and PDF


@pytest.fixture(scope="module")
def branding(tmp_path_factory: pytest.TempPathFactory) -> BrandingConfig:
    folder = tmp_path_factory.mktemp("brand")
    (folder / "logo.png").write_bytes(png_bytes())
    return parse_config({"branding": {"logo": "logo.png", "primary_colour": "#C21F6E", "accent_colour": "#0A7A5C",
                                      "font": "Noto Serif"}}, str(folder / "pmo.toml")).branding


def test_html_embeds_the_logo_and_sets_the_colours(branding: BrandingConfig) -> None:
    html = exporters.render_html(branded_nb(branding), generated_at=GENERATED)
    logo = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    imgs = re.findall(r'<img [^>]*class="pmo-report-logo"[^>]*src="([^"]*)"', html)
    assert imgs == [logo]
    assert "logo.png" not in html  # embedded, never linked
    style = re.search(r'<style class="pmo-branding">(.*?)</style>', html, re.S)
    assert style is not None
    assert "html:root { --pmo-primary: #c21f6e; --pmo-accent: #0a7a5c; }" in style.group(1)
    assert 'font-family: "Noto Serif", sans-serif' in style.group(1)


def test_unbranded_report_gets_the_house_colours_and_no_logo() -> None:
    nb = nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4)
    html = exporters.render_html(nb, generated_at=GENERATED)
    assert "--pmo-primary: #1f4e79; --pmo-accent: #1f5fa8;" in html
    assert "pmo-report-logo\"" not in html and 'class="pmo-report-logo"' not in html


def test_branding_from_a_notebook_output_is_checked_again(branding: BrandingConfig) -> None:
    nb = branded_nb(branding)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if exporters.REPORT_META_MIMETYPE in output.get("data", {}):
                output["data"][exporters.REPORT_META_MIMETYPE]["branding"]["logo"] = "https://evil.example/x.png"
    with pytest.raises(RenderError, match="branding logo="):
        exporters.render_html(nb, generated_at=GENERATED)


@pytest.mark.slow
def test_pdf_has_the_logo_as_an_image_on_its_first_page(branding: BrandingConfig) -> None:
    pdf = exporters.render_pdf(branded_nb(branding), generated_at=GENERATED)
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    images = [xobjects[name].get_object() for name in xobjects
              if xobjects[name].get_object().get("/Subtype") == "/Image"]
    assert any((img["/Width"], img["/Height"]) == (4, 3) for img in images), images
    unbranded = exporters.render_pdf(
        nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4), generated_at=GENERATED)
    first = pypdf.PdfReader(io.BytesIO(unbranded)).pages[0]
    plain = first["/Resources"].get("/XObject", {})
    assert not any(plain[n].get_object().get("/Width") == 4 for n in plain)


# ---------------------------------------------------------------------------------------------- charts


@pytest.fixture
def restore_theme() -> object:
    yield
    use_branding(BrandingConfig())


def test_chart_spec_carries_the_branding_colours(branding: BrandingConfig, restore_theme: object) -> None:
    use_branding(branding)
    spec = alt.Chart(pd.DataFrame({"x": [1, 2], "k": ["a", "b"]})).mark_line().encode(
        x="x", color="k").properties(title="t").to_dict()
    assert spec["config"]["range"]["category"][:2] == ["#0a7a5c", "#1f5fa8"]
    assert spec["config"]["title"]["color"] == "#c21f6e"
    assert spec["config"]["font"].startswith("Noto Serif, ")
    use_branding(BrandingConfig())
    plain = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x").to_dict()
    assert plain["config"]["range"]["category"][0] == "#1f5fa8"
    assert plain["config"]["title"]["color"] == "#1f4e79"
