"""``pmo-nb kpis`` output: KPI rows (:func:`pmo_nb.metrics.kpis.kpi_rows`) as a fixed-width table, CSV or JSON."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from pmo_nb.metrics.figures import DECIMALS, kind_of, round_half_up
from pmo_nb.metrics.spreadsheet import to_csv

__all__ = ["Format", "render_rows"]

Format = Literal["table", "csv", "json"]


def _cell(column: str, value: object) -> str:
    """One value with its kind's decimals (:data:`pmo_nb.metrics.figures.DECIMALS`), halves away from zero."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        kind = kind_of(column)
        decimals = DECIMALS[kind]
        if kind == "percent":
            return f"{round_half_up(value * 100, decimals):.{decimals}f}%"
        if kind == "count":  # a float that is no known figure: two places
            decimals = 2
        number = round_half_up(value, decimals)
        return f"{number:,.{decimals}f}" if kind == "money" else f"{number:.{decimals}f}"
    return str(value)


def render_rows(rows: pd.DataFrame, fmt: Format = "table", currency: str = "EUR") -> str:
    """``rows`` as text: a fixed-width table ("n/a" for undefined), CSV (empty; safe to open in a spreadsheet,
    money to the ``currency``'s minor unit) or JSON (null); dates (the P50 and P80 finish) as ``YYYY-MM-DD``."""
    dates = [c for c in rows.columns if pd.api.types.is_datetime64_any_dtype(rows[c])]
    if dates and fmt != "table":
        rows = rows.assign(**{c: rows[c].dt.strftime("%Y-%m-%d").astype("object").where(rows[c].notna(), None)
                              for c in dates})
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
