"""The PMO's guidelines and measures as data: the condition vocabulary, the built-in guidelines, and their parsing.

``[[guidelines]]`` and ``[[measures]]`` of ``pmo.toml`` are parsed here into :class:`Guideline` and
:class:`Measure` (checked against the data model: an unknown table, column or operator is a ``ConfigError``
naming the key); :mod:`pmo_nb.metrics.guidelines` evaluates them. A condition is a TOML inline table on one
column (``{ column = "phase", in = ["execution"] }``), or ``has_rows``, ``every_month`` or ``any``;
docs/guidelines.md lists the vocabulary and the built-in set.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pmo_nb.exceptions import ConfigError
from pmo_nb.schema import TABLES

__all__ = ["Condition", "Guideline", "Measure", "BUILTIN_GUIDELINES", "GUIDELINE_TABLES", "DERIVED_COLUMNS",
           "DEFAULT_GUIDELINES", "COMPARISONS", "STATUS_DATE", "PLACEHOLDERS", "columns_of", "column_kind",
           "parse_condition", "parse_guidelines", "parse_measures"]

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
STATUS_DATE = "status_date"
"""The value that stands for the reporting month's last day in a date comparison."""
PLACEHOLDERS = frozenset({"tbd", "tba", "n/a", "na", "none", "unassigned", "unknown", "-", "?"})
"""Text a ``present`` condition counts as empty (case-insensitive): a risk owner "TBD" is no owner."""
GUIDELINE_TABLES = ("projects", "financials", "milestones", "risks", "issues")
"""Tables a guideline or measure can apply to: each row belongs to one project."""
DERIVED_COLUMNS: dict[str, dict[str, str]] = {
    "projects": {"status_age_days": "int", "months_of_data": "int", "bac": "money", "cpi": "ratio",
                 "spi": "ratio", "spi_t": "ratio", "pct_complete": "ratio", "pct_spent": "ratio",
                 "finish_slip_days": "int", "stale": "bool", "rag": "choice", "mismatch": "bool",
                 "risks_open": "int", "issues_open": "int", "ms_missed": "int"},
    "financials": {},
    "milestones": {"status": "choice", "achieved": "bool", "missed": "bool", "upcoming": "bool",
                   "slip_days": "int"},
    "risks": {"score": "int", "band": "choice", "emv": "money", "open": "bool", "response_overdue": "bool"},
    "issues": {"open": "bool", "age_days": "int", "days_to_close": "int"},
}
"""Columns computed for the reporting month, usable in conditions besides the data model's (docs/guidelines.md)."""
_OPERATORS = ("present", "op", "in", "not_in", "within_days", "older_than_days", "has_rows", "every_month", "any")
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
Severity = Literal["major", "minor"]
Compute = Literal["count", "share", "sum", "mean"]
Level = Literal["project", "program", "portfolio"]


def columns_of(table: str) -> list[str]:
    """The columns a condition on ``table`` may name: the data model's and the month's derived ones."""
    return TABLES[table].column_names + [c for c in DERIVED_COLUMNS.get(table, {}) if c not in
                                         TABLES[table].column_names]


def column_kind(table: str, column: str) -> str:
    """The kind of ``column`` (``date``, ``int``, ``money``, ``bool``, ``choice``, ``text``, ...)."""
    if column in TABLES[table].column_names:
        return TABLES[table].column(column).kind
    return DERIVED_COLUMNS[table][column]


@dataclass(frozen=True)
class Condition:
    """One condition on a row: ``op`` is one of ``_OPERATORS`` (``op`` comparisons keep ``cmp``)."""

    op: str
    column: str | None = None
    cmp: str | None = None
    value: Any = None
    other: str | None = None
    offset_days: int = 0
    values: tuple[Any, ...] = ()
    days: int = 0
    table: str | None = None
    since: str | None = None
    where: tuple[Condition, ...] = ()
    key: str = ""

    def describe(self) -> str:
        """The condition in words, for a breach's detail ("owner present", "response_due >= status date")."""
        if self.op == "present":
            return f"{self.column} {'given' if self.value else 'empty'}"
        if self.op == "op":
            rhs = self.other if self.other else _value_text(self.value, self.offset_days)
            return f"{self.column} {self.cmp} {rhs}"
        if self.op in ("in", "not_in"):
            return f"{self.column} {'in' if self.op == 'in' else 'not in'} {', '.join(map(str, self.values))}"
        if self.op == "within_days":
            return f"{self.column} within {self.days} days of the status date"
        if self.op == "older_than_days":
            return f"{self.column} older than {self.days} days at the status date"
        if self.op == "has_rows":
            return f"at least one {self.table} row" + (
                f" with {' and '.join(c.describe() for c in self.where)}" if self.where else "")
        if self.op == "every_month":
            return f"a {self.table} row for every month since {self.since}"
        return " or ".join(c.describe() for c in self.where)


def _value_text(value: Any, offset: int) -> str:
    if value == STATUS_DATE:
        return "the status date" + (f" {'+' if offset > 0 else '-'} {abs(offset)} days" if offset else "")
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Guideline:
    """A rule every applicable row must meet: rows of ``table`` matching ``scope`` must meet ``require``."""

    id: str
    text: str
    table: str
    require: tuple[Condition, ...]
    scope: tuple[Condition, ...] = ()
    severity: Severity = "major"
    enabled: bool = True
    builtin: bool = False
    threshold: float | None = None


@dataclass(frozen=True)
class Measure:
    """A figure over the rows of ``table`` matching ``filter``: a count, a share meeting ``where``, a sum or a mean.

    ``green``/``amber`` are thresholds read in ``direction`` (``higher`` is better: value >= green is green);
    ``target`` is the value the PMO aims at (shown next to the figure).
    """

    id: str
    label: str
    table: str
    compute: Compute
    filter: tuple[Condition, ...] = ()
    where: tuple[Condition, ...] = ()
    column: str | None = None
    level: Level = "project"
    target: float | None = None
    green: float | None = None
    amber: float | None = None
    direction: Literal["higher", "lower"] = "higher"

    @property
    def name(self) -> str:
        """The KPI column: ``measure_<id>``."""
        return f"measure_{self.id}"


# The built-in set: data in the same vocabulary, on by default; "$threshold" is replaced by the threshold.
BUILTIN_GUIDELINES: tuple[dict[str, Any], ...] = (
    {"id": "baseline_present", "table": "projects", "severity": "major",
     "text": "Every project past initiation has an approved baseline (a budget and a time-phased plan).",
     "scope": [{"column": "phase", "not_in": ["initiation"]}],
     "require": [{"column": "budget", "op": ">", "value": 0},
                 {"has_rows": "financials", "where": [{"column": "planned_value", "op": ">", "value": 0}]}]},
    {"id": "status_current", "table": "projects", "severity": "major", "threshold": 35,
     "text": "Every project's status is updated within 35 days of the status date.",
     "require": [{"column": "last_updated", "within_days": "$threshold"}]},
    {"id": "risk_owner", "table": "risks", "severity": "minor",
     "text": "Every open risk has a named owner.",
     "scope": [{"column": "open", "op": "==", "value": True}],
     "require": [{"column": "owner", "present": True}]},
    {"id": "high_risk_response", "table": "risks", "severity": "major", "threshold": 15,
     "text": "Every open risk scored 15 or more has a response and a response due date not passed.",
     "scope": [{"column": "open", "op": "==", "value": True}, {"column": "score", "op": ">=", "value": "$threshold"}],
     "require": [{"column": "response", "present": True}, {"column": "response_due", "present": True},
                 {"column": "response_due", "op": ">=", "value": STATUS_DATE}]},
    {"id": "key_milestone_forecast", "table": "milestones", "severity": "minor",
     "text": "Every key milestone has a forecast or an actual date.",
     "scope": [{"column": "key_milestone", "op": "==", "value": True}],
     "require": [{"any": [{"column": "forecast_date", "present": True}, {"column": "actual_date", "present": True}]}]},
    {"id": "financials_booked", "table": "projects", "severity": "minor",
     "text": "Every project in execution has financials booked for every month since its baseline start.",
     "scope": [{"column": "phase", "in": ["execution", "closing"]}],
     "require": [{"every_month": "financials", "since": "baseline_start"}]},
    {"id": "issue_escalated", "table": "issues", "severity": "major", "threshold": 90,
     "text": "Every issue open more than 90 days is escalated (severity high or critical) or closed.",
     "scope": [{"column": "open", "op": "==", "value": True}, {"column": "age_days", "op": ">", "value": "$threshold"}],
     "require": [{"column": "severity", "in": ["high", "critical"]}]},
)


def _err(key: str, msg: str, path: str | None) -> ConfigError:
    where = f" in {path}" if path else ""
    return ConfigError(f"config key {key!r}{where}: {msg}", key=key, path=path)


def _int(value: Any, key: str, path: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer() or value < 0:
        raise _err(key, f"expected a whole number of days (0 or more), got {value!r}", path)
    return int(value)


def _scalar(value: Any, kind: str, key: str, path: str | None) -> Any:
    """A comparison value checked against the column's kind."""
    if kind == "date":
        if value == STATUS_DATE:
            return value
        try:
            return dt.date.fromisoformat(str(value)) if not isinstance(value, dt.date) else value
        except ValueError:
            raise _err(key, f"a date column is compared with a YYYY-MM-DD date or {STATUS_DATE!r}, got {value!r}",
                       path) from None
    if kind in ("int", "money", "ratio"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _err(key, f"a number column is compared with a number, got {value!r}", path)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _err(key, f"a true/false column is compared with true or false, got {value!r}", path)
        return value
    if isinstance(value, Mapping | list):
        raise _err(key, f"expected a single value, got {value!r}", path)
    return str(value).strip().lower()  # text is compared trimmed and case-insensitive


def _column(raw: Mapping[str, Any], table: str, key: str, path: str | None) -> str:
    if "column" not in raw:
        raise _err(key, "this condition needs a column = \"...\"", path)
    column = raw["column"]
    if not isinstance(column, str) or column not in columns_of(table):
        raise _err(f"{key}.column", f"{column!r} is not a column of {table}; its columns are "
                   f"{', '.join(columns_of(table))}", path)
    return column


def parse_condition(raw: Any, table: str, key: str, path: str | None = None) -> Condition:
    """One condition of the vocabulary on a row of ``table``; ``key`` names it in errors."""
    if not isinstance(raw, Mapping):
        raise _err(key, 'expected a condition such as { column = "owner", present = true }', path)
    ops = [k for k in raw if k in _OPERATORS]
    if len(ops) != 1:
        extra = [k for k in raw if k not in _OPERATORS + ("column", "value", "other", "offset_days", "where", "since")]
        detail = f"unknown operator {extra[0]!r}" if extra else f"got {ops or 'none'}"
        raise _err(key, f"{detail}: give exactly one of {', '.join(_OPERATORS)}", path)
    op = ops[0]
    allowed = {"present": {"column"}, "op": {"column", "value", "other", "offset_days"}, "in": {"column"},
               "not_in": {"column"}, "within_days": {"column"}, "older_than_days": {"column"},
               "has_rows": {"where"}, "every_month": {"since"}, "any": set()}[op] | {op}
    for k in raw:
        if k not in allowed:
            raise _err(f"{key}.{k}", f"not used with {op!r} (its keys are {', '.join(sorted(allowed))})", path)
    if op == "any":
        items = raw["any"]
        if not isinstance(items, list) or not items:
            raise _err(f"{key}.any", "expected a list of conditions, one of which must hold", path)
        return Condition("any", where=tuple(parse_condition(c, table, f"{key}.any[{i}]", path)
                                            for i, c in enumerate(items)), key=key)
    if op == "has_rows":
        other = raw["has_rows"]
        if other not in GUIDELINE_TABLES:
            raise _err(f"{key}.has_rows", f"unknown table {other!r}; tables are {', '.join(GUIDELINE_TABLES)}", path)
        where = raw.get("where", [])
        if not isinstance(where, list):
            raise _err(f"{key}.where", "expected a list of conditions", path)
        return Condition("has_rows", table=other, key=key, where=tuple(
            parse_condition(c, other, f"{key}.where[{i}]", path) for i, c in enumerate(where)))
    if op == "every_month":
        other = raw["every_month"]
        if other not in GUIDELINE_TABLES or "period" not in TABLES[other].column_names:
            raise _err(f"{key}.every_month", f"expected a table with a period column (financials), got {other!r}",
                       path)
        since = raw.get("since")
        if not isinstance(since, str) or since not in columns_of(table) or column_kind(table, since) != "date":
            dates = [c for c in columns_of(table) if column_kind(table, c) == "date"]
            raise _err(f"{key}.since", f"expected a date column of {table} ({', '.join(dates)}), got {since!r}", path)
        return Condition("every_month", table=other, since=since, key=key)
    column = _column(raw, table, key, path)
    kind = column_kind(table, column)
    if op == "present":
        if not isinstance(raw["present"], bool):
            raise _err(f"{key}.present", f"expected true or false, got {raw['present']!r}", path)
        return Condition("present", column=column, value=raw["present"], key=key)
    if op in ("in", "not_in"):
        values = raw[op]
        if not isinstance(values, list) or not values:
            raise _err(f"{key}.{op}", f"expected a list of values, got {values!r}", path)
        return Condition(op, column=column, key=key, values=tuple(
            _scalar(v, kind, f"{key}.{op}", path) for v in values))
    if op in ("within_days", "older_than_days"):
        if kind != "date":
            raise _err(f"{key}.{op}", f"{column!r} is not a date column", path)
        return Condition(op, column=column, days=_int(raw[op], f"{key}.{op}", path), key=key)
    cmp = raw["op"]
    if cmp not in COMPARISONS:
        raise _err(f"{key}.op", f"unknown operator {cmp!r}; use one of {', '.join(COMPARISONS)}", path)
    if ("value" in raw) == ("other" in raw):
        raise _err(key, "a comparison takes value = ... or other = \"<column>\", one of the two", path)
    offset = raw.get("offset_days", 0)
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise _err(f"{key}.offset_days", f"expected a whole number of days (negative: before), got {offset!r}", path)
    if "other" in raw:
        other_col = _column({"column": raw["other"]}, table, f"{key}.other", path)
        return Condition("op", column=column, cmp=cmp, other=other_col, offset_days=offset, key=key)
    value = _scalar(raw["value"], kind, f"{key}.value", path)
    if offset and value != STATUS_DATE:
        raise _err(f"{key}.offset_days", f"only used with value = {STATUS_DATE!r}", path)
    return Condition("op", column=column, cmp=cmp, value=value, offset_days=offset, key=key)


def _substitute(raw: Any, threshold: Any) -> Any:
    if raw == "$threshold":
        return threshold
    if isinstance(raw, Mapping):
        return {k: _substitute(v, threshold) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_substitute(v, threshold) for v in raw]
    return raw


def _conditions(raw: Any, table: str, key: str, path: str | None) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        raise _err(key, "expected a list of conditions, e.g. [{ column = \"owner\", present = true }]", path)
    return tuple(parse_condition(c, table, f"{key}[{i}]", path) for i, c in enumerate(raw))


def _table(raw: Mapping[str, Any], key: str, path: str | None) -> str:
    table = raw.get("table")
    if table not in GUIDELINE_TABLES:
        raise _err(f"{key}.table", f"unknown table {table!r}; tables are {', '.join(GUIDELINE_TABLES)}", path)
    return str(table)


def _ident(raw: Mapping[str, Any], key: str, path: str | None) -> str:
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise _err(f"{key}.id", f"expected an id of lower-case letters, digits and _ (e.g. business_case), "
                   f"got {ident!r}", path)
    return ident


_GUIDELINE_KEYS = {"id", "text", "table", "scope", "require", "severity", "enabled", "threshold"}


def _guideline(raw: Mapping[str, Any], base: Mapping[str, Any] | None, key: str, path: str | None) -> Guideline:
    for k in raw:
        if k not in _GUIDELINE_KEYS:
            raise _err(f"{key}.{k}", f"unknown key; known keys here are: {', '.join(sorted(_GUIDELINE_KEYS))}",
                       path)
    merged = {**(base or {}), **raw}
    ident = _ident(merged, key, path)
    if "threshold" in raw and (base is None or "threshold" not in base):
        raise _err(f"{key}.threshold", "only the built-in guidelines with a number in their text take a "
                   "threshold (status_current, high_risk_response, issue_escalated)", path)
    threshold = merged.get("threshold")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
            raise _err(f"{key}.threshold", f"expected a number, got {threshold!r}", path)
        if base is not None and "threshold" in raw and "text" not in raw:
            merged["text"] = str(base["text"]).replace(str(base["threshold"]), f"{threshold:g}")
        merged = _substitute(merged, int(threshold) if float(threshold).is_integer() else threshold)
    table = _table(merged, key, path)
    text = merged.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _err(f"{key}.text", "expected the guideline as readers see it", path)
    if "require" not in merged:
        raise _err(f"{key}.require", "a guideline needs require = [ conditions every applicable row meets ]", path)
    severity = merged.get("severity", "major")
    if severity not in ("major", "minor"):
        raise _err(f"{key}.severity", f"expected major or minor, got {severity!r}", path)
    enabled = merged.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _err(f"{key}.enabled", f"expected true or false, got {enabled!r}", path)
    return Guideline(
        id=ident, text=text.strip(), table=table, severity=severity, enabled=enabled, builtin=base is not None,
        scope=_conditions(merged.get("scope", []), table, f"{key}.scope", path),
        require=_conditions(merged["require"], table, f"{key}.require", path),
        threshold=None if threshold is None else float(threshold))


def parse_guidelines(raw: Any, path: str | None = None) -> tuple[Guideline, ...]:
    """The built-in guidelines, changed by ``[[guidelines]]`` entries of the same id, then the PMO's own."""
    if not isinstance(raw, list) or not all(isinstance(g, Mapping) for g in raw):
        raise _err("guidelines", "expected [[guidelines]] entries", path)
    builtins = {g["id"]: g for g in BUILTIN_GUIDELINES}
    seen: set[str] = set()
    overrides: dict[str, Guideline] = {}
    own: list[Guideline] = []
    for i, entry in enumerate(raw):
        key = f"guidelines[{i}]"
        ident = _ident(entry, key, path)
        if ident in seen:
            raise _err(f"{key}.id", f"guideline {ident!r} is declared twice", path)
        seen.add(ident)
        parsed = _guideline(entry, builtins.get(ident), key, path)
        if ident in builtins:
            overrides[ident] = parsed
        else:
            own.append(parsed)
    out = [overrides.get(g["id"]) or _guideline({}, g, f"guidelines.{g['id']}", None) for g in BUILTIN_GUIDELINES]
    return tuple(out + own)


_MEASURE_KEYS = {"id", "label", "table", "filter", "where", "compute", "column", "level", "target", "green", "amber",
                 "direction"}


def _optional_number(raw: Mapping[str, Any], k: str, key: str, path: str | None) -> float | None:
    if k not in raw:
        return None
    v = raw[k]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise _err(f"{key}.{k}", f"expected a number, got {v!r}", path)
    return float(v)


def parse_measures(raw: Any, path: str | None = None) -> tuple[Measure, ...]:
    """The ``[[measures]]`` entries, each checked against the data model."""
    if not isinstance(raw, list) or not all(isinstance(m, Mapping) for m in raw):
        raise _err("measures", "expected [[measures]] entries", path)
    out: list[Measure] = []
    for i, entry in enumerate(raw):
        key = f"measures[{i}]"
        for k in entry:
            if k not in _MEASURE_KEYS:
                raise _err(f"{key}.{k}", f"unknown key; known keys here are: {', '.join(sorted(_MEASURE_KEYS))}",
                           path)
        ident = _ident(entry, key, path)
        if any(m.id == ident for m in out):
            raise _err(f"{key}.id", f"measure {ident!r} is declared twice", path)
        table = _table(entry, key, path)
        compute = entry.get("compute")
        if compute not in ("count", "share", "sum", "mean"):
            raise _err(f"{key}.compute", f"expected count, share, sum or mean, got {compute!r}", path)
        column = entry.get("column")
        if compute in ("sum", "mean"):
            column = _column(entry, table, key, path)
            if column_kind(table, column) not in ("int", "money", "ratio"):
                raise _err(f"{key}.column", f"{column!r} is not a number column: {compute} needs one", path)
        elif column is not None:
            raise _err(f"{key}.column", f"not used with compute = {compute!r}", path)
        if compute == "share" and "where" not in entry:
            raise _err(f"{key}.where", "a share needs where = [ conditions the counted rows meet ]", path)
        if compute != "share" and "where" in entry:
            raise _err(f"{key}.where", "only a share takes where (use filter for the rows counted)", path)
        level = entry.get("level", "project")
        if level not in ("project", "program", "portfolio"):
            raise _err(f"{key}.level", f"expected project, program or portfolio, got {level!r}", path)
        direction = entry.get("direction", "higher")
        if direction not in ("higher", "lower"):
            raise _err(f"{key}.direction", f"expected higher or lower (which is better), got {direction!r}", path)
        green, amber = (_optional_number(entry, k, key, path) for k in ("green", "amber"))
        if (green is None) != (amber is None):
            raise _err(f"{key}.{'amber' if amber is None else 'green'}", "give both green and amber thresholds",
                       path)
        if green is not None and amber is not None and (amber > green if direction == "higher" else amber < green):
            raise _err(f"{key}.amber", f"with direction = {direction!r} amber ({amber:g}) must not be "
                       f"{'above' if direction == 'higher' else 'below'} green ({green:g})", path)
        label = entry.get("label", ident)
        if not isinstance(label, str) or not label.strip():
            raise _err(f"{key}.label", f"expected text, got {label!r}", path)
        out.append(Measure(
            id=ident, label=label.strip(), table=table, compute=compute, column=column, level=level,
            filter=_conditions(entry.get("filter", []), table, f"{key}.filter", path),
            where=_conditions(entry.get("where", []), table, f"{key}.where", path),
            target=_optional_number(entry, "target", key, path), green=green, amber=amber, direction=direction))
    return tuple(out)


DEFAULT_GUIDELINES: tuple[Guideline, ...] = parse_guidelines([])
"""The built-in set as parsed: what ``Config().guidelines`` holds."""
