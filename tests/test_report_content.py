"""What the reports show of the loaded data (comment, objective, phase, risk response and category) and the
lifecycle rule on the reporting side (closed projects listed once, never rated or flagged)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pmo_nb.reporting.report import PortfolioReport, ProgramReport


@pytest.fixture(scope="module")
def dcx() -> ProgramReport:
    return ProgramReport.build(program_id="PRG-DCX")


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[ >].*?</tr>", html)


def test_objective_under_the_title(dcx):
    objective = dcx.portfolio.programs.set_index("program_id").loc["PRG-DCX", "objective"]
    assert f'<div class="pmo-title-objective">Objective: {objective}</div>' in str(dcx.title())


def test_phase_and_comment_next_to_the_status(dcx):
    html = str(dcx.projects_table())
    row = next(r for r in _rows(html) if "DCX-005" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[2] == "execution"
    assert "Reported" in html and "PM comment" in html
    assert "Integration partner rates rose 18% under change request CR-041." in cells[5]


def test_a_closed_project_is_listed_once_under_closed_and_never_rated(dcx):
    html = str(dcx.projects_table())
    assert html.count("DCX-006") == 1
    closed_table = html[html.index("Closed (1)"):]
    assert "DCX-006" in closed_table and "Closed. WCAG 2.2 AA audit passed" in closed_table
    assert "pmo-rag" not in closed_table  # no status badge for a closed project
    assert "DCX-006" not in str(PortfolioReport.build().mismatch_table())


def test_closed_projects_are_never_flagged_even_if_the_figures_say_so(dcx, monkeypatch):
    proj = dcx.kpis.projects.copy()
    closed = proj["phase"] == "closed"
    proj.loc[closed, ["rag", "mismatch", "reported_status"]] = ["red", True, "green"]
    monkeypatch.setattr(dcx.kpis, "projects", proj)
    assert "DCX-006" not in str(dcx.summary())
    table = str(dcx.projects_table())
    flagged = [r for r in _rows(table) if "pmo-row-flag" in r]
    assert all("DCX-006" not in r for r in flagged)


def test_an_na_rag_is_shown_as_na(dcx, monkeypatch):
    proj = dcx.kpis.projects.copy()
    proj["rag"] = pd.Series([pd.NA] * len(proj), dtype="object")
    monkeypatch.setattr(dcx.kpis, "projects", proj)
    html = str(dcx.projects_table())
    assert html.count("pmo-rag-na") >= len(proj[proj["phase"] != "closed"])


def test_empty_comment_category_and_response_read_none_given(dcx, monkeypatch):
    projects = dcx.portfolio.projects.copy()
    projects.loc[projects["project_id"] == "DCX-001", "status_comment"] = None
    monkeypatch.setattr(dcx.portfolio, "projects", projects)
    row = next(r for r in _rows(str(dcx.projects_table())) if "DCX-001" in r)
    assert "<td class=\"pmo-wrap\">none given</td>" in row
    risks = dcx.kpis.risks.copy()
    risks["category"] = None
    risks["response"] = ""
    monkeypatch.setattr(dcx.kpis, "risks", risks)
    top = str(dcx.top_risks())
    assert "Category" in top and "Response" in top
    first = _rows(top)[1]
    assert first.count("none given") == 2


def test_risk_table_shows_category_and_response(dcx):
    top = str(dcx.top_risks())
    risks = dcx.kpis.risks
    shown = [r for r in risks["risk_id"] if r in top]
    assert shown
    rid = shown[0]
    row = next(r for r in _rows(top) if rid in r)
    rec = risks.set_index("risk_id").loc[rid]
    assert rec["category"] in row and rec["response"] in row


def test_long_text_wraps_never_cut(dcx):
    html = str(dcx.projects_table())
    assert "…" not in html
    assert "Good progress overall. Beta feedback is positive and the remaining defects are minor; we expect to " \
           "recover the beta slippage in the next sprints." in html


def test_benefits_section_reads_each_benefit_against_its_trajectory(dcx):
    html = str(dcx.section("benefits"))
    assert "3 benefits: 1 at risk (Cost per customer contact), 1 not measured yet, 1 on track." in html
    at_risk = [r for r in _rows(html) if "BEN-DCX-02" in r]
    assert len(at_risk) == 1 and "at risk" in at_risk[0] and "5.9 EUR" in at_risk[0]
    assert "not measured" in next(r for r in _rows(html) if "BEN-DCX-03" in r)
    chart = dcx.section("benefit_progress").to_dict()
    assert [v["label"] for v in chart["datasets"][next(iter(chart["datasets"]))]][:1] == [
        "BEN-DCX-01 Journeys completed in digital self-service"]
