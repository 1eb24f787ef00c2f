"""Portfolio sources: the ``Source`` interface, its registry, and the built-in readers (one module each)."""

from pmo_nb.data.sources.base import (
    ENTRY_POINT_GROUP,
    UNSUPPORTED_SUFFIXES,
    RawSource,
    RawTable,
    Source,
    available,
    detect,
    get,
    register,
    supported_formats,
    unregister,
)
from pmo_nb.data.sources.csv import CsvFolder
from pmo_nb.data.sources.excel import ExcelWorkbook
from pmo_nb.data.sources.folder import MixedFolder
from pmo_nb.data.sources.parquet import ParquetFolder
from pmo_nb.data.sources.schedule import ScheduleFile
from pmo_nb.data.sources.sql import SqlDatabase

__all__ = [
    "ENTRY_POINT_GROUP",
    "UNSUPPORTED_SUFFIXES",
    "RawSource",
    "RawTable",
    "Source",
    "available",
    "detect",
    "get",
    "register",
    "supported_formats",
    "unregister",
    "CsvFolder",
    "ExcelWorkbook",
    "MixedFolder",
    "ParquetFolder",
    "ScheduleFile",
    "SqlDatabase",
]

# Detection order: a URL first, then a workbook, then folders from the most to the least specific; a schedule
# file last (it is recognised only to say how to import it).
for _source in (SqlDatabase(), ExcelWorkbook(), CsvFolder(), ParquetFolder(), MixedFolder(), ScheduleFile()):
    register(_source)
