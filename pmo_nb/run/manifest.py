"""The run manifest: what a monthly run produced, how long each report took, and checksums.

``manifest.json`` sits next to the reports of a month (``reports/2026-10/manifest.json``). It records
the run (id, generated-at, period, command line, versions), the source's fingerprint, the config
used, and one entry per report with its status, time breakdown (kernel start, execution, the cells' own share
of it, render), output files with their SHA-256, and, for a failed report, the error (exception name, first line of
its value, failing cell index in the executed notebook and the first line of that cell's source), and the
source rows left out for breaking a rule (``excluded_rows``: file, row, column, value, rule).
``files`` maps every file of the folder (relative path, ``/``-separated) except the manifest itself
to its SHA-256, so ``verify(folder)`` can tell whether anything was changed after the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from pmo_nb.publish.mail.record import SENT_NAME

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1

# Distribution names whose versions a manifest records (key in the manifest -> distribution).
VERSIONED = {
    "pmo-nb": "pmo-nb",
    "papermill": "papermill",
    "nbconvert": "nbconvert",
    "altair": "altair",
    "pandas": "pandas",
    "weasyprint": "weasyprint",
}


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def versions() -> dict[str, str]:
    """Versions of pmo-nb, papermill, nbconvert, altair, pandas, weasyprint and python."""
    out: dict[str, str] = {}
    for key, dist in VERSIONED.items():
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            if key == "pmo-nb":
                from pmo_nb import __version__

                out[key] = __version__
            else:
                out[key] = "not installed"
    out["python"] = platform.python_version()
    return out


def first_line(text: object, limit: int = 300) -> str:
    """The first non-empty line of ``text``, shortened to ``limit`` characters."""
    for line in str(text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "\u2026"
    return ""


def file_hashes(folder: str | Path, *, exclude: Iterable[str] = (MANIFEST_NAME,)) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative ``/`` paths, sorted), except ``exclude``."""
    root = Path(folder)
    skip = set(exclude)
    out: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in skip:
            out[rel] = sha256_file(path)
    return out


def build_manifest(
    *,
    folder: str | Path,
    run_id: str,
    generated_at: str,
    period: str,
    command: str,
    source: str,
    source_fingerprint: str,
    config: Mapping[str, Any],
    formats: Iterable[str],
    reports: Iterable[Mapping[str, Any]],
    pack: Mapping[str, Any] | None = None,
    started_at: str = "",
    duration: float | None = None,
    jobs: int | None = None,
    kernel: Mapping[str, Any] | None = None,
    exclude: Iterable[str] = (),
    excluded_rows: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Assemble the manifest of a run whose files are all in ``folder`` (hashes are taken here).

    Parameters
    ----------
    folder:
        The folder holding the month's outputs (the run's staging folder before it is published).
    reports:
        One mapping per report (``ReportResult.as_dict()``), in the order to list them.
    pack:
        The executive pack entry (file, sha256, omitted programs), or None when not built.
    exclude:
        Files of ``folder`` (relative paths) that are not part of the month (the staging marker).
    excluded_rows:
        The findings of the source rows left out (``Finding.as_dict()``; ``[validation] invalid_rows``).

    Returns
    -------
    dict
        JSON-serialisable manifest; write it with ``write_manifest``.
    """
    reports = [dict(r) for r in reports]
    failed = [r["name"] for r in reports if r.get("status") != "ok"]
    return {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id,
        "generated_at": generated_at,
        "started_at": started_at,
        "duration_s": None if duration is None else round(duration, 3),
        "period": period,
        "command": command,
        "status": "ok" if not failed else "failed",
        "failed": failed,
        "source": source,
        "source_fingerprint": source_fingerprint,
        "config": dict(config),
        "formats": list(formats),
        "jobs": jobs,
        "kernel": dict(kernel or {}),
        "versions": versions(),
        "reports": reports,
        "pack": dict(pack) if pack else None,
        "excluded_rows": [_plain(dict(f)) for f in excluded_rows],
        "files": file_hashes(folder, exclude=(MANIFEST_NAME, *exclude)),
    }


def _plain(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding with its value as JSON can hold it (a date or a number as the user wrote it: text)."""
    value = finding.get("value")
    if value is not None and not isinstance(value, str | int | bool) and not (
            isinstance(value, float) and value == value and abs(value) != float("inf")):
        finding["value"] = str(value)
    return finding


def write_manifest(folder: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` into ``folder`` (via a temporary file and a rename) and return its path."""
    path = Path(folder) / MANIFEST_NAME
    tmp = path.with_name(f".{MANIFEST_NAME}.part")
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read ``manifest.json`` from a month's folder."""
    return json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))


def verify(folder: str | Path) -> list[str]:
    """Compare the files of ``folder`` with its manifest.

    Returns
    -------
    list of str
        One line per discrepancy (missing, changed or unlisted file); empty when everything matches.
    """
    manifest = read_manifest(folder)
    listed: dict[str, str] = manifest.get("files", {})
    actual = file_hashes(folder, exclude=(MANIFEST_NAME, SENT_NAME))  # pmo-nb send writes sent.json later
    problems = [f"missing: {p}" for p in sorted(set(listed) - set(actual))]
    problems += [f"changed: {p}" for p in sorted(set(listed) & set(actual)) if listed[p] != actual[p]]
    problems += [f"not in manifest: {p}" for p in sorted(set(actual) - set(listed))]
    return problems
