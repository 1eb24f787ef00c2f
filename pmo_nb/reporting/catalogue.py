"""The built-in report sections, in the order the report notebooks show them.

Each :class:`~pmo_nb.reporting.sections.Section` names what builds it: a method of the report object
(``_builder("_summary")``, in :mod:`pmo_nb.reporting.report`) or a function of a section module
(``trends``, ``views``, ``raid``, ``guidelines``), and the tables it needs. A plug-in adds sections
through the registry (:func:`pmo_nb.reporting.sections.register` or the ``pmo_nb.sections`` entry-point group),
not by editing this list.
"""

from __future__ import annotations

from typing import Any

from pmo_nb.reporting import guidelines as guideline_sections
from pmo_nb.reporting import raid as raid_sections
from pmo_nb.reporting import sections, trends, views
from pmo_nb.reporting.sections import Section


def _builder(method: str) -> Any:
    """``build(report)`` calling the report's own ``method`` (program and portfolio reports differ)."""
    return lambda report: getattr(report, method)()


PROGRAM: tuple[sections.ReportKind, ...] = ("program",)
PORTFOLIO: tuple[sections.ReportKind, ...] = ("portfolio",)
BUILTIN: tuple[Section, ...] = (
    Section("title", "Title", _builder("_title")),
    Section("decisions_needed", "Decisions needed", raid_sections.decisions_needed, needs=("decisions",)),
    Section("summary", "Executive summary", _builder("_summary")),
    Section("tiles", "Key figures", _builder("_tiles")),
    Section("rag_counts", "Programs by status", _builder("_rag_counts"), kinds=PORTFOLIO),
    Section("projects_table", "Projects", _builder("_projects_table"), kinds=PROGRAM),
    Section("programs_table", "Programs", _builder("_programs_table"), kinds=PORTFOLIO),
    Section("s_curve", "Cost and progress (S-curve)", _builder("_s_curve"), needs=("financials",)),
    Section("quadrant", "Cost and schedule indices", _builder("_quadrant"), needs=("financials",)),
    Section("risk_forecast", "Risk-adjusted forecast", trends.risk_forecast, needs=("financials",)),
    Section("index_trend", "CPI and SPI(t) by month", trends.index_trend, needs=("financials",), past_months=True),
    Section("eac_trend", "EAC against BAC by month", trends.eac_trend, needs=("financials",), past_months=True),
    Section("rag_strip", "Status by month", trends.rag_strip, past_months=True),
    Section("mismatch_table", "Reported better than the figures show", _builder("_mismatch_table"),
            kinds=PORTFOLIO),
    Section("milestone_timeline", "Milestone timeline", _builder("_milestone_timeline"), needs=("milestones",),
            kinds=PROGRAM),
    Section("milestone_lists", "Missed and upcoming milestones", _builder("_milestone_lists"),
            needs=("milestones",), kinds=PROGRAM),
    Section("milestone_trend", "Milestone trend analysis", trends.milestone_trend, needs=("milestones",),
            kinds=PROGRAM, past_months=True),
    # portfolio views (issue 12)
    Section("key_milestones", "Key milestones in the next days", views.key_milestones, needs=("milestones",),
            kinds=PORTFOLIO),
    Section("roadmap", "Roadmap", views.roadmap, kinds=PORTFOLIO),
    Section("risk_heatmap", "Risk heat map", _builder("_risk_heatmap"), needs=("risks",)),
    Section("top_risks", "Top risks", _builder("_top_risks"), needs=("risks",)),
    Section("exposure_trend", "Risk exposure trend", _builder("_exposure_trend"), needs=("risks",),
            kinds=PROGRAM),
    Section("issues_by_severity", "Open issues by severity", _builder("_issues_by_severity"), needs=("issues",),
            kinds=PROGRAM),
    Section("issue_trend", "Open issues by month", trends.issue_trend, needs=("issues",), kinds=PROGRAM,
            past_months=True),
    Section("issue_ageing", "Open issues by age", _builder("_issue_ageing"), needs=("issues",), kinds=PROGRAM),
    Section("oldest_issues", "Oldest open issues", _builder("_oldest_issues"), needs=("issues",), kinds=PROGRAM),
    # RAID beyond risks and issues (pmo_nb.reporting.raid)
    Section("dependencies_at_risk", "Dependencies at risk", raid_sections.dependencies_at_risk,
            needs=("dependencies",), kinds=PROGRAM),
    Section("dependency_map", "Dependencies across programs", raid_sections.dependency_map,
            needs=("dependencies",), kinds=PORTFOLIO),
    Section("overdue_actions", "Overdue actions", raid_sections.overdue_actions, needs=("actions",), kinds=PROGRAM),
    Section("assumptions_to_validate", "Assumptions to validate", raid_sections.assumptions_to_validate,
            needs=("assumptions",), kinds=PROGRAM),
    Section("guidelines", "Guidelines and measures", guideline_sections.program_section, kinds=PROGRAM),
    Section("compliance_by_program", "Guidelines and measures: compliance by program",
            guideline_sections.portfolio_section, kinds=PORTFOLIO),
    # compliance trend (issue 16) and benefits (issue 12)
    Section("compliance_trend", "Compliance by month", views.compliance_trend, kinds=PORTFOLIO, past_months=True),
    Section("benefits", "Benefits", views.benefits, needs=("benefits",), kinds=PROGRAM),
    Section("benefit_progress", "Benefits realised against plan", views.benefit_progress, needs=("benefits",),
            kinds=PROGRAM),
    Section("benefits_rollup", "Benefits by program", views.benefits_rollup, needs=("benefits",), kinds=PORTFOLIO),
    Section("changes_section", "What changed since last month", _builder("_changes_section")),
    Section("data_notes", "Data notes", _builder("_data_notes")),
)


def register_builtin() -> None:
    """Register (again) every built-in section, in catalogue order."""
    for section in BUILTIN:
        sections.register(section, replace=True)
