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
    assert [line.split() for line in out.splitlines() if line.startswith("  risks ")] == [["risks", "240"]]


# ---------------------------------------------------------------- text is data (issue 13, item 3)


@pytest.mark.parametrize(
    ("written", "read", "code_points"),
    [
        ("Core\x0bBanking", "Core Banking", "U+000B"),  # Word's manual line break
        ("Core\x01\x1fBanking", "Core  Banking", "U+0001, U+001F"),
        ("Core\u2028Banking", "Core Banking", "U+2028"),
        ("Core\u2029\x85Banking", "Core  Banking", "U+0085, U+2029"),
        ("Core\x7fBanking", "Core Banking", "U+007F"),
    ],
)
def test_control_characters_in_names_are_replaced_with_a_located_warning(
        tmp_path: Path, written: str, read: str, code_points: str) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "projects", 3, "name", written)
    code, out, _ = validate(src)
    assert code == 0, out
    assert (f"note: projects.csv, row 3, column 'name': value {written!r}: control character"
            f"{'s' if ',' in code_points else ''} {code_points} replaced by a space") in out
    assert load(src).projects.at[1, "name"] == read


def test_tab_and_newline_are_kept_and_crlf_becomes_newline(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "projects", 3, "status_comment", "line one\r\nline\ttwo\rthree")
    code, out, _ = validate(src)
    assert code == 0 and "note:" not in out
    assert load(src).projects.at[1, "status_comment"] == "line one\nline\ttwo\nthree"


def test_a_nul_character_is_a_located_finding(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "programs", 4, "name", "ERP\x00Modernisation")
    code, out, _ = validate(src)
    assert code == 1
    assert findings(out) == [["programs", "programs.csv", "4", "name", "'ERP\\x00Modernisation'",
                              "holds a NUL character (\\x00), which is never text: remove it (a file saved as "
                              "UTF-16 and read as UTF-8, or a corrupt export)"]]


def test_arbitrary_unicode_names_pass_ingest_kpis_and_chart_svg(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Any string a user can type (controls, separators, surrogate-free Unicode) as a project or program name:
    each example names every project and program of a small portfolio, and all of them are drawn in one chart."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st
    from ingest_helpers import small_frames, write_parquet

    from pmo_nb.metrics.kpis import compute, kpi_rows
    from pmo_nb.reporting import charts, display

    names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30).filter(
        lambda s: s.strip(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029") != "" and "\x00" not in s)
    frames = small_frames()
    n_projects, n_programs = len(frames["projects"]), len(frames["programs"])
    labels: list[str] = []

    @hypothesis.settings(max_examples=8, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(projects=st.lists(names, min_size=n_projects, max_size=n_projects),
                      programs=st.lists(names, min_size=n_programs, max_size=n_programs))
    def check(projects: list[str], programs: list[str]) -> None:
        frames = small_frames()
        frames["projects"]["name"] = pd.Series(projects, dtype=object)
        frames["programs"]["name"] = pd.Series(programs, dtype=object)
        folder = write_parquet(frames, tmp_path_factory.mktemp("uni"))  # Parquet keeps every character
        portfolio = load(folder)
        for name in [*portfolio.projects["name"], *portfolio.programs["name"]]:
            assert not any(ord(c) < 32 and c not in "\t\n" or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029"
                           for c in name)
        rows = kpi_rows(compute(portfolio.in_key_order(), "2026-03"), "project")
        assert len(rows) == n_projects
        by_id = portfolio.projects.set_index("project_id")["name"]
        labels.extend(by_id.loc[rows["project_id"]].tolist() + portfolio.programs["name"].tolist())

    check()
    # every name read, as a chart label (one SVG for all: the conversion is the costly part)
    quadrant = pd.DataFrame({"label": labels, "cpi": 1.0, "spi_t": 1.0, "bac": 1.0, "rag": "green"})
    svg = display.to_svg(charts.cpi_spi_quadrant(quadrant).to_dict())
    assert svg.lstrip().startswith("<svg")


# ---------------------------------------------------------------- dates in any range (issue 13, item 4)

DATE_COLUMNS = {
    "projects": ("baseline_start", "baseline_finish", "forecast_finish", "last_updated"),
    "milestones": ("baseline_date", "forecast_date", "actual_date"),
    "risks": ("raised_date", "closed_date", "response_due"),
    "issues": ("opened_date", "closed_date"),
}
RANGE = ("is outside the dates pmo-nb can compute with (1677-09-22 to 2262-04-11): correct the date, or leave "
         "the cell empty when there is none")


def _with_date(value: str, fmt: str) -> dict[str, pd.DataFrame]:
    import datetime as dt

    from ingest_helpers import small_frames

    frames = small_frames()
    frames["issues"] = pd.DataFrame([{"issue_id": "I-1", "project_id": "P-001", "title": "Vendor late",
                                      "severity": "high", "status": "closed", "owner": "Eve",
                                      "opened_date": pd.Timestamp("2026-02-10"),
                                      "closed_date": pd.Timestamp("2026-02-20")}])
    day = dt.date.fromisoformat(value)
    for table, columns in DATE_COLUMNS.items():
        df = frames[table].astype({c: object for c in columns})
        for c in columns:
            # text in CSV and SQLite, a real date in Parquet; Excel stores dates from 1900 on only
            df.loc[df.index[0], c] = value if fmt in ("csv", "sqlite") or (fmt == "xlsx" and day.year < 1900) else day
        if table in ("risks", "issues"):
            df.loc[df.index[0], "status"] = "closed"
        if fmt == "sqlite":  # SQLite has no date type: dates are text
            for c in columns:
                df[c] = df[c].map(lambda v: v if isinstance(v, str) or pd.isna(v) else pd.Timestamp(v).date()
                                  .isoformat())
        frames[table] = df
    return frames


def _write(frames: dict[str, pd.DataFrame], fmt: str, tmp_path: Path) -> Path | str:
    from ingest_helpers import write_csv, write_parquet, write_sqlite, write_xlsx

    if fmt == "csv":
        return write_csv(frames, tmp_path / "csv")
    if fmt == "parquet":
        return write_parquet(frames, tmp_path / "pq")
    if fmt == "xlsx":
        return write_xlsx(frames, tmp_path / "book.xlsx", extra_sheet=False)
    return write_sqlite(frames, tmp_path / "pmo.db")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "sqlite"])
@pytest.mark.parametrize("value", ["0001-01-01", "2262-04-12", "3000-01-01"])
def test_out_of_range_dates_are_located_findings_in_every_date_column(tmp_path: Path, fmt: str, value: str) -> None:
    from pmo_nb.data.ingest import check

    result = check(_write(_with_date(value, fmt), fmt, tmp_path))
    got = {(f.table, f.row, f.column): (f.value, f.rule) for f in result.findings}
    expected = {(t, 2, c): (value, RANGE) for t, cols in DATE_COLUMNS.items() for c in cols}
    assert got == expected


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "sqlite"])
def test_9999_12_31_is_no_date_where_optional_and_a_finding_where_required(tmp_path: Path, fmt: str) -> None:
    from pmo_nb.data.ingest import check
    from pmo_nb.schema import TABLES

    result = check(_write(_with_date("9999-12-31", fmt), fmt, tmp_path))
    required = {(t, c) for t, cols in DATE_COLUMNS.items() for c in cols if TABLES[t].column(c).required}
    optional = {(t, c) for t, cols in DATE_COLUMNS.items() for c in cols} - required
    assert {(f.table, f.row, f.column): f.rule for f in result.findings} == {
        (t, 2, c): f"9999-12-31 means no date, but {c} is required: give the real date" for t, c in required}
    assert {(n.table, n.row, n.column): n.rule for n in result.notes if n.rule.startswith("9999")} == {
        (t, 2, c): f"9999-12-31 read as no date ({c} is optional)" for t, c in optional}


def test_9999_12_31_forecast_is_no_date_and_the_cli_never_tracebacks(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "projects", 2, "forecast_finish", "9999-12-31")
    code, out, _ = validate(src)
    assert code == 0
    assert "note: projects.csv, row 2, column 'forecast_finish': value '9999-12-31': 9999-12-31 read as no date" in out
    assert pd.isna(load(src).projects.at[0, "forecast_finish"])
