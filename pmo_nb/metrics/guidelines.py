"""The PMO's guidelines and measures evaluated for a month: breaches, compliance and measures per entity.

:func:`evaluate` applies every enabled :class:`~pmo_nb.rules.Guideline` of the configuration to the open projects'
rows (a closed project is never flagged) and computes every :class:`~pmo_nb.rules.Measure` per project as a
numerator and a denominator. Programs and the portfolio re-sum those parts before dividing: ``compliance_pct`` is
guidelines met over guidelines applicable, a share is pooled rows over pooled rows, never a mean of project
shares. docs/guidelines.md explains the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from pmo_nb.config import Config
from pmo_nb.metrics.conditions import Context, all_hold, holds, offending
from pmo_nb.periods import Period
from pmo_nb.rules import DERIVED_COLUMNS, GUIDELINE_TABLES, Guideline, Measure

__all__ = ["BREACH_COLUMNS", "FIGURE_COLUMNS", "GuidelineResult", "evaluate", "tables_for", "measure_rag"]

BREACH_COLUMNS: tuple[str, ...] = ("project_id", "program_id", "guideline", "text", "severity", "item", "detail")
FIGURE_COLUMNS: tuple[str, ...] = ("compliance_pct", "guideline_breaches")
"""The guideline columns of every KPI level; ``measure_<id>`` columns follow, one per measure."""
ITEM_KEYS: dict[str, tuple[str, ...]] = {"projects": (), "financials": ("period",), "milestones": ("milestone_id",),
                                         "risks": ("risk_id",), "issues": ("issue_id",)}
Level = Literal["project", "program", "portfolio"]
_LEVELS: tuple[Level, ...] = ("project", "program", "portfolio")


def measure_rag(value: float, measure: Measure) -> str | None:
    """Green, amber or red of a measure's value against its thresholds (None without thresholds or value)."""
    if measure.green is None or measure.amber is None or value is None or np.isnan(value):
        return None
    if measure.direction == "higher":
        return "green" if value >= measure.green else "amber" if value >= measure.amber else "red"
    return "green" if value <= measure.green else "amber" if value <= measure.amber else "red"


@dataclass
class GuidelineResult:
    """A month's guideline breaches, per-project compliance parts and measure parts.

    ``breaches`` has one row per offending row (``BREACH_COLUMNS``; ``item`` the risk, issue, milestone or month,
    empty for a project-level guideline). ``compliance`` has per project ``applicable`` and ``met`` (guidelines),
    ``breaches`` and ``major`` (breach rows). ``parts`` has per project and measure ``num`` and ``den``.
    """

    guidelines: tuple[Guideline, ...]
    measures: tuple[Measure, ...]
    breaches: pd.DataFrame
    compliance: pd.DataFrame
    parts: pd.DataFrame

    def for_program(self, program_id: str) -> GuidelineResult:
        """The same restricted to one program's projects."""
        def keep(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["program_id"] == program_id].reset_index(drop=True)

        return replace(self, breaches=keep(self.breaches), compliance=keep(self.compliance), parts=keep(self.parts))

    def figures(self, level: Level, ids: pd.Index) -> pd.DataFrame:
        """``compliance_pct``, ``guideline_breaches``, ``guideline_major_breaches`` and ``measure_<id>`` for the
        entities ``ids`` of ``level`` (project ids, program ids, or the portfolio's one id), re-summed."""
        by = {"project": "project_id", "program": "program_id"}.get(level)
        comp = self.compliance
        key = comp[by] if by else pd.Series(ids[0] if len(ids) else "", index=comp.index)
        sums = comp[["applicable", "met", "breaches", "major"]].groupby(key.to_numpy()).sum().reindex(ids)
        out = pd.DataFrame(index=ids)
        applicable = sums["applicable"].astype("float64")
        out["compliance_pct"] = (sums["met"].astype("float64") / applicable).where(applicable > 0)
        out["guideline_breaches"] = sums["breaches"].fillna(0).astype("int64")
        out["guideline_major_breaches"] = sums["major"].fillna(0).astype("int64")
        parts = self.parts
        pkey = parts[by] if by else pd.Series(ids[0] if len(ids) else "", index=parts.index)
        for m in self.measures:
            rows = parts[parts["measure"] == m.id]
            summed = rows[["num", "den"]].groupby(pkey[rows.index].to_numpy()).sum().reindex(ids)
            num, den = summed["num"].fillna(0.0), summed["den"].fillna(0.0)
            value = num if m.compute in ("count", "sum") else (num / den).where(den > 0)
            shown = _LEVELS.index(level) >= _LEVELS.index(m.level)
            out[m.name] = value.astype("float64") if shown else np.nan
        return out.reset_index(drop=True)

    def measure_table(self, level: Level, entity: str) -> pd.DataFrame:
        """One row per measure for one entity: ``id, label, value, num, den, target, rag, compute``."""
        ids = pd.Index([entity])
        figures = self.figures(level, ids)
        by = {"project": "project_id", "program": "program_id"}.get(level)
        rows = []
        for m in self.measures:
            parts = self.parts[self.parts["measure"] == m.id]
            if by:
                parts = parts[parts[by] == entity]
            value = float(figures[m.name].iloc[0])
            rows.append({"id": m.id, "label": m.label, "compute": m.compute, "value": value,
                         "num": float(parts["num"].sum()), "den": float(parts["den"].sum()),
                         "target": m.target, "rag": measure_rag(value, m)})
        return pd.DataFrame(rows, columns=["id", "label", "compute", "value", "num", "den", "target", "rag"])


def tables_for(portfolio_projects: pd.DataFrame, kpi_projects: pd.DataFrame, financials: pd.DataFrame,
               milestones: pd.DataFrame, risks: pd.DataFrame, issues: pd.DataFrame,
               period: Period) -> dict[str, pd.DataFrame]:
    """The rows guidelines and measures read, open projects only, each with ``project_id`` and ``program_id``.

    ``projects`` joins the data model's columns with the month's derived ones (``kpi_projects``, a row per project
    in the same order) and ``status_age_days``; ``financials`` keeps every month (later months' planned value is
    part of the baseline: ``has_rows`` sees it; ``every_month`` and measures read the months up to ``period``);
    milestones, risks and issues are the month's item frames (with ``open``, ``score``, ``age_days``, ...).
    """
    projects = portfolio_projects.reset_index(drop=True).copy()
    kp = kpi_projects.reset_index(drop=True)
    for c in DERIVED_COLUMNS["projects"]:
        if c in kp and c not in projects:
            projects[c] = kp[c].to_numpy()
    age = (pd.Timestamp(period.end).normalize() - pd.to_datetime(projects["last_updated"])) / pd.Timedelta(days=1)
    projects["status_age_days"] = age.astype("float64")
    phase = projects["phase"].astype("object").map(lambda v: str(v).strip().lower() if isinstance(v, str) else v)
    open_ids = set(projects.loc[phase.ne("closed"), "project_id"].astype(str))
    program_of = projects.set_index("project_id")["program_id"]
    fin = financials.copy()
    fin["program_id"] = fin["project_id"].map(program_of)
    out = {"projects": projects, "financials": fin, "milestones": milestones, "risks": risks, "issues": issues}
    return {name: df[df["project_id"].astype(str).isin(open_ids)].reset_index(drop=True) for name, df in out.items()}


def _item(frame: pd.DataFrame, table: str) -> pd.Series:
    keys = ITEM_KEYS[table]
    if not keys:
        return pd.Series([None] * len(frame), index=frame.index, dtype="object")
    return frame[keys[0]].astype(str)


def _breaches(g: Guideline, frame: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, np.ndarray]:
    """The breach rows of ``g`` on ``frame`` and the scope mask."""
    scope = all_hold(g.scope, frame, ctx)
    failed = np.zeros(len(frame), dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(len(frame))]
    said: list[set[str]] = [set() for _ in range(len(frame))]  # a column found empty is said once per row
    for cond in g.require:
        bad = scope & ~holds(cond, frame, ctx)
        failed |= bad
        positions = np.flatnonzero(bad)
        if len(positions):
            for pos, text in zip(positions, offending(cond, frame.iloc[positions], ctx), strict=True):
                if cond.column is not None and text.startswith(f"{cond.column} empty") and cond.column in said[pos]:
                    continue
                reasons[pos].append(text)
                if cond.column is not None and text.startswith(f"{cond.column} empty"):
                    said[pos].add(cond.column)
    rows = frame[failed]
    out = pd.DataFrame({
        "project_id": rows["project_id"].astype(str).to_numpy(), "program_id": rows["program_id"].to_numpy(),
        "guideline": g.id, "text": g.text, "severity": g.severity, "item": _item(rows, g.table).to_numpy(),
        "detail": ["; ".join(reasons[p]) for p in np.flatnonzero(failed)],
    }, columns=list(BREACH_COLUMNS))
    return out, scope


def _tables_read(g: Guideline) -> set[str]:
    """Every table ``g`` reads: its own and those its conditions count rows in (``has_rows``, ``every_month``)."""
    read = {g.table}
    stack = [*g.scope, *g.require]
    while stack:
        cond = stack.pop()
        if cond.table:
            read.add(cond.table)
        stack.extend(cond.where)
    return read


def evaluate(tables: dict[str, pd.DataFrame], period: Period, config: Config,
             absent: tuple[str, ...] = ()) -> GuidelineResult:
    """Every enabled guideline and every measure of ``config`` on ``tables`` (:func:`tables_for`) at ``period``.

    A guideline that reads a table the source did not provide (``absent``, e.g. no financials at all) does not
    apply this month: a PMO that keeps no cost data is not in breach of "financials booked every month".
    """
    ctx = Context(period=period, tables=tables)
    projects = tables["projects"]
    pids = pd.Index(projects["project_id"].astype(str))
    applicable = pd.Series(0, index=pids, dtype="int64")
    met = pd.Series(0, index=pids, dtype="int64")
    found = []
    for g in config.guidelines:
        if not g.enabled or g.table not in GUIDELINE_TABLES or _tables_read(g) & set(absent):
            continue
        frame = tables[g.table]
        rows, scope = _breaches(g, frame, ctx)
        found.append(rows)
        in_scope = set(frame.loc[scope, "project_id"].astype(str))
        breached = set(rows["project_id"])
        applicable += pids.isin(list(in_scope)).astype("int64")
        met += (pids.isin(list(in_scope)) & ~pids.isin(list(breached))).astype("int64")
    breaches = (pd.concat(found, ignore_index=True) if found
                else pd.DataFrame({c: pd.Series(dtype="object") for c in BREACH_COLUMNS}))
    breaches = breaches.sort_values(["program_id", "project_id", "guideline", "item"], kind="mergesort",
                                    na_position="first").reset_index(drop=True)
    counts = breaches.groupby("project_id").size().reindex(pids, fill_value=0)
    major = breaches[breaches["severity"] == "major"].groupby("project_id").size().reindex(pids, fill_value=0)
    compliance = pd.DataFrame({
        "project_id": pids, "program_id": projects["program_id"].to_numpy(), "applicable": applicable.to_numpy(),
        "met": met.to_numpy(), "breaches": counts.to_numpy(dtype="int64"), "major": major.to_numpy(dtype="int64")})
    return GuidelineResult(guidelines=tuple(config.guidelines), measures=tuple(config.measures), breaches=breaches,
                           compliance=compliance, parts=_measure_parts(config.measures, tables, ctx, projects))


def _measure_parts(measures: tuple[Measure, ...], tables: dict[str, pd.DataFrame], ctx: Context,
                   projects: pd.DataFrame) -> pd.DataFrame:
    """Per project and measure, the numerator and denominator that programs and the portfolio re-sum."""
    pids = pd.Index(projects["project_id"].astype(str))
    program = projects["program_id"].to_numpy()
    out = []
    for m in measures:
        frame = tables[m.table]
        if "period" in frame:  # a measure counts what was booked up to the reporting month
            frame = frame[frame["period"].astype(str) <= str(ctx.period)]
        rows = frame[all_hold(m.filter, frame, ctx)]
        key = rows["project_id"].astype(str)
        num: pd.Series
        den: pd.Series
        if m.compute == "count":
            num, den = key.value_counts(), key.value_counts()
        elif m.compute == "share":
            num = key[all_hold(m.where, rows, ctx)].value_counts()
            den = key.value_counts()
        else:
            assert m.column is not None
            values = pd.to_numeric(rows[m.column], errors="coerce").astype("float64")
            num = values.groupby(key.to_numpy()).sum()
            den = values.notna().groupby(key.to_numpy()).sum()
        out.append(pd.DataFrame({
            "project_id": pids, "program_id": program, "measure": m.id,
            "num": num.reindex(pids, fill_value=0).astype("float64").to_numpy(),
            "den": den.reindex(pids, fill_value=0).astype("float64").to_numpy()}))
    if not out:
        return pd.DataFrame({"project_id": pd.Series(dtype="object"), "program_id": pd.Series(dtype="object"),
                             "measure": pd.Series(dtype="object"), "num": pd.Series(dtype="float64"),
                             "den": pd.Series(dtype="float64")})
    return pd.concat(out, ignore_index=True)
