"""Schedule files (Microsoft Project, Primavera P6, GanttProject) into the canonical tables: ``pmo-nb import``.

Modules: ``sniff`` (format detection, no Java), ``mpxj_reader`` (MPXJ via JPype into ``plan`` records),
``snapshot`` (one plan at its status date), ``store`` (the target folder and its ledger), ``importer`` (the
command's flow), ``errors``. docs/importing.md is the user's guide.
"""

from __future__ import annotations

from pmo_nb.data.imports.errors import ImportOptionError, ReaderMissingError, StatusDateError, TargetFolderError
from pmo_nb.data.imports.importer import FileReport, ImportResult, import_schedules
from pmo_nb.data.imports.sniff import SCHEDULE_FORMATS, SCHEDULE_SUFFIXES, schedule_hint, sniff_schedule

__all__ = [
    "SCHEDULE_FORMATS",
    "SCHEDULE_SUFFIXES",
    "FileReport",
    "ImportOptionError",
    "ImportResult",
    "ReaderMissingError",
    "StatusDateError",
    "TargetFolderError",
    "import_schedules",
    "schedule_hint",
    "sniff_schedule",
]
