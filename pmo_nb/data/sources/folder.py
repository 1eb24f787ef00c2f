"""Mixed folder source: one file per table, each CSV or Parquet (also the kind of an empty folder)."""

from __future__ import annotations

from pmo_nb.config import Config
from pmo_nb.data.sources.base import RawSource, Source, folder_suffixes, read_table_folder
from pmo_nb.data.sources.csv import read_csv_file
from pmo_nb.data.sources.parquet import read_parquet_file

__all__ = ["MixedFolder"]


class MixedFolder(Source):
    """A folder whose tables are CSV or Parquet files, one file per table."""

    name = "folder"
    description = ""  # covered by the CSV and Parquet descriptions

    def sniff(self, location: str) -> bool:
        return folder_suffixes(location) is not None

    def read(self, location: str, config: Config) -> RawSource:
        return read_table_folder(location, {".csv": read_csv_file, ".parquet": read_parquet_file}, config)
