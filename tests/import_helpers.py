"""Schedule files for the import tests, written with MPXJ itself, and the marks for tests that need Java."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCHEDULES = Path(__file__).parent / "data" / "schedules"


def java_available() -> bool:
    try:
        import jpype
    except ImportError:
        return False
    if jpype.isJVMStarted():
        return True
    try:
        return bool(jpype.getDefaultJVMPath())
    except Exception:
        return False


IN_CI = os.environ.get("CI", "").lower() == "true"
JVM = [
    pytest.mark.jvm,
    pytest.mark.skipif(not java_available() and not IN_CI,
                       reason="no Java runtime or JPype: apt-get install default-jre-headless and "
                              "pip install 'pmo-nb[schedules]' to run the schedule import tests"),
]


@dataclass
class T:
    """A task to write: dates as (y, m, d); costs and work (hours) as numbers; None leaves a field unset."""

    name: str
    start: tuple[int, int, int]
    finish: tuple[int, int, int]
    baseline: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None
    baseline_cost: float | None = None
    cost: float | None = None
    actual_cost: float | None = None
    pct: float = 0.0
    milestone: bool = False
    key: bool = False
    actual_start: tuple[int, int, int] | None = None
    actual_finish: tuple[int, int, int] | None = None
    baseline_work: float | None = None
    work: float | None = None
    actual_work: float | None = None


@dataclass
class P:
    project_id: str | None
    name: str
    tasks: list[T]
    status: tuple[int, int, int] | None = None
    manager: str | None = None
    summary: str | None = "Phase 1"  # the tasks go under one summary task
    extra: list[T] = field(default_factory=list)  # top-level tasks outside the summary


def _dt(d: tuple[int, int, int], hour: int = 8):
    from java.time import LocalDateTime

    return LocalDateTime.of(d[0], d[1], d[2], hour, 0)


def _weekdays(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    import numpy as np

    return int(np.busday_count(dt.date(*a), dt.date(*b) + dt.timedelta(days=1)))


def build(spec: P, context=None):
    """An MPXJ ProjectFile for ``spec`` with both Microsoft Project and Primavera fields set."""
    from java.lang import Double
    from org.mpxj import ActivityType, Duration, PercentCompleteType, ProjectFile, ResourceType, TimeUnit

    f = ProjectFile(context) if context is not None else ProjectFile()
    cal = f.addDefaultBaseCalendar()
    f.setDefaultCalendar(cal)
    props = f.getProjectProperties()
    if spec.project_id:
        props.setProjectID(spec.project_id)
    props.setName(spec.name)
    props.setProjectTitle(spec.name)
    if spec.manager:
        props.setManager(spec.manager)
    if spec.status:
        props.setStatusDate(_dt(spec.status, 17))
    parent = f
    if spec.summary:
        parent = f.addTask()
        parent.setName(spec.summary)
    resource = f.addResource()
    resource.setName("Budget")
    resource.setType(ResourceType.COST)
    for i, t in enumerate([*spec.tasks, *spec.extra]):
        task = (parent if i < len(spec.tasks) else f).addTask()
        task.setName(t.name)
        task.setActivityID(f"{spec.project_id or 'X'}-A{i + 1:03d}")
        task.setCalendar(cal)
        days = 0 if t.milestone else _weekdays(t.start, t.finish)
        for setter in (task.setStart, task.setPlannedStart):
            setter(_dt(t.start))
        for setter in (task.setFinish, task.setPlannedFinish):
            setter(_dt(t.finish, 8 if t.milestone else 17))
        task.setDuration(Duration.getInstance(days, TimeUnit.DAYS))
        task.setPlannedDuration(Duration.getInstance(days, TimeUnit.DAYS))
        task.setRemainingDuration(Duration.getInstance(round(days * (1 - t.pct / 100)), TimeUnit.DAYS))
        if t.milestone:
            task.setMilestone(True)
            task.setActivityType(ActivityType.FINISH_MILESTONE)
        else:
            task.setActivityType(ActivityType.TASK_DEPENDENT)
        task.setPercentCompleteType(PercentCompleteType.PHYSICAL)
        task.setPercentageComplete(Double(t.pct))
        task.setPhysicalPercentComplete(Double(t.pct))
        if t.key:
            task.setFlag(1, True)
        if t.actual_start:
            task.setActualStart(_dt(t.actual_start))
        if t.actual_finish:
            task.setActualFinish(_dt(t.actual_finish, 17))
        if t.baseline:
            task.setBaselineStart(_dt(t.baseline[0]))
            task.setBaselineFinish(_dt(t.baseline[1], 8 if t.milestone else 17))
        if t.baseline_cost is not None:
            task.setBaselineCost(Double(t.baseline_cost))
        for value, setters in ((t.cost, (task.setCost, task.setPlannedCost)), (t.actual_cost, (task.setActualCost,))):
            if value is not None:
                for setter in setters:
                    setter(Double(value))
        if t.cost is not None and t.actual_cost is not None:
            task.setRemainingCost(Double(t.cost - t.actual_cost))
        for value, setter in ((t.baseline_work, task.setBaselineWork), (t.work, task.setWork),
                              (t.actual_work, task.setActualWork)):
            if value is not None:
                setter(Duration.getInstance(value, TimeUnit.HOURS))
        if t.cost and not t.milestone:
            a = task.addResourceAssignment(resource)
            a.setStart(_dt(t.start))
            a.setFinish(_dt(t.finish, 17))
            a.setCost(Double(t.cost))
            a.setPlannedCost(Double(t.cost))
            a.setActualCost(Double(t.actual_cost or 0.0))
            a.setRemainingCost(Double(t.cost - (t.actual_cost or 0.0)))
            if t.baseline_cost is not None:
                a.setBaselineCost(Double(t.baseline_cost))
    return f


def write(path: Path, *specs: P) -> Path:
    """Write ``specs`` to ``path`` in the format its suffix names (.xml MSPDI, .xer, .pmxml -> PMXML)."""
    from java.util import ArrayList
    from org.mpxj import ProjectContext
    from org.mpxj.writer import FileFormat, UniversalProjectWriter

    fmt = {".xml": FileFormat.MSPDI, ".xer": FileFormat.XER, ".pmxml": FileFormat.PMXML}[path.suffix]
    if len(specs) == 1:
        UniversalProjectWriter(fmt).write(build(specs[0]), str(path))
    else:
        ctx = ProjectContext()
        files = ArrayList()
        for spec in specs:
            files.add(build(spec, ctx))
        UniversalProjectWriter(fmt).write(files, str(path))
    return path


# ---------------------------------------------------------------------------------------------- the plans
def alpha(month: int = 3) -> P:
    """The hand-checked plan (docs/importing.md's worked example): status 13 March, or 10 April with month=4."""
    april = month == 4
    return P("ALPHA", "Alpha rollout", manager="Ann Lee", status=(2026, 4, 10) if april else (2026, 3, 13), tasks=[
        T("Design", (2026, 1, 5), (2026, 2, 3), baseline=((2026, 1, 5), (2026, 1, 30)), baseline_cost=20000,
          cost=21000, actual_cost=21000, pct=100, actual_start=(2026, 1, 5), actual_finish=(2026, 2, 3)),
        T("Develop", (2026, 2, 2), (2026, 3, 27), baseline=((2026, 2, 2), (2026, 3, 27)), baseline_cost=60000,
          cost=64000, actual_cost=55000 if april else 30000, pct=80 if april else 40, actual_start=(2026, 2, 2)),
        T("Test", (2026, 3, 30), (2026, 4, 30), baseline=((2026, 3, 30), (2026, 4, 24)), baseline_cost=20000,
          cost=20000, actual_cost=2500 if april else 0, pct=10 if april else 0,
          actual_start=(2026, 3, 30) if april else None),
        T("Design approved", (2026, 2, 3), (2026, 2, 3), baseline=((2026, 1, 30), (2026, 1, 30)), milestone=True,
          key=True, pct=100, actual_start=(2026, 2, 3), actual_finish=(2026, 2, 3)),
        T("Go live", (2026, 4, 30), (2026, 4, 30), baseline=((2026, 4, 24), (2026, 4, 24)), milestone=True),
    ])


def add_timephased_baseline_cost(path: Path, task: str, months: list[tuple[str, str, float]]) -> Path:
    """Add MS Project's time-phased baseline cost (MSPDI TimephasedData type 5) to ``task``'s assignment.

    ``months`` holds (start, finish, amount) with ISO date-times; MSPDI stores costs in cents.
    """
    import xml.etree.ElementTree as ET

    ns = "http://schemas.microsoft.com/project"
    ET.register_namespace("", ns)
    tree = ET.parse(path)
    root = tree.getroot()
    q = f"{{{ns}}}"
    uid = next(t.findtext(f"{q}UID") for t in root.iter(f"{q}Task") if t.findtext(f"{q}Name") == task)
    assignment = next(a for a in root.iter(f"{q}Assignment") if a.findtext(f"{q}TaskUID") == uid)
    for start, finish, amount in months:
        td = ET.SubElement(assignment, f"{q}TimephasedData")
        for tag, text in (("Type", "5"), ("UID", assignment.findtext(f"{q}UID")), ("Start", start),
                          ("Finish", finish), ("Unit", "2"), ("Value", str(round(amount * 100)))):
            ET.SubElement(td, f"{q}{tag}").text = text
    tree.write(path, xml_declaration=True, encoding="UTF-8")
    return path
