"""Excel source: an .xlsx/.xlsm workbook with one sheet per table (other sheets are ignored)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pmo_nb.config import Config, normalise_header
from pmo_nb.data.sources.base import RawSource, RawTable, Source, check_file_size, table_stems
from pmo_nb.exceptions import Finding, SourceError
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
    scans = scan_workbook(path, config)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(
            f"{name} is not a readable Excel workbook ({cause}): open it in Excel and save it again as .xlsx",
            path=source,
        ) from None
    formulas: Any = None  # the workbook again, with formulas instead of results, when a sheet has some
    try:
        stems = table_stems(config)
        sheets: dict[str, str] = {}
        for sheet in wb.sheetnames:
            key = stems.get(normalise_header(sheet), normalise_header(sheet))
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
                looked[table] = f"a sheet named {config.sheets.get(table, table)}"
                continue
            label = f"{name}[{sheet}]"
            scan = scans.get(sheet)
            formula_ws = None
            if scan is None or scan.formulas:
                if formulas is None:
                    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
                formula_ws = formulas[sheet]
            tables[table] = _read_sheet(wb[sheet], table, label, scan, formula_ws)
        where = f"in {name} (its sheets are: {', '.join(wb.sheetnames)})"
    finally:
        wb.close()
        if formulas is not None:
            formulas.close()
    return RawSource(str(path), tables, looked, where)


_TAG = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ROW = re.compile(_TAG + rb"row[\s>/]")
_CELL = re.compile(_TAG + rb"c[\s>/]")
_FORMULA = re.compile(_TAG + rb"f[\s>/]")
_MERGE = re.compile(_TAG + rb"mergeCell\s[^>]*?ref=\"([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)\"")
NO_RESULT_RULE = ("holds a formula with no saved result (the workbook was written by a program and never "
                  "calculated): open it in Excel and save it, or replace the formula by its value")


@dataclass
class SheetScan:
    """What a sheet really holds, counted from its XML before it is loaded: rows, cells, formulas, merges."""

    rows: int = 0
    cells: int = 0
    formulas: int = 0
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_col, min_row, max_col, max_row


def scan_workbook(path: Path, config: Config) -> dict[str, SheetScan]:
    """Every worksheet's real content by sheet name, counted from its XML before openpyxl opens the workbook
    (opening it parses each sheet that declares no size in full); ``SourceError`` naming ``[ingest] max_rows``
    or ``max_cells`` for a sheet above them."""
    import posixpath
    import xml.etree.ElementTree as ET

    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            book = ET.fromstring(zf.read("xl/workbook.xml"))
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError):
        return {}  # not a regular workbook: openpyxl says what is wrong with it
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    scans: dict[str, SheetScan] = {}
    for sheet in book.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        target = targets.get(sheet.get(ns_rel), "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if member in names:
            name = sheet.get("name", "")
            scans[name] = scan_sheet(path, member, f"{path.name}[{name}]", config)
    return scans


def scan_sheet(path: Path, member: str, label: str, config: Config) -> SheetScan:
    """Count the rows and cells of one worksheet from its XML (streamed, stopping at the limits), ignoring the
    size the sheet declares; ``SourceError`` naming ``[ingest] max_rows``/``max_cells`` when it is too big."""
    scan = SheetScan()
    limits = config.ingest
    tail = b""
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        while True:
            chunk = fh.read(1 << 20)
            data = tail + chunk
            if not chunk:
                _count(data, scan)
                break
            cut = data.rfind(b"<", 0, max(len(data) - 1, 0))  # a tag split across chunks waits for the next one
            if cut <= 0:
                tail = data
                continue
            _count(data[:cut], scan)
            tail = data[cut:]
            if scan.rows - 1 > limits.max_rows or scan.cells > limits.max_cells:
                break
    if scan.rows - 1 > limits.max_rows:
        raise SourceError(
            f"{label} has more than {limits.max_rows:,} rows, the limit ([ingest] max_rows): split the data, "
            "or raise max_rows in pmo.toml if it really is one table of that size",
            path=label,
        )
    if scan.cells > limits.max_cells:
        raise SourceError(
            f"{label} has more than {limits.max_cells:,} cells, the limit ([ingest] max_cells): delete unused "
            "columns and rows, or raise max_cells in pmo.toml",
            path=label,
        )
    return scan


def _count(body: bytes, scan: SheetScan) -> None:
    from openpyxl.utils.cell import column_index_from_string

    scan.rows += len(_ROW.findall(body))
    scan.cells += len(_CELL.findall(body))
    scan.formulas += len(_FORMULA.findall(body))
    for m in _MERGE.finditer(body):
        scan.merges.append((column_index_from_string(m.group(1).decode()), int(m.group(2)),
                            column_index_from_string(m.group(3).decode()), int(m.group(4))))


def _read_sheet(ws: Any, table: str, label: str, scan: SheetScan | None = None, formula_ws: Any = None) -> RawTable:
    # the sheet's declared size may be anything (A1:XFD1048576): read only the rows and cells it holds
    ws.reset_dimensions()
    formula_rows = None
    if formula_ws is not None:
        formula_ws.reset_dimensions()
        formula_rows = formula_ws.iter_rows(values_only=True)
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple] = []
    numbers: list[int] = []
    cell_rules: dict[tuple[int, int], tuple[object, str]] = {}
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        formula_values = next(formula_rows, ()) if formula_rows is not None else ()
        for pos, formula in enumerate(formula_values):
            text = formula if isinstance(formula, str) else getattr(formula, "text", None)  # array formulas
            if isinstance(text, str) and text.startswith("=") and pos < len(values) and values[pos] is None:
                cell_rules[(number, pos)] = (text, NO_RESULT_RULE)
        if header is None:
            if any(v is not None and str(v).strip() for v in values):
                header = ["" if v is None else str(v) for v in values]
                header_row = number
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values) and not any(
                (number, pos) in cell_rules for pos in range(len(values))):
            continue
        rows.append(values)
        numbers.append(number)
    if header is None:
        raise SourceError(f"sheet {label} is empty: it needs a header row", path=label)
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    findings: list[Finding] = []
    for min_col, min_row, max_col, max_row in scan.merges if scan else []:
        if min_row <= header_row <= max_row and max_col > min_col:
            first = header[min_col - 1] if min_col - 1 < width else ""
            findings.append(Finding(
                table, label, header_row, first or None, None,
                f"header cells {_ref(min_col, min_row)}:{_ref(max_col, max_row)} are merged, so only the first of "
                f"those {max_col - min_col + 1} columns has a header and the others are dropped: unmerge the cells "
                "and give each column its own header"))
    data = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    cells = pd.DataFrame(data or None, columns=list(range(width)), index=numbers, dtype=object)
    rules = {k: v for k, v in cell_rules.items() if k[1] < width and k[0] != header_row}
    return RawTable(table, label, header, cells, rules, findings)


def _ref(col: int, row: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(col)}{row}"


class ExcelWorkbook(Source):
    """An .xlsx or .xlsm workbook, one sheet per table."""

    name = "excel"
    description = "an .xlsx workbook"

    def sniff(self, location: str) -> bool:
        return "://" not in location and Path(location).suffix.lower() in EXCEL_SUFFIXES

    def read(self, location: str, config: Config) -> RawSource:
        return read_excel(location, config)
