"""CSV source: a folder with one CSV file per table, read as text (UTF-8/16/32 with BOM, any delimiter)."""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

import pandas as pd

from pmo_nb.config import Config
from pmo_nb.data.sources.base import (
    RawSource,
    RawTable,
    Source,
    check_table_size,
    folder_suffixes,
    read_table_folder,
)
from pmo_nb.exceptions import SourceError

__all__ = ["CsvFolder", "decode_text", "read_csv_file", "TEXT_DTYPE"]

TEXT_DTYPE = pd.StringDtype("pyarrow")  # CSV cells are read as text first, coerced afterwards


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


def read_csv_file(path: Path, table: str, config: Config) -> RawTable:
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
    check_table_size(name, len(cells) - 1, config, path=str(path))
    headers = [str(h) for h in cells.iloc[0].tolist()]
    body = cells.iloc[1:]
    body.index = pd.RangeIndex(2, 2 + len(body))
    body.columns = pd.RangeIndex(len(headers))
    if _line_count(text) != len(cells):  # some cell spans lines (else each record is one line)
        _check_runaway_quote(body, headers, _delimiter(text), path)
    return RawTable(table, name, headers, body)


def _line_count(text: str) -> int:
    """The lines of ``text`` as the CSV parser ends them (``\\n``, ``\\r\\n`` or ``\\r``), without a list of them."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) else 1)


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
                    f"{headers[int(col)]!r} is closed only {later} further down, so whole records "
                    'ended up in one cell: remove the stray quote, or double it ("") inside a quoted value',
                    path=str(path),
                )



class CsvFolder(Source):
    """A folder of CSV files named after the tables (``projects.csv``, ``programs.csv``, ...)."""

    name = "csv"
    description = "a folder of CSV files"

    def sniff(self, location: str) -> bool:
        return folder_suffixes(location) == {".csv"}

    def read(self, location: str, config: Config) -> RawSource:
        return read_table_folder(location, {".csv": read_csv_file}, config)
