"""`pmo-nb kpis`: formats, levels, program filter and clean errors (through the real loader)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from kpi_scenarios import scenario

from pmo_nb.cli import cli
from pmo_nb.console.kpis import render_rows
from pmo_nb.metrics.guidelines import FIGURE_COLUMNS
from pmo_nb.metrics.kpis import KPI_COLUMNS, compute, kpi_rows
from pmo_nb.schema import TABLES


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The test_kpis scenario written as a CSV folder."""
    folder = tmp_path_factory.mktemp("scenario")
    for name, frame in scenario().tables().items():
        out = frame[TABLES[name].column_names].copy()
        for column in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[column]):
                out[column] = out[column].dt.strftime("%Y-%m-%d")
        out.to_csv(folder / f"{name}.csv", index=False)
    return folder


def run(*args: str):
    return CliRunner().invoke(cli, ["kpis", *args])


def test_json_project_level(source):
    result = run(str(source), "--period", "2024-03", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["project_id"] for r in rows] == ["A", "B", "C", "D"]
    assert list(rows[0]) == ["project_id", "name", "program_id", *KPI_COLUMNS, *FIGURE_COLUMNS]
    assert (rows[0]["name"], rows[0]["program_id"]) == ("Alpha", "P1")
    a, c = rows[0], rows[2]
    assert (a["pv"], a["ev"], a["ac"]) == (300.0, 270.0, 300.0)
    assert a["cpi"] == pytest.approx(0.9) and a["es"] == pytest.approx(2.7) and a["rag"] == "red"
    assert c["cpi"] is None and c["rag"] is None and c["rag_reason"] == "no financials yet; 2 major guideline breaches"


def test_csv_program_level_leaves_undefined_empty(source):
    result = run(str(source), "--period", "2024-03", "--level", "program", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ",".join(["program_id", "name", *KPI_COLUMNS, *FIGURE_COLUMNS])
    p1 = dict(zip(lines[0].split(","), lines[1].split(","), strict=False))
    assert (p1["program_id"], p1["name"], float(p1["ev"]), float(p1["es"])) == ("P1", "Digital", 520.0,
                                                                                 pytest.approx(3.1))


def test_table_portfolio_level(source):
    result = run(str(source), "--period", "2024-03", "--level", "portfolio")
    assert result.exit_code == 0, result.output
    header, rule, line = result.output.splitlines()
    assert header.split()[:4] == ["bac", "pv", "ev", "ac"] and set(rule.replace(" ", "")) == {"-"}
    assert line.split()[:4] == ["1,700", "600", "620", "580"]


def test_program_filter_and_default_period(source):
    result = run(str(source), "--program", "P2", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["project_id"] for r in rows] == ["C", "D"]
    # default period: the latest month of financials that has ended (2024-10): D finished, AT stays 2
    assert rows[1]["at"] == 2.0 and rows[1]["spi_t"] == 1.0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [(["--period", "2030-01"], 1, "period 2030-01 is outside the data, which covers 2024-01 to 2024-10"),
     (["--period", "oct"], 2, "is not a month: use YYYY-MM"),  # a malformed option: a bad invocation
     (["--program", "P9"], 1, "unknown program 'P9'; programs are P1, P2")],
)
def test_bad_arguments_exit_1_with_a_message(source, args, code, message):
    result = run(str(source), *args)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


def test_bad_config_is_a_clean_error(source, tmp_path):
    config = tmp_path / "pmo.toml"
    config.write_text("[rag]\ngreen = 'high'\n", encoding="utf-8")
    result = run(str(source), "--period", "2024-03", "--config", str(config))
    assert result.exit_code == 1 and "rag.green" in result.output


def test_missing_source_is_a_clean_error(tmp_path):
    result = run(str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_kpis_output_does_not_depend_on_row_order(tmp_path):
    import shutil

    import pandas as pd
    from click.testing import CliRunner

    from pmo_nb.cli import cli
    from pmo_nb.paths import SAMPLE_DIR

    shuffled = tmp_path / "shuffled"
    shutil.copytree(SAMPLE_DIR, shuffled)
    for path in shuffled.glob("*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df.sample(frac=1, random_state=3).to_csv(path, index=False)
    args = ["kpis", "--period", "2026-10", "--level", "program", "--format", "csv"]
    original = CliRunner().invoke(cli, [args[0], str(SAMPLE_DIR), *args[1:]])
    reordered = CliRunner().invoke(cli, [args[0], str(shuffled), *args[1:]])
    assert original.exit_code == reordered.exit_code == 0
    assert original.output == reordered.output


@pytest.fixture(scope="module")
def kpis():
    return compute(scenario(), "2024-03")


def test_kpi_rows_and_rendering(kpis):
    assert list(kpi_rows(kpis, "program").columns) == ["program_id", "name", *KPI_COLUMNS, *FIGURE_COLUMNS]
    assert list(kpi_rows(kpis, "portfolio").columns) == [*KPI_COLUMNS, *FIGURE_COLUMNS]
    rows = kpi_rows(kpis, "project")
    lines = render_rows(rows, "table").splitlines()
    assert lines[0].split()[:5] == ["project_id", "name", "program_id", "bac", "pv"] and len(lines) == 2 + 4
    gamma = lines[2 + 2]  # C: no financials
    assert gamma.startswith("C ") and gamma.count("n/a") == len(KPI_COLUMNS) - 2 and " nan" not in gamma
    assert lines[2].split()[3:6] == ["1,000", "300", "270"] and "0.90" in lines[2]
    csv_c = render_rows(rows, "csv").splitlines()[3]
    assert csv_c.startswith("C,Gamma,P2,100.0,,,")


# ---------------------------------------------------------------------------------------------
# Safe spreadsheets out (issue 13 item 5).

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "=2+5", "@SUM(A1:A2)",
           "-2+3", "\tTab", "\rReturn", "'=already quoted"]


def hostile_source(folder: Path, names: list[str]) -> Path:
    """The scenario with hostile project names (and PV booked as 0.1 + 0.2, which sums to 0.30000000000000004)."""
    tables = scenario().tables()
    projects = tables["projects"].copy()
    projects["name"] = names[: len(projects)]
    tables["projects"] = projects
    fin = tables["financials"].copy()
    fin.loc[(fin["project_id"] == "A") & (fin["period"] == "2024-01"), "planned_value"] = 0.1
    fin.loc[(fin["project_id"] == "A") & (fin["period"] == "2024-02"), "planned_value"] = 0.2
    fin.loc[(fin["project_id"] == "A") & (fin["period"] == "2024-03"), "planned_value"] = 10737470.349999999
    tables["financials"] = fin
    folder.mkdir()
    for name, frame in tables.items():
        out = frame[TABLES[name].column_names].copy()
        for column in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[column]):
                out[column] = out[column].dt.strftime("%Y-%m-%d")
        out.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_csv_escapes_formula_cells_and_rounds_money(tmp_path):
    import csv
    import io

    source = hostile_source(tmp_path / "hostile", ["=2+5", "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "Plain"])
    result = run(str(source), "--period", "2024-03", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["name"] for r in rows] == ["'=2+5", "'+cmd|' /C calc'!A0", "'@SUM(A1:A2)", "Plain"]
    # 0.1 + 0.2 + 10737470.349999999 is 10737470.649999999 as a float sum: written to the cent
    assert rows[0]["pv"] == "10737470.65" and rows[0]["ac"] == "300.0"
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())


@pytest.mark.parametrize("text", HOSTILE)
def test_every_trigger_is_escaped_and_read_back(text, tmp_path):
    from pmo_nb.metrics.spreadsheet import escape, to_csv, unescape

    frame = pd.DataFrame({"id": [text], "name": [text], "bac": [1.005]})
    written = to_csv(frame)
    cell = written.splitlines()[1] if "\r" not in text and "\n" not in text else written
    assert escape(text).startswith("'") and unescape(escape(text)) == text
    assert "'" + text in cell or "'" + text.replace('"', '""') in cell


def test_numbers_are_not_escaped_and_follow_the_currency(tmp_path):
    from pmo_nb.metrics.spreadsheet import escape, to_csv

    assert escape("-12") == "-12" and escape("+3.5") == "+3.5" and escape(-4.0) == -4.0
    frame = pd.DataFrame({"bac": [10737470.649999999, -0.001], "cpi": [1 / 3, 0.1 + 0.2], "name": ["-", "x"]})
    assert to_csv(frame, "EUR").splitlines() == ["bac,cpi,name", "10737470.65,0.333333,'-", "0.0,0.3,x"]
    assert to_csv(frame, "JPY").splitlines()[1].startswith("10737471.0,")
    assert to_csv(frame, "KWD").splitlines()[1].startswith("10737470.65,")


def test_table_states_each_kind_with_its_rounding_rule():
    from pmo_nb.metrics.figures import DECIMALS, kind_of, round_half_up

    rows = pd.DataFrame({"project_id": ["X"], "name": ["n"], "bac": [1234.5], "cpi": [0.125],
                         "cv_pct": [0.1225], "es": [2.75], "rag": ["green"]})
    header, _, line = render_rows(rows, "table").splitlines()
    assert line.split() == ["X", "n", "1,235", "0.13", "12.3%", "2.8", "green"]
    assert [kind_of(c) for c in ("bac", "cpi", "cv_pct", "es", "finish_slip_days", "ms_missed")] == [
        "money", "ratio", "percent", "months", "days", "count"]
    assert (DECIMALS["ratio"], DECIMALS["percent"], DECIMALS["months"]) == (2, 1, 1)
    assert (round_half_up(1.005, 2), round_half_up(2.5, 0), round_half_up(-0.125, 2)) == (1.01, 3.0, -0.13)
