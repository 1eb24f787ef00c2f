"""Frame helpers the item modules share: required columns, date columns, the grouping key of a roll-up."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pmo_nb.exceptions import DataValidationError, Finding

__all__ = ["require_columns", "as_dates", "group_key", "shared_strings"]


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


def shared_strings(df: pd.DataFrame, pool: dict[str, str] | None = None) -> pd.DataFrame:
    """``df``, or a shallow copy of it whose text columns hold one string object per distinct value (``pool``: the
    strings already shared, to share them across frames too). The values, dtypes and index are the same; only the
    memory differs: the 12 months of a trend repeat every name, id and status, each as its own object once
    unpickled, and pickling a frame whose equal strings are one object writes them, and reads them back, once.
    """
    pool = {} if pool is None else pool
    out = None
    for i in range(df.shape[1]):
        values = df.iloc[:, i]
        if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) != "string":
            continue  # only columns of text and missing values: factorize would merge 1, 1.0 and True
        array = values.to_numpy(dtype=object, copy=True)
        codes, uniques = pd.factorize(array, use_na_sentinel=True)
        shared = np.empty(len(uniques), dtype=object)
        shared[:] = [pool.setdefault(u, u) for u in uniques]
        found = codes >= 0  # missing values (None, NaN) stay as they were
        array[found] = shared[codes[found]]
        out = df.copy(deep=False) if out is None else out
        column: Any = pd.Series(array, index=df.index, dtype=object, copy=False)  # object, not inferred as str
        out.isetitem(i, column)
    return df if out is None else out
