"""Benefits: the table's rules, each figure by hand (planned value on a linear trajectory, realised share, at risk),
the roll-ups by value where units agree, and the report sections."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ingest_helpers import csv_folder, edit_csv, small_frames, write_csv
from kpi_scenarios import typed

from pmo_nb.config import parse_config
from pmo_nb.data.ingest import check, load
from pmo_nb.data.validate import BENEFIT_NO_CHANGE
from pmo_nb.metrics import benefits as B

START = pd.Timestamp("2026-01-01")
DUE = START + pd.Timedelta(days=200)
HALF_WAY = START + pd.Timedelta(days=100)


def _benefit(bid: str, program: str, baseline: float, target: float, actual: float | None,
             unit: str | None = "%", start: pd.Timestamp | None = START, due: pd.Timestamp = DUE) -> dict:
    return {"benefit_id": bid, "program_id": program, "objective": "o", "measure": f"m {bid}", "unit": unit,
            "baseline": baseline, "target": target, "target_date": due, "actual": actual, "owner": "x",
            "start_date": start}


def _projects(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return typed("projects", [{"project_id": pid, "program_id": prog, "name": pid, "manager": "m",
                               "baseline_start": start, "baseline_finish": "2027-12-31", "budget": 1.0}
                              for pid, prog, start in rows])


NO_PROJECTS = _projects()


# ------------------------------------------------------------------------------------------------ figures
@pytest.mark.parametrize("as_of,share", [
    (START - pd.Timedelta(days=10), 0.0),  # before the start: nothing planned yet
    (START, 0.0),
    (HALF_WAY, 0.5),  # 100 of 200 days
    (START + pd.Timedelta(days=150), 0.75),
    (DUE, 1.0),
    (DUE + pd.Timedelta(days=30), 1.0),  # after the target date: the target
])
def test_planned_share_is_the_time_elapsed_on_the_trajectory(as_of, share):
    got = B.planned_share(pd.Series([START]), pd.Series([DUE]), as_of)
    assert got.iloc[0] == pytest.approx(share)


def test_planned_value_runs_from_baseline_to_target_also_downwards():
    share = pd.Series([0.5, 0.5, 0.25])
    got = B.planned_value(pd.Series([20.0, 10.0, 0.0]), pd.Series([60.0, 4.0, 1000.0]), share)
    assert got.tolist() == pytest.approx([40.0, 7.0, 250.0])  # 20 + 0.5 x 40; 10 - 0.5 x 6; 0.25 x 1000


def test_realised_share_of_the_change_in_either_direction():
    got = B.realised_share(pd.Series([20.0, 10.0, 20.0, 5.0]), pd.Series([60.0, 4.0, 60.0, 5.0]),
                           pd.Series([34.0, 7.0, np.nan, 9.0]))
    assert got.iloc[0] == pytest.approx(0.35)  # (34 - 20) / (60 - 20)
    assert got.iloc[1] == pytest.approx(0.5)  # (7 - 10) / (4 - 10): a reduction half delivered
    assert np.isnan(got.iloc[2]) and np.isnan(got.iloc[3])  # not measured; no change to make


@pytest.mark.parametrize("realised,planned,expected", [
    (0.35, 0.5, True),  # 15 points behind: more than the 10-point tolerance
    (0.40, 0.5, False),  # exactly the tolerance: not at risk
    (0.45, 0.5, False),
    (1.0, 1.0, False),
    (0.85, 1.0, True),  # target date passed, 85% delivered
    (np.nan, 0.5, False),  # not measured is its own status
])
def test_at_risk_when_behind_the_trajectory_by_more_than_the_tolerance(realised, planned, expected):
    assert bool(B.at_risk(pd.Series([realised]), pd.Series([planned])).iloc[0]) is expected


def test_register_gives_each_benefit_its_figures_and_status():
    table = typed("benefits", [_benefit("A", "P1", 20, 60, 34), _benefit("B", "P1", 10, 4, 7, unit="days"),
                               _benefit("C", "P1", 0, 10, 10), _benefit("D", "P1", 0, 10, None)])
    reg = B.register(table, NO_PROJECTS, HALF_WAY).set_index("benefit_id")
    assert reg["planned"].tolist() == pytest.approx([40.0, 7.0, 5.0, 5.0])
    assert reg.loc["A", "gap"] == pytest.approx(0.15)
    assert reg["status"].to_dict() == {"A": "at risk", "B": "on track", "C": "achieved", "D": "not measured"}
    assert reg["at_risk"].tolist() == [True, False, False, False]


def test_without_a_start_date_the_trajectory_starts_with_the_programs_first_project():
    projects = _projects(("X1", "P1", "2026-03-01"), ("X2", "P1", "2026-01-01"), ("Y1", "P2", "2025-01-01"))
    table = typed("benefits", [_benefit("A", "P1", 0, 100, 25, start=None)])
    reg = B.register(table, projects, HALF_WAY)
    assert reg.loc[0, "start"] == START  # X2's baseline start, not P2's
    assert reg.loc[0, "planned_share"] == pytest.approx(0.5)
    assert reg.loc[0, "status"] == "at risk"  # 25% realised against 50% planned


# ------------------------------------------------------------------------------------------------ roll-ups
def test_rollup_shares_by_value_where_units_agree_never_the_mean_of_shares():
    table = typed("benefits", [
        _benefit("A", "P1", 20, 60, 34), _benefit("C", "P1", 0, 10, 10),  # % and %
        _benefit("B", "P2", 10, 4, 7, unit="days"), _benefit("E", "P2", 5, 8, 8, unit="days"),  # down and up
        _benefit("F", "P3", 0, 10, 5), _benefit("G", "P3", 0, 1e6, 5e5, unit="EUR"),  # mixed units
    ])
    reg = B.register(table, NO_PROJECTS, HALF_WAY)
    per = B.rollup(reg).set_index("program_id")
    # P1: (14 + 10) / (40 + 10) = 0.48, not the mean of 0.35 and 1.0; planned (20 + 5) / 50 = 0.5
    assert per.loc["P1", "realised_pct"] == pytest.approx(0.48)
    assert per.loc["P1", "planned_pct"] == pytest.approx(0.5)
    assert per.loc["P1", "unit"] == "%" and per.loc["P1", "n_at_risk"] == 1 and per.loc["P1", "n_achieved"] == 1
    # P2: a 3-day reduction and a 3-day rise, both towards their targets: (3 + 3) / (6 + 3)
    assert per.loc["P2", "realised_pct"] == pytest.approx(6 / 9)
    assert np.isnan(per.loc["P3", "realised_pct"]) and per.loc["P3", "pct_na_reason"] == B.MIXED_UNITS
    whole = B.rollup(reg, None).iloc[0]
    assert (whole["n_benefits"], whole["n_measured"], whole["n_at_risk"], whole["n_achieved"]) == (6, 6, 1, 2)
    assert np.isnan(whole["realised_pct"]) and whole["pct_na_reason"] == B.MIXED_UNITS


def test_rollup_leaves_unmeasured_benefits_out_of_the_value_shares():
    table = typed("benefits", [_benefit("A", "P1", 0, 10, 5), _benefit("B", "P1", 0, 30, None)])
    roll = B.rollup(B.register(table, NO_PROJECTS, HALF_WAY)).iloc[0]
    assert roll["realised_pct"] == pytest.approx(0.5) and roll["n_measured"] == 1
    only_unmeasured = B.rollup(B.register(typed("benefits", [_benefit("B", "P1", 0, 30, None)]), NO_PROJECTS,
                                          HALF_WAY)).iloc[0]
    assert np.isnan(only_unmeasured["realised_pct"]) and only_unmeasured["pct_na_reason"] == "no benefit measured yet"


# ------------------------------------------------------------------------------------------------ the table
def test_the_benefits_table_loads_and_is_optional(tmp_path: Path) -> None:
    p = load(csv_folder(tmp_path))
    assert p.benefits["benefit_id"].tolist() == ["B-1", "B-2"]
    assert p.benefits["baseline"].dtype == np.float64 and p.benefits["target_date"].dtype.kind == "M"
    (tmp_path / "csv" / "benefits.csv").unlink()
    assert "benefits" in load(tmp_path / "csv").missing_tables


@pytest.mark.parametrize("column,value,rule", [
    ("target", "2.5", BENEFIT_NO_CHANGE),
    ("target_date", "2025-12-01", "target_date must not be before start_date (which is 2026-01-01)"),
    ("program_id", "PRG-99", "unknown program_id: not in programs.csv"),
    ("baseline", "", "baseline is required: the cell must not be empty"),
])
def test_each_benefit_rule_gives_one_located_finding(tmp_path: Path, column, value, rule) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "benefits", 2, column, value)
    found = [(f.table, f.source, f.row, f.column, f.rule) for f in check(folder).findings]
    assert found == [("benefits", "benefits.csv", 2, column, rule)]


def test_benefit_headers_map_through_the_columns_setting(tmp_path: Path) -> None:
    frames = small_frames()
    frames["benefits"] = frames["benefits"].rename(columns={"measure": "KPI", "actual": "Actual to date"})
    folder = write_csv(frames, tmp_path / "csv")
    config = parse_config({"columns": {"benefits": {"KPI": "measure", "Actual to date": "actual"}}})
    assert load(folder, config).benefits["actual"].tolist()[:1] == [2.0]


def test_the_tolerance_is_a_setting_checked_when_read():
    from pmo_nb.exceptions import ConfigError

    config = parse_config({"benefits": {"at_risk_tolerance": 0.2}})
    assert config.benefits.at_risk_tolerance == 0.2
    table = typed("benefits", [_benefit("A", "P1", 20, 60, 34)])  # 15 points behind
    assert B.register(table, NO_PROJECTS, HALF_WAY, config.benefits.at_risk_tolerance)["status"].tolist() == [
        "on track"]
    for bad in ({"at_risk_tolerance": 1.5}, {"at_risk_tolerance": "ten"}, {"tolerance": 0.1}):
        with pytest.raises(ConfigError, match="benefits"):
            parse_config({"benefits": bad})
