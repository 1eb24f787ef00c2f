"""Parquet source: a folder with one Parquet file per table (typed columns)."""

from __future__ import annotations

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

__all__ = ["ParquetFolder", "read_parquet_file"]


def read_parquet_file(path: Path, table: str, config: Config) -> RawTable:
    """Read one Parquet file (typed columns), its size checked from the file's metadata first."""
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        rows = meta.num_rows
    except Exception:  # not Parquet: read_parquet below says so
        rows = 0
    check_table_size(path.name, rows, config, path=str(path))
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt or non-Parquet file
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path.name} is not a readable Parquet file: {cause}", path=str(path)) from None
    headers = [str(c) for c in frame.columns]
    frame = frame.reset_index(drop=True)
    frame.columns = pd.RangeIndex(len(headers))
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return RawTable(table, path.name, headers, frame)


class ParquetFolder(Source):
    """A folder of Parquet files named after the tables (``projects.parquet``, ...)."""

    name = "parquet"
    description = "a folder of Parquet files"

    def sniff(self, location: str) -> bool:
        return folder_suffixes(location) == {".parquet"}

    def read(self, location: str, config: Config) -> RawSource:
        return read_table_folder(location, {".parquet": read_parquet_file}, config)
