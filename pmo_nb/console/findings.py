"""What `pmo-nb validate` (and a run refused for bad data) prints: findings, notes and a valid portfolio's summary."""

from __future__ import annotations

from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import Finding

__all__ = ["FINDING_HEADERS", "render_excluded", "render_findings", "render_notes", "render_summary"]


FINDING_HEADERS = ("table", "file", "row", "column", "value", "rule")


def _cell(value: object, width: int) -> str:
    text = "" if value is None else " ".join(str(value).split()) if not isinstance(value, str) else value
    text = text.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_findings(findings: list[Finding], limit: int = 50) -> str:
    """A fixed-width table of findings (table | file | row | column | value | rule), at most ``limit`` rows.

    Values are quoted as the user wrote them (``'12%'``); an empty cell shows as ``''``.
    """
    shown = findings[:limit]
    rows = []
    for f in shown:
        value = "" if f.value is None else repr(f.value) if isinstance(f.value, str) else str(f.value)
        rows.append(
            (f.table, f.source, "" if f.row is None else str(f.row), f.column or "", _cell(value, 30), f.rule)
        )
    widths = [
        max([len(h)] + [len(_cell(r[i], 40)) for r in rows]) for i, h in enumerate(FINDING_HEADERS[:-1])
    ]
    lines = []
    for r in [FINDING_HEADERS, *rows]:
        lines.append(
            "  ".join(_cell(v, 40).ljust(w) for v, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        )
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 4)
    n = len(findings)
    if n > limit:
        lines.append(f"... and {n - limit} more")
    head = f"{n} problem{'s' if n != 1 else ''} found:"
    return "\n".join([head, *lines])


def render_notes(notes: list[Finding]) -> str:
    """Warning-level notes, one line each: ``note: projects.csv, row 4, column 'name': value '...': rule``.

    An ignored extra column reads ``note: projects.csv: column 'Region' not a column of the data model ...``.
    """
    lines = []
    for n in notes:
        if n.row is None and n.column and n.value is None:
            lines.append(f"note: {n.source}: column {n.column!r} {n.rule}")
        else:
            lines.append(f"note: {_cell(str(n), 400)}")
    return "\n".join(lines)


def render_excluded(excluded: list[Finding], limit: int = 50) -> str:
    """The rows left out with ``[validation] invalid_rows = "exclude"``, one line each (file, row, rule)."""
    lines = [f"{len(excluded)} row{'s' if len(excluded) != 1 else ''} left out ([validation] invalid_rows = "
             '"exclude"):']
    lines += [f"  excluded: {_cell(str(f), 400)}" for f in excluded[:limit]]
    if len(excluded) > limit:
        lines.append(f"  ... and {len(excluded) - limit} more")
    return "\n".join(lines)


def render_summary(portfolio: Portfolio, notes: list[Finding] | None = None) -> str:
    """The one-screen summary of a valid portfolio: counts, absent tables, programs, months."""
    s = portfolio.summary()
    counts: dict[str, int] = s["counts"]  # type: ignore[assignment]
    lines = [f"source: {s['source']}", "valid: no problems found", "", "rows per table:"]
    width = max(len(t) for t in counts)
    for table, n in counts.items():
        absent = "  (absent: optional)" if table in portfolio.missing_tables else ""
        lines.append(f"  {table.ljust(width)}  {n:>8,}{absent}")
    if portfolio.missing_tables:
        lines.append(f"absent optional tables: {', '.join(portfolio.missing_tables)}")
    per_program = portfolio.projects.groupby("program_id").size()
    lines += ["", f"programs ({len(portfolio.programs)}):"]
    for pid, name in zip(portfolio.programs["program_id"], portfolio.programs["name"], strict=True):
        n = int(per_program.get(pid, 0))
        lines.append(f"  {pid}  {name}: {n} project{'s' if n != 1 else ''}")
    periods = s["periods"]
    lines.append("")
    if periods:
        lines.append(f"months covered: {periods[0]} .. {periods[1]} ({s['n_periods']} months)")  # type: ignore[index]
    else:
        lines.append("months covered: none (no financials)")
    if portfolio.excluded:
        lines += ["", render_excluded(list(portfolio.excluded))]
    if notes:
        lines += ["", render_notes(notes)]
    return "\n".join(lines)
