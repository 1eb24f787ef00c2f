"""The run's executive pack step: the month's report list (from the report metadata the kernels emitted) and the pack.

:func:`month_entries` reads each executed notebook once for its title, program and RAG (the notebook is not kept:
the parent's memory does not grow with the number of programs) and lists the programs without a report;
:func:`make_pack` builds ``executive-pack-<period>.pdf`` from them with the month the run already computed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from pmo_nb.config import Config
from pmo_nb.exceptions import DiskFullError, PmoError, RenderError, ReportError
from pmo_nb.run.jobs import ReportResult
from pmo_nb.run.manifest import first_line, sha256_file
from pmo_nb.run.staging import Staging, write_bytes

__all__ = ["PackMode", "PACK_MODES", "Listing", "month_entries", "omitted_rows", "pack_name", "make_pack",
           "build_pack", "pack_entry", "pages_ahead"]

PackMode = Literal["executive", "full"]
PACK_MODES: tuple[PackMode, ...] = ("executive", "full")


@dataclass
class Listing:
    """The month's reports for the pack and the index: ``entries`` (kind, id, title, rag, path) and ``omitted``
    (``{"id", "name", "reason"}`` of each program without a report in the month)."""

    entries: list[dict[str, Any]]
    omitted: list[dict[str, Any]]


def pack_name(period: str) -> str:
    """The pack's file name in the month folder."""
    return f"executive-pack-{period}.pdf"


def build_pack(entries: list[dict[str, Any]], omitted: list[dict[str, Any]], *, config: Config, period: str,
               generated_at: str, mode: PackMode = "executive", state: Any = None, ahead: Any = None) -> bytes:
    """The executive pack PDF via pmo_nb.publish.pack (entries: kind, id, title, rag, path; notebooks are read
    from ``path`` only in the full mode), with the month's computed ``state`` (a ``SharedState``) when known and
    the pages laid out ``ahead`` from it (:func:`pages_ahead`)."""
    from pmo_nb.publish.pack import Omitted, PackEntry
    from pmo_nb.publish.pack import build_pack as publish_pack

    return publish_pack(
        [PackEntry(**{"notebook": None, **e}) for e in entries], organisation=config.organisation, period=period,
        omitted=[Omitted(o["id"], o["name"], o["reason"]) for o in omitted], generated_at=generated_at,
        page_size=config.report.page_size, orientation=cast(Any, config.report.orientation), mode=mode,
        state=state, ahead=ahead,
    )


def pages_ahead(state: Any, config: Config, period: str, generated_at: str) -> Any:
    """Start laying out the executive pack's pages from the month's ``state`` while the reports run
    (:class:`pmo_nb.publish.pack.PagesAhead`, with the page setup :func:`build_pack` uses); pass it to
    :func:`make_pack`, or ``stop()`` it."""
    from pmo_nb.publish.pack import PagesAhead

    return PagesAhead(state, page_size=config.report.page_size, orientation=config.report.orientation,
                      period=period, generated_at=generated_at).start()


def pack_entry(nb: Any, res: ReportResult, path: str, generated_at: str) -> dict[str, Any]:
    """The entry of an executed report, from the report metadata its kernel emitted (title, program, RAG).

    Raises ``RenderError`` when the notebook has no valid report-meta output
    (``pmo_nb.contract.REPORT_META_MIMETYPE``).
    """
    from pmo_nb.publish.exporters import meta_from_notebook

    meta = meta_from_notebook(nb, generated_at=generated_at, run_id="", path=path)
    return {"kind": res.kind, "id": None if res.kind == "portfolio" else (meta.program_id or res.name),
            "title": meta.title, "rag": meta.rag, "path": path}


def month_entries(staging: Staging, results: Sequence[ReportResult], programs: Any, generated_at: str,
                  *, expected: Iterable[str] = ()) -> Listing:
    """The month's reports, each from its executed notebook's report metadata; the others as omitted.

    ``programs`` (the month's program table, ``program_id`` and ``name``) names the reports that failed;
    ``expected`` are program ids the month should have: those without any report (not run this time, never
    published) are listed as omitted too.
    """
    import nbformat

    names = _names(programs)
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
        except (RenderError, OSError, ValueError) as exc:
            omitted.append({"id": res.name, "name": title, "reason": f"no report metadata: {first_line(exc)}"})
    reported = {r.name for r in results}
    omitted += [{"id": pid, "name": names.get(pid, pid),
                 "reason": f"no report for this month yet: run `pmo-nb run --programs {pid}`"}
                for pid in expected if pid not in reported]
    return Listing(entries, sorted(omitted, key=lambda o: str(o["id"])))  # whatever the order of the source rows


def _names(programs: Any) -> dict[str, str]:
    if programs is None:
        return {}
    return {str(r.program_id): str(r.name) for r in programs.itertuples(index=False)}


def _in_month(listing: Listing, state: Any) -> Listing:
    """The listing with the program reports the month's figures do not know (carried over from a month whose
    data had them) moved to omitted: the executive pack draws each program's page from those figures."""
    if state is None:
        return listing
    known = {str(p) for p in state.kpis.programs["program_id"]}
    keep = [e for e in listing.entries if e["kind"] != "program" or str(e["id"]) in known]
    gone = [{"id": str(e["id"]), "name": e["title"], "reason": f"not a program of the {state.period} data"}
            for e in listing.entries if e not in keep]
    return Listing(keep, [*listing.omitted, *gone])


def make_pack(staging: Staging, listing: Listing, cfg: Config, period: str, generated_at: str, *,
              mode: PackMode = "executive", state: Any = None, ahead: Any = None
              ) -> tuple[dict[str, Any], ReportError | None]:
    """Build ``executive-pack-<period>.pdf``; returns (the manifest's pack entry, the error or None).

    ``state`` is the month the run computed (``pmo_nb.metrics.month.SharedState``): the executive pages are
    drawn from it, so the pack recomputes nothing; ``ahead``: its pages laid out during the reports
    (:func:`pages_ahead`). A pack that fails to build is reported and the month still
    published; one that cannot be written (``DiskFullError``) stops the run.
    """
    listing = _in_month(listing, state)
    name = pack_name(period)
    info_out: dict[str, Any] = {"path": name, "mode": mode, "status": "failed", "omitted": listing.omitted,
                                "sha256": None}
    t0 = time.perf_counter()
    try:
        data = build_pack(listing.entries, listing.omitted, config=cfg, period=period, generated_at=generated_at,
                          mode=mode, state=state, ahead=ahead)
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


def omitted_rows(listing: Listing) -> list[tuple[str, str, str]]:
    """``(id, name, reason)`` of each omitted program (what the index lists)."""
    return [(str(o["id"]), str(o["name"]), str(o["reason"])) for o in listing.omitted]

