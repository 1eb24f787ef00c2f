"""Registers as people keep them: ``[values]`` maps a column's values and ``[scale]`` multiplies its amounts.

Both act on canonical columns (after ``[columns]`` renamed the headers): a value is matched stripped and
case-insensitively (``"Mitigated" = "open"``, ``Low = 2``, ``"On Track" = "green"``); values with no mapping are
left as they are, so the data model's rules still name the allowed values.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pmo_nb.config import Config, normalise_value

__all__ = ["map_values", "scale_of"]


def map_values(raw: pd.Series, table: str, column: str, config: Config) -> pd.Series:
    """``raw`` with every value listed under ``[values.<table>.<column>]`` replaced by its canonical value."""
    mapping: dict[str, Any] = config.values.get(table, {}).get(column, {})
    if not mapping:
        return raw

    def one(value: object) -> object:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
            return value
        return mapping.get(normalise_value(value), value)

    return raw.astype(object).map(one)


def scale_of(table: str, column: str, config: Config) -> float | None:
    """The ``[scale.<table>]`` factor of an amount column, or None."""
    return config.scale.get(table, {}).get(column)
