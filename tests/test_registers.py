"""Registers as people keep them (issue 10): a tracking workbook read with only a pmo.toml, rows left out
instead of blocking, cumulative financials, and portfolios without programs or cost data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from ingest_helpers import csv_folder, edit_csv, small_frames, write_csv

from pmo_nb.config import load_config, parse_config
from pmo_nb.data.ingest import check, load
from pmo_nb.exceptions import ConfigError
from pmo_nb.schema import RAID_TABLES

TOML = """
organisation = "Acme PMO"

[sheets]
projects = "Projects"
milestones = "Milestones"
risks = "Risks"
issues = "Issues"

[columns.projects]
Project_ID = "project_id"
Programme = "program_id"
Project_Name = "name"
PM = "manager"
Start = "baseline_start"
Finish = "baseline_finish"
Budget_kEUR = "budget"
RAG_Status = "reported_status"

[columns.milestones]
ID = "milestone_id"
Project = "project_id"
Milestone = "name"
Planned = "baseline_date"
Achieved = "actual_date"
Key = "key_milestone"

[columns.risks]
ID = "risk_id"
Project = "project_id"
Risk = "title"
Probability = "probability"
Impact = "impact"
Owner = "owner"
Status = "status"
Raised = "raised_date"
Closed = "closed_date"

[columns.issues]
ID = "issue_id"
Project = "project_id"
Issue = "title"
Severity = "severity"
Status = "status"
Owner = "owner"
Opened = "opened_date"
Closed = "closed_date"

[values.projects.reported_status]
"On Track" = "green"
"At Risk" = "amber"
"Off Track" = "red"

[values.risks.probability]
Low = 2
Medium = 3
High = 4

[values.risks.impact]
Low = 2
Medium = 3
High = 4

[values.risks.status]
Mitigated = "open"
"In Progress" = "open"
Resolved = "closed"

[values.issues.status]
"In Progress" = "open"
Resolved = "closed"

[values.milestones.key_milestone]
Yes = true
No = false

[scale.projects]
budget = 1000

[ingest]
date_format = "%d/%m/%Y"
"""


def tracker(path: Path) -> Path:
    """A tracking workbook shaped like the issue's: no programs sheet, no cost history, k€, Low/Medium/High."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projects"
    ws.append(["Project_ID", "Programme", "Project_Name", "PM", "Start", "Finish", "Budget_kEUR", "RAG_Status"])
    ws.append(["P1", "PRG-A", "CRM rollout", "Ann", "14/07/2025", "31/03/2026", 250, "On Track"])
    ws.append(["P2", "PRG-A", "Billing", "Bob", dt.datetime(2025, 9, 1), "30/06/2026", 1200.5, "at risk"])
    ws.append(["P3", "PRG-B", "Data lake", "Cy", "01/02/2026", "31/12/2026", 80, "Off Track"])
    ws = wb.create_sheet("Milestones")
    ws.append(["ID", "Project", "Milestone", "Planned", "Achieved", "Key"])
    ws.append(["M1", "P1", "Go-live", "15/01/2026", "20/01/2026", "Yes"])
    ws.append(["M2", "P3", "Design", "01/03/2026", None, "No"])
    ws = wb.create_sheet("Risks")
    ws.append(["ID", "Project", "Risk", "Probability", "Impact", "Owner", "Status", "Raised", "Closed"])
    ws.append(["R1", "P1", "Vendor delay", "High", "Medium", "Ann", "Mitigated", "01/08/2025", None])
    ws.append(["R2", "P2", "Scope creep", "Low", "High", "Bob", "Resolved", "01/10/2025", "15/12/2025"])
    ws.append(["R3", "P3", "Skills", "Medium", "Low", "Cy", "In Progress", "01/03/2026", None])
    ws = wb.create_sheet("Issues")
    ws.append(["ID", "Project", "Issue", "Severity", "Status", "Owner", "Opened", "Closed"])
    ws.append(["I1", "P2", "Licences late", "High", "In Progress", "Bob", "05/01/2026", None])
    wb.save(path)
    return path


@pytest.fixture
def register(tmp_path: Path) -> tuple[Path, Path]:
    toml = tmp_path / "pmo.toml"
    toml.write_text(TOML, encoding="utf-8")
    return tracker(tmp_path / "Tracker.xlsx"), toml


def test_a_tracking_workbook_reads_with_only_a_pmo_toml(register: tuple[Path, Path]) -> None:
    book, toml = register
    result = check(book, toml)
    assert result.findings == []
    p = result.portfolio
    assert p is not None
    projects = p.projects.set_index("project_id")
    assert projects["budget"].tolist() == [250_000.0, 1_200_500.0, 80_000.0]  # [scale] k€ -> €
    assert projects["reported_status"].tolist() == ["green", "amber", "red"]  # [values], case-insensitive
    assert projects["baseline_start"].tolist() == [pd.Timestamp("2025-07-14"), pd.Timestamp("2025-09-01"),
                                                   pd.Timestamp("2026-02-01")]  # date_format and real dates
    risks = p.risks.set_index("risk_id")
    assert risks[["probability", "impact", "status"]].values.tolist() == [[4, 3, "open"], [2, 4, "closed"],
                                                                          [3, 2, "open"]]
    assert p.issues["status"].tolist() == ["open"]
    assert p.milestones["key_milestone"].tolist() == [True, False]
    # no programs sheet: derived from the projects, with a data note
    assert p.programs[["program_id", "name", "sponsor", "manager"]].values.tolist() == [
        ["PRG-A", "PRG-A", "unknown", "unknown"], ["PRG-B", "PRG-B", "unknown", "unknown"]]
    assert any(n.table == "programs" and n.rule.startswith("no programs table: programs derived") for n in p.notes)
    # no financials: an empty table, named as missing
    assert p.financials.empty and "financials" in p.missing_tables and "programs" not in p.missing_tables


def test_unmapped_values_keep_the_finding_naming_the_allowed_values(register: tuple[Path, Path]) -> None:
    book, toml = register
    wb = openpyxl.load_workbook(book)
    wb["Risks"]["G3"] = "Escalated"  # no mapping for it
    wb.save(book)
    found = [(f.table, f.row, f.column, f.value, f.rule) for f in check(book, toml).findings]
    assert found == [("risks", 3, "status", "Escalated", "must be one of open or closed")]


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("dayfirst", "14/07/2025", "2025-07-14"),
        ("%d/%b/%y %I:%M %p", "14/Jul/25 3:42 PM", "2025-07-14"),
        ("%a %m/%d/%y", "Mon 7/14/25", "2025-07-14"),
        ("%d.%m.%Y", "2025-07-14", "2025-07-14"),  # ISO dates are always read
    ],
)
def test_date_formats(tmp_path: Path, fmt: str, text: str, expected: str) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "baseline_start", text)
    config = parse_config({"ingest": {"date_format": fmt}})
    assert load(folder, config).projects.at[0, "baseline_start"] == pd.Timestamp(expected)


def test_a_date_not_in_the_format_names_the_setting(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "baseline_start", "July 14th")
    config = parse_config({"ingest": {"date_format": "%d/%m/%Y"}})
    assert [(f.row, f.column, f.rule) for f in check(folder, config).findings] == [
        (2, "baseline_start", "must be a date in the [ingest] date_format (%d/%m/%Y) or YYYY-MM-DD")]


def test_a_european_number_names_the_decimal_setting(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "budget", "1.234,50")
    assert [(f.row, f.column, f.value, f.rule) for f in check(folder).findings] == [
        (2, "budget", "1.234,50", 'not a number; set [ingest] decimal = "," and thousands_separator = "." if '
                                  "your file writes numbers like 1.234,50")]
    from pmo_nb.data.coerce import COERCERS
    from pmo_nb.schema import PROJECTS

    config = parse_config({"ingest": {"decimal": ",", "thousands_separator": "."}})
    coerced = COERCERS["money"](pd.Series(["1.234,50"], index=[2], dtype=object), PROJECTS.column("budget"), config)
    assert coerced.values.tolist() == [1234.5] and coerced.problems.empty


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ({"sheets": {"project": "X"}}, "sheets.project"),
        ({"values": {"risks": {"likelihood": {"Low": 1}}}}, "values.risks.likelihood"),
        ({"scale": {"projects": {"name": 1000}}}, "scale.projects.name"),
        ({"scale": {"projects": {"budget": 0}}}, "scale.projects.budget"),
        ({"ingest": {"date_format": "dd/mm/yyyy"}}, "ingest.date_format"),
        ({"ingest": {"financials": "running"}}, "ingest.financials"),
        ({"validation": {"invalid_rows": "skip"}}, "validation.invalid_rows"),
    ],
)
def test_bad_register_settings_name_their_key(toml: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(toml)
    assert info.value.key == key


# ---------------------------------------------------------------- invalid rows excluded (item 5)


def test_exclude_leaves_out_bad_rows_and_what_depends_on_them(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 3, "budget", "lots")  # P-002: its months and milestones go with it
    edit_csv(folder, "risks", 2, "probability", "9")
    toml = tmp_path / "pmo.toml"
    toml.write_text('[validation]\ninvalid_rows = "exclude"\n', encoding="utf-8")
    assert len(check(folder).findings) == 2  # the default still fails
    result = check(folder, toml)
    p = result.portfolio
    assert p is not None and result.findings == []
    assert p.projects["project_id"].tolist() == ["P-001", "007"]
    assert "P-002" not in set(p.financials["project_id"])
    excluded = [(f.source, f.row, f.column, f.rule) for f in p.excluded]
    assert excluded[:2] == [("projects.csv", 3, "budget", "must be a number"),
                            ("risks.csv", 2, "probability", "must be a whole number from 1 to 5")]
    assert {(f.source, f.rule.split(":")[0]) for f in p.excluded[2:]} == {("financials.csv", "unknown project_id")}
    assert len(p.financials) == 6 and len(p.excluded) == 2 + 3  # P-002's three months went with it


def test_exclude_still_stops_on_problems_no_row_can_be_blamed_for(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    for row in (2, 3):
        edit_csv(folder, "programs", row, "program_id", "bad id")
    config = parse_config({"validation": {"invalid_rows": "exclude"}})
    result = check(folder, config)
    assert result.portfolio is None
    # both programs left out, so every project too: empty tables are not rows to leave out
    assert [f.rule for f in result.findings] == ["no rows: programs needs at least one record under the header",
                                                 "no rows: projects needs at least one record under the header"]


def test_the_cli_lists_excluded_rows_and_exits_0(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pmo_nb.cli import cli

    folder = csv_folder(tmp_path)
    edit_csv(folder, "risks", 2, "probability", "9")
    toml = tmp_path / "pmo.toml"
    toml.write_text('[validation]\ninvalid_rows = "exclude"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder), "--config", str(toml)])
    assert result.exit_code == 0
    assert ('1 row left out ([validation] invalid_rows = "exclude"):\n  excluded: risks.csv, row 2, column '
            "'probability': value '9': must be a whole number from 1 to 5") in result.stdout


# ---------------------------------------------------------------- cumulative financials (item 6)


def cumulative(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    fin = frames["financials"].sort_values(["project_id", "period"]).copy()
    for c in ("planned_value", "earned_value", "actual_cost"):
        fin[c] = fin.groupby("project_id")[c].cumsum()
    return fin


def test_cumulative_financials_are_differenced(tmp_path: Path) -> None:
    frames = small_frames()
    monthly = load(write_csv(frames, tmp_path / "m"))
    frames["financials"] = cumulative(frames)
    folder = write_csv(frames, tmp_path / "c")
    config = parse_config({"ingest": {"financials": "cumulative"}})
    assert load(folder, config).fingerprint() == monthly.fingerprint()


def test_running_totals_given_as_monthly_give_a_warning_naming_the_setting(tmp_path: Path) -> None:
    frames = small_frames()
    budgets = frames["projects"].set_index("project_id")["budget"]
    months = pd.period_range("2025-01", periods=12, freq="M").strftime("%Y-%m")
    rows = [{"project_id": pid, "period": m, "planned_value": budgets[pid] * (i + 1) / 12,
             "earned_value": budgets[pid] * (i + 1) / 14, "actual_cost": budgets[pid] * (i + 1) / 13}
            for pid in budgets.index for i, m in enumerate(months)]
    frames["financials"] = pd.DataFrame(rows)
    folder = write_csv(frames, tmp_path / "c")
    notes = [n.rule for n in check(folder).notes if n.table == "financials"]
    assert notes == ['the amounts look cumulative (running totals): for 3 of 3 projects they never decrease and '
                     "sum to more than 2 times the budget (e.g. 007: 6.5 times); if the file holds totals to date, "
                     'set [ingest] financials = "cumulative" in pmo.toml']
    config = parse_config({"ingest": {"financials": "cumulative"}})
    assert [n for n in check(folder, config).notes if n.table == "financials"] == []


def test_monthly_amounts_give_no_cumulative_warning(tmp_path: Path) -> None:
    assert [n for n in check(csv_folder(tmp_path)).notes if n.table == "financials"] == []


# ---------------------------------------------------------------- no cost data (item 3, data side)


def test_no_financials_and_no_actual_cost(tmp_path: Path) -> None:
    frames = small_frames()
    p = load(write_csv(frames, tmp_path / "none", tables=("programs", "projects", "milestones", "risks")))
    assert p.financials.empty and list(p.financials.columns) == [
        "project_id", "period", "planned_value", "earned_value", "actual_cost"]
    assert p.missing_tables == ("financials", "issues", "contacts", "benefits", *RAID_TABLES) and p.periods == []
    frames["financials"] = frames["financials"].drop(columns="actual_cost")
    p = load(write_csv(frames, tmp_path / "no_ac"))
    assert p.financials["actual_cost"].isna().all() and p.financials["planned_value"].notna().all()


def test_config_reads_every_register_key(tmp_path: Path) -> None:
    toml = tmp_path / "pmo.toml"
    toml.write_text(TOML + '\n[validation]\ninvalid_rows = "exclude"\n', encoding="utf-8")
    cfg = load_config(toml)
    assert cfg.sheets["projects"] == "Projects" and cfg.scale == {"projects": {"budget": 1000.0}}
    assert cfg.values["risks"]["status"] == {"mitigated": "open", "in progress": "open", "resolved": "closed"}
    assert (cfg.ingest.date_format, cfg.validation.invalid_rows) == ("%d/%m/%Y", "exclude")


@pytest.mark.parametrize("fmt", ["csv", "sqlite"])
def test_sheets_names_files_and_database_tables(tmp_path: Path, fmt: str) -> None:
    from ingest_helpers import write_sqlite

    frames = small_frames()
    frames["Projects 2026"] = frames.pop("projects")
    config = parse_config({"sheets": {"projects": "Projects 2026"}})
    if fmt == "csv":
        folder = tmp_path / "csv"
        folder.mkdir()
        for name, df in frames.items():
            df.to_csv(folder / f"{name}.csv", index=False)
        source: Path | str = folder
    else:
        source = write_sqlite(frames, tmp_path / "pmo.db")
    assert load(source, config).projects["project_id"].tolist() == ["P-001", "P-002", "007"]
    from pmo_nb.exceptions import SourceError

    with pytest.raises(SourceError, match="required table projects not found"):
        load(source)  # without [sheets] the table is not found
