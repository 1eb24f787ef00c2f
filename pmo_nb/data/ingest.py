"""Ingest: read a portfolio from a CSV folder, Excel workbook, Parquet folder or SQL database.

``load(source)`` returns the validated ``Portfolio`` whatever the source::

    load("data/sample")                    # folder of projects.csv, programs.csv, ... (or .parquet)
    load("portfolio.xlsx")                 # one sheet per table
    load("sqlite:///pmo.db")               # any SQLAlchemy URL: one table per table

Reading happens in three steps, each reporting problems the way the user sees their file:

1. a *reader* (one per source kind, in the ``READERS`` registry; add one with ``register``) returns
   each table's headers and cells, and the row numbers a spreadsheet would show;
2. headers are matched to the data model (case/space-insensitive, ``[columns]`` mapping in
   pmo.toml) and each cell is coerced to its column's kind, keeping the original text for findings;
3. ``pmo_nb.data.validate`` checks every rule; any finding raises ``DataValidationError``.

A source that cannot be read at all (missing folder or table, empty file or one above
``[ingest] max_file_mb``, bad encoding, stray quote, missing required column, unreachable database)
raises ``SourceError``. The source is never modified.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_nb.config import Config, load_config, normalise_header
from pmo_nb.data.model import Portfolio, empty_table
from pmo_nb.data.validate import TableData, finalise, show_value, validate, working_dtype
from pmo_nb.exceptions import DataValidationError, Finding, SourceError
from pmo_nb.schema import TABLE_NAMES, TABLES, Column, Table

# --------------------------------------------------------------------------------------------
# What readers return
# --------------------------------------------------------------------------------------------


@dataclass
class RawTable:
    """One table exactly as a reader found it.

    ``cells`` has one column per header, positionally (columns 0..n-1, so that duplicate headers
    survive); its index is the row number a spreadsheet shows (header = row 1). Text sources (CSV)
    give strings; typed sources (Excel, Parquet, SQL) give Python/numpy values.
    """

    name: str
    source: str
    headers: list[str]
    cells: pd.DataFrame


@dataclass
class RawSource:
    """What a reader found: the tables present and, for each absent one, where it looked."""

    label: str
    tables: dict[str, RawTable]
    looked_for: dict[str, str] = field(default_factory=dict)  # table -> "projects.csv or projects.parquet"
    where: str = ""  # "in data/ (its files are: ...)", closes the "not found" message


Reader = Callable[[str, Config], RawSource]
READERS: dict[str, Reader] = {}


def register(kind: str, reader: Reader) -> None:
    """Add (or replace) the reader for a source kind, e.g. ``register("csv", read_csv_folder)``."""
    READERS[kind] = reader


def reader_for(kind: str) -> Reader:
    """The reader registered for ``kind``; ``SourceError`` naming the known kinds otherwise."""
    try:
        return READERS[kind]
    except KeyError:
        known = ", ".join(sorted(READERS))
        raise SourceError(f"unknown source kind {kind!r}: known kinds are {known}") from None


EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_DTYPE = pd.StringDtype("pyarrow")  # CSV cells are read as text first, coerced afterwards
FOLDER_SUFFIXES = (".csv", ".parquet")


def detect_kind(source: str | Path) -> str:
    """Which reader handles ``source``: ``sql`` for a URL, ``excel`` for a workbook, else a folder kind."""
    text = str(source)
    if "://" in text or re.match(r"^[a-z][a-z0-9+]*:///?", text):
        return "sql"
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in (".xls", ".xlsb", ".ods"):
        raise SourceError(
            f"{path.name}: {suffix} workbooks are not supported: save it as .xlsx "
            "(File > Save As > Excel Workbook)",
            path=text,
        )
    if not path.exists():
        raise SourceError(
            f"{text} not found: give a folder of CSV or Parquet files, an .xlsx workbook "
            "or a database URL such as sqlite:///pmo.db",
            path=text,
        )
    if path.is_file():
        raise SourceError(
            f"{text} is a file, not a folder: give the folder that holds projects.csv, "
            "programs.csv, ... (or an .xlsx workbook, or a database URL)",
            path=text,
        )
    files = _table_files(path)
    kinds = {f.suffix.lower() for found in files.values() for f in found}
    if kinds == {".parquet"}:
        return "parquet"
    return "csv" if kinds == {".csv"} else "folder"


# --------------------------------------------------------------------------------------------
# Folder of CSV / Parquet files
# --------------------------------------------------------------------------------------------


def _table_files(folder: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES:
            name = normalise_header(p.stem)
            if name in TABLES:
                files.setdefault(name, []).append(p)
    return files


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, name: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM) or UTF-16/32 with a BOM; refuse anything else.

    An 8-bit encoding (Latin-1, Windows-1252, ...) cannot be told apart from the others, so it is
    refused with the offset of the first byte that is not UTF-8 rather than guessed.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{name} starts with a {encoding.upper()} byte-order mark but byte "
                    f"{exc.start} is not valid {encoding.upper()}: save the file as UTF-8",
                    path=name,
                ) from None
    if data.startswith(b"PK\x03\x04"):
        raise SourceError(
            f"{name} is a zip file (an Excel workbook renamed?), not CSV text: export it as "
            "CSV UTF-8, or rename it .xlsx and load the workbook",
            path=name,
        )
    head = data[:4096]
    if head and head.count(b"\x00") > len(head) // 4:
        raise SourceError(
            f"{name} looks like UTF-16 text without a byte-order mark: save it as UTF-8", path=name
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex().upper()
        raise SourceError(
            f"{name} is not UTF-8: byte {exc.start} (0x{bad}) is not valid UTF-8, probably Latin-1 or "
            "Windows-1252: save the file as UTF-8 (in Excel: Save As > CSV UTF-8)",
            path=name,
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    if first.count(",") == 0:
        for sep in (";", "\t", "|"):
            if first.count(sep) > 0:
                return sep
    return ","


def read_csv_file(path: Path, table: str) -> RawTable:
    """Read one CSV file as text: every cell a string, row numbers as a spreadsheet shows them."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path} cannot be read: {exc.strerror}", path=str(path)) from None
    text = decode_text(data, name)
    if not text.strip():
        raise SourceError(
            f"{name} is empty: it needs at least a header row (see docs/data-model.md)", path=str(path)
        )
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=_delimiter(text),
            header=None,
            dtype=TEXT_DTYPE,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[-1]
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        eof = re.search(r"EOF inside string starting at row (\d+)", msg)
        if m and m.group(1) == "1":  # a title line above the real header
            first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
            msg = (
                f"its first row {first!r} has one cell but row {m.group(2)} has {m.group(3)}: the header "
                "must be the first row, so delete any title or blank rows above it"
            )
        elif m:
            msg = (
                f"row {m.group(2)} has {m.group(3)} cells but the header has {m.group(1)}: "
                "quote values that contain commas"
            )
        elif eof:  # the parser counts records from 0, the header being record 0
            msg = (
                f'a quote (") opens a cell in row {int(eof.group(1)) + 1} and is never closed: remove the '
                'stray quote, or double it ("") inside a quoted value'
            )
        raise SourceError(f"{name} is not valid CSV: {msg}", path=str(path)) from None
    cells = cells.fillna("")
    headers = [str(h) for h in cells.iloc[0].tolist()]
    body = cells.iloc[1:]
    body.index = pd.RangeIndex(2, 2 + len(body))
    body.columns = range(len(headers))
    _check_runaway_quote(body, headers, _delimiter(text), path)
    return RawTable(table, name, headers, body)


def _check_runaway_quote(body: pd.DataFrame, headers: list[str], sep: str, path: Path) -> None:
    """Refuse a file where a stray quote swallowed whole records into one multi-line cell.

    A quote that opens a cell and is closed only by some later quote parses without error, but the
    records in between become the text of one cell and every later cell shifts. A line inside a
    cell holding a whole record's worth of delimiters is that case, not a multi-line comment.
    """
    width = len(headers)
    if width < 4:
        return
    for col in body.columns:
        cells = body[col]
        multi = cells[cells.str.contains("\n", regex=False).fillna(False).astype(bool)]
        for row, value in multi.items():
            lines = str(value).split("\n")
            if any(line.count(sep) >= width - 1 for line in lines[1:]):
                later = f"{len(lines) - 1} line{'s' if len(lines) > 2 else ''}"
                raise SourceError(
                    f'{path.name} is not valid CSV: a quote (") at the start of row {row}, column '
                    f"{headers[col]!r} is closed only {later} further down, so whole records "
                    'ended up in one cell: remove the stray quote, or double it ("") inside a quoted value',
                    path=str(path),
                )


def read_parquet_file(path: Path, table: str) -> RawTable:
    """Read one Parquet file (typed columns)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt or non-Parquet file
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path.name} is not a readable Parquet file: {cause}", path=str(path)) from None
    headers = [str(c) for c in frame.columns]
    frame = frame.reset_index(drop=True)
    frame.columns = range(len(headers))
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return RawTable(table, path.name, headers, frame)


def check_file_size(path: Path, config: Config) -> None:
    """Refuse a file above ``[ingest] max_file_mb`` before reading it.

    Readers hold a whole file in memory (CSV text becomes several times its size once parsed), so
    a very large export would exhaust memory instead of failing with a message.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{path} cannot be read: {exc.strerror}", path=str(path)) from None
    limit = config.ingest.max_file_mb
    if size > limit * 2**20:
        raise SourceError(
            f"{path.name} is {size / 2**20:,.1f} MB, above the {limit} MB limit ([ingest] max_file_mb): "
            "load large data from a database (e.g. sqlite:///pmo.db), or raise max_file_mb in pmo.toml "
            "if this machine has several times that much memory free",
            path=str(path),
        )


_FILE_READERS: dict[str, Callable[[Path, str], RawTable]] = {
    ".csv": read_csv_file,
    ".parquet": read_parquet_file,
}


def _read_folder(source: str, suffixes: tuple[str, ...], config: Config) -> RawSource:
    folder = Path(source)
    if not folder.is_dir():
        raise SourceError(f"folder {source} not found: check the path", path=source)
    files = _table_files(folder)
    tables: dict[str, RawTable] = {}
    looked: dict[str, str] = {}
    for name in TABLE_NAMES:
        found = [f for f in files.get(name, []) if f.suffix.lower() in suffixes]
        if len(found) > 1:
            names = " and ".join(f.name for f in found)
            raise SourceError(
                f"{folder} has {names} for the {name} table: keep only one of them", path=str(folder)
            )
        if not found:
            looked[name] = " or ".join(f"{name}{s}" for s in suffixes)
            continue
        check_file_size(found[0], config)
        tables[name] = _FILE_READERS[found[0].suffix.lower()](found[0], name)
    return RawSource(str(folder), tables, looked, f"in {folder}")


def read_csv_folder(source: str, config: Config) -> RawSource:
    """Reader for a folder of CSV files named after the tables."""
    return _read_folder(source, (".csv",), config)


def read_parquet_folder(source: str, config: Config) -> RawSource:
    """Reader for a folder of Parquet files named after the tables."""
    return _read_folder(source, (".parquet",), config)


def read_folder(source: str, config: Config) -> RawSource:
    """Reader for a folder mixing CSV and Parquet files (one file per table)."""
    return _read_folder(source, FOLDER_SUFFIXES, config)


# --------------------------------------------------------------------------------------------
# Excel workbook
# --------------------------------------------------------------------------------------------


def read_excel(source: str, config: Config) -> RawSource:
    """Reader for an .xlsx/.xlsm workbook with one sheet per table (other sheets are ignored)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(source)
    name = path.name
    if not path.is_file():
        raise SourceError(f"workbook {source} not found: check the path", path=source)
    check_file_size(path, config)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(
            f"{name} is password-protected or an old .xls workbook: remove the password and save it as .xlsx",
            path=source,
        )
    if not magic:
        raise SourceError(f"{name} is empty (0 bytes): it is not an Excel workbook", path=source)
    if not magic.startswith(b"PK"):
        raise SourceError(
            f"{name} is not an Excel workbook (it looks like a text file, e.g. CSV renamed "
            ".xlsx): save it from Excel as .xlsx, or put it in a folder as a .csv",
            path=source,
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(
            f"{name} is not a readable Excel workbook ({cause}): open it in Excel and save it again as .xlsx",
            path=source,
        ) from None
    try:
        sheets: dict[str, str] = {}
        for sheet in wb.sheetnames:
            key = normalise_header(sheet)
            if key in TABLES and key in sheets:
                raise SourceError(
                    f"{name} has two sheets for the {key} table ({sheets[key]!r} and {sheet!r}): keep only one",
                    path=source,
                )
            sheets[key] = sheet
        tables: dict[str, RawTable] = {}
        looked: dict[str, str] = {}
        for table in TABLE_NAMES:
            sheet = sheets.get(table)
            if sheet is None:
                looked[table] = f"a sheet named {table}"
                continue
            tables[table] = _read_sheet(wb[sheet], table, f"{name}[{sheet}]")
        where = f"in {name} (its sheets are: {', '.join(wb.sheetnames)})"
    finally:
        wb.close()
    return RawSource(str(path), tables, looked, where)


def _read_sheet(ws: object, table: str, label: str) -> RawTable:
    header: list[str] | None = None
    rows: list[tuple] = []
    numbers: list[int] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        if header is None:
            if any(v is not None and str(v).strip() for v in values):
                header = ["" if v is None else str(v) for v in values]
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rows.append(values)
        numbers.append(number)
    if header is None:
        raise SourceError(f"sheet {label} is empty: it needs a header row", path=label)
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    data = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    cells = pd.DataFrame(data or None, columns=list(range(width)), index=numbers, dtype=object)
    return RawTable(table, label, header, cells)


# --------------------------------------------------------------------------------------------
# SQL database
# --------------------------------------------------------------------------------------------


DRIVER_PACKAGES = {"MySQLdb": "mysqlclient", "psycopg2": "psycopg2-binary", "cx_Oracle": "oracledb"}


def read_sql(source: str, config: Config) -> RawSource:
    """Reader for a SQLAlchemy URL: one database table (or view) per table, names case-insensitive."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        url = make_url(source)
    except ArgumentError:
        raise SourceError(
            f"{source!r} is not a database URL: use e.g. sqlite:///pmo.db or postgresql://user@host/db"
        ) from None
    shown = url.render_as_string(hide_password=True)
    label = shown
    connect_args: dict[str, object] = {}
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        if not db or db == ":memory:":
            raise SourceError(
                f"{shown}: an in-memory SQLite database has no tables: give a file, e.g. sqlite:///pmo.db",
                path=shown,
            )
        if not Path(db).is_file():
            raise SourceError(f"database file {db} not found: check the path in {shown}", path=shown)
        label = Path(db).name
        # open read-only so that reading never creates or changes the file
        import sqlite3

        uri = Path(db).resolve().as_uri() + "?mode=ro"

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True)

        connect_args["creator"] = creator
    try:
        engine = sa.create_engine(url, **connect_args)
    except NoSuchModuleError:
        raise SourceError(
            f"{shown}: no SQLAlchemy dialect for {url.drivername!r}: check the URL scheme", path=shown
        ) from None
    except ImportError as exc:
        raise SourceError(
            f"{shown}: the database driver is not installed ({exc.name}): install it with "
            f"pip install {DRIVER_PACKAGES.get(str(exc.name), exc.name)}",
            path=shown,
        ) from None
    except ArgumentError as exc:
        raise SourceError(f"{shown}: bad database URL ({str(exc).splitlines()[0]})", path=shown) from None
    tables: dict[str, RawTable] = {}
    looked: dict[str, str] = {}
    where = ""
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = list(inspector.get_table_names()) + list(inspector.get_view_names())
            where = f"in {shown} (its tables are: {', '.join(names) or 'none'})"
            by_name = {normalise_header(n): n for n in names}
            for table in TABLE_NAMES:
                actual = by_name.get(table)
                if actual is None:
                    looked[table] = f"a table named {table}"
                    continue
                query = sa.select(sa.text("*")).select_from(sa.table(actual))
                frame = pd.read_sql_query(query, conn)
                headers = [str(c) for c in frame.columns]
                frame.columns = range(len(headers))
                frame.index = pd.RangeIndex(2, 2 + len(frame))
                tables[table] = RawTable(table, f"{label}[{actual}]", headers, frame)
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        cause = cause.replace(url.password or "\0", "***") if url.password else cause
        raise SourceError(f"cannot read the database {shown}: {cause}{_sql_hint(cause)}", path=shown) from None
    finally:
        engine.dispose()
    return RawSource(label, tables, looked, where)


_SQL_HINTS = (
    (re.compile(r"connection refused|could not connect|timeout expired|timed out|no route to host", re.I),
     "check that the server is running and that the host and port in the URL are right"),
    (re.compile(r"password authentication failed|no password supplied|authentication failed", re.I),
     "check the user name and password in the URL"),
    (re.compile(r"database \S+ does not exist|unknown database", re.I), "check the database name in the URL"),
    (re.compile(r"failed to resolve host|could not translate host name|name or service not known", re.I),
     "check the host name in the URL"),
)


def _sql_hint(cause: str) -> str:
    """What to do about a database error, when it is one of the usual connection problems."""
    for pattern, hint in _SQL_HINTS:
        if pattern.search(cause):
            return f" ({hint})"
    return ""


register("csv", read_csv_folder)
register("parquet", read_parquet_folder)
register("folder", read_folder)
register("excel", read_excel)
register("sql", read_sql)

# --------------------------------------------------------------------------------------------
# Coercion: each cell to its column's kind, with a finding for each value that does not fit
# --------------------------------------------------------------------------------------------

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
    """A column coerced to its kind: values (working dtype) and, per bad cell, the rule it breaks."""

    values: pd.Series
    problems: pd.Series  # str rule per bad row (index = row number), empty when all cells are fine


def _missing_native(v: object) -> bool:
    return v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v))


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


def _is_blank(raw: pd.Series) -> np.ndarray:
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
    if dec != "," and re.fullmatch(r"[+-]?[0-9]+,[0-9]+", value):
        return 'not a number; set [ingest] decimal = "," if your file uses decimal commas'
    return "must be a number"


def _coerce_money(raw: pd.Series, col: Column, config: Config) -> Coerced:
    text, other = _split(raw)
    values = pd.Series(np.nan, index=raw.index, dtype="float64")
    problems: dict[int, str] = {}
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
    problems: dict[int, str] = {}
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
    problems: dict[int, str] = {}
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


def _coerce_date(raw: pd.Series, col: Column, config: Config) -> Coerced:
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    problems: dict[int, str] = {}
    if raw.dtype.kind == "M":
        stamps = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        return Coerced(stamps.dt.normalize().astype("datetime64[ns]"), pd.Series(problems, dtype=object))
    text, other = _split(raw)
    if len(text):
        shaped = text.str.fullmatch(_ISO_DATE + _MIDNIGHT).astype(bool)
        parsed = pd.to_datetime(text[shaped].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        ok = parsed.notna()
        values.loc[parsed.index[ok.to_numpy()]] = parsed[ok].astype("datetime64[ns]")
        for row, v in text[~shaped].items():
            problems[row] = _date_rule(v)
        for row in parsed.index[~ok.to_numpy()]:
            problems[row] = _date_rule(text.at[row])
    for row, v in other.items():
        if isinstance(v, dt.datetime | dt.date | np.datetime64):
            try:
                values.at[row] = pd.Timestamp(v).tz_localize(None).normalize()
            except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
                problems[row] = "is not a date in a usable range"
        elif isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
            problems[row] = f"{DATE_RULE}: this cell holds a number, not a date; format the cells as dates"
        else:
            problems[row] = DATE_RULE
    return Coerced(values, pd.Series(problems, dtype=object))


def _coerce_period(raw: pd.Series, col: Column, config: Config) -> Coerced:
    values = pd.Series(np.nan, index=raw.index, dtype=object)
    problems: dict[int, str] = {}
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
            ts = pd.Timestamp(v)
            if ts.day == 1 and ts == ts.normalize():
                values.at[row] = ts.strftime("%Y-%m")
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


def _coerce_text(raw: pd.Series, col: Column, config: Config) -> Coerced:
    text, other = _split(raw)
    if len(text):
        text = _close_bidi(text)
    values = pd.Series(np.nan, index=raw.index, dtype=object)
    if len(text):
        values.loc[text.index] = text.str.lower() if col.kind == "choice" else text
    if len(other):
        conv = other.map(_id_text).astype(object).str.strip()
        values.loc[conv.index] = conv.str.lower() if col.kind == "choice" else conv
    return Coerced(values, pd.Series({}, dtype=object))


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


# --------------------------------------------------------------------------------------------
# Header matching
# --------------------------------------------------------------------------------------------


def match_headers(headers: list[str], table: Table, config: Config) -> dict[int, str]:
    """Map each header position to a canonical column (positions of extra columns are left out)."""
    mapping = {**config.columns.get("*", {}), **config.columns.get(table.name, {})}
    names = set(table.column_names)
    out: dict[int, str] = {}
    for i, header in enumerate(headers):
        key = normalise_header(header)
        canon = mapping.get(key, key)
        if canon not in names and key in names:
            canon = key
        if canon in names:
            out[i] = canon
    return out


def _to_table_data(raw: RawTable, config: Config) -> tuple[TableData, list[str]]:
    """Match headers and coerce cells; returns the table and its missing required columns."""
    table = TABLES[raw.name]
    matched = match_headers(raw.headers, table, config)
    findings: list[Finding] = []
    notes: list[Finding] = []
    by_column: dict[str, list[int]] = {}
    for pos, canon in matched.items():
        by_column.setdefault(canon, []).append(pos)
    for canon, positions in by_column.items():
        if len(positions) > 1:
            shown = " and ".join(f"{raw.headers[p]!r} (column {p + 1})" for p in positions)
            findings.append(
                Finding(
                    raw.name,
                    raw.source,
                    None,
                    canon,
                    None,
                    f"{shown} both map to {canon}: rename or delete one; the first is used",
                )
            )
    for pos, header in enumerate(raw.headers):
        if pos not in matched and str(header).strip():
            notes.append(
                Finding(
                    raw.name,
                    raw.source,
                    None,
                    str(header),
                    None,
                    "not a column of the data model: ignored (map it under [columns] in "
                    "pmo.toml if it is one)",
                )
            )
    missing = [c for c in table.required_columns if c not in by_column]
    cells = raw.cells
    if len(cells.columns):
        blank = pd.Series(True, index=cells.index)
        for c in cells.columns:
            col = cells[c]
            blank &= _is_blank(col)
        cells = cells[~blank.to_numpy()]
    index = cells.index
    frame: dict[str, pd.Series] = {}
    originals: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in by_column:
            frame[col.name] = pd.Series(None, index=index, dtype=working_dtype(col))
            originals[col.name] = pd.Series(np.nan, index=index, dtype=object)
            continue
        rawcol = cells[by_column[col.name][0]]
        coerced = COERCERS[col.kind](rawcol, col, config)
        frame[col.name] = coerced.values.astype(working_dtype(col))
        originals[col.name] = rawcol
        for row, rule in coerced.problems.items():
            findings.append(
                Finding(raw.name, raw.source, int(row), col.name, show_value(rawcol.at[row]), str(rule))
            )
    data = TableData(
        raw.name,
        raw.source,
        pd.DataFrame(frame, index=index),
        pd.DataFrame(originals, index=index),
        findings,
        notes,
    )
    return data, missing


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """Everything ``check`` learnt about a source.

    ``portfolio`` is None when there are findings. ``notes`` are warning-level remarks (extra
    columns that were ignored) that do not make the data invalid.
    """

    source: str
    findings: list[Finding]
    notes: list[Finding]
    portfolio: Portfolio | None
    missing_tables: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings


def check(
    source: str | Path, config: Config | str | Path | None = None, *, kind: str | None = None
) -> LoadResult:
    """Read and validate ``source`` without raising on bad data.

    Parameters
    ----------
    source:
        A folder of CSV/Parquet files, an .xlsx workbook, or a SQLAlchemy URL.
    config:
        A ``Config``, the path of a pmo.toml, or None for the defaults.
    kind:
        Force a reader from ``READERS`` (``csv``, ``parquet``, ``folder``, ``excel``, ``sql``);
        detected from ``source`` when None.

    Returns
    -------
    LoadResult
        The findings, the notes and, when there are no findings, the Portfolio.

    Raises
    ------
    SourceError
        The source, a required table or a required column cannot be found or read.
    ConfigError
        ``config`` is not a valid pmo.toml.
    """
    cfg = load_config(config)
    text = str(source)
    reader_kind = kind or detect_kind(text)
    reader = reader_for(reader_kind)
    raw = reader(text, cfg)
    # what the Portfolio, findings and reports name: a database URL without its password
    shown = _without_password(text) if reader_kind == "sql" else text
    absent_required = [t for t in TABLE_NAMES if TABLES[t].required and t not in raw.tables]
    if absent_required:
        looked = "; ".join(raw.looked_for.get(t, t) for t in absent_required)
        names = ", ".join(absent_required)
        plural = "s" if len(absent_required) > 1 else ""
        raise SourceError(
            f"required table{plural} {names} not found: looked for {looked} {raw.where}".rstrip(),
            path=raw.label,
        )
    tables: dict[str, TableData] = {}
    missing_columns: list[str] = []
    for name, rt in raw.tables.items():
        data, missing = _to_table_data(rt, cfg)
        tables[name] = data
        if missing:
            have = ", ".join(repr(h) for h in rt.headers if str(h).strip()) or "none"
            # nothing matched at all: usually a title or blank rows above the header
            first_row = "; the header must be the first row" if not match_headers(rt.headers, TABLES[name], cfg) else ""
            missing_columns.append(
                f"{rt.source} has no column {', '.join(missing)} (its columns are: {have}{first_row})"
            )
    if missing_columns:
        raise SourceError(
            "; ".join(missing_columns) + ": add the column, or map your header to it under "
            "[columns] in pmo.toml (headers ignore case and spaces)",
            path=raw.label,
        )
    absent = tuple(t for t in TABLE_NAMES if t not in raw.tables)
    findings = validate(tables)
    notes = [n for data in tables.values() for n in data.notes]
    portfolio = None
    if not findings:
        frames = {name: finalise(data.frame, TABLES[name]) for name, data in tables.items()}
        for name in absent:
            frames[name] = empty_table(name)
        portfolio = Portfolio(**frames, source=shown, missing_tables=absent)
    return LoadResult(shown, findings, notes, portfolio, absent)


def _without_password(url: str) -> str:
    """``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``; other text unchanged."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def load(
    source: str | Path, config: Config | str | Path | None = None, *, kind: str | None = None
) -> Portfolio:
    """Read ``source`` into a validated ``Portfolio``.

    Parameters
    ----------
    source:
        A folder of CSV files (``projects.csv``, ...) or Parquet files, an .xlsx/.xlsm workbook
        with one sheet per table, or a SQLAlchemy URL such as ``sqlite:///pmo.db``.
    config:
        A ``Config``, the path of a pmo.toml (header mapping, number format), or None.
    kind:
        Force a reader (see ``check``).

    Raises
    ------
    SourceError
        The source cannot be read (missing folder/table/column, bad encoding, database error).
    DataValidationError
        The data breaks the data model; ``.findings`` lists every problem.
    """
    result = check(source, config, kind=kind)
    if result.portfolio is None:
        raise DataValidationError(result.findings, source=result.source)
    return result.portfolio
