"""``pmo-nb guidelines`` output: the month's guideline breaches as a fixed-width table, CSV or JSON."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from pmo_nb.metrics.guidelines import BREACH_COLUMNS, GuidelineResult
from pmo_nb.metrics.spreadsheet import to_csv

__all__ = ["Format", "render_breaches"]

Format = Literal["table", "csv", "json"]
_TABLE_COLUMNS = ("project_id", "program_id", "guideline", "severity", "item", "detail")


def _table(breaches: pd.DataFrame, result: GuidelineResult, period: str) -> str:
    enabled = [g for g in result.guidelines if g.enabled]
    comp = result.compliance
    applicable, met = int(comp["applicable"].sum()), int(comp["met"].sum())
    share = f"{met / applicable:.1%}" if applicable else "n/a"
    head = (f"{len(breaches)} breach{'es' if len(breaches) != 1 else ''} of {len(enabled)} "
            f"guideline{'s' if len(enabled) != 1 else ''} in {period}; "
            f"compliance {share} ({met} of {applicable} applicable guidelines met over {len(comp)} open projects)")
    if breaches.empty:
        return head + "\n"
    cells = {c: ["" if v is None or v != v else str(v) for v in breaches[c].tolist()] for c in _TABLE_COLUMNS}
    widths = {c: max([len(c)] + [len(v) for v in cells[c]]) for c in _TABLE_COLUMNS}

    def line(values: dict[str, str]) -> str:
        return "  ".join(values[c].ljust(widths[c]) for c in _TABLE_COLUMNS).rstrip()

    out = [head, "", line({c: c for c in _TABLE_COLUMNS}), line({c: "-" * widths[c] for c in _TABLE_COLUMNS})]
    out += [line({c: cells[c][i] for c in _TABLE_COLUMNS}) for i in range(len(breaches))]
    out += ["", "guidelines:"]
    counts = breaches.groupby("guideline").size()
    out += [f"  {g.id} ({g.severity}, {int(counts.get(g.id, 0))} breach{'es' if counts.get(g.id, 0) != 1 else ''}):"
            f" {g.text}" for g in enabled if g.id in counts.index]
    return "\n".join(out) + "\n"


def render_breaches(result: GuidelineResult, fmt: Format = "table", period: str = "") -> str:
    """Every breach of ``result`` (``BREACH_COLUMNS``): a fixed-width table with a summary line and the text of each
    breached guideline, spreadsheet-safe CSV, or JSON records (empty cells null)."""
    breaches = result.breaches[list(BREACH_COLUMNS)].reset_index(drop=True)
    if fmt == "csv":
        return to_csv(breaches, "EUR")
    if fmt == "json":
        clean = breaches.astype("object").where(breaches.notna(), None)
        return clean.to_json(orient="records", indent=2) + "\n"
    if fmt != "table":
        raise ValueError(f"format must be table, csv or json, not {fmt!r}")
    return _table(breaches, result, period)
