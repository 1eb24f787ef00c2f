"""Schedule files (Microsoft Project, Primavera, GanttProject) given where portfolio tables are expected.

A plan is not read at report time: ``pmo-nb import`` turns it into the canonical tables once per status date
(:mod:`pmo_nb.data.imports`). This source recognises such a file without Java, so that detection answers with the
command that imports it instead of "not a portfolio source".
"""

from __future__ import annotations

from pathlib import Path

from pmo_nb.config import Config
from pmo_nb.data.imports import schedule_hint, sniff_schedule
from pmo_nb.data.sources.base import RawSource, Source
from pmo_nb.exceptions import SourceError


class ScheduleFile(Source):
    """A schedule file: recognised, and answered with the ``pmo-nb import`` command that reads it."""

    name = "schedule"
    description = "a schedule file (.mpp, .xml, .xer, .gan) imported first with `pmo-nb import`"

    def sniff(self, location: str) -> bool:
        try:
            return Path(location).is_file() and sniff_schedule(location) is not None
        except OSError:
            return False

    def read(self, location: str, config: Config) -> RawSource:
        raise SourceError(schedule_hint(location) or f"{location} is a schedule file: run `pmo-nb import`",
                          path=location)
