"""The "Guidelines and measures" sections: a program's breaches and measures, the portfolio's compliance by program.

:func:`program_section` lists, project by project, every breach of the PMO's guidelines (the guideline's text, the
row concerned and the offending value) and each measure against its target; :func:`portfolio_section` shows
compliance, breaches and the measures per program. Both read ``report.kpis`` (its ``guidelines`` result and the
``compliance_pct``, ``guideline_breaches`` and ``measure_<id>`` columns) and are registered by
:mod:`pmo_nb.reporting.report`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pmo_nb.metrics.guidelines import GuidelineResult
from pmo_nb.reporting import components
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.tables import Col
from pmo_nb.rules import Measure

__all__ = ["program_section", "portfolio_section", "compliance_sentence", "measure_value"]


def compliance_sentence(result: GuidelineResult, scope: str = "program") -> str:
    """"Compliance 84.2%: 16 of 19 applicable guidelines met across 7 open projects; 3 breaches (2 major)."."""
    comp = result.compliance
    applicable, met = int(comp["applicable"].sum()), int(comp["met"].sum())
    n, major = len(result.breaches), int((result.breaches["severity"] == "major").sum())
    if not applicable:
        return f"No guideline applies to the open projects of this {scope}."
    head = (f"Compliance {fmt.pct(met / applicable)}: {met} of {applicable} applicable guidelines met across "
            f"{len(comp)} open project{'s' if len(comp) != 1 else ''}")
    if not n:
        return head + "; no breach."
    return f"{head}; {n} breach{'es' if n != 1 else ''} ({major} major)."


def measure_value(value: Any, measure: Measure) -> str:
    """A measure's value as its kind reads: a share as a percentage, a count as a whole number, else two decimals."""
    if measure.compute == "share":
        return fmt.pct(value)
    if measure.compute == "count":
        return fmt.integer(value)
    return fmt.ratio(value)


def _measures(result: GuidelineResult, level: str, entity: str) -> components.HTML:
    if not result.measures:
        return components.HTML("")
    rows = result.measure_table(level, entity)  # type: ignore[arg-type]
    by_id = {m.id: m for m in result.measures}
    rows = rows.assign(
        shown=[measure_value(v, by_id[i]) for i, v in zip(rows["id"], rows["value"], strict=True)],
        goal=[fmt.NA if t is None or pd.isna(t) else measure_value(t, by_id[i])
              for i, t in zip(rows["id"], rows["target"], strict=True)],
        basis=[f"{fmt.integer(n)} of {fmt.integer(d)} rows" if by_id[i].compute == "share"
               else f"{fmt.integer(d)} rows" if by_id[i].compute == "mean" else ""
               for i, n, d in zip(rows["id"], rows["num"], rows["den"], strict=True)])
    return components.table(rows, [
        Col("label", "Measure"), Col("shown", "Value"), Col("goal", "Target"), Col("rag", "Status", "rag"),
        Col("basis", "Basis"),
    ], max_chars=None, caption="Measures against target")


def program_section(report: Any) -> components.HTML:
    """Breaches by project (guideline text, row, offending value) and the program's measures against target."""
    result: GuidelineResult | None = report.kpis.guidelines
    if result is None:
        return components.empty("", text="The guidelines were not evaluated for this month.")
    parts = [components.summary(compliance_sentence(result, report.scope))]
    breaches = result.breaches
    if len(breaches):
        names = report.kpis.projects.set_index("project_id")["name"]
        rank = {"major": 0, "minor": 1}
        shown = breaches.assign(
            project=breaches["project_id"].map(names).fillna("") + " (" + breaches["project_id"] + ")",
            _rank=breaches["severity"].map(rank), item=breaches["item"].fillna(""),
        ).sort_values(["project_id", "_rank", "guideline", "item"], kind="mergesort")
        parts.append(components.table(shown, [
            Col("project", "Project"), Col("text", "Guideline"), Col("severity", "Severity"), Col("item", "Row"),
            Col("detail", "Offending value"),
        ], max_chars=None, caption="Breaches by project"))
    parts.append(_measures(result, "program", str(report.program_id)))
    out = components.HTML("")
    for p in parts:
        out = out + p
    return out


def portfolio_section(report: Any) -> components.HTML:
    """Compliance by program: share of applicable guidelines met, breaches (major) and each measure per program."""
    result: GuidelineResult | None = report.kpis.guidelines
    if result is None:
        return components.empty("", text="The guidelines were not evaluated for this month.")
    progs = report.kpis.programs
    major = result.compliance.groupby("program_id")["major"].sum()
    table = progs.assign(major=progs["program_id"].map(major).fillna(0)).sort_values(
        ["compliance_pct", "name"], kind="mergesort", na_position="last")
    columns = [Col("name", "Program"), Col("compliance_pct", "Compliance", "pct"),
               Col("guideline_breaches", "Breaches", "int"), Col("major", "Major", "int")]
    for m in result.measures:
        if m.level != "portfolio":
            columns.append(Col(m.name, m.label, "pct" if m.compute == "share" else "int" if m.compute == "count"
                               else "ratio"))
    parts = [components.summary(compliance_sentence(result, "portfolio")),
             components.table(table, columns, max_chars=None, caption="Compliance by program"),
             _measures(result, "portfolio", "portfolio")]
    out = components.HTML("")
    for p in parts:
        out = out + p
    return out
