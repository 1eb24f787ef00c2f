"""Guidelines and measures: each condition operator, each built-in guideline, measures and roll-ups, config errors."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from guideline_helpers import guideline_portfolio

from pmo_nb.config import Config, parse_config
from pmo_nb.exceptions import ConfigError
from pmo_nb.metrics import guidelines
from pmo_nb.metrics.conditions import Context, holds, offending
from pmo_nb.metrics.kpis import compute, kpi_rows
from pmo_nb.periods import Period
from pmo_nb.reporting.guidelines import portfolio_section, program_section
from pmo_nb.rules import BUILTIN_GUIDELINES, DERIVED_COLUMNS, parse_condition

PERIOD = Period.parse("2024-03")  # status date 2024-03-31


# ---------------------------------------------------------------- the condition vocabulary
def _rows() -> pd.DataFrame:
    """Three risks of projects P1, P2, P3 (r2's score and response due date are missing)."""
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3"],
        "owner": ["Ann", " tbd ", None],
        "score": [20.0, 12.0, np.nan],
        "response_due": pd.to_datetime(["2024-04-10", "2024-03-01", None]),
        "raised_date": pd.to_datetime(["2024-01-01", "2024-03-20", "2023-10-01"]),
        "status": ["open", "Closed ", "open"],
        "open": [True, False, True],
    })


def _context() -> Context:
    financials = pd.DataFrame({"project_id": ["P1", "P1", "P1", "P2", "P4"],
                               "period": ["2024-01", "2024-02", "2024-03", "2024-03", "2024-04"],
                               "planned_value": [10.0, 10.0, 10.0, 0.0, 5.0]})
    return Context(period=PERIOD, tables={"financials": financials})


@pytest.mark.parametrize("raw,expected", [
    ({"column": "owner", "present": True}, [True, False, False]),   # " tbd " is a placeholder
    ({"column": "owner", "present": False}, [False, True, True]),
    ({"column": "score", "op": ">=", "value": 15}, [True, False, False]),  # missing never satisfies
    ({"column": "score", "op": "<", "value": 15}, [False, True, False]),
    ({"column": "score", "op": "!=", "value": 20}, [False, True, False]),
    ({"column": "score", "op": "==", "value": 12}, [False, True, False]),
    ({"column": "score", "op": "<=", "value": 20}, [True, True, False]),
    ({"column": "score", "op": ">", "value": 12}, [True, False, False]),
    ({"column": "response_due", "op": ">=", "value": "status_date"}, [True, False, False]),
    ({"column": "response_due", "op": ">=", "value": "status_date", "offset_days": -31}, [True, True, False]),
    ({"column": "response_due", "op": "<", "value": "2024-03-02"}, [False, True, False]),
    ({"column": "response_due", "op": ">", "other": "raised_date"}, [True, False, False]),
    ({"column": "status", "in": ["open"]}, [True, False, True]),
    ({"column": "status", "in": ["CLOSED"]}, [False, True, False]),    # trimmed, case-insensitive
    ({"column": "status", "not_in": ["open"]}, [False, True, False]),
    ({"column": "raised_date", "within_days": 30}, [False, True, False]),      # on or after 2024-03-01
    ({"column": "raised_date", "older_than_days": 90}, [False, False, True]),  # before 2024-01-01
    ({"column": "open", "op": "==", "value": True}, [True, False, True]),
    ({"any": [{"column": "owner", "present": True}, {"column": "score", "op": "<", "value": 15}]},
     [True, True, False]),
    ({"has_rows": "financials"}, [True, True, False]),
    ({"has_rows": "financials", "where": [{"column": "planned_value", "op": ">", "value": 0}]}, [True, False, False]),
    # months from raised_date (not before the first month of data, 2024-01) to 2024-03 each have a row
    ({"every_month": "financials", "since": "raised_date"}, [True, True, False]),
])
def test_each_operator(raw, expected):
    cond = parse_condition(raw, "risks", "c")
    assert holds(cond, _rows(), _context()).tolist() == expected


def test_not_in_counts_a_missing_value_as_outside_every_set():
    frame = pd.DataFrame({"project_id": ["P1"], "phase": [None]})
    cond = parse_condition({"column": "phase", "not_in": ["initiation"]}, "projects", "c")
    assert holds(cond, frame, _context()).tolist() == [True]


@pytest.mark.parametrize("raw,expected", [
    ({"column": "raised_date", "within_days": 30}, "raised_date 2023-10-01, more than 30 days before the status "
                                                    "date 2024-03-31"),
    ({"column": "response_due", "op": ">=", "value": "status_date"}, "response_due empty, expected >= the status "
                                                                      "date 2024-03-31"),
    ({"column": "owner", "present": True}, "owner empty"),
    ({"column": "owner", "present": False}, "owner 'x', expected empty"),
    ({"any": [{"column": "owner", "present": True}, {"column": "score", "op": ">=", "value": 1}]},
     "owner empty and score empty, expected score >= 1"),
    ({"every_month": "financials", "since": "raised_date"}, "no financials for 2024-01, 2024-02, 2024-03"),
    ({"column": "score", "op": ">=", "other": "score"}, "score empty, expected >= score (empty)"),
])
def test_offending_names_the_value(raw, expected):
    cond = parse_condition(raw, "risks", "c")
    assert offending(cond, _rows().iloc[[2]].assign(owner=["x"] if raw.get("present") is False else [None]),
                     _context()) == [expected]


# ---------------------------------------------------------------- the built-in guidelines
@pytest.fixture(scope="module")
def kpis():
    return compute(guideline_portfolio(), "2024-03")


def _breaches(result) -> list[tuple]:
    b = result.breaches
    return list(zip(b["project_id"], b["guideline"], b["severity"], b["item"].fillna(""), b["detail"], strict=True))


EXPECTED = [
    ("A", "high_risk_response", "major", "R2", "response empty; response_due empty"),  # each empty column said once
    ("A", "issue_escalated", "major", "I1", "severity 'low', expected severity in high, critical"),
    ("A", "risk_owner", "minor", "R2", "owner 'TBD', a placeholder, not a value"),
    ("B", "baseline_present", "major", "", "budget 0, expected budget > 0; expected at least one financials row "
     "with planned_value > 0"),
    ("B", "high_risk_response", "major", "R3", "response_due 2024-03-15, expected >= the status date 2024-03-31"),
    ("B", "status_current", "major", "", "last_updated 2024-02-20, more than 35 days before the status date "
     "2024-03-31"),
    ("D", "financials_booked", "minor", "", "no financials for 2024-02"),
    ("D", "key_milestone_forecast", "minor", "M3", "forecast_date empty and actual_date empty"),
    ("D", "status_current", "major", "", "last_updated empty"),
]


def test_every_builtin_guideline_finds_exactly_its_breaches(kpis):
    assert _breaches(kpis.guidelines) == EXPECTED
    assert {b[1] for b in EXPECTED} == {g["id"] for g in BUILTIN_GUIDELINES}  # each built-in is exercised


@pytest.mark.parametrize("guideline", [g["id"] for g in BUILTIN_GUIDELINES])
def test_each_builtin_alone(guideline):
    others = [{"id": g["id"], "enabled": False} for g in BUILTIN_GUIDELINES if g["id"] != guideline]
    k = compute(guideline_portfolio(), "2024-03", parse_config({"guidelines": others}))
    assert _breaches(k.guidelines) == [b for b in EXPECTED if b[1] == guideline]


def test_compliance_is_pooled_at_every_level(kpis):
    comp = kpis.guidelines.compliance.set_index("project_id")
    assert comp.loc[["A", "B", "C", "D"], ["applicable", "met"]].to_numpy().tolist() == [[7, 4], [4, 1], [1, 1],
                                                                                          [4, 1]]
    p = kpis.projects.set_index("project_id")
    assert p.loc["A", "compliance_pct"] == pytest.approx(4 / 7) and p.loc["C", "compliance_pct"] == 1.0
    assert math.isnan(p.loc["E", "compliance_pct"]) and p.loc["E", "guideline_breaches"] == 0  # closed
    assert p["guideline_breaches"].tolist() == [3, 3, 0, 3, 0]
    g = kpis.programs.set_index("program_id")
    assert g.loc["P1", "compliance_pct"] == pytest.approx(5 / 11)  # not (4/7 + 1/4) / 2
    assert g.loc["P2", "compliance_pct"] == pytest.approx(2 / 5)
    assert g["guideline_breaches"].tolist() == [6, 3]
    assert kpis.portfolio.loc[0, "compliance_pct"] == pytest.approx(7 / 16)
    assert kpis.portfolio.loc[0, "guideline_breaches"] == 9


def test_a_major_breach_is_named_in_the_rag_reason(kpis):
    reasons = kpis.projects.set_index("project_id")["rag_reason"]
    assert reasons["A"] == "1 open critical risk; 2 major guideline breaches"
    assert reasons["D"].endswith("; 1 major guideline breach")
    assert "guideline" not in reasons["C"] and reasons["E"] == "closed"


def test_kpi_rows_carry_the_guideline_columns(kpis):
    for level in ("project", "program", "portfolio"):
        assert list(kpi_rows(kpis, level).columns)[-2:] == ["compliance_pct", "guideline_breaches"]


def test_program_restriction_keeps_its_breaches(kpis):
    p2 = kpis.program("P2").guidelines
    assert {b[0] for b in _breaches(p2)} == {"D"} and len(p2.compliance) == 2


def test_threshold_and_switch_off_by_id():
    cfg = parse_config({"guidelines": [{"id": "status_current", "threshold": 60},
                                       {"id": "issue_escalated", "enabled": False},
                                       {"id": "risk_owner", "severity": "major"}]})
    status = next(g for g in cfg.guidelines if g.id == "status_current")
    assert status.text == "Every project's status is updated within 60 days of the status date."
    k = compute(guideline_portfolio(), "2024-03", cfg)
    got = _breaches(k.guidelines)
    assert ("D", "status_current", "major", "", "last_updated empty") in got
    assert not any(b[0] == "B" and b[1] == "status_current" for b in got)  # 40 days old is now fine
    assert not any(b[1] == "issue_escalated" for b in got)
    assert ("A", "risk_owner", "major", "R2", "owner 'TBD', a placeholder, not a value") in got


def test_a_pmo_writes_its_own_guideline():
    cfg = parse_config({"guidelines": [{
        "id": "forecast_within_baseline", "text": "Forecast finish within the baseline finish.", "table": "projects",
        "scope": [{"column": "phase", "in": ["execution"]}], "severity": "minor",
        "require": [{"column": "forecast_finish", "op": "<=", "other": "baseline_finish"}]}]})
    k = compute(guideline_portfolio(), "2024-03", cfg)
    own = [b for b in _breaches(k.guidelines) if b[1] == "forecast_within_baseline"]
    # A and D are in execution without a forecast finish: a missing value never satisfies a comparison
    assert own == [("A", "forecast_within_baseline", "minor", "", "forecast_finish empty, expected <= "
                    "baseline_finish (2024-12-31)"),
                   ("D", "forecast_within_baseline", "minor", "", "forecast_finish empty, expected <= "
                    "baseline_finish (2024-12-31)")]


def test_derived_columns_exist_in_the_evaluated_tables(kpis):
    p = guideline_portfolio()
    tables = guidelines.tables_for(p.projects, kpis.projects, p.financials, kpis.milestones, kpis.risks,
                                   kpis.issues, PERIOD)
    for table, cols in DERIVED_COLUMNS.items():
        assert set(cols) <= set(tables[table].columns), table


# ---------------------------------------------------------------- measures
MEASURES = [
    {"id": "risk_response", "label": "Open risks with a response", "table": "risks", "compute": "share",
     "filter": [{"column": "open", "op": "==", "value": True}], "where": [{"column": "response", "present": True}],
     "target": 0.9, "green": 0.9, "amber": 0.7},
    {"id": "high_no_response", "label": "High risks without a response", "table": "risks", "compute": "count",
     "filter": [{"column": "open", "op": "==", "value": True}, {"column": "score", "op": ">=", "value": 15},
                {"column": "response", "present": False}], "green": 0, "amber": 1, "direction": "lower"},
    {"id": "budget_exec", "label": "Budget in execution", "table": "projects", "compute": "sum", "column": "budget",
     "filter": [{"column": "phase", "in": ["execution"]}]},
    {"id": "mean_score", "label": "Mean open risk score", "table": "risks", "compute": "mean", "column": "score",
     "filter": [{"column": "open", "op": "==", "value": True}], "level": "program"},
]


@pytest.fixture(scope="module")
def measured():
    return compute(guideline_portfolio(), "2024-03", parse_config({"measures": MEASURES}))


def test_measures_per_project(measured):
    p = measured.projects.set_index("project_id")
    # A: R1 with, R2 without a response; B: R3, R4, R7 all with one
    assert p.loc["A", "measure_risk_response"] == 0.5 and p.loc["B", "measure_risk_response"] == 1.0
    assert math.isnan(p.loc["C", "measure_risk_response"])  # no open risk: undefined, not 0
    assert p["measure_high_no_response"].tolist()[:4] == [1, 0, 0, 0]
    assert p["measure_budget_exec"].tolist()[:4] == [1000.0, 0.0, 0.0, 300.0]
    assert p["measure_mean_score"].isna().all()  # reported at program level


def test_measures_roll_up_by_re_summing(measured):
    g = measured.programs.set_index("program_id")
    assert g.loc["P1", "measure_risk_response"] == pytest.approx(4 / 5)  # pooled; the mean of shares is 0.75
    assert g.loc["P1", "measure_mean_score"] == pytest.approx((20 + 16 + 15 + 12 + 1) / 5)  # not (18 + 28/3) / 2
    assert g.loc["P2", "measure_budget_exec"] == 300.0 and g.loc["P1", "measure_high_no_response"] == 1
    f = measured.portfolio.iloc[0]
    assert f["measure_risk_response"] == pytest.approx(4 / 5) and f["measure_budget_exec"] == 1300.0
    assert list(kpi_rows(measured, "program").columns)[-4:] == [
        "measure_risk_response", "measure_high_no_response", "measure_budget_exec", "measure_mean_score"]


def test_measure_rag_and_table(measured):
    table = measured.guidelines.measure_table("program", "P1").set_index("id")
    assert table.loc["risk_response", ["num", "den"]].tolist() == [4.0, 5.0]
    assert table.loc["risk_response", "rag"] == "amber"  # 0.8: below green 0.9, at least amber 0.7
    assert table.loc["high_no_response", "rag"] == "amber"  # 1, lower is better: green 0, amber 1
    assert measured.guidelines.measure_table("program", "P2").set_index("id").loc["high_no_response", "rag"] == \
        "green"
    assert pd.isna(table.loc["budget_exec", "rag"])  # no thresholds: no status


# ---------------------------------------------------------------- configuration errors
@pytest.mark.parametrize("raw,key", [
    ({"guidelines": [{"id": "g1", "text": "t", "table": "risks", "require": [{"column": "colour", "present": True}]}]},
     "guidelines[0].require[0].column"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "risks",
                      "require": [{"column": "score", "op": "=~", "value": 1}]}]}, "guidelines[0].require[0].op"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "risks", "require": [{"column": "owner", "exists": True}]}]},
     "guidelines[0].require[0]"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "budgets", "require": []}]}, "guidelines[0].table"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "projects", "require": [{"has_rows": "invoices"}]}]},
     "guidelines[0].require[0].has_rows"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "risks", "require": [{"column": "owner", "within_days": 3}]}]},
     "guidelines[0].require[0].within_days"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "risks",
                      "require": [{"column": "score", "op": ">", "value": "high"}]}]},
     "guidelines[0].require[0].value"),
    ({"guidelines": [{"id": "g1", "text": "t", "table": "risks"}]}, "guidelines[0].require"),
    ({"guidelines": [{"id": "risk_owner", "threshold": 3}]}, "guidelines[0].threshold"),
    ({"guidelines": [{"id": "risk_owner", "severity": "critical"}]}, "guidelines[0].severity"),
    ({"guidelines": [{"id": "risk_owner", "colour": "red"}]}, "guidelines[0].colour"),
    ({"guidelines": [{"id": "risk_owner"}, {"id": "risk_owner", "enabled": False}]}, "guidelines[1].id"),
    ({"guidelines": [{"id": "Bad Id", "text": "t", "table": "risks", "require": []}]}, "guidelines[0].id"),
    ({"measures": [{"id": "m", "table": "risks", "compute": "median"}]}, "measures[0].compute"),
    ({"measures": [{"id": "m", "table": "risks", "compute": "sum", "column": "owner"}]}, "measures[0].column"),
    ({"measures": [{"id": "m", "table": "risks", "compute": "share"}]}, "measures[0].where"),
    ({"measures": [{"id": "m", "table": "risks", "compute": "count", "green": 0.5, "amber": 0.9}]},
     "measures[0].amber"),
    ({"measures": [{"id": "m", "table": "risks", "compute": "count", "filter": [{"column": "x", "present": True}]}]},
     "measures[0].filter[0].column"),
])
def test_config_errors_name_the_key(raw, key):
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "pmo.toml")
    assert info.value.key == key and f"'{key}'" in str(info.value) and "pmo.toml" in str(info.value)


def test_default_config_has_the_builtin_set_enabled():
    assert [g.id for g in Config().guidelines] == [g["id"] for g in BUILTIN_GUIDELINES]
    assert all(g.enabled and g.builtin for g in Config().guidelines)


# ---------------------------------------------------------------- the report sections
def test_program_section_with_breaches(measured):
    html = str(program_section(SimpleNamespace(kpis=measured.program("P1"), scope="program", program_id="P1")))
    assert "Compliance 45.5%: 5 of 11 applicable guidelines met across 2 open projects; 6 breaches (5 major)." in html
    assert "Every open risk scored 15 or more has a response and a response due date not passed." in html
    assert "response_due 2024-03-15, expected &gt;= the status date 2024-03-31" in html
    assert "Project B (B)" in html and "Open risks with a response" in html and "80.0%" in html
    assert "4 of 5 rows" in html


def test_program_section_without_breaches():
    off = [{"id": g["id"], "enabled": False} for g in BUILTIN_GUIDELINES if g["id"] != "key_milestone_forecast"]
    k = compute(guideline_portfolio(), "2024-03", parse_config({"guidelines": off}))
    html = str(program_section(SimpleNamespace(kpis=k.program("P1"), scope="program", program_id="P1")))
    assert "Compliance 100.0%: 1 of 1 applicable guidelines met across 2 open projects; no breach." in html
    assert "<table" not in html  # no breach table, and no measure is declared
    clean = [{"id": g["id"], "enabled": False} for g in BUILTIN_GUIDELINES]
    k = compute(guideline_portfolio(), "2024-03", parse_config({"guidelines": clean}))
    html = str(program_section(SimpleNamespace(kpis=k.program("P2"), scope="program", program_id="P2")))
    assert "No guideline applies to the open projects of this program." in html and "<table" not in html


def test_portfolio_section_shows_compliance_by_program(measured):
    html = str(portfolio_section(SimpleNamespace(kpis=measured, scope="portfolio", program_id=None)))
    assert html.index("Estate") < html.index("Digital")  # 40.0% before 45.5%: worst first
    assert "40.0%" in html and "45.5%" in html and "Open risks with a response" in html


def test_the_example_config_declares_its_own_guideline_and_measures(project_root):
    from pmo_nb.config import load_config

    cfg = load_config(project_root / "examples" / "pmo.toml")
    assert [g.id for g in cfg.guidelines][-1] == "forecast_within_baseline" and len(cfg.guidelines) == 8
    assert next(g for g in cfg.guidelines if g.id == "issue_escalated").threshold == 120
    assert [m.name for m in cfg.measures] == ["measure_risk_response", "measure_old_issues"]


@pytest.mark.parametrize("raw,expected", [
    ({"column": "owner", "op": "==", "value": " ANN"}, [True, False, False]),
    ({"column": "owner", "in": ["ann", "Bo"]}, [True, False, False]),
    ({"column": "title", "op": "==", "value": 7}, [False, False, True]),  # a number given for text is text
])
def test_text_is_compared_trimmed_and_case_insensitive(raw, expected):
    frame = _rows().assign(title=["a", "b", "7"])
    assert holds(parse_condition(raw, "risks", "c"), frame, _context()).tolist() == expected


def test_a_later_months_plan_is_a_baseline_and_measures_stop_at_the_month():
    # as of 2024-02 project D (January row dropped) has booked nothing yet, but its plan has March: a baseline
    p = guideline_portfolio()
    p.financials = p.financials[~((p.financials["project_id"] == "D") & (p.financials["period"] == "2024-01"))]
    cfg = parse_config({"measures": [{"id": "pv", "label": "PV booked", "table": "financials", "compute": "sum",
                                      "column": "planned_value"}]})
    k = compute(p, "2024-02", cfg)
    d = [b for b in _breaches(k.guidelines) if b[0] == "D"]
    assert ("D", "financials_booked", "minor", "", "no financials for 2024-01, 2024-02") in d
    assert not any(b[1] == "baseline_present" for b in d)
    m = k.projects.set_index("project_id")["measure_pv"]
    assert (m["A"], m["D"]) == (200.0, 0.0)  # January and February only


def test_the_snapshot_keeps_compliance_and_measures(measured):
    snap = measured.snapshot()
    assert list(snap.columns)[-4:] == [m.name for m in measured.config.measures]
    rows = snap[snap["level"] == "program"].set_index("id")
    assert rows.loc["P1", "compliance_pct"] == pytest.approx(5 / 11)
    assert rows.loc["P1", "measure_risk_response"] == pytest.approx(0.8)
    assert snap.loc[snap["level"] == "risk", "compliance_pct"].isna().all()
