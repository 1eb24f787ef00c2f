"""pmo-nb guidelines: every breach listed as a table, CSV or JSON; --strict fails on a major breach; one-line errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from guideline_helpers import write_guideline_portfolio

from pmo_nb.cli import cli


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return write_guideline_portfolio(tmp_path_factory.mktemp("guidelines") / "portfolio")


def run(*args: str):
    return CliRunner().invoke(cli, ["guidelines", *args])


def test_table_lists_every_breach_and_exits_0(source):
    result = run(str(source), "--period", "2024-03")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("9 breaches of 7 guidelines in 2024-03; compliance 43.8% (7 of 16 applicable guidelines met "
                        "over 4 open projects)")
    assert lines[2].split() == ["project_id", "program_id", "guideline", "severity", "item", "detail"]
    rows = lines[4:13]
    assert [r.split()[:3] for r in rows][:2] == [["A", "P1", "high_risk_response"], ["A", "P1", "issue_escalated"]]
    assert "last_updated 2024-02-20, more than 35 days before the status date 2024-03-31" in result.output
    assert ("  status_current (major, 2 breaches): Every project's status is updated within 35 days of the status "
            "date.") in lines


def test_csv_has_text_and_detail(source):
    result = run(str(source), "--period", "2024-03", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["project_id", "program_id", "guideline", "text", "severity", "item", "detail"]
    assert len(rows) == 9
    d = [r for r in rows if r["project_id"] == "D" and r["guideline"] == "financials_booked"]
    assert d == [{"project_id": "D", "program_id": "P2", "guideline": "financials_booked",
                  "text": "Every project in execution has financials booked for every month since its baseline start.",
                  "severity": "minor", "item": "", "detail": "no financials for 2024-02"}]


def test_json_program_filter(source):
    result = run(str(source), "--period", "2024-03", "--program", "P2", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["project_id"], r["guideline"], r["item"]) for r in rows] == [
        ("D", "financials_booked", None), ("D", "key_milestone_forecast", "M3"), ("D", "status_current", None)]


def test_strict_fails_on_a_major_breach(source):
    result = run(str(source), "--period", "2024-03", "--strict")
    assert result.exit_code == 1
    assert "6 major guideline breaches: failing (--strict)" in result.output


def test_strict_passes_with_only_minor_breaches(source, tmp_path):
    cfg = tmp_path / "pmo.toml"
    cfg.write_text("".join(f'[[guidelines]]\nid = "{g}"\nenabled = false\n' for g in (
        "baseline_present", "status_current", "high_risk_response", "issue_escalated")), encoding="utf-8")
    result = run(str(source), "--period", "2024-03", "--strict", "--config", str(cfg))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 breaches of 3 guidelines in 2024-03")


def test_no_breach(source, tmp_path):
    cfg = tmp_path / "pmo.toml"
    cfg.write_text('[[guidelines]]\nid = "status_current"\nthreshold = 400\n'
                   + "".join(f'[[guidelines]]\nid = "{g}"\nenabled = false\n' for g in (
                       "baseline_present", "risk_owner", "high_risk_response", "key_milestone_forecast",
                       "financials_booked", "issue_escalated")), encoding="utf-8")
    result = run(str(source), "--period", "2024-03", "--program", "P1", "--strict", "--config", str(cfg))
    assert result.exit_code == 0, result.output
    assert result.output == ("0 breaches of 1 guideline in 2024-03; compliance 100.0% (2 of 2 applicable "
                             "guidelines met over 2 open projects)\n")


@pytest.mark.parametrize("args,message", [
    (["--period", "2030-01"], "error: period 2030-01 is outside the data"),
    (["--period", "2024-03", "--program", "P9"], "error: unknown program 'P9'"),
    (["--period", "2024-13"], "error: "),
])
def test_bad_input_is_one_line(source, args, message):
    result = run(str(source), *args)
    assert result.exit_code != 0 and result.output.startswith(message)
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_bad_config_names_the_key(source, tmp_path):
    cfg = tmp_path / "pmo.toml"
    cfg.write_text('[[guidelines]]\nid = "mine"\ntext = "t"\ntable = "risks"\n'
                   'require = [{ column = "colour", present = true }]\n', encoding="utf-8")
    result = run(str(source), "--config", str(cfg))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("error: config key 'guidelines[0].require[0].column' in ")
    assert "'colour' is not a column of risks" in result.output and len(result.output.strip().splitlines()) == 1
