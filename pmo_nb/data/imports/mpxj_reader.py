"""Read schedule files through MPXJ (Java, via JPype) into :class:`~pmo_nb.data.imports.plan.Plan` records.

The Java virtual machine starts once per process, on the first read; every Java object stays inside this module.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from pmo_nb.data.imports.errors import ReaderMissingError
from pmo_nb.data.imports.plan import Measure, Plan, PlanTask
from pmo_nb.exceptions import SourceError
from pmo_nb.periods import Period

PIP_HINT = "pip install 'pmo-nb[schedules]'"
JAVA_HINT = "install a Java runtime 11 or later (Debian/Ubuntu: apt-get install default-jre-headless) or set JAVA_HOME"

_state: dict[str, Any] = {}


def start_jvm() -> None:
    """Start the JVM with MPXJ's jars on the class path (once); ``ReaderMissingError`` naming what to install."""
    if _state.get("started"):
        return
    try:
        import jpype
    except ImportError:
        raise ReaderMissingError(f"reading schedule files needs MPXJ and JPype: {PIP_HINT}",
                                 install=PIP_HINT) from None
    try:
        import mpxj  # noqa: F401  (puts MPXJ's jars on JPype's class path)
    except ImportError:
        raise ReaderMissingError(f"reading schedule files needs MPXJ: {PIP_HINT}", install=PIP_HINT) from None
    if not jpype.isJVMStarted():
        try:
            jvm = jpype.getDefaultJVMPath()
        except Exception:  # jpype.JVMNotFoundException and platform-specific variants
            raise ReaderMissingError(f"reading schedule files needs Java, which was not found: {JAVA_HINT}",
                                     install=JAVA_HINT) from None
        jpype.startJVM(jvm, "-Dorg.slf4j.simpleLogger.defaultLogLevel=off", convertStrings=False)
    _state["started"] = True


def _date(value: Any) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(str(value.toString()))


def _num(value: Any) -> float | None:
    return None if value is None else float(value.doubleValue())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.") or "project"


def _month_ranges(first: Period, last: Period) -> tuple[list[Period], Any]:
    from java.time import LocalDateTime
    from java.util import ArrayList
    from org.mpxj import LocalDateTimeRange

    months: list[Period] = []
    ranges = ArrayList()
    p = first
    while p <= last:
        nxt = p.next()
        ranges.add(LocalDateTimeRange(LocalDateTime.of(p.year, p.month, 1, 0, 0),
                                      LocalDateTime.of(nxt.year, nxt.month, 1, 0, 0)))
        months.append(p)
        p = nxt
    return months, ranges


_TRUE = {"true", "yes", "y", "1", "x"}


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if hasattr(value, "booleanValue"):
        return bool(value.booleanValue())
    if hasattr(value, "doubleValue"):
        return float(value.doubleValue()) != 0
    return str(value).strip().lower() in _TRUE


def _key_flag(task: Any, field: str | None) -> bool:
    if not field:
        return False
    m = re.fullmatch(r"\s*flag\s*(\d{1,2})\s*", field, re.I)
    if m:
        return bool(task.getFlag(int(m.group(1))))
    return _truthy(task.getFieldByAlias(field))


def _is_leaf(task: Any) -> bool:
    return bool(task.getChildTasks().isEmpty()) and not bool(task.getSummary())


def _values(task: Any, measure: Measure, props: Any) -> tuple[float | None, float | None, float | None, bool]:
    """(current, baseline, actual) of the measure; the flag says work was taken from the durations."""
    if measure == "cost":
        return _num(task.getCost()), _num(task.getBaselineCost()), _num(task.getActualCost()), False
    from org.mpxj import TimeUnit

    def hours(d: Any) -> float | None:
        if d is None:
            return None
        return float(d.convertUnits(TimeUnit.HOURS, props).getDuration())

    work, base, actual = hours(task.getWork()), hours(task.getBaselineWork()), hours(task.getActualWork())
    if work is None and base is None and actual is None:  # no resources (GanttProject): one person full time
        duration = hours(task.getDuration())
        if duration:
            base = hours(task.getBaselineDuration())
            actual = hours(task.getActualDuration())
            return duration, base, actual, True
    return work, base, actual, False


def _percent(task: Any) -> float:
    from org.mpxj import PercentCompleteType

    value = None
    if task.getPercentCompleteType() == PercentCompleteType.PHYSICAL:
        value = task.getPhysicalPercentComplete()
    if value is None:
        value = task.getPercentageComplete()
    pct = _num(value) or 0.0
    return min(max(pct, 0.0), 100.0)


def _phased(task: Any, t: PlanTask, measure: Measure, ranges: Any, months: list[Period]) -> dict[Period, float] | None:
    """The baseline's time-phased amounts by month, when the file has them and they add up to the baseline."""
    if not t.baselined or not t.baseline_value or not months:
        return None
    if measure == "cost":
        values = [_num(v) for v in task.getTimephasedBaselineCost(0, ranges)]
    else:
        from org.mpxj import TimeUnit

        values = [None if v is None else float(v.getDuration())
                  for v in task.getTimephasedBaselineWork(0, ranges, TimeUnit.HOURS)]
    phased = {m: v for m, v in zip(months, values, strict=True) if v}
    total = sum(phased.values())
    if not phased or abs(total - t.baseline_value) > max(0.01, 0.005 * abs(t.baseline_value)):
        return None
    return phased


def _plan(project: Any, path: Path, fmt: str, measure: Measure, key_field: str | None) -> Plan:
    props = project.getProjectProperties()
    name = _text(props.getName()) or _text(props.getProjectTitle()) or path.stem
    pid = _text(props.getProjectID()) or _slug(name)
    status = _date(props.getStatusDate())
    plan = Plan(source=path.name, format=fmt, project_id=pid, name=name, manager=_text(props.getManager()),
                status_date=status.date() if status is not None else None, measure=measure,
                currency=_text(props.getCurrencyCode()))
    leaves = []
    by_duration: list[str] = []
    for task in project.getTasks():
        label = _text(task.getName()) or f"task {task.getUniqueID()}"
        if bool(task.getNull()):
            plan.skipped.append((label, "blank row"))
            continue
        if bool(task.getExternalTask()):
            plan.skipped.append((label, "external task (belongs to another project)"))
            continue
        uid = task.getUniqueID()
        if task.getParentTask() is None and uid is not None and int(uid.intValue()) == 0 and not _is_leaf(task):
            continue  # MS Project's project summary task (UID 0): the project itself, not a task
        if not _is_leaf(task):
            plan.tasks.append(PlanTask(
                uid=int(uid.intValue()) if uid is not None else -1, name=label, summary=True, milestone=False,
                start=None, finish=None, baseline_start=None, baseline_finish=None, actual_start=None,
                actual_finish=None, percent_complete=0.0, value=None, baseline_value=None, actual_value=None))
            continue
        value, baseline_value, actual_value, from_duration = _values(task, measure, props)
        if from_duration:
            by_duration.append(label)
        t = PlanTask(
            uid=int(uid.intValue()) if uid is not None else -1, name=label, summary=False,
            milestone=bool(task.getMilestone()), start=_date(task.getStart()), finish=_date(task.getFinish()),
            baseline_start=_date(task.getBaselineStart()), baseline_finish=_date(task.getBaselineFinish()),
            actual_start=_date(task.getActualStart()), actual_finish=_date(task.getActualFinish()),
            percent_complete=_percent(task), value=value, baseline_value=baseline_value,
            actual_value=actual_value, key=_key_flag(task, key_field))
        plan.tasks.append(t)
        leaves.append((task, t))
    if by_duration:
        shown = ", ".join(repr(n) for n in by_duration[:5]) + (" ..." if len(by_duration) > 5 else "")
        plan.notes.append(f"{len(by_duration)} tasks have no work (no resources): their duration is taken as the "
                          f"work of one person full time: {shown}")
    spans = [d for _, t in leaves for d in (t.baseline_start, t.baseline_finish) if d is not None]
    if spans:
        months, ranges = _month_ranges(Period.of(min(spans)), Period.of(max(spans)))
        for task, t in leaves:
            t.baseline_phased = _phased(task, t, measure, ranges, months)
    return plan


def read_plans(path: str | Path, fmt: str, *, measure: Measure = "cost", key_field: str | None = None) -> list[Plan]:
    """Every project in the schedule file ``path`` (a Primavera XER may hold several)."""
    start_jvm()
    import jpype
    from org.mpxj.reader import UniversalProjectReader

    p = Path(path)
    try:
        projects = list(UniversalProjectReader().readAll(str(p)))
    except jpype.JException as exc:
        cause = str(exc.getMessage() or exc.getClass().getSimpleName())
        raise SourceError(f"{p.name}: cannot be read as {fmt}: {cause}; open it in its application and "
                          "save it again (or export it as MSPDI XML / XER)", path=str(p)) from None
    if not projects:
        raise SourceError(f"{p.name}: no project found in this {fmt} file", path=str(p))
    plans = [_plan(proj, p, fmt, measure, key_field) for proj in projects]
    seen: dict[str, int] = {}
    for plan in plans:  # two projects of one file with the same id: keep both, told apart by their order
        seen[plan.project_id] = seen.get(plan.project_id, 0) + 1
        if seen[plan.project_id] > 1:
            plan.notes.append(f"project id {plan.project_id} appears more than once in the file: this one is "
                              f"{plan.project_id}-{seen[plan.project_id]}")
            plan.project_id = f"{plan.project_id}-{seen[plan.project_id]}"
    return plans
