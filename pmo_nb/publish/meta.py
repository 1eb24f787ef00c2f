"""The report metadata a report notebook emits (its report-meta output), read into a :class:`ReportMeta`.

Every report notebook displays one output of mimetype :data:`pmo_nb.contract.REPORT_META_MIMETYPE` in its first
code cell (kind, title, organisation, period, program, RAG, page setup); the exporters and the pack read it
here and validate it against :mod:`pmo_nb.contract`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nbformat import NotebookNode

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES, RAG_WORST_FIRST, REPORT_META_MIMETYPE
from pmo_nb.exceptions import RenderError
from pmo_nb.publish.stamp import generated_label, run_stamp

__all__ = ["KINDS", "ReportMeta", "meta_from_notebook", "notebook_label", "find_meta_output"]

KINDS = ("program", "portfolio")


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
    branding: Mapping[str, str] = dataclasses.field(default_factory=dict)  # [branding], pmo_nb.publish.branding

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (what the template receives), plus ``generated_label``."""
        data = dataclasses.asdict(self)
        data["generated_label"] = generated_label(self.generated_at)
        return data


def notebook_label(nb: NotebookNode, path: str | os.PathLike[str] | None = None) -> str:
    """How error messages name a notebook: the given path, else papermill's recorded path, else a title."""
    if path is not None:
        return str(path)
    papermill = nb.get("metadata", {}).get("papermill", {}) or {}
    for key in ("output_path", "input_path"):
        if papermill.get(key):
            return str(papermill[key])
    return "<notebook without a path>"


def find_meta_output(nb: NotebookNode) -> Any:
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
    raw = find_meta_output(nb)
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
        rag=choice("rag", RAG_WORST_FIRST, None),  # type: ignore[arg-type]
        rag_reason=text("rag_reason"),
        source_fingerprint=text("source_fingerprint"),
        currency=text("currency"),
        page_size=choice("page_size", PAGE_SIZES, "A4") or "A4",
        orientation=choice("orientation", ORIENTATIONS, "landscape"),  # type: ignore[arg-type]
        generated_at=generated_at,
        run_id=run_id or "",
        branding=dict(raw["branding"]) if isinstance(raw.get("branding"), Mapping) else {},
    )


def _missing(where: str, key: str) -> str:
    raise RenderError(
        f"{where}: the report-meta output has no {key!r}; pass {key}=... to pmo_nb.reporting.display.report_meta().",
        path=where,
    )
