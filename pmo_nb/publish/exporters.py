"""The nbconvert exporters ``pmo-html`` and ``pmo-pdf`` and the functions that call them.

One template (``templates/pmo``, inheriting JupyterLab's ``lab``) serves both: **HTML** (:func:`render_html`)
is self-contained (CSS and the Vega bundle inlined, interactive charts with the static SVG as fallback, no code,
prompts, stderr or tracebacks); **PDF** (:func:`render_pdf`) is the same markup with SVG charts laid out by
:mod:`pmo_nb.publish.pdf`. The template's names (mimetypes, RAG order) come from :mod:`pmo_nb.contract` through
``resources.pmo.contract``; every failure is a :class:`~pmo_nb.exceptions.RenderError` naming the notebook.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Unicode, default
from traitlets.config import Config as TraitletsConfig

from pmo_nb.contract import (
    ORIENTATIONS,
    PAGE_SIZES,
    PDF_MIMETYPE,
    REPORT_META_MIMETYPE,
    SVG_MIMETYPE,
    VEGALITE_MIMETYPE,
    template_vocabulary,
)
from pmo_nb.exceptions import RenderError
from pmo_nb.paths import TEMPLATES_DIR
from pmo_nb.publish.branding import branding_resources
from pmo_nb.publish.checks import external_refs
from pmo_nb.publish.meta import ReportMeta, meta_from_notebook, notebook_label
from pmo_nb.publish.parts import write_report_pdf
from pmo_nb.publish.pdf import normalise_page_size, page_css, pdf_stylesheets, write_pdf
from pmo_nb.publish.resources import TEMPLATE_NAME, TEMPLATE_STATIC, html_css, vega_bundle
from pmo_nb.publish.stamp import VOLATILE_FIELDS, RunStamp, generated_label, run_stamp, volatile_strings
from pmo_nb.publish.svg import simplify_svg

__all__ = [
    # the exporters and their entry points
    "PmoHTMLExporter",
    "PmoPDFExporter",
    "render_html",
    "render_pdf",
    "body_fragment",
    # re-exported from the modules that now hold them (stamp, meta, pdf, resources, checks, contract)
    "REPORT_META_MIMETYPE",
    "VEGALITE_MIMETYPE",
    "PAGE_SIZES",
    "ORIENTATIONS",
    "ReportMeta",
    "RunStamp",
    "run_stamp",
    "generated_label",
    "VOLATILE_FIELDS",
    "volatile_strings",
    "meta_from_notebook",
    "notebook_label",
    "external_refs",
    "html_css",
    "vega_bundle",
    "pdf_stylesheets",
    "normalise_page_size",
    "page_css",
    "write_pdf",
    "TEMPLATE_STATIC",
]

Target = Literal["html", "pdf"]


def json_for_script(value: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>``, no ``<!--``)."""
    if isinstance(value, str):
        value = json.loads(value)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def markdown_escaped(source: str) -> str:
    """Markdown from an output (data-bearing): raw HTML in it is shown as text, never interpreted."""
    return MarkdownWithMath(renderer=IPythonRenderer(escape=True, exclude_anchor_links=True)).render(source)


# --------------------------------------------------------------------------------------------------
# nbconvert: preprocessor and exporters
# --------------------------------------------------------------------------------------------------

_H2 = re.compile(r"<h2(?:\s[^>]*)?>(.*?)</h2>", re.DOTALL | re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


#: A table estimated taller than this many text lines (about half an A4 landscape page at the PDF's table type
#: size) is not kept whole with its heading: it splits, its header row repeated, and the heading stays with its
#: first rows through ``break-after: avoid``. Kept whole, a taller table would jump to the next page and leave the
#: rest of this one empty.
TALL_TABLE_LINES = 24
#: The characters a table cell holds on one line, for the estimate (a narrow column of the PDF's tables).
CELL_LINE_CHARS = 32

_ROW = re.compile(r"<tr[\s>].*?</tr>", re.DOTALL | re.IGNORECASE)
_CELL = re.compile(r"<t[dh][\s>](.*?)</t[dh]>", re.DOTALL | re.IGNORECASE)


def table_lines(markup: str) -> int:
    """Estimated height, in text lines, of the tables in ``markup``: each row is as tall as its longest cell
    wrapped at :data:`CELL_LINE_CHARS` characters a line."""
    lines = 0
    for row in _ROW.findall(markup):
        longest = max((len(html.unescape(_TAGS.sub("", cell)).strip()) for cell in _CELL.findall(row)), default=0)
        lines += max(1, -(-longest // CELL_LINE_CHARS))
    return lines


def _tall(cell: NotebookNode) -> bool:
    """Whether a code cell's outputs hold a table that may not fit on the rest of a page."""
    lines = 0
    for output in cell.get("outputs", []):
        markup = output.get("data", {}).get("text/html", "")
        lines += table_lines("".join(markup) if isinstance(markup, list) else markup)
    return lines > TALL_TABLE_LINES


_ID_CELL = re.compile(r'<td class="pmo-nowrap">([^<]+)</td>')


def link_ids(markup: str | list[str], links: Mapping[str, str]) -> str:
    """Make every id cell (``<td class="pmo-nowrap">PRG-A</td>``) whose id has a report a link to it."""
    text = "".join(markup) if isinstance(markup, list) else markup
    escaped = {html.escape(key): href for key, href in links.items()}

    def link(match: re.Match[str]) -> str:
        href = escaped.get(match.group(1))
        if href is None:
            return match.group(0)
        return f'<td class="pmo-nowrap"><a class="pmo-link" href="{html.escape(href)}">{match.group(1)}</a></td>'

    return _ID_CELL.sub(link, text)


class ReportPreprocessor(Preprocessor):
    """Render markdown cells, give each ``## `` heading a stable id, collect the table of contents, and note
    whether the page has a chart (so the Vega bundle is inlined only when needed). For the PDF, a chart's SVG is
    the simplified one WeasyPrint draws faster (:func:`pmo_nb.publish.svg.simplify_svg`).

    Runs after nbconvert's TagRemovePreprocessor, so removed cells neither show nor appear in the contents.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        pmo = resources["pmo"]
        prefix = pmo["id_prefix"]
        links = pmo["links"] if pmo["target"] == "html" and pmo["meta"]["kind"] == "portfolio" else {}
        toc: list[tuple[str, str]] = []
        has_chart = False
        renderer = MarkdownWithMath(renderer=IPythonRenderer(escape=False, exclude_anchor_links=True))

        def number_heading(match: re.Match[str]) -> str:
            anchor = f"{prefix}sec-{len(toc) + 1}"
            inner = match.group(1)
            toc.append((anchor, html.unescape(_TAGS.sub("", inner)).strip()))
            return f'<h2 id="{anchor}" class="pmo-section">{inner}</h2>'

        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                sections = len(toc)
                cell.metadata["pmo_html"] = _H2.sub(number_heading, renderer.render(cell.source))
                if len(toc) > sections:  # a long PDF may be laid out in parts cut here (pmo_nb.publish.parts)
                    cell.metadata["pmo_section_start"] = True
                # keep a markdown cell (a section heading, an intro line) on the same page as the output that
                # follows it: the template wraps both in <div class="pmo-keep">
                following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
                if (following is not None and following.cell_type == "code" and following.get("outputs")
                        and not _tall(following)):
                    cell.metadata["pmo_keep_open"] = True
                    following.metadata["pmo_keep_close"] = True
            elif cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    if links and "text/html" in output.get("data", {}):
                        output["data"]["text/html"] = link_ids(output["data"]["text/html"], links)
                    if VEGALITE_MIMETYPE in output.get("data", {}):
                        has_chart = True
                        if pmo["target"] == "pdf" and output["data"].get(SVG_MIMETYPE):
                            svg = output["data"][SVG_MIMETYPE]
                            output["data"][SVG_MIMETYPE] = simplify_svg("".join(svg) if isinstance(svg, list) else svg)
        pmo["toc"] = toc
        pmo["vega_js"] = vega_bundle() if (has_chart and pmo["target"] == "html") else ""
        return nb, resources


class PmoHTMLExporter(HTMLExporter):
    """``jupyter nbconvert --to pmo-html``: a self-contained HTML report (see the module docstring)."""

    export_from_notebook = "PMO report (HTML)"
    target: Target = "html"

    generated_at = Unicode(
        None, allow_none=True, help="Generation time shown in the footer (default: run_stamp())."
    ).tag(config=True)

    @default("template_name")
    def _template_name_default(self) -> str:
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [*workspace_template_dirs(), str(TEMPLATES_DIR)]

    @default("extra_template_paths")
    def _default_extra_template_paths(self) -> list[str]:
        # a workspace's templates/pmo/index.html.j2 extends the packaged one as 'pmo/index.html.j2'
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @property
    def default_config(self) -> TraitletsConfig:
        config = TraitletsConfig(
            {
                "TagRemovePreprocessor": {
                    "enabled": True,
                    # papermill's injected-parameters cell holds the run's parameters (a source URL among them)
                    # and a fresh random cell id each run: it never belongs in a report
                    "remove_cell_tags": {"remove-cell", "injected-parameters"},
                    "remove_all_outputs_tags": {"remove-output"},
                    "remove_input_tags": {"remove-input", "hide-input"},
                },
            }
        )
        config.merge(super().default_config)
        return config

    def _init_preprocessors(self) -> None:
        super()._init_preprocessors()
        self.register_preprocessor(ReportPreprocessor(), enabled=True)

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("pmo_json_script", json_for_script)
        yield ("pmo_markdown_escaped", markdown_escaped)

    def from_notebook_node(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Any, dict[str, Any]]:
        """Render ``nb``; ``resources["pmo_id_prefix"]`` keeps ids unique when bodies are concatenated."""
        resources = dict(resources or {})
        path = resources.get("pmo_path") or _nbconvert_path(resources)
        resources["pmo_path"] = path
        meta = meta_from_notebook(
            nb, generated_at=resources.get("pmo_generated_at") or self.generated_at, path=path
        )
        resources["pmo"] = {
            "meta": meta.as_dict(),
            "target": self.target,
            "id_prefix": resources.get("pmo_id_prefix", ""),
            "css": html_css() if self.target == "html" else "",
            "toc": [],
            "vega_js": "",
            "contract": template_vocabulary(),
            "links": dict(resources.get("pmo_links") or {}) if self.target == "html" else {},
            "branding": branding_resources(meta.branding),
        }
        resources["pmo_meta"] = meta
        return super().from_notebook_node(nb, resources, **kw)


def _nbconvert_path(resources: Mapping[str, Any]) -> str | None:
    """The input file as ``jupyter nbconvert`` describes it in ``resources["metadata"]`` (name without suffix)."""
    meta = resources.get("metadata") or {}
    if not meta.get("name"):
        return None
    return str(Path(meta.get("path") or ".") / f"{meta['name']}.ipynb")


class PmoPDFExporter(PmoHTMLExporter):
    """``jupyter nbconvert --to pmo-pdf``: the report as a PDF laid out by WeasyPrint."""

    export_from_notebook = "PMO report (PDF)"
    output_mimetype = PDF_MIMETYPE
    target: Target = "pdf"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"

    def from_notebook_node(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Any, dict[str, Any]]:
        markup, resources = super().from_notebook_node(nb, resources, **kw)
        meta: ReportMeta = resources["pmo_meta"]
        where = notebook_label(nb, resources.get("pmo_path"))
        pdf = write_report_pdf(markup, page_css(meta.page_size, meta.orientation), where=where)
        resources["output_extension"] = ".pdf"
        return pdf, resources


def workspace_template_dirs() -> list[str]:
    """The workspace's template folders searched before the packaged ones (:mod:`pmo_nb.workspace`)."""
    from pmo_nb.workspace import Workspace

    return [str(p) for p in Workspace.find().template_dirs]


def _exporter(target: Target) -> PmoHTMLExporter:
    return _cached_exporter(target, tuple(workspace_template_dirs()))


@functools.lru_cache(maxsize=4)
def _cached_exporter(target: Target, template_dirs: tuple[str, ...]) -> PmoHTMLExporter:
    dirs = [*template_dirs, str(TEMPLATES_DIR)]
    if target == "pdf":
        return PmoPDFExporter(extra_template_basedirs=dirs)
    return PmoHTMLExporter(extra_template_basedirs=dirs)


def _render(
    nb: NotebookNode, target: Target, generated_at: str | None, path: Any, id_prefix: str = ""
) -> tuple[str, ReportMeta]:
    where = notebook_label(nb, path)
    resources: dict[str, Any] = {"pmo_generated_at": generated_at, "pmo_path": where, "pmo_id_prefix": id_prefix}
    try:
        # The HTML stage of either target: PmoHTMLExporter.from_notebook_node, not the PDF override.
        exporter = _exporter(target)
        markup, resources = PmoHTMLExporter.from_notebook_node(exporter, nb, resources)
    except RenderError:
        raise
    except Exception as exc:  # nbconvert/jinja errors: name the notebook, keep it to one line
        cause = str(exc).splitlines()[0] if str(exc) else ""
        raise RenderError(
            f"{where}: could not render the report ({type(exc).__name__}: {cause}).", path=where
        ) from exc
    meta: ReportMeta = resources["pmo_meta"]
    return str(markup), meta


def render_html(
    nb: NotebookNode, *, generated_at: str | None = None, path: str | os.PathLike[str] | None = None
) -> str:
    """Render an executed report notebook as one self-contained HTML page.

    Parameters
    ----------
    nb:
        The executed report notebook (with its report-meta output).
    generated_at:
        Shown in the footer; None means "now" via :func:`run_stamp`.
    path:
        The notebook's file, used in error messages only.

    Raises
    ------
    RenderError
        The notebook has no usable report-meta output or the template failed.
    """
    markup, _ = _render(nb, "html", generated_at, path)
    return markup


def render_pdf(
    nb: NotebookNode, *, generated_at: str | None = None, path: str | os.PathLike[str] | None = None
) -> bytes:
    """Render an executed report notebook as a PDF (WeasyPrint; page setup from the report meta).

    Parameters and errors as :func:`render_html`.
    """
    markup, meta = _render(nb, "pdf", generated_at, path)
    return write_report_pdf(markup, page_css(meta.page_size, meta.orientation), where=notebook_label(nb, path))


def body_fragment(
    nb: NotebookNode, *, generated_at: str | None, path: Any = None, id_prefix: str
) -> tuple[str, ReportMeta]:
    """The ``<article>`` of one report in PDF form, for assembling several reports into one document."""
    markup, meta = _render(nb, "pdf", generated_at, path, id_prefix=id_prefix)
    start = markup.find("<!--pmo-body-start-->")
    end = markup.find("<!--pmo-body-end-->")
    if start < 0 or end < 0:
        raise RenderError(f"{notebook_label(nb, path)}: the pmo template produced no report body.")
    return markup[start + len("<!--pmo-body-start-->") : end], meta
