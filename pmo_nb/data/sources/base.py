"""The source interface and its registry: every reader of a portfolio source is a ``Source`` found here.

A ``Source`` has a ``name`` (``csv``, ``excel``, ...), says with ``sniff(location)`` whether it can read a path or
URL, and ``read(location, config)`` returns the raw tables with where each came from (a ``RawSource``). Sources are
registered by name with ``register``; ``get(name)`` finds one and ``detect(location)`` asks each in turn. A plug-in
package adds one without editing pmo-nb by declaring it in the entry-point group ``pmo_nb.sources`` (the entry point
names a ``Source`` subclass or instance); those are loaded the first time the registry is consulted.
"""

from __future__ import annotations

import importlib.metadata
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pmo_nb.config import Config, normalise_header
from pmo_nb.exceptions import Finding, SourceError
from pmo_nb.schema import TABLE_NAMES, TABLES

__all__ = [
    "ENTRY_POINT_GROUP",
    "RawTable",
    "RawSource",
    "Source",
    "register",
    "unregister",
    "get",
    "available",
    "detect",
    "check_file_size",
    "check_table_size",
    "table_files",
    "read_table_folder",
    "folder_suffixes",
    "supported_formats",
    "UNSUPPORTED_SUFFIXES",
]

ENTRY_POINT_GROUP = "pmo_nb.sources"


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
    cell_rules: dict[tuple[int, int], tuple[object, str]] = field(default_factory=dict)
    """(row, column position) -> (value shown, rule) for cells the reader could not read faithfully (a formula
    without a saved result); they become findings on the canonical column."""
    findings: list[Finding] = field(default_factory=list)
    """Table-level problems the reader met (a merged header cell)."""


@dataclass
class RawSource:
    """What a reader found: the tables present and, for each absent one, where it looked."""

    label: str
    tables: dict[str, RawTable]
    looked_for: dict[str, str] = field(default_factory=dict)  # table -> "projects.csv or projects.parquet"
    where: str = ""  # "in data/ (its files are: ...)", closes the "not found" message



class Source(ABC):
    """A kind of portfolio source.

    Subclasses set ``name`` (the ``kind`` a user can force) and ``description`` (how error messages list the
    supported formats, e.g. "a folder of CSV files"), and implement ``sniff`` and ``read``.
    """

    name: str = ""
    description: str = ""

    @abstractmethod
    def sniff(self, location: str) -> bool:
        """Whether this source can read ``location`` (a path or URL); cheap, never raises."""

    @abstractmethod
    def read(self, location: str, config: Config) -> RawSource:
        """Read the tables found at ``location``; ``SourceError`` when it cannot be read."""

    def display(self, location: str) -> str:
        """``location`` as findings and reports name it (a source holding secrets hides them here)."""
        return location


_REGISTRY: dict[str, Source] = {}
_PLUGINS_LOADED = False

UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".xls": "{name}: .xls workbooks are not supported: save it as .xlsx (File > Save As > Excel Workbook)",
    ".xlsb": "{name}: .xlsb workbooks are not supported: save it as .xlsx (File > Save As > Excel Workbook)",
    ".ods": "{name}: .ods workbooks are not supported: save it as .xlsx (File > Save As > Excel Workbook)",
}
"""File suffixes no source reads, with the message (``{name}`` = the file name) that says what to do instead.
A plug-in (e.g. a schedule importer) may add its own."""


def register(source: Source, *, replace: bool = True) -> Source:
    """Add ``source`` under ``source.name`` (replacing one of the same name unless ``replace`` is False)."""
    if not source.name:
        raise ValueError(f"{type(source).__name__} has no name")
    if not replace and source.name in _REGISTRY:
        raise ValueError(f"a source named {source.name!r} is already registered")
    _REGISTRY[source.name] = source
    return source


def unregister(name: str) -> None:
    """Remove the source registered as ``name`` (no error when there is none)."""
    _REGISTRY.pop(name, None)


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            source = obj() if isinstance(obj, type) else obj
        except Exception as exc:  # a broken plug-in must not stop the built-in sources
            raise SourceError(
                f"the source plug-in {ep.name!r} ({ep.value}) cannot be loaded: {exc}: reinstall or uninstall "
                "the package that provides it"
            ) from None
        if isinstance(source, Source) and source.name not in _REGISTRY:
            register(source)


def available() -> dict[str, Source]:
    """The registered sources by name, in detection order (built-ins first, then plug-ins)."""
    _load_plugins()
    return dict(_REGISTRY)


def get(name: str) -> Source:
    """The source registered as ``name``; ``SourceError`` naming the known kinds otherwise."""
    sources = available()
    try:
        return sources[name]
    except KeyError:
        known = ", ".join(sorted(sources))
        raise SourceError(f"unknown source kind {name!r}: known kinds are {known}") from None


def supported_formats() -> str:
    """The supported formats in words, for messages: "a folder of CSV files, ..., or a database URL ..."."""
    words = [s.description for s in available().values() if s.description]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


def detect(location: str | Path) -> Source:
    """The first registered source that can read ``location``.

    Raises ``SourceError`` naming the supported formats when none can (or the specific advice for a known
    unsupported file type, e.g. an .xls workbook).
    """
    text = str(location)
    for source in available().values():
        if source.sniff(text):
            return source
    path = Path(text)
    advice = UNSUPPORTED_SUFFIXES.get(path.suffix.lower())
    if advice:
        raise SourceError(advice.format(name=path.name), path=text)
    formats = supported_formats()
    if not path.exists():
        raise SourceError(f"{text} not found: give {formats}", path=text)
    if path.is_file():
        raise SourceError(
            f"{text} is a file, not a folder: give the folder that holds projects.csv, programs.csv, ... "
            f"(supported: {formats})",
            path=text,
        )
    raise SourceError(f"{text} is not a portfolio source: give {formats}", path=text)


# ---------------------------------------------------------------------------------------------- helpers

TABLE_FILE_SUFFIXES = (".csv", ".parquet")


def table_stems(config: Config | None = None) -> dict[str, str]:
    """Normalised file, sheet or database-table name -> table: the table's own name, or its ``[sheets]`` name."""
    sheets = config.sheets if config is not None else {}
    return {normalise_header(sheets.get(t, t)): t for t in TABLE_NAMES}


def table_files(folder: Path, config: Config | None = None) -> dict[str, list[Path]]:
    """The files of ``folder`` named after a table (``projects.csv``, ``Risks.parquet``, or the name given
    under ``[sheets]``), by table."""
    stems = table_stems(config)
    files: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in TABLE_FILE_SUFFIXES:
            name = stems.get(normalise_header(p.stem))
            if name in TABLES:
                files.setdefault(name, []).append(p)
    return files


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


FileReader = Callable[[Path, str, Config], RawTable]


def read_table_folder(source: str, readers: dict[str, FileReader], config: Config) -> RawSource:
    """Read a folder holding one file per table, each read by the reader for its suffix (``.csv``: ...)."""
    suffixes = tuple(readers)
    folder = Path(source)
    if not folder.is_dir():
        raise SourceError(f"folder {source} not found: check the path", path=source)
    files = table_files(folder, config)
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
            stem = config.sheets.get(name, name)
            looked[name] = " or ".join(f"{stem}{s}" for s in suffixes)
            continue
        check_file_size(found[0], config)
        table = readers[found[0].suffix.lower()](found[0], name, config)
        tables[name] = table
    return RawSource(str(folder), tables, looked, f"in {folder}")


def folder_suffixes(location: str) -> set[str] | None:
    """The suffixes of the table files in ``location`` when it is a folder, else None."""
    path = Path(location)
    if "://" in location or not path.is_dir():
        return None
    try:
        return {f.suffix.lower() for found in table_files(path).values() for f in found}
    except OSError:
        return None


def check_table_size(label: str, rows: int, config: Config, *, path: str | None = None) -> None:
    """Refuse a table above ``[ingest] max_rows`` records, before it is loaded.

    ``rows`` counts records (not the header); callers count them from the source's real content (a Parquet
    file's metadata, ``COUNT(*)``, the parsed CSV), never from a declared size. Workbooks are also limited in
    cells per sheet (``[ingest] max_cells``, see ``pmo_nb.data.sources.excel.scan_sheet``).
    """
    limit = config.ingest.max_rows
    if rows > limit:
        raise SourceError(
            f"{label} has {rows:,} rows, above the {limit:,} limit ([ingest] max_rows): split the data, or raise "
            "max_rows in pmo.toml if it really is one table of that size",
            path=path or label,
        )
