"""pmo_nb.publish.formats: the output-format registry over nbconvert's exporters."""

from __future__ import annotations

import nbformat
import pytest
from nbconvert.exporters import Exporter
from testdata import data_path

from pmo_nb.contract import HTML_MIMETYPE, PDF_MIMETYPE
from pmo_nb.exceptions import RenderError
from pmo_nb.publish import exporters, formats

GENERATED = "2026-11-03T07:30:00Z"


@pytest.fixture(scope="module")
def program_nb() -> nbformat.NotebookNode:
    return nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4)


@pytest.mark.parametrize(
    ("name", "extension", "mimetype", "exporter"),
    [("html", ".html", HTML_MIMETYPE, "pmo-html"), ("pdf", ".pdf", PDF_MIMETYPE, "pmo-pdf"),
     (" PDF ", ".pdf", PDF_MIMETYPE, "pmo-pdf")],
)
def test_builtin_formats_map_onto_the_registered_exporters(name, extension, mimetype, exporter) -> None:
    fmt = formats.get(name)
    assert (fmt.extension, fmt.mimetype, fmt.exporter) == (extension, mimetype, exporter)
    assert formats.names()[:2] == ("html", "pdf")


def test_unknown_format_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(RenderError) as info:
        formats.get("docx")
    message = str(info.value)
    assert "\n" not in message
    assert "'docx'" in message and "html, pdf" in message


def test_render_html_equals_the_exporter_function(program_nb) -> None:
    assert formats.render(program_nb, "html", generated_at=GENERATED) == exporters.render_html(
        program_nb, generated_at=GENERATED
    ).encode("utf-8")


def test_render_pdf_is_a_pdf(program_nb) -> None:
    assert formats.render(program_nb, formats.get("pdf"), generated_at=GENERATED).startswith(b"%PDF-")


class _TitleExporter(Exporter):
    """A plug-in exporter: writes the report title as plain text."""

    output_mimetype = "text/plain"

    def from_notebook_node(self, nb, resources=None, **kw):
        meta = exporters.meta_from_notebook(nb, generated_at=(resources or {}).get("pmo_generated_at"))
        return f"{meta.title} · {meta.period}\n", resources or {}


def test_a_plugin_registered_at_runtime_renders(program_nb, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbconvert.exporters.base as base

    real = base.get_exporter

    def get_exporter(name, config=None):
        return _TitleExporter if name == "test-title" else real(name, config=config)

    monkeypatch.setattr(base, "get_exporter", get_exporter)
    monkeypatch.setattr("nbconvert.exporters.get_exporter", get_exporter)
    fmt = formats.register(formats.OutputFormat("title", ".txt", "text/plain", "test-title"))
    try:
        assert "title" in formats.names()
        meta = exporters.meta_from_notebook(program_nb, generated_at=GENERATED)
        assert formats.render(program_nb, "title", generated_at=GENERATED) == f"{meta.title} · {meta.period}\n".encode()
        with pytest.raises(RenderError, match="already registered"):
            formats.register(formats.OutputFormat("title", ".md", "text/markdown", "test-title"))
    finally:
        formats.unregister(fmt.name)
    assert "title" not in formats.names()


def test_a_format_whose_exporter_is_missing_says_what_to_install(program_nb) -> None:
    formats.register(formats.OutputFormat("ghost", ".gh", "text/plain", "no-such-exporter"))
    try:
        with pytest.raises(RenderError, match="no exporter 'no-such-exporter'"):
            formats.render(program_nb, "ghost")
    finally:
        formats.unregister("ghost")


def test_entry_point_plugins_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    point = EntryPoint("md", f"{__name__}:MARKDOWN", formats.ENTRY_POINT_GROUP)
    monkeypatch.setattr(formats, "entry_points", lambda group: [point] if group == formats.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(formats, "_loaded_entry_points", False)
    try:
        assert formats.get("md") == MARKDOWN
    finally:
        formats.unregister("md")


def test_bad_entry_point_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    point = EntryPoint("bad", f"{__name__}:GENERATED", formats.ENTRY_POINT_GROUP)
    monkeypatch.setattr(formats, "entry_points", lambda group: [point])
    monkeypatch.setattr(formats, "_loaded_entry_points", False)
    with pytest.raises(RenderError, match="plug-in 'bad'.*not a pmo_nb.publish.formats.OutputFormat"):
        formats.get("html")


@pytest.mark.parametrize("bad", [dict(name="", extension=".x"), dict(name="A", extension=".x"),
                                 dict(name="x", extension="x")])
def test_bad_format_definitions_are_refused(bad) -> None:
    with pytest.raises(RenderError):
        formats.OutputFormat(mimetype="text/plain", exporter="e", **bad)


MARKDOWN = formats.OutputFormat("md", ".md", "text/markdown", "markdown")
