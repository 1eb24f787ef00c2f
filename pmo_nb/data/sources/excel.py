"""Excel source: an .xlsx/.xlsm workbook with one sheet per table (other sheets are ignored)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from pmo_nb.config import Config, normalise_header
from pmo_nb.data.sources.base import RawSource, RawTable, Source, check_file_size
from pmo_nb.exceptions import SourceError
from pmo_nb.schema import TABLE_NAMES, TABLES

__all__ = ["ExcelWorkbook", "EXCEL_SUFFIXES"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


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


class ExcelWorkbook(Source):
    """An .xlsx or .xlsm workbook, one sheet per table."""

    name = "excel"
    description = "an .xlsx workbook"

    def sniff(self, location: str) -> bool:
        return "://" not in location and Path(location).suffix.lower() in EXCEL_SUFFIXES

    def read(self, location: str, config: Config) -> RawSource:
        return read_excel(location, config)
