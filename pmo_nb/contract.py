"""Names shared across stages and across the kernel boundary, defined once.

The kernel side (the report notebooks and ``pmo_nb.reporting``) and the parent side (``pmo_nb.run`` and
``pmo_nb.publish``) talk through outputs and environment variables. Their names, and the small closed
vocabularies every stage uses (RAG statuses and their order, page sizes, output formats), live here and
nowhere else. The nbconvert template reads them through the exporter's resources (``resources.pmo.contract``).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "BATCH_ENV",
    "SHARED_ENV",
    "SOURCE_ENV",
    "SMTP_PASSWORD_ENV",
    "WORKSPACE_ENV",
    "JOBS_ENV",
    "REPORT_META_MIMETYPE",
    "VEGALITE_MIMETYPE",
    "VEGALITE_V5_MIMETYPE",
    "SVG_MIMETYPE",
    "PDF_MIMETYPE",
    "HTML_MIMETYPE",
    "REPORT_META_FIELDS",
    "Rag",
    "RAG_STATUSES",
    "RAG_WORST_FIRST",
    "RAG_SEVERITY",
    "rag_severity",
    "PAGE_SIZES",
    "ORIENTATIONS",
    "Format",
    "FORMATS",
    "template_vocabulary",
]

# ---------------------------------------------------------------------------------------------- environment
BATCH_ENV: Final = "PMO_NB_BATCH"
"""Set to ``1`` in a kernel started by ``pmo-nb run``: charts leave out the JupyterLab-only Vega-Lite 5 copy."""
SHARED_ENV: Final = "PMO_NB_SHARED"
"""Path of the month computed once by the run (:mod:`pmo_nb.metrics.month`), set only in the run's kernels."""
SOURCE_ENV: Final = "PMO_NB_SOURCE"
"""The real source URL of a run's kernels when their ``source`` parameter shows it with the password masked."""
SMTP_PASSWORD_ENV: Final = "PMO_NB_SMTP_PASSWORD"
"""The default environment variable ``pmo-nb send`` reads the SMTP password from (``[email] password_env``)."""
WORKSPACE_ENV: Final = "PMO_NB_WORKSPACE"
"""The workspace folder (``pmo-nb --workspace DIR``), inherited by the run's workers and kernels."""
JOBS_ENV: Final = "PMO_NB_JOBS"
"""The default number of a local run's worker processes when ``--jobs`` is not given (else one per available CPU):
for a machine that runs other work beside the reports, or several runs at once (the test suite sets it to 1)."""

# ---------------------------------------------------------------------------------------------- mimetypes
REPORT_META_MIMETYPE: Final = "application/vnd.pmo-nb.report+json"
"""The report-metadata output a report notebook's first cell displays (title, program, RAG, ...)."""
VEGALITE_MIMETYPE: Final = "application/vnd.vegalite.v6+json"
VEGALITE_V5_MIMETYPE: Final = "application/vnd.vegalite.v5+json"
SVG_MIMETYPE: Final = "image/svg+xml"
PDF_MIMETYPE: Final = "application/pdf"
HTML_MIMETYPE: Final = "text/html"

REPORT_META_FIELDS: Final = ("kind", "title", "subtitle", "program_id", "period", "rag", "organisation")
"""Fields of the report-metadata output that the exporters and the pack read."""

# ---------------------------------------------------------------------------------------------- RAG
Rag = Literal["red", "amber", "green"]
RAG_STATUSES: Final[tuple[Rag, ...]] = ("green", "amber", "red")
"""The statuses from best to worst (the order of the data model's ``allowed`` values)."""
RAG_WORST_FIRST: Final[tuple[Rag, ...]] = ("red", "amber", "green")
"""The statuses in reading order: worst first (packs, tables, legends)."""
RAG_SEVERITY: Final[dict[str, int]] = {"green": 0, "amber": 1, "red": 2}
"""Higher is worse: ``max`` of severities is the worst status."""


def rag_severity(status: object) -> int | None:
    """Severity of a RAG status in any case (``"Red"``, ``" amber"``); None for anything else."""
    return RAG_SEVERITY.get(str(status).strip().lower()) if status is not None else None


# ---------------------------------------------------------------------------------------------- pages, formats
PAGE_SIZES: Final = ("A3", "A4", "A5", "letter", "legal")
ORIENTATIONS: Final = ("landscape", "portrait")

Format = Literal["html", "pdf"]
FORMATS: Final[tuple[Format, ...]] = ("html", "pdf")


def template_vocabulary() -> dict[str, object]:
    """The names the nbconvert template needs, handed to it in ``resources.pmo.contract``."""
    return {
        "report_meta_mimetype": REPORT_META_MIMETYPE,
        "vegalite_mimetype": VEGALITE_MIMETYPE,
        "svg_mimetype": SVG_MIMETYPE,
        "rag_worst_first": list(RAG_WORST_FIRST),
    }
