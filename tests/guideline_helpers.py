"""A hand-built portfolio for the guideline tests: every built-in guideline breached where the comments say.

Status date 2024-03-31 (period 2024-03). Programs P1 (A, B) and P2 (C, D, E).

* A execution, compliant project record; risk R2 (score 16) has owner "TBD" and no response; issue I1 (low) has been
  open 121 days.
* B planning, budget 0 and only zero planned value (no baseline); status last updated 2024-02-20 (40 days old); risk
  R3 (score 15) response due 2024-03-15, passed.
* C initiation: nothing applies but the status date, which is met.
* D execution, financials for January and March only (February missing); no last_updated; key milestone M3 with
  neither forecast nor actual.
* E closed: breaks everything, never flagged.
"""

from __future__ import annotations

from pathlib import Path

from kpi_scenarios import typed

from pmo_nb.data.model import Portfolio
from pmo_nb.data.sample import write
from pmo_nb.schema import TABLE_NAMES


def _fin(project: str, months: list[str], pv: float) -> list[dict]:
    return [{"project_id": project, "period": m, "planned_value": pv, "earned_value": pv, "actual_cost": pv}
            for m in months]


def _project(pid: str, program: str, phase: str, start: str, budget: float, updated: str | None) -> dict:
    return {"project_id": pid, "program_id": program, "name": f"Project {pid}", "manager": "m", "phase": phase,
            "baseline_start": start, "baseline_finish": "2024-12-31", "budget": budget, "reported_status": "green",
            "last_updated": updated}


def _risk(rid: str, pid: str, p: int, i: int, owner: str, status: str = "open", response: str | None = None,
          due: str | None = None) -> dict:
    return {"risk_id": rid, "project_id": pid, "title": f"Risk {rid}", "probability": p, "impact": i,
            "owner": owner, "status": status, "raised_date": "2024-01-05",
            "closed_date": "2024-02-01" if status == "closed" else None, "response": response, "response_due": due}


def guideline_portfolio() -> Portfolio:
    programs = typed("programs", [
        {"program_id": "P1", "name": "Digital", "sponsor": "S1", "manager": "M1"},
        {"program_id": "P2", "name": "Estate", "sponsor": "S2", "manager": "M2"},
    ])
    projects = typed("projects", [
        _project("A", "P1", "execution", "2024-01-01", 1000.0, "2024-03-20"),
        _project("B", "P1", "planning", "2024-02-01", 0.0, "2024-02-20"),
        _project("C", "P2", "initiation", "2024-05-01", 50.0, "2024-03-30"),
        _project("D", "P2", "execution", "2024-01-01", 300.0, None),
        _project("E", "P2", "closed", "2023-01-01", 0.0, None),
    ])
    financials = typed("financials", _fin("A", ["2024-01", "2024-02", "2024-03"], 100.0)
                       + _fin("B", ["2024-02", "2024-03"], 0.0) + _fin("D", ["2024-01", "2024-03"], 100.0))
    milestones = typed("milestones", [
        {"milestone_id": "M1", "project_id": "A", "name": "Go-live", "baseline_date": "2024-04-01",
         "forecast_date": "2024-05-01", "key_milestone": True},
        {"milestone_id": "M2", "project_id": "A", "name": "Design", "baseline_date": "2024-02-01",
         "actual_date": "2024-02-01", "key_milestone": True},
        {"milestone_id": "M3", "project_id": "D", "name": "Handover", "baseline_date": "2024-06-01",
         "key_milestone": True},
        {"milestone_id": "M4", "project_id": "D", "name": "Survey", "baseline_date": "2024-06-01",
         "key_milestone": False},
        {"milestone_id": "M5", "project_id": "E", "name": "Close", "baseline_date": "2023-06-01",
         "key_milestone": True},
    ])
    risks = typed("risks", [
        _risk("R1", "A", 5, 4, "Ann", response="Mitigate", due="2024-04-15"),
        _risk("R2", "A", 4, 4, "TBD"),
        _risk("R3", "B", 3, 5, "Bo", response="Plan", due="2024-03-15"),
        _risk("R4", "B", 3, 4, "Bo", response="Accept"),
        _risk("R5", "D", 5, 5, "TBD", status="closed"),
        _risk("R6", "E", 5, 5, "TBD"),
        _risk("R7", "B", 1, 1, "Bo", response="Accept"),
    ])
    issues = typed("issues", [
        {"issue_id": "I1", "project_id": "A", "title": "Old", "severity": "low", "status": "open", "owner": "o",
         "opened_date": "2023-12-01"},
        {"issue_id": "I2", "project_id": "A", "title": "Escalated", "severity": "high", "status": "open",
         "owner": "o", "opened_date": "2023-11-01"},
        {"issue_id": "I3", "project_id": "D", "title": "Recent", "severity": "medium", "status": "open",
         "owner": "o", "opened_date": "2024-01-15"},
        {"issue_id": "I4", "project_id": "D", "title": "Closed", "severity": "low", "status": "closed",
         "owner": "o", "opened_date": "2023-06-01", "closed_date": "2024-02-01"},
        {"issue_id": "I5", "project_id": "E", "title": "Closed project", "severity": "low", "status": "open",
         "owner": "o", "opened_date": "2023-06-01"},
    ])
    return Portfolio(programs=programs, projects=projects, financials=financials, milestones=milestones,
                     risks=risks, issues=issues, source="guidelines scenario")


def write_guideline_portfolio(folder: Path) -> Path:
    """The scenario as a CSV folder (a source for ``pmo-nb guidelines``)."""
    p = guideline_portfolio()
    write({name: p.table(name) for name in TABLE_NAMES}, folder, "csv")
    return folder
