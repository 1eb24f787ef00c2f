"""``pmo-nb kpis`` output: KPI rows (:func:`pmo_nb.metrics.kpis.kpi_rows`) as a fixed-width table, CSV or JSON."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from pmo_nb.metrics.spreadsheet import to_csv

__all__ = ["Format", "render_rows"]

Format = Literal["table", "csv", "json"]
_MONEY = ("bac", "pv", "ev", "ac", "cv", "sv", "eac", "eac_atypical", "eac_composite", "etc", "vac")
_PERCENT = ("cv_pct", "sv_pct", "pct_complete", "pct_spent", "compliance_pct")


def _cell(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        if column in _MONEY:
            return f"{value:,.0f}"
        if column in _PERCENT:
            return f"{value:.1%}"
        return f"{value:.2f}"
    return str(value)


def render_rows(rows: pd.DataFrame, fmt: Format = "table", currency: str = "EUR") -> str:
    """``rows`` as text: a fixed-width table ("n/a" for undefined), CSV (empty; safe to open in a spreadsheet,
    money to the ``currency``'s minor unit) or JSON (null)."""
    if fmt == "csv":
        return to_csv(rows, currency)
    if fmt == "json":
        clean = rows.astype("object").where(rows.notna(), None)
        return clean.to_json(orient="records", indent=2, double_precision=15) + "\n"
    if fmt != "table":
        raise ValueError(f"format must be table, csv or json, not {fmt!r}")
    cells = {c: [_cell(c, v) for v in rows[c].tolist()] for c in rows.columns}
    widths = {c: max([len(c)] + [len(v) for v in cells[c]]) for c in rows.columns}
    left = {"project_id", "program_id", "name", "rag", "rag_reason"}

    def line(values: dict[str, str]) -> str:
        parts = [values[c].ljust(widths[c]) if c in left else values[c].rjust(widths[c])
                 for c in rows.columns]
        return "  ".join(parts).rstrip()

    out = [line({c: c for c in rows.columns}), line({c: "-" * widths[c] for c in rows.columns})]
    out += [line({c: cells[c][i] for c in rows.columns}) for i in range(len(rows))]
    return "\n".join(out) + "\n"
