"""pmo_nb.data.validate: each rule of the data model, broken once, gives exactly the expected finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ingest_helpers import csv_folder, edit_csv, small_frames, write_csv, write_parquet

from pmo_nb.console.findings import render_findings
from pmo_nb.data.ingest import check
from pmo_nb.data.model import Portfolio
from pmo_nb.data.validate import SAFE_FILE_NAME_RULE, schema_for, sort_findings, validate_portfolio
from pmo_nb.exceptions import Finding


def findings_of(folder: Path) -> list[tuple]:
    return [(f.table, f.source, f.row, f.column, f.value, f.rule) for f in check(folder).findings]


def broken(tmp_path: Path, *edits: tuple[str, int, str, str]) -> list[tuple]:
    folder = csv_folder(tmp_path)
    for table, row, column, value in edits:
        edit_csv(folder, table, row, column, value)
    return findings_of(folder)


def test_small_portfolio_is_valid(tmp_path: Path) -> None:
    result = check(csv_folder(tmp_path))
    assert result.findings == [] and result.ok and result.notes == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("projects", 3, "phase", "Doing"),
            (
                "projects",
                "projects.csv",
                3,
                "phase",
                "Doing",
                "must be one of initiation, planning, execution, closing or closed",
            ),
        ),
        (
            ("projects", 2, "reported_status", "GREENISH"),
            (
                "projects",
                "projects.csv",
                2,
                "reported_status",
                "GREENISH",
                "must be one of green, amber or red",
            ),
        ),
        (
            ("projects", 4, "budget", "-1"),
            ("projects", "projects.csv", 4, "budget", "-1", "must be 0 or more"),
        ),
        (
            ("risks", 2, "probability", "0"),
            ("risks", "risks.csv", 2, "probability", "0", "must be a whole number from 1 to 5"),
        ),
        (
            ("risks", 3, "impact", "6"),
            ("risks", "risks.csv", 3, "impact", "6", "must be a whole number from 1 to 5"),
        ),
        (
            ("risks", 2, "cost_impact", "-5"),
            ("risks", "risks.csv", 2, "cost_impact", "-5", "must be 0 or more"),
        ),
        (
            ("programs", 3, "sponsor", "  "),
            (
                "programs",
                "programs.csv",
                3,
                "sponsor",
                "  ",
                "sponsor is required: the cell must not be empty",
            ),
        ),
        (
            ("milestones", 2, "baseline_date", ""),
            (
                "milestones",
                "milestones.csv",
                2,
                "baseline_date",
                "",
                "baseline_date is required: the cell must not be empty",
            ),
        ),
        (
            ("financials", 5, "actual_cost", "inf"),
            ("financials", "financials.csv", 5, "actual_cost", "inf", "must be a number"),
        ),
    ],
)
def test_single_cell_rules(tmp_path: Path, edit: tuple, expected: tuple) -> None:
    assert broken(tmp_path, edit) == [expected]


def test_duplicate_key_names_the_other_rows(tmp_path: Path) -> None:
    assert broken(
        tmp_path, ("milestones", 4, "milestone_id", "M-1"), ("milestones", 3, "milestone_id", "M-1")
    ) == [
        (
            "milestones",
            "milestones.csv",
            2,
            "milestone_id",
            "M-1",
            "duplicate milestone_id: also on rows 3, 4",
        ),
        (
            "milestones",
            "milestones.csv",
            3,
            "milestone_id",
            "M-1",
            "duplicate milestone_id: also on rows 2, 4",
        ),
        (
            "milestones",
            "milestones.csv",
            4,
            "milestone_id",
            "M-1",
            "duplicate milestone_id: also on rows 2, 3",
        ),
    ]


def test_duplicate_financials_project_and_period(tmp_path: Path) -> None:
    # row 3 is P-001 2026-02; make row 4 (P-001 2026-03) the same month
    assert broken(tmp_path, ("financials", 4, "period", "2026-02")) == [
        (
            "financials",
            "financials.csv",
            3,
            "period",
            "2026-02",
            "duplicate project_id and period: also on row 4",
        ),
        (
            "financials",
            "financials.csv",
            4,
            "period",
            "2026-02",
            "duplicate project_id and period: also on row 3",
        ),
    ]


def test_foreign_keys(tmp_path: Path) -> None:
    assert broken(tmp_path, ("projects", 4, "program_id", "PRG-99"), ("risks", 2, "project_id", "P-404")) == [
        ("projects", "projects.csv", 4, "program_id", "PRG-99", "unknown program_id: not in programs.csv"),
        ("risks", "risks.csv", 2, "project_id", "P-404", "unknown project_id: not in projects.csv"),
    ]


def test_baseline_finish_before_start(tmp_path: Path) -> None:
    assert broken(tmp_path, ("projects", 3, "baseline_finish", "2026-01-31")) == [
        (
            "projects",
            "projects.csv",
            3,
            "baseline_finish",
            "2026-01-31",
            "baseline_finish must not be before baseline_start (which is 2026-02-01)",
        ),
    ]


def test_cumulative_below_zero_is_reported_once_per_project(tmp_path: Path) -> None:
    # P-002 earned 20000 in January and -5000 in February; -16000 in March makes the total -1000,
    # reported once, on the month where the cumulative value first falls below zero
    assert broken(tmp_path, ("financials", 7, "earned_value", "-16000")) == [
        (
            "financials",
            "financials.csv",
            7,
            "earned_value",
            "-16000",
            "cumulative earned_value of P-002 falls below 0 in 2026-03 (-1,000.00): monthly amounts may be "
            "negative corrections, but never more than what was booked before",
        ),
    ]


def test_cumulative_uses_period_order_not_file_order(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    fin = pd.read_csv(folder / "financials.csv", dtype=str, keep_default_na=False)
    fin = fin.iloc[::-1]  # latest month first in the file
    fin.to_csv(folder / "financials.csv", index=False)
    assert findings_of(folder) == []


def test_risk_and_issue_closure_rules(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path,
        issues=(
            "issue_id,project_id,title,severity,status,owner,opened_date,closed_date\n"
            "I-1,P-001,Vendor late,High,closed,Eve,2026-02-10,2026-02-01\n"
            "I-2,P-001,Access,medium,closed,Eve,2026-02-10,\n"
            "I-3,007,Licences,urgent,open,Gia,2026-02-10,2026-03-01\n"
        ),
    )
    edit_csv(folder, "risks", 3, "closed_date", "2026-01-01")
    assert findings_of(folder) == [
        (
            "risks",
            "risks.csv",
            3,
            "closed_date",
            "2026-01-01",
            "closed_date must not be before raised_date (which is 2026-01-15)",
        ),
        (
            "issues",
            "issues.csv",
            2,
            "closed_date",
            "2026-02-01",
            "closed_date must not be before opened_date (which is 2026-02-10)",
        ),
        ("issues", "issues.csv", 4, "severity", "urgent", "must be one of low, medium, high or critical"),
        (
            "issues",
            "issues.csv",
            4,
            "closed_date",
            "2026-03-01",
            "an open item must not have a closed_date: set status to closed or clear the date",
        ),
    ]
    # a closed item without its date still counts as closed: a warning, not an error
    warned = [(n.table, n.row, n.column, n.rule) for n in check(folder).notes if n.column == "closed_date"]
    assert warned == [("issues", 3, "closed_date", "closed without a closed_date: counted as closed, but when it "
                       "closed is unknown (give the date)")]


@pytest.mark.parametrize("program_id", ["a/b", "a\\b", "..", ".hidden", "x" * 65, "Ops & Run", "tab\there"])
def test_program_id_must_be_a_safe_file_name(tmp_path: Path, program_id: str) -> None:
    frames = small_frames()
    frames["programs"].loc[1, "program_id"] = program_id
    frames["projects"].loc[2, "program_id"] = program_id
    frames["benefits"].loc[1, "program_id"] = program_id
    folder = write_parquet(frames, tmp_path / "pq")  # Parquet keeps control characters intact
    assert findings_of(folder) == [
        ("programs", "programs.parquet", 3, "program_id", program_id, SAFE_FILE_NAME_RULE)
    ]


@pytest.mark.parametrize("program_id", ["PRG-01", "prg_2.b", "A", "x" * 64])
def test_safe_program_ids(tmp_path: Path, program_id: str) -> None:
    frames = small_frames()
    frames["programs"].loc[0, "program_id"] = program_id
    frames["projects"].loc[[0, 1], "program_id"] = program_id
    frames["benefits"].loc[0, "program_id"] = program_id
    assert findings_of(write_csv(frames, tmp_path / "csv")) == []


@pytest.mark.parametrize("table", ["programs", "projects"])
def test_header_only_required_table_has_no_rows_finding(tmp_path: Path, table: str) -> None:
    header = (csv_folder(tmp_path / "h") / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0]
    found = findings_of(csv_folder(tmp_path, **{table: header + "\n"}))
    assert (
        table,
        f"{table}.csv",
        None,
        None,
        None,
        f"no rows: {table} needs at least one record under the header",
    ) in found


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    found = broken(
        tmp_path,
        ("programs", 2, "manager", ""),
        ("projects", 2, "budget", "12%"),
        ("projects", 2, "baseline_start", "31/12/2026"),
        ("financials", 10, "planned_value", "N/A"),
        ("milestones", 3, "key_milestone", "maybe"),
        ("risks", 2, "status", "pending"),
    )
    assert [(t, r, c) for t, _, r, c, _, _ in found] == [
        ("programs", 2, "manager"),
        ("projects", 2, "baseline_start"),
        ("projects", 2, "budget"),
        ("financials", 10, "planned_value"),
        ("milestones", 3, "key_milestone"),
        ("risks", 2, "status"),
    ]


def test_a_cell_that_failed_to_parse_is_reported_once(tmp_path: Path) -> None:
    # "soon" fails date parsing; the cell is then empty but must not also be reported as "required"
    found = broken(tmp_path, ("projects", 2, "baseline_start", "soon"))
    assert [r for *_, r in found] == ["must be a date YYYY-MM-DD, e.g. 2026-12-31"]


def test_sort_findings_by_table_row_column() -> None:
    f = [
        Finding("risks", "r.csv", 2, "impact", "9", "x"),
        Finding("projects", "p.csv", 5, "budget", "", "x"),
        Finding("projects", "p.csv", 5, "project_id", "", "x"),
        Finding("projects", "p.csv", None, None, None, "x"),
        Finding("programs", "g.csv", 9, "name", "", "x"),
    ]
    assert [(x.table, x.row, x.column) for x in sort_findings(f)] == [
        ("programs", 9, "name"),
        ("projects", None, None),
        ("projects", 5, "project_id"),
        ("projects", 5, "budget"),
        ("risks", 2, "impact"),
    ]


def test_schema_is_built_from_the_data_model() -> None:
    schema = schema_for("risks")
    assert schema.unique == ["risk_id"]
    assert schema.columns["probability"].nullable is False
    assert schema.columns["cost_impact"].nullable is True
    assert str(schema.columns["raised_date"].dtype) == "datetime64[ns]"


def test_render_findings_limits_rows() -> None:
    findings = [
        Finding("risks", "risks.csv", r, "impact", "9", "must be a whole number from 1 to 5")
        for r in range(2, 62)
    ]
    text = render_findings(findings, limit=50)
    lines = text.splitlines()
    assert lines[0] == "60 problems found:"
    assert lines[1].split() == ["table", "file", "row", "column", "value", "rule"]
    assert lines[3].split(maxsplit=5) == [
        "risks",
        "risks.csv",
        "2",
        "impact",
        "'9'",
        "must be a whole number from 1 to 5",
    ]
    assert lines[-1] == "... and 10 more"
    assert len(lines) == 1 + 2 + 50 + 1


def test_a_breach_deep_in_60k_financial_rows_is_located(tmp_path: Path) -> None:
    """The speed at 600k rows is benchmarks/bench_kpis.py's figure (read and validate), not a timed test."""
    frames = small_frames()
    n_proj, months = 500, 120
    pids = [f"P-{i:05d}" for i in range(n_proj)]
    projects = pd.concat([frames["projects"].iloc[[0]]] * n_proj, ignore_index=True)
    projects["project_id"] = pids
    periods = pd.period_range("2017-01", periods=months, freq="M").strftime("%Y-%m")
    fin = pd.DataFrame({"project_id": np.repeat(pids, months), "period": np.tile(periods, n_proj)})
    rng = np.random.default_rng(7)
    for c in ("planned_value", "earned_value", "actual_cost"):
        fin[c] = rng.uniform(0, 1000, len(fin)).round(2)
    fin.loc[12345, "actual_cost"] = -1e9  # one cumulative breach
    frames.update(
        projects=projects,
        financials=fin,
        milestones=frames["milestones"].iloc[0:0],
        risks=frames["risks"].iloc[0:0],
    )
    folder = write_csv(frames, tmp_path / "big")
    found = check(folder).findings
    assert [(f.row, f.column) for f in found] == [(12345 + 2, "actual_cost")]


def test_validate_portfolio_in_memory() -> None:
    frames = small_frames()
    assert validate_portfolio(Portfolio(**frames)) == []
    frames["risks"].loc[1, "impact"] = 9
    frames["projects"].loc[0, "program_id"] = "PRG-77"
    frames["financials"] = frames["financials"].drop(columns="actual_cost")
    assert [(f.table, f.source, f.row, f.column, f.value, f.rule) for f in validate_portfolio(Portfolio(**frames))] == [
        ("projects", "projects", 2, "program_id", "PRG-77", "unknown program_id: not in programs"),
        ("financials", "financials", None, "actual_cost", None, "column actual_cost is missing"),
        ("risks", "risks", 3, "impact", 9, "must be a whole number from 1 to 5"),
    ]
