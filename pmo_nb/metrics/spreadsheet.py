"""Spreadsheet-safe CSV out and back: formula-looking text escaped (OWASP), numbers as rounded numbers.

Every CSV pmo-nb writes goes through :func:`to_csv`: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (after any leading single quotes) gets one single quote in front, so a spreadsheet shows it
as text instead of running it, unless the text is a plain number; numbers stay numbers, rounded with
:func:`pmo_nb.metrics.figures.data_decimals` (money to the currency's minor unit). :func:`unescape` undoes it
when pmo-nb reads its own file back.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from pmo_nb.metrics.figures import data_decimals

__all__ = ["TRIGGERS", "escape", "unescape", "to_csv"]

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape(value: Any) -> Any:
    """A text cell made safe to open in a spreadsheet; anything else (numbers, None) unchanged.

    >>> escape("=HYPERLINK(\\"x\\")"), escape("-12"), escape("'=a"), escape("Plain")
    ('\\'=HYPERLINK("x")', '-12', "''=a", 'Plain')
    """
    if not isinstance(value, str) or _NUMBER.fullmatch(value.strip()) or not _ESCAPE.match(value):
        return value
    return "'" + value


def unescape(value: Any) -> Any:
    """The text :func:`escape` was given (one leading quote dropped before a trigger); other values unchanged."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return value[1:]
    return value


def to_csv(frame: pd.DataFrame, currency: str = "EUR") -> str:
    """``frame`` as CSV text (no index, ``\\n`` line ends, empty for missing), safe to open in a spreadsheet."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            out[column] = values
        elif pd.api.types.is_numeric_dtype(values):
            decimals = data_decimals(str(column), currency)
            numbers = values.astype("float64") if pd.api.types.is_float_dtype(values) else values
            if decimals is not None and pd.api.types.is_float_dtype(numbers):
                numbers = numbers.round(decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
            out[column] = numbers
        else:
            objects = values.astype("object")
            out[column] = objects.map(escape).where(objects.notna(), None)
    safe = pd.DataFrame(out, index=frame.index)
    return safe.to_csv(index=False, lineterminator="\n")
