"""Assumptions, dependencies, decisions and actions: each figure hand-computed on small frames, the sections and the
pack's block built from them, and every validation rule of the four registers as a one-line finding."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from ingest_helpers import raid_frames, small_frames, write_csv

from pmo_nb.cli import cli
from pmo_nb.config import load_config
from pmo_nb.data.ingest import check, load
from pmo_nb.metrics import raid
from pmo_nb.metrics.month import shared_state
from pmo_nb.publish import onepager
from pmo_nb.reporting import raid as sections
from pmo_nb.reporting.report import PortfolioReport, ProgramReport

AS_OF = pd.Timestamp("2026-03-31")
T = pd.Timestamp


def _projects() -> pd.DataFrame:
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3"], "program_id": ["PRG-A", "PRG-B", "PRG-A"],
        "name": ["Portal", "Payroll", "Search"],
        "baseline_finish": [T("2026-05-31"), T("2026-05-31"), T("2026-12-31")],
        "forecast_finish": [T("2026-06-30"), pd.NaT, pd.NaT],
    })


def _decisions() -> pd.DataFrame:
    return pd.DataFrame({
        "decision_id": ["D1", "D2", "D3", "D4", "D5", "D6"],
        "program_id": ["PRG-A", None, None, "PRG-B", "PRG-A", "PRG-A"],
        "project_id": [None, "P2", "P3", None, None, None],
        "question": ["q1", "q2", "q3", "q4", "q5", "q6"], "options": [None] * 6,
        "needed_by": [T("2026-03-20"), T("2026-04-10"), T("2026-03-01"), T("2026-04-01"), T("2026-03-01"),
                      T("2026-03-01")],
        "decision_maker": ["Board"] * 6,
        "status": ["open", "open", "open", "decided", "decided", "withdrawn"],
        "decision": [None, None, None, "yes", "no", None],
        "decided_on": [pd.NaT, pd.NaT, pd.NaT, T("2026-04-05"), T("2026-03-10"), pd.NaT],
    })


def _dependencies() -> pd.DataFrame:
    return pd.DataFrame({
        "dependency_id": ["X1", "X2", "X3", "X4"], "from_project_id": ["P3", "P1", "P2", "P1"],
        "to_project_id": ["P1", "P2", None, "P3"], "external_party": [None, None, "Telco", None],
        "description": ["api", "data", "lines", "old"],
        "needed_by": [T("2026-06-01"), T("2026-07-01"), T("2026-03-21"), T("2026-01-01")],
        "status": ["open", "open", "open", "met"], "owner": ["o"] * 4,
    })


# ------------------------------------------------------------------------------------------------ figures
def test_an_item_belongs_to_its_own_program_else_its_projects():
    items = pd.DataFrame({"program_id": ["PRG-A", None, "", "PRG-B"], "project_id": [None, "P2", "P1", "P1"]})
    assert raid.owning_program(items, _projects()).tolist() == ["PRG-A", "PRG-B", "PRG-A", "PRG-B"]


def test_decisions_needed_overdue_first_then_by_needed_by():
    out = raid.decisions_needed(_decisions(), _projects(), AS_OF)
    # D5 was decided before the month end and D6 withdrawn; D4 was decided after it, so it was still open
    assert out["decision_id"].tolist() == ["D3", "D1", "D4", "D2"]
    assert out["program_id"].tolist() == ["PRG-A", "PRG-A", "PRG-B", "PRG-B"]
    assert out["overdue"].tolist() == [True, True, False, False]
    assert out["days_overdue"].tolist()[:2] == [30.0, 11.0] and out["days_overdue"][2:].isna().all()
    assert out["days_left"].tolist() == [-30.0, -11.0, 1.0, 10.0]


def test_dependencies_at_risk_when_needed_before_the_providers_forecast_or_overdue():
    status = raid.dependency_status(_dependencies(), _projects(), AS_OF)
    assert status["dependency_id"].tolist() == ["X3", "X1", "X2"]  # open only, by needed_by
    by_id = status.set_index("dependency_id")
    # X1 needs P1 on 1 Jun, P1 finishes 30 Jun; X2 needs P2 on 1 Jul, P2 (no forecast) finishes 31 May
    assert by_id.loc["X1", "provider_finish"] == T("2026-06-30") and bool(by_id.loc["X1", "provider_late"])
    assert by_id.loc["X2", "provider_finish"] == T("2026-05-31") and not bool(by_id.loc["X2", "at_risk"])
    assert bool(by_id.loc["X3", "overdue"]) and by_id.loc["X3", "days_overdue"] == 10.0
    assert by_id.loc["X3", "provider"] == "Telco" and by_id.loc["X1", "provider"] == "Portal"
    assert raid.at_risk_dependencies(status)["dependency_id"].tolist() == ["X3", "X1"]


def test_dependency_map_counts_open_and_at_risk_per_pair_of_programs():
    status = raid.dependency_status(_dependencies(), _projects(), AS_OF)
    counts = raid.dependency_map(status)
    assert counts.to_dict("records") == [
        {"from_program_id": "PRG-A", "to_program_id": "PRG-A", "open": 1, "at_risk": 1},
        {"from_program_id": "PRG-A", "to_program_id": "PRG-B", "open": 1, "at_risk": 0},
        {"from_program_id": "PRG-B", "to_program_id": raid.EXTERNAL, "open": 1, "at_risk": 1},
    ]
    matrix = sections.map_matrix(counts, pd.Series({"PRG-A": "Alpha"}))
    assert list(matrix.columns) == ["from_program_id", "PRG-A", "PRG-B", raid.EXTERNAL]
    assert matrix.values.tolist() == [["Alpha (PRG-A)", "1 (1 at risk)", "1", ""],
                                      ["PRG-B (PRG-B)", "", "", "1 (1 at risk)"]]
    assert raid.dependency_map(status.iloc[0:0]).empty


def test_overdue_actions_counted_and_listed_with_their_parents_program():
    tables = {"decisions": _decisions(), "dependencies": _dependencies(),
              "risks": pd.DataFrame({"risk_id": ["R1"], "project_id": ["P2"]})}
    items = raid.raid_items(tables, _projects())
    assert items.set_index("item_id").loc[["D2", "X3", "R1"], "program_id"].tolist() == ["PRG-B"] * 3
    actions = pd.DataFrame({
        "action_id": ["a1", "a2", "a3", "a4"], "parent_id": ["D1", "R1", "X3", "D1"], "description": [None] * 4,
        "owner": ["o"] * 4, "due": [T("2026-03-30"), T("2026-03-31"), T("2026-02-28"), T("2026-01-01")],
        "status": ["open", "open", "open", "done"],
    })
    out = raid.overdue_actions(actions, items, AS_OF)
    assert len(out) == 2  # a2 is due on the month end itself, a4 is done
    assert out[["action_id", "register", "program_id", "days_overdue"]].values.tolist() == [
        ["a3", "dependency", "PRG-B", 31.0], ["a1", "decision", "PRG-A", 1.0]]


def test_assumptions_to_validate_passed_or_within_30_days():
    assumptions = pd.DataFrame({
        "assumption_id": ["a1", "a2", "a3", "a4", "a5"], "program_id": ["PRG-A", "PRG-A", None, "PRG-A", "PRG-A"],
        "project_id": [None, None, "P2", None, None], "text": ["t"] * 5, "owner": ["o"] * 5,
        "status": ["open", "open", "open", "validated", "open"],
        "validate_by": [T("2026-04-30"), T("2026-05-01"), T("2026-03-30"), T("2026-03-01"), pd.NaT],
    })
    out = raid.assumptions_to_validate(assumptions, _projects(), AS_OF)
    assert out["assumption_id"].tolist() == ["a3", "a1"]  # 30 Apr is the 30th day; 1 May is not
    assert out["overdue"].tolist() == [True, False] and out["program_id"].tolist() == ["PRG-B", "PRG-A"]
    assert out["days_overdue"].iloc[0] == 1.0


def test_a_program_sees_the_dependencies_it_needs_and_provides():
    figures = raid.Raid("2026-03", raid.decisions_needed(_decisions(), _projects(), AS_OF),
                        raid.dependency_status(_dependencies(), _projects(), AS_OF),
                        pd.DataFrame({"program_id": pd.Series(dtype=object)}),
                        pd.DataFrame({"program_id": pd.Series(dtype=object)}))
    b = figures.program("PRG-B")
    assert b.dependencies["dependency_id"].tolist() == ["X3", "X2"]  # needs X3, provides X2
    assert b.at_risk["dependency_id"].tolist() == ["X3"]
    assert b.decisions["decision_id"].tolist() == ["D4", "D2"]


def test_decision_sentences():
    out = raid.decisions_needed(_decisions(), _projects(), AS_OF)
    assert sections.decisions_sentence(out) == "4 open decisions, 2 overdue."
    assert sections.by_program(out) == "PRG-A 2 (2 overdue) · PRG-B 2"
    assert sections.decisions_sentence(out.iloc[0:0]) == "No open decision."


# ------------------------------------------------------------------------------- reports and the pack
@pytest.fixture(scope="module")
def state(tmp_path_factory):
    folder = write_csv({**small_frames(), **raid_frames()}, tmp_path_factory.mktemp("raid") / "csv")
    portfolio = load(folder)
    return shared_state(portfolio, load_config(None), "2026-03")


def _reports(state):
    program = ProgramReport(portfolio=state.portfolio, config=state.config, period=state.period,
                            kpis=state.kpis.program("PRG-01"), all_kpis=state.kpis, changes=state.changes)
    program.program_id = "PRG-01"
    overview = PortfolioReport(portfolio=state.portfolio, config=state.config, period=state.period,
                               kpis=state.kpis, all_kpis=state.kpis, changes=state.changes)
    return program, overview


def test_sections_show_the_months_figures(state):
    program, overview = _reports(state)
    decisions = str(program.section("decisions_needed"))
    assert "DEC-1" in decisions and "Buy or lease the laptops?" in decisions and "11 days overdue" in decisions
    assert "DEC-2" not in decisions  # decided on 30 Jan
    assert "1 open decision, 1 overdue." in decisions and "program-level" in decisions
    assert "By program: PRG-01 1 (1 overdue)." in str(overview.section("decisions_needed"))
    # D-1 (P-002 needs P-001 by 1 Sep; P-001 finishes 15 Oct) is at risk and within PRG-01
    at_risk = str(program.section("dependencies_at_risk"))
    assert "D-1" in at_risk and "provider finishes 15 Oct 2026" in at_risk
    assert "1 open dependency, 0 across programs" in str(overview.section("dependency_map"))
    assert "ACT-1" in str(program.section("overdue_actions")) and "16 days overdue" in str(
        program.section("overdue_actions"))
    assert "A-1" in str(program.section("assumptions_to_validate"))


def test_pack_page_opens_with_decisions_needed_and_counts_the_rest(state):
    page = onepager.program_page(state, "PRG-01", {"decisions": 1})
    head = page.index("Decisions needed (1 open decision, 1 overdue)")
    assert head < page.index("Project managers")  # the first block of the page
    assert "DEC-1 · by 20 Mar 2026 · overdue 11 days · Ana Ruiz:" in page
    assert "more open decisions" not in page


def test_without_a_decision_log_the_pack_keeps_the_issues_block(state):
    from dataclasses import replace

    from pmo_nb.data.model import empty_table

    portfolio = replace(state.portfolio, decisions=empty_table("decisions"),
                        missing_tables=(*state.portfolio.missing_tables, "decisions"))
    page = onepager.program_page(replace(state, portfolio=portfolio), "PRG-01")
    assert "Needs a decision (open critical and high issues)" in page and "Decisions needed" not in page
    program, _ = _reports(replace(state, portfolio=portfolio))
    assert "No decision log was provided." in str(program.section("decisions_needed"))


# ---------------------------------------------------------------------------------------- validation
def _findings(tmp_path: Path, table: str, row: int, **cells: object) -> list[tuple]:
    frames = {**small_frames(), **raid_frames()}
    for column, value in cells.items():
        frames[table].loc[row - 2, column] = value
    folder = write_csv(frames, tmp_path / "csv")
    return [(f.table, f.row, f.column, f.rule) for f in check(folder).findings]


@pytest.mark.parametrize(("table", "row", "cells", "column", "rule"), [
    ("assumptions", 2, {"program_id": np.nan}, "program_id",
     "give program_id (a program-level item), project_id, or both"),
    ("assumptions", 3, {"program_id": "PRG-01"}, "program_id",
     "project 007 belongs to program PRG-02: correct program_id or leave it empty"),
    ("assumptions", 2, {"status": "maybe"}, "status", "must be one of open, validated or invalid"),
    ("dependencies", 3, {"external_party": np.nan}, "to_project_id",
     "a dependency needs a provider: give to_project_id (a project) or external_party"),
    ("dependencies", 2, {"to_project_id": "P-002"}, "to_project_id",
     "a project cannot depend on itself: to_project_id must differ from from_project_id"),
    ("dependencies", 2, {"to_project_id": "P-999"}, "to_project_id", "unknown project_id: not in projects.csv"),
    ("decisions", 3, {"decided_on": pd.NaT}, "decided_on",
     "a decided decision needs decided_on: give the date, or set status to open"),
    ("decisions", 3, {"decision": np.nan}, "decision",
     "a decided decision needs the decision: write what was decided, or set status to open"),
    ("decisions", 2, {"decided_on": T("2026-03-01")}, "decided_on",
     "an open decision must not have decided_on: set status to decided or clear the date"),
    ("decisions", 2, {"program_id": "PRG-99"}, "program_id", "unknown program_id: not in programs.csv"),
    ("actions", 2, {"parent_id": "R-404"}, "parent_id",
     "unknown parent_id: not a risk, issue, assumption, dependency or decision id (risks.csv, issues.csv, "
     "assumptions.csv, dependencies.csv, decisions.csv)"),
    ("actions", 2, {"due": pd.NaT}, "due", "due is required: the cell must not be empty"),
])
def test_each_rule_is_one_located_finding(tmp_path, table, row, cells, column, rule):
    assert _findings(tmp_path, table, row, **cells) == [(table, row, column, rule)]


def test_an_action_may_serve_a_risk(tmp_path):
    assert _findings(tmp_path, "actions", 3, parent_id="R-1") == []


def test_validate_prints_the_finding_and_exits_1(tmp_path):
    frames = {**small_frames(), **raid_frames()}
    frames["decisions"].loc[1, "decided_on"] = pd.NaT
    result = CliRunner().invoke(cli, ["validate", str(write_csv(frames, tmp_path / "csv"))])
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("decisions"))
    assert "decisions.csv" in line and "3" in line and "decided_on" in line and "give the date" in line


def test_exclude_mode_leaves_out_a_bad_dependency_and_names_its_program(tmp_path):
    from pmo_nb.config import parse_config

    frames = {**small_frames(), **raid_frames()}
    frames["dependencies"].loc[0, "to_project_id"] = "P-002"  # D-1: P-002 would depend on itself
    result = check(write_csv(frames, tmp_path / "csv"), parse_config({"validation": {"invalid_rows": "exclude"}}))
    assert result.portfolio is not None and result.portfolio.dependencies["dependency_id"].tolist() == ["D-2"]
    assert [(f.table, f.row, getattr(f, "program_id", None)) for f in result.excluded] == [
        ("dependencies", 2, "PRG-01")]


def test_a_decision_log_in_its_own_shape_is_mapped_by_pmo_toml(tmp_path):
    from pmo_nb.config import parse_config

    frames = {**small_frames(), **raid_frames()}
    frames["decisions"] = frames["decisions"].rename(columns={"decision_maker": "Decision owner",
                                                              "needed_by": "Due"})
    frames["decisions"]["status"] = ["Pending", "Approved"]
    config = parse_config({"columns": {"decisions": {"Decision owner": "decision_maker", "Due": "needed_by"}},
                          "values": {"decisions": {"status": {"Pending": "open", "Approved": "decided"}}}})
    portfolio = load(write_csv(frames, tmp_path / "csv"), config)
    assert portfolio.decisions[["decision_maker", "status"]].values.tolist() == [["Ana Ruiz", "open"],
                                                                                  ["Ben Okafor", "decided"]]
    assert portfolio.decisions["needed_by"].tolist() == [T("2026-03-20"), T("2026-02-01")]


def test_the_months_raid_is_computed_once_per_portfolio_and_month(state):
    first = raid.month_of(state.portfolio, state.period)
    assert raid.month_of(state.portfolio, state.period) is first  # every report and pack page shares it
    assert first.decisions.equals(raid.month(state.portfolio, state.period).decisions)
    copy = dataclasses.replace(state.portfolio)
    assert raid.month_of(copy, state.period) is not first  # another portfolio object is computed afresh
    earlier = raid.month_of(state.portfolio, "2026-09")
    assert earlier is not first and earlier.period == "2026-09"
