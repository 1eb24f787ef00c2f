"""Coercion: each cell to its column's kind, with the rule it breaks (in plain words) when it does not fit.

``COERCERS`` maps a column kind of ``pmo_nb.schema`` (``money``, ``date``, ``text``, ...) to a function taking the
raw column (text from CSV, typed values from Excel/Parquet/SQL) and returning the typed values and, per bad row,
the rule broken. The original cells are kept by the caller so findings quote what the user wrote.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pmo_nb.config import Config
from pmo_nb.schema import Column

__all__ = ["COERCERS", "Coerced", "NA_WORDS", "DATE_RULE", "PERIOD_RULE", "RANGE_RULE", "NUL_RULE", "FIRST_DATE",
           "LAST_DATE", "NO_DATE_PLACEHOLDER", "close_bidi", "is_blank", "normalise_text"]

NA_WORDS = frozenset(
    {"n/a", "na", "#n/a", "null", "none", "-", "--", "tbd", "tbc", "?", "nan", "n.a.", "#value!"}
)
DATE_RULE = "must be a date YYYY-MM-DD, e.g. 2026-12-31"
PERIOD_RULE = "must be a month YYYY-MM, e.g. 2026-03"
BOOL_RULE = "must be true or false (also yes/no, y/n, 1/0)"
INT_RULE = "must be a whole number"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_MIDNIGHT = r"(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?"
_ISO_TIME = re.compile(_ISO_DATE + r"[T ][0-9]{2}:[0-9]{2}.*")
_SERIAL = re.compile(r"[0-9]{5}(?:\.0*)?")
_DMY = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}")
_BOOLS = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "t": True,
    "f": False,
}
_CURRENCY = re.compile(r"[€$£¥₹]|\b(?:EUR|USD|GBP|CHF|JPY)\b", re.IGNORECASE)


@dataclass
class Coerced:
    """A column coerced to its kind: values (working dtype), per bad cell the rule it breaks, and per cell
    that was read with a change the user should know of (a control character replaced, a placeholder date
    read as no date) a warning."""

    values: pd.Series
    problems: pd.Series  # str rule per bad row (index = row number), empty when all cells are fine
    notes: dict[Any, str] = field(default_factory=dict)  # row -> warning


# The dates pandas can compute with (nanosecond timestamps): 1677-09-22 to 2262-04-11.
FIRST_DATE = (pd.Timestamp.min + pd.Timedelta(days=1)).normalize().date()
LAST_DATE = pd.Timestamp.max.normalize().date()
NO_DATE_PLACEHOLDER = dt.date(9999, 12, 31)
"""The common "no end date" placeholder: read as an empty cell in an optional date column (with a warning)."""
RANGE_RULE = (f"is outside the dates pmo-nb can compute with ({FIRST_DATE.isoformat()} to "
              f"{LAST_DATE.isoformat()}): correct the date, or leave the cell empty when there is none")


def _strip(raw: pd.Series) -> pd.Series:
    """Text cells stripped of surrounding spaces; missing for cells that are not text (vectorised)."""
    if isinstance(raw.dtype, pd.StringDtype):
        return raw.str.strip()
    if raw.dtype == object:
        try:
            return raw.str.strip()
        except AttributeError:  # no text at all in the column
            pass
    return pd.Series(np.nan, index=raw.index, dtype=object)


def is_blank(raw: pd.Series) -> np.ndarray:
    return raw.isna().to_numpy(dtype=bool) | _strip(raw).eq("").fillna(False).to_numpy(dtype=bool)


def _split(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split a column into stripped text cells and other (typed) cells; missing cells are dropped.

    Text from CSV stays an Arrow string column so that the string operations are vectorised.
    """
    stripped = _strip(raw)
    is_text = stripped.notna().to_numpy(dtype=bool)
    nonempty = stripped.ne("").fillna(False).to_numpy(dtype=bool)
    text = stripped[is_text & nonempty]
    other = raw[~is_text & raw.notna().to_numpy(dtype=bool)]
    return text, other


def _money_pattern(thousands: str, decimal: str) -> re.Pattern[str]:
    d = re.escape(decimal)
    plain = rf"[+-]?(?:[0-9]+(?:{d}[0-9]*)?|{d}[0-9]+)(?:[eE][+-]?[0-9]+)?"
    if thousands:
        t = re.escape(thousands)
        return re.compile(rf"{plain}|[+-]?[0-9]{{1,3}}(?:{t}[0-9]{{3}})+(?:{d}[0-9]*)?")
    return re.compile(plain)


def _money_rule(value: str, config: Config, required: bool) -> str:
    sep, dec = config.ingest.thousands_separator, config.ingest.decimal
    if value.lower() in NA_WORDS:
        return (
            "is required: give the amount as a number"
            if required
            else "must be a number: leave the cell empty when there is no amount"
        )
    if value.endswith("%"):
        return "must be an amount, not a percentage"
    if _CURRENCY.search(value):
        return "must be a plain number, without a currency symbol or code"
    for cand in (",", ".", " ", "'", "\u00a0"):
        if (
            cand != sep
            and cand != dec
            and re.fullmatch(
                rf"[+-]?[0-9]{{1,3}}(?:{re.escape(cand)}[0-9]{{3}})+"
                rf"(?:{re.escape(dec)}[0-9]*)?",
                value,
            )
        ):
            return f'not a number; set [ingest] thousands_separator = "{cand}" if your file uses one'
    european = re.fullmatch(r"[+-]?[0-9]{1,3}(?:([. '\u00a0])[0-9]{3})+,[0-9]+", value)
    if dec != "," and european:
        return (f'not a number; set [ingest] decimal = "," and thousands_separator = "{european.group(1)}" if '
                f"your file writes numbers like {value}")
    if dec != "," and re.fullmatch(r"[+-]?[0-9]+,[0-9]+", value):
        return 'not a number; set [ingest] decimal = "," if your file uses decimal commas'
    return "must be a number"


def _coerce_money(raw: pd.Series, col: Column, config: Config) -> Coerced:
    text, other = _split(raw)
    values = pd.Series(np.nan, index=raw.index, dtype="float64")
    problems: dict[Any, str] = {}
    if len(text):
        sep, dec = config.ingest.thousands_separator, config.ingest.decimal
        ok = text.str.fullmatch(_money_pattern(sep, dec).pattern).astype(bool)
        good = text[ok]
        if sep:
            good = good.str.replace(sep, "", regex=False)
        if dec != ".":
            good = good.str.replace(dec, ".", regex=False)
        values.loc[good.index] = pd.to_numeric(good).astype("float64")
        for row, v in text[~ok].items():
            problems[row] = _money_rule(v, config, col.required)
    if len(other):
        if other.dtype.kind in "fiu":
            values.loc[other.index] = other.astype("float64")
        else:
            for row, v in other.items():
                if isinstance(v, int | float | np.integer | np.floating) and not isinstance(
                    v, bool | np.bool_
                ):
                    values.at[row] = float(v)
                else:
                    problems[row] = "must be a number"
    return Coerced(values, pd.Series(problems, dtype=object))


def _coerce_int(raw: pd.Series, col: Column, config: Config) -> Coerced:
    text, other = _split(raw)
    values = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    problems: dict[Any, str] = {}
    rule = (
        f"{INT_RULE} from {int(col.min)} to {int(col.max)}"
        if col.min is not None and col.max is not None
        else INT_RULE
    )
    if len(text):
        ok = text.str.fullmatch(r"[+-]?[0-9]{1,15}(?:\.0*)?").astype(bool)
        good = text[ok]
        values.loc[good.index] = pd.to_numeric(good).astype("int64")
        for row in text.index[~ok.to_numpy()]:
            problems[row] = rule
    if len(other):
        nums = pd.to_numeric(
            other.where(~other.map(lambda v: isinstance(v, bool | np.bool_)).astype(bool)), errors="coerce"
        )
        floats = nums.astype("float64")
        whole = nums.notna() & (floats == np.floor(floats)) & (floats.abs() < 2**53)
        values.loc[whole.index[whole.to_numpy()]] = nums[whole].astype("int64")
        for row in whole.index[~whole.to_numpy()]:
            problems[row] = rule
    return Coerced(values, pd.Series(problems, dtype=object))


def _coerce_bool(raw: pd.Series, col: Column, config: Config) -> Coerced:
    text, other = _split(raw)
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    problems: dict[Any, str] = {}
    if len(text):
        mapped = text.str.lower().map(_BOOLS)
        ok = mapped.notna()
        values.loc[mapped.index[ok.to_numpy()]] = mapped[ok].astype(bool)
        for row in mapped.index[~ok.to_numpy()]:
            problems[row] = BOOL_RULE
    for row, v in other.items():
        if isinstance(v, bool | np.bool_):
            values.at[row] = bool(v)
        elif isinstance(v, int | float | np.integer | np.floating) and v in (0, 1):
            values.at[row] = bool(v)
        else:
            problems[row] = BOOL_RULE
    return Coerced(values, pd.Series(problems, dtype=object))


def _date_rule(value: str) -> str:
    if value.lower() in NA_WORDS:
        return f"{DATE_RULE}; leave the cell empty when there is no date"
    if _ISO_TIME.fullmatch(value):
        return f"{DATE_RULE}, without a time of day"
    if _SERIAL.fullmatch(value):
        return (
            f"{DATE_RULE}; this looks like an Excel date serial number: format the column as a date "
            "before exporting"
        )
    if _DMY.fullmatch(value):
        return f"{DATE_RULE}; day/month order is ambiguous, so write dates as YYYY-MM-DD"
    if re.fullmatch(_ISO_DATE, value):
        return "is not a real date: check day and month"
    return DATE_RULE


def _one_date(day: dt.date, col: Column) -> tuple[pd.Timestamp | None, str | None, str | None]:
    """A calendar date as (value, problem, note): out-of-range dates are a problem, the 9999-12-31
    placeholder reads as no date in an optional column."""
    if day == NO_DATE_PLACEHOLDER:
        if col.required:
            return None, f"9999-12-31 means no date, but {col.name} is required: give the real date", None
        return None, None, f"9999-12-31 read as no date ({col.name} is optional)"
    if not FIRST_DATE <= day <= LAST_DATE:
        return None, RANGE_RULE, None
    return pd.Timestamp(day), None, None


def _text_dates(text: pd.Series, config: Config) -> pd.Series:
    """Text in the ``[ingest] date_format`` (a strftime pattern or "dayfirst") as dates; NaT where it fails."""
    fmt = config.ingest.date_format
    if fmt == "dayfirst":
        from dateutil import parser  # type: ignore[import-untyped]

        def one(value: str) -> object:
            try:
                return parser.parse(value, dayfirst=True)
            except (ValueError, OverflowError):
                return pd.NaT

        parsed = text.astype(object).map(one)
    else:
        parsed = pd.Series([_strptime(v, fmt) for v in text.astype(object)], index=text.index, dtype=object)
    return parsed


def _strptime(value: str, fmt: str) -> object:
    try:
        return dt.datetime.strptime(value, fmt)
    except ValueError:
        return pd.NaT


def _coerce_date(raw: pd.Series, col: Column, config: Config) -> Coerced:
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    problems: dict[Any, str] = {}
    notes: dict[Any, str] = {}
    if raw.dtype.kind == "M":
        stamps = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        try:
            return Coerced(stamps.dt.normalize().astype("datetime64[ns]"), pd.Series(problems, dtype=object))
        except (OverflowError, pd.errors.OutOfBoundsDatetime):  # a coarser unit holding dates beyond 2262
            raw = pd.Series(np.asarray(stamps.to_numpy()).astype("datetime64[D]").astype(object),
                            index=raw.index, dtype=object)
    text, other = _split(raw)
    if len(text):
        shaped = text.str.fullmatch(_ISO_DATE + _MIDNIGHT).astype(bool)
        parsed = pd.to_datetime(text[shaped].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        # pandas may parse into a coarser unit than nanoseconds: dates beyond its range go the slow way below
        ok = parsed.notna() & (parsed >= pd.Timestamp(FIRST_DATE)) & (parsed <= pd.Timestamp(LAST_DATE))
        values.loc[parsed.index[ok.to_numpy()]] = parsed[ok].astype("datetime64[ns]")
        rest = text[~shaped]
        if config.ingest.date_format and len(rest):
            other_form = _text_dates(rest, config)
            for row, v in other_form.items():
                if v is pd.NaT or v is None:
                    problems[row] = (f"must be a date in the [ingest] date_format ({config.ingest.date_format}) "
                                     "or YYYY-MM-DD")
                    continue
                value, problem, note = _one_date(v.date() if isinstance(v, dt.datetime) else v, col)
                _place(row, value, problem, note, values, problems, notes)
        else:
            for row, v in rest.items():
                problems[row] = _date_rule(v)
        for row in parsed.index[~ok.to_numpy()]:
            v = str(text.at[row])
            try:
                day = dt.date(int(v[:4]), int(v[5:7]), int(v[8:10]))
            except ValueError:
                problems[row] = _date_rule(v)
                continue
            value, problem, note = _one_date(day, col)
            _place(row, value, problem, note, values, problems, notes)
    for row, v in other.items():
        if isinstance(v, dt.datetime | dt.date):
            if isinstance(v, dt.datetime) and v.tzinfo is not None:
                v = v.replace(tzinfo=None)
            value, problem, note = _one_date(v.date() if isinstance(v, dt.datetime) else v, col)
            _place(row, value, problem, note, values, problems, notes)
        elif isinstance(v, np.datetime64):
            if np.isnat(v):
                continue
            try:
                as_date: object = v.astype("datetime64[D]").astype(object)
            except (ValueError, OverflowError):
                as_date = None
            if isinstance(as_date, dt.date):
                _place(row, *_one_date(as_date, col), values, problems, notes)
            else:
                problems[row] = RANGE_RULE
        elif isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
            problems[row] = f"{DATE_RULE}: this cell holds a number, not a date; format the cells as dates"
        else:
            problems[row] = DATE_RULE
    return Coerced(values, pd.Series(problems, dtype=object), notes)


def _place(row: Any, value: pd.Timestamp | None, problem: str | None, note: str | None, values: pd.Series,
           problems: dict[Any, str], notes: dict[Any, str]) -> None:
    if problem:
        problems[row] = problem
    elif value is not None:
        values.at[row] = value
    if note:
        notes[row] = note


def _coerce_period(raw: pd.Series, col: Column, config: Config) -> Coerced:
    values = pd.Series(np.nan, index=raw.index, dtype=object)
    problems: dict[Any, str] = {}
    if raw.dtype.kind == "M":
        raw = raw.astype(object)
    text, other = _split(raw)
    if len(text):
        ok = text.str.fullmatch(r"[0-9]{4}-(?:0[1-9]|1[0-2])").astype(bool)
        values.loc[text.index[ok.to_numpy()]] = text[ok]
        for row, v in text[~ok].items():
            rule = PERIOD_RULE
            if re.fullmatch(_ISO_DATE + _MIDNIGHT, v):
                rule = f"{PERIOD_RULE} (a month, not a date)"
            problems[row] = rule
    for row, v in other.items():
        # Excel turns a typed 2026-03 into the date 2026-03-01: accept first-of-month dates
        if isinstance(v, dt.datetime | dt.date | np.datetime64):
            day = v.astype("datetime64[s]").astype(object) if isinstance(v, np.datetime64) else v
            if isinstance(day, dt.date) and day.day == 1 and (
                    not isinstance(day, dt.datetime) or day.time() == dt.time(0)):
                values.at[row] = f"{day.year:04d}-{day.month:02d}"
                continue
            problems[row] = f"{PERIOD_RULE} (a month, not a date)"
        else:
            problems[row] = PERIOD_RULE
    return Coerced(values, pd.Series(problems, dtype=object))


def _id_text(v: object) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime) and v == dt.datetime(v.year, v.month, v.day):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


# Explicit direction controls: embeddings/overrides (LRE RLE LRO RLO) end at PDF, isolates (LRI RLI FSI) at PDI.
_BIDI_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
_BIDI_ISOLATES = frozenset("\u2066\u2067\u2068")
_BIDI_PDF, _BIDI_PDI = "\u202c", "\u2069"
_BIDI_CONTROLS = "[\u202a-\u202e\u2066-\u2069]"


def close_bidi(text: str) -> str:
    """Close, at the end of ``text``, every explicit direction control it opens and leaves open.

    A name holding a stray RIGHT-TO-LEFT OVERRIDE (U+202E) would otherwise reverse whatever a report prints
    after it on the same line ("Manager X · October 2026" shown as "... 6202 rebotcO"). The value reads the
    same; only the invisible closing marks (PDF U+202C, PDI U+2069) are added.
    """
    stack: list[str] = []
    for ch in text:
        if ch in _BIDI_EMBEDDINGS or ch in _BIDI_ISOLATES:
            stack.append(ch)
        elif ch == _BIDI_PDF:
            if stack and stack[-1] in _BIDI_EMBEDDINGS:
                stack.pop()
        elif ch == _BIDI_PDI and any(c in _BIDI_ISOLATES for c in stack):
            while stack.pop() not in _BIDI_ISOLATES:  # PDI also ends the embeddings inside the isolate
                pass
    return text + "".join(_BIDI_PDI if c in _BIDI_ISOLATES else _BIDI_PDF for c in reversed(stack))


def _close_bidi(text: pd.Series) -> pd.Series:
    has = text.str.contains(_BIDI_CONTROLS, regex=True).to_numpy(dtype=bool, na_value=False)
    if not has.any():
        return text
    text = text.astype(object)
    text[has] = [close_bidi(v) for v in text[has]]
    return text


_LINE_BREAKS = re.compile("\r\n?")
_CONTROLS = "[\x01-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]"
NUL_RULE = ("holds a NUL character (\\x00), which is never text: remove it (a file saved as UTF-16 and read as "
            "UTF-8, or a corrupt export)")


def normalise_text(value: str) -> str:
    """``value`` with line breaks as ``\\n`` and every other control character, and the Unicode line and
    paragraph separators, replaced by a space (tab and newline are kept)."""
    return re.sub(_CONTROLS, " ", _LINE_BREAKS.sub("\n", value))


def _normalise(text: pd.Series) -> tuple[pd.Series, dict[Any, str], dict[Any, str]]:
    """Text cells normalised (see ``normalise_text``), with a problem per NUL cell and a note per changed cell."""
    problems: dict[Any, str] = {}
    notes: dict[Any, str] = {}
    has = text.str.contains(_CONTROLS + "|\r|\x00", regex=True).to_numpy(dtype=bool, na_value=False)
    if not has.any():
        return text, problems, notes
    text = text.astype(object)
    for row, value in text[has].items():
        if "\x00" in value:
            problems[row] = NUL_RULE
            continue
        found = sorted({f"U+{ord(c):04X}" for c in re.findall(_CONTROLS, _LINE_BREAKS.sub("\n", value))})
        text.at[row] = normalise_text(value).strip()
        if found:
            notes[row] = f"control character{'s' if len(found) > 1 else ''} {', '.join(found)} replaced by a space"
    return text, problems, notes


def _coerce_text(raw: pd.Series, col: Column, config: Config) -> Coerced:
    text, other = _split(raw)
    problems: dict[Any, str] = {}
    notes: dict[Any, str] = {}
    if len(text):
        text, problems, notes = _normalise(text)
        text = text.drop(index=list(problems)) if problems else text
        text = _close_bidi(text)
    values = pd.Series(np.nan, index=raw.index, dtype=object)
    if len(text):
        values.loc[text.index] = (text.str.lower() if col.kind == "choice" else text).to_numpy(dtype=object)
    if len(other):
        conv = other.map(_id_text).astype(object).str.strip()
        values.loc[conv.index] = (conv.str.lower() if col.kind == "choice" else conv).to_numpy(dtype=object)
    return Coerced(values, pd.Series(problems, dtype=object), notes)


COERCERS: dict[str, Callable[[pd.Series, Column, Config], Coerced]] = {
    "id": _coerce_text,
    "text": _coerce_text,
    "choice": _coerce_text,
    "money": _coerce_money,
    "int": _coerce_int,
    "bool": _coerce_bool,
    "date": _coerce_date,
    "period": _coerce_period,
}

