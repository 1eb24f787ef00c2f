"""RAID beyond risks and issues: decisions needed, dependencies at risk, the dependency map across programs, overdue
actions and assumptions to validate, as of a reporting month's end.

One function per figure, each taking the data-model tables and the date it judges at (the month end), each returning
one row per item (or per pair of programs) with the ``program_id`` it belongs to, so that a program report, the
portfolio overview and the executive pack show the same list. :func:`month` computes them all for a portfolio and
:meth:`Raid.program` narrows them to one program. docs/kpis.md defines each figure.

An item's program is its own ``program_id`` where given (a program-level assumption or decision has no project),
else its project's; a dependency belongs to the program of the project that needs it (``from_program_id``) and to
the provider's (``to_program_id``); an action to the program of the RAID item it serves.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from pmo_nb.periods import Period

__all__ = ["VALIDATE_WINDOW_DAYS", "EXTERNAL", "Raid", "month", "month_of", "owning_program", "decisions_needed",
           "dependency_status", "at_risk_dependencies", "dependency_map", "raid_items", "overdue_actions",
           "assumptions_to_validate"]

VALIDATE_WINDOW_DAYS = 30
"""An open assumption is "to validate" when its validate_by date has passed or falls within this many days."""
EXTERNAL = "external"
"""The ``to_program_id`` of a dependency on a party outside the portfolio, in :func:`dependency_map`."""
_PARENTS = (("risks", "risk_id", "risk"), ("issues", "issue_id", "issue"),
            ("assumptions", "assumption_id", "assumption"), ("dependencies", "dependency_id", "dependency"),
            ("decisions", "decision_id", "decision"))


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column]) if column in frame else pd.Series(pd.NaT, index=frame.index)


def _days_late(when: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Whole days from ``when`` to ``as_of`` where ``when`` is before it, NaN otherwise."""
    late = (as_of - when).dt.days.astype("float64")
    return late.where(when < as_of)


def _project_programs(projects: pd.DataFrame) -> pd.Series:
    return projects.drop_duplicates("project_id").set_index("project_id")["program_id"]


def owning_program(frame: pd.DataFrame, projects: pd.DataFrame, project_col: str = "project_id") -> pd.Series:
    """Each row's program: its own ``program_id`` where given, else the program of its ``project_col``."""
    theirs = frame[project_col].map(_project_programs(projects)) if project_col in frame else None
    own = frame["program_id"] if "program_id" in frame else pd.Series(np.nan, index=frame.index, dtype=object)
    own = own.astype(object).where(own.notna() & own.astype(str).str.strip().ne(""))
    return own if theirs is None else own.fillna(theirs)


def decisions_needed(decisions: pd.DataFrame, projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The decisions open at ``as_of``, overdue ones first (most overdue first), then by ``needed_by``.

    Open at ``as_of``: status ``open``, or ``decided`` on a later day (a past month's report shows it as it was).
    Adds ``program_id`` (resolved), ``overdue`` (needed_by before ``as_of``), ``days_overdue`` (NaN when not
    overdue) and ``days_left`` (days from ``as_of`` to needed_by, negative when overdue).
    """
    status = decisions["status"].astype(str)
    decided_later = (status == "decided") & (_dates(decisions, "decided_on") > as_of)
    rows = decisions[(status == "open") | decided_later]
    needed = _dates(rows, "needed_by")
    out = rows.assign(program_id=owning_program(rows, projects), overdue=(needed < as_of).to_numpy(dtype=bool),
                      days_overdue=_days_late(needed, as_of), days_left=(needed - as_of).dt.days.astype("float64"))
    return (out.assign(_late=~out["overdue"]).sort_values(["_late", "needed_by", "decision_id"], kind="mergesort")
            .drop(columns="_late").reset_index(drop=True))


def dependency_status(dependencies: pd.DataFrame, projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every open dependency with its programs, its provider and whether it is at risk at ``as_of``.

    Adds ``from_program_id``, ``to_program_id`` (NaN for an external provider), ``provider`` (the providing
    project's name, or the external party), ``provider_finish`` (the providing project's forecast finish, else its
    baseline finish), ``overdue`` (needed_by before ``as_of``), ``provider_late`` (needed_by before
    ``provider_finish``), ``at_risk`` (either) and ``days_overdue``.
    """
    rows = dependencies[dependencies["status"].astype(str) == "open"]
    index = projects.drop_duplicates("project_id").set_index("project_id")
    finish = pd.to_datetime(index["forecast_finish"]).fillna(pd.to_datetime(index["baseline_finish"]))
    to = rows["to_project_id"]
    needed = _dates(rows, "needed_by")
    provider_finish = pd.to_datetime(to.map(finish))
    overdue = (needed < as_of).to_numpy(dtype=bool)
    provider_late = (needed < provider_finish).to_numpy(dtype=bool)
    external = rows["external_party"] if "external_party" in rows else pd.Series(np.nan, index=rows.index)
    out = rows.assign(
        from_program_id=rows["from_project_id"].map(index["program_id"]), to_program_id=to.map(index["program_id"]),
        provider=to.map(index["name"]).where(to.notna(), external), provider_finish=provider_finish,
        overdue=overdue, provider_late=provider_late, at_risk=overdue | provider_late,
        days_overdue=_days_late(needed, as_of),
    )
    return out.sort_values(["needed_by", "dependency_id"], kind="mergesort").reset_index(drop=True)


def at_risk_dependencies(status: pd.DataFrame) -> pd.DataFrame:
    """The open dependencies at risk (of :func:`dependency_status`): overdue, or needed before the provider's
    forecast finish; by needed_by, then id."""
    return status[status["at_risk"].astype(bool)].reset_index(drop=True)


def dependency_map(status: pd.DataFrame) -> pd.DataFrame:
    """Open dependencies counted per pair of programs: ``from_program_id`` (the dependent), ``to_program_id`` (the
    provider, :data:`EXTERNAL` for a party outside the portfolio), ``open`` and ``at_risk`` counts; sorted by the
    two program ids (the pair of one program with itself included: dependencies within a program)."""
    if status.empty:
        return pd.DataFrame({"from_program_id": pd.Series(dtype=object), "to_program_id": pd.Series(dtype=object),
                             "open": pd.Series(dtype="int64"), "at_risk": pd.Series(dtype="int64")})
    pairs = status.assign(to_program_id=status["to_program_id"].fillna(EXTERNAL),
                          at_risk=status["at_risk"].astype("int64"))
    out = (pairs.groupby(["from_program_id", "to_program_id"], sort=True)
           .agg(open=("dependency_id", "size"), at_risk=("at_risk", "sum")).reset_index())
    return out.astype({"open": "int64", "at_risk": "int64"})


def raid_items(tables: dict[str, pd.DataFrame], projects: pd.DataFrame) -> pd.DataFrame:
    """Every RAID item an action may serve: ``item_id``, ``register`` (risk, issue, ...), ``program_id``."""
    parts = []
    for name, column, register in _PARENTS:
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        own = frame.rename(columns={"from_project_id": "project_id"}) if name == "dependencies" else frame
        parts.append(pd.DataFrame({"item_id": frame[column].to_numpy(dtype=object), "register": register,
                                   "program_id": owning_program(own, projects).to_numpy(dtype=object)}))
    if not parts:
        return pd.DataFrame({"item_id": pd.Series(dtype=object), "register": pd.Series(dtype=object),
                             "program_id": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True).drop_duplicates("item_id")


def overdue_actions(actions: pd.DataFrame, items: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open actions whose ``due`` date is before ``as_of``, by due date then id, with the ``register`` and
    ``program_id`` of their parent item (:func:`raid_items`) and ``days_overdue``; the count is the row count."""
    due = _dates(actions, "due")
    rows = actions[(actions["status"].astype(str) == "open") & (due < as_of).to_numpy(dtype=bool)]
    parents = items.set_index("item_id")
    out = rows.assign(register=rows["parent_id"].map(parents["register"]),
                      program_id=rows["parent_id"].map(parents["program_id"]),
                      days_overdue=_days_late(_dates(rows, "due"), as_of))
    return out.sort_values(["due", "action_id"], kind="mergesort").reset_index(drop=True)


def assumptions_to_validate(assumptions: pd.DataFrame, projects: pd.DataFrame, as_of: pd.Timestamp,
                            window_days: int = VALIDATE_WINDOW_DAYS) -> pd.DataFrame:
    """Open assumptions whose ``validate_by`` has passed or falls within ``window_days`` after ``as_of``, by date then
    id, with ``program_id`` (resolved), ``overdue`` (validate_by before ``as_of``) and ``days_overdue``."""
    when = _dates(assumptions, "validate_by")
    due = (when <= as_of + pd.Timedelta(days=window_days)).to_numpy(dtype=bool)
    rows = assumptions[(assumptions["status"].astype(str) == "open").to_numpy(dtype=bool) & due]
    when = _dates(rows, "validate_by")
    out = rows.assign(program_id=owning_program(rows, projects), overdue=(when < as_of).to_numpy(dtype=bool),
                      days_overdue=_days_late(when, as_of))
    return out.sort_values(["validate_by", "assumption_id"], kind="mergesort").reset_index(drop=True)


@dataclass(frozen=True)
class Raid:
    """The month's RAID figures (:func:`month`): every frame has ``program_id`` (dependencies: from and to)."""

    period: str
    decisions: pd.DataFrame
    dependencies: pd.DataFrame
    actions: pd.DataFrame
    assumptions: pd.DataFrame

    @property
    def at_risk(self) -> pd.DataFrame:
        """The dependencies at risk (:func:`at_risk_dependencies`)."""
        return at_risk_dependencies(self.dependencies)

    @property
    def dependency_map(self) -> pd.DataFrame:
        """Open dependencies per pair of programs (:func:`dependency_map`)."""
        return dependency_map(self.dependencies)

    def program(self, program_id: str) -> Raid:
        """The figures of one program: its items, and the dependencies it needs or provides."""
        def mine(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["program_id"] == program_id].reset_index(drop=True)

        deps = self.dependencies
        deps = deps[(deps["from_program_id"] == program_id) | (deps["to_program_id"] == program_id)]
        return replace(self, decisions=mine(self.decisions), dependencies=deps.reset_index(drop=True),
                       actions=mine(self.actions), assumptions=mine(self.assumptions))


def month(portfolio: Any, period: str | Period) -> Raid:
    """Every RAID figure of ``portfolio`` (a :class:`pmo_nb.data.model.Portfolio`) at the end of ``period``."""
    as_of = Period(period).end
    projects = portfolio.projects
    tables = {name: portfolio.table(name) for name, _, _ in _PARENTS}
    return Raid(
        period=str(period),
        decisions=decisions_needed(portfolio.decisions, projects, as_of),
        dependencies=dependency_status(portfolio.dependencies, projects, as_of),
        actions=overdue_actions(portfolio.actions, raid_items(tables, projects), as_of),
        assumptions=assumptions_to_validate(portfolio.assumptions, projects, as_of),
    )


# portfolio object -> {period: Raid}: the figures of one loaded portfolio, computed once per month per process
_MONTHS: dict[int, tuple[weakref.ref[Any], dict[str, Raid]]] = {}


def month_of(portfolio: Any, period: str | Period) -> Raid:
    """:func:`month` of ``portfolio``, computed once per portfolio object and month in this process.

    Every program report of a kernel and every page of the executive pack reads the same month; computed per
    program, the whole portfolio's RAID would be worked out once for each of them (quadratic in the programs).
    A portfolio is not changed once loaded (a changed copy is a new object and is computed afresh).
    """
    key = id(portfolio)
    entry = _MONTHS.get(key)
    if entry is None or entry[0]() is not portfolio:
        for stale in [k for k, (ref, _) in _MONTHS.items() if ref() is None]:
            del _MONTHS[stale]
        entry = (weakref.ref(portfolio), {})
        _MONTHS[key] = entry
    label = str(period)
    if label not in entry[1]:
        entry[1][label] = month(portfolio, period)
    return entry[1][label]
