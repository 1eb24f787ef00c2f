"""Evaluating the condition vocabulary of :mod:`pmo_nb.rules` on a table's rows as of a status date.

:func:`holds` says, row by row, whether a :class:`~pmo_nb.rules.Condition` is met; :func:`offending` says in
words why a row fails it, with the value found ("last_updated 2026-06-23, more than 35 days before the status
date 2026-10-31"). A missing value never satisfies a comparison, a set membership or a date window; it is
"not in" any set and counts as empty for ``present`` (so do placeholders such as "TBD").
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pmo_nb.periods import Period
from pmo_nb.rules import PLACEHOLDERS, STATUS_DATE, Condition

__all__ = ["Context", "holds", "all_hold", "offending"]

_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass
class Context:
    """What conditions are evaluated against: the status date and every table's rows (by project)."""

    period: Period
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def status_date(self) -> pd.Timestamp:
        """The reporting month's last day."""
        return pd.Timestamp(self.period.end).normalize()


def _values(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(None, index=frame.index, dtype="object")
    return frame[column]


def _is_date(s: pd.Series) -> bool:
    return bool(pd.api.types.is_datetime64_any_dtype(s))


def _present(s: pd.Series) -> np.ndarray:
    text = s.astype("object").map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                  else str(v).strip().lower())
    return (s.notna() & text.ne("") & ~text.isin(PLACEHOLDERS)).to_numpy(dtype=bool)


def _rhs(cond: Condition, frame: pd.DataFrame, ctx: Context, lhs: pd.Series) -> Any:
    if cond.other:
        other = _values(frame, cond.other)
        return other + pd.Timedelta(days=cond.offset_days) if _is_date(other) else other
    if cond.value == STATUS_DATE:
        return ctx.status_date + pd.Timedelta(days=cond.offset_days)
    if _is_date(lhs):
        return pd.Timestamp(cond.value)
    return cond.value


def _norm(s: pd.Series) -> pd.Series:
    """Text compared trimmed and case-insensitive; other dtypes as they are."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.astype("object").map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    return s


def holds(cond: Condition, frame: pd.DataFrame, ctx: Context) -> np.ndarray:
    """Whether each row of ``frame`` meets ``cond`` (a bool array aligned with the rows)."""
    if cond.op == "any":
        out = np.zeros(len(frame), dtype=bool)
        for c in cond.where:
            out |= holds(c, frame, ctx)
        return out
    if cond.op == "has_rows":
        assert cond.table is not None
        other = ctx.tables[cond.table]
        keep = all_hold(cond.where, other, ctx)
        ids = set(other.loc[keep, "project_id"].astype(str))
        return frame["project_id"].astype(str).isin(ids).to_numpy(dtype=bool)
    if cond.op == "every_month":
        return np.array([not m for m in _missing_months(cond, frame, ctx)], dtype=bool)
    assert cond.column is not None
    s = _values(frame, cond.column)
    if cond.op == "present":
        given = _present(s)
        return given if cond.value else ~given
    known = s.notna().to_numpy(dtype=bool).copy()
    if cond.op in ("in", "not_in"):
        inside = _norm(s).isin(list(cond.values)).to_numpy(dtype=bool) & known
        return inside if cond.op == "in" else ~inside
    if cond.op in ("within_days", "older_than_days"):
        limit = ctx.status_date - pd.Timedelta(days=cond.days)
        d = pd.to_datetime(s)
        hit = (d >= limit) if cond.op == "within_days" else (d < limit)
        return hit.fillna(False).to_numpy(dtype=bool) & known
    assert cond.cmp is not None
    lhs = pd.to_datetime(s) if _is_date(s) else _norm(s)
    rhs = _rhs(cond, frame, ctx, lhs)
    if isinstance(rhs, pd.Series):
        known &= rhs.notna().to_numpy(dtype=bool)
        rhs = _norm(rhs)
    if s.dtype == bool or str(s.dtype) == "boolean":
        lhs = s.astype("boolean")
    with np.errstate(invalid="ignore"):
        result = pd.Series(_CMP[cond.cmp](lhs, rhs), index=frame.index)
    return result.astype("boolean").fillna(False).to_numpy(dtype=bool) & known


def all_hold(conditions: tuple[Condition, ...], frame: pd.DataFrame, ctx: Context) -> np.ndarray:
    """Rows meeting every condition (every row when there is none)."""
    out = np.ones(len(frame), dtype=bool)
    for c in conditions:
        out &= holds(c, frame, ctx)
    return out


def _missing_months(cond: Condition, frame: pd.DataFrame, ctx: Context) -> list[list[str]]:
    """Per row: the months from ``since`` (not before the table's first month) to the status month without a row."""
    assert cond.table is not None and cond.since is not None
    other = ctx.tables[cond.table]
    other = other[other["period"].astype(str) <= str(ctx.period)]
    booked: dict[str, set[str]] = {}
    for pid, month in zip(other["project_id"].astype(str), other["period"].astype(str), strict=True):
        booked.setdefault(pid, set()).add(month)
    first = Period.parse(str(other["period"].min())) if len(other) else ctx.period
    out: list[list[str]] = []
    for pid, since in zip(frame["project_id"].astype(str), pd.to_datetime(_values(frame, cond.since)), strict=True):
        if pd.isna(since):
            out.append([])
            continue
        month = max(Period.of(since.date()), first)
        have = booked.get(pid, set())
        gaps = []
        while month <= ctx.period:
            if str(month) not in have:
                gaps.append(str(month))
            month = month.next()
        out.append(gaps)
    return out


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "empty"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return repr(value) if isinstance(value, str) else str(value)


def offending(cond: Condition, frame: pd.DataFrame, ctx: Context) -> list[str]:
    """For each row of ``frame`` (rows failing ``cond``): why, with the value found."""
    status = ctx.status_date.date().isoformat()
    if cond.op == "every_month":
        out = []
        for gaps in _missing_months(cond, frame, ctx):
            shown = ", ".join(gaps[:3]) + (f" and {len(gaps) - 3} more" if len(gaps) > 3 else "")
            out.append(f"no {cond.table} for {shown}")
        return out
    if cond.op == "any":
        parts = [offending(c, frame, ctx) for c in cond.where]
        return [" and ".join(texts) for texts in zip(*parts, strict=True)]
    if cond.op == "has_rows":
        return [f"expected {cond.describe()}"] * len(frame)
    assert cond.column is not None
    values = _values(frame, cond.column).tolist()
    if cond.op == "present":
        return [f"{cond.column} empty" if _missing(v) or not str(v).strip() else
                f"{cond.column} {_show(v)}, " + ("a placeholder, not a value" if cond.value else "expected empty")
                for v in values]
    if cond.op == "within_days":
        return [f"{cond.column} {_show(v)}, more than {cond.days} days before the status date {status}"
                if not _missing(v) else f"{cond.column} empty" for v in values]
    if cond.op == "older_than_days":
        return [f"{cond.column} {_show(v)}, not older than {cond.days} days at the status date {status}"
                for v in values]
    if cond.op == "op" and cond.value == STATUS_DATE:
        return [f"{cond.column} {_show(v)}, expected {cond.cmp} the status date {status}"
                + (f" {cond.offset_days:+d} days" if cond.offset_days else "") for v in values]
    if cond.op == "op" and cond.other:
        others = _values(frame, cond.other).tolist()
        return [f"{cond.column} {_show(v)}, expected {cond.cmp} {cond.other} ({_show(o)})"
                for v, o in zip(values, others, strict=True)]
    return [f"{cond.column} {_show(v)}, expected {cond.describe()}" for v in values]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))
