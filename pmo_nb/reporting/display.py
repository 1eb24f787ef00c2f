"""The ``pmo`` Altair renderer and the report-metadata output.

Each chart a report notebook displays becomes ONE ``display_data`` output carrying:

``application/vnd.vegalite.v6+json``
    The full Vega-Lite spec with its data inlined (no URLs). The HTML template draws the
    interactive chart from it with vega-embed (bundle from ``vl_convert.javascript_bundle()``).
``image/svg+xml``
    A static SVG rendered in-process by vl-convert (no browser, no network: ``allowed_base_urls``
    is empty). Text stays text with the font referenced by family name. The PDF template uses it
    and the HTML template keeps it as the no-JavaScript fallback.
``application/vnd.vegalite.v5+json`` (when the spec is compatible, see below)
    The same spec, declared as Vega-Lite 5, for JupyterLab.
``text/plain``
    ``"Chart: <title>"``.

Why the extra v5 mimetype, and not ``text/html``
-----------------------------------------------
JupyterLab 4 draws Vega-Lite through its bundled ``@jupyterlab/vega5-extension``. Its source
(``packages/vega5-extension/src/index.ts``, JupyterLab 4.4) registers the renderer for exactly
``application/vnd.vega.v5+json`` and ``application/vnd.vegalite.v3/v4/v5+json`` and depends on
``vega-lite ^5``: it has no renderer for ``application/vnd.vegalite.v6+json``, so a v6-only bundle
would show as a static SVG. Its renderer has rank 57, ahead of the SVG renderer (80) and behind
``text/html`` (50), so when a v5 spec is present JupyterLab picks it and draws an interactive chart
with the vega-embed it already ships: no network request, no script in the output. A ``text/html``
output would instead need the ~1 MB vega bundle inlined in every chart output (or a CDN), and would
win over everything else in every frontend. The charts of ``pmo_nb.reporting.charts`` use nothing that is new
in Vega-Lite 6, so the renderer re-labels the spec's ``$schema`` as v5 and checks that it compiles
with vl-convert's bundled Vega-Lite 5; if it does not, the v5 entry is left out (JupyterLab then
shows the SVG) rather than risk a broken chart.

The v5 copy serves JupyterLab only: no template reads it. In a batch run (``pmo-nb run`` sets the
environment variable ``PMO_NB_BATCH=1`` for its kernels) it is left out, and so is its compile check,
which saves one Vega-Lite compilation per chart; interactive sessions keep it.

Schema validation
-----------------
Altair checks a chart against the Vega-Lite JSON schema when it is built (``DEBUG_MODE``) and again when it is
turned into a spec: about a fifth of a report's execution, for the same specs month after month. A batch run
skips both (:func:`validating`): the spec is the same dict either way, and tests/test_chart_schema.py validates
every chart the sample reports display against the schema instead. Interactive sessions keep Altair's checks
and their error messages.

Charts built by pmo-nb
----------------------
The chart builders of ``pmo_nb.reporting.charts`` return charts whose ``_repr_mimebundle_`` calls
:func:`chart_bundle`: the same bundle, with the ``pmo`` theme (unless another non-default theme is active) and
inline data, whatever Altair renderer is active. ``from pmo_nb.reporting import charts; charts.s_curve(...)``
therefore draws offline in JupyterLab without :func:`enable`: Altair's default renderer would load Vega from a CDN.

Report metadata
---------------
``report_meta(...)`` displays ``application/vnd.pmo-nb.report+json`` (with an empty ``text/plain``)
in the report's first code cell; the templates read it for the header, footer and page set-up.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import altair as alt
import vl_convert as vlc

from pmo_nb.contract import (
    BATCH_ENV,
    ORIENTATIONS,
    PAGE_SIZES,
    RAG_STATUSES,
    REPORT_META_MIMETYPE,
    SVG_MIMETYPE,
    VEGALITE_MIMETYPE,
    VEGALITE_V5_MIMETYPE,
)
from pmo_nb.exceptions import PeriodError, RenderError
from pmo_nb.periods import Period
from pmo_nb.reporting.charts.theme import THEME_NAME, register_theme

RENDERER_NAME = "pmo"
VEGALITE_V6_MIMETYPE = VEGALITE_MIMETYPE
REPORT_MIMETYPE = REPORT_META_MIMETYPE
V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

_SCHEMA_VERSION_RE = re.compile(r"/v(\d+)\.(\d+)(?:\.\d+)?\.json$")


# --------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def url_references(spec: dict[str, Any]) -> list[str]:
    """JSON paths of every ``url`` key in a spec (data loaded from a file or the network)."""
    return [f"{path}/{key}" for path, key, _ in _walk(spec) if key == "url"]


def chart_title(spec: dict[str, Any]) -> str:
    """The chart's title text ("" when it has none), joined when it spans several lines."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else ""


def _vl_version(spec: dict[str, Any]) -> str | None:
    """The vl-convert Vega-Lite version matching the spec's ``$schema`` (None: vl-convert's default)."""
    match = _SCHEMA_VERSION_RE.search(str(spec.get("$schema", "")))
    if not match:
        return None
    wanted = (int(match.group(1)), int(match.group(2)))
    available = []
    for v in vlc.get_vegalite_versions():
        major, minor = (int(p) for p in v.split(".")[:2])
        if major == wanted[0] and minor <= wanted[1]:
            available.append((minor, v))
    return max(available)[1] if available else None


def _v5_version() -> str | None:
    fives = [v for v in vlc.get_vegalite_versions() if v.startswith("5.")]
    return max(fives, key=lambda v: tuple(int(p) for p in v.split("."))) if fives else None


def as_v5(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The spec re-declared as Vega-Lite 5 if vl-convert's Vega-Lite 5 compiles it, else None."""
    version = _v5_version()
    if version is None:
        return None
    v5 = dict(spec)
    v5["$schema"] = V5_SCHEMA
    try:
        vlc.vegalite_to_vega(v5, vl_version=version)
    except Exception:  # vl-convert raises ValueError for specs Vega-Lite 5 cannot compile
        return None
    return v5


def to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG with vl-convert, loading nothing from outside the spec.

    Raises
    ------
    RenderError
        The spec loads data from a URL, or vl-convert cannot render it.
    """
    urls = url_references(spec)
    if urls:
        raise RenderError(
            f"chart {chart_title(spec)!r} loads data from a URL ({', '.join(urls)}); report charts must "
            "carry their data inline: build them from a DataFrame and keep Altair's default data "
            "transformer (pmo_nb.reporting.display.enable() sets it)."
        )
    try:
        return vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec), allowed_base_urls=[])
    except Exception as exc:  # vl-convert reports compile and render errors as ValueError
        raise RenderError(
            f"chart {chart_title(spec)!r} could not be rendered to SVG by vl-convert: {exc}. "
            "Check the chart spec (chart.to_dict()) against the Vega-Lite schema."
        ) from exc


def batch_mode() -> bool:
    """True in a kernel of ``pmo-nb run`` (``PMO_NB_BATCH`` set to anything but "", "0", "false", "no")."""
    return os.environ.get(BATCH_ENV, "").strip().lower() not in ("", "0", "false", "no")


def validating() -> bool:
    """Whether charts are checked against the Vega-Lite schema as they are built and displayed: not in a batch
    run (:func:`batch_mode`; see "Schema validation" in the module docstring)."""
    return not batch_mode()


def mimebundle(spec: dict[str, Any], *, jupyterlab: bool | None = None) -> dict[str, Any]:
    """The display-contract bundle for one chart spec (see the module docstring).

    ``jupyterlab`` adds the Vega-Lite 5 copy; None means "unless in a batch run" (:func:`batch_mode`).
    """
    svg = to_svg(spec)
    bundle: dict[str, Any] = {VEGALITE_V6_MIMETYPE: spec}
    if jupyterlab is None:
        jupyterlab = not batch_mode()
    v5 = as_v5(spec) if jupyterlab else None
    if v5 is not None:
        bundle[VEGALITE_V5_MIMETYPE] = v5
    bundle[SVG_MIMETYPE] = svg
    title = chart_title(spec)
    bundle["text/plain"] = f"Chart: {title}" if title else "Chart"
    return bundle


def render(spec: dict[str, Any], **metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Altair renderer function registered as ``"pmo"``: returns (bundle, metadata)."""
    bundle = mimebundle(spec)
    meta: dict[str, Any] = {}
    if VEGALITE_V5_MIMETYPE in bundle:
        meta[VEGALITE_V5_MIMETYPE] = {"embed_options": {"actions": False, **metadata.get("embed_options", {})}}
    return bundle, meta


def chart_bundle(chart: alt.TopLevelMixin) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a chart built by pmo-nb displays as: :func:`render` of its spec, whatever renderer is active.

    The spec is taken with the ``pmo`` theme (a non-default theme the user enabled wins) and Altair's default data
    transformer without a row limit, so its data is inline; nothing is loaded from the network to show it.

    Raises
    ------
    RenderError
        The chart cannot be rendered (see :func:`to_svg`).
    """
    register_theme(enable=False)
    active = alt.theme.active
    theme = THEME_NAME if active in (None, "default") else active
    with alt.theme.enable(theme), alt.data_transformers.enable("default", max_rows=None):
        spec = chart.to_dict(validate=validating(), context={"pre_transform": False})
    return render(spec)


def enable() -> None:
    """Make report notebooks display charts per the display contract (``pmo_nb.reporting.setup()`` calls it).

    Registers and enables the ``pmo`` renderer and theme and Altair's default data transformer without a row
    limit, so data is always inlined (never written to a file and referenced by URL). In a batch run Altair's
    validation at build time is switched off (:func:`validating`). Idempotent.
    """
    if not validating():
        alt.utils.schemapi.disable_debug_mode()
    register_theme(enable=True)
    alt.renderers.register(RENDERER_NAME, render)
    alt.renderers.enable(RENDERER_NAME)
    alt.data_transformers.enable("default", max_rows=None)


# --------------------------------------------------------------------------------------------
# report metadata
# --------------------------------------------------------------------------------------------

REPORT_FIELDS = (
    "kind",
    "title",
    "program_id",
    "organisation",
    "period",
    "period_label",
    "rag",
    "rag_reason",
    "source_fingerprint",
    "currency",
    "page_size",
    "orientation",
    "branding",
)
_CHOICES: dict[str, tuple[Any, ...]] = {
    "kind": ("program", "portfolio"),
    "rag": (*RAG_STATUSES, None),
    "page_size": PAGE_SIZES,
    "orientation": ORIENTATIONS,
}
_HEX_RE = re.compile(r"^[0-9a-f]*$")


def _meta_error(field: str, value: Any, rule: str) -> RenderError:
    return RenderError(f"report_meta: field {field!r} has value {value!r}: {rule}")


def report_meta_dict(
    *,
    kind: str,
    title: str,
    period: str,
    program_id: str | None = None,
    organisation: str = "",
    period_label: str | None = None,
    rag: str | None = None,
    rag_reason: str = "",
    source_fingerprint: str = "",
    currency: str = "EUR",
    page_size: str = "A4",
    orientation: str = "landscape",
    branding: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The validated report-metadata dictionary (keys as in the display contract).

    Raises
    ------
    RenderError
        A field has a value outside the contract; the message names the field, value and rule.
    """
    if rag is not None:
        rag = str(rag).strip().lower() or None
    try:
        period = Period.parse(period) if isinstance(period, str) and period == period.strip() else Period(None)
    except PeriodError:
        raise _meta_error("period", period, "must be a month written YYYY-MM, e.g. '2026-10'") from None
    if not isinstance(title, str) or not title.strip():
        raise _meta_error("title", title, "must be non-empty text (the program or portfolio name)")
    if kind == "program" and not program_id:
        raise _meta_error("program_id", program_id, "is required when kind is 'program'")
    fingerprint = str(source_fingerprint or "").lower()
    if not _HEX_RE.match(fingerprint):
        raise _meta_error("source_fingerprint", source_fingerprint, "must be hexadecimal text")
    meta: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "program_id": None if program_id is None else str(program_id),
        "organisation": str(organisation or ""),
        "period": str(period),
        "period_label": period_label if period_label else period.label,
        "rag": rag,
        "rag_reason": str(rag_reason or ""),
        "source_fingerprint": fingerprint,
        "currency": str(currency or ""),
        "page_size": page_size,
        "orientation": orientation,
        # [branding] of pmo.toml (BrandingConfig.as_meta), checked again by pmo_nb.publish.branding
        "branding": {str(k): str(v) for k, v in (branding or {}).items()},
    }
    for field, allowed in _CHOICES.items():
        if meta[field] not in allowed:
            raise _meta_error(field, meta[field], f"must be one of {[a for a in allowed]}")
    json.dumps(meta)  # every value is plain JSON by construction; fail here rather than in the template
    return meta


def report_meta_bundle(**fields: Any) -> dict[str, Any]:
    """The report-metadata display bundle: ``{REPORT_MIMETYPE: meta, "text/plain": ""}``."""
    unknown = sorted(set(fields) - set(REPORT_FIELDS))
    if unknown:
        raise RenderError(f"report_meta: unknown field(s) {unknown}; the fields are {list(REPORT_FIELDS)}")
    try:
        meta = report_meta_dict(**fields)
    except TypeError as exc:  # a required field missing
        raise RenderError(f"report_meta: {exc}; 'kind', 'title' and 'period' are required") from exc
    return {REPORT_MIMETYPE: meta, "text/plain": ""}


def report_meta(**fields: Any) -> dict[str, Any]:
    """Display the report metadata (for the templates, never shown) and return the dictionary.

    Call it in the report notebook's first code cell, e.g.
    ``report_meta(kind="program", title="ERP Modernisation", program_id="PRG-01", period="2026-10",
    organisation="Acme PMO", rag="amber", rag_reason="CPI 0.93", source_fingerprint="3fa2...")``.
    ``period_label`` defaults to the month written out ("October 2026").
    """
    from IPython.display import display

    bundle = report_meta_bundle(**fields)
    display(bundle, raw=True)
    return bundle[REPORT_MIMETYPE]
