"""Frame helpers the item modules share: required columns, date columns, the grouping key of a roll-up."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.exceptions import DataValidationError, Finding

__all__ = ["require_columns", "as_dates", "group_key"]


def require_columns(df: pd.DataFrame, table: str, columns: tuple[str, ...] | list[str]) -> None:
    """Raise ``DataValidationError`` listing every column of ``columns`` missing from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataValidationError(
            [Finding(table, table, None, c, None, "required column missing: load the data with pmo_nb.load")
             for c in missing],
            source=table,
        )


def as_dates(df: pd.DataFrame, table: str, column: str, id_column: str) -> pd.Series:
    """``df[column]`` as ``datetime64`` (NaT for missing); an absent optional column is all NaT.

    Text that is not a date raises ``DataValidationError`` naming the row (spreadsheet numbering),
    column and value.
    """
    if column not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    s = df[column]
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    out = pd.to_datetime(s, errors="coerce", format="ISO8601")
    bad = out.isna() & s.notna() & s.astype("string").str.strip().ne("")
    if bad.any():
        positions = np.flatnonzero(bad.to_numpy())
        findings = [
            Finding(table, table, int(i) + 2, column, s.iloc[i],
                    f"not a date (use YYYY-MM-DD); {id_column} {df[id_column].iloc[i]!r}"
                    if id_column in df.columns else "not a date (use YYYY-MM-DD)")
            for i in positions
        ]
        raise DataValidationError(findings, source=table)
    return out


def group_key(frame: pd.DataFrame, by: str, projects: pd.DataFrame | None) -> pd.Series:
    """The grouping column ``by`` of ``frame``, mapped from ``projects`` through ``project_id`` if absent.

    Rolling up by program needs a ``program_id`` column: callers either merge it in or pass the
    projects table, whose ``project_id -> program_id`` mapping is then used.
    """
    if by in frame.columns:
        return frame[by]
    if projects is not None and by in projects.columns and "project_id" in frame.columns:
        mapping = projects.drop_duplicates("project_id").set_index("project_id")[by]
        return frame["project_id"].map(mapping)
    raise ValueError(
        f"cannot group by {by!r}: the frame has no such column; merge it in from the projects table "
        f"or pass projects=portfolio.projects"
    )
