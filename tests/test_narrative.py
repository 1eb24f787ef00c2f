"""The executive summary's sentences, on fixed figures with hand-written expected text."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmo_nb.reporting import narrative

PROGRAM = {
    "program_id": "PRG-ERP",
    "name": "ERP Modernisation",
    "rag": "red",
    "rag_reason": "CPI 0.87 < 0.90",
    "bac": 20_000_000.0,
    "ev": 12_300_000.0,
    "ac": 14_137_931.0,
    "cpi": 0.87,
    "eac": 22_988_506.0,
    "vac": -2_988_506.0,
    "spi": 0.93,
    "spi_t": 0.92,
    "sv_t": -1.44,
    "ms_missed": 3,
    "ms_key_missed": 1,
    "ms_upcoming": 2,
    "risks_open": 14,
    "risks_critical_open": 2,
    "risks_overdue": 3,
}


def test_status_sentence():
    assert (narrative.status_sentence("ERP Modernisation", PROGRAM, "2026-10")
            == "ERP Modernisation is RED for October 2026: CPI 0.87 < 0.90.")
    assert (narrative.status_sentence("New Program", {"rag": None, "rag_reason": "no financials yet"}, "2026-10")
            == "New Program has no computed status for October 2026: no financials yet.")


def test_cost_sentence_over_budget():
    assert narrative.cost_sentence(PROGRAM, "EUR") == (
        "Cost: €12.3M of work earned for €14.1M spent (CPI 0.87); at this rate the program will cost "
        "€23M against a budget of €20M, €3M (14.9%) over."
    )


def test_cost_sentence_under_budget_and_on_budget_and_no_data():
    row = {"bac": 1_000_000, "ev": 500_000, "ac": 400_000, "cpi": 1.25, "eac": 800_000, "vac": 200_000}
    assert narrative.cost_sentence(row, "GBP").endswith("against a budget of £1M, £200k (20.0%) under.")
    row = {"bac": 1_000_000, "ev": 500_000, "ac": 500_000, "cpi": 1.0, "eac": 1_000_000, "vac": 0.0}
    assert narrative.cost_sentence(row, "EUR").endswith("budget of €1M, on budget.")
    row = {"bac": 450_000, "ev": math.nan, "ac": math.nan, "cpi": math.nan}
    assert (narrative.cost_sentence(row, "EUR")
            == "Cost: no earned value and actual cost to compare yet against a budget of €450k.")


def test_schedule_sentence():
    assert narrative.schedule_sentence(PROGRAM) == (
        "Schedule: SPI(t) 0.92, 1.4 months behind plan; 3 milestones missed (1 key) and "
        "2 milestones due in the next 90 days."
    )
    ahead = {"spi_t": 1.05, "sv_t": 1.0, "ms_missed": 0, "ms_upcoming": 1}
    assert narrative.schedule_sentence(ahead, upcoming_days=60) == (
        "Schedule: SPI(t) 1.05, 1.0 month ahead of plan; no milestone missed and 1 milestone due in the "
        "next 60 days."
    )
    only_spi = {"spi_t": math.nan, "spi": 0.8}
    assert narrative.schedule_sentence(only_spi).startswith("Schedule: SPI 0.80 (earned schedule not available)")


def test_risk_sentence():
    top = {"title": "Supplier insolvency", "project_id": "ERP-003", "score": 20, "band": "critical",
           "emv": 450_000.0, "cost_missing": False, "owner": "Dana Whitfield", "response_overdue": True,
           "response_due": pd.Timestamp("2026-10-14")}
    assert narrative.risk_sentence(top, PROGRAM, "EUR") == (
        "Top risk: Supplier insolvency (ERP-003), score 20 (critical), expected cost €450k, owned by "
        "Dana Whitfield; its response was due 14 Oct 2026 and is overdue. 14 open risks in all, 2 critical, "
        "3 with an overdue response."
    )
    assert narrative.risk_sentence(None, {}, "EUR") == "Risks: no open risks are recorded."
    assert narrative.risk_sentence(None, {}, "EUR", has_register=False) == (
        "Risks: no risk register was provided.")


def test_change_sentence():
    changes = {"available": True, "previous_period": "2026-09", "rag_from": "amber", "rag_to": "red",
               "cpi_previous": 0.91, "cpi_current": 0.87, "spi_t_previous": 0.92, "spi_t_current": 0.92,
               "n_milestones_missed": 1, "n_milestones_achieved": 0, "n_risks_raised": 2,
               "n_risks_closed": 1, "n_risks_escalated": 0, "n_issues_raised": 0, "n_issues_closed": 3}
    assert narrative.change_sentence(changes) == (
        "Since September 2026: status AMBER → RED, CPI 0.91 → 0.87, 1 milestone newly missed, 2 risks raised, "
        "1 risk closed, 3 issues closed."
    )
    assert narrative.change_sentence(None) == "No comparison with the previous month is available."
    quiet = {"available": True, "previous_period": "2026-09", "cpi_previous": 1.0, "cpi_current": 1.001}
    assert narrative.change_sentence(quiet) == "Since September 2026: no change in status, indices or registers."


def test_mismatch_sentence_lists_worst_first():
    projects = pd.DataFrame({
        "name": ["Alpha", "Beta", "Gamma", "Delta"],
        "reported_status": ["green", "green", "amber", "green"],
        "rag": ["amber", "red", "amber", "green"],
        "mismatch": [True, True, False, False],
    })
    assert narrative.mismatch_sentence(projects) == (
        "2 of 4 projects report a better status than the figures show: Beta (reported green, computed red), "
        "Alpha (reported green, computed amber)."
    )
    assert narrative.mismatch_sentence(projects.assign(mismatch=False)) is None


@pytest.mark.parametrize("shuffle", [False, True])
def test_program_summary_is_deterministic_and_ordered(shuffle):
    projects = pd.DataFrame({"name": ["A", "B"], "reported_status": ["green", "green"],
                             "rag": ["red", "green"], "mismatch": [True, False]})
    if shuffle:
        projects = projects.iloc[::-1]
    out = narrative.program_summary(PROGRAM, projects, period="2026-10", currency="EUR")
    assert out[0].startswith("ERP Modernisation is RED")
    assert out[1] == "1 of 2 projects reports a better status than the figures show: A (reported green, computed red)."
    assert out[2].startswith("Cost:") and out[3].startswith("Schedule:") and out[4].startswith("Risks:")
    assert out[5] == "No comparison with the previous month is available."


def test_portfolio_summary_counts_and_attention():
    programs = pd.DataFrame({"name": ["P1", "P2", "P3", "P4"], "rag": ["green", "red", "amber", None]})
    row = dict(PROGRAM, rag="amber", rag_reason="SPI(t) 0.92 < 0.95")
    out = narrative.portfolio_summary(row, programs, pd.DataFrame(), period="2026-10", organisation="Acme")
    assert out[0] == "The Acme portfolio is AMBER for October 2026: SPI(t) 0.92 < 0.95."
    assert out[1] == ("Of 4 programs: 1 red, 1 amber, 1 green, 1 without a status; needing attention: "
                      "P2 (RED), P3 (AMBER).")


def test_program_without_projects_says_so():
    assert narrative.program_summary({"name": "Empty"}, pd.DataFrame(), period="2026-10") == [
        "Empty has no projects recorded for October 2026: there are no figures to report."]
