"""The run's executive pack step: the pack PDF built from the executed notebooks of the reports that succeeded."""

from __future__ import annotations

import time
from typing import Any, cast

from pmo_nb.config import Config
from pmo_nb.exceptions import DiskFullError, PmoError, ReportError
from pmo_nb.run.jobs import ReportResult
from pmo_nb.run.manifest import first_line, sha256_file
from pmo_nb.run.staging import Staging, write_bytes

__all__ = ["make_pack", "build_pack"]


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


def make_pack(staging: Staging, results: list[ReportResult], programs: Any, cfg: Config, period: str,
              generated_at: str) -> tuple[dict[str, Any], ReportError | None]:
    """Build ``executive-pack-<period>.pdf``; returns (the manifest's pack entry, the error or None).

    A pack that fails to build is reported and the month still published; one that cannot be written
    (``DiskFullError``) stops the run.
    """
    import nbformat

    names = {str(r.program_id): r for r in programs.itertuples(index=False)} if programs is not None else {}
    entries: list[dict[str, Any]] = []
    omitted: list[dict[str, Any]] = []
    for res in results:
        info = names.get(res.name)
        title = str(getattr(info, "name", res.name)) if res.kind == "program" else "Portfolio overview"
        if not res.ok:
            reason = f"report failed: {res.error}" if res.error else "report failed"
            omitted.append({"id": res.name, "name": title, "reason": reason})
            continue
        nb_path = staging.path(res.notebook or "")
        nb = nbformat.read(nb_path, as_version=4)
        rag = getattr(info, "rag", None) if info is not None else None
        entries.append({"notebook": nb, "kind": res.kind, "id": None if res.kind == "portfolio" else res.name,
                        "title": title, "rag": rag if isinstance(rag, str) and rag else None,
                        "path": str(nb_path)})
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
