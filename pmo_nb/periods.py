"""The reporting month: one type, parsed once at the edge.

A :class:`Period` is a calendar month written ``YYYY-MM``. It is parsed once where a value enters pmo-nb (the
``--period`` option through :class:`pmo_nb.cli.PeriodParam`, a notebook's ``period`` parameter, a month read from
data) and handed on as a ``Period``; nothing inside parses a period string again.

``Period`` subclasses ``str`` on purpose: its text is the canonical ``YYYY-MM`` form, so it sorts, compares,
hashes, pickles and serialises (JSON, CSV, papermill parameters, pandas columns) exactly like the string the
files hold, while adding the month arithmetic every stage needs (:meth:`previous`, :meth:`next`, :attr:`start`,
:attr:`end`, :attr:`label`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from pmo_nb.exceptions import PeriodError

__all__ = ["Period", "PERIOD_FORMAT_HELP"]

PERIOD_FORMAT_HELP = "use YYYY-MM, e.g. 2026-10"
_SHAPE = re.compile(r"(\d{4})-(\d{2})")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class Period(str):
    """A calendar month, ``YYYY-MM``.

    Build one with :meth:`parse` (strict: surrounding white space is trimmed, anything else that is not
    ``YYYY-MM`` with a month 01 to 12 raises :class:`~pmo_nb.exceptions.PeriodError` saying what was expected),
    :meth:`of` (the month a date falls in) or :meth:`from_parts`.

    Examples
    --------
    >>> p = Period.parse(" 2026-01 ")
    >>> p, p.previous(), p.label
    ('2026-01', '2025-12', 'January 2026')
    >>> p.start, p.end
    (Timestamp('2026-01-01 00:00:00'), Timestamp('2026-01-31 00:00:00'))
    """

    __slots__ = ()

    def __new__(cls, value: Any) -> Period:
        if isinstance(value, Period):
            return value
        text = value.strip() if isinstance(value, str) else value
        match = _SHAPE.fullmatch(text) if isinstance(text, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12:
            shown = value if isinstance(value, str) else type(value).__name__
            raise PeriodError(f"period {shown!r} is not a month: {PERIOD_FORMAT_HELP}")
        return super().__new__(cls, text)

    # ------------------------------------------------------------------------------------------ building
    @classmethod
    def parse(cls, value: Any) -> Period:
        """``value`` as a Period; raises ``PeriodError`` naming the expected form."""
        return cls(value)

    @classmethod
    def from_parts(cls, year: int, month: int) -> Period:
        """The month ``month`` (1 to 12) of ``year``."""
        return cls(f"{int(year):04d}-{int(month):02d}")

    @classmethod
    def of(cls, moment: dt.date | dt.datetime | pd.Timestamp) -> Period:
        """The month ``moment`` falls in."""
        return cls.from_parts(moment.year, moment.month)

    # ------------------------------------------------------------------------------------------ parts
    @property
    def year(self) -> int:
        return int(self[:4])

    @property
    def month(self) -> int:
        return int(self[5:7])

    @property
    def label(self) -> str:
        """The month for readers: ``October 2026``."""
        return f"{_MONTHS[self.month - 1]} {self.year}"

    @property
    def start(self) -> pd.Timestamp:
        """Midnight of the month's first day."""
        return pd.Timestamp(self.year, self.month, 1)

    @property
    def end(self) -> pd.Timestamp:
        """Midnight of the month's last day (the day a month-end figure is judged at)."""
        return (self.start + pd.offsets.MonthEnd(1)).normalize()

    # ------------------------------------------------------------------------------------------ arithmetic
    def shift(self, months: int) -> Period:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + int(months)
        return Period.from_parts(index // 12, index % 12 + 1)

    def previous(self) -> Period:
        """The month before."""
        return self.shift(-1)

    def next(self) -> Period:
        """The month after."""
        return self.shift(1)

    def to_pandas(self) -> pd.Period:
        """As a monthly ``pandas.Period``."""
        return pd.Period(str(self), freq="M")

    def __repr__(self) -> str:
        return str.__repr__(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Period, (str(self),))
