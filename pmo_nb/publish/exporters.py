"""Turn executed report notebooks into self-contained HTML and into PDF.

One nbconvert template (``templates/pmo``, inheriting JupyterLab's ``lab``) serves both formats:

- **HTML** (:func:`render_html`, exporter ``pmo-html``): no code, prompts, stderr or tracebacks; a header with
  organisation, report title and month; a table of contents made from the ``## `` sections; a footer with the
  generation time and the source fingerprint. Everything is inlined (CSS, the Vega/vega-embed bundle once per
  page and only when the page has a chart), so opening the file makes no network request. Charts are drawn
  interactively by vega-embed from the Vega-Lite spec, with the static SVG as the no-JavaScript fallback.
- **PDF** (:func:`render_pdf`, exporter ``pmo-pdf``): the same markup with SVG charts (they stay vector),
  laid out by WeasyPrint with paged-media CSS: page size/orientation from the report meta, running header,
  "Page X of Y", bookmarks from the report title and sections. The stylesheets are parsed once per process
  and re-used (the executive pack in :mod:`pmo_nb.publish.pack` relies on that).

The page metadata comes from the report-meta output (mimetype ``application/vnd.pmo-nb.report+json``) that
every report notebook displays in its first code cell; :func:`meta_from_notebook` reads it into a
:class:`ReportMeta`. :func:`run_stamp` is the one place that makes the generation time and run id; it honours
``SOURCE_DATE_EPOCH`` so that two runs over the same data produce byte-identical files.

Every failure is raised as :class:`~pmo_nb.exceptions.RenderError` naming the notebook and the cause.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import json
import os
import re
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal, NamedTuple

from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Unicode, default
from traitlets.config import Config as TraitletsConfig

from pmo_nb.exceptions import ConfigError, RenderError
from pmo_nb.paths import COMPONENT_CSS, TEMPLATES_DIR

__all__ = [
    "REPORT_META_MIMETYPE",
    "VEGALITE_MIMETYPE",
    "PAGE_SIZES",
    "ReportMeta",
    "RunStamp",
    "run_stamp",
    "VOLATILE_FIELDS",
    "volatile_strings",
    "meta_from_notebook",
    "notebook_label",
    "render_html",
    "render_pdf",
    "external_refs",
    "PmoHTMLExporter",
    "PmoPDFExporter",
]

REPORT_META_MIMETYPE = "application/vnd.pmo-nb.report+json"
VEGALITE_MIMETYPE = "application/vnd.vegalite.v6+json"
TEMPLATE_NAME = "pmo"
TEMPLATE_STATIC = TEMPLATES_DIR / TEMPLATE_NAME / "static"

#: Page sizes WeasyPrint understands by name and that a report may ask for.
PAGE_SIZES = ("A3", "A4", "A5", "letter", "legal")
ORIENTATIONS = ("landscape", "portrait")
KINDS = ("program", "portfolio")
RAGS = ("red", "amber", "green")

Target = Literal["html", "pdf"]


# --------------------------------------------------------------------------------------------------
# Run stamp and report meta
# --------------------------------------------------------------------------------------------------


class RunStamp(NamedTuple):
    """When a run happened (``generated_at``, ISO 8601 UTC) and its id (``run_id``)."""

    generated_at: str
    run_id: str


#: The only fields in which two runs over the same data may differ, all made by :func:`run_stamp`: the
#: generation time (footer, running header, PDF metadata) and the run id. Every other byte of the HTML, the
#: PDFs (reports and executive pack) and kpis.csv is a function of the data, the config and the period only:
#: not of the row order of the source, ``--jobs``, kernel reuse, the machine's clock or temporary paths
#: (tests/test_determinism.py). ``manifest.json`` is a run record and is not covered (timings, pids, command).
VOLATILE_FIELDS = ("generated_at", "run_id")


def volatile_strings(generated_at: str, run_id: str) -> list[str]:
    """Every text form in which the :data:`VOLATILE_FIELDS` of one run appear in its outputs, longest first.

    ``generated_at`` shows as itself (ISO 8601) and as :func:`generated_label` ("03 Nov 2026 07:30 UTC").
    """
    forms = {generated_at, generated_label(generated_at), run_id} - {""}
    return sorted(forms, key=len, reverse=True)


def run_stamp() -> RunStamp:
    """Make the generation time and run id for one batch run.

    With ``SOURCE_DATE_EPOCH`` set (seconds since 1970, the reproducible-builds convention) both are derived
    from it, so two runs are byte-identical; otherwise the current UTC time is used and the run id gets a
    short random suffix so that two runs in the same second differ.

    Returns
    -------
    RunStamp
        ``generated_at`` like ``"2026-11-03T07:30:00Z"``, ``run_id`` like ``"20261103T073000Z"`` (plus
        ``"-1a2b3c"`` when not reproducible).

    Raises
    ------
    ConfigError
        ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            moment = datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970-01-01; "
                "set it to an integer such as 1793520000 or unset it.",
                key="SOURCE_DATE_EPOCH",
            ) from None
        suffix = ""
    else:
        moment = datetime.now(tz=UTC).replace(microsecond=0)
        suffix = "-" + secrets.token_hex(3)
    return RunStamp(
        generated_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        run_id=moment.strftime("%Y%m%dT%H%M%SZ") + suffix,
    )


@dataclass(frozen=True)
class ReportMeta:
    """What the templates need to know about one report, from its report-meta output plus the run fields."""

    kind: Literal["program", "portfolio"]
    title: str
    organisation: str
    period: str
    period_label: str
    program_id: str | None = None
    rag: Literal["red", "amber", "green"] | None = None
    rag_reason: str = ""
    source_fingerprint: str = ""
    currency: str = ""
    page_size: str = "A4"
    orientation: Literal["landscape", "portrait"] = "landscape"
    generated_at: str = ""
    run_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (what the template receives), plus ``generated_label``."""
        data = dataclasses.asdict(self)
        data["generated_label"] = generated_label(self.generated_at)
        return data


def generated_label(generated_at: str) -> str:
    """``"2026-11-03T07:30:00Z"`` -> ``"03 Nov 2026 07:30 UTC"``; any other text is returned unchanged."""
    try:
        moment = datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return generated_at
    return moment.strftime("%d %b %Y %H:%M UTC")


def notebook_label(nb: NotebookNode, path: str | os.PathLike[str] | None = None) -> str:
    """How error messages name a notebook: the given path, else papermill's recorded path, else a title."""
    if path is not None:
        return str(path)
    papermill = nb.get("metadata", {}).get("papermill", {}) or {}
    for key in ("output_path", "input_path"):
        if papermill.get(key):
            return str(papermill[key])
    return "<notebook without a path>"


def _find_meta_output(nb: NotebookNode) -> Any:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data and REPORT_META_MIMETYPE in data:
                return data[REPORT_META_MIMETYPE]
    return None


def meta_from_notebook(
    nb: NotebookNode,
    *,
    generated_at: str | None = None,
    run_id: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> ReportMeta:
    """Read the report-meta output of an executed report notebook.

    Parameters
    ----------
    nb:
        The executed notebook.
    generated_at, run_id:
        Run fields; when ``generated_at`` is None, :func:`run_stamp` supplies both.
    path:
        The notebook's file, for error messages.

    Raises
    ------
    RenderError
        There is no report-meta output, or a field is missing or has a value outside the contract.
    """
    where = notebook_label(nb, path)
    raw = _find_meta_output(nb)
    if raw is None:
        raise RenderError(
            f"{where}: no report-meta output ({REPORT_META_MIMETYPE}). Execute the notebook first; its first "
            "code cell must call pmo_nb.reporting.display.report_meta(...).",
            path=where,
        )
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise RenderError(f"{where}: the report-meta output is not valid JSON ({exc}).", path=where) from None
    if not isinstance(raw, Mapping):
        raise RenderError(
            f"{where}: the report-meta output must be a JSON object, got {type(raw).__name__}.", path=where
        )

    def text(key: str, *, required: bool = False, default_value: str = "") -> str:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise RenderError(
                    f"{where}: the report-meta output has no {key!r}; pass {key}=... to "
                    "pmo_nb.reporting.display.report_meta().",
                    path=where,
                )
            return default_value
        return str(value)

    def choice(key: str, allowed: tuple[str, ...], default_value: str | None) -> str | None:
        value = raw.get(key, default_value)
        if value is None or value == "":
            return default_value
        if str(value) not in allowed:
            # page sizes are matched case-insensitively ("letter" / "Letter")
            lowered = {a.lower(): a for a in allowed}
            if str(value).lower() in lowered:
                return lowered[str(value).lower()]
            raise RenderError(
                f"{where}: report-meta {key}={value!r} is not one of {', '.join(allowed)}.", path=where
            )
        return str(value)

    if generated_at is None:
        stamp = run_stamp()
        generated_at = stamp.generated_at
        run_id = stamp.run_id if run_id is None else run_id
    program_id = raw.get("program_id")
    return ReportMeta(
        kind=choice("kind", KINDS, None) or _missing(where, "kind"),  # type: ignore[arg-type]
        title=text("title", required=True),
        organisation=text("organisation", required=True),
        period=text("period", required=True),
        period_label=text("period_label", default_value=text("period")),
        program_id=None if program_id is None else str(program_id),
        rag=choice("rag", RAGS, None),  # type: ignore[arg-type]
        rag_reason=text("rag_reason"),
        source_fingerprint=text("source_fingerprint"),
        currency=text("currency"),
        page_size=choice("page_size", PAGE_SIZES, "A4") or "A4",
        orientation=choice("orientation", ORIENTATIONS, "landscape"),  # type: ignore[arg-type]
        generated_at=generated_at,
        run_id=run_id or "",
    )


def _missing(where: str, key: str) -> str:
    raise RenderError(
        f"{where}: the report-meta output has no {key!r}; pass {key}=... to pmo_nb.reporting.display.report_meta().",
        path=where,
    )


# --------------------------------------------------------------------------------------------------
# Inlined resources
# --------------------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(
            f"cannot read the template file {path} ({exc.strerror}); reinstall pmo-nb or restore templates/.",
            path=str(path),
        ) from None


def _component_css() -> str:
    # pmo_nb/reporting/static/pmo.css styles the package's HTML fragments; without it they still read, unstyled.
    return _read(COMPONENT_CSS) if COMPONENT_CSS.is_file() else ""


@functools.lru_cache(maxsize=1)
def html_css() -> str:
    """The stylesheet inlined into every HTML report: component CSS, then the report layout."""
    return _component_css() + "\n" + _read(TEMPLATE_STATIC / "report.css")


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed (with tooltips) as one script, from vl-convert-python (no download)."""
    import vl_convert

    bundle = vl_convert.javascript_bundle()
    # A literal "</script" inside the bundle would end the inline <script> element early.
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)


def _weasyprint() -> Any:
    """Import WeasyPrint, silencing only its import-time notice that the optional system library
    HarfBuzz-Subset is missing (bare Debian images lack libharfbuzz-subset0; fonts are then subset with
    fontTools and are still embedded). Any other warning still surfaces."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint
    return weasyprint


@functools.lru_cache(maxsize=1)
def pdf_stylesheets() -> tuple[Any, ...]:
    """The WeasyPrint stylesheets for every PDF, parsed once per process (a 200-report pack re-uses them)."""
    weasyprint = _weasyprint()
    texts = [_component_css(), _read(TEMPLATE_STATIC / "report.css"), _read(TEMPLATE_STATIC / "pdf.css")]
    return tuple(weasyprint.CSS(string=t, base_url=str(TEMPLATE_STATIC)) for t in texts if t.strip())


def normalise_page_size(page_size: str) -> str | None:
    """``"a4"`` -> ``"A4"``, ``"Letter"`` -> ``"letter"``; None when WeasyPrint would not know the name."""
    by_lower = {size.lower(): size for size in PAGE_SIZES}
    return by_lower.get(str(page_size).strip().lower())


def page_css(page_size: str, orientation: str) -> str:
    """The one @page rule that varies between documents."""
    page_size = normalise_page_size(page_size) or page_size
    if page_size not in PAGE_SIZES or orientation not in ORIENTATIONS:
        raise RenderError(
            f"page size {page_size!r} / orientation {orientation!r} not supported; use one of "
            f"{', '.join(PAGE_SIZES)} and landscape or portrait."
        )
    return f"@page {{ size: {page_size} {orientation}; }}"


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


class ReportPreprocessor(Preprocessor):
    """Render markdown cells, give each ``## `` heading a stable id, collect the table of contents, and note
    whether the page has a chart (so the Vega bundle is inlined only when needed).

    Runs after nbconvert's TagRemovePreprocessor, so removed cells neither show nor appear in the contents.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        pmo = resources["pmo"]
        prefix = pmo["id_prefix"]
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
                cell.metadata["pmo_html"] = _H2.sub(number_heading, renderer.render(cell.source))
                # keep a markdown cell (a section heading, an intro line) on the same page as the output that
                # follows it: the template wraps both in <div class="pmo-keep">
                following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
                if following is not None and following.cell_type == "code" and following.get("outputs"):
                    cell.metadata["pmo_keep_open"] = True
                    following.metadata["pmo_keep_close"] = True
            elif cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    if VEGALITE_MIMETYPE in output.get("data", {}):
                        has_chart = True
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

    def default_filters(self):  # type: ignore[no-untyped-def]
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
    output_mimetype = "application/pdf"
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
        pdf = write_pdf(markup, page_css(meta.page_size, meta.orientation), where=where)
        resources["output_extension"] = ".pdf"
        return pdf, resources


def write_pdf(markup: str, extra_css: str, *, where: str) -> bytes:
    """Lay out ``markup`` with the shared PDF stylesheets plus ``extra_css``; return the PDF bytes."""
    weasyprint = _weasyprint()

    try:
        document = weasyprint.HTML(string=markup, base_url=str(TEMPLATE_STATIC))
        return document.write_pdf(
            stylesheets=[*pdf_stylesheets(), weasyprint.CSS(string=extra_css)],
            pdf_identifier=b"pmo-nb",
        )
    except RenderError:
        raise
    except Exception as exc:  # WeasyPrint raises many types; the caller needs one, with the notebook named
        raise RenderError(
            f"{where}: WeasyPrint could not lay out the PDF ({type(exc).__name__}: {exc}).", path=where
        ) from exc


@functools.lru_cache(maxsize=2)
def _exporter(target: Target) -> PmoHTMLExporter:
    return PmoPDFExporter() if target == "pdf" else PmoHTMLExporter()


def _render(
    nb: NotebookNode, target: Target, generated_at: str | None, path: Any, id_prefix: str = ""
) -> tuple[str, ReportMeta]:
    where = notebook_label(nb, path)
    resources = {"pmo_generated_at": generated_at, "pmo_path": where, "pmo_id_prefix": id_prefix}
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
    return markup, resources["pmo_meta"]


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
    return write_pdf(markup, page_css(meta.page_size, meta.orientation), where=notebook_label(nb, path))


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


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_REFS = re.compile(
    r"""@import\s+(?:url\(\s*)?['"]?([^'"\)\s;]+)|url\(\s*['"]?([^'"\)]+?)['"]?\s*\)""", re.IGNORECASE
)
# Attributes that make a browser fetch something by themselves (a plain <a href> is only a link).
_FETCH_ATTRS = {"src", "srcset", "data", "poster", "background", "xlink:href", "action", "formaction"}


def _css_refs(css: str) -> list[str]:
    found = []
    for match in _CSS_REFS.finditer(css):
        ref = (match.group(1) or match.group(2) or "").strip()
        if _REMOTE.match(ref):
            found.append(ref)
    return found


class _RefFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self.refs.extend(_css_refs(value))
            elif name == "srcset":
                self.refs.extend(p.split()[0] for p in value.split(",") if p.strip() and _REMOTE.match(p))
            elif name in _FETCH_ATTRS and _REMOTE.match(value):
                self.refs.append(value)
            elif name == "href" and tag in ("link", "image", "use", "script") and _REMOTE.match(value):
                self.refs.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.extend(_css_refs(data))


def external_refs(markup: str) -> list[str]:
    """Every network resource an HTML page would load by itself.

    Looks at ``src``/``srcset``/``data``/``poster`` and similar attributes, ``<link href>`` (stylesheets,
    fonts, preloads), SVG ``<image>``/``<use>`` hrefs, and ``@import`` / ``url(...)`` in ``<style>`` blocks and
    ``style`` attributes; counts ``http:``, ``https:`` and protocol-relative ``//`` references. Plain links
    (``<a href>``) and text inside scripts are not resource references. Base64 ``data:`` SVG images are
    decoded and checked too.

    Returns
    -------
    list[str]
        The offending references in document order; empty for a self-contained page.
    """
    finder = _RefFinder()
    finder.feed(markup)
    finder.close()
    refs = list(finder.refs)
    for encoded in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", markup):
        svg = base64.b64decode(encoded).decode("utf-8", errors="replace")
        refs.extend(external_refs(svg))
    return refs
