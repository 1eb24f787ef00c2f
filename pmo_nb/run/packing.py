"""The run's executive pack step: the pack PDF built from the executed notebooks of the reports that succeeded."""

from __future__ import annotations

import time
from typing import Any, cast

from pmo_nb.config import Config
from pmo_nb.exceptions import DiskFullError, PmoError, RenderError, ReportError
from pmo_nb.run.jobs import ReportResult
from pmo_nb.run.manifest import first_line, sha256_file
from pmo_nb.run.staging import Staging, write_bytes

__all__ = ["make_pack", "build_pack", "pack_entry"]


def build_pack(entries: list[dict[str, Any]], omitted: list[dict[str, Any]], *, config: Config, period: str,
               generated_at: str) -> bytes:
    """The executive pack PDF via pmo_nb.publish.pack (entries: notebook, kind, id, title, rag, path)."""
    from pmo_nb.publish.pack import Omitted, PackEntry
    from pmo_nb.publish.pack import build_pack as publish_pack

    return publish_pack(
        [PackEntry(**e) for e in entries], organisation=config.organisation, period=period,
        omitted=[Omitted(o["id"], o["name"], o["reason"]) for o in omitted], generated_at=generated_at,
        page_size=config.report.page_size, orientation=cast(Any, config.report.orientation),
    )


def pack_entry(nb: Any, res: ReportResult, path: str, generated_at: str) -> dict[str, Any]:
    """The pack entry of an executed report, from the report metadata its kernel emitted (title, program, RAG).

    Raises ``RenderError`` when the notebook has no valid report-meta output
    (``pmo_nb.contract.REPORT_META_MIMETYPE``).
    """
    from pmo_nb.publish.exporters import meta_from_notebook

    meta = meta_from_notebook(nb, generated_at=generated_at, run_id="", path=path)
    return {"notebook": nb, "kind": res.kind, "id": None if res.kind == "portfolio" else (meta.program_id or res.name),
            "title": meta.title, "rag": meta.rag, "path": path}


def make_pack(staging: Staging, results: list[ReportResult], programs: Any, cfg: Config, period: str,
              generated_at: str) -> tuple[dict[str, Any], ReportError | None]:
    """Build ``executive-pack-<period>.pdf``; returns (the manifest's pack entry, the error or None).

    Each report's title and RAG come from its executed notebook's report metadata; ``programs`` (the month's
    program table) only names the reports that failed. A pack that fails to build is reported and the month
    still published; one that cannot be written (``DiskFullError``) stops the run.
    """
    import nbformat

    names = {str(r.program_id): str(r.name) for r in programs.itertuples(index=False)} if programs is not None else {}
    entries: list[dict[str, Any]] = []
    omitted: list[dict[str, Any]] = []
    for res in results:
        title = names.get(res.name, res.name) if res.kind == "program" else "Portfolio overview"
        if not res.ok:
            reason = f"report failed: {res.error}" if res.error else "report failed"
            omitted.append({"id": res.name, "name": title, "reason": reason})
            continue
        nb_path = staging.path(res.notebook or "")
        try:
            entries.append(pack_entry(nbformat.read(nb_path, as_version=4), res, str(nb_path), generated_at))
        except RenderError as exc:
            omitted.append({"id": res.name, "name": title, "reason": f"no report metadata: {first_line(exc)}"})
    name = f"executive-pack-{period}.pdf"
    info_out: dict[str, Any] = {"path": name, "status": "failed", "omitted": omitted, "sha256": None}
    t0 = time.perf_counter()
    try:
        data = build_pack(entries, omitted, config=cfg, period=period, generated_at=generated_at)
        path = staging.path(name)
        write_bytes(path, data)
    except DiskFullError:
        raise
    except PmoError as exc:
        err = ReportError(ename=type(exc).__name__, evalue=first_line(exc), program="executive pack",
                          notebook=None)
        info_out["error"] = err.as_dict()
        return info_out, err
    info_out.update(status="ok", sha256=sha256_file(path), duration=round(time.perf_counter() - t0, 3))
    return info_out, None
