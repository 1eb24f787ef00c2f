"""A schedule as pmo-nb needs it: plain Python records read from a plan file, free of Java objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pmo_nb.periods import Period

Measure = Literal["cost", "hours"]
MEASURES: tuple[str, ...] = ("cost", "hours")


@dataclass
class PlanTask:
    """One task (activity) of a plan, with the figures of the chosen measure (cost or hours of work).

    ``baseline_*`` are None when the task has no baseline; ``baseline_phased`` is the baseline's
    time-phased amount per month when the file carries it, else None.
    """

    uid: int
    name: str
    summary: bool
    milestone: bool
    start: dt.datetime | None
    finish: dt.datetime | None
    baseline_start: dt.datetime | None
    baseline_finish: dt.datetime | None
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    percent_complete: float
    value: float | None  # current cost (or work) at completion
    baseline_value: float | None
    actual_value: float | None
    baseline_phased: dict[Period, float] | None = None
    key: bool = False

    @property
    def baselined(self) -> bool:
        return self.baseline_start is not None and self.baseline_finish is not None


@dataclass
class Plan:
    """One project of a schedule file."""

    source: str  # the file name, as messages show it
    format: str
    project_id: str
    name: str
    manager: str | None
    status_date: dt.date | None
    measure: Measure
    tasks: list[PlanTask] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (task name, why)
    currency: str | None = None
    notes: list[str] = field(default_factory=list)  # what the reader assumed, e.g. work taken from durations
