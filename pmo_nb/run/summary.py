"""The summary table ``pmo-nb run`` prints: one line per report with its status, time and first error line."""

from __future__ import annotations

from pmo_nb.run.monthly import RunResult

__all__ = ["summary_lines"]


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
