"""The month's navigation: its ``index.html``, and an overview that links only to reports the month has.

The workers render the overview's HTML while the program reports are still running, with links to every
program of the month (:func:`pmo_nb.run.rendering.links_for`). When a program report then fails (or, in a
``--programs`` run, was never published), :func:`relink_overview` renders the overview's HTML again from its
executed notebook with links to the reports that exist, so no link of the month leads nowhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmo_nb.exceptions import PmoError
from pmo_nb.run.jobs import ReportResult
from pmo_nb.run.manifest import first_line, sha256_file
from pmo_nb.run.packing import Listing, omitted_rows
from pmo_nb.run.staging import Staging, write_bytes

__all__ = ["write_index", "relink_overview"]

log = logging.getLogger(__name__)


@dataclass
class _Listed:
    """One report as the index lists it (``pmo_nb.publish.navigation.Listed``)."""

    kind: str
    id: str | None
    title: str
    rag: str | None


def write_index(staging: Staging, listing: Listing, *, organisation: str, period: str, generated_at: str,
                formats: Sequence[str], pack: str | None) -> str:
    """Write ``index.html`` (every report with its RAG, worst first, and the programs without one) into the
    staging folder; returns its file name."""
    from pmo_nb.publish import navigation

    entries = [_Listed(e["kind"], e["id"], e["title"], e["rag"]) for e in listing.entries]
    text = navigation.month_index(entries, organisation=organisation, period=period, generated_at=generated_at,
                                  formats_written=tuple(formats), pack=pack, omitted=omitted_rows(listing))
    write_bytes(staging.path(navigation.INDEX_NAME), text.encode("utf-8"))
    return navigation.INDEX_NAME


def relink_overview(staging: Staging, results: Sequence[ReportResult], generated_at: str | None,
                    linked: Iterable[str]) -> bool:
    """Render the overview's HTML again when it links to a program report the month lacks; True if it did.

    ``linked`` are the links the overview was rendered with (:func:`pmo_nb.publish.navigation.month_links`; its
    program ids are what count). A re-render that fails leaves the first rendering in place (its links to the
    missing reports included) and says so in the log.
    """
    import nbformat

    from pmo_nb.publish import navigation
    from pmo_nb.run import rendering

    have = [r.name for r in results if r.kind == "program" and r.ok and "html" in r.outputs]
    overview = next((r for r in results if r.kind == "portfolio" and r.ok and "html" in r.outputs
                     and r.carried_from is None and r.notebook), None)
    if overview is None or set(linked) - set(navigation.NAV_KEYS) <= set(have):
        return False
    nb_path = staging.path(overview.notebook or "")
    out = staging.path(overview.outputs["html"]["path"])
    try:
        data = rendering.render(nbformat.read(nb_path, as_version=4), "html", generated_at, str(nb_path),
                                navigation.month_links(have))
    except (PmoError, OSError, ValueError) as exc:
        log.warning("the overview still links to reports that failed: %s", first_line(exc))
        return False
    write_bytes(out, data)
    overview.outputs["html"]["sha256"] = sha256_file(out)
    return True
