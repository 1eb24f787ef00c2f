"""One plan at one status date: the project row, milestones, planned-value curve, EV and AC to that date.

Pure Python and pandas-free arithmetic over :class:`~pmo_nb.data.imports.plan.Plan`; each figure is explained in
docs/importing.md ("What maps to what").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmo_nb.data.imports.plan import Plan, PlanTask
from pmo_nb.periods import Period


@dataclass
class Effective:
    """A task's baseline as used: the file's baseline, or its current plan when it has none."""

    task: PlanTask
    start: dt.date
    finish: dt.date
    value: float
    from_baseline: bool


@dataclass
class Snapshot:
    """What one import of one project contributes to the tables (JSON-friendly through :meth:`as_dict`)."""

    project_id: str
    program_id: str
    name: str
    manager: str | None
    status_date: dt.date
    period: Period
    baseline_start: dt.date
    baseline_finish: dt.date
    forecast_finish: dt.date | None
    bac: float
    ev: float
    ac: float
    pv_to_status: float
    pv_curve: dict[Period, float]
    milestones: list[dict[str, Any]]
    measure: str
    comment: str
    source: str
    mapped: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id, "program_id": self.program_id, "name": self.name,
            "manager": self.manager, "status_date": self.status_date.isoformat(), "period": str(self.period),
            "baseline_start": self.baseline_start.isoformat(), "baseline_finish": self.baseline_finish.isoformat(),
            "forecast_finish": self.forecast_finish.isoformat() if self.forecast_finish else None,
            "bac": self.bac, "ev": self.ev, "ac": self.ac, "pv_to_status": self.pv_to_status,
            "pv_curve": {str(k): v for k, v in self.pv_curve.items()}, "milestones": self.milestones,
            "measure": self.measure, "comment": self.comment, "source": self.source,
        }


def working_days(start: dt.date, finish: dt.date) -> int:
    """Monday-to-Friday days from ``start`` to ``finish``, both included (0 when finish is before start)."""
    if finish < start:
        return 0
    return int(np.busday_count(start, finish + dt.timedelta(days=1)))


def spread(value: float, start: dt.date, finish: dt.date) -> dict[Period, float]:
    """``value`` spread evenly over the working days from ``start`` to ``finish``, summed by month.

    A task with no working day in its span (a milestone, a weekend task) books everything in its start month.
    """
    total = working_days(start, finish)
    if total == 0 or value == 0:
        return {Period.of(start): value} if value else {}
    out: dict[Period, float] = {}
    p = Period.of(start)
    while p.start.date() <= finish:
        lo = max(start, p.start.date())
        hi = min(finish, p.end.date())
        days = working_days(lo, hi)
        if days:
            out[p] = out.get(p, 0.0) + value * days / total
        p = p.next()
    return out


def _to_date(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else moment.date()


def effective(task: PlanTask, plan_baselined: bool) -> Effective | None:
    """The task's baseline, or its current dates and value when it has no baseline; None without any dates."""
    if task.baselined and plan_baselined:
        bs, bf = _to_date(task.baseline_start), _to_date(task.baseline_finish)
        assert bs is not None and bf is not None
        value = task.baseline_value if task.baseline_value is not None else (task.value or 0.0)
        return Effective(task, bs, max(bs, bf), value, True)
    s, f = _to_date(task.start), _to_date(task.finish)
    if s is None and f is None:
        return None
    s = s or f
    f = f or s
    assert s is not None and f is not None
    return Effective(task, s, max(s, f), task.value or 0.0, False)


def pv_to(eff: Effective, day: dt.date) -> float:
    """Planned value of one task up to and including ``day``."""
    if day < eff.start:
        return 0.0
    phased = eff.task.baseline_phased if eff.from_baseline else None
    if phased:
        status = Period.of(day)
        done = sum(v for m, v in phased.items() if m < status)
        in_month = phased.get(status, 0.0)
        if in_month:
            lo, hi = max(eff.start, status.start.date()), min(eff.finish, status.end.date())
            total = working_days(lo, hi)
            done += in_month * (working_days(lo, min(day, hi)) / total if total else float(day >= lo))
        return done
    total = working_days(eff.start, eff.finish)
    if total == 0:
        return eff.value if day >= eff.start else 0.0
    return eff.value * working_days(eff.start, min(day, eff.finish)) / total


def _names(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _money(value: float, measure: str) -> str:
    return f"{value:,.2f}" + (" h" if measure == "hours" else "")


def snapshot(plan: Plan, status_date: dt.date, program_id: str, status_origin: str) -> Snapshot:
    """The import of ``plan`` as of ``status_date`` (see the module docstring)."""
    leaves = [t for t in plan.tasks if not t.summary]
    summaries = [t for t in plan.tasks if t.summary]
    plan_baselined = any(t.baselined for t in leaves)
    mapped: list[str] = []
    assumed: list[str] = []
    left_out = [f"{why}: {_names([n for n, w in plan.skipped if w == why])}"
                for why in sorted({w for _, w in plan.skipped})]
    warnings: list[str] = []
    comments: list[str] = []
    unit = "cost" if plan.measure == "cost" else "work (hours)"

    effs: list[Effective] = []
    undated: list[str] = []
    for t in leaves:
        e = effective(t, plan_baselined)
        if e is None:
            undated.append(t.name)
        else:
            effs.append(e)
    if undated:
        left_out.append(f"tasks without any date (no baseline, start or finish): {_names(undated)}")
    if not effs:
        raise ValueError(f"{plan.source}: project {plan.project_id} has no dated task")

    if not plan_baselined:
        assumed.append(f"the plan was never baselined: its current dates and {unit} are used as the baseline")
        comments.append(f"No baseline in the plan: its current dates and {unit} are used as the baseline.")
    else:
        unbaselined = [e.task.name for e in effs if not e.from_baseline]
        if unbaselined:
            assumed.append(f"tasks without a baseline use their current dates and {unit}: {_names(unbaselined)}")
        no_value = [e.task.name for e in effs if e.from_baseline and e.task.baseline_value is None and e.task.value]
        if no_value:
            assumed.append(f"tasks with baseline dates but no baseline {unit} use their planned {unit}: "
                           f"{_names(no_value)}")
    assumed.extend(plan.notes)
    if plan.measure == "hours":
        comments.append("Figures are hours of work (baseline work), not cost: imported with --measure hours.")
        assumed.append("amounts are hours of work (--measure hours), not money")

    bac = sum(e.value for e in effs)
    ev = sum(e.value * e.task.percent_complete / 100.0 for e in effs)
    ac = sum(e.task.actual_value or 0.0 for e in effs)
    if plan.measure == "cost" and bac == 0:
        warnings.append(f"{plan.source}: project {plan.project_id} has no baseline or planned costs, so BAC, PV, EV "
                        "and AC are 0: pass --measure hours to report on baseline work instead")
    if not any(e.task.actual_value for e in effs) and ev > 0:
        assumed.append(f"no actual {unit} recorded in the plan: AC is 0")

    pv_curve: dict[Period, float] = {}
    phased_n = 0
    for e in effs:
        phased = e.task.baseline_phased if e.from_baseline else None
        if phased:
            phased_n += 1
            months = phased
        else:
            months = spread(e.value, e.start, e.finish)
        for m, v in months.items():
            pv_curve[m] = pv_curve.get(m, 0.0) + v
    pv_curve = dict(sorted(pv_curve.items()))
    if phased_n < len(effs) and any(e.value for e in effs):
        spread_n = len(effs) - phased_n
        assumed.append(f"planned value of {spread_n} task{'s' if spread_n != 1 else ''} without time-phased "
                       "baseline data is spread evenly over the working days (Mon-Fri) of its baseline dates")
    pv_status = sum(pv_to(e, status_date) for e in effs)

    start = min(e.start for e in effs)
    finish = max(e.finish for e in effs)
    forecast = [d for t in leaves for d in (_to_date(t.actual_finish) or _to_date(t.finish),) if d is not None]
    forecast_finish = max(forecast) if forecast else None
    span_end = max(finish, forecast_finish or finish)
    if status_date < start - dt.timedelta(days=31) or status_date > span_end + dt.timedelta(days=366):
        warnings.append(f"{plan.source}: status date {status_date} ({status_origin}) is outside the plan, which runs "
                        f"{start} to {span_end}: pass --status-date YYYY-MM-DD if the file's date is stale")

    milestones = []
    keys = 0
    for e in effs:
        t = e.task
        if not t.milestone:
            continue
        actual = _to_date(t.actual_finish) or _to_date(t.actual_start)
        if actual is None and t.percent_complete >= 100:
            actual = _to_date(t.finish) or e.finish
            assumed.append(f"milestone {t.name!r} is 100% complete without an actual date: its finish date is used")
        forecast_date = _to_date(t.finish) or e.finish
        milestones.append({
            "milestone_id": f"{plan.project_id}-M{t.uid}", "project_id": plan.project_id, "name": t.name,
            "baseline_date": e.finish.isoformat(),
            "forecast_date": None if actual else forecast_date.isoformat(),
            "actual_date": actual.isoformat() if actual else None, "key_milestone": t.key,
        })
        keys += t.key

    ms = f"{len(milestones)} milestone{'s' if len(milestones) != 1 else ''}"
    mapped.append(f"{len(plan.tasks)} tasks: {len(effs)} counted ({ms}), "
                  f"{len(summaries)} summary (their figures roll up from their sub-tasks, not counted twice)"
                  + (f", {len(undated)} without dates" if undated else "")
                  + (f", {len(plan.skipped)} skipped" if plan.skipped else ""))
    mapped.append(f"BAC {_money(bac, plan.measure)}; to {status_date}: PV {_money(pv_status, plan.measure)}, "
                  f"EV {_money(ev, plan.measure)}, AC {_money(ac, plan.measure)}")
    tasks_tp = f"{phased_n} task{'s' if phased_n != 1 else ''}"
    mapped.append(f"baseline {start} to {finish}; PV curve over {len(pv_curve)} months"
                  + (f" ({tasks_tp} from time-phased baseline data)" if phased_n else ""))
    mapped.append(f"{ms} ({keys} key)")
    if plan.manager is None:
        assumed.append("no project manager in the file: manager is 'unknown'")

    return Snapshot(
        project_id=plan.project_id, program_id=program_id, name=plan.name, manager=plan.manager,
        status_date=status_date, period=Period.of(status_date), baseline_start=start, baseline_finish=finish,
        forecast_finish=forecast_finish, bac=bac, ev=ev, ac=ac, pv_to_status=pv_status, pv_curve=pv_curve,
        milestones=milestones, measure=plan.measure, comment=" ".join(comments), source=plan.source,
        mapped=mapped, assumed=assumed, left_out=left_out, warnings=warnings,
    )
