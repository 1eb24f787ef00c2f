"""What a published month holds, what a partial run carries over from it, and whether a run may replace it.

A month is replaced only by a run that produced at least the reports the published month has (all of them
ok), or when asked to (``--replace``). Any other run is published next to it, as ``<period>.failed-<run id>/``.
A run of some programs (``--programs``) on a month already published carries every other report over (its
files, executed notebook and manifest entry), so the month it publishes is whole: the overview, the pack,
kpis.csv and the manifest are rebuilt from all current reports, and the others stay.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

from pmo_nb.exceptions import PmoError, ReportError
from pmo_nb.publish.navigation import INDEX_NAME
from pmo_nb.run.jobs import PORTFOLIO, ReportResult
from pmo_nb.run.manifest import MANIFEST_NAME, sha256_file
from pmo_nb.run.staging import Staging, inside

__all__ = ["published_reports", "carry_over", "missing_reports", "failed_folder"]

_FIELDS = {f.name for f in fields(ReportResult)}


def _from_entry(entry: dict[str, Any], run_id: str | None) -> ReportResult:
    data = {k: v for k, v in entry.items() if k in _FIELDS and k != "error"}
    err = entry.get("error")
    data["error"] = ReportError(**{k: v for k, v in err.items() if k in
                                   ("ename", "evalue", "cell_index", "cell_source", "path")}) if err else None
    data["carried_from"] = entry.get("carried_from") or run_id
    return ReportResult(**data)


def published_reports(month: Path) -> list[ReportResult]:
    """The reports the published ``month`` folder holds: from its manifest, else from its files.

    Without a readable manifest (a folder made by hand or by an old version), every ``<name>.html`` or
    ``<name>.pdf`` at the top (but the executive pack and the month's index) counts as an ok report of that name.
    """
    if not month.is_dir():
        return []
    try:
        manifest = json.loads((month / MANIFEST_NAME).read_text(encoding="utf-8"))
        return [_from_entry(e, manifest.get("run_id")) for e in manifest.get("reports", [])]
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    reports: dict[str, ReportResult] = {}
    for path in sorted(month.iterdir()):
        if path.suffix in (".html", ".pdf") and path.is_file() and not path.name.startswith("executive-pack-") \
                and path.name != INDEX_NAME:
            res = reports.setdefault(path.stem, ReportResult(
                name=path.stem, kind="portfolio" if path.stem == PORTFOLIO else "program", status="ok",
                duration=0.0, carried_from="unknown"))
            res.outputs[path.suffix[1:]] = {"path": path.name, "sha256": ""}
            if (month / "notebooks" / f"{path.stem}.ipynb").is_file():
                res.notebook = f"notebooks/{path.stem}.ipynb"
    return list(reports.values())


def carry_over(previous: list[ReportResult], month: Path, staging: Staging, rerun: set[str]) -> list[ReportResult]:
    """Copy the reports of ``previous`` not in ``rerun`` from ``month`` into the staging folder.

    A report whose files are gone is not carried (the run then lacks it and is not published as the month).
    """
    carried: list[ReportResult] = []
    for res in previous:
        if res.name in rerun:
            continue
        files = [res.notebook] if res.notebook else []
        files += [o["path"] for o in res.outputs.values()]
        try:
            for rel in files:
                shutil.copy2(inside(month / rel, month), staging.path(rel))
        except (OSError, ValueError, PmoError):
            continue
        for out in res.outputs.values():
            out["sha256"] = sha256_file(staging.path(out["path"]))
        carried.append(res)
    return carried


def missing_reports(previous: list[ReportResult], now: list[ReportResult]) -> list[str]:
    """Names of the reports ok in ``previous`` that are not ok in ``now``."""
    ok_now = {r.name for r in now if r.ok}
    return [r.name for r in previous if r.ok and r.name not in ok_now]


def failed_folder(out: Path, period: str, run_id: str) -> Path:
    """Where a run that may not replace the month is published: ``<period>.failed-<run id>`` (not yet taken)."""
    path = out / f"{period}.failed-{run_id}"
    return path if not (path.exists() or path.is_symlink()) else out / f"{period}.failed-{run_id}-{os.getpid()}"
