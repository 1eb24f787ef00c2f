"""Small hand-computed portfolios for the KPI tests (test_kpis, test_cli_kpis), built with the model's dtypes."""

from __future__ import annotations

import pandas as pd

from pmo_nb.data.model import Portfolio, empty_table


def typed(name: str, rows: list[dict]) -> pd.DataFrame:
    """A table with the canonical columns and dtypes of ``name`` from a few rows (missing cells empty)."""
    template = empty_table(name)
    frame = pd.DataFrame(rows, columns=list(template.columns))
    for column, dtype in template.dtypes.items():
        if str(dtype) == "bool":
            frame[column] = frame[column].fillna(False).astype(bool)
        elif str(dtype).startswith("datetime"):
            frame[column] = pd.to_datetime(frame[column])
        elif str(dtype) in ("float64", "int64", "Int64"):
            frame[column] = frame[column].astype(dtype)
        else:
            frame[column] = frame[column].astype("object")
    return frame


def monthly(project: str, start: str, pv: list[float], ev: list[float], ac: list[float]) -> list[dict]:
    months = pd.period_range(start, periods=len(pv), freq="M").strftime("%Y-%m")
    return [{"project_id": project, "period": m, "planned_value": p, "earned_value": e, "actual_cost": a}
            for m, p, e, a in zip(months, pv, ev, ac, strict=True)]


def scenario() -> Portfolio:
    """Two programs, four projects, as of 2024-03.

    * A (P1): behind and over cost: PV 100/month Jan-Oct, EV 80, 90, 100; AC 100 each. Reported green.
    * B (P1): ahead: PV 100/month Feb-Jun; EV 150, 100; AC 100, 100. Reported amber.
    * C (P2): starts 2025, no financials yet.
    * D (P2): finished on budget in Feb (phase closing): PV 50, 50; EV 50, 50; AC 40, 40. Reported green.
    """
    programs = typed("programs", [
        {"program_id": "P1", "name": "Digital", "sponsor": "S1", "manager": "M1"},
        {"program_id": "P2", "name": "Estate", "sponsor": "S2", "manager": "M2"},
    ])
    projects = typed("projects", [
        {"project_id": "A", "program_id": "P1", "name": "Alpha", "manager": "m", "phase": "execution",
         "baseline_start": "2024-01-01", "baseline_finish": "2024-10-31", "forecast_finish": "2024-12-31",
         "budget": 1000.0, "reported_status": "green", "last_updated": "2024-03-25"},
        {"project_id": "B", "program_id": "P1", "name": "Beta", "manager": "m", "phase": "execution",
         "baseline_start": "2024-02-01", "baseline_finish": "2024-06-30", "budget": 500.0,
         "reported_status": "amber", "last_updated": "2023-12-01"},
        {"project_id": "C", "program_id": "P2", "name": "Gamma", "manager": "m", "phase": "planning",
         "baseline_start": "2025-01-01", "baseline_finish": "2025-12-31", "budget": 100.0},
        {"project_id": "D", "program_id": "P2", "name": "Delta", "manager": "m", "phase": "closing",
         "baseline_start": "2024-01-01", "baseline_finish": "2024-02-29", "forecast_finish": "2024-02-29",
         "budget": 100.0, "reported_status": "green", "last_updated": "2024-03-01"},
    ])
    financials = typed("financials",
                       monthly("A", "2024-01", [100.0] * 10, [80, 90, 100] + [0] * 7, [100] * 3 + [0] * 7)
                       + monthly("B", "2024-02", [100.0] * 5, [150, 100, 0, 0, 0], [100, 100, 0, 0, 0])
                       + monthly("D", "2024-01", [50.0, 50.0], [50.0, 50.0], [40.0, 40.0]))
    milestones = typed("milestones", [
        {"milestone_id": "A-M1", "project_id": "A", "name": "Design", "baseline_date": "2024-02-15",
         "actual_date": "2024-02-10", "key_milestone": False},
        {"milestone_id": "A-M2", "project_id": "A", "name": "Go-live", "baseline_date": "2024-03-10",
         "forecast_date": "2024-05-01", "key_milestone": True},
        {"milestone_id": "B-M1", "project_id": "B", "name": "Build", "baseline_date": "2024-03-05",
         "actual_date": "2024-03-20", "key_milestone": False},
    ])
    risks = typed("risks", [
        {"risk_id": "R1", "project_id": "B", "title": "Vendor", "probability": 5, "impact": 4,
         "cost_impact": 1000.0, "owner": "o", "status": "open", "raised_date": "2024-03-02"},
        {"risk_id": "R2", "project_id": "B", "title": "Staff", "probability": 2, "impact": 2,
         "owner": "o", "status": "closed", "raised_date": "2024-01-02", "closed_date": "2024-02-01"},
    ])
    issues = typed("issues", [
        {"issue_id": "I1", "project_id": "A", "title": "Late data", "severity": "high", "status": "open",
         "owner": "o", "opened_date": "2024-02-01"},
        {"issue_id": "I2", "project_id": "A", "title": "Access", "severity": "low", "status": "closed",
         "owner": "o", "opened_date": "2024-01-10", "closed_date": "2024-01-20"},
    ])
    return Portfolio(programs=programs, projects=projects, financials=financials, milestones=milestones,
                     risks=risks, issues=issues, source="scenario")
