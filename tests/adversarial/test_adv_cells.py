"""Bad cells, columns and rows in an otherwise valid sample: `pmo-nb validate` names each place and rule.

Row numbers are the spreadsheet's (header = row 1). In data/sample/projects.csv row 2 is DCX-001
(baseline_start 2025-03-10, budget 4200000.00); risks.csv row 2 is DCX-001-R01.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from adversarial_sources import findings, one_error_line, read_table, sample_source, set_cell, validate, write_table

from pmo_nb.data.ingest import load

THOUSANDS = 'not a number; set [ingest] thousands_separator = "," if your file uses one'
SERIAL = (
    "must be a date YYYY-MM-DD, e.g. 2026-12-31; this looks like an Excel date serial number: "
    "format the column as a date before exporting"
)
DMY = "must be a date YYYY-MM-DD, e.g. 2026-12-31; day/month order is ambiguous, so write dates as YYYY-MM-DD"


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "rule"),
    [
        ("projects", 2, "budget", "1,200.50", THOUSANDS),
        ("projects", 2, "budget", "12%", "must be an amount, not a percentage"),
        ("projects", 2, "budget", "N/A", "is required: give the amount as a number"),
        ("projects", 2, "budget", "€1200", "must be a plain number, without a currency symbol or code"),
        ("risks", 2, "cost_impact", "N/A", "must be a number: leave the cell empty when there is no amount"),
        ("projects", 2, "baseline_start", "46300", SERIAL),
        ("projects", 2, "baseline_start", "31/12/2026", DMY),
        ("projects", 2, "baseline_start", "2026-02-30", "is not a real date: check day and month"),
        ("financials", 2, "period", "46300", "must be a month YYYY-MM, e.g. 2026-03"),
        ("risks", 2, "probability", "0", "must be a whole number from 1 to 5"),
        ("risks", 2, "probability", "6", "must be a whole number from 1 to 5"),
        ("risks", 2, "probability", "2.5", "must be a whole number from 1 to 5"),
        ("projects", 2, "budget", "-5", "must be 0 or more"),
        (
            "projects",
            2,
            "baseline_finish",
            "2020-01-01",
            "baseline_finish must not be before baseline_start (which is 2025-03-10)",
        ),
        ("risks", 2, "project_id", "NOPE-1", "unknown project_id: not in projects.csv"),
        ("risks", 2, "status", "Pending", "must be one of open or closed"),
    ],
)
def test_one_bad_cell_is_one_finding_naming_the_place(
    tmp_path: Path, table: str, row: int, column: str, value: str, rule: str
) -> None:
    src = sample_source(tmp_path)
    set_cell(src, table, row, column, value)
    code, out, err = validate(src)
    assert code == 1, out + err
    assert "1 problem found:" in out
    assert findings(out) == [[table, f"{table}.csv", str(row), column, repr(value), rule]]


def test_thousands_separator_is_accepted_when_configured(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "projects", 2, "budget", "1,200.50")
    set_cell(src, "financials", 2, "actual_cost", "18,085.77")
    toml = tmp_path / "pmo.toml"
    toml.write_text('[ingest]\nthousands_separator = ","\n', encoding="utf-8")
    code, out, _ = validate(src, "--config", str(toml))
    assert code == 0 and "valid: no problems found" in out
    portfolio = load(src, toml)
    assert portfolio.projects.set_index("project_id").at["DCX-001", "budget"] == 1200.5
    fin = portfolio.financials.set_index(["project_id", "period"])
    assert fin.at[("DCX-001", "2025-03"), "actual_cost"] == 18085.77


def test_duplicate_program_row(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    programs = read_table(src, "programs")
    write_table(src, "programs", pd.concat([programs, programs.iloc[[0]]], ignore_index=True))
    code, out, _ = validate(src)
    assert code == 1
    assert findings(out) == [
        ["programs", "programs.csv", "2", "program_id", "'PRG-DCX'", "duplicate program_id: also on row 7"],
        ["programs", "programs.csv", "7", "program_id", "'PRG-DCX'", "duplicate program_id: also on row 2"],
    ]


def test_duplicate_project_id_with_other_content(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    projects = read_table(src, "projects")
    extra = projects.iloc[[1]].copy()  # DCX-002's row under DCX-001's id
    extra["project_id"] = "DCX-001"
    write_table(src, "projects", pd.concat([projects, extra], ignore_index=True))
    code, out, _ = validate(src)
    assert code == 1
    assert findings(out) == [
        ["projects", "projects.csv", "2", "project_id", "'DCX-001'", "duplicate project_id: also on row 36"],
        ["projects", "projects.csv", "36", "project_id", "'DCX-001'", "duplicate project_id: also on row 2"],
    ]


def test_duplicate_financials_month(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    fin = read_table(src, "financials")
    write_table(src, "financials", pd.concat([fin, fin.iloc[[0]]], ignore_index=True))
    code, out, _ = validate(src)
    assert code == 1
    last = len(fin) + 2  # the copy appended after the sample's rows (header is row 1)
    assert findings(out) == [
        ["financials", "financials.csv", "2", "period", "'2025-03'",
         f"duplicate project_id and period: also on row {last}"],
        ["financials", "financials.csv", str(last), "period", "'2025-03'",
         "duplicate project_id and period: also on row 2"],
    ]


def test_missing_required_column_is_unreadable_exit_2(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    write_table(src, "projects", read_table(src, "projects").rename(columns={"budget": "Budjet"}))
    code, out, err = validate(src)
    assert code == 2 and out == ""
    msg = one_error_line(err)
    assert msg.startswith("projects.csv has no column budget (its columns are: 'project_id', ")
    assert "'Budjet'" in msg
    assert msg.endswith("add the column, or map your header to it under [columns] in pmo.toml "
                        "(headers ignore case and spaces)")


def test_extra_columns_are_a_note_not_a_failure(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    risks = read_table(src, "risks")
    risks["Notes"] = "see minutes"
    risks[" PROBABILITY "] = risks.pop("probability")  # a header that differs only in case and spaces
    write_table(src, "risks", risks)
    code, out, err = validate(src)
    assert code == 0 and err == ""
    assert (
        "note: risks.csv: column 'Notes' not a column of the data model: ignored "
        "(map it under [columns] in pmo.toml if it is one)"
    ) in out.splitlines()
    assert "  risks            240" in out.splitlines()
