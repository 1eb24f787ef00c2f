"""What ``pmo-nb run`` prints: one line per report with its status, time and first error line; the rows left out."""

from __future__ import annotations

from collections.abc import Sequence

from pmo_nb.exceptions import Finding
from pmo_nb.run.monthly import RunResult

__all__ = ["summary_lines", "excluded_rows", "excluded_line"]


def summary_lines(result: RunResult, *, only_failed: bool = False) -> list[str]:
    """The summary table of this run's reports (not those carried over): status, time, error, failing cell."""
    rows = [("report", "status", "time", "error")]
    for r in result.reports:
        if (only_failed and r.ok) or r.carried_from is not None:
            continue
        err = ""
        if r.error is not None:
            cell = r.error.cell_index
            where = f" [cell {cell}: {r.error.cell_source}]" if cell is not None else ""
            err = f"{r.error.ename}: {r.error.evalue}{where}"
        rows.append((r.name, r.status, f"{r.duration:.1f}s", err))
    if result.pack_error:
        rows.append(("executive pack", "failed", "", f"{result.pack_error.ename}: {result.pack_error.evalue}"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    return [f"{a:<{w0}}  {b:<{w1}}  {c:>{w2}}  {d}".rstrip() for a, b, c, d in rows]


def excluded_rows(excluded: Sequence[Finding]) -> list[tuple[str, int | None]]:
    """The distinct (file, row) of the findings of rows left out (a row may break several rules)."""
    return sorted({(f.source, f.row) for f in excluded}, key=lambda r: (r[0], r[1] or 0))


def excluded_line(excluded: Sequence[Finding], *, shown: int = 3) -> str:
    """One line on the rows a run left out (``[validation] invalid_rows = "exclude"``), or "" when none."""
    if not excluded:
        return ""
    n = len(excluded_rows(excluded))
    first = "; ".join(f"{f.source} row {f.row}: {f.rule}" for f in excluded[:shown])
    more = f"; and {len(excluded) - shown} more" if len(excluded) > shown else ""
    return (f"{n} source row{'s' if n != 1 else ''} {'were' if n != 1 else 'was'} left out for breaking a rule "
            f'([validation] invalid_rows = "exclude"): {first}{more}. The data notes of the reports they concern '
            "list them; fix the source to bring them back")
